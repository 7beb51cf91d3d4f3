/* firstboot/unit_wait.c: systemctl show's blocks parsed (and every malformed
 * shape refused), each unit's verdict, and the wait driven by a fake clock
 * and a scripted systemctl: pending then up, a unit that fails, one that
 * dies right after starting (caught by the settle), a peer unit retrying, a
 * unit that never comes up, systemctl itself failing; the settle counted from
 * each unit's own activation time when systemd gives it; unit_wait_settled
 * (a server is not stopped while it starts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "firstboot/unit_wait.h"

#define BLOCK(id, load, active, sub, result, extra) \
	"Id=" id "\n" extra "LoadState=" load "\nActiveState=" active "\nSubState=" sub "\nResult=" result "\n"
#define NODE_UP BLOCK("prometheus-node-exporter.service", "loaded", "active", "running", "success", "")
#define PROM_UP BLOCK("prometheus.service", "loaded", "active", "running", "success", "")
#define TIMER_UP BLOCK("kiln-metrics.timer", "loaded", "active", "waiting", "success", "")

static void test_parse(void **state)
{
	(void)state;
	struct unit_state st[3];
	/* systemctl's property order, not the order asked; Job= only while queued */
	const char *text = "Id=prometheus-node-exporter.service\nJob=412\nLoadState=loaded\nActiveState=inactive\n"
			   "SubState=dead\nResult=success\n\n" PROM_UP "\n" TIMER_UP;
	assert_int_equal(unit_show_parse(text, 3, st), 0);
	assert_string_equal(st[0].id, "prometheus-node-exporter.service");
	assert_true(st[0].job);
	assert_string_equal(st[0].active, "inactive");
	assert_string_equal(st[0].sub, "dead");
	assert_false(st[1].job);
	assert_string_equal(st[1].load, "loaded");
	assert_string_equal(st[1].result, "success");
	assert_string_equal(st[2].sub, "waiting");
	/* extra properties are ignored; values too long are cut, not overrun */
	char big[400] = "Id=";
	memset(big + 3, 'x', 300);
	strcpy(big + 303, "\nLoadState=loaded\nActiveState=active\nNRestarts=0\n");
	assert_int_equal(unit_show_parse(big, 1, st), 0);
	assert_int_equal(strlen(st[0].id), sizeof st[0].id - 1);
	/* no trailing newline, and a trailing blank line, are both fine */
	assert_int_equal(unit_show_parse("LoadState=loaded\nActiveState=active", 1, st), 0);
	assert_int_equal(unit_show_parse("LoadState=loaded\nActiveState=active\n\n", 1, st), 0);
	/* the activation time: µs to ms; absent, 0 (never active) or not a number: -1 */
	assert_int_equal(st[0].active_since_ms, -1);
	static const struct { const char *v; int64_t ms; } ts[] = {
		{ "123456789", 123456 }, { "1000", 1 }, { "999", 0 }, { "0", -1 }, { "", -1 }, { "12a", -1 },
		{ "-5", -1 }, { "99999999999999999999", -1 },
	};
	for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
		char t[160];
		snprintf(t, sizeof t, "LoadState=loaded\nActiveState=active\nActiveEnterTimestampMonotonic=%s\n", ts[i].v);
		assert_int_equal(unit_show_parse(t, 1, st), 0);
		if (st[0].active_since_ms != ts[i].ms)
			fail_msg("'%s': %lld ms, want %lld", ts[i].v, (long long)st[0].active_since_ms, (long long)ts[i].ms);
	}
}

static void test_parse_refuses(void **state)
{
	(void)state;
	struct unit_state st[2];
	assert_int_equal(unit_show_parse(NODE_UP, 2, st), -EBADMSG);                  /* a unit missing */
	assert_int_equal(unit_show_parse(NODE_UP "\n" PROM_UP, 1, st), -EBADMSG);     /* one too many */
	assert_int_equal(unit_show_parse("", 1, st), -EBADMSG);                       /* nothing */
	assert_int_equal(unit_show_parse("Id=x.service\nActiveState=active\n", 1, st), -EBADMSG);   /* no LoadState */
	assert_int_equal(unit_show_parse("Id=x.service\nLoadState=loaded\n\n" PROM_UP, 2, st), -EBADMSG);  /* no ActiveState */
	assert_int_equal(unit_show_parse("LoadState=loaded\nActiveState=active\nnot a property\n", 1, st), -EBADMSG);
	assert_int_equal(unit_show_parse("LoadState=loaded\n=active\n", 1, st), -EBADMSG);
	assert_int_equal(unit_show_parse("", 0, st), 0);
}

