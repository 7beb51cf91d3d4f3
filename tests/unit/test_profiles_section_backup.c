/* profiles/section_backup.c and profiles/backup.c: the backup: section
 * (every rejection at its FILE:LINE:COL), its defaults, the flows it
 * derives, who gets the backup writer's secrets, and the units and policy
 * it implies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "profiles/backup.h"
#include "profiles/profile.h"
#include "profiles/render.h"
#include "profiles/secrets_catalog.h"
#include "tests/unit/profile_rejects.h"

/* Lines 1..14; cases append from line 15. */
#define HEAD \
	"kiln: 1\n" \
	"deployment: {name: t, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"  - {name: adm, cidr: 10.9.0.0/24}\n" \
	"hosts:\n" \
	"  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n" \
	"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n" \
	"  - {name: db2, role: mysql, subnet: a, address: 10.0.0.12, replica_of: db1}\n" \
	"ssh: {allow_from: [adm]}\n"
#define ROLES \
	"roles:\n" \
	"  app: {service: {exec: /bin/true}}\n" \
	"  minio: {buckets: [{name: media}]}\n"
#define BASE HEAD ROLES

static const struct reject rejects[] = {
	{ "not a mapping", BASE "backup: [daily]\n", 15, 9, "backup must be a mapping, not a list" },
	{ "unknown key", BASE "backup: {full: daily, every: 5}\n", 15, 23,
	  "unknown key 'every' in backup (expected one of: full, binlog_minutes, keep_days, bucket, restore)" },
	{ "restore not a time", BASE "backup: {restore: yesterday}\n", 15, 19,
	  "backup.restore 'yesterday' must be latest or a time in UTC, YYYY-MM-DDTHH:MM:SSZ" },
	{ "restore a time without its zone", BASE "backup: {restore: '2026-12-03T18:00:00'}\n", 15, 19,
	  "backup.restore '2026-12-03T18:00:00' must be latest or a time in UTC" },
	{ "restore a day that does not exist", BASE "backup:\n  restore: 2026-02-30T18:00:00Z\n", 16, 12,
	  "backup.restore '2026-02-30T18:00:00Z' must be latest" },
	{ "restore not a string", BASE "backup: {restore: [latest]}\n", 15, 19, "restore" },
	{ "full not a schedule", BASE "backup: {full: monthly}\n", 15, 16,
	  "backup.full 'monthly' must be one of: hourly, daily, weekly" },
	{ "binlog_minutes zero", BASE "backup: {binlog_minutes: 0}\n", 15, 26, "'binlog_minutes' is 0, out of range (expected 1..60)" },
	{ "binlog_minutes above an hour", BASE "backup: {binlog_minutes: 61}\n", 15, 26,
	  "'binlog_minutes' is 61, out of range (expected 1..60)" },
	{ "binlog_minutes not a number", BASE "backup: {binlog_minutes: often}\n", 15, 26, "binlog_minutes" },
	{ "keep_days zero", BASE "backup: {keep_days: 0}\n", 15, 21, "'keep_days' is 0, out of range (expected 1..3650)" },
	{ "keep_days too long", BASE "backup: {keep_days: 3651}\n", 15, 21, "out of range (expected 1..3650)" },
	{ "bad bucket name", BASE "backup: {bucket: Bak_Ups}\n", 15, 18, "bucket name 'Bak_Ups' must be a valid S3 bucket name" },
	{ "bucket the app reaches", BASE "backup: {bucket: media}\n", 15, 18,
	  "backup bucket 'media' is under roles.minio.buckets, which the app's key reaches; backups need a bucket of their own" },
	{ "default bucket the app reaches",
	  HEAD "roles:\n  app: {service: {exec: /bin/true}}\n  minio: {buckets: [{name: t-backups}]}\nbackup: {}\n", 15, 9,
	  "backup bucket 't-backups' is under roles.minio.buckets" },
	{ "no mysql host",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\nbackup: {}\n", 7, 9,
	  "backup: the profile has no mysql host to back up" },
	{ "no minio host",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\nbackup:\n  full: daily\n", 8, 3,
	  "backup: needs a minio host to keep the backups (an external S3 endpoint is not supported yet)" },
	{ "MySQL engine",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n"
	  "roles: {mysql: {engine: mysql}}\nbackup: {}\n", 9, 9,
	  "backup: takes MariaDB's mariadb-backup; roles.mysql.engine mysql has no backups yet" },
	{ "a host without a name and backup (no crash)",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n  - {role: mysql, subnet: a, address: 10.0.0.10}\n"
	  "backup: {}\n", 7, 5, "missing required key 'name'" },
};

