/* lib/parse_num.c: the one strict integer parser (options, environment,
 * recipe modes, profile integers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "lib/log.h"
#include "lib/parse_num.h"

static void test_accepts(void **state)
{
	(void)state;
	uint64_t v = 7;
	assert_int_equal(parse_u64("0", 10, 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("010", 10, 0, 100, &v), 0);   /* leading zeros: still decimal */
	assert_int_equal(v, 10);
	assert_int_equal(parse_u64("18446744073709551615", 10, 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("0644", 8, 0, 07777, &v), 0);
	assert_int_equal(v, 0644);
	assert_int_equal(parse_u64("fF", 16, 0, 255, &v), 0);
	assert_int_equal(v, 255);
	unsigned u = 0;
	assert_int_equal(parse_uint("256", 1, 256, &u), 0);
	assert_int_equal(u, 256);
}

static void test_refuses(void **state)
{
	(void)state;
	static const char *const not_numbers[] = { "", " 1", "1 ", "+1", "-1", "1x", "0x10", "1.0", "1e3", "１",
						   "99999999999999999999x", "\n1", "1\n" };
	for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++) {
		uint64_t v = 42;
		if (parse_u64(not_numbers[i], 10, 0, UINT64_MAX, &v) != -EINVAL)
			fail_msg("'%s' was taken as a number", not_numbers[i]);
		assert_int_equal(v, 42);   /* untouched */
	}
	uint64_t v = 42;
	assert_int_equal(parse_u64(NULL, 10, 0, 1, &v), -EINVAL);
	assert_int_equal(parse_u64("18446744073709551616", 10, 0, UINT64_MAX, &v), -ERANGE);   /* 2^64 */
	assert_int_equal(parse_u64("99999999999999999999999999", 10, 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("0", 10, 1, 256, &v), -ERANGE);
	assert_int_equal(parse_u64("257", 10, 1, 256, &v), -ERANGE);
	assert_int_equal(parse_u64("8", 8, 0, 07777, &v), -EINVAL);
	assert_int_equal(parse_u64("10000", 8, 0, 07777, &v), -ERANGE);
	assert_int_equal(parse_u64("1", 2, 0, 1, &v), -EINVAL);   /* unsupported base */
	assert_int_equal(v, 42);
	unsigned u = 9;
	assert_int_equal(parse_uint("4294967296", 0, UINT32_MAX, &u), -ERANGE);   /* does not wrap to 0 */
	assert_int_equal(u, 9);
}

static char logged[256];
static void capture(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl;
	(void)ud;
	strncpy(logged, msg, sizeof logged - 1);
}

static void test_option_message(void **state)
{
	(void)state;
	log_set_sink(capture, NULL);
	unsigned u = 3;
	assert_int_equal(option_uint("--threads", "2x", 1, 256, &u), -EINVAL);
	assert_string_equal(logged, "--threads wants a number from 1 to 256, not '2x'");
	assert_int_equal(u, 3);
	assert_int_equal(option_uint("--threads", "", 1, 256, &u), -EINVAL);
	assert_string_equal(logged, "--threads wants a number from 1 to 256, not ''");
	uint64_t v = 0;
	assert_int_equal(option_u64("--version", "-1", 0, UINT64_MAX, &v), -EINVAL);
	assert_string_equal(logged, "--version wants a number from 0 to 18446744073709551615, not '-1'");
	logged[0] = '\0';
	assert_int_equal(option_uint("--jobs", "64", 1, 64, &u), 0);
	assert_int_equal(u, 64);
	assert_string_equal(logged, "");   /* nothing said on success */
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_option_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
