/* firstboot/role_mysql.c per suite: the my.cnf and the setup SQL for
 * MariaDB 10.11 (bookworm) and 11.8 (trixie). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "firstboot/role_mysql.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"

static const char *profile(const char *suite, const char *settings)
{
	static char text[2048];
	snprintf(text, sizeof text,
		 "kiln: 1\ndeployment: {name: t, domain: t.lan}\ndebian: {suite: %s}\n"
		 "subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		 "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
		 "  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		 "roles:\n  mysql: {database: shop, user: web%s%s}\n"
		 "  app: {service: {exec: /bin/true}}\n",
		 suite, settings ? ", settings: " : "", settings ? settings : "");
	return text;
}

static void load(const char *suite, const char *settings, struct model *m)
{
	struct diags d = { 0 };
	const char *t = profile(suite, settings);
	int r = profile_load_buffer("p.yaml", t, strlen(t), NULL, m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

static const char *secret(void *ud, const char *name)
{
	(void)ud;
	return !strcmp(name, "mysql_app_password") ? "pw" : NULL;
}

static void render(const char *suite, const char *settings, struct buf *cnf, struct buf *sql)
{
	struct model m;
	load(suite, settings, &m);
	const struct host *h = model_find_host(&m, "db1");
	buf_init(cnf);
	buf_init(sql);
	assert_int_equal(mysql_render_cnf(&m, h, cnf), 0);
	assert_int_equal(mysql_render_setup_sql(&m, h, secret, NULL, sql), 0);
	model_free(&m);
}

static void test_bookworm(void **state)
{
	(void)state;
	struct buf cnf, sql;
	render("bookworm", NULL, &cnf, &sql);
	assert_non_null(strstr(cnf.data, "# MariaDB 10.11 (Debian bookworm)\n[mysqld]\n"));
	assert_non_null(strstr(cnf.data, "\ncharacter_set_server = utf8mb4\ncollation_server = utf8mb4_unicode_ci\n"));
	assert_non_null(strstr(sql.data, "CREATE DATABASE IF NOT EXISTS `shop` CHARACTER SET `utf8mb4` "
					 "COLLATE `utf8mb4_unicode_ci`;\n"));
	assert_non_null(strstr(sql.data, "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n"));
	assert_non_null(strstr(sql.data, "CREATE USER IF NOT EXISTS 'web'@'10.0.0.20' IDENTIFIED BY 'pw';\n"));
	buf_free(&cnf);
	buf_wipe(&sql);
}

static void test_trixie(void **state)
{
	(void)state;
	struct buf cnf, sql;
	render("trixie", NULL, &cnf, &sql);
	assert_non_null(strstr(cnf.data, "# MariaDB 11.8 (Debian trixie)\n[mysqld]\n"));
	assert_non_null(strstr(cnf.data, "\ncollation_server = utf8mb4_uca1400_ai_ci\n"));
	assert_null(strstr(cnf.data, "unicode_ci"));
	assert_non_null(strstr(sql.data, "CREATE DATABASE IF NOT EXISTS `shop` CHARACTER SET `utf8mb4` "
					 "COLLATE `utf8mb4_uca1400_ai_ci`;\n"));
	/* The account SQL is the same on both: socket-only root, password users. */
	assert_non_null(strstr(sql.data, "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n"));
	assert_non_null(strstr(sql.data, "GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.0.20';\n"));
	buf_free(&cnf);
	buf_wipe(&sql);
	/* A collation the profile sets wins over the suite's, for the server
	 * and the database ('-' and '_' are the same in option names). */
	render("trixie", "{collation-server: utf8mb4_bin}", &cnf, &sql);
	assert_non_null(strstr(cnf.data, "\ncollation-server = utf8mb4_bin\n"));
	assert_null(strstr(cnf.data, "uca1400"));
	assert_non_null(strstr(sql.data, " CHARACTER SET `utf8mb4` COLLATE `utf8mb4_bin`;\n"));
	buf_free(&cnf);
	buf_wipe(&sql);
	/* Another character set without a collation: the server picks its default. */
	render("trixie", "{character_set_server: latin1}", &cnf, &sql);
	assert_non_null(strstr(sql.data, " CHARACTER SET `latin1`;\n"));
	assert_null(strstr(cnf.data, "collation_server"));
	buf_free(&cnf);
	buf_wipe(&sql);
	/* A value is quoted as an identifier in the SQL. */
	render("trixie", "{collation_server: \"x`; DROP DATABASE y; --\"}", &cnf, &sql);
	assert_non_null(strstr(sql.data, " COLLATE `x``; DROP DATABASE y; --`;\n"));
	buf_free(&cnf);
	buf_wipe(&sql);
}

