/* lib/numparse: strict numbers for options, the environment, recipe modes
 * and fields read back; kiln's option errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "lib/log.h"
#include "lib/numparse.h"

static void test_accepts_plain_decimals_in_range(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(parse_u64("900", 1, 86400, &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(parse_u64("1", 1, 1, &v), 0);
	assert_int_equal(parse_u64("0900", 1, 86400, &v), 0);   /* decimal, not octal */
	assert_int_equal(v, 900);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_refuses_what_strtoul_would_take(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "abc", "-1", "+5", " 5", "5 ", "5s", "0x10", "1e3", "1.5", "\t7", "7\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		uint64_t v = 42;
		assert_int_equal(parse_u64(bad[i], 0, UINT64_MAX, &v), -EINVAL);
		assert_int_equal(v, 42);   /* untouched */
	}
	uint64_t v;
	assert_int_equal(parse_u64(NULL, 0, 1, &v), -EINVAL);
}

static void test_range_and_overflow(void **state)
{
	(void)state;
	uint64_t v = 42;
	assert_int_equal(parse_u64("0", 1, 86400, &v), -ERANGE);
	assert_int_equal(parse_u64("86401", 1, 86400, &v), -ERANGE);
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999x", 0, UINT64_MAX, &v), -EINVAL);   /* garbage wins */
	assert_int_equal(v, 42);
}

static void test_other_bases(void **state)
{
	(void)state;
	uint64_t v = 42;
	assert_int_equal(parse_u64_base("0644", 8, 0, 07777, &v), 0);
	assert_int_equal(v, 0644);
	assert_int_equal(parse_u64_base("fF", 16, 0, 255, &v), 0);
	assert_int_equal(v, 255);
	v = 42;
	assert_int_equal(parse_u64_base("8", 8, 0, 07777, &v), -EINVAL);
	assert_int_equal(parse_u64_base("+644", 8, 0, 07777, &v), -EINVAL);
	assert_int_equal(parse_u64_base(" 644", 8, 0, 07777, &v), -EINVAL);
	assert_int_equal(parse_u64_base("10000", 8, 0, 07777, &v), -ERANGE);
	assert_int_equal(parse_u64_base("1", 2, 0, 1, &v), -EINVAL);   /* unsupported base */
	assert_int_equal(v, 42);
}

static char logged[256];
static void capture(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl;
	(void)ud;
	strncpy(logged, msg, sizeof logged - 1);
}

static void test_option_errors(void **state)
{
	(void)state;
	log_set_sink(capture, NULL);
	unsigned u = 3;
	assert_int_equal(option_uint("--threads", "2x", 1, 256, &u), -EINVAL);
	assert_string_equal(logged, "--threads wants a number from 1 to 256, not '2x'");
	assert_int_equal(option_uint("--threads", "", 1, 256, &u), -EINVAL);
	assert_string_equal(logged, "--threads wants a number from 1 to 256, not ''");
	assert_int_equal(option_uint("--jobs", "4294967297", 1, 64, &u), -EINVAL);   /* no wrap to 1 */
	assert_int_equal(u, 3);
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
		cmocka_unit_test(test_accepts_plain_decimals_in_range),
		cmocka_unit_test(test_refuses_what_strtoul_would_take),
		cmocka_unit_test(test_range_and_overflow),
		cmocka_unit_test(test_other_bases),
		cmocka_unit_test(test_option_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
