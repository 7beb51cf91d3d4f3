/* profiles/syntax_ovf.c: the port group name in the OVF descriptor and in
 * the README's ovftool command line. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"

static void test_network(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_ovf_network,
		     { "VM Network", NULL },
		     { "dvPortGroup-Prod (VLAN 40)/a", NULL },
		     { "x", NULL },
		     { "12345678901234567890123456789012345678901234567890123456789012345678901234567890", NULL },
		     { "123456789012345678901234567890123456789012345678901234567890123456789012345678901",
		       "must be a vSphere port group name" },
		     { "", "must be a vSphere port group name" },
		     { " VM Network", "must be a vSphere port group name" },
		     { "VM Network ", "must be a vSphere port group name" },
		     { "VM \"Net\"", "must be a vSphere port group name" },
		     { "VM Network$(id)", "must be a vSphere port group name" },
		     { "VM`id`", "must be a vSphere port group name" },
		     { "a\\b", "must be a vSphere port group name" },
		     { "a=b", "must be a vSphere port group name" },
		     { "VM\nNetwork", "must be a vSphere port group name" },
		     { "caf\xc3\xa9", "must be a vSphere port group name" });
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_network) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
