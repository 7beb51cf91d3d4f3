/* lib/backup_pitr.c: the hosts' object names read back, restore targets
 * parsed, which full backup and binary logs a point-in-time restore takes,
 * mariadb-backup's binary-log position, and the chain of binary logs from
 * it (holes, a log never shipped, the cut after the target). The doing —
 * MariaDB's tools — is tests/cli/backup_pitr.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "lib/backup_pitr.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* 2026-12-03T18:00:00Z */
#define T0 1796320800

static void name_info(void **state)
{
	struct backup_name_info ni;
	assert_int_equal(backup_name_info_parse("db1/full/20261203T180000Z.kbk", &ni), 0);
	assert_string_equal(ni.host, "db1");
	assert_true(ni.full);
	assert_int_equal(ni.stamp, T0);
	assert_string_equal(ni.file, "");
	assert_int_equal(backup_name_info_parse("db1/binlog/20261203T180001Z-mysql-bin.000012.kbk", &ni), 0);
	assert_false(ni.full);
	assert_int_equal(ni.stamp, T0 + 1);
	assert_string_equal(ni.file, "mysql-bin.000012");
	/* a file name with '-' in it */
	assert_int_equal(backup_name_info_parse("db-2/binlog/20261203T180001Z-my-bin.1.kbk", &ni), 0);
	assert_string_equal(ni.host, "db-2");
	assert_string_equal(ni.file, "my-bin.1");
	static const char *const bad[] = {
		"db1/full/20261203T180000Z",                 /* no suffix */
		"db1/full/20261203T180000.kbk",              /* no Z */
		"db1/full/20261303T180000Z.kbk",             /* month 13 */
		"db1/full/20260230T180000Z.kbk",             /* Feb 30 */
		"db1/full/20261203T250000Z.kbk",             /* hour 25 */
		"db1/full/20261203T180000Zx.kbk",            /* more after the stamp */
		"db1/full/x/20261203T180000Z.kbk",
		"db1/binlog/20261203T180000Z.kbk",           /* no file */
		"db1/binlog/20261203T180000Z-.kbk",          /* empty file */
		"db1/binlog/20261203T180000Zmysql-bin.1.kbk",/* no '-' */
		"db1/binlog/20261203T180000Z-a/b.kbk",       /* a path */
		"db1/other/20261203T180000Z.kbk",
		"full/20261203T180000Z.kbk",                 /* no host */
		"/db1/full/20261203T180000Z.kbk",
		"db1/../full/20261203T180000Z.kbk",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(backup_name_info_parse(bad[i], &ni), -EINVAL);
	assert_int_equal(backup_name_info_parse(NULL, &ni), -EINVAL);
}

static void targets(void **state)
{
	int64_t t;
	char s[32];
	assert_int_equal(backup_target_parse("latest", &t), 0);
	assert_true(t == PITR_LATEST);
	backup_target_str(t, s);
	assert_string_equal(s, "latest");
	assert_int_equal(backup_target_parse("2026-12-03T18:00:00Z", &t), 0);
	assert_int_equal(t, T0);
	backup_target_str(t, s);
	assert_string_equal(s, "2026-12-03T18:00:00Z");
	assert_int_equal(backup_target_parse("2026-12-03 18:00:05", &t), 0);
	assert_int_equal(t, T0 + 5);
	static const char *const bad[] = {
		"", "Latest", "yesterday", "2026-12-03", "2026-12-03T18:00:00", "2026-12-03 18:00:00Z",
		"2026-12-03T18:00:00+01:00", "2026-02-30T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03T18:00:60Z",
		"2026-1-03T18:00:00Z", "2026/12/03T18:00:00Z", "2026-12-03t18:00:00z", " 2026-12-03T18:00:00Z",
		"2026-12-03T18:00:0aZ", "2026-12-03T18:00:00Z ", "0262-12-03T18:00:00Z", "1969-12-31T23:59:59Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		t = 42;
		assert_int_equal(backup_target_parse(bad[i], &t), -EINVAL);
		assert_int_equal(t, 42);
	}
	assert_int_equal(backup_target_parse(NULL, &t), -EINVAL);
}

static char *names[] = {
	"db1/full/20261203T180000Z.kbk",
	"db1/binlog/20261203T175500Z-mysql-bin.000001.kbk",   /* before the full: never needed */
	"db1/binlog/20261203T180500Z-mysql-bin.000002.kbk",
	"db1/binlog/20261203T181000Z-mysql-bin.000003.kbk",
	"db1/binlog/20261203T181000Z-mysql-bin.000004.kbk",   /* same run: ordered by number */
	"db1/full/20261203T190000Z.kbk",
	"db1/binlog/20261203T190500Z-mysql-bin.000005.kbk",
	"db2/full/20261203T170000Z.kbk",                      /* another host */
	"db2/binlog/20261203T180500Z-mysql-bin.000009.kbk",
	"notes.kbk", "db1/full/broken.kbk",                   /* not the hosts' names: ignored */
};
#define N (sizeof names / sizeof *names)

static void plan_picks_full(void **state)
{
	struct pitr_plan p;
	char why[512];
	/* between the fulls: the first, and every binary log shipped at or after it */
	assert_int_equal(backup_pitr_plan(names, N, "db1", T0 + 1800, &p, why, sizeof why), 0);
	assert_string_equal(p.full, "db1/full/20261203T180000Z.kbk");
	assert_int_equal(p.n_binlogs, 4);
	assert_string_equal(p.binlog_files[0], "mysql-bin.000002");
	assert_string_equal(p.binlog_files[1], "mysql-bin.000003");
	assert_string_equal(p.binlog_files[2], "mysql-bin.000004");
	assert_string_equal(p.binlog_files[3], "mysql-bin.000005");
	backup_pitr_plan_free(&p);
	/* exactly at a full backup's time: that one */
	assert_int_equal(backup_pitr_plan(names, N, "db1", T0 + 3600, &p, why, sizeof why), 0);
	assert_string_equal(p.full, "db1/full/20261203T190000Z.kbk");
	assert_int_equal(p.n_binlogs, 1);
	backup_pitr_plan_free(&p);
	/* latest: the newest */
	assert_int_equal(backup_pitr_plan(names, N, "db1", PITR_LATEST, &p, why, sizeof why), 0);
	assert_string_equal(p.full, "db1/full/20261203T190000Z.kbk");
	backup_pitr_plan_free(&p);
	/* another host's */
	assert_int_equal(backup_pitr_plan(names, N, "db2", PITR_LATEST, &p, why, sizeof why), 0);
	assert_string_equal(p.full, "db2/full/20261203T170000Z.kbk");
	assert_int_equal(p.n_binlogs, 1);
	assert_string_equal(p.binlogs[0], "db2/binlog/20261203T180500Z-mysql-bin.000009.kbk");
	backup_pitr_plan_free(&p);
}

static void plan_refuses(void **state)
{
	struct pitr_plan p;
	char why[512];
	assert_int_equal(backup_pitr_plan(names, N, "db1", T0 - 1, &p, why, sizeof why), -ENOENT);
	assert_string_equal(why, "there is no full backup of db1 at or before 2026-12-03T17:59:59Z "
				 "(the oldest is from 2026-12-03T18:00:00Z)");
	assert_null(p.full);
	assert_int_equal(backup_pitr_plan(names, N, "db3", PITR_LATEST, &p, why, sizeof why), -ENOENT);
	assert_string_equal(why, "there is no full backup of db3");
	/* the host is the first segment, whole: "db" is not "db1" */
	assert_int_equal(backup_pitr_plan(names, N, "db", PITR_LATEST, &p, why, sizeof why), -ENOENT);
	assert_int_equal(backup_pitr_plan(NULL, 0, "db1", PITR_LATEST, &p, why, sizeof why), -ENOENT);
}

static void binlog_info(void **state)
{
	char f[PITR_FILE_MAX + 1];
	uint64_t pos;
	const char *ok1 = "mysql-bin.000002\t1337\t0-1-12\n";
	assert_int_equal(backup_binlog_info_parse(ok1, strlen(ok1), f, &pos), 0);
	assert_string_equal(f, "mysql-bin.000002");
	assert_int_equal(pos, 1337);
	const char *ok2 = "mysql-bin.000002\t4";
	assert_int_equal(backup_binlog_info_parse(ok2, strlen(ok2), f, &pos), 0);
	static const char *const bad[] = {
		"", "\n", "mysql-bin.000002", "mysql-bin.000002 1337", "mysql-bin.000002\t", "mysql-bin.000002\tx",
		"mysql-bin.000002\t-1", "mysql-bin.000002\t3", "mysql-bin\t1337", "../x.000002\t1337",
		"\t1337", "mysql-bin.000002\t1337\nmore\n", "mysql bin.000002\t1337",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(backup_binlog_info_parse(bad[i], strlen(bad[i]), f, &pos), -EBADMSG);
	assert_int_equal(backup_binlog_info_parse("a.1\0\t4", 6, f, &pos), -EBADMSG);
}

/* MariaDB 11's name first (the e2e's Debian 13 hosts write it), 10.x's otherwise. */
static void binlog_info_names(void **state)
{
	char dir[] = "/tmp/kiln-pitr-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *p = backup_binlog_info_path(dir);
	assert_non_null(strstr(p, "/xtrabackup_binlog_info"));   /* neither: 10.x's, for the message */
	free(p);
	char n11[256], n10[256];
	snprintf(n11, sizeof n11, "%s/mariadb_backup_binlog_info", dir);
	snprintf(n10, sizeof n10, "%s/xtrabackup_binlog_info", dir);
	FILE *f = fopen(n10, "w");
	assert_non_null(f);
	fclose(f);
	p = backup_binlog_info_path(dir);
	assert_string_equal(p, n10);
	free(p);
	f = fopen(n11, "w");
	assert_non_null(f);
	fclose(f);
	p = backup_binlog_info_path(dir);
	assert_string_equal(p, n11);
	free(p);
	unlink(n10);
	unlink(n11);
	rmdir(dir);
}

static void chain(void **state)
{
	struct pitr_plan p;
	char why[1024];
	size_t from, to;
	assert_int_equal(backup_pitr_plan(names, N, "db1", T0 + 1800, &p, why, sizeof why), 0);
	/* the full backup stands in 000002: from it; target before 000002's
	 * shipment: 000002 alone holds the target's events */
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", T0 + 60, &from, &to, why, sizeof why), 0);
	assert_int_equal(from, 0);
	assert_int_equal(to, 1);
	/* target after 000002's shipment, before 000003's: 000002 and 000003
	 * (000004 was shipped in the same run as 000003, after the target too) */
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", T0 + 400, &from, &to, why, sizeof why), 0);
	assert_int_equal(to, 2);
	/* latest: everything, 000002 to 000005 */
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", PITR_LATEST, &from, &to, why, sizeof why), 0);
	assert_int_equal(from, 0);
	assert_int_equal(to, 4);
	/* standing in 000003 (000002 was shipped while the backup ran) */
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000003", PITR_LATEST, &from, &to, why, sizeof why), 0);
	assert_int_equal(from, 1);
	assert_int_equal(to, 4);
	/* standing in a log that was never shipped */
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000001", PITR_LATEST, &from, &to, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "the binary log mysql-bin.000001 the full backup db1/full/20261203T180000Z.kbk "
				    "stands at was never shipped"));
	backup_pitr_plan_free(&p);

	/* a hole: 000003 missing */
	char *holed[] = { "db1/full/20261203T180000Z.kbk", "db1/binlog/20261203T180500Z-mysql-bin.000002.kbk",
			  "db1/binlog/20261203T181000Z-mysql-bin.000004.kbk" };
	assert_int_equal(backup_pitr_plan(holed, 3, "db1", PITR_LATEST, &p, why, sizeof why), 0);
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", PITR_LATEST, &from, &to, why, sizeof why), -EBADMSG);
	assert_string_equal(why, "the chain of binary logs after db1/binlog/20261203T180500Z-mysql-bin.000002.kbk has a "
				 "hole: mysql-bin.000003 was not shipped (db1/binlog/20261203T181000Z-mysql-bin.000004.kbk follows)");
	/* ... which does not matter when the target's events are all before it */
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", T0 + 60, &from, &to, why, sizeof why), 0);
	assert_int_equal(to, 1);
	backup_pitr_plan_free(&p);

	/* the numbering began again (another basename) within a chain: a hole */
	char *mixed[] = { "db1/full/20261203T180000Z.kbk", "db1/binlog/20261203T180500Z-mysql-bin.000002.kbk",
			  "db1/binlog/20261203T181000Z-other-bin.000003.kbk" };
	assert_int_equal(backup_pitr_plan(mixed, 3, "db1", PITR_LATEST, &p, why, sizeof why), 0);
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", PITR_LATEST, &from, &to, why, sizeof why), -EBADMSG);
	backup_pitr_plan_free(&p);

	/* no binary logs at all: the full backup alone */
	char *alone[] = { "db1/full/20261203T180000Z.kbk" };
	assert_int_equal(backup_pitr_plan(alone, 1, "db1", PITR_LATEST, &p, why, sizeof why), 0);
	assert_int_equal(backup_pitr_chain(&p, "mysql-bin.000002", PITR_LATEST, &from, &to, why, sizeof why), 0);
	assert_int_equal(from, 0);
	assert_int_equal(to, 0);
	/* a position that is no numbered log */
	backup_pitr_plan_free(&p);
	char *odd[] = { "db1/full/20261203T180000Z.kbk", "db1/binlog/20261203T180500Z-binlog.kbk" };
	assert_int_equal(backup_pitr_plan(odd, 2, "db1", PITR_LATEST, &p, why, sizeof why), 0);
	assert_int_equal(backup_pitr_chain(&p, "binlog", PITR_LATEST, &from, &to, why, sizeof why), -EBADMSG);
	backup_pitr_plan_free(&p);
}

