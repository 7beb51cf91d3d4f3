/* firstboot/status: the resumable step record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "firstboot/status.h"
#include "lib/fileio.h"

static char dir[] = "/tmp/kiln-status-XXXXXX";

static void test_roundtrip(void **state)
{
	(void)state;
	char *p = path_join(dir, "status.json");
	struct status s = { 0 };
	status_set(&s, "network", STEP_DONE, NULL);
	status_set(&s, "join", STEP_FAILED, "db1: no answer on 3306 after %d s \"quoted\"\n", 120);
	s.seed_serial = 7;
	s.datasource = strdup("ec2-imdsv2");
	assert_int_equal(status_save(p, &s), 0);
	status_free(&s);

	struct status t;
	assert_int_equal(status_load(p, &t), 0);
	assert_int_equal(t.n, 2);
	assert_true(status_done(&t, "network"));
	assert_false(status_done(&t, "join"));
	assert_string_equal(status_step(&t, "join")->reason, "db1: no answer on 3306 after 120 s \"quoted\"\n");
	assert_null(status_step(&t, "network")->reason);
	assert_int_equal(t.seed_serial, 7);
	assert_string_equal(t.datasource, "ec2-imdsv2");
	char line[256];
	status_summary(&t, line, sizeof line);
	assert_non_null(strstr(line, "1/2 steps done; join failed"));
	status_set(&t, "join", STEP_DONE, NULL);
	status_summary(&t, line, sizeof line);
	assert_non_null(strstr(line, "deployment ready"));

	/* All done so far, but the last step has not run yet: not ready. */
	struct status early = { 0 };
	status_set(&early, "seed", STEP_DONE, NULL);
	status_set(&early, "identity", STEP_DONE, NULL);
	status_summary(&early, line, sizeof line);
	assert_null(strstr(line, "ready"));
	assert_non_null(strstr(line, "2/2 steps done, more to come"));
	status_free(&early);
	status_free(&t);
	free(p);
}

static void test_missing_is_empty(void **state)
{
	(void)state;
	struct status s;
	assert_int_equal(status_load("/nonexistent/kiln/status.json", &s), 0);
	assert_int_equal(s.n, 0);
	status_free(&s);
}

static void test_corrupt_refused(void **state)
{
	(void)state;
	char *p = path_join(dir, "bad.json");
	const char *bad[] = { "{\"steps\": [ {\"name\": \"x\", \"state\": \"bogus\"} ]}", "[1,2",
			      "{\"steps\": 3}", "",
			      /* numbers strictly: not read as 12, as -1 or as 0 */
			      "{\"seed_serial\": 12abc}", "{\"seed_serial\": -1}", "{\"seed_serial\": \"\"}",
			      "{\"seed_serial\": 99999999999999999999}",
			      "{\"steps\": [ {\"name\": \"x\", \"state\": \"done\", \"updated\": 17e8} ]}" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(write_file_atomic(p, bad[i], strlen(bad[i]), 0644), 0);
		struct status s;
		assert_int_equal(status_load(p, &s), -EBADMSG);
	}
	free(p);
}

/* Found by fuzz_status: reasons quote other programs and peers, and one
 * holding bytes that were not UTF-8 (or a YAML line break) was written raw,
 * so the next run could not read status.json, started afresh and forgot the
 * seed serial it had applied. */
static void test_any_reason_reads_back(void **state)
{
	(void)state;
	char *p = path_join(dir, "bytes.json");
	struct status s = { 0 };
	s.seed_serial = 9;
	status_set(&s, "role", STEP_FAILED, "mariadb: %s", "caf\xe9 \xff\xfe");   /* Latin-1, not UTF-8 */
	status_set(&s, "join", STEP_FAILED, "%s", "a\xe2\x80\xa8" "b \xc2\x85 c\x01");   /* LS, NEL, a control */
	assert_int_equal(status_save(p, &s), 0);
	struct status t;
	assert_int_equal(status_load(p, &t), 0);
	assert_int_equal(t.seed_serial, 9);
	assert_string_equal(status_step(&t, "role")->reason, "mariadb: caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(status_step(&t, "join")->reason, "a\xe2\x80\xa8" "b \xc2\x85 c\x01");
	status_free(&s);
	status_free(&t);
	free(p);
}

/* Found by fuzz_status: a repeated "datasource" key leaked the first value. */
static void test_repeated_key(void **state)
{
	(void)state;
	char *p = path_join(dir, "twice.json");
	const char *text = "{\"datasource\": \"a\", \"datasource\": \"b\", \"steps\": []}";
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	struct status s;
	assert_int_equal(status_load(p, &s), 0);
	assert_string_equal(s.datasource, "b");
	status_free(&s);   /* ASan: nothing else left over */
	free(p);
}

/* Owed work (a pending or interrupted step) is never "ready", in the
 * summary or in the JSON scripts read. */
static void test_never_ready_while_a_step_owes_work(void **state)
{
	(void)state;
	static const char *const steps[] = { "seed", "identity", "secrets", "datadisk", "role", "join" };
	static const enum step_state owing[] = { STEP_PENDING, STEP_RUNNING, STEP_FAILED };
	char *p = path_join(dir, "owed.json"), line[256], *json;
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < 6; i++) {
			struct status s = { 0 };
			for (size_t j = 0; j < 6; j++)
				status_set(&s, steps[j], j == i ? owing[k] : j == 5 ? STEP_SKIPPED : STEP_DONE, NULL);
			assert_false(status_ready(&s));
			status_summary(&s, line, sizeof line);
			assert_null(strstr(line, "ready"));
			assert_int_equal(status_save(p, &s), 0);
			assert_int_equal(read_file(p, 1 << 16, &json, NULL), 0);
			assert_non_null(strstr(json, "\"ready\": false,"));
			free(json);
			status_set(&s, steps[i], i == 5 ? STEP_SKIPPED : STEP_DONE, NULL);
			assert_true(status_ready(&s));
			assert_int_equal(status_save(p, &s), 0);
			assert_int_equal(read_file(p, 1 << 16, &json, NULL), 0);
			assert_non_null(strstr(json, "\"ready\": true,"));
			free(json);
			status_free(&s);
		}
	free(p);
}