static void test_releases(void **state)
{
	(void)state;
	assert_string_equal(mariadb_release_for("bookworm")->version, "10.11");
	assert_string_equal(mariadb_release_for("trixie")->version, "11.8");
	assert_null(mariadb_release_for("sid"));
	/* Every suite kiln builds has a MariaDB entry. */
	char *all = debian_suites_list(), *save = NULL;
	for (char *s = strtok_r(all, ", ", &save); s; s = strtok_r(NULL, ", ", &save))
		assert_non_null(mariadb_release_for(s));
	free(all);
	/* A model naming a suite without one (not from a valid profile) is refused. */
	struct model m;
	load("trixie", NULL, &m);
	free(m.debian.suite);
	m.debian.suite = xstrdup("sid");
	struct buf b;
	buf_init(&b);
	assert_int_equal(mysql_render_cnf(&m, model_find_host(&m, "db1"), &b), -EINVAL);
	assert_int_equal(mysql_render_setup_sql(&m, model_find_host(&m, "db1"), secret, NULL, &b), -EINVAL);
	buf_free(&b);
	model_free(&m);
}

/* backup: binary logs kept as long as the backups (keep_days), unless the
 * profile's settings say otherwise; without backup: nothing (the goldens). */
static void test_backup_binlog_expiry(void **state)
{
	(void)state;
	struct model m;
	struct diags d = { 0 };
	const char *yaml = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
			   "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
			   "  - {name: db2, role: mysql, subnet: a, address: 10.0.0.12, replica_of: db1}\n"
			   "  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n"
			   "backup: {keep_days: 3}\n";
	assert_int_equal(profile_load_buffer("p.yaml", yaml, strlen(yaml), NULL, &m, &d), 0);
	struct buf b;
	buf_init(&b);
	assert_int_equal(mysql_render_cnf(&m, model_find_host(&m, "db1"), &b), 0);
	assert_non_null(strstr(b.data, "\nbinlog_expire_logs_seconds = 259200\n"));
	buf_free(&b);
	assert_int_equal(mysql_render_cnf(&m, model_find_host(&m, "db2"), &b), 0);   /* a replica: no backups */
	assert_null(strstr(b.data, "expire"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
	const char *own = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
			  "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
			  "  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n"
			  "roles: {mysql: {settings: {expire_logs_days: 30}}}\nbackup: {}\n";
	assert_int_equal(profile_load_buffer("p.yaml", own, strlen(own), NULL, &m, &d), 0);
	assert_int_equal(mysql_render_cnf(&m, model_find_host(&m, "db1"), &b), 0);
	assert_non_null(strstr(b.data, "\nexpire_logs_days = 30\n"));
	assert_null(strstr(b.data, "binlog_expire_logs_seconds"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

/* With monitoring the exporter's account comes with the role's SQL on a
 * primary, not on a replica (replication brings it); a missing or bad
 * exporter password adds nothing (the monitoring step fails on it). */
static const char *mon_pw;

static const char *mon_secret(void *ud, const char *name)
{
	(void)ud;
	if (!strcmp(name, "mysql_app_password") || !strcmp(name, "mysql_replication_password"))
		return "pw";
	return !strcmp(name, "mysql_exporter_password") ? mon_pw : NULL;
}

static void test_exporter_account(void **state)
{
	(void)state;
	static const char p[] =
		"kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		"hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
		"  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db1}\n"
		"  - {name: s3, role: minio, subnet: a, address: 10.0.0.12}\n"
		"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		"roles:\n  mysql: {database: shop, user: web}\n  app: {service: {exec: /bin/true}}\n"
		"monitoring: {host: s3}\n";
	struct model m;
	struct diags d = { 0 };
	int r = profile_load_buffer("p.yaml", p, strlen(p), NULL, &m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
	static const char acct[] = "CREATE USER IF NOT EXISTS 'kiln_exporter'@'localhost' IDENTIFIED BY ";
	struct buf sql;
	mon_pw = "Abcdefghijklmnop0123456789_-xyzw";
	buf_init(&sql);
	assert_int_equal(mysql_render_setup_sql(&m, model_find_host(&m, "db1"), mon_secret, NULL, &sql), 0);
	const char *at = strstr(sql.data, acct);
	assert_non_null(at);
	assert_non_null(strstr(at, "GRANT PROCESS, SLAVE MONITOR ON *.* TO 'kiln_exporter'@'localhost';\n"));
	/* the session still ends with the privileges flushed */
	assert_int_equal(strcmp(sql.data + sql.len - strlen("FLUSH PRIVILEGES;\n"), "FLUSH PRIVILEGES;\n"), 0);
	buf_wipe(&sql);
	buf_init(&sql);
	assert_int_equal(mysql_render_setup_sql(&m, model_find_host(&m, "db2"), mon_secret, NULL, &sql), 0);
	assert_null(strstr(sql.data, "kiln_exporter"));
	buf_wipe(&sql);
	static const char *const bad[] = { NULL, "short", "has space in it 0123456789" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		mon_pw = bad[i];
		buf_init(&sql);
		assert_int_equal(mysql_render_setup_sql(&m, model_find_host(&m, "db1"), mon_secret, NULL, &sql), 0);
		assert_null(strstr(sql.data, "kiln_exporter"));
		buf_wipe(&sql);
	}
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bookworm),
		cmocka_unit_test(test_trixie),
		cmocka_unit_test(test_releases),
		cmocka_unit_test(test_backup_binlog_expiry),
		cmocka_unit_test(test_exporter_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