/* Retention: keep_days of points in time stay restorable. */
static void prune(void **state)
{
	char *objs[] = {
		"db1/full/20261120T020000Z.kbk",                    /* 0: old */
		"db1/binlog/20261120T030000Z-mysql-bin.000001.kbk", /* 1: old */
		"db1/full/20261125T020000Z.kbk",                    /* 2: the base for a cutoff of 11-26 */
		"db1/binlog/20261125T020500Z-mysql-bin.000002.kbk", /* 3: after the base: needed */
		"db1/binlog/20261127T020500Z-mysql-bin.000003.kbk", /* 4 */
		"db1/full/20261202T020000Z.kbk",                    /* 5: newest */
		"db1/binlog/20261202T020500Z-mysql-bin.000004.kbk", /* 6 */
		"db1/binlog/20261124T230000Z-mysql-bin.000009.kbk", /* 7: before the base, old */
		"db2/full/20261101T020000Z.kbk",                    /* 8: another host */
		"db1/notes/old.kbk", "db1/full/x.kbk",              /* 9, 10: not the hosts' names */
	};
	size_t n = sizeof objs / sizeof *objs, nd;
	bool del[sizeof objs / sizeof *objs];
	char why[256];
	int64_t now;
	assert_int_equal(backup_target_parse("2026-12-03T02:00:00Z", &now), 0);
	/* keep 7 days: cutoff 11-26 02:00; base the full of 11-25 */
	assert_int_equal(backup_prune_plan(objs, n, "db1", now, 7, del, &nd, why, sizeof why), 0);
	assert_int_equal(nd, 3);
	assert_true(del[0] && del[1] && del[7]);
	for (size_t i = 2; i < n; i++)
		if (i != 7)
			assert_false(del[i]);
	/* keep 3 days: cutoff 11-30; base the full of 11-25 still (none between) */
	assert_int_equal(backup_prune_plan(objs, n, "db1", now, 3, del, &nd, why, sizeof why), 0);
	assert_int_equal(nd, 3);
	assert_false(del[2]);
	assert_false(del[4]);
	/* keep 30 days: nothing is that old */
	assert_int_equal(backup_prune_plan(objs, n, "db1", now, 30, del, &nd, why, sizeof why), 0);
	assert_int_equal(nd, 0);
	/* a year later, keep 7: the newest full is the base and stays with what came after it */
	assert_int_equal(backup_prune_plan(objs, n, "db1", now + 365 * 86400, 7, del, &nd, why, sizeof why), 0);
	assert_int_equal(nd, 6);
	assert_false(del[5]);
	assert_false(del[6]);
	assert_false(del[9]);
	assert_false(del[10]);
	assert_false(del[8]);
	/* every full backup newer than the window: the oldest is the base;
	 * only what is older than it and than the window goes */
	char *young[] = { "db1/binlog/20261101T000000Z-mysql-bin.000001.kbk", "db1/full/20261201T000000Z.kbk",
			  "db1/binlog/20261130T000000Z-mysql-bin.000002.kbk", "db1/binlog/20261201T000500Z-mysql-bin.000003.kbk" };
	bool del2[4];
	assert_int_equal(backup_prune_plan(young, 4, "db1", now, 7, del2, &nd, why, sizeof why), 0);
	assert_int_equal(nd, 1);
	assert_true(del2[0]);
	assert_false(del2[2]);   /* within the window */
	/* no full backup: nothing goes */
	char *none[] = { "db3/binlog/20260101T000000Z-mysql-bin.000001.kbk" };
	bool del3[1];
	assert_int_equal(backup_prune_plan(none, 1, "db3", now, 7, del3, &nd, why, sizeof why), -ENOENT);
	assert_string_equal(why, "there is no full backup of db3: nothing of it is pruned");
	assert_int_equal(nd, 0);
	assert_false(del3[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_info), cmocka_unit_test(targets),   cmocka_unit_test(plan_picks_full),
		cmocka_unit_test(plan_refuses), cmocka_unit_test(binlog_info), cmocka_unit_test(binlog_info_names), cmocka_unit_test(chain),
		cmocka_unit_test(prune),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
