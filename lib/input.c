#include "lib/input.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_type(int fd, int flags, size_t max)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) && !(S_ISBLK(st.st_mode) && (flags & INPUT_BLOCKDEV)))
		return -EINVAL;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > (uint64_t)max)
		return -EFBIG;
	if ((flags & INPUT_PRIVATE) && (st.st_uid != geteuid() || (st.st_mode & 077)))
		return -EPERM;
	/* Known to be a file or disk now: reads may block as usual. */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int open_input(const char *path, int flags, size_t max)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | ((flags & INPUT_NOFOLLOW) ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	int r = check_type(fd, flags, max);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int read_input(const char *path, int flags, size_t max, char **data, size_t *len)
{
	int fd = open_input(path, flags & ~INPUT_BLOCKDEV, max);
	if (fd < 0)
		return fd;
	/* Files in /proc and /sys report sizes that are not their content's:
	 * read until end of file, never past max. */
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	int r = 0;
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

const char *input_strerror(int r)
{
	static __thread char other[96];
	switch (r) {
	case -ENOENT: return "is missing";
	case -EISDIR: return "is a directory, not a regular file";
	case -ELOOP: return "is a symbolic link (refused)";
	case -EINVAL: return "is not a regular file (a FIFO, socket or device)";
	case -EFBIG: return "is larger than expected";
	case -EPERM: return "is accessible to group/others or not owned by this user (it must be 0600)";
	default:
		snprintf(other, sizeof other, "cannot be read (%s)", strerror(r < 0 ? -r : r));
		return other;
	}
}

int output_is_input(const char *path, const struct stat *in)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return st.st_dev == in->st_dev && st.st_ino == in->st_ino;
}