static char *print_all(const struct status *s, const struct status *b, bool json);

/* Timings: each step's start (ms since boot), its time and its phases'
 * times, in the order they ran; saved and read back exactly, printed in the
 * JSON and at the end of the table's line. */
static void test_timings(void **state)
{
	(void)state;
	char *p = path_join(dir, "timed.json");
	struct status s = { 0 };
	status_set(&s, "seed", STEP_DONE, NULL);   /* not timed (a record from before timings) */
	status_time_begin(&s, "role", 41000);
	assert_int_equal(status_step(&s, "role")->state, STEP_PENDING);   /* added as pending */
	status_set(&s, "role", STEP_RUNNING, NULL);
	status_phase_add(&s, "role", "restart-server", 8100);
	status_phase_add(&s, "role", "setup-sql", 2000);
	status_phase_add(&s, "role", "restart-server", 50);   /* again: added up, in its place */
	status_phase_add(&s, "role", "no-such-step-phase", -1);   /* a negative time is nothing */
	status_phase_add(&s, "nostep", "x", 5);   /* no such step: nothing */
	assert_null(status_step(&s, "nostep"));
	assert_int_equal(status_step(&s, "role")->ms, -1);   /* running: no duration yet */
	status_time_end(&s, "role", 51250);
	status_set(&s, "role", STEP_DONE, "MariaDB configured");
	status_time_end(&s, "seed", 99);   /* not timed: stays so */
	assert_int_equal(status_step(&s, "seed")->ms, -1);
	assert_int_equal(status_save(p, &s), 0);

	char *json;
	assert_int_equal(read_file(p, 1 << 16, &json, NULL), 0);
	assert_non_null(strstr(json, "{\"name\": \"role\", \"state\": \"done\", \"updated\": "));
	assert_non_null(strstr(json, "\"reason\": \"MariaDB configured\", \"started_ms\": 41000, \"ms\": 10250, "
				     "\"phases\": {\"restart-server\": 8150, \"setup-sql\": 2000}}"));
	assert_non_null(strstr(json, "\"reason\": null, \"started_ms\": null, \"ms\": null, \"phases\": {}}"));
	free(json);

	struct status t;
	assert_int_equal(status_load(p, &t), 0);
	const struct step *r = status_step(&t, "role");
	assert_int_equal(r->started_ms, 41000);
	assert_int_equal(r->ms, 10250);
	assert_int_equal(r->n_phases, 2);
	assert_string_equal(r->phases[0].name, "restart-server");
	assert_int_equal(r->phases[0].ms, 8150);
	assert_string_equal(r->phases[1].name, "setup-sql");
	assert_int_equal(status_step(&t, "seed")->started_ms, -1);
	assert_int_equal(status_step(&t, "seed")->ms, -1);
	/* the table is as it was; the times are their own table */
	char *text = print_all(&t, NULL, false);
	assert_non_null(strstr(text, "  role           done     MariaDB configured\n"));
	free(text);
	status_time_begin(&t, "join", 60000);   /* running */
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	status_print_times(&t, f);
	fclose(f);
	assert_string_equal(text, "  step            began at     took  phases\n"
				  "  seed                   -        - \n"
				  "  role              41.0 s   10.2 s  restart-server 8.2 s, setup-sql 2.0 s\n"
				  "  join              60.0 s   (runs) \n");
	free(text);
	status_time_end(&t, "join", 60400);
	f = open_memstream(&text, &len);
	status_print_times(&t, f);
	fclose(f);
	assert_non_null(strstr(text, "  join              60.0 s    0.4 s \n"));
	free(text);
	/* a clock that went back (it cannot, but) is no negative time */
	status_time_begin(&t, "join", 60000);
	status_time_end(&t, "join", 59000);
	assert_int_equal(status_step(&t, "join")->ms, 0);
	/* a new run starts afresh */
	status_time_begin(&t, "role", 5);
	assert_int_equal(status_step(&t, "role")->n_phases, 0);
	assert_int_equal(status_step(&t, "role")->ms, -1);
	status_free(&t);
	status_free(&s);
	free(p);
}

