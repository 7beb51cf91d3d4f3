/* firstboot/role_mysql.c in both dialects of roles.mysql.engine: MariaDB's
 * my.cnf, setup and replication SQL byte for byte as before the engine
 * existed (tests/unit/mysql_mariadb_golden.h), MySQL 8.4's exact texts, the
 * initialisation command of each, and the engine's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "firstboot/mysql_replica.h"
#include "firstboot/role_mysql.h"
#include "profiles/mysql_engine.h"
#include "profiles/profile.h"
#include "tests/unit/mysql_mariadb_golden.h"

/* A primary (db1), a static replica (db2), a DHCP replica (db3), a static
 * and a DHCP app host; TLS and one setting. engine NULL: the default. */
static int load(const char *suite, const char *engine, struct model *m, struct diags *d)
{
	char text[4096];
	snprintf(text, sizeof text,
		 "kiln: 1\ndeployment: {name: t, domain: t.lan}\ndebian: {suite: %s}\n"
		 "subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n  - {name: b, cidr: 10.0.1.0/24}\n"
		 "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
		 "  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db1}\n"
		 "  - {name: db3, role: mysql, subnet: b, address: dhcp, replica_of: db1}\n"
		 "  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		 "  - {name: app2, role: app, subnet: b, address: dhcp}\n"
		 "roles:\n  mysql: {%s%s%sdatabase: shop, user: web, tls: true, settings: {max_connections: '200'}}\n"
		 "  app: {service: {exec: /bin/true}}\n",
		 suite, engine ? "engine: " : "", engine ? engine : "", engine ? ", " : "");
	memset(d, 0, sizeof *d);
	return profile_load_buffer("p.yaml", text, strlen(text), NULL, m, d);
}

static void must_load(int r, struct diags *d)
{
	if (r < 0)
		diags_print(d, stderr);
	diags_free(d);
	assert_int_equal(r, 0);
}

static void load_ok(const char *suite, const char *engine, struct model *m)
{
	struct diags d;
	must_load(load(suite, engine, m, &d), &d);
}

static void load_text(const char *text, struct model *m)
{
	struct diags d = { 0 };
	must_load(profile_load_buffer("p.yaml", text, strlen(text), NULL, m, &d), &d);
}

static const char *secret(void *ud, const char *name)
{
	(void)ud;
	if (!strcmp(name, "mysql_app_password"))
		return "p'w\\x";
	return !strcmp(name, "mysql_replication_password") ? "rpw" : NULL;
}

struct texts {
	struct buf cnf, sql, repl;
};

static void render(const struct model *m, const char *host, struct texts *t)
{
	const struct host *h = model_find_host(m, host);
	assert_non_null(h);
	buf_init(&t->cnf);
	buf_init(&t->sql);
	buf_init(&t->repl);
	assert_int_equal(mysql_render_cnf(m, h, &t->cnf), 0);
	assert_int_equal(mysql_render_setup_sql(m, h, secret, NULL, &t->sql), 0);
	/* what mysql_replica_setup sends before and after the bootstrap copy */
	if (h->replica_of) {
		mysql_replica_change_sql(m, h, "rpw", NULL, 0, &t->repl);
		buf_puts(&t->repl, m->roles.mysql.engine == MYSQL_ENGINE_MYSQL ? "START REPLICA;\n" : "START SLAVE;\n");
	}
}

static void texts_free(struct texts *t)
{
	buf_free(&t->cnf);
	buf_wipe(&t->sql);
	buf_wipe(&t->repl);
}

static void check_mariadb(const char *suite, const char *engine, const char *const golden[5])
{
	struct model m;
	struct texts p, r;
	load_ok(suite, engine, &m);
	assert_int_equal(m.roles.mysql.engine, MYSQL_ENGINE_MARIADB);
	render(&m, "db1", &p);
	render(&m, "db2", &r);
	assert_string_equal(p.cnf.data, golden[0]);
	assert_string_equal(p.sql.data, golden[1]);
	assert_string_equal(r.cnf.data, golden[2]);
	assert_string_equal(r.sql.data, golden[3]);
	assert_string_equal(r.repl.data, golden[4]);
	texts_free(&p);
	texts_free(&r);
	model_free(&m);
}