static enum unit_verdict verdict_of(const char *block, bool peer, char *why)
{
	struct unit_state st;
	assert_int_equal(unit_show_parse(block, 1, &st), 0);
	const struct unit_want w = { "x.service", peer };
	return unit_verdict(&w, &st, why, 200);
}

static void test_verdict(void **state)
{
	(void)state;
	char why[200];
	static const struct {
		const char *block;
		bool peer;
		enum unit_verdict want;
		const char *why;
	} c[] = {
		{ BLOCK("x.service", "loaded", "active", "running", "success", ""), false, UNIT_UP, "" },
		{ BLOCK("x.socket", "loaded", "active", "listening", "success", ""), false, UNIT_UP, "" },
		/* still the old process, a restart queued: not up yet */
		{ BLOCK("x.service", "loaded", "active", "running", "success", "Job=7\n"), false, UNIT_PENDING, "" },
		{ BLOCK("x.service", "loaded", "inactive", "dead", "success", "Job=7\n"), false, UNIT_PENDING, "" },
		{ BLOCK("x.service", "loaded", "activating", "start-pre", "success", ""), false, UNIT_PENDING, "" },
		{ BLOCK("x.service", "loaded", "deactivating", "stop-sigterm", "success", ""), false, UNIT_PENDING, "" },
		{ BLOCK("x.service", "loaded", "failed", "failed", "exit-code", ""), false, UNIT_FAILED,
		  "x.service failed (exit-code)" },
		{ BLOCK("x.service", "loaded", "failed", "failed", "exit-code", ""), true, UNIT_FAILED,
		  "x.service failed (exit-code)" },
		{ BLOCK("x.service", "loaded", "activating", "auto-restart", "exit-code", ""), false, UNIT_FAILED,
		  "x.service exited (exit-code) and is restarting" },
		{ BLOCK("x.service", "loaded", "activating", "auto-restart", "exit-code", ""), true, UNIT_RETRYING,
		  "x.service exited (exit-code) and is restarting" },
		{ BLOCK("x.service", "loaded", "inactive", "dead", "success", ""), false, UNIT_FAILED,
		  "x.service is not running (dead, success)" },
		{ "LoadState=loaded\nActiveState=inactive\n", true, UNIT_FAILED, "x.service is not running (inactive, none)" },
		{ BLOCK("x.service", "not-found", "inactive", "dead", "success", ""), false, UNIT_FAILED, "x.service is not-found" },
		/* a queued job does not hide a unit that cannot load */
		{ BLOCK("x.service", "masked", "inactive", "dead", "success", "Job=9\n"), false, UNIT_FAILED, "x.service is masked" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		why[0] = 0;
		enum unit_verdict v = verdict_of(c[i].block, c[i].peer, why);
		if (v != c[i].want || strcmp(why, c[i].why))
			fail_msg("case %zu: verdict %d, want %d; why '%s', want '%s'", i, v, c[i].want, why, c[i].why);
	}
}

/* A scripted systemctl: answer i is given on the i-th call (the last one
 * repeats); each sleep advances the clock. */
struct script {
	const char *const *answers;
	size_t n, calls;
	int fail;              /* nonzero: show fails with this */
	unsigned cost;         /* ms each show takes (the clock advances) */
	int64_t now;
	unsigned slept;
};

static int fake_show(void *ud, const struct unit_want *u, size_t n, struct buf *out, char *why, size_t why_len)
{
	(void)u;
	(void)n;
	struct script *s = ud;
	size_t i = s->calls < s->n ? s->calls : s->n - 1;
	s->calls++;
	s->now += s->cost;
	if (s->fail) {
		snprintf(why, why_len, "systemctl show exited 1: Failed to connect to bus");
		return s->fail;
	}
	buf_puts(out, s->answers[i]);
	return 0;
}

static int64_t fake_now(void *ud) { return ((struct script *)ud)->now; }

static void fake_sleep(void *ud, unsigned ms)
{
	struct script *s = ud;
	s->now += ms;
	s->slept += ms;
}

static const struct unit_want units[] = { { "prometheus-node-exporter.service", false },
					  { "systemd-journal-upload.service", true } };
static const struct unit_wait_opts opts = { .timeout_ms = 10000, .settle_ms = 2000, .poll_ms = 1000 };

#define UPLOAD_UP BLOCK("systemd-journal-upload.service", "loaded", "active", "running", "success", "")
#define UPLOAD_RETRY BLOCK("systemd-journal-upload.service", "loaded", "activating", "auto-restart", "exit-code", "")
#define NODE_QUEUED BLOCK("prometheus-node-exporter.service", "loaded", "inactive", "dead", "success", "Job=5\n")
#define NODE_FAILED BLOCK("prometheus-node-exporter.service", "loaded", "failed", "failed", "exit-code", "")
#define NODE_RESTART BLOCK("prometheus-node-exporter.service", "loaded", "activating", "auto-restart", "exit-code", "")

static int wait_with(struct script *s, char *why)
{
	const struct unit_wait_ops ops = { fake_show, fake_now, fake_sleep, s };
	return unit_wait(&ops, &opts, units, 2, why, 300);
}

static void test_wait_up(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { NODE_QUEUED "\n" UPLOAD_UP, NODE_UP "\n" UPLOAD_UP };
	struct script s = { .answers = a, .n = 2, .now = 1000 };
	assert_int_equal(wait_with(&s, why), 0);
	assert_string_equal(why, "");
	/* pending once, then up at 2 s: asked again once, 2 s later */
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.slept, 3000);
}

