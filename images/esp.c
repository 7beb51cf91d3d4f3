#include "images/esp.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

/* Mirror the files into a private staging directory, with every file and
 * directory stamped (directories last: adding a child changes their mtime). */
static int stage_files(const char *stage, int64_t mtime, const struct esp_file *files, size_t n)
{
	int r;
	for (size_t i = 0; i < n; i++) {
		const char *rel = files[i].path;
		while (*rel == '/')
			rel++;
		if (!*rel || strstr(rel, "..") || rel[strlen(rel) - 1] == '/')
			return log_error_errno(EINVAL, "ESP: bad file path \"%s\"", files[i].path);
		char *full = path_join(stage, rel);
		char *slash = strrchr(full, '/');
		*slash = '\0';
		r = mkdir_p(full, 0700);
		*slash = '/';
		if (r < 0) {
			log_error_errno(r, "ESP staging: mkdir for %s", files[i].path);
			free(full);
			return r;
		}
		int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		r = fd < 0 ? -errno : write_all(fd, files[i].data, files[i].len);
		if (fd >= 0 && close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0)
			r = stamp(full, mtime);
		free(full);
		if (r < 0)
			return log_error_errno(r, "ESP staging: write %s", files[i].path);
	}
	/* Every directory on the way to every file, deepest (longest) first. */
	for (size_t i = 0; i < n; i++) {
		char *full = path_join(stage, files[i].path + strspn(files[i].path, "/"));
		char *slash;
		while ((slash = strrchr(full, '/')) && (size_t)(slash - full) > strlen(stage)) {
			*slash = '\0';
			if ((r = stamp(full, mtime)) < 0) {
				free(full);
				return log_error_errno(r, "ESP staging: set time");
			}
		}
		free(full);
	}
	return 0;
}

int esp_build(const char *image_path, uint64_t offset, uint64_t size, uint32_t volume_id,
	      int64_t mtime, const struct esp_file *files, size_t n_files)
{
	if (offset % 512 || size % 1024 || size == 0)
		return log_error_errno(EINVAL, "ESP region %" PRIu64 "+%" PRIu64 " is not sector aligned",
				       offset, size);
	if (size < ESP_MIN_SIZE)
		return log_error_errno(EINVAL, "ESP of %" PRIu64 " KiB is below the FAT32 minimum of %llu KiB",
				       size / 1024, ESP_MIN_SIZE / 1024);
	char spc[8], off[40], hidden[24], volid[16], kib[24];
	snprintf(spc, sizeof spc, "%u", esp_sectors_per_cluster(size));
	snprintf(off, sizeof off, "--offset=%" PRIu64, offset / 512);
	snprintf(hidden, sizeof hidden, "%" PRIu64, offset / 512);
	snprintf(volid, sizeof volid, "%08" PRIX32, volume_id);
	snprintf(kib, sizeof kib, "%" PRIu64, size / 1024);
	const char *mkfs[] = { "mkfs.fat", "-F", "32", "-S", "512", "-s", spc, off, "-h", hidden,
			       "--invariant",
			       "-i", volid, "-n", "ESP", image_path, kib, NULL };
	int r = tool_run(mkfs, tool_env, "dosfstools");
	if (r < 0)
		return r;
	if (n_files == 0)
		return 0;

	const char *tmp = getenv("TMPDIR");
	char *stage = xasprintf("%s/kiln-esp.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage)) {
		r = log_error_errno(errno, "ESP staging directory %s", stage);
		free(stage);
		return r;
	}
	r = stage_files(stage, mtime, files, n_files);

	/* One mcopy -s -m for all top-level entries: recursive, keeps mtimes. */
	char *img = xasprintf("%s@@%" PRIu64, image_path, offset);
	/* 7 options + up to n_files sources + "::/" + NULL */
	const char **argv = xcalloc(n_files + 9, sizeof *argv);
	char **tops = xcalloc(n_files, sizeof *tops);
	size_t na = 0, nt = 0;
	argv[na++] = "mcopy";
	argv[na++] = "-s";
	argv[na++] = "-m";
	argv[na++] = "-D";
	argv[na++] = "o";
	argv[na++] = "-i";
	argv[na++] = img;
	for (size_t i = 0; r == 0 && i < n_files; i++) {
		const char *rel = files[i].path + strspn(files[i].path, "/");
		char *top = xstrndup(rel, strcspn(rel, "/"));
		size_t j;
		for (j = 0; j < nt && strcmp(tops[j], top) != 0; j++)
			;
		if (j < nt) {
			free(top);
			continue;
		}
		tops[nt++] = top;
		argv[na++] = path_join(stage, top);
	}
	argv[na++] = "::/";
	argv[na] = NULL;
	if (r == 0)
		r = tool_run(argv, tool_env, "mtools");
	for (size_t i = 7; i + 1 < na; i++)
		free((char *)argv[i]);
	for (size_t j = 0; j < nt; j++)
		free(tops[j]);
	free(tops);
	free(argv);
	free(img);
	nftw(stage, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(stage);
	return r;
}
