/* profiles/syntax_env.c: names and values of the app's environment file. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"

static void test_name(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_env_name,
		     { "DATABASE_URL", NULL },
		     { "_x1", NULL },
		     { "a", NULL },
		     { "1BAD", "must be an environment variable name" },
		     { "", "must be an environment variable name" },
		     { "A-B", "must be an environment variable name" },
		     { "A=B", "must be an environment variable name" },
		     { "A B", "must be an environment variable name" },
		     { "A\nB", "must be an environment variable name" });
}

static void test_value(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_env_value,
		     { "mysql://${mysql.user}:${secret.mysql_app_password}@${host.db1}/app", NULL },
		     { "", NULL },
		     { "with \"quotes\", 'apostrophes', $$ and \\ backslash", NULL },
		     { "caf\xc3\xa9", NULL },
		     { "prod\rLD_PRELOAD=/tmp/evil.so", "must be one line without control characters" },
		     { "a\nB=c", "must be one line without control characters" },
		     { "a\tb", "must be one line without control characters" },
		     { "a\x1b[2Jb", "must be one line without control characters" });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
