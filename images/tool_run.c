#include "images/tool_run.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"

extern char **environ;

/* environ with every NAME in env_set replaced by (or added as) its value. */
static char **build_env(const char *const *env_set)
{
	size_t n_env = 0, n_set = 0;
	while (environ[n_env])
		n_env++;
	while (env_set && env_set[n_set])
		n_set++;
	char **env = xcalloc(n_env + n_set + 1, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n_env; i++) {
		bool replaced = false;
		for (size_t j = 0; j < n_set && !replaced; j++) {
			size_t nl = strcspn(env_set[j], "=");
			replaced = strncmp(environ[i], env_set[j], nl) == 0 && environ[i][nl] == '=';
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < n_set; j++)
		env[k++] = (char *)env_set[j];
	env[k] = NULL;
	return env;
}

int tool_run(const char *const *argv, const char *const *env_set, const char *package)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return log_error_errno(errno, "pipe");

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);

	char **env = build_env(env_set);
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		if (r == ENOENT)
			return log_error_errno(r, "cannot run %s (install package %s)", argv[0], package);
		return log_error_errno(r, "cannot run %s", argv[0]);
	}

	/* Keep the first 4 KiB of stderr: enough for any error message. */
	struct buf err;
	buf_init(&err);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(pfd[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (err.len < 4096)
			buf_append(&err, chunk, (size_t)n);
	}
	close(pfd[0]);

	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			buf_free(&err);
			return log_error_errno(errno, "waitpid %s", argv[0]);
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		buf_free(&err);
		return 0;
	}
	/* One line: newlines in the tool's output become "; ". */
	for (size_t i = 0; i < err.len; i++)
		if (err.data[i] == '\n')
			err.data[i] = i + 1 < err.len ? ';' : ' ';
	buf_putc(&err, '\0');
	if (WIFEXITED(status))
		log_error("%s failed (exit %d): %s", argv[0], WEXITSTATUS(status), err.data);
	else
		log_error("%s killed by signal %d: %s", argv[0], WTERMSIG(status), err.data);
	buf_free(&err);
	return -EIO;
}
