/* profiles/data_disk.c: where each role keeps its data, which unit is its
 * server (by roles.mysql.engine for mysql), the drop-in's path and text
 * (what the image carries and the agent writes: one RequiresMountsFor= of
 * the data path), and nothing for the roles that keep no data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "profiles/data_disk.h"

static void test_paths_and_units(void **state)
{
	(void)state;
	struct model m = { 0 };
	assert_string_equal(data_disk_path(ROLE_MYSQL), "/var/lib/mysql");
	assert_string_equal(data_disk_path(ROLE_MINIO), "/var/lib/minio");
	m.roles.mysql.engine = MYSQL_ENGINE_MARIADB;
	assert_string_equal(data_disk_server_unit(&m, ROLE_MYSQL), "mariadb.service");
	m.roles.mysql.engine = MYSQL_ENGINE_MYSQL;
	assert_string_equal(data_disk_server_unit(&m, ROLE_MYSQL), "mysql.service");
	assert_string_equal(data_disk_server_unit(&m, ROLE_MINIO), "minio.service");
	/* the roles without a data disk */
	static const enum role none[] = { ROLE_APP, ROLE_LB };
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		assert_null(data_disk_path(none[i]));
		assert_null(data_disk_server_unit(&m, none[i]));
	}
}

static void test_dropin(void **state)
{
	(void)state;
	char *p = data_disk_dropin_path("minio.service");
	assert_string_equal(p, "/etc/systemd/system/minio.service.d/kiln-data-disk.conf");
	free(p);
	p = data_disk_dropin_dir("mariadb.service");
	assert_string_equal(p, "/etc/systemd/system/mariadb.service.d");
	free(p);
	struct buf b;
	buf_init(&b);
	data_disk_dropin("/var/lib/minio", &b);
	buf_putc(&b, '\0');
	/* a comment, then exactly one [Unit] setting */
	assert_int_equal(b.data[0], '#');
	const char *unit = strstr(b.data, "\n[Unit]\n");
	assert_non_null(unit);
	assert_string_equal(unit, "\n[Unit]\nRequiresMountsFor=/var/lib/minio\n");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_and_units),
		cmocka_unit_test(test_dropin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