/* A show that takes long (a process under TCG): the next one comes three
 * times that later, so the units waited for keep most of the CPU. */
static void test_wait_backs_off(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { NODE_QUEUED "\n" UPLOAD_UP, NODE_QUEUED "\n" UPLOAD_UP, NODE_UP "\n" UPLOAD_UP };
	struct script s = { .answers = a, .n = 3, .cost = 500, .now = 1000 };
	assert_int_equal(wait_with(&s, why), 0);
	/* asked at 1, 3 and 5 s (1.5 s after each answer), up at 5.5 s, settled 2 s later */
	assert_int_equal(s.calls, 4);
	assert_int_equal(s.slept, 1500 + 1500 + 2000);
	assert_int_equal(s.now, 8000);
	/* a cheap show keeps poll_ms */
	struct script t = { .answers = a, .n = 3, .cost = 100, .now = 1000 };
	assert_int_equal(wait_with(&t, why), 0);
	assert_int_equal(t.slept, 1000 + 1000 + 2000);
	/* the timeout still holds */
	static const char *const q[] = { NODE_QUEUED "\n" UPLOAD_UP };
	struct script u = { .answers = q, .n = 1, .cost = 500 };
	assert_int_equal(wait_with(&u, why), -ETIMEDOUT);
	assert_string_equal(why, "prometheus-node-exporter.service still starting after 10 s");
	assert_int_equal(u.calls, 6);
}

static void test_wait_peer_retrying(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { NODE_UP "\n" UPLOAD_RETRY };
	struct script s = { .answers = a, .n = 1 };
	assert_int_equal(wait_with(&s, why), 0);
	assert_string_equal(why, "systemd-journal-upload.service exited (exit-code) and is restarting");
}

static void test_wait_failed(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { NODE_QUEUED "\n" UPLOAD_UP, NODE_FAILED "\n" UPLOAD_UP };
	struct script s = { .answers = a, .n = 2 };
	assert_int_equal(wait_with(&s, why), -EIO);
	assert_string_equal(why, "prometheus-node-exporter.service failed (exit-code)");
	assert_int_equal(s.calls, 2);
}

