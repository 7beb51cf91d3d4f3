/* lib/cleanup.h: what each attribute releases at the end of a scope, and
 * that TAKE_PTR / TAKE_FD hand ownership out instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include "lib/cleanup.h"

static int open_null(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

static void test_close(void **state)
{
	(void)state;
	int seen;
	{
		_cleanup_close_ int fd = open_null();
		seen = fd;
		assert_true(fd_open(seen));
	}
	assert_false(fd_open(seen));
	{
		_cleanup_close_ int none = -1;   /* nothing to close: no error, no crash */
		(void)none;
	}
}

static int keep_fd(void)
{
	_cleanup_close_ int fd = open_null();
	return TAKE_FD(fd);
}

static void test_take_fd(void **state)
{
	(void)state;
	int fd = keep_fd();
	assert_true(fd_open(fd));
	close(fd);
}

static char *keep_ptr(char **left)
{
	_cleanup_free_ char *p = strdup("kept");
	char *q = TAKE_PTR(p);
	*left = p;
	return q;
}

static void test_take_ptr(void **state)
{
	(void)state;
	char *left = (char *)1;
	char *p = keep_ptr(&left);
	assert_null(left);            /* TAKE_PTR leaves NULL: freep frees nothing */
	assert_string_equal(p, "kept");
	free(p);                      /* still ours: ASan reports a double free otherwise */
}

static void test_fclose_and_erase(void **state)
{
	(void)state;
	int seen;
	{
		_cleanup_fclose_ FILE *f = fopen("/dev/null", "re");
		assert_non_null(f);
		seen = fileno(f);
		_cleanup_erase_ char *secret = strdup("hunter2");
		_cleanup_erase_ char *none = NULL;
		(void)secret;
		(void)none;
	}
	assert_false(fd_open(seen));  /* the stream and its descriptor are closed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_take_fd),
		cmocka_unit_test(test_take_ptr),
		cmocka_unit_test(test_fclose_and_erase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
