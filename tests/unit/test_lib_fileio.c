/* lib/fileio.c: open_input (no blocking on FIFOs, kinds refused before and
 * after opening), output_is_input (symlinks and hard links), and read_file
 * built on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "lib/fileio.h"
#include "lib/xalloc.h"

static char dir[] = "/tmp/kiln-fileio-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *rm = xasprintf("rm -rf %s", dir);
	int r = system(rm);
	free(rm);
	return r;
}

static char *in_dir(const char *name)
{
	return path_join(dir, name);
}

static void test_open_input_kinds(void **state)
{
	(void)state;
	char *reg = in_dir("reg"), *fifo = in_dir("fifo"), *sock = in_dir("sock"), *link = in_dir("link");
	assert_int_equal(write_file_atomic(reg, "abc", 3, 0600), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(reg, link), 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);

	struct stat st;
	int fd = open_input(reg, INPUT_REGULAR, &st);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode) && st.st_size == 3);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);   /* reads block normally again */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = open_input(link, INPUT_REGULAR, NULL);   /* a symlink to a regular file is that file */
	assert_true(fd >= 0);
	close(fd);
	/* A FIFO with no writer: refused at once, not waited on. */
	alarm(5);
	assert_int_equal(open_input(fifo, INPUT_REGULAR | INPUT_BLOCK, NULL), -EINVAL);
	alarm(0);
	assert_int_equal(open_input(sock, INPUT_REGULAR, NULL), -EINVAL);
	assert_int_equal(open_input("/dev/null", INPUT_REGULAR | INPUT_BLOCK, NULL), -EINVAL);
	assert_int_equal(open_input(dir, INPUT_REGULAR, NULL), -EISDIR);
	assert_int_equal(open_input(reg, INPUT_BLOCK, NULL), -EINVAL);   /* not what this input allows */
	assert_int_equal(open_input("/nonexistent/x", INPUT_REGULAR, NULL), -ENOENT);
	assert_string_equal(input_strerror(-EINVAL), "not a regular file");
	assert_string_equal(input_strerror(-ENOENT), strerror(ENOENT));
	close(s);
	free(reg);
	free(fifo);
	free(sock);
	free(link);
}

static void test_output_is_input(void **state)
{
	(void)state;
	char *in = in_dir("in"), *other = in_dir("other"), *sym = in_dir("sym"), *hard = in_dir("hard");
	char *missing = in_dir("missing"), *dotted = xasprintf("%s/./in", dir);
	assert_int_equal(write_file_atomic(in, "x", 1, 0600), 0);
	assert_int_equal(write_file_atomic(other, "x", 1, 0600), 0);
	assert_int_equal(symlink(in, sym), 0);
	assert_int_equal(link(in, hard), 0);
	struct stat st;
	assert_int_equal(stat(in, &st), 0);
	assert_int_equal(output_is_input(in, &st), 1);
	assert_int_equal(output_is_input(dotted, &st), 1);
	assert_int_equal(output_is_input(sym, &st), 1);
	assert_int_equal(output_is_input(hard, &st), 1);
	assert_int_equal(output_is_input(other, &st), 0);
	assert_int_equal(output_is_input(missing, &st), 0);
	assert_int_equal(output_is_input("/nonexistent-dir/x", &st), 0);
	char *below = xasprintf("%s/x", in);   /* a path through a regular file */
	assert_int_equal(output_is_input(below, &st), -ENOTDIR);
	free(below);
	free(in);
	free(other);
	free(sym);
	free(hard);
	free(missing);
	free(dotted);
}

static void test_read_file_refuses_special_files(void **state)
{
	(void)state;
	char *fifo = in_dir("fifo2");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	char *d = NULL;
	size_t n;
	alarm(5);
	assert_int_equal(read_file(fifo, 100, &d, &n), -EINVAL);
	alarm(0);
	assert_int_equal(read_file("/dev/zero", 100, &d, &n), -EINVAL);
	assert_int_equal(read_file(dir, 100, &d, &n), -EISDIR);
	assert_null(d);
	/* "-" is stdin, which may be a pipe: the caller asked for it. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "piped", 5), 5);
	close(p[1]);
	int saved = dup(STDIN_FILENO);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(read_file("-", 100, &d, &n), 0);
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(p[0]);
	assert_int_equal(n, 5);
	assert_string_equal(d, "piped");
	free(d);
	free(fifo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_input_kinds),
		cmocka_unit_test(test_output_is_input),
		cmocka_unit_test(test_read_file_refuses_special_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