/* Type=simple: active the moment it forks; dying a second later is caught
 * before the settle is over. */
static void test_wait_dies_after_start(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { NODE_UP "\n" UPLOAD_UP, NODE_RESTART "\n" UPLOAD_UP };
	struct script s = { .answers = a, .n = 2 };
	assert_int_equal(wait_with(&s, why), -EIO);
	assert_string_equal(why, "prometheus-node-exporter.service exited (exit-code) and is restarting");
}

static void test_wait_timeout(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { NODE_QUEUED "\n" UPLOAD_UP };
	struct script s = { .answers = a, .n = 1 };
	assert_int_equal(wait_with(&s, why), -ETIMEDOUT);
	assert_string_equal(why, "prometheus-node-exporter.service still starting after 10 s");
	assert_int_equal(s.slept, 10000);
}

static void test_wait_show_fails(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { "" };
	struct script s = { .answers = a, .n = 1, .fail = -EIO };
	assert_int_equal(wait_with(&s, why), -EIO);
	assert_string_equal(why, "systemctl show exited 1: Failed to connect to bus");
	/* an answer that is not one block per unit */
	static const char *const b[] = { NODE_UP };
	struct script t = { .answers = b, .n = 1 };
	assert_int_equal(wait_with(&t, why), -EBADMSG);
	assert_string_equal(why, "systemd's answer: not one block of properties per unit");
}

/* With systemd's activation times: units up long enough already need no
 * second look; one up only 500 ms is given the rest of the settle; a unit
 * with no time (0) falls back to the settle from the first poll. */
#define AT(us) "ActiveEnterTimestampMonotonic=" us "\n"
static void test_wait_settle_from_activation(void **state)
{
	(void)state;
	char why[300];
	static const char *const old[] = {
		BLOCK("prometheus-node-exporter.service", "loaded", "active", "running", "success", AT("4000000"))
		"\n" BLOCK("systemd-journal-upload.service", "loaded", "active", "running", "success", AT("7000000")) };
	struct script s = { .answers = old, .n = 1, .now = 9000 };
	assert_int_equal(wait_with(&s, why), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.slept, 0);
	/* journal upload active since 8.5 s: done once 10.5 s have passed (polls at 9 and 10.5 s) */
	static const char *const young[] = {
		BLOCK("prometheus-node-exporter.service", "loaded", "active", "running", "success", AT("4000000"))
		"\n" BLOCK("systemd-journal-upload.service", "loaded", "active", "running", "success", AT("8500000")) };
	struct script t = { .answers = young, .n = 1, .now = 9000 };
	assert_int_equal(wait_with(&t, why), 0);
	assert_int_equal(t.calls, 2);
	assert_int_equal(t.slept, 1500);
	/* a unit that dies within its settle is still caught */
	static const char *const dies[] = {
		BLOCK("prometheus-node-exporter.service", "loaded", "active", "running", "success", AT("8800000"))
		"\n" UPLOAD_UP, NODE_RESTART "\n" UPLOAD_UP };
	struct script u = { .answers = dies, .n = 2, .now = 9000 };
	assert_int_equal(wait_with(&u, why), -EIO);
	assert_string_equal(why, "prometheus-node-exporter.service exited (exit-code) and is restarting");
	/* no activation time (0), or one in the future: the settle from the first poll */
	static const char *const none[] = {
		BLOCK("prometheus-node-exporter.service", "loaded", "active", "running", "success", AT("0"))
		"\n" BLOCK("systemd-journal-upload.service", "loaded", "active", "running", "success", AT("99000000")) };
	struct script v = { .answers = none, .n = 1, .now = 9000 };
	assert_int_equal(wait_with(&v, why), 0);
	assert_int_equal(v.calls, 2);
	assert_int_equal(v.slept, 2000);
	/* a peer retrying is not waited for; the other unit, long up, is done at once */
	static const char *const retry[] = {
		BLOCK("prometheus-node-exporter.service", "loaded", "active", "running", "success", AT("1000000"))
		"\n" UPLOAD_RETRY };
	struct script w = { .answers = retry, .n = 1, .now = 9000 };
	assert_int_equal(wait_with(&w, why), 0);
	assert_int_equal(w.calls, 1);
	assert_string_equal(why, "systemd-journal-upload.service exited (exit-code) and is restarting");
}

