/* firstboot/backup.c's pure parts: the conf (every refusal), the conf the
 * "role" step writes, object names, the server's list of binary logs, and
 * which of them a run ships (each once, holes and restarts noticed). The
 * runs themselves, against a real MariaDB and the S3 stand-in, are
 * tests/cli/firstboot_backup.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "firstboot/backup.h"
#include "lib/backup_object.h"
#include "tests/unit/profile_rejects.h"

static void test_conf_parse(void **state)
{
	(void)state;
	struct backup_conf c;
	const char *why;
	static const char good[] = "# a comment\n\nhost=db1\nendpoint=http://10.0.0.11:9000\nbucket=t-backups\nkeep_days=30\n";
	assert_int_equal(backup_conf_parse(good, sizeof good - 1, &c, &why), 0);
	assert_string_equal(c.host, "db1");
	assert_string_equal(c.endpoint, "http://10.0.0.11:9000");
	assert_string_equal(c.bucket, "t-backups");
	assert_int_equal(c.keep_days, 30);
	assert_string_equal(c.socket, BACKUP_SOCKET_DEFAULT);
	assert_null(c.defaults_file);
	assert_int_equal(c.zstd_level, BACKUP_ZSTD_LEVEL_DEFAULT);
	assert_int_equal(c.zstd_workers, BACKUP_ZSTD_WORKERS_DEFAULT);
	backup_conf_free(&c);
	static const char z[] = "host=db1\nendpoint=http://a\nbucket=bak\nzstd_level=0\nzstd_workers=8\n";
	assert_int_equal(backup_conf_parse(z, sizeof z - 1, &c, &why), 0);
	assert_int_equal(c.zstd_level, 0);
	assert_int_equal(c.zstd_workers, 8);
	backup_conf_free(&c);
	static const char z19[] = "host=db1\nendpoint=http://a\nbucket=bak\nzstd_level=19\nzstd_workers=0\n";
	assert_int_equal(backup_conf_parse(z19, sizeof z19 - 1, &c, &why), 0);
	assert_int_equal(c.zstd_level, 19);
	assert_int_equal(c.zstd_workers, 0);
	backup_conf_free(&c);
	static const char tests[] = "host=db1\nendpoint=https://s3.t.lan\nbucket=bak\nsocket=/tmp/x/my.sock\n"
				    "defaults_file=/tmp/x/my.cnf\n";
	assert_int_equal(backup_conf_parse(tests, sizeof tests - 1, &c, &why), 0);
	assert_string_equal(c.socket, "/tmp/x/my.sock");
	assert_string_equal(c.defaults_file, "/tmp/x/my.cnf");
	assert_int_equal(c.keep_days, 7);
	assert_string_equal(c.datadir, BACKUP_DATADIR_DEFAULT);
	assert_false(c.restore);
	backup_conf_free(&c);
	static const char rest[] = "host=db1\nendpoint=http://a\nbucket=bak\nrestore=2026-12-03T18:00:00Z\ndatadir=/srv/db\n";
	assert_int_equal(backup_conf_parse(rest, sizeof rest - 1, &c, &why), 0);
	assert_true(c.restore);
	assert_int_equal(c.restore_to, 1796320800);
	assert_string_equal(c.datadir, "/srv/db");
	backup_conf_free(&c);

	static const struct { const char *text, *why; } bad[] = {
		{ "host=db1\nendpoint=http://a:9000\n", "host, endpoint and bucket are required" },
		{ "host=db1\nendpoint=http://a:9000\nbucket=bak\nfrob=1\n", "an unknown key" },
		{ "host=db1\nhost=db2\nendpoint=http://a:9000\nbucket=bak\n", "a key given twice" },
		{ "host=db1\nendpoint http://a:9000\nbucket=bak\n", "a line without '='" },
		{ "host=db/1\nendpoint=http://a:9000\nbucket=bak\n", "host is not a name segment" },
		{ "host=..\nendpoint=http://a:9000\nbucket=bak\n", "host is not a name segment" },
		{ "host=db1\nendpoint=ftp://a:9000\nbucket=bak\n", "endpoint is not http(s)://HOST[:PORT]" },
		{ "host=db1\nendpoint=http://a:9000/path\nbucket=bak\n", "endpoint is not http(s)://HOST[:PORT]" },
		{ "host=db1\nendpoint=http://u:p@a\nbucket=bak\n", "endpoint is not http(s)://HOST[:PORT]" },
		{ "host=db1\nendpoint=http://\nbucket=bak\n", "endpoint is not http(s)://HOST[:PORT]" },
		{ "host=db1\nendpoint=http://a\nbucket=Bak\n", "bucket is not an S3 bucket name" },
		{ "host=db1\nendpoint=http://a\nbucket=b/k\n", "bucket is not an S3 bucket name" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nkeep_days=0\n", "keep_days is not a number of days from 1 to 3650" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nkeep_days=x\n", "keep_days is not a number of days from 1 to 3650" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nsocket=run/my.sock\n", "socket is not an absolute path" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\ndefaults_file=my.cnf\n", "defaults_file is not an absolute path" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nsocket=/x\x01y\n", "socket is not an absolute path" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nrestore=yesterday\n", "restore is not latest or YYYY-MM-DDTHH:MM:SSZ" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nrestore=\n", "restore is not latest or YYYY-MM-DDTHH:MM:SSZ" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nrestore=latest\nrestore=latest\n", "a key given twice" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\ndatadir=var/lib/mysql\n", "datadir is not an absolute path" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\ndatadir=/\n", "datadir is not an absolute path" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_level=20\n", "zstd_level is not a number from 0 to 19" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nstore=aws\n", "store is not minio or s3" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nstore=s3\nstore=s3\n", "a key given twice" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nregion=EU\n", "region is not an S3 region name" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nregion=\n", "region is not an S3 region name" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_level=-1\n", "zstd_level is not a number from 0 to 19" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_level=\n", "zstd_level is not a number from 0 to 19" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_level=3\nzstd_level=3\n", "a key given twice" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_workers=9\n", "zstd_workers is not a number from 0 to 8" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_workers=one\n", "zstd_workers is not a number from 0 to 8" },
		{ "host=db1\nendpoint=http://a\nbucket=bak\nzstd_workers=1\nzstd_workers=1\n", "a key given twice" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int r = backup_conf_parse(bad[i].text, strlen(bad[i].text), &c, &why);
		if (r != -EBADMSG || !why || strcmp(why, bad[i].why))
			print_error("case %zu: %d '%s'\n", i, r, why ? why : "(null)");
		assert_int_equal(r, -EBADMSG);
		assert_string_equal(why, bad[i].why);
		assert_null(c.host);   /* nothing half-parsed is handed back */
	}
	assert_int_equal(backup_conf_parse("host=db1\0x", 10, &c, &why), -EBADMSG);
	assert_string_equal(why, "a NUL byte");
}

