#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* environ with env_set's entries replacing same-named ones. */
static char **build_env(const char *const *set)
{
	size_t n_env = 0, n_set = 0;
	while (environ[n_env])
		n_env++;
	while (set && set[n_set])
		n_set++;
	char **env = xcalloc(n_env + n_set + 1, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n_env; i++) {
		bool replaced = false;
		for (size_t j = 0; j < n_set && !replaced; j++) {
			size_t nl = strcspn(set[j], "=");
			replaced = !strncmp(environ[i], set[j], nl) && environ[i][nl] == '=';
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < n_set; j++)
		env[k++] = (char *)set[j];
	return env;
}

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Hand complete lines of `chunk` to on_line, keeping a partial one in line. */
static void feed_lines(const struct spawn_opts *o, struct buf *line, const char *chunk, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (chunk[i] == '\n') {
			buf_putc(line, '\0');
			o->on_line(o->ud, line->data);
			line->len = 0;
		} else
			buf_putc(line, chunk[i]);
	}
}

int spawn(const struct spawn_opts *o)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pi[2] = { -1, -1 };
	int r = 0;
	if (pipe2(po, O_CLOEXEC) < 0 || (!o->merge_err && pipe2(pe, O_CLOEXEC) < 0) ||
	    ((o->in || o->in_fill) && pipe2(pi, O_CLOEXEC | O_NONBLOCK) < 0)) {
		r = -errno;
		goto fail;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, o->merge_err ? po[1] : pe[1], STDERR_FILENO);
	if (pi[0] >= 0) {
		/* the child's end blocking, ours not: a child blocked writing its
		 * stderr while we wait to write its stdin would hang both */
		fcntl(pi[0], F_SETFL, 0);
		posix_spawn_file_actions_adddup2(&fa, pi[0], STDIN_FILENO);
	} else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, o->in_path ? o->in_path : "/dev/null", O_RDONLY, 0);
	char **env = o->env_set ? build_env(o->env_set) : environ;
	pid_t pid;
	int e = posix_spawnp(&pid, o->argv[0], &fa, NULL, (char *const *)o->argv, env);
	if (env != environ)
		free(env);
	posix_spawn_file_actions_destroy(&fa);
	closep(&po[1]);
	closep(&pe[1]);
	closep(&pi[0]);
	if (e != 0) {
		r = -e;
		goto fail;
	}

	/* fds: child's stdout, stderr, stdin (written as it becomes writable). */
	struct pollfd fds[3] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 }, { pi[1], POLLOUT, 0 } };
	size_t in_off = 0, in_len = o->in ? o->in_len : 0, max_out = o->max_out ? o->max_out : 1u << 20;
	const char *in = o->in;
	bool in_end = false;   /* in_fill said the end (or stop) */
	if (o->in && o->in_len == 0)
		closep(&fds[2].fd);
	struct buf line;
	buf_init(&line);
	char chunk[65536];
	while (fds[0].fd >= 0 || fds[1].fd >= 0 || fds[2].fd >= 0) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			bool gone = !(fds[2].revents & POLLOUT);   /* the child closed its stdin */
			if (!gone && o->in_fill && in_off == in_len && !in_end) {
				const void *d = NULL;
				ssize_t k = o->in_fill(o->ud, &d);
				in = d;
				in_off = 0;
				in_len = k > 0 ? (size_t)k : 0;
				in_end = k <= 0;
				if (k < 0)
					kill(pid, SIGTERM);
			}
			if (!gone && in_off < in_len) {
				ssize_t w = write(fds[2].fd, in + in_off, in_len - in_off);
				if (w > 0)
					in_off += (size_t)w;
				else if (errno != EAGAIN && errno != EINTR)
					gone = true;
			}
			if (gone || (in_off == in_len && (!o->in_fill || in_end)))
				closep(&fds[2].fd);
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				closep(&fds[i].fd);
				continue;
			}
			struct buf *dst = i == 0 ? o->out : o->err;
			size_t cap = i == 0 ? max_out : 64 * 1024;
			if (dst && i == 1 && o->err_tail && dst->len + (size_t)n > cap) {
				/* keep the newest bytes: drop the oldest */
				size_t keep = (size_t)n >= cap ? 0 : cap - (size_t)n;
				memmove(dst->data, dst->data + dst->len - (dst->len < keep ? dst->len : keep),
					dst->len < keep ? dst->len : keep);
				dst->len = dst->len < keep ? dst->len : keep;
				size_t take = (size_t)n > cap ? cap : (size_t)n;
				buf_append(dst, chunk + (size_t)n - take, take);
			} else if (dst && dst->len < cap)
				buf_append(dst, chunk, (size_t)n > cap - dst->len ? cap - dst->len : (size_t)n);
			if (i == 0 && o->on_line)
				feed_lines(o, &line, chunk, (size_t)n);
			if (i == 0 && o->on_data && o->on_data(o->ud, chunk, (size_t)n) < 0) {
				closep(&fds[0].fd);
				kill(pid, SIGTERM);
			}
		}
	}
	if (o->on_line && line.len) {
		buf_putc(&line, '\0');
		o->on_line(o->ud, line.data);
	}
	buf_free(&line);
	/* the loop closed what it finished with through fds: close only what is
	 * left, never a number twice (it may be another file's by now) */
	closep(&fds[0].fd);
	closep(&fds[1].fd);
	closep(&fds[2].fd);
	po[0] = pe[0] = -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