/* Whether systemd must reload before the monitoring units start: only when
 * it says so (NeedDaemonReload other than "no") or a unit is not loaded;
 * the first such unit named; every malformed answer refused. */
#define RL(id, load, need) "Id=" id "\nNeedDaemonReload=" need "\nLoadState=" load "\n"
/* unit_wait_settled, for a server about to be stopped (the data disk step):
 * a start under way is waited for; a unit that is up, failed, stopped, not
 * there, waiting to restart or whose start is only queued is not; one still
 * starting at the deadline is a timeout, never a stop. */
#define DB(active, sub, extra) BLOCK("mariadb.service", "loaded", active, sub, "success", extra)
static const struct unit_want db = { "mariadb.service", false };

static int settled_with(struct script *s, char *why)
{
	const struct unit_wait_ops ops = { fake_show, fake_now, fake_sleep, s };
	return unit_wait_settled(&ops, 10000, 1000, &db, why, 300);
}

static void test_settled_waits_for_start(void **state)
{
	(void)state;
	char why[300];
	static const char *const a[] = { DB("activating", "start", "Job=7\n"), DB("activating", "start-post", "Job=7\n"),
					 DB("active", "running", "") };
	struct script s = { .answers = a, .n = 3 };
	assert_int_equal(settled_with(&s, why), 0);
	assert_string_equal(why, "active");
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.slept, 2000);
	/* a start that fails settles too: nothing left to stop */
	static const char *const b[] = { DB("activating", "start", "Job=7\n"), DB("failed", "failed", "") };
	struct script t = { .answers = b, .n = 2 };
	assert_int_equal(settled_with(&t, why), 0);
	assert_string_equal(why, "failed");
	/* a stop under way (stop-sigterm) is waited for as well */
	static const char *const c[] = { DB("deactivating", "stop-sigterm", "Job=9\n"), DB("inactive", "dead", "") };
	struct script u = { .answers = c, .n = 2 };
	assert_int_equal(settled_with(&u, why), 0);
	assert_string_equal(why, "inactive");
	assert_int_equal(u.calls, 2);
}

