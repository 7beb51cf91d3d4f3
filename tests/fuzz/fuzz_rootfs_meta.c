/* libFuzzer: the record kept beside a cached rootfs (images/rootfs_meta.c),
 * read as kiln reads it: from a file, by rootfs_meta_read. Any bytes load or
 * are refused with -EBADMSG (and then nothing is left half-read); never a
 * crash, leak or hang. A record that loads writes back (rootfs_meta_write)
 * to a file that loads to the same text; its JSON and summary are made. */
#include "images/rootfs_meta.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *in, *out;

static void remove_dir(void)
{
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir) {
		char tmpl[] = "/dev/shm/kiln-fuzz-meta-XXXXXX";   /* tmpfs: fsync costs nothing */
		if (!mkdtemp(tmpl))
			abort();
		dir = xstrdup(tmpl);
		in = path_join(dir, "in.meta");
		out = path_join(dir, "out.meta");
		atexit(remove_dir);
	}
	int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	struct rootfs_meta m, again;
	int r = rootfs_meta_read(in, &m);
	unlink(in);
	if (r < 0) {
		if (r != -EBADMSG || m.n_archives || m.n_security || m.snapshot || m.security_suite)
			abort();
		return 0;
	}
	if (rootfs_meta_write(out, &m) < 0 || rootfs_meta_read(out, &again) < 0)
		abort();
	unlink(out);
	char *t = rootfs_meta_text(&m), *t2 = rootfs_meta_text(&again);
	if (strcmp(t, t2))
		abort();
	struct buf b;
	buf_init(&b);
	rootfs_meta_json(&m, &b);
	rootfs_meta_summary(&m, &b);
	buf_free(&b);
	free(t);
	free(t2);
	rootfs_meta_free(&m);
	rootfs_meta_free(&again);
	return 0;
}
