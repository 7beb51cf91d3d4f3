/* firstboot/role_monitoring.c: the MySQL exporter's account and option
 * file (a real MariaDB runs the SQL in tests/cli/monitoring_exporters.sh),
 * MinIO's metrics and archive policies, kiln-metrics' units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "firstboot/role_monitoring.h"

#define PW "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE"

static void test_exporter(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(monitoring_exporter_sql(MYSQL_ENGINE_MARIADB, PW, &b), 0);
	assert_string_equal(b.data,
		"-- kiln: the MySQL exporter's account (idempotent)\n"
		"CREATE USER IF NOT EXISTS 'kiln_exporter'@'localhost' IDENTIFIED BY '" PW "' WITH MAX_USER_CONNECTIONS 3;\n"
		"ALTER USER 'kiln_exporter'@'localhost' IDENTIFIED BY '" PW "' WITH MAX_USER_CONNECTIONS 3;\n"
		"GRANT PROCESS, SLAVE MONITOR ON *.* TO 'kiln_exporter'@'localhost';\n"
		"FLUSH PRIVILEGES;\n");
	buf_wipe(&b);
	/* MySQL 8 has no SLAVE MONITOR: REPLICATION CLIENT allows SHOW REPLICA STATUS. */
	assert_int_equal(monitoring_exporter_sql(MYSQL_ENGINE_MYSQL, PW, &b), 0);
	assert_string_equal(b.data,
		"-- kiln: the MySQL exporter's account (idempotent)\n"
		"CREATE USER IF NOT EXISTS 'kiln_exporter'@'localhost' IDENTIFIED BY '" PW "' WITH MAX_USER_CONNECTIONS 3;\n"
		"ALTER USER 'kiln_exporter'@'localhost' IDENTIFIED BY '" PW "' WITH MAX_USER_CONNECTIONS 3;\n"
		"GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'kiln_exporter'@'localhost';\n"
		"FLUSH PRIVILEGES;\n");
	buf_wipe(&b);
	assert_int_equal(monitoring_exporter_cnf(PW, &b), 0);
	assert_non_null(strstr(b.data, "\n[client]\nuser=kiln_exporter\npassword=" PW "\nsocket=/run/mysqld/mysqld.sock\n"));
	buf_wipe(&b);
	/* only generated passwords: anything else could bend the SQL or the option file */
	assert_int_equal(monitoring_exporter_sql(MYSQL_ENGINE_MARIADB, "short", &b), -EINVAL);
	assert_int_equal(monitoring_exporter_sql(MYSQL_ENGINE_MYSQL, "quote'quote'quote'quote", &b), -EINVAL);
	assert_int_equal(monitoring_exporter_cnf("new\nline-new-line-new-line", &b), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_policies_and_units(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	monitoring_metrics_policy(&b);
	assert_string_equal(b.data, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"admin:Prometheus\"]}]}");
	buf_free(&b);
	monitoring_archive_policy("audit", &b);
	assert_string_equal(b.data, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\"],"
				    "\"Resource\":[\"arn:aws:s3:::audit/*\"]}]}");
	buf_free(&b);
	monitoring_metrics_service(&b);
	assert_non_null(strstr(b.data, "\nType=oneshot\nExecStart=/usr/sbin/kiln-firstboot metrics\n"));
	assert_non_null(strstr(b.data, "\nConditionPathExists=/etc/kiln/monitoring/metrics.conf\n"));
	/* the boot's CPU is the role's, but its first run is a job the boot waits for */
	assert_non_null(strstr(b.data, "\nStartupCPUWeight=1\n"));
	buf_free(&b);
	monitoring_archive_service(&b);
	assert_non_null(strstr(b.data, "\nExecStart=/usr/sbin/kiln-firstboot archive-drops\n"));
	buf_free(&b);
	monitoring_archive_timer(&b);
	assert_non_null(strstr(b.data, "\nOnCalendar=*-*-* 00:15:00 UTC\nPersistent=true\n"));
	buf_free(&b);
	monitoring_metrics_timer(&b);
	assert_non_null(strstr(b.data, "\nOnUnitActiveSec=30s\n"));
	assert_non_null(strstr(b.data, "\nWantedBy=timers.target\n"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_exporter), cmocka_unit_test(test_policies_and_units) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