/* More phases than a step keeps, or a name too long: the time still counts, as "other". */
static void test_phase_overflow(void **state)
{
	(void)state;
	struct status s = { 0 };
	status_time_begin(&s, "role", 0);
	for (int i = 0; i < STATUS_MAX_PHASES + 3; i++) {
		char name[16];
		snprintf(name, sizeof name, "p%d", i);
		status_phase_add(&s, "role", name, 10);
	}
	status_phase_add(&s, "role", "a-phase-name-longer-than-the-record-keeps", 7);
	const struct step *st = status_step(&s, "role");
	assert_int_equal(st->n_phases, STATUS_MAX_PHASES);
	assert_string_equal(st->phases[STATUS_MAX_PHASES - 2].name, "p10");
	assert_string_equal(st->phases[STATUS_MAX_PHASES - 1].name, "other");
	assert_int_equal(st->phases[STATUS_MAX_PHASES - 1].ms, 10 * 4 + 7);   /* p11..p14 and the long one */
	int64_t sum = 0;
	for (size_t i = 0; i < st->n_phases; i++)
		sum += st->phases[i].ms;
	assert_int_equal(sum, 10 * (STATUS_MAX_PHASES + 3) + 7);
	status_free(&s);

	/* a long name with room left goes to "other" too */
	struct status u = { 0 };
	status_time_begin(&u, "x", 0);
	status_phase_add(&u, "x", "a-phase-name-longer-than-the-record-keeps", 3);
	assert_string_equal(status_step(&u, "x")->phases[0].name, "other");
	status_free(&u);
}

/* Timings that are not ours are a corrupt record, like any other field. */
static void test_bad_timings_refused(void **state)
{
	(void)state;
	char *p = path_join(dir, "badtime.json");
#define STEP_WITH(x) "{\"steps\": [ {\"name\": \"role\", \"state\": \"done\", " x "} ]}"
	const char *bad[] = { STEP_WITH("\"ms\": -5"), STEP_WITH("\"ms\": \"12\""), STEP_WITH("\"ms\": 1.5"),
			      STEP_WITH("\"started_ms\": 12abc"), STEP_WITH("\"ms\": [1]"),
			      STEP_WITH("\"started_ms\": 99999999999999999999"), STEP_WITH("\"phases\": [1, 2]"),
			      STEP_WITH("\"phases\": 3"), STEP_WITH("\"phases\": {\"a\": -1}"),
			      STEP_WITH("\"phases\": {\"a\": null}"), STEP_WITH("\"phases\": {\"a\": {}}"),
			      STEP_WITH("\"phases\": {\"a\": 1, \"a\": 2}"), STEP_WITH("\"phases\": {\"\": 1}"),
			      STEP_WITH("\"phases\": {\"a-phase-name-longer-than-the-record-keeps\": 1}"),
			      STEP_WITH("\"phases\": {\"p0\": 1, \"p1\": 1, \"p2\": 1, \"p3\": 1, \"p4\": 1, \"p5\": 1, "
					"\"p6\": 1, \"p7\": 1, \"p8\": 1, \"p9\": 1, \"p10\": 1, \"p11\": 1, \"p12\": 1}") };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(write_file_atomic(p, bad[i], strlen(bad[i]), 0644), 0);
		struct status s;
		assert_int_equal(status_load(p, &s), -EBADMSG);
	}
	/* null is "not timed"; a record without the keys (before timings) reads as such */
	const char *good[] = { STEP_WITH("\"started_ms\": null, \"ms\": null, \"phases\": {}"), STEP_WITH("\"updated\": 3") };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		assert_int_equal(write_file_atomic(p, good[i], strlen(good[i]), 0644), 0);
		struct status s;
		assert_int_equal(status_load(p, &s), 0);
		assert_int_equal(s.steps[0].started_ms, -1);
		assert_int_equal(s.steps[0].ms, -1);
		assert_int_equal(s.steps[0].n_phases, 0);
		status_free(&s);
	}
#undef STEP_WITH
	free(p);
}

