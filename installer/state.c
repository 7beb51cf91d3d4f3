/* The state directory's place, lock and transactions; see state.h. */
#include "installer/state.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TXN_DIR ".txn"
#define POLL_MS 50
#define QUIET_MS 500     /* wait this long before saying that we wait */

char *state_dir_resolve(const char *state_opt, const char *profile_path, const char *deployment)
{
	if (state_opt)
		return xstrdup(state_opt);
	char *copy = xstrdup(profile_path ? profile_path : "./x");
	char *dir = xasprintf("%s/.kiln/%s", dirname(copy), deployment);
	free(copy);
	return dir;
}

/* The pid the holder wrote into the lock file, or 0. */
static long lock_holder(int fd)
{
	char b[24];
	ssize_t n = pread(fd, b, sizeof b - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	return strtol(b, NULL, 10);
}

int state_lock(const char *state, int wait_ms)
{
	char *p = path_join(state, "lock");
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600), r = 0;
	if (fd < 0) {
		r = log_error_errno(errno, "cannot open the lock file %s", p);
		goto out;
	}
	bool said = false;
	for (int waited = 0;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			r = log_error_errno(errno, "cannot lock %s", p);
			goto out;
		}
		char who[48] = "another process";
		long pid = lock_holder(fd);
		if (pid > 0)
			snprintf(who, sizeof who, "another kiln command (pid %ld)", pid);
		if (waited >= wait_ms) {
			log_error("%s is still held by %s after %.1f s; try again when it has finished", p, who,
				  wait_ms / 1000.0);
			r = -ETIMEDOUT;
			goto out;
		}
		if (!said && waited >= QUIET_MS) {
			log_info("waiting for %s: %s is using %s", p, who, state);
			said = true;
		}
		nanosleep(&(struct timespec){ 0, POLL_MS * 1000000L }, NULL);
		waited += POLL_MS;
	}
	char pid[24];
	int k = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)k, 0) != k)
		log_debug("cannot record our pid in %s", p);   /* only a courtesy to waiters */
	r = state_txn_finish(state);
out:
	if (r < 0 && fd >= 0)
		close(fd);
	free(p);
	return r < 0 ? r : fd;
}

void state_unlock(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0)   /* no stale pid for the next waiter to name */
		log_debug("cannot clear the lock file's pid");
	close(fd);   /* releases the flock */
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Empty and remove <state>/.txn (only flat files live there). */
static int remove_txn_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int r = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && unlinkat(dirfd(d), e->d_name, 0) < 0 && r == 0)
			r = -errno;
	closedir(d);
	if (r == 0 && rmdir(dir) < 0)
		r = -errno;
	return r;
}

int state_txn_begin(struct state_txn *t, const char *state)
{
	*t = (struct state_txn){ .state = xstrdup(state), .dir = path_join(state, TXN_DIR) };
	int r = remove_txn_dir(t->dir);   /* nothing is left after state_lock; be sure */
	if (r == 0 && mkdir(t->dir, 0700) < 0)
		r = -errno;
	if (r < 0)
		t->err = log_error_errno(r, "cannot make the transaction directory %s", t->dir);
	return t->err;
}

int state_txn_put(struct state_txn *t, const char *path, const void *data, size_t len, mode_t mode)
{
	if (t->err)
		return t->err;
	char num[24];
	snprintf(num, sizeof num, "%zu", t->n);
	char *staged = path_join(t->dir, num);
	int r = write_file_atomic(staged, data, len, mode);
	if (r < 0)
		t->err = log_error_errno(r, "cannot write %s (for %s/%s)", staged, t->state, path);
	else {
		t->paths = xgrow(t->paths, &t->cap, t->n + 1, sizeof *t->paths);
		t->paths[t->n++] = xstrdup(path);
	}
	free(staged);
	return r;
}

int state_txn_has(const struct state_txn *t, const char *path)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->paths[i], path))
			return 1;
	return 0;
}

static void txn_free(struct state_txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->paths[i]);
	free(t->paths);
	free(t->state);
	free(t->dir);
	*t = (struct state_txn){ 0 };
}

int state_txn_seal(struct state_txn *t)
{
	if (t->err)
		return t->err;
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < t->n; i++)
		buf_printf(&b, "%zu %s\n", i, t->paths[i]);
	char *p = path_join(t->dir, "COMMIT");
	int r = write_file_atomic(p, b.data ? b.data : "", b.len, 0600);
	if (r == 0)
		r = fsync_dir(t->dir);   /* the commit point is on disk before any rename */
	if (r < 0)
		t->err = log_error_errno(r, "cannot write %s", p);
	free(p);
	buf_free(&b);
	return r;
}

/* A path COMMIT may name: relative, components of [A-Za-z0-9._-] not
 * starting with '.', so never outside the state directory or into .txn. */
static bool safe_path(const char *p)
{
	if (!*p)
		return false;
	for (const char *c = p; *c; c++) {
		if ((c == p || c[-1] == '/') && (*c == '.' || *c == '/'))
			return false;
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/", *c))
			return false;
	}
	return p[strlen(p) - 1] != '/';
}

/* Rename each staged file COMMIT lists into place; a file already moved (a
 * replay after a crash mid-way) is skipped. */
static int apply_commit(const char *state, const char *dir, char *list)
{
	for (char *line = list, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		char *sp = strchr(line, ' ');
		if (!nl || !sp || sp > nl || sp == line || strspn(line, "0123456789") != (size_t)(sp - line))
			return -EBADMSG;
		*nl = *sp = '\0';
		if (!safe_path(sp + 1))
			return -EBADMSG;
		char *src = path_join(dir, line), *dst = path_join(state, sp + 1), *parent = xstrdup(dst);
		int r = 0;
		if (access(src, F_OK) == 0) {
			char *pd = dirname(parent);
			r = mkdir_p(pd, 0700);
			if (r == 0 && rename(src, dst) < 0)
				r = -errno;
			if (r == 0)
				r = fsync_dir(pd);
		}
		free(src);
		free(dst);
		free(parent);
		if (r < 0)
			return r;
	}
	return 0;
}

int state_txn_finish(const char *state)
{
	char *dir = path_join(state, TXN_DIR), *cp = path_join(dir, "COMMIT"), *list = NULL;
	int r = read_file(cp, 1 << 20, &list, NULL);
	if (r == 0) {
		r = apply_commit(state, dir, list);
		if (r == -EBADMSG)
			log_error("%s is malformed; remove %s to drop the interrupted change", cp, dir);
		else if (r < 0)
			log_error_errno(r, "cannot finish the change recorded in %s", cp);
	} else if (r == -ENOENT)
		r = 0;   /* not sealed: drop whatever was staged */
	else
		log_error_errno(r, "cannot read %s", cp);
	if (r == 0 && (r = remove_txn_dir(dir)) < 0)
		log_error_errno(r, "cannot remove %s", dir);
	if (r == 0)
		r = fsync_dir(state);
	free(list);
	free(cp);
	free(dir);
	return r;
}

int state_txn_commit(struct state_txn *t)
{
	int r = state_txn_seal(t);
	if (r == 0)
		r = state_txn_finish(t->state);
	else
		remove_txn_dir(t->dir);
	txn_free(t);
	return r;
}

void state_txn_abort(struct state_txn *t)
{
	if (t->dir)
		remove_txn_dir(t->dir);
	txn_free(t);
}
