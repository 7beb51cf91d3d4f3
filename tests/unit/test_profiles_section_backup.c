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
	  "unknown key 'every' in backup (expected one of: full, binlog_minutes, keep_days, bucket, restore, s3)" },
	{ "s3 not a mapping", BASE "backup: {s3: https://s3.example.com}\n", 15, 14, "backup.s3 must be a mapping" },
	{ "s3 unknown key", BASE "backup:\n  s3: {endpoint: 'https://s3.example.com', bucket: b-k, secret: x}\n", 16, 57,
	  "unknown key 'secret' in backup.s3 (expected one of: endpoint, region, bucket)" },
	{ "s3 without endpoint", BASE "backup:\n  s3: {bucket: bak}\n", 16, 7,
	  "backup.s3 needs endpoint: the S3 endpoint's URL, http(s)://HOST[:PORT]" },
	{ "s3 endpoint with a path", BASE "backup:\n  s3: {endpoint: 'https://s3.example.com/bak', bucket: bak}\n", 16, 18,
	  "backup.s3.endpoint 'https://s3.example.com/bak' must be http(s)://HOST[:PORT] (no path, user or query)" },
	{ "s3 endpoint with user info", BASE "backup:\n  s3: {endpoint: 'https://AKIA:x@s3.example.com', bucket: bak}\n", 16, 18,
	  "must be http(s)://HOST[:PORT]" },
	{ "s3 endpoint not http", BASE "backup:\n  s3: {endpoint: 's3://bak', bucket: bak}\n", 16, 18,
	  "backup.s3.endpoint 's3://bak' must be" },
	{ "s3 bad region", BASE "backup:\n  s3: {endpoint: 'https://s3.example.com', region: EU_West, bucket: bak}\n", 16, 52,
	  "backup.s3.region 'EU_West' must be 1-32 of a-z 0-9 -" },
	{ "s3 without bucket", BASE "backup:\n  s3: {endpoint: 'https://s3.example.com'}\n", 16, 7,
	  "backup.s3 needs bucket: the external endpoint's bucket for the backups" },
	{ "s3 bad bucket", BASE "backup:\n  s3: {endpoint: 'https://s3.example.com', bucket: B}\n", 16, 52,
	  "bucket name 'B' must be a valid S3 bucket name" },
	{ "s3 and backup.bucket", BASE "backup:\n  bucket: bak\n  s3: {endpoint: 'https://s3.example.com', bucket: bak}\n", 16, 11,
	  "backup.bucket: with backup.s3 the bucket is backup.s3.bucket" },
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
	  "backup: needs a minio host to keep the backups, or backup.s3: an external S3 endpoint" },
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

/* backup.s3: no MinIO needed, no flows, the operator's keys on the primary only. */
static void test_external_s3(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	static const char nominio[] =
		"kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
		"  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
		"  - {name: db2, role: mysql, subnet: a, address: 10.0.0.12, replica_of: db1}\n"
		"backup:\n  s3: {endpoint: 'https://s3.eu-central-1.amazonaws.com', region: eu-central-1, bucket: t-bak}\n";
	assert_int_equal(load(nominio, &m, &d), 0);
	assert_string_equal(m.backup.s3_endpoint, "https://s3.eu-central-1.amazonaws.com");
	assert_string_equal(m.backup.s3_region, "eu-central-1");
	assert_string_equal(m.backup.bucket, "t-bak");
	assert_null(backup_store_host(&m));
	assert_int_equal(m.backup.n_flows, 0);   /* the route to it is the operator's network */
	assert_true(secret_known(&m, "backup_s3_access_key"));
	assert_int_equal(secret_kind_of(&m, "backup_s3_secret_key"), SECRET_EXTERNAL);
	assert_true(host_needs_secret(&m, model_find_host(&m, "db1"), "backup_s3_secret_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "db2"), "backup_s3_secret_key"));
	assert_false(secret_known(&m, "minio_backup_access_key"));
	assert_false(secret_known(&m, "backup_s3_reader_access_key"));   /* only with restore */
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"bucket\":\"t-bak\",\"s3\":{\"endpoint\":\"https://s3.eu-central-1.amazonaws.com\","
				       "\"region\":\"eu-central-1\",\"bucket\":\"t-bak\"},\"flows\":[]"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
	/* with MinIO hosts too: the backups still go out, MinIO keeps no backup users; restore brings the reader */
	assert_int_equal(load(BASE "backup:\n  restore: latest\n  s3: {endpoint: 'http://127.0.0.2:9100', bucket: media}\n",
			      &m, &d), 0);
	assert_string_equal(m.backup.s3_region, "us-east-1");
	assert_int_equal(m.backup.n_flows, 0);
	assert_false(secret_known(&m, "minio_backup_access_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "s3"), "backup_s3_access_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "db1"), "backup_s3_reader_secret_key"));
	assert_false(host_needs_secret(&m, model_find_host(&m, "app1"), "backup_s3_reader_secret_key"));
	model_free(&m);
	diags_free(&d);
	assert_true(backup_endpoint_valid("https://[::1]:9000"));
	assert_false(backup_endpoint_valid("https://"));
	assert_false(backup_endpoint_valid("https://:9000"));
	assert_false(backup_endpoint_valid("https://a b"));
	assert_true(backup_region_valid("us-east-1"));
	assert_false(backup_region_valid(""));
	assert_false(backup_region_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

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
				    "\"Action\":[\"s3:PutObject\",\"s3:AbortMultipartUpload\",\"s3:PutObjectRetention\"],"
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
	struct CMUnitTest tests[sizeof rejects / sizeof *rejects + 4];
	size_t n = add_rejects(tests, rejects, sizeof rejects / sizeof *rejects);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults_and_flows);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_external_s3);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flow_in_nftables);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_units_and_policy);
	return _cmocka_run_group_tests("section_backup", tests, n, NULL, NULL);
}