/* Unchanged, whether the profile names the engine or not. */
static void test_mariadb_unchanged(void **state)
{
	(void)state;
	const char *const bookworm[] = { mariadb_bookworm_db1_cnf, mariadb_bookworm_db1_sql, mariadb_bookworm_db2_cnf,
					 mariadb_bookworm_db2_sql, mariadb_bookworm_db2_repl };
	const char *const trixie[] = { mariadb_trixie_db1_cnf, mariadb_trixie_db1_sql, mariadb_trixie_db2_cnf,
				       mariadb_trixie_db2_sql, mariadb_trixie_db2_repl };
	check_mariadb("bookworm", NULL, bookworm);
	check_mariadb("bookworm", "mariadb", bookworm);
	check_mariadb("trixie", NULL, trixie);
	check_mariadb("trixie", "mariadb", trixie);
}

static void test_mysql_primary(void **state)
{
	(void)state;
	struct model m;
	struct texts t;
	load_ok("bookworm", "mysql", &m);
	render(&m, "db1", &t);
	assert_string_equal(t.cnf.data,
		"# Written by kiln-firstboot from the deployment profile; local edits are overwritten.\n"
		"# MySQL 8.4 (Oracle's packages, Debian bookworm)\n"
		"[mysqld]\n"
		"bind-address = 10.0.0.10\n"
		"port = 3306\n"
		"skip-name-resolve\n"
		"server-id = 2469777661\n"
		"log-bin = mysql-bin\n"
		"gtid_mode = ON\n"
		"enforce_gtid_consistency = ON\n"
		"plugin-load-add = auth_socket.so\n"
		"character_set_server = utf8mb4\n"
		"collation_server = utf8mb4_0900_ai_ci\n"
		"max_connections = 200\n"
		"ssl_cert = /etc/kiln/tls/mysql.crt\n"
		"ssl_key = /etc/kiln/tls/mysql.key\n"
		"ssl_ca = /etc/kiln/tls/ca.crt\n"
		"require_secure_transport = ON\n");
	assert_string_equal(t.sql.data,
		"-- kiln: database, users and grants (idempotent)\n"
		"ALTER USER 'root'@'localhost' IDENTIFIED WITH auth_socket;\n"
		"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
		"DROP DATABASE IF EXISTS test;\n"
		"CREATE DATABASE IF NOT EXISTS `shop` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_0900_ai_ci`;\n"
		"CREATE USER IF NOT EXISTS 'web'@'10.0.0.20' IDENTIFIED BY 'p\\'w\\\\x';\n"
		"ALTER USER 'web'@'10.0.0.20' IDENTIFIED BY 'p\\'w\\\\x';\n"
		"GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.0.20';\n"
		"CREATE USER IF NOT EXISTS 'web'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'p\\'w\\\\x';\n"
		"ALTER USER 'web'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'p\\'w\\\\x';\n"
		"GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.1.0/255.255.255.0';\n"
		"CREATE USER IF NOT EXISTS 'kiln_repl'@'10.0.0.11' IDENTIFIED BY 'rpw';\n"
		"ALTER USER 'kiln_repl'@'10.0.0.11' IDENTIFIED BY 'rpw';\n"
		"GRANT REPLICATION SLAVE ON *.* TO 'kiln_repl'@'10.0.0.11';\n"
		"CREATE USER IF NOT EXISTS 'kiln_repl'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'rpw';\n"
		"ALTER USER 'kiln_repl'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'rpw';\n"
		"GRANT REPLICATION SLAVE ON *.* TO 'kiln_repl'@'10.0.1.0/255.255.255.0';\n"
		"FLUSH PRIVILEGES;\n");
	/* No GRANT ... IDENTIFIED BY (MySQL 8 refuses it): users are created first. */
	assert_null(strstr(t.sql.data, "GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.0.20' IDENTIFIED"));
	texts_free(&t);
	/* The same MySQL on trixie: only the header names the suite. */
	struct model m2;
	struct texts t2;
	load_ok("trixie", "mysql", &m2);
	render(&m2, "db1", &t2);
	assert_non_null(strstr(t2.cnf.data, "# MySQL 8.4 (Oracle's packages, Debian trixie)\n"));
	assert_non_null(strstr(t2.cnf.data, "collation_server = utf8mb4_0900_ai_ci\n"));
	texts_free(&t2);
	model_free(&m2);
	model_free(&m);
}

