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

/* What mysqld would read for "name = value": my_print_defaults prints it. */
static char *mysqld_reads(const char *dir, const char *value)
{
	char *cnf = xasprintf("%s/t.cnf", dir), *out = xasprintf("%s/out", dir);
	char *text = xasprintf("[mysqld]\nopt = %s\n", value);
	assert_int_equal(write_file_atomic(cnf, text, strlen(text), 0644), 0);
	char *cmd = xasprintf("my_print_defaults --defaults-file=%s mysqld >%s 2>&1", cnf, out);
	assert_int_equal(system(cmd), 0);
	char *got;
	assert_int_equal(read_file(out, 4096, &got, NULL), 0);
	got[strcspn(got, "\n")] = '\0';
	free(cnf);
	free(out);
	free(text);
	free(cmd);
	return got;
}

static void test_value_with_my_print_defaults(void **state)
{
	(void)state;
	if (system("my_print_defaults --help >/dev/null 2>&1") != 0) {
		print_message("my_print_defaults not installed: skipped\n");
		return;
	}
	char dir[] = "/tmp/kiln-mycnf-XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* Allowed: read back exactly. */
	static const char *const good[] = { "500", "STRICT_TRANS_TABLES,NO_ZERO_DATE", "SET NAMES utf8mb4", "a;b=c" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		assert_null(syntax_mycnf_value(good[i]));
		char *want = xasprintf("--opt=%s", good[i]), *got = mysqld_reads(dir, good[i]);
		assert_string_equal(got, want);
		free(want);
		free(got);
	}
	/* Refused: mysqld would read something else than the profile says. */
	static const char *const bad[] = { "1 # comment", "'quoted'", "C:\\new", "5 " };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_non_null(syntax_mycnf_value(bad[i]));
		char *want = xasprintf("--opt=%s", bad[i]), *got = mysqld_reads(dir, bad[i]);
		assert_string_not_equal(got, want);
		free(want);
		free(got);
	}
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
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
	assert_int_equal(profile_load_buffer("p.yaml", y, sizeof y - 1, &m, &d), 0);
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
