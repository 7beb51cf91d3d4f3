/* lib/fileio.c: read_file goes through lib/input for paths (a FIFO is
 * refused at once, not waited on) and still reads "-", stdin, which may be
 * a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/fileio.h"
#include "tmpdir_fixture.h"

static void test_read_file_refuses_special_files(void **state)
{
	(void)state;
	char *fifo = path_join(tmpdir, "fifo"), *reg = path_join(tmpdir, "reg"), *d = NULL;
	size_t n;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);   /* a blocking open would hang here */
	assert_int_equal(read_file(fifo, 100, &d, &n), -EINVAL);
	alarm(0);
	assert_int_equal(read_file("/dev/zero", 100, &d, &n), -EINVAL);
	assert_int_equal(read_file(tmpdir, 100, &d, &n), -EISDIR);
	assert_null(d);
	assert_int_equal(write_file_atomic(reg, "12345", 5, 0600), 0);
	assert_int_equal(read_file(reg, 4, &d, &n), -EFBIG);
	assert_int_equal(read_file(reg, 5, &d, &n), 0);
	assert_string_equal(d, "12345");
	free(d);
	free(reg);
	free(fifo);
}

static void test_read_file_takes_stdin_from_a_pipe(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "piped", 5), 5);
	close(p[1]);
	int saved = dup(STDIN_FILENO);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	char *d;
	size_t n;
	int r = read_file("-", 100, &d, &n);
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(p[0]);
	assert_int_equal(r, 0);
	assert_int_equal(n, 5);
	assert_string_equal(d, "piped");
	free(d);
}

/* A profile's paths are relative to the profile's directory. */
static void test_path_beside(void **state)
{
	(void)state;
	static const char *const c[][3] = {
		{ "profiles/site.yaml", "vendor/app.tar", "profiles/vendor/app.tar" },
		{ "/srv/site.yaml", "app.tar", "/srv/app.tar" },
		{ "site.yaml", "app.tar", "./app.tar" },
		{ "-", "app.tar", "./app.tar" },
		{ "profiles/site.yaml", "/abs/app.tar", "/abs/app.tar" },
		{ "/site.yaml", "../x", "/../x" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char *p = path_beside(c[i][0], c[i][1]);
		assert_string_equal(p, c[i][2]);
		free(p);
	}
}

/* rm_rf removes a tree, and through a symlink in it removes nothing else. */
static void test_rm_rf(void **state)
{
	(void)state;
	char *top = path_join(tmpdir, "tree"), *deep = path_join(top, "a/b"), *outside = path_join(tmpdir, "keep");
	char *f = path_join(deep, "f"), *k = path_join(outside, "k"), *link = path_join(top, "a/out");
	assert_int_equal(mkdir_p(deep, 0755), 0);
	assert_int_equal(mkdir_p(outside, 0755), 0);
	assert_int_equal(write_file_atomic(f, "x", 1, 0600), 0);
	assert_int_equal(write_file_atomic(k, "k", 1, 0600), 0);
	assert_int_equal(symlink(outside, link), 0);
	rm_rf(top);
	assert_int_equal(access(top, F_OK), -1);
	assert_int_equal(access(k, F_OK), 0);
	rm_rf(top);   /* gone already: nothing to do */
	free(top), free(deep), free(outside), free(f), free(k), free(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_file_refuses_special_files),
		cmocka_unit_test(test_read_file_takes_stdin_from_a_pipe),
		cmocka_unit_test(test_path_beside),
		cmocka_unit_test(test_rm_rf),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