static void test_mysql_replicas(void **state)
{
	(void)state;
	struct model m;
	struct texts t;
	load_ok("trixie", "mysql", &m);
	render(&m, "db2", &t);
	assert_non_null(strstr(t.cnf.data, "server-id = 4093859897\n"));   /* the name's, as MariaDB's */
	assert_non_null(strstr(t.cnf.data, "\nread_only = ON\nsuper_read_only = ON\nrelay-log = relay-bin\n"));
	assert_string_equal(t.sql.data,
		"-- kiln: database, users and grants (idempotent)\n"
		"SET SESSION sql_log_bin=0;\n"
		"ALTER USER 'root'@'localhost' IDENTIFIED WITH auth_socket;\n"
		"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
		"DROP DATABASE IF EXISTS test;\n"
		"FLUSH PRIVILEGES;\n");
	assert_string_equal(t.repl.data,
		"STOP REPLICA;\n"
		"CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.10', SOURCE_PORT=3306, SOURCE_USER='kiln_repl', "
		"SOURCE_PASSWORD='rpw', SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=10, SOURCE_SSL=1;\n"
		"START REPLICA;\n");
	assert_null(strstr(t.repl.data, "MASTER"));
	texts_free(&t);
	/* A missing password is an empty one, quoted (the setup SQL refused a
	 * seed without it already on the primary). */
	struct buf b;
	buf_init(&b);
	mysql_replica_change_sql(&m, model_find_host(&m, "db3"), NULL, NULL, 0, &b);
	assert_non_null(strstr(b.data, "SOURCE_PASSWORD='',"));
	buf_free(&b);
	model_free(&m);
}

/* A replica of a DHCP primary names it by FQDN, in both dialects. */
static void test_dhcp_primary(void **state)
{
	(void)state;
	static const char text[] =
		"kiln: 1\ndeployment: {name: t, domain: t.lan}\ndebian: {suite: trixie}\n"
		"subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		"hosts:\n  - {name: db1, role: mysql, subnet: a, address: dhcp}\n"
		"  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db1}\n"
		"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		"roles:\n  mysql: {engine: %s}\n  app: {service: {exec: /bin/true}}\n";
	for (int my = 0; my < 2; my++) {
		char p[1024];
		snprintf(p, sizeof p, text, my ? "mysql" : "mariadb");
		struct model m;
		load_text(p, &m);
		struct buf b;
		buf_init(&b);
		mysql_replica_change_sql(&m, model_find_host(&m, "db2"), "x", NULL, 0, &b);
		assert_non_null(strstr(b.data, my ? "SOURCE_HOST='db1.t.lan'," : "MASTER_HOST='db1.t.lan',"));
		buf_free(&b);
		model_free(&m);
	}
}