static void test_settled_at_once(void **state)
{
	(void)state;
	char why[300];
	static const struct { const char *block, *why; } c[] = {
		{ DB("active", "running", ""), "active" },
		{ DB("inactive", "dead", ""), "inactive" },
		{ DB("failed", "failed", ""), "failed" },
		/* queued behind the early stage, which waits for nothing of it */
		{ DB("inactive", "dead", "Job=3\n"), "inactive" },
		/* between two tries after a failure: no process */
		{ DB("activating", "auto-restart", ""), "activating" },
		{ BLOCK("minio.service", "not-found", "inactive", "dead", "", ""), "not-found" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		const char *a[] = { c[i].block };
		struct script s = { .answers = a, .n = 1 };
		int r = settled_with(&s, why);
		if (r != 0 || strcmp(why, c[i].why) || s.calls != 1 || s.slept)
			fail_msg("case %zu: %d '%s' after %zu calls, want 0 '%s' at once", i, r, why, s.calls, c[i].why);
	}
}

static void test_settled_refuses(void **state)
{
	(void)state;
	char why[300];
	/* still starting at the deadline: a timeout, never "settled" */
	static const char *const a[] = { DB("activating", "start", "Job=7\n") };
	struct script s = { .answers = a, .n = 1 };
	assert_int_equal(settled_with(&s, why), -ETIMEDOUT);
	assert_string_equal(why, "mariadb.service still starting after 10 s");
	assert_int_equal(s.slept, 10000);
	static const char *const b[] = { DB("deactivating", "stop-sigterm", "") };
	struct script t = { .answers = b, .n = 1 };
	assert_int_equal(settled_with(&t, why), -ETIMEDOUT);
	assert_string_equal(why, "mariadb.service still stopping after 10 s");
	static const char *const r[] = { DB("reloading", "reload", "") };
	struct script v = { .answers = r, .n = 1 };
	assert_int_equal(settled_with(&v, why), -ETIMEDOUT);
	assert_string_equal(why, "mariadb.service still reloading after 10 s");
	/* systemctl failing, and answers that are not one block */
	static const char *const f[] = { "" };
	struct script w = { .answers = f, .n = 1, .fail = -EIO };
	assert_int_equal(settled_with(&w, why), -EIO);
	assert_string_equal(why, "systemctl show exited 1: Failed to connect to bus");
	static const char *const bad[] = { DB("active", "running", "") "\n" DB("active", "running", ""), "",
					   "ActiveState=active\n", "LoadState=loaded\nnot a property\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *x[] = { bad[i] };
		struct script y = { .answers = x, .n = 1 };
		assert_int_equal(settled_with(&y, why), -EBADMSG);
		assert_string_equal(why, "systemd's answer: not one block of properties for mariadb.service");
	}
}

static void test_reload_needed(void **state)
{
	(void)state;
	char why[200] = "";
	/* a first boot: every unit loaded from the files as written */
	assert_int_equal(unit_reload_needed(RL("a.service", "loaded", "no") "\n" RL("b.timer", "loaded", "no"), 2, why,
					    sizeof why), 0);
	assert_string_equal(why, "");
	/* no final newline, properties in any order */
	assert_int_equal(unit_reload_needed("LoadState=loaded\nNeedDaemonReload=no\nId=a.service", 1, why, sizeof why), 0);
	/* a newer seed rewrote a running unit's drop-in */
	assert_int_equal(unit_reload_needed(RL("a.service", "loaded", "no") "\n" RL("b.service", "loaded", "yes") "\n"
					    RL("c.service", "loaded", "yes"), 3, why, sizeof why), 1);
	assert_string_equal(why, "b.service changed on disk since systemd loaded it");
	/* a unit file systemd does not see yet: its name before its state or after */
	assert_int_equal(unit_reload_needed(RL("a.service", "loaded", "no") "\n" RL("kiln-metrics.timer", "not-found", "no"),
					    2, why, sizeof why), 1);
	assert_string_equal(why, "kiln-metrics.timer is not-found");
	assert_int_equal(unit_reload_needed("LoadState=masked\nNeedDaemonReload=no\nId=x.service\n", 1, why, sizeof why), 1);
	assert_string_equal(why, "x.service is masked");
	/* anything but "no" is a reload */
	assert_int_equal(unit_reload_needed(RL("a.service", "loaded", ""), 1, why, sizeof why), 1);
	/* refused: too few or too many blocks, a block without one of the two, a line not KEY=VALUE */
	const char *bad[] = { "", RL("a.service", "loaded", "no"), RL("a", "loaded", "no") "\n" RL("b", "loaded", "no") "\n" RL("c", "loaded", "no"),
			      "Id=a\nLoadState=loaded\n\n" RL("b", "loaded", "no"), "Id=a\nNeedDaemonReload=no\n\n" RL("b", "loaded", "no"),
			      RL("a", "loaded", "no") "\nbogus\n", RL("a", "loaded", "no") "\n=x\n" };
	const size_t want[] = { 2, 2, 2, 2, 2, 2, 2 };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(unit_reload_needed(bad[i], want[i], why, sizeof why), -EBADMSG);
	/* blank lines between blocks, more than one: still two blocks */
	assert_int_equal(unit_reload_needed(RL("a", "loaded", "no") "\n\n" RL("b", "loaded", "no"), 2, why, sizeof why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_wait_up),
		cmocka_unit_test(test_wait_backs_off),
		cmocka_unit_test(test_wait_peer_retrying),
		cmocka_unit_test(test_wait_failed),
		cmocka_unit_test(test_wait_dies_after_start),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_wait_show_fails),
		cmocka_unit_test(test_wait_settle_from_activation),
		cmocka_unit_test(test_settled_waits_for_start),
		cmocka_unit_test(test_settled_at_once),
		cmocka_unit_test(test_settled_refuses),
		cmocka_unit_test(test_reload_needed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
