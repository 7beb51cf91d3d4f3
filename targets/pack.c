/* Shared packaging steps; see pack.h. */
#include "targets/pack.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)

char *target_output_path(const char *dir, const struct model *m, enum role r, const char *suffix)
{
	_cleanup_free_ char *name = xasprintf("%s-%s%s", m->name, role_name(r), suffix);
	return path_join(dir, name);
}

int pack_check_image(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return log_error_errno(errno, "image %s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(EINVAL, "image %s is not a regular file or block device", path);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return log_error_errno(EINVAL, "image %s is empty", path);
	return 0;
}

int pack_scratch_open(struct pack_scratch *s, const char *out_dir)
{
	memset(s, 0, sizeof *s);
	s->dir = path_join(out_dir, ".kiln-pack-XXXXXX");
	if (!mkdtemp(s->dir)) {
		int e = log_error_errno(errno, "cannot create a scratch directory in %s", out_dir);
		free(s->dir);
		s->dir = NULL;
		return e;
	}
	return 0;
}

const char *pack_scratch_file(struct pack_scratch *s, const char *name)
{
	if (s->n == sizeof s->files / sizeof *s->files)
		abort();   /* a caller's bug: more names than the scratch list holds */
	s->files[s->n] = path_join(s->dir, name);
	return s->files[s->n++];
}

void pack_scratch_close(struct pack_scratch *s)
{
	for (size_t i = 0; i < s->n; i++) {
		unlink(s->files[i]);
		free(s->files[i]);
	}
	if (s->dir)
		rmdir(s->dir);
	free(s->dir);
}

int pack_blank_disk(const char *path, unsigned gib)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_error_errno(errno, "cannot create %s", path);
	if (ftruncate(fd, (off_t)((uint64_t)gib * GIB)) < 0)
		return log_error_errno(errno, "cannot size %s", path);
	return 0;
}

int pack_to_vmdk(const char *raw, const char *vmdk, const char *adapter, const struct package_opts *o,
		 struct vmdk_stream_stats *st)
{
	struct vmdk_stream_opts vo;
	vmdk_stream_opts_init(&vo);
	vo.adapter = adapter;
	vo.threads = o->threads;
	vo.progress = o->progress;
	if (o->progress)
		fprintf(stderr, "kiln: converting %s to a streamOptimized VMDK\n", raw);
	return vmdk_stream_convert(raw, vmdk, &vo, st);
}

int pack_write_buf(const char *path, const struct buf *b)
{
	int e = write_file_atomic(path, b->data, b->len, 0644);
	return e < 0 ? log_error_errno(e, "cannot write %s", path) : 0;
}
