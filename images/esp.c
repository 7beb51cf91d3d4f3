#include "images/esp.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "images/tool_run.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Same environment for every tool: UTC (FAT stores local time), no mtools
 * geometry sanity check on a partition inside an image file. */
static const char *const tool_env[] = { "TZ=UTC", "MTOOLS_SKIP_CHECK=1", NULL };

unsigned esp_sectors_per_cluster(uint64_t size)
{
	/* 65525 clusters is the FAT32 floor; leave room for FATs and reserved. */
	for (unsigned spc = 8; spc > 1; spc /= 2)
		if (size / (spc * 512ULL) >= 70000)
			return spc;
	return 1;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(p);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Set the mtime (and atime) of path, not following symlinks. */
static int stamp(const char *path, int64_t mtime)
{
	if (mtime < 0)
		return 0;
	struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* One thing to put on the ESP: a directory or a file, at rel (no leading
 * '/'), staged as <stage>/<index>/<basename> so that each mcopy call copies
 * exactly one entry. The FAT directory order is then the order of the calls,
 * not the readdir order of the staging filesystem (which varies between
 * machines and would break reproducibility). */
struct item {
	char *rel;
	const struct esp_file *file;    /* NULL: directory */
};

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->rel, ((const struct item *)b)->rel);
}

/* Relative path with no empty, "." or ".." component. */
static bool valid_rel(const char *rel)
{
	for (const char *c = rel;;) {
		size_t len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[len])
			return true;
		c += len + 1;
	}
}

/* Directories (every prefix of every file path, sorted: parents first), then
 * the files in the caller's order. */
static int plan_items(const struct esp_file *files, size_t n, struct item **out, size_t *n_out)
{
	struct item *v = NULL;
	size_t nv = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rel = files[i].path + strspn(files[i].path, "/");
		if (!valid_rel(rel)) {
			for (size_t j = 0; j < nv; j++)
				free(v[j].rel);
			free(v);
			return log_error_errno(EINVAL, "ESP: bad file path \"%s\"", files[i].path);
		}
		for (const char *sl = strchr(rel, '/'); sl; sl = strchr(sl + 1, '/')) {
			char *dir = xstrndup(rel, (size_t)(sl - rel));
			bool seen = false;
			for (size_t j = 0; j < nv && !seen; j++)
				seen = strcmp(v[j].rel, dir) == 0;
			if (seen) {
				free(dir);
				continue;
			}
			v = xgrow(v, &cap, nv + 1, sizeof *v);
			v[nv++] = (struct item){ dir, NULL };
		}
	}
	qsort(v, nv, sizeof *v, item_cmp);
	for (size_t i = 0; i < n; i++) {
		v = xgrow(v, &cap, nv + 1, sizeof *v);
		v[nv++] = (struct item){ xstrdup(files[i].path + strspn(files[i].path, "/")), &files[i] };
	}
	*out = v;
	*n_out = nv;
	return 0;
}

/* Stage item k as <stage>/<k>/<basename>, stamped with mtime. */
static int stage_item(const char *stage, size_t k, const struct item *it, int64_t mtime,
		      char **staged)
{
	const char *base = strrchr(it->rel, '/');
	base = base ? base + 1 : it->rel;
	char *box = xasprintf("%s/%zu", stage, k);
	char *full = path_join(box, base);
	int r = mkdir(box, 0700) < 0 ? -errno : 0;
	if (r == 0 && !it->file)
		r = mkdir(full, 0700) < 0 ? -errno : 0;
	if (r == 0 && it->file) {
		int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		r = fd < 0 ? -errno : write_all(fd, it->file->data, it->file->len);
		if (fd >= 0 && close(fd) < 0 && r == 0)
			r = -errno;
	}
	if (r == 0)
		r = stamp(full, mtime);
	free(box);
	if (r < 0) {
		free(full);
		return log_error_errno(r, "ESP staging: /%s", it->rel);
	}
	*staged = full;
	return 0;
}

/* Copy the items in order, one mcopy each: -s creates an (empty) directory,
 * -m keeps the staged mtime. The target is the parent directory. */
static int copy_items(const char *image_path, uint64_t offset, const char *stage, int64_t mtime,
		      const struct item *v, size_t nv)
{
	char *img = xasprintf("%s@@%" PRIu64, image_path, offset);
	int r = 0;
	for (size_t k = 0; r == 0 && k < nv; k++) {
		char *staged = NULL;
		if ((r = stage_item(stage, k, &v[k], mtime, &staged)) < 0)
			break;
		const char *slash = strrchr(v[k].rel, '/');
		char *target = xasprintf("::/%.*s", slash ? (int)(slash - v[k].rel + 1) : 0, v[k].rel);
		const char *argv[] = { "mcopy", v[k].file ? "-m" : "-sm", "-i", img, staged, target, NULL };
		r = tool_run(argv, tool_env, "mtools");
		free(target);
		free(staged);
	}
	free(img);
	return r;
}

int esp_build(const char *image_path, uint64_t offset, uint64_t size, uint32_t volume_id,
	      int64_t mtime, const struct esp_file *files, size_t n_files)
{
	return esp_build_fat(image_path, offset, size, volume_id, mtime, files, n_files, 32, 0);
}

int esp_build_fat(const char *image_path, uint64_t offset, uint64_t size, uint32_t volume_id, int64_t mtime,
		  const struct esp_file *files, size_t n_files, unsigned fat_bits, unsigned sectors_per_cluster)
{
	if (offset % 512 || size % 1024 || size == 0)
		return log_error_errno(EINVAL, "ESP region %" PRIu64 "+%" PRIu64 " is not sector aligned",
				       offset, size);
	if (fat_bits == 32 && size < ESP_MIN_SIZE)
		return log_error_errno(EINVAL, "ESP of %" PRIu64 " KiB is below the FAT32 minimum of %llu KiB",
				       size / 1024, ESP_MIN_SIZE / 1024);
	if (fat_bits != 12 && fat_bits != 16 && fat_bits != 32)
		return log_error_errno(EINVAL, "FAT%u: no such FAT", fat_bits);
	char spc[12], off[40], hidden[24], volid[16], kib[24], bits[12];
	snprintf(spc, sizeof spc, "%u", sectors_per_cluster ? sectors_per_cluster
				       : fat_bits == 32 ? esp_sectors_per_cluster(size) : 4);
	snprintf(bits, sizeof bits, "%u", fat_bits);
	snprintf(off, sizeof off, "--offset=%" PRIu64, offset / 512);
	snprintf(hidden, sizeof hidden, "%" PRIu64, offset / 512);
	snprintf(volid, sizeof volid, "%08" PRIX32, volume_id);
	snprintf(kib, sizeof kib, "%" PRIu64, size / 1024);
	const char *mkfs[] = { "mkfs.fat", "-F", bits, "-S", "512", "-s", spc, off, "-h", hidden,
			       "--invariant",
			       "-i", volid, "-n", "ESP", image_path, kib, NULL };
	int r = tool_run(mkfs, tool_env, "dosfstools");
	if (r < 0)
		return r;
	if (n_files == 0)
		return 0;

	struct item *v = NULL;
	size_t nv = 0;
	if ((r = plan_items(files, n_files, &v, &nv)) < 0)
		return r;
	const char *tmp = getenv("TMPDIR");
	char *stage = xasprintf("%s/kiln-esp.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage))
		r = log_error_errno(errno, "ESP staging directory %s", stage);
	else {
		r = copy_items(image_path, offset, stage, mtime, v, nv);
		nftw(stage, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	free(stage);
	for (size_t k = 0; k < nv; k++)
		free(v[k].rel);
	free(v);
	return r;
}
