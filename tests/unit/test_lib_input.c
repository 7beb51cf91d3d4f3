/* lib/input: files opened without blocking, checked for type and size
 * before anything is read. Every refusal is tried on a real object of that
 * type; a FIFO must be refused, never waited on (an alarm fails the test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/xalloc.h"
#include "tmpdir_fixture.h"

static char *put(const char *name, const char *text, mode_t mode)
{
	char *p = path_join(tmpdir, name);
	assert_int_equal(write_file_atomic(p, text, strlen(text), mode), 0);
	return p;
}

static void test_reads_a_regular_file(void **state)
{
	(void)state;
	char *p = put("ok", "acme\n", 0644), *d;
	size_t n;
	assert_int_equal(read_input(p, INPUT_NOFOLLOW, 5, &d, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(d, "acme\n");
	free(d);
	assert_int_equal(read_input(p, 0, 4, &d, &n), -EFBIG);   /* size checked before reading */
	int fd = open_input(p, 0, 5);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);    /* blocking mode restored */
	close(fd);
	free(p);
}

static void test_refuses_what_is_not_a_regular_file(void **state)
{
	(void)state;
	char *d;
	size_t n;
	char *fifo = path_join(tmpdir, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);   /* a blocking open or read would hang here */
	assert_int_equal(read_input(fifo, 0, 100, &d, &n), -EINVAL);
	assert_int_equal(open_input(fifo, INPUT_BLOCKDEV, 100), -EINVAL);
	alarm(0);
	assert_int_equal(read_input(tmpdir, 0, 100, &d, &n), -EISDIR);
	assert_int_equal(read_input("/dev/null", 0, 100, &d, &n), -EINVAL);      /* character device */
	assert_int_equal(read_input(fifo, 0, 100, &d, &n), -EINVAL);
	char *missing = path_join(tmpdir, "missing");
	assert_int_equal(read_input(missing, 0, 100, &d, &n), -ENOENT);
	free(missing);
	free(fifo);
}

static void test_symlinks_refused_only_when_asked(void **state)
{
	(void)state;
	char *target = put("target", "x", 0600), *link = path_join(tmpdir, "link"), *d;
	size_t n;
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(read_input(link, INPUT_NOFOLLOW, 10, &d, &n), -ELOOP);
	assert_int_equal(read_input(link, 0, 10, &d, &n), 0);
	assert_string_equal(d, "x");
	free(d);
	free(target);
	free(link);
}

static void test_private_means_ours_and_no_access_for_others(void **state)
{
	(void)state;
	char *p = put("key", "secret", 0600), *d;
	size_t n;
	assert_int_equal(read_input(p, INPUT_PRIVATE, 10, &d, &n), 0);
	free(d);
	static const mode_t open_to_others[] = { 0640, 0620, 0604, 0602, 0660 };
	for (size_t i = 0; i < sizeof open_to_others / sizeof *open_to_others; i++) {
		assert_int_equal(chmod(p, open_to_others[i]), 0);
		assert_int_equal(read_input(p, INPUT_PRIVATE, 10, &d, &n), -EPERM);
	}
	free(p);
}

static void test_files_whose_size_lies_are_read_to_the_end_within_max(void **state)
{
	(void)state;
	/* /proc reports size 0: read until end of file, never past max. */
	char *d;
	size_t n;
	assert_int_equal(read_input("/proc/self/mountinfo", 0, 4u << 20, &d, &n), 0);
	assert_true(n > 0);
	assert_int_equal(strlen(d), n);
	free(d);
	assert_int_equal(read_input("/proc/self/mountinfo", 0, 8, &d, &n), -EFBIG);
}

static void test_refusals_are_worded(void **state)
{
	(void)state;
	assert_string_equal(input_strerror(-EISDIR), "is a directory, not a regular file");
	assert_string_equal(input_strerror(-ENOENT), "is missing");
	assert_non_null(strstr(input_strerror(-EINVAL), "not a regular file"));
	assert_non_null(strstr(input_strerror(-ELOOP), "symbolic link"));
	assert_non_null(strstr(input_strerror(-EACCES), "cannot be read (Permission denied)"));
}

/* An output may not be its input: by name, through a symlink or a hard link. */
static void test_output_is_input(void **state)
{
	(void)state;
	char *in = put("in", "x", 0600), *other = put("other", "x", 0600);
	char *sym = path_join(tmpdir, "sym"), *hard = path_join(tmpdir, "hard"), *missing = path_join(tmpdir, "missing");
	char *dotted = xasprintf("%s/./in", tmpdir), *below = xasprintf("%s/x", in);
	assert_int_equal(symlink(in, sym), 0);
	assert_int_equal(link(in, hard), 0);
	struct stat st;
	assert_int_equal(stat(in, &st), 0);
	assert_int_equal(output_is_input(in, &st), 1);
	assert_int_equal(output_is_input(dotted, &st), 1);
	assert_int_equal(output_is_input(sym, &st), 1);
	assert_int_equal(output_is_input(hard, &st), 1);
	assert_int_equal(output_is_input(other, &st), 0);
	assert_int_equal(output_is_input(missing, &st), 0);      /* not written yet */
	assert_int_equal(output_is_input(below, &st), -ENOTDIR);  /* cannot be examined */
	free(in);
	free(other);
	free(sym);
	free(hard);
	free(missing);
	free(dotted);
	free(below);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_a_regular_file),
		cmocka_unit_test(test_refuses_what_is_not_a_regular_file),
		cmocka_unit_test(test_symlinks_refused_only_when_asked),
		cmocka_unit_test(test_private_means_ours_and_no_access_for_others),
		cmocka_unit_test(test_files_whose_size_lies_are_read_to_the_end_within_max),
		cmocka_unit_test(test_refusals_are_worded),
		cmocka_unit_test(test_output_is_input),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
