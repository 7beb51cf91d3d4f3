#include "lib/spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int spawn_capture(const char *const argv[], struct buf *out, struct buf *err, size_t max_out)
{
	return spawn_io(argv, NULL, 0, out, err, max_out);
}

int spawn_io(const char *const argv[], const void *in, size_t in_len, struct buf *out, struct buf *err,
	     size_t max_out)
{
	int po[2], pe[2], pi[2] = { -1, -1 };
	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0 || (in && pipe2(pi, O_CLOEXEC) < 0)) {
		int e = -errno;
		close(po[0]);
		close(po[1]);
		return e;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	if (in)
		posix_spawn_file_actions_adddup2(&fa, pi[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (in)
		close(pi[0]);
	if (r != 0) {
		close(po[0]);
		close(pe[0]);
		if (in)
			close(pi[1]);
		return -r;
	}
	/* fds[2] is the child's stdin, written as it becomes writable. */
	struct pollfd fds[3] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 }, { in ? pi[1] : -1, POLLOUT, 0 } };
	int open_fds = 2;
	size_t in_off = 0;
	if (in && in_len == 0) {
		close(pi[1]);
		fds[2].fd = -1;
	}
	char tmp[8192];
	while (open_fds > 0) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = (fds[2].revents & POLLOUT) ? write(fds[2].fd, (const char *)in + in_off, in_len - in_off) : -1;
			if (w > 0)
				in_off += (size_t)w;
			if (w < 0 || in_off == in_len) {
				close(fds[2].fd);
				fds[2].fd = -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i].fd, tmp, sizeof tmp);
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			struct buf *dst = i == 0 ? out : err;
			size_t cap = i == 0 ? max_out : 64 * 1024;
			if (dst && dst->len < cap)
				buf_append(dst, tmp, (size_t)n > cap - dst->len ? cap - dst->len : (size_t)n);
		}
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st)) {
		/* posix_spawnp reports exec failure as exit 127 on glibc. */
		return WEXITSTATUS(st);
	}
	return -ECHILD;
}
