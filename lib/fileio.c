#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int input_kind_ok(const struct stat *st, unsigned allow)
{
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if ((S_ISREG(st->st_mode) && (allow & INPUT_REGULAR)) || (S_ISBLK(st->st_mode) && (allow & INPUT_BLOCK)))
		return 0;
	return -EINVAL;
}

int open_input(const char *path, unsigned allow, struct stat *st_out)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	int r = input_kind_ok(&st, allow);
	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int fl;
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		r = -errno;
	else
		r = input_kind_ok(&st, allow);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (st_out)
		*st_out = st;
	return fd;
}

const char *input_strerror(int r)
{
	return r == -EINVAL ? "not a regular file" : strerror(r < 0 ? -r : r);
}

int output_is_input(const char *path, const struct stat *in)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return st.st_dev == in->st_dev && st.st_ino == in->st_ino;
}

int read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	int fd;
	if (strcmp(path, "-") == 0) {
		if ((fd = dup(STDIN_FILENO)) < 0)
			return -errno;
		if (fstat(fd, &st) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return -EISDIR;
		}
	} else if ((fd = open_input(path, INPUT_REGULAR, &st)) < 0)
		return fd;
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096, n = 0;
	char *data = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			data = xrealloc(data, cap);
		}
		ssize_t r = read(fd, data + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			free(data);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(data);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	data[n] = '\0';
	*out = data;
	if (len)
		*len = n;
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		free(tmp);
		return e;
	}
	int r = 0;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	const char *p = data;
	size_t left = len;
	while (r == 0 && left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int r = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	if (r == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			r = -errno;
		else if (!S_ISDIR(st.st_mode))
			r = -ENOTDIR;
	}
	return r;
}

int check_private(const char *path, int dir)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return dir ? -ENOTDIR : -EINVAL;
	if (st.st_uid != geteuid())
		return -EPERM;
	if (st.st_mode & 077)
		return -EPERM;
	return 0;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	if (la && a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}