static void test_defaults_and_flows(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "backup:\n", &m, &d), 0);   /* an empty section: on, with the defaults */
	assert_true(m.backup.on);
	assert_int_equal(m.backup.full, BACKUP_FULL_DAILY);
	assert_int_equal(m.backup.binlog_minutes, 5);
	assert_int_equal(m.backup.keep_days, 7);
	assert_string_equal(m.backup.bucket, "t-backups");
	assert_string_equal(backup_store_host(&m)->name, "s3");
	/* the primary to the object store; the replica takes no backups */
	assert_int_equal(m.backup.n_flows, 1);
	assert_string_equal(m.backup.flows[0].from.name, "db1");
	assert_string_equal(m.backup.flows[0].to.name, "s3");
	assert_int_equal(m.backup.flows[0].port, 9000);
	assert_true(backup_on_host(&m, model_find_host(&m, "db1")));
	assert_false(backup_on_host(&m, model_find_host(&m, "db2")));
	assert_false(backup_on_host(&m, model_find_host(&m, "s3")));
	/* the writer's secrets: the primary and the object store, nobody else */
	assert_true(secret_known(&m, "minio_backup_access_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "db1"), "minio_backup_secret_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "s3"), "minio_backup_secret_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "db2"), "minio_backup_secret_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "app1"), "minio_backup_access_key"));
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"backup\":{\"full\":\"daily\",\"binlog_minutes\":5,\"keep_days\":7,"
				       "\"bucket\":\"t-backups\",\"flows\":[{"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);

	assert_int_equal(load(BASE "backup: {full: weekly, binlog_minutes: 1, keep_days: 30, bucket: db-bak}\n", &m, &d), 0);
	assert_int_equal(m.backup.full, BACKUP_FULL_WEEKLY);
	assert_int_equal(m.backup.binlog_minutes, 1);
	assert_int_equal(m.backup.keep_days, 30);
	assert_string_equal(m.backup.bucket, "db-bak");
	model_free(&m);
	diags_free(&d);

	/* restore: the reader's keys and the backup key to the primary only */
	assert_int_equal(load(BASE "backup: {restore: latest}\n", &m, &d), 0);
	assert_true(m.backup.restore);
	assert_true(m.backup.restore_to == INT64_MAX);
	assert_true(host_needs_secret(&m, model_find_host(&m, "db1"), "minio_backup_reader_access_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "db1"), "minio_backup_reader_secret_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "db1"), "backup_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "s3"), "minio_backup_reader_secret_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "s3"), "backup_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "db2"), "backup_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "db2"), "minio_backup_reader_access_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "app1"), "backup_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "app1"), "minio_backup_reader_access_key"));
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"bucket\":\"t-backups\",\"restore\":\"latest\",\"flows\""));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
	assert_int_equal(load(BASE "backup: {restore: 2026-12-03T18:00:00Z}\n", &m, &d), 0);
	assert_true(m.backup.restore);
	assert_int_equal(m.backup.restore_to, 1796320800);
	model_free(&m);
	diags_free(&d);
	/* without restore: the reader's keys stay on the object store (which
	 * registers the reader) and never reach the primary */
	assert_int_equal(load(BASE "backup: {}\n", &m, &d), 0);
	assert_false(m.backup.restore);
	assert_false(host_needs_secret(&m, model_find_host(&m, "db1"), "minio_backup_reader_access_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "db1"), "backup_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "s3"), "minio_backup_reader_access_key"));
	assert_true(secret_known(&m, "minio_backup_reader_access_key"));
	model_free(&m);
	diags_free(&d);

	/* without the section: nothing of it */
	assert_int_equal(load(BASE, &m, &d), 0);
	assert_false(m.backup.on);
	assert_int_equal(m.backup.n_flows, 0);
	assert_false(secret_known(&m, "minio_backup_access_key"));
	assert_false(secret_known(&m, "minio_backup_reader_access_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "db1"), "minio_backup_access_key"));
	assert_false(backup_on_host(&m, model_find_host(&m, "db1")));
	model_free(&m);
	diags_free(&d);
}

/* The rendered firewall of the object store lets the primary in. */
static void test_flow_in_nftables(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "backup: {}\n", &m, &d), 0);
	struct buf b;
	buf_init(&b);
	assert_int_equal(render_nftables(&m, model_find_host(&m, "s3"), &b), 0);
	assert_non_null(strstr(b.data, "those backup: derives"));
	assert_non_null(strstr(b.data, "tcp dport 9000 ip saddr @tcp_9000_from"));
	assert_non_null(strstr(b.data, "10.0.0.10"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

static void test_units_and_policy(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "backup: {binlog_minutes: 15}\n", &m, &d), 0);
	struct buf b;
	buf_init(&b);
	backup_full_timer(&m, &b);
	assert_non_null(strstr(b.data, "\n[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\nPersistent=true\n"));
	assert_non_null(strstr(b.data, "\n[Install]\nWantedBy=timers.target\n"));
	buf_free(&b);
	backup_binlogs_timer(&m, &b);
	assert_non_null(strstr(b.data, "OnUnitActiveSec=15min\n"));
	assert_non_null(strstr(b.data, "every 15 minutes"));
	buf_free(&b);
	backup_full_service(&b);
	assert_non_null(strstr(b.data, "\nExecStart=/usr/sbin/kiln-firstboot backup full\n"));
	assert_non_null(strstr(b.data, "\nConditionPathExists=/etc/kiln/backup.conf\n"));
	buf_free(&b);
	backup_binlogs_service(&b);
	assert_non_null(strstr(b.data, "\nExecStart=/usr/sbin/kiln-firstboot backup binlogs\n"));
	buf_free(&b);
	backup_writer_policy("t-backups", &b);
	assert_string_equal(b.data, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
				    "\"Action\":[\"s3:PutObject\",\"s3:AbortMultipartUpload\"],"
				    "\"Resource\":[\"arn:aws:s3:::t-backups/*\"]}]}");
	buf_free(&b);
	backup_reader_policy("t-backups", &b);
	assert_string_equal(b.data, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
				    "\"Action\":[\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::t-backups\"]},"
				    "{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\"],\"Resource\":[\"arn:aws:s3:::t-backups/*\"]}]}");
	buf_free(&b);
	assert_string_equal(backup_full_calendar(BACKUP_FULL_HOURLY), "hourly");
	assert_string_equal(backup_full_calendar(BACKUP_FULL_WEEKLY), "Sun *-*-* 02:00:00 UTC");
	assert_string_equal(backup_full_name_of(BACKUP_FULL_WEEKLY), "weekly");
	const char *pk[BACKUP_PACKAGES_MAX];
	assert_int_equal(backup_packages(&m, ROLE_MYSQL, pk, BACKUP_PACKAGES_MAX), 1);
	assert_string_equal(pk[0], "mariadb-backup");
	assert_int_equal(backup_packages(&m, ROLE_MINIO, pk, BACKUP_PACKAGES_MAX), 0);
	assert_int_equal(backup_packages(&m, ROLE_APP, pk, BACKUP_PACKAGES_MAX), 0);
	m.backup.on = false;
	assert_int_equal(backup_packages(&m, ROLE_MYSQL, pk, BACKUP_PACKAGES_MAX), 0);
	m.backup.on = true;
	m.backup.binlog_minutes = 1;
	backup_binlogs_timer(&m, &b);
	assert_non_null(strstr(b.data, "every 1 minute\n"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	struct CMUnitTest tests[sizeof rejects / sizeof *rejects + 3];
	size_t n = add_rejects(tests, rejects, sizeof rejects / sizeof *rejects);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults_and_flows);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flow_in_nftables);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_units_and_policy);
	return _cmocka_run_group_tests("section_backup", tests, n, NULL, NULL);
}
