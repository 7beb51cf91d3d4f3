/* A local directory of backup objects: see backup_local.h. */
#include "lib/backup_local.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_suffix(const char *name)
{
	size_t n = strlen(name), s = strlen(BACKUP_SUFFIX);
	return n > s && !strcmp(name + n - s, BACKUP_SUFFIX);
}

/* ---------------------------------------------------------------- list */

struct list {
	struct backup_entry *e;
	size_t n, cap;
};

static void add_entry(struct list *l, int fd, char *name)
{
	l->e = xgrow(l->e, &l->cap, l->n + 1, sizeof *l->e);
	struct backup_entry *e = &l->e[l->n++];
	memset(e, 0, sizeof *e);
	e->name = name;
	struct stat st;
	if (!backup_name_valid(name)) {
		e->status = -EINVAL;
		return;
	}
	if (fstat(fd, &st) < 0) {
		e->status = -errno;
		return;
	}
	e->object_bytes = (uint64_t)st.st_size;
	int r = backup_header_read(backup_fd_source, &fd, &e->meta);
	if (r == 0 && strcmp(e->meta.name, name) != 0)
		r = BACKUP_E_NAME;
	if (r == 0)
		r = backup_plain_size(&e->meta, e->object_bytes, &e->plain_bytes);
	e->status = r;
}

/* dirfd is owned (closed here); prefix is "" or "a/b/". */
static int walk(struct list *l, int dirfd, const char *prefix, int depth)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		int e = -errno;
		close(dirfd);
		return e;
	}
	int r = 0;
	struct dirent *de;
	errno = 0;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= BACKUP_DIR_MAX_DEPTH) {
				r = -ELOOP;
				break;
			}
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = -errno;
				break;
			}
			_cleanup_free_ char *p = xasprintf("%s%s/", prefix, de->d_name);
			r = walk(l, sub, p, depth + 1);
		} else if (S_ISREG(st.st_mode) && has_suffix(de->d_name)) {
			_cleanup_close_ int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				r = -errno;
				break;
			}
			add_entry(l, fd, xasprintf("%s%s", prefix, de->d_name));
		}
		errno = 0;
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	return r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct backup_entry *)a)->name, ((const struct backup_entry *)b)->name);
}

int backup_dir_list(const char *dir, struct backup_entry **out, size_t *n)
{
	struct list l = { 0 };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 ? -errno : walk(&l, fd, "", 0);
	if (r < 0) {
		backup_entries_free(l.e, l.n);
		return r;
	}
	if (l.n)
		qsort(l.e, l.n, sizeof *l.e, by_name);
	*out = l.e;
	*n = l.n;
	return 0;
}

void backup_entries_free(struct backup_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

/* ---------------------------------------------------------------- one object */

int backup_dir_open(const char *dir, const char *name, int *fd)
{
	if (!backup_name_valid(name) || !has_suffix(name))
		return -EINVAL;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* segment by segment, following no symbolic link (the listing does not) */
	_cleanup_free_ char *copy = xstrdup(name);
	char *seg = copy, *slash;
	while ((slash = strchr(seg, '/'))) {
		*slash = '\0';
		int sub = openat(dfd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return errno == ENOTDIR || errno == ELOOP ? -ENOENT : -errno;
		close(dfd);
		dfd = sub;
		seg = slash + 1;
	}
	int f = openat(dfd, seg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f < 0)
		return errno == ELOOP ? -ENOENT : -errno;
	struct stat st;
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return -ENOENT;
	}
	*fd = f;
	return 0;
}

#define CHUNK_BYTES (1u << 16)

static void free_sodium(uint8_t **p)
{
	if (*p)
		sodium_free(*p);
}

/* Reads r to its end, each chunk of plaintext to out (none when out < 0),
 * and authenticates the object whole; *at says whose a failure was. The
 * one reader loop of verify and restore (extract's is spawn's in_fill). */
static int drain(struct backup_reader *r, int out, uint64_t *plain_bytes, enum backup_side *at)
{
	_cleanup_(free_sodium) uint8_t *buf = sodium_malloc(CHUNK_BYTES);   /* plaintext: guarded */
	if (!buf)
		abort();
	uint64_t total = 0;
	ssize_t k;
	int e;
	*at = BACKUP_AT_OBJECT;
	while ((k = backup_reader_read(r, buf, CHUNK_BYTES)) > 0) {
		if (out >= 0 && (e = backup_fd_sink(&out, buf, (size_t)k)) < 0) {
			*at = BACKUP_AT_OUTPUT;
			return e;
		}
		total += (uint64_t)k;
	}
	if (k < 0)
		return (int)k;
	if ((e = backup_reader_finish(r)) < 0)
		return e;
	*plain_bytes = total;
	return 0;
}

int backup_verify_fd(int fd, const char *name, const struct role_keypair *key, struct backup_meta *meta,
		     uint64_t *plain_bytes)
{
	_cleanup_(backup_reader_freep) struct backup_reader *r = NULL;
	int e = backup_reader_open(&r, key, name, backup_fd_source, &fd, meta);
	if (e < 0)
		return e;
	enum backup_side at;
	return drain(r, -1, plain_bytes, &at);
}

char *backup_restore_target(const char *out, const char *name)
{
	struct stat st;
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		return xstrdup(out);
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t n = strlen(base);
	if (has_suffix(base))
		n -= strlen(BACKUP_SUFFIX);
	_cleanup_free_ char *b = xstrndup(base, n);
	return path_join(out, b);
}

/* A mkstemp/mkdtemp template beside target: "<dir>/.<base>.<tag>-XXXXXX"
 * (malloc'd): in target's directory, so a rename puts it in place. */
static char *beside(const char *target, const char *tag)
{
	const char *slash = strrchr(target, '/');
	_cleanup_free_ char *dir = slash ? xstrndup(target, (size_t)(slash - target + 1)) : xstrdup("");
	return xasprintf("%s.%s.%s-XXXXXX", dir, slash ? slash + 1 : target, tag);
}

/* The temporary file beside target. */
static int open_temp(const char *target, char **tmp)
{
	char *t = beside(target, "restore");
	int fd = mkostemp(t, O_CLOEXEC);   /* 0600 */
	if (fd < 0) {
		int e = -errno;
		free(t);
		return e;
	}
	*tmp = t;
	return fd;
}

static int restore_into(int fd, const char *name, const struct role_keypair *key, int out, struct backup_meta *meta,
			uint64_t *plain_bytes, enum backup_side *at)
{
	_cleanup_(backup_reader_freep) struct backup_reader *r = NULL;
	*at = BACKUP_AT_OBJECT;
	uint64_t total;
	int e = backup_reader_open(&r, key, name, backup_fd_source, &fd, meta);
	if (e < 0 || (e = drain(r, out, &total, at)) < 0)
		return e;
	*at = BACKUP_AT_OUTPUT;
	if (fsync(out) < 0)
		return -errno;
	*plain_bytes = total;
	return 0;
}

int backup_restore_fd(int fd, const char *name, const struct role_keypair *key, const char *target,
		      struct backup_meta *meta, uint64_t *plain_bytes, enum backup_side *at)
{
	struct stat st;
	*at = BACKUP_AT_OUTPUT;
	if (lstat(target, &st) == 0)
		return -EEXIST;
	if (errno != ENOENT)
		return -errno;
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int out = open_temp(target, &tmp);
	if (out < 0)
		return out;
	int r = restore_into(fd, name, key, out, meta, plain_bytes, at);
	if (r == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) < 0) {
		r = -errno;
		*at = BACKUP_AT_OUTPUT;
	}
	if (r == 0 && (r = fsync_parent(target)) < 0)
		return r;   /* in place, just not yet durable */
	if (r < 0)
		unlink(tmp);
	return r;
}

