/* lib/mysql_local.h: the local root client's argv (TLS off with the option
 * each engine's client takes), which of its failures ran nothing, and the
 * bounded retry of those. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/mysql_local.h"
#include "profiles/mysql_engine.h"

/* argv joined with spaces, "(null)" never: the prefix is NULL-terminated */
static void joined(const char *const argv[], char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "", argv[i]);
}

static void test_argv_mariadb(void **state)
{
	(void)state;
	const char *argv[MYSQL_LOCAL_ARGV_MAX];
	char s[256];
	assert_int_equal(mysql_local_argv("mariadb", NULL, NULL, argv), 4);
	assert_null(argv[4]);
	joined(argv, s, sizeof s);
	assert_string_equal(s, "mariadb --protocol=socket -uroot --skip-ssl");
}

static void test_argv_mysql(void **state)
{
	(void)state;
	const char *argv[MYSQL_LOCAL_ARGV_MAX];
	char s[256];
	assert_int_equal(mysql_local_argv("mysql", NULL, "/run/mysqld/mysqld.sock", argv), 6);
	joined(argv, s, sizeof s);
	assert_string_equal(s, "mysql --protocol=socket -uroot --ssl-mode=DISABLED -S /run/mysqld/mysqld.sock");
}

/* The longest prefix fills the array: the lead first (option files), the
 * socket last. */
static void test_argv_lead_and_socket(void **state)
{
	(void)state;
	const char *argv[MYSQL_LOCAL_ARGV_MAX];
	char s[256];
	size_t n = mysql_local_argv("mariadb-backup", "--defaults-file=/etc/kiln/b.cnf", "/tmp/s.sock", argv);
	assert_int_equal(n, MYSQL_LOCAL_ARGV_MAX - 1);
	assert_null(argv[n]);
	joined(argv, s, sizeof s);
	assert_string_equal(s, "mariadb-backup --defaults-file=/etc/kiln/b.cnf --protocol=socket -uroot --skip-ssl -S "
			       "/tmp/s.sock");
}

/* MariaDB's programs refuse --ssl-mode ("unknown variable"), Oracle
 * MySQL 8's lost --skip-ssl: each gets its own, by name or path. */
static void test_no_tls_per_program(void **state)
{
	(void)state;
	assert_string_equal(mysql_local_no_tls("mariadb"), "--skip-ssl");
	assert_string_equal(mysql_local_no_tls("mariadb-admin"), "--skip-ssl");
	assert_string_equal(mysql_local_no_tls("mariadb-backup"), "--skip-ssl");
	assert_string_equal(mysql_local_no_tls("/usr/bin/mariadb-dump"), "--skip-ssl");
	assert_string_equal(mysql_local_no_tls("mysql"), "--ssl-mode=DISABLED");
	assert_string_equal(mysql_local_no_tls("/usr/bin/mysqladmin"), "--ssl-mode=DISABLED");
	/* the engine table's clients: the role step runs these */
	assert_string_equal(mysql_local_no_tls(mysql_engine_of(MYSQL_ENGINE_MARIADB)->client), "--skip-ssl");
	assert_string_equal(mysql_local_no_tls(mysql_engine_of(MYSQL_ENGINE_MYSQL)->client), "--ssl-mode=DISABLED");
}

/* The clients' own words (MariaDB 10.11 and 11.8, Oracle MySQL 8). */
static void test_connect_failed(void **state)
{
	(void)state;
	assert_true(mysql_local_connect_failed("ERROR 2026 (HY000): TLS/SSL error: Broken pipe (32)"));
	assert_true(mysql_local_connect_failed("mariadb exited 1: ERROR 2026 (HY000): TLS/SSL error: Broken pipe (32)"));
	assert_true(mysql_local_connect_failed(
		"ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)"));
	assert_true(mysql_local_connect_failed("ERROR 2002 (HY000): Can't connect to local MySQL server through socket "
					       "'/var/run/mysqld/mysqld.sock' (111)"));
	assert_true(mysql_local_connect_failed("ERROR 2013 (HY000): Lost connection to server at 'handshake: reading "
					       "initial communication packet', system error: 11"));
	assert_true(mysql_local_connect_failed(
		"ERROR 2013 (HY000): Lost connection to MySQL server at 'reading authorization packet', system error: 0"));
	/* the server may have run statements before these */
	assert_false(mysql_local_connect_failed("ERROR 2013 (HY000) at line 7: Lost connection to server during query"));
	assert_false(mysql_local_connect_failed("ERROR 2006 (HY000) at line 3: Server has gone away"));
	/* the server's errors: it ran the statement */
	assert_false(mysql_local_connect_failed("ERROR 1064 (42000) at line 1: You have an error in your SQL syntax"));
	assert_false(mysql_local_connect_failed("ERROR 1045 (28000): Access denied for user 'root'@'localhost'"));
	/* not the client's error line at all */
	assert_false(mysql_local_connect_failed("mariadb exited -2: No such file or directory"));
	assert_false(mysql_local_connect_failed("mariadb: unknown variable 'ssl-mode=DISABLED'"));
	assert_false(mysql_local_connect_failed("ERROR 20260 (HY000): x"));
	assert_false(mysql_local_connect_failed(""));
	assert_false(mysql_local_connect_failed(NULL));
}