fail:
	closep(&po[0]);
	closep(&po[1]);
	closep(&pe[0]);
	closep(&pe[1]);
	closep(&pi[0]);
	closep(&pi[1]);
	return r;
}

int spawn_capture(const char *const argv[], struct buf *out, struct buf *err, size_t max_out)
{
	struct spawn_opts o = { .argv = argv, .out = out, .err = err, .max_out = max_out };
	return spawn(&o);
}

int spawn_io(const char *const argv[], const void *in, size_t in_len, struct buf *out, struct buf *err,
	     size_t max_out)
{
	struct spawn_opts o = { .argv = argv, .in = in, .in_len = in_len, .out = out, .err = err,
				.max_out = max_out };
	return spawn(&o);
}

int spawn_lines(const char *const argv[], spawn_line_fn on_line, void *ud)
{
	struct spawn_opts o = { .argv = argv, .merge_err = true, .on_line = on_line, .ud = ud };
	return spawn(&o);
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int spawn_pipe(const char *const argv1[], const char *const argv2[], struct buf *err)
{
	int data[2] = { -1, -1 }, pe[2] = { -1, -1 };
	pid_t pid1 = -1, pid2 = -1;
	int r = 0;
	if (pipe2(data, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	/* the writer dies of SIGPIPE when the reader is gone, even if we ignore it */
	posix_spawnattr_t at;
	sigset_t def;
	posix_spawnattr_init(&at);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, data[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	int e = posix_spawnp(&pid1, argv1[0], &fa, &at, (char *const *)argv1, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		posix_spawnattr_destroy(&at);
		pid1 = -1;
		r = -e;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, data[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	e = posix_spawnp(&pid2, argv2[0], &fa, &at, (char *const *)argv2, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		pid2 = -1;
		r = -e;
	}
	/* only the children hold the pipe now: argv1 sees EPIPE when argv2
	 * ends, and stderr reaches EOF when both have */
	closep(&data[0]);
	closep(&data[1]);
	closep(&pe[1]);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(pe[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (err && err->len < 64 * 1024)
			buf_append(err, chunk, (size_t)n > 64 * 1024 - err->len ? 64 * 1024 - err->len : (size_t)n);
	}
out:
	closep(&data[0]);
	closep(&data[1]);
	closep(&pe[0]);
	closep(&pe[1]);
	int st1 = pid1 > 0 ? wait_status(pid1) : 0, st2 = pid2 > 0 ? wait_status(pid2) : 0;
	if (r < 0)
		return r;
	return st1 != 0 ? st1 : st2;
}
