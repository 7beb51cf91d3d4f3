/* lib/appliance.h: the role names, and the agent's unit files agreeing with
 * the contract kiln builds images by (paths, binary, [Install] targets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/appliance.h"
#include "lib/fileio.h"

static void test_roles(void **state)
{
	(void)state;
	for (int r = 0; r < ROLE__COUNT; r++)
		assert_int_equal(role_from_name(role_name((enum role)r)), r);
	assert_string_equal(role_name(ROLE_MYSQL), "mysql");
	assert_string_equal(role_name(ROLE__COUNT), "?");
	assert_int_equal(role_from_name("postgres"), -EINVAL);
	assert_int_equal(role_from_name("App"), -EINVAL);
	assert_int_equal(role_from_name(NULL), -EINVAL);
}

/* The line "key=value" must be in the unit file. */
static void assert_line(const char *text, const char *key, const char *value)
{
	char line[256];
	snprintf(line, sizeof line, "\n%s=%s", key, value);
	if (!strstr(text, line))
		fail_msg("missing '%s=%s'", key, value);
}

static void test_units_match_the_contract(void **state)
{
	(void)state;
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		char path[128], *text;
		size_t len;
		snprintf(path, sizeof path, "firstboot/units/%s", kiln_units[i].name);
		assert_int_equal(read_file(path, 1 << 16, &text, &len), 0);
		assert_line(text, "ConditionPathExists", KILN_ROLE_KEY);
		char exec[64];
		snprintf(exec, sizeof exec, "%s run --stage %s", KILN_FIRSTBOOT_BIN, i == 0 ? "early" : "late");
		assert_line(text, "ExecStart", exec);
		assert_line(text, "WantedBy", kiln_units[i].wanted_by);
		free(text);
	}
	assert_string_equal(kiln_units[0].name, KILN_UNIT_EARLY);
	assert_string_equal(kiln_units[1].name, KILN_UNIT_LATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_units_match_the_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
