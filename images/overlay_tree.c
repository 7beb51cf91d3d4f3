#include "images/overlay_tree.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OVERLAY_FILE_MAX ((size_t)256 << 20)

static struct overlay_entry *grow(struct overlay *o, bool secret)
{
	size_t cap = o->cap;
	o->v = xgrow(o->v, &o->cap, o->n + 1, sizeof *o->v);
	o->secret = xgrow(o->secret, &cap, o->n + 1, sizeof *o->secret);
	o->secret[o->n] = secret;
	struct overlay_entry *e = &o->v[o->n++];
	memset(e, 0, sizeof *e);
	return e;
}

void overlay_add_dir(struct overlay *o, const char *path, mode_t mode)
{
	struct overlay_entry *e = grow(o, false);
	e->path = xstrdup(path);
	e->type = OVERLAY_DIR;
	e->mode = mode;
}

void overlay_add_file(struct overlay *o, const char *path, mode_t mode, const void *data,
		      size_t len, bool secret)
{
	struct overlay_entry *e = grow(o, secret);
	e->path = xstrdup(path);
	e->type = OVERLAY_FILE;
	e->mode = mode;
	void *copy = xmalloc(len ? len : 1);
	if (len)
		memcpy(copy, data, len);
	e->data = copy;
	e->len = len;
}

void overlay_add_file_from(struct overlay *o, const char *path, mode_t mode, const char *src_path, uint64_t size,
			   const char *sha256_hex)
{
	struct overlay_entry *e = grow(o, false);
	e->path = xstrdup(path);
	e->type = OVERLAY_FILE;
	e->mode = mode;
	e->len = (size_t)size;
	e->src_path = xstrdup(src_path);
	e->src_sha256 = xstrdup(sha256_hex);
}

void overlay_add_symlink(struct overlay *o, const char *path, const char *target)
{
	struct overlay_entry *e = grow(o, false);
	e->path = xstrdup(path);
	e->type = OVERLAY_SYMLINK;
	e->mode = 0777;
	e->target = xstrdup(target);
}

/* nftw has no user pointer: collect paths through a file-static list. */
static char **walk_paths;
static size_t walk_n, walk_cap;

static int collect(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	walk_paths = xgrow(walk_paths, &walk_cap, walk_n + 1, sizeof *walk_paths);
	walk_paths[walk_n++] = xstrdup(p);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int overlay_add_tree(struct overlay *o, const char *dir)
{
	struct stat st;
	int e = 0;
	if (stat(dir, &st) < 0)
		return log_error_errno(errno, "--overlay %s", dir);
	if (!S_ISDIR(st.st_mode))
		return log_error_errno(ENOTDIR, "--overlay %s is not a directory", dir);
	walk_paths = NULL;
	walk_n = walk_cap = 0;
	if (nftw(dir, collect, 32, FTW_PHYS) < 0)
		e = log_error_errno(errno, "cannot walk overlay %s", dir);
	if (e == 0)
		qsort(walk_paths, walk_n, sizeof *walk_paths, cmp_str);
	size_t skip = strlen(dir);
	while (skip > 1 && dir[skip - 1] == '/')
		skip--;
	for (size_t i = 0; e == 0 && i < walk_n; i++) {
		const char *full = walk_paths[i];
		const char *rel = full + skip;
		if (!*rel)
			continue;                      /* the root itself */
		if (lstat(full, &st) < 0) {
			e = log_error_errno(errno, "overlay %s", full);
			break;
		}
		mode_t mode = st.st_mode & 07777;
		if (S_ISDIR(st.st_mode))
			overlay_add_dir(o, rel, mode);
		else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(full, target, sizeof target - 1);
			if (n < 0) {
				e = log_error_errno(errno, "overlay %s", full);
				break;
			}
			target[n] = 0;
			overlay_add_symlink(o, rel, target);
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			if ((e = read_file(full, OVERLAY_FILE_MAX, &data, &len)) < 0) {
				e = log_error_errno(e, "cannot read overlay file %s", full);
				break;
			}
			overlay_add_file(o, rel, mode, data, len, false);
			free(data);
		} else
			e = log_error_errno(EINVAL, "overlay %s: only files, directories and symlinks are supported", full);
	}
	for (size_t i = 0; i < walk_n; i++)
		free(walk_paths[i]);
	free(walk_paths);
	walk_paths = NULL;
	return e;
}

void overlay_free(struct overlay *o)
{
	for (size_t i = 0; i < o->n; i++) {
		struct overlay_entry *e = &o->v[i];
		if (o->secret[i] && e->data)
			sodium_memzero((void *)e->data, e->len);
		free((void *)e->path);
		free((void *)e->data);
		free((void *)e->target);
		free((void *)e->src_path);
		free((void *)e->src_sha256);
	}
	free(o->v);
	free(o->secret);
	memset(o, 0, sizeof *o);
}
