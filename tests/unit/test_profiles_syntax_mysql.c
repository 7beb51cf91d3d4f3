/* profiles/syntax_mysql.c: my.cnf option names and values (my_print_defaults
 * as the oracle for what mysqld reads) and SQL identifiers; and the my.cnf
 * renderer refusing what the loader would have refused. */
#include "tests/unit/syntax_cases.h"
#include "firstboot/role_mysql.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "profiles/syntax.h"
#include <errno.h>
#include <stdlib.h>

static void test_option(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_mycnf_option,
		     { "max_connections", NULL },
		     { "innodb-buffer-pool-size", NULL },
		     { "Max Conn", "must be a my.cnf option name" },
		     { "", "must be a my.cnf option name" },
		     { "-x", "must be a my.cnf option name" },
		     { "9x", "must be a my.cnf option name" },
		     { "!include", "must be a my.cnf option name" },
		     { "a=b", "must be a my.cnf option name" });
}

static void test_value(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_mycnf_value,
		     { "500", NULL },
		     { "6G", NULL },
		     { "", NULL },
		     { "STRICT_TRANS_TABLES,NO_ZERO_DATE", NULL },
		     { "SET NAMES utf8mb4", NULL },
		     { "x\n!include /tmp/evil.cnf", "must be one line without control characters" },
		     { "x\ry", "must be one line without control characters" },
		     { "1 # comment", "must not contain '#'" },
		     { "'quoted'", "must not contain quotes" },
		     { "a\"b", "must not contain quotes" },
		     { "C:\\new", "must not contain quotes or '\\'" },
		     { " 5", "must not begin or end with a space" },
		     { "5 ", "must not begin or end with a space" });
}

/* What mysqld reads for "opt = value": my_print_defaults prints it. Allowed
 * values read back exactly; each refused one would read as something else. */
static void test_value_with_my_print_defaults(void **state)
{
	(void)state;
	static const char *const values[] = { "500", "STRICT_TRANS_TABLES,NO_ZERO_DATE", "SET NAMES utf8mb4", "a;b=c",
					      "1 # comment", "'quoted'", "C:\\new", "5 " };
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		char *cnf = xasprintf("[mysqld]\nopt = %s\n", values[i]), *want = xasprintf("--opt=%s\n", values[i]), *got;
		int rc = oracle("my_print_defaults --help >/dev/null 2>&1", "t.cnf", cnf,
				"my_print_defaults --defaults-file=%s mysqld", &got);
		free(cnf);
		if (rc < 0) {
			free(want);
			return;
		}
		assert_int_equal(rc, 0);
		if (!syntax_mycnf_value(values[i]) != !strcmp(got, want))
			print_error("'%s': mysqld reads %s", values[i], got);
		assert_true(!syntax_mycnf_value(values[i]) == !strcmp(got, want));
		free(want);
		free(got);
	}
}

static void test_sql_identifier(void **state)
{
	(void)state;
	assert_null(syntax_sql_identifier("app_db1", 64));
	assert_null(syntax_sql_identifier("App", 32));
	assert_non_null(strstr(syntax_sql_identifier("my-db", 64), "1 to 64 characters from [A-Za-z0-9_]"));
	assert_non_null(strstr(syntax_sql_identifier("a b", 32), "1 to 32 characters from [A-Za-z0-9_]"));
	assert_non_null(syntax_sql_identifier("", 64));
	assert_non_null(syntax_sql_identifier("a`b", 64));
	assert_non_null(syntax_sql_identifier("a';DROP", 64));
	char name[66];
	memset(name, 'a', 65);
	name[65] = '\0';
	assert_non_null(syntax_sql_identifier(name, 64));
	name[64] = '\0';
	assert_null(syntax_sql_identifier(name, 64));
	name[33] = '\0';
	assert_non_null(syntax_sql_identifier(name, 32));
}

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

/* The second line of defence: a value that did not come through the loader. */
static void test_cnf_renderer_refuses(void **state)
{
	(void)state;
	static const char y[] = "kiln: 1\ndeployment: {name: t, domain: t.lan}\n"
				"subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
				"hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
				"roles:\n  mysql:\n    settings: {max_connections: \"500\"}\n";
	struct model m;
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", y, sizeof y - 1, NULL, &m, &d), 0);
	struct buf b;
	buf_init(&b);
	assert_int_equal(mysql_render_cnf(&m, &m.hosts[0], &b), 0);
	assert_non_null(strstr(b.data, "\nmax_connections = 500\n"));
	buf_free(&b);
	log_set_sink(quiet, NULL);
	free(m.roles.mysql.setting_values[0]);
	m.roles.mysql.setting_values[0] = xstrdup("500\n!include /tmp/evil.cnf");
	assert_int_equal(mysql_render_cnf(&m, &m.hosts[0], &b), -EINVAL);
	buf_free(&b);
	free(m.roles.mysql.setting_keys[0]);
	m.roles.mysql.setting_keys[0] = xstrdup("a b");
	free(m.roles.mysql.setting_values[0]);
	m.roles.mysql.setting_values[0] = xstrdup("1");
	assert_int_equal(mysql_render_cnf(&m, &m.hosts[0], &b), -EINVAL);
	log_set_sink(NULL, NULL);
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_value_with_my_print_defaults),
		cmocka_unit_test(test_sql_identifier),
		cmocka_unit_test(test_cnf_renderer_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