/* What the role step writes parses back, and names the store's address. */
static void test_conf_render(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	const char *yaml = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
			   "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
			   "  - {name: s3, role: minio, subnet: a, address: dhcp}\nbackup: {keep_days: 14}\n";
	assert_int_equal(load(yaml, &m, &d), 0);
	struct buf b;
	buf_init(&b);
	backup_conf_render(&m, model_find_host(&m, "db1"), &b);
	assert_non_null(strstr(b.data, "\nhost=db1\nendpoint=http://s3.t.lan:9000\nbucket=t-backups\nkeep_days=14\n"));
	assert_null(strstr(b.data, "restore="));
	struct backup_conf c;
	const char *why;
	assert_int_equal(backup_conf_parse(b.data, b.len, &c, &why), 0);
	assert_string_equal(c.endpoint, "http://s3.t.lan:9000");
	assert_false(c.external);
	assert_string_equal(c.region, "us-east-1");
	backup_conf_free(&c);
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
	/* backup.s3: the external endpoint, its region, store=s3 (its keys) */
	yaml = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	       "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
	       "backup: {s3: {endpoint: 'https://s3.eu-central-1.amazonaws.com', region: eu-central-1, bucket: t-bak}}\n";
	assert_int_equal(load(yaml, &m, &d), 0);
	buf_init(&b);
	backup_conf_render(&m, model_find_host(&m, "db1"), &b);
	assert_non_null(strstr(b.data, "\nhost=db1\nstore=s3\nendpoint=https://s3.eu-central-1.amazonaws.com\n"
				       "region=eu-central-1\nbucket=t-bak\n"));
	assert_int_equal(backup_conf_parse(b.data, b.len, &c, &why), 0);
	assert_true(c.external);
	assert_string_equal(c.region, "eu-central-1");
	assert_string_equal(c.bucket, "t-bak");
	backup_conf_free(&c);
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

/* backup.restore goes into the conf and parses back. */
static void test_conf_render_restore(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	const char *yaml = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
			   "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
			   "  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\nbackup: {restore: 2026-12-03T18:00:00Z}\n";
	assert_int_equal(load(yaml, &m, &d), 0);
	struct buf b;
	buf_init(&b);
	backup_conf_render(&m, model_find_host(&m, "db1"), &b);
	assert_non_null(strstr(b.data, "\nrestore=2026-12-03T18:00:00Z\n"));
	struct backup_conf c;
	const char *why;
	assert_int_equal(backup_conf_parse(b.data, b.len, &c, &why), 0);
	assert_true(c.restore);
	assert_int_equal(c.restore_to, 1796320800);
	backup_conf_free(&c);
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

/* Which data directories a restore may fill: absent, empty, or holding only
 * MariaDB's own schemas and files. */
static void test_datadir_fresh(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-fresh.XXXXXX", db[64];
	assert_non_null(mkdtemp(dir));
	char p[256];
	snprintf(p, sizeof p, "%s/none", dir);
	assert_true(backup_datadir_fresh(p, db, sizeof db));
	assert_true(backup_datadir_fresh(dir, db, sizeof db));
	static const char *const own[] = { "mysql", "performance_schema", "sys", "lost+found", ".kiln-restore" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, own[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	snprintf(p, sizeof p, "%s/ibdata1", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_true(backup_datadir_fresh(dir, db, sizeof db));
	assert_string_equal(db, "");
	snprintf(p, sizeof p, "%s/shop", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_false(backup_datadir_fresh(dir, db, sizeof db));
	assert_string_equal(db, "shop");
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_names(void **state)
{
	(void)state;
	char n[BACKUP_NAME_MAX + 1];
	assert_int_equal(backup_full_name("db1", 1764784800, n, sizeof n), 0);   /* 2025-12-03 18:00:00 UTC */
	assert_string_equal(n, "db1/full/20251203T180000Z.kbk");
	assert_int_equal(backup_binlog_name("db1", 1764784805, "mysql-bin.000012", n, sizeof n), 0);
	assert_string_equal(n, "db1/binlog/20251203T180005Z-mysql-bin.000012.kbk");
	assert_int_equal(backup_full_name("a/b", 0, n, sizeof n), -EINVAL);
	assert_int_equal(backup_binlog_name("db1", 0, "../x", n, sizeof n), -EINVAL);
	assert_int_equal(backup_binlog_name("db1", 0, "a b", n, sizeof n), -EINVAL);
	assert_int_equal(backup_full_name("db1", 0, n, 10), -EINVAL);   /* does not fit */
}

static void test_binlog_list(void **state)
{
	(void)state;
	struct binlog_list l;
	static const char out[] = "/var/lib/mysql/mysql-bin\nmysql-bin.000003\t1234\nmysql-bin.000004\t400\nmysql-bin.000005\t256\n";
	assert_int_equal(binlog_list_parse(out, sizeof out - 1, &l), 0);
	assert_string_equal(l.dir, "/var/lib/mysql");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.files[0], "mysql-bin.000003");
	assert_string_equal(l.files[2], "mysql-bin.000005");
	binlog_list_free(&l);
	assert_int_equal(binlog_list_parse("NULL\n", 5, &l), -ENOENT);   /* binary logging off */
	static const char *const bad[] = {
		"", "mysql-bin\nmysql-bin.000001\t1\n", "/var/lib/mysql/mysql-bin\n",
		"/var/lib/mysql/mysql-bin\n../etc/passwd\t1\n", "/var/lib/mysql/mysql-bin\n..\t1\n",
		"/var/lib/mysql/mysql-bin\nmysql bin.1\t1\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(binlog_list_parse(bad[i], strlen(bad[i]), &l), -EBADMSG);
		assert_null(l.files);
	}
	assert_int_equal(binlog_list_parse("/a/b\0\n", 6, &l), -EBADMSG);
}

static void pending(const char *text, const char *last, size_t want_from, bool want_gap)
{
	struct binlog_list l;
	size_t from;
	bool gap;
	assert_int_equal(binlog_list_parse(text, strlen(text), &l), 0);
	binlog_pending(&l, last, &from, &gap);
	if (from != want_from || gap != want_gap)
		print_error("last '%s': from %zu gap %d\n", last, from, gap);
	assert_int_equal(from, want_from);
	assert_int_equal(gap, want_gap);
	binlog_list_free(&l);
}

static void test_binlog_pending(void **state)
{
	(void)state;
	const char *l = "/d/b\nb.000003\t1\nb.000004\t1\nb.000005\t1\n";
	pending(l, "", 0, false);             /* nothing shipped yet: every closed one */
	pending(l, "b.000003", 1, false);     /* 4 is next (5 is open: the caller stops before it) */
	pending(l, "b.000004", 2, false);     /* only the open one is left */
	pending(l, "b.000002", 0, false);     /* 3 follows 2: no hole */
	pending(l, "b.000001", 0, true);      /* 2 was purged unshipped */
	pending(l, "b.000009", 0, false);     /* numbering began again: all are new */
	pending(l, "other.000004", 0, false); /* another basename */
	pending(l, "garbage", 0, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_parse),
		cmocka_unit_test(test_conf_render),
		cmocka_unit_test(test_conf_render_restore),
		cmocka_unit_test(test_datadir_fresh),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_binlog_list),
		cmocka_unit_test(test_binlog_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