/* A fake client: fails with each of errs in turn, then succeeds. */
struct fake {
	const char *const *errs;
	unsigned runs, naps, slept;
	const char *in;
};

static int fake_run(void *ud, const char *const argv[], const char *in, size_t in_len, char *why, size_t why_len)
{
	struct fake *f = ud;
	assert_string_equal(argv[0], "mariadb");
	assert_int_equal(in_len, strlen(in));
	f->in = in;
	const char *e = f->errs[f->runs++];
	if (!e)
		return 0;
	snprintf(why, why_len, "mariadb exited 1: %s", e);
	return -EIO;
}

static void fake_nap(void *ud, unsigned s)
{
	struct fake *f = ud;
	f->naps++;
	f->slept += s;
}

static int retry(struct fake *f, unsigned tries, char *why, size_t len)
{
	const struct mysql_local_runner r = { .run = fake_run, .nap = fake_nap, .ud = f, .tries = tries, .pause_s = 5 };
	const char *argv[MYSQL_LOCAL_ARGV_MAX];
	mysql_local_argv("mariadb", NULL, NULL, argv);
	return mysql_local_retry(&r, argv, "SELECT 1;\n", 10, why, len);
}

static const char tls[] = "ERROR 2026 (HY000): TLS/SSL error: Broken pipe (32)";
static const char gone[] = "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)";

static void test_retry_until_connected(void **state)
{
	(void)state;
	const char *errs[] = { tls, gone, NULL };
	struct fake f = { .errs = errs };
	char why[300];
	assert_int_equal(retry(&f, 4, why, sizeof why), 0);
	assert_int_equal(f.runs, 3);
	assert_int_equal(f.naps, 2);
	assert_int_equal(f.slept, 10);
	assert_string_equal(f.in, "SELECT 1;\n");
}

static void test_retry_bounded(void **state)
{
	(void)state;
	const char *errs[] = { tls, tls, tls, gone, NULL };
	struct fake f = { .errs = errs };
	char why[300];
	assert_int_equal(retry(&f, 4, why, sizeof why), -EIO);
	assert_int_equal(f.runs, 4);
	assert_int_equal(f.naps, 3);
	assert_non_null(strstr(why, "ERROR 2002 (HY000)"));   /* the last run's */
}

/* Once the server may have run any of it, the failure is the answer. */
static void test_no_retry_after_connecting(void **state)
{
	(void)state;
	const char *errs[] = { "ERROR 1064 (42000) at line 1: You have an error in your SQL syntax", NULL };
	struct fake f = { .errs = errs };
	char why[300];
	assert_int_equal(retry(&f, 4, why, sizeof why), -EIO);
	assert_int_equal(f.runs, 1);
	assert_int_equal(f.naps, 0);
	assert_non_null(strstr(why, "ERROR 1064"));
	const char *mid[] = { "ERROR 2013 (HY000) at line 4: Lost connection to server during query", NULL };
	f = (struct fake){ .errs = mid };
	assert_int_equal(retry(&f, 4, why, sizeof why), -EIO);
	assert_int_equal(f.runs, 1);
}

static void test_retry_once(void **state)
{
	(void)state;
	const char *errs[] = { tls, NULL };
	struct fake f = { .errs = errs };
	char why[300];
	assert_int_equal(retry(&f, 1, why, sizeof why), -EIO);
	assert_int_equal(f.runs, 1);
	assert_int_equal(f.naps, 0);
	f = (struct fake){ .errs = errs };   /* no tries is one */
	assert_int_equal(retry(&f, 0, why, sizeof why), -EIO);
	assert_int_equal(f.runs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_mariadb),
		cmocka_unit_test(test_argv_mysql),
		cmocka_unit_test(test_argv_lead_and_socket),
		cmocka_unit_test(test_no_tls_per_program),
		cmocka_unit_test(test_connect_failed),
		cmocka_unit_test(test_retry_until_connected),
		cmocka_unit_test(test_retry_bounded),
		cmocka_unit_test(test_no_retry_after_connecting),
		cmocka_unit_test(test_retry_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
