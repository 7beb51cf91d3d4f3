/* lib/numparse: strict decimal numbers for options and fields read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_plain_decimals_in_range),
		cmocka_unit_test(test_refuses_what_strtoul_would_take),
		cmocka_unit_test(test_range_and_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