static int setup(void **state) { (void)state; return mkdtemp(dir) ? 0 : -1; }
static int teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static char *print_all(const struct status *s, const struct status *b, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	status_print_with_backups(s, b, f, json);
	fclose(f);
	return text;
}

/* The backup runs after the steps: their own rows and JSON array, no part
 * of "ready"; without them the output is what it always was. */
static void test_backups_printed(void **state)
{
	(void)state;
	struct status s = { 0 }, b = { 0 };
	status_set(&s, "join", STEP_DONE, NULL);
	status_set(&b, "backup-full", STEP_FAILED, "uploading db1/full/x.kbk to bak: HTTP 403 \"AccessDenied\"");
	b.steps[0].updated = 1764784800;   /* 2025-12-03 18:00:00 UTC */
	status_set(&b, "backup-binlogs", STEP_DONE, "no closed binary log to ship");
	char *t = print_all(&s, &b, false);
	assert_non_null(strstr(t, "  join           done     \nbackups:\n"
				  "  backup-full    failed   2025-12-03T18:00:00Z uploading db1/full/x.kbk to bak: HTTP 403"));
	assert_non_null(strstr(t, "  backup-binlogs done     "));
	free(t);
	t = print_all(&s, &b, true);
	assert_non_null(strstr(t, "\"ready\": true"));   /* a failed backup is not a failed first boot */
	assert_non_null(strstr(t, "  ],\n  \"backups\": [\n    {\"name\": \"backup-full\", \"state\": \"failed\", "
				  "\"updated\": 1764784800, \"reason\": \"uploading db1/full/x.kbk to bak: HTTP 403 \\\"AccessDenied\\\"\", "
				  "\"started_ms\": null, \"ms\": null, \"phases\": {}}"));
	assert_non_null(strstr(t, "\"backup-binlogs\""));
	assert_non_null(strstr(t, "}\n  ]\n}\n"));
	free(t);
	char *plain = print_all(&s, NULL, true), *none = NULL;
	assert_null(strstr(plain, "backups"));
	free(plain);
	struct status empty = { 0 };
	none = print_all(&empty, &empty, true);
	assert_non_null(strstr(none, "\"steps\": [],\n  \"backups\": []\n}\n"));
	free(none);
	none = print_all(&empty, &empty, false);
	assert_non_null(strstr(none, "backups:\n  (none run yet)\n"));
	free(none);
	status_free(&s);
	status_free(&b);
}

/* A replica's replication: one more member of the JSON object (after the
 * backups when there are any), the text after the tables; without it the
 * output is unchanged. The JSON still reads back as a status. */
static void test_extra_printed(void **state)
{
	(void)state;
	struct status s = { 0 }, b = { 0 };
	status_set(&s, "role", STEP_DONE, "replicating from db1");
	static const char rj[] = "\"replication\": {\"primary\": \"db1\", \"state\": \"replicating\"}";
	char *t = NULL;
	size_t len = 0;
	for (int with_b = 0; with_b < 2; with_b++) {
		FILE *f = open_memstream(&t, &len);
		status_print_ext(&s, with_b ? &b : NULL, rj, "replication:\n  state x\n", f, true);
		fclose(f);
		assert_non_null(strstr(t, with_b ? "  \"backups\": [],\n  \"replication\": {\"primary\": \"db1\""
						 : "}\n  ],\n  \"replication\": {\"primary\": \"db1\""));
		assert_non_null(strstr(t, "\"state\": \"replicating\"}\n}\n"));
		char tdir[] = "/tmp/kiln-st-XXXXXX";
		assert_non_null(mkdtemp(tdir));
		char path[64];
		snprintf(path, sizeof path, "%s/status.json", tdir);
		FILE *w = fopen(path, "w");
		fputs(t, w);
		fclose(w);
		struct status back;
		assert_int_equal(status_load(path, &back), 0);   /* an unknown member is no corruption */
		assert_int_equal(back.n, 1);
		status_free(&back);
		unlink(path);
		rmdir(tdir);
		free(t);
	}
	FILE *f = open_memstream(&t, &len);
	status_print_ext(&s, NULL, rj, "replication:\n  state x\n", f, false);
	fclose(f);
	assert_non_null(strstr(t, "replicating from db1\nreplication:\n  state x\n"));
	free(t);
	status_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_missing_is_empty),
		cmocka_unit_test(test_corrupt_refused),
		cmocka_unit_test(test_any_reason_reads_back),
		cmocka_unit_test(test_repeated_key),
		cmocka_unit_test(test_never_ready_while_a_step_owes_work),
		cmocka_unit_test(test_backups_printed),
		cmocka_unit_test(test_extra_printed),
		cmocka_unit_test(test_timings),
		cmocka_unit_test(test_phase_overflow),
		cmocka_unit_test(test_bad_timings_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
