#include "images/spawn.h"
#include "lib/buf.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int spawn_run(char *const argv[], spawn_line_fn on_line, void *ud)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}

	struct buf line;
	buf_init(&line);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(p[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				buf_putc(&line, 0);
				if (on_line)
					on_line(ud, line.data);
				line.len = 0;
			} else
				buf_putc(&line, chunk[i]);
		}
	}
	if (line.len) {
		buf_putc(&line, 0);
		if (on_line)
			on_line(ud, line.data);
	}
	buf_free(&line);
	close(p[0]);

	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}
