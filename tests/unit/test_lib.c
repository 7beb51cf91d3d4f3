/* lib/: buffers, file helpers, logging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"

static void test_buf_printf_grows(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_memory_equal(b.data, "0,1,2,", 6);
	buf_u32le(&b, 0x01020304);
	assert_int_equal((unsigned char)b.data[b.len - 4], 4);
	buf_wipe(&b);
	assert_null(b.data);
}

static void test_buf_put_markup(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_put_markup(&b, "a<b>&\"c'd\xc3\xa9");
	buf_put_markup(&b, NULL);
	buf_putc(&b, '\0');
	assert_string_equal(b.data, "a&lt;b&gt;&amp;&quot;c&apos;d\xc3\xa9");
	buf_free(&b);
}

static char tmpdir[] = "/tmp/kiln-unit-XXXXXX";

static void test_atomic_write_and_read(void **state)
{
	(void)state;
	char *p = path_join(tmpdir, "f");
	assert_int_equal(write_file_atomic(p, "hello", 5, 0600), 0);
	char *d;
	size_t n;
	assert_int_equal(read_file(p, 100, &d, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(d, "hello");
	free(d);
	assert_int_equal(read_file(p, 4, &d, &n), -EFBIG);
	assert_int_equal(check_private(p, 0), 0);
	chmod(p, 0644);
	assert_int_equal(check_private(p, 0), -EPERM);
	assert_int_equal(read_file("/nonexistent/x", 10, &d, &n), -ENOENT);
	free(p);
}

static void test_mkdir_p(void **state)
{
	(void)state;
	char *p = path_join(tmpdir, "a/b/c");
	assert_int_equal(mkdir_p(p, 0700), 0);
	assert_int_equal(mkdir_p(p, 0700), 0);
	assert_int_equal(check_private(p, 1), 0);
	char *f = path_join(tmpdir, "f");
	assert_int_equal(mkdir_p(f, 0700), -ENOTDIR);
	free(p);
	free(f);
}

static char last[256];
static void capture(enum log_level l, const char *msg, void *u)
{
	(void)l;
	(void)u;
	snprintf(last, sizeof last, "%s", msg);
}

static void test_log_errno(void **state)
{
	(void)state;
	log_set_sink(capture, NULL);
	assert_int_equal(log_error_errno(-ENOENT, "open %s", "x"), -ENOENT);
	assert_string_equal(last, "open x: No such file or directory");
	assert_int_equal(log_error_errno(EACCES, "y"), -EACCES);
	log_set_sink(NULL, NULL);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_printf_grows),
		cmocka_unit_test(test_buf_put_markup),
		cmocka_unit_test(test_atomic_write_and_read),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_log_errno),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