/* ---------------------------------------------------------------- extract */

struct feed {
	struct backup_reader *r;
	uint8_t *buf;             /* sodium_malloc'd: plaintext */
	uint64_t total;
	int err;                  /* the object's refusal */
	bool end;                 /* read to its end (or refused) */
};

/* spawn's in_fill: the next plaintext, authenticated chunk by chunk; at the
 * end the whole object (backup_reader_finish) before the program sees EOF */
static ssize_t feed_fill(void *ud, const void **data)
{
	struct feed *f = ud;
	ssize_t k = backup_reader_read(f->r, f->buf, CHUNK_BYTES);
	if (k > 0) {
		f->total += (uint64_t)k;
		*data = f->buf;
		return k;
	}
	f->end = true;
	f->err = k < 0 ? (int)k : backup_reader_finish(f->r);
	return f->err;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

const char *const backup_mbstream_extract[] = { "mbstream", "-x", "-C", NULL };

/* The object through argv (staging appended) into staging; see backup_extract_fd. */
static int extract(int fd, const char *name, const struct role_keypair *key, const char *const *argv,
		   const char *staging, struct backup_meta *meta, uint64_t *plain_bytes, enum backup_side *at,
		   int *status, struct buf *err)
{
	_cleanup_(backup_reader_freep) struct backup_reader *r = NULL;
	int e = backup_reader_open(&r, key, name, backup_fd_source, &fd, meta);
	*at = BACKUP_AT_OBJECT;
	if (e < 0)
		return e;
	size_t n = 0;
	while (argv[n])
		n++;
	_cleanup_free_ const char **av = xcalloc(n + 2, sizeof *av);
	memcpy(av, argv, n * sizeof *av);
	av[n] = staging;
	_cleanup_(free_sodium) uint8_t *buf = sodium_malloc(CHUNK_BYTES);
	if (!buf)
		abort();
	struct feed f = { .r = r, .buf = buf };
	struct spawn_opts so = { .argv = av, .err = err, .err_tail = true, .in_fill = feed_fill, .ud = &f };
	int s = spawn(&so);
	if (s >= 0 && !f.end)
		f.err = backup_reader_finish(r);   /* the program stopped early: is the object whole? */
	*at = f.err < 0 ? BACKUP_AT_OBJECT : BACKUP_AT_PROGRAM;
	*status = s > 0 ? s : 0;
	e = f.err < 0 ? f.err : s < 0 ? s : s > 0 ? -EIO : !f.end ? -EPIPE : 0;
	*plain_bytes = f.total;
	return e;
}

int backup_extract_fd(int fd, const char *name, const struct role_keypair *key, const char *const *argv,
		      const char *dest, struct backup_meta *meta, uint64_t *plain_bytes, enum backup_side *at,
		      int *status, struct buf *err)
{
	struct stat st;
	*at = BACKUP_AT_OUTPUT;
	*status = 0;
	_cleanup_free_ char *d = xstrdup(dest);
	for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';   /* "out/": the staging directory goes beside out, not in it */
	dest = d;
	if (lstat(dest, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !dir_empty(dest))
			return -EEXIST;
	} else if (errno != ENOENT)
		return -errno;
	_cleanup_free_ char *staging = beside(dest, "extract");
	if (!mkdtemp(staging))   /* 0700 */
		return -errno;
	int e = extract(fd, name, key, argv, staging, meta, plain_bytes, at, status, err);
	if (e == 0) {
		*at = BACKUP_AT_OUTPUT;
		if (rename(staging, dest) < 0)
			e = -errno;
		else
			return fsync_parent(dest);   /* < 0: in place, just not yet durable */
	}
	rm_rf(staging);
	return e;
}