/* The profile's settings still win over kiln's defaults in MySQL's file. */
static void test_mysql_settings(void **state)
{
	(void)state;
	static const char text[] =
		"kiln: 1\ndeployment: {name: t, domain: t.lan}\ndebian: {suite: bookworm}\n"
		"subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		"hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
		"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		"roles:\n  mysql: {engine: mysql, settings: {gtid-mode: 'ON_PERMISSIVE', collation_server: utf8mb4_bin,"
		" binlog_format: MIXED}}\n  app: {service: {exec: /bin/true}}\n";
	struct model m;
	load_text(text, &m);
	struct texts t;
	render(&m, "db1", &t);
	assert_null(strstr(t.cnf.data, "gtid_mode = ON\n"));
	assert_non_null(strstr(t.cnf.data, "enforce_gtid_consistency = ON\n"));
	assert_non_null(strstr(t.cnf.data, "gtid-mode = ON_PERMISSIVE\n"));
	assert_null(strstr(t.cnf.data, "collation_server = utf8mb4_0900_ai_ci"));
	assert_non_null(strstr(t.cnf.data, "binlog_format = MIXED\n"));
	assert_null(strstr(t.cnf.data, "require_secure_transport"));   /* no tls: */
	assert_null(strstr(t.cnf.data, "ssl_cert"));
	assert_non_null(strstr(t.sql.data, "COLLATE `utf8mb4_bin`;\n"));
	texts_free(&t);
	model_free(&m);
}

static void test_init_and_engine_facts(void **state)
{
	(void)state;
	struct model m;
	load_ok("bookworm", NULL, &m);
	const char *const *a = mysql_init_argv(&m);
	assert_string_equal(a[0], "mariadb-install-db");
	assert_string_equal(a[3], "--auth-root-authentication-method=socket");
	assert_string_equal(a[4], "--skip-test-db");
	assert_null(a[5]);
	const struct mysql_engine_info *e = mysql_engine_of(m.roles.mysql.engine);
	assert_string_equal(e->service, "mariadb.service");
	assert_string_equal(e->client, "mariadb");
	assert_string_equal(e->cnf_path, "/etc/mysql/mariadb.conf.d/90-kiln.cnf");
	assert_null(e->recipe_variant);
	model_free(&m);
	load_ok("bookworm", "mysql", &m);
	a = mysql_init_argv(&m);
	assert_string_equal(a[0], "mysqld");
	assert_string_equal(a[1], "--initialize-insecure");
	assert_string_equal(a[2], "--user=mysql");
	assert_string_equal(a[3], "--datadir=/var/lib/mysql");
	assert_null(a[4]);
	e = mysql_engine_of(m.roles.mysql.engine);
	assert_string_equal(e->service, "mysql.service");
	assert_string_equal(e->client, "mysql");
	assert_string_equal(e->cnf_path, "/etc/mysql/mysql.conf.d/90-kiln.cnf");
	assert_string_equal(e->recipe_variant, "mysql");
	model_free(&m);
}

static void test_engine_refused(void **state)
{
	(void)state;
	const char *bad[] = { "oracle", "MySQL", "", "mysql8" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct model m;
		struct diags d;
		char quoted[32];
		snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
		assert_int_equal(load("bookworm", quoted, &m, &d), -EINVAL);
		bool found = false;
		for (size_t j = 0; j < d.n; j++)
			found |= d.v[j].line == 14 && d.v[j].col == 19 && strstr(d.v[j].msg, "unknown engine") &&
				 strstr(d.v[j].msg, "(expected mariadb or mysql)");
		if (!found)
			diags_print(&d, stderr);
		assert_true(found);
		diags_free(&d);
	}
	enum mysql_engine e = MYSQL_ENGINE_MYSQL;
	assert_int_equal(mysql_engine_parse("maria", &e), -EINVAL);
	assert_int_equal(e, MYSQL_ENGINE_MYSQL);
	assert_int_equal(mysql_engine_parse("mariadb", &e), 0);
	assert_int_equal(e, MYSQL_ENGINE_MARIADB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mariadb_unchanged),
		cmocka_unit_test(test_mysql_primary),
		cmocka_unit_test(test_mysql_replicas),
		cmocka_unit_test(test_dhcp_primary),
		cmocka_unit_test(test_mysql_settings),
		cmocka_unit_test(test_init_and_engine_facts),
		cmocka_unit_test(test_engine_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
