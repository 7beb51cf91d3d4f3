/* firstboot/archive_drops.c: the day the archive is for, strictly (the rest
 * runs against journalctl and the stand-in in tests/cli/monitoring_exporters.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include "firstboot/archive_drops.h"

static void test_day(void **state)
{
	(void)state;
	int64_t t = 0;
	assert_int_equal(archive_day_parse("2023-11-14", &t), 0);
	assert_int_equal(t, 1699920000);
	assert_int_equal(archive_day_parse("1970-01-01", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(archive_day_parse("2024-02-29", &t), 0);
	static const char *const bad[] = { "2023-02-29", "2023-02-30", "2023-13-01", "2023-11-14x", "2023-1-14", "20231114",
					   "", "1969-12-31", "2023-11-14 ", " 2023-11-14", "2023/11/14" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		t = 42;
		assert_int_equal(archive_day_parse(bad[i], &t), -EINVAL);
		assert_int_equal(t, 42);
	}
	assert_int_equal(archive_day_parse(NULL, &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_day) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
