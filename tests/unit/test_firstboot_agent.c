/* firstboot/agent.c's timings: a step's time and its phases land in the
 * status with the write that ends the step (no write of their own), a step
 * left running keeps no duration until its verdict, whose wait in between is
 * its own phase, and work a newer seed owes forgets the old run's timing;
 * agent_enable's command (client-side, recorded and run); root_path's
 * roots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "firstboot/agent.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/fake_systemd.h"
#include "tests/unit/tmpdir_fixture.h"

static void nap(unsigned ms)
{
	struct timespec t = { 0, (long)ms * 1000000 };
	nanosleep(&t, NULL);
}

static struct status saved(const struct agent *a)
{
	struct status s;
	assert_int_equal(status_load(a->status_path, &s), 0);
	return s;
}

static void test_step_and_phases(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "one");
	assert_int_equal(agent_init(&a, root), 0);
	int64_t before = status_clock_ms();
	agent_time_begin(&a, "role");
	status_set(&a.status, "role", STEP_RUNNING, NULL);
	agent_save(&a);   /* running: written without a duration */
	struct status s = saved(&a);
	assert_true(status_step(&s, "role")->started_ms >= before);
	assert_int_equal(status_step(&s, "role")->ms, -1);
	status_free(&s);

	agent_phase(&a, "restart-server");
	nap(30);
	agent_phase(&a, "setup-sql");
	nap(10);
	agent_phase(&a, NULL);   /* closed: what follows is in no phase */
	nap(20);
	assert_int_equal(agent_step_end(&a, "role", 0, "configured"), 0);
	assert_null(a.timed_step);
	s = saved(&a);
	const struct step *st = status_step(&s, "role");
	assert_int_equal(st->state, STEP_DONE);
	assert_int_equal(st->n_phases, 2);
	assert_string_equal(st->phases[0].name, "restart-server");
	assert_true(st->phases[0].ms >= 30);
	assert_string_equal(st->phases[1].name, "setup-sql");
	assert_true(st->phases[1].ms >= 10);
	assert_true(st->ms >= 60);
	assert_true(st->ms >= st->phases[0].ms + st->phases[1].ms);
	status_free(&s);

	/* a phase outside any timed step is nothing */
	agent_phase(&a, "stray");
	agent_phase(&a, NULL);
	assert_int_equal(status_step(&a.status, "role")->n_phases, 2);
	agent_free(&a);
	free(root);
}

/* A step that ends with status_set and agent_save (skipped) is timed by that write. */
static void test_skip_timed_by_its_write(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "two");
	assert_int_equal(agent_init(&a, root), 0);
	agent_time_begin(&a, "join");
	status_set(&a.status, "join", STEP_SKIPPED, "only app hosts join their peers");
	assert_int_equal(agent_save(&a), 0);
	assert_null(a.timed_step);
	struct status s = saved(&a);
	assert_true(status_step(&s, "join")->ms >= 0);
	status_free(&s);
	agent_free(&a);
	free(root);
}

/* A step left running (monitoring): no duration when it returns; its
 * verdict later adds the wait for the later steps as a phase of its own and
 * the whole span as its time. */
static void test_left_running_then_verdict(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "three");
	assert_int_equal(agent_init(&a, root), 0);
	assert_int_equal(agent_save(&a), 0);
	agent_time_begin(&a, "monitoring");
	status_set(&a.status, "monitoring", STEP_RUNNING, NULL);
	agent_phase(&a, "restart");
	nap(10);
	status_set(&a.status, "monitoring", STEP_RUNNING, "units started");
	agent_save(&a);
	/* as agent_run does when the step returns */
	agent_phase(&a, NULL);
	a.timed_step = NULL;
	a.paused_ms = status_clock_ms();
	/* the next step, timed on its own */
	agent_time_begin(&a, "join");
	agent_phase(&a, "wait-mysql");
	nap(40);
	agent_step_end(&a, "join", 0, NULL);
	agent_time_resume(&a, "monitoring", "later-steps");
	agent_phase(&a, "check");
	nap(5);
	agent_step_end(&a, "monitoring", 0, "running");
	struct status s = saved(&a);
	const struct step *m = status_step(&s, "monitoring");
	assert_int_equal(m->n_phases, 3);
	assert_string_equal(m->phases[0].name, "restart");
	assert_string_equal(m->phases[1].name, "later-steps");
	assert_true(m->phases[1].ms >= 40);
	assert_string_equal(m->phases[2].name, "check");
	assert_true(m->ms >= 55);
	const struct step *j = status_step(&s, "join");
	assert_int_equal(j->n_phases, 1);
	assert_true(j->ms >= 40);
	status_free(&s);
	agent_free(&a);
	free(root);
}

/* Work a newer seed owes: the old run's timing no longer describes it. */
static void test_owed_forgets_timing(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "four");
	assert_int_equal(agent_init(&a, root), 0);
	agent_time_begin(&a, "role");
	agent_phase(&a, "setup-sql");
	agent_step_end(&a, "role", 0, NULL);
	assert_true(status_step(&a.status, "role")->ms >= 0);
	agent_owe(&a, "role", "seed serial %d", 2);
	const struct step *st = status_step(&a.status, "role");
	assert_int_equal(st->state, STEP_PENDING);
	assert_int_equal(st->started_ms, -1);
	assert_int_equal(st->ms, -1);
	assert_int_equal(st->n_phases, 0);
	agent_free(&a);
	free(root);
}

/* A unit file written again with the same bytes and mode keeps its mtime
 * (systemd would take a newer one for a change); anything else is written. */
static int64_t mtime_of(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static void age(const char *p)
{
	const struct timespec t[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
}

static void test_write_if_changed(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "five");
	assert_int_equal(agent_init(&a, root), 0);
	char *p = path_join(root, "etc/systemd/system/x.timer");
	static const char unit[] = "[Timer]\nOnActiveSec=5s\n";
	/* 1: written; 0: left alone */
	assert_int_equal(agent_write_if_changed(&a, "/etc/systemd/system/x.timer", unit, strlen(unit), 0644), 1);
	char *got = NULL;
	size_t n = 0;
	assert_int_equal(read_file(p, 4096, &got, &n), 0);
	assert_int_equal(n, strlen(unit));
	assert_memory_equal(got, unit, n);
	free(got);
	age(p);
	int64_t old = mtime_of(p);
	/* the same bytes and mode: left alone */
	assert_int_equal(agent_write_if_changed(&a, "/etc/systemd/system/x.timer", unit, strlen(unit), 0644), 0);
	assert_true(mtime_of(p) == old);
	/* another mode, one byte changed, longer, shorter, empty: written */
	assert_int_equal(agent_write_if_changed(&a, "/etc/systemd/system/x.timer", unit, strlen(unit), 0600), 1);
	assert_true(mtime_of(p) != old);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	static const char *const other[] = { "[Timer]\nOnActiveSec=6s\n", "[Timer]\nOnActiveSec=5s\n\n", "[Timer]\n", "" };
	for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
		age(p);
		old = mtime_of(p);
		assert_int_equal(agent_write_if_changed(&a, "/etc/systemd/system/x.timer", other[i], strlen(other[i]), 0600), 1);
		assert_true(mtime_of(p) != old);
		got = NULL;
		assert_int_equal(read_file(p, 4096, &got, &n), 0);
		assert_int_equal(n, strlen(other[i]));
		assert_true(n == 0 || memcmp(got, other[i], n) == 0);
		free(got);
	}
	/* the same (empty) again: left alone */
	age(p);
	old = mtime_of(p);
	assert_int_equal(agent_write_if_changed(&a, "/etc/systemd/system/x.timer", "", 0, 0600), 0);
	assert_true(mtime_of(p) == old);
	/* a directory where the file should be: agent_write's error */
	char *d = path_join(root, "etc/systemd/system/y.timer");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_true(agent_write_if_changed(&a, "/etc/systemd/system/y.timer", unit, strlen(unit), 0644) < 0);
	free(d);
	free(p);
	agent_free(&a);
	free(root);
}

/* agent_enable: `systemctl enable --no-reload UNIT...` with
 * SYSTEMCTL_INSTALL_CLIENT_SIDE=1, recorded with no_services and run with it
 * set otherwise (a systemctl first on PATH writes down what it got); its
 * failure is the caller's, with systemctl's words. */
static void test_enable_client_side(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "six");
	assert_int_equal(agent_init(&a, root), 0);
	static const char *const units[] = { "kiln-app.service", "x.timer" };
	char why[300] = "";
	a.no_services = true;
	assert_int_equal(agent_enable(&a, units, 2, why, sizeof why), 0);
	char *log = path_join(a.state_dir, "commands.log"), *got = NULL;
	size_t n = 0;
	assert_int_equal(read_file(log, 4096, &got, &n), 0);
	assert_string_equal(got, "SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload kiln-app.service x.timer\n");
	free(got);

	char *bin = path_join(tmpdir, "six-bin"), *fake = path_join(bin, "systemctl"), *out = path_join(bin, "got");
	assert_int_equal(mkdir(bin, 0755), 0);
	FILE *f = fopen(fake, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"client_side=$SYSTEMCTL_INSTALL_CLIENT_SIDE $*\" >> %s\n"
		   "[ \"$3\" != refused.service ] || { echo 'Failed to enable unit: refused' >&2; exit 1; }\n", out);
	fclose(f);
	assert_int_equal(chmod(fake, 0755), 0);
	char *path = xasprintf("%s:%s", bin, getenv("PATH"));
	char *old_path = xstrdup(getenv("PATH"));
	setenv("PATH", path, 1);
	a.no_services = false;
	assert_int_equal(agent_enable(&a, units, 2, why, sizeof why), 0);
	static const char *const bad[] = { "refused.service" };
	assert_true(agent_enable(&a, bad, 1, why, sizeof why) < 0);
	assert_non_null(strstr(why, "Failed to enable unit: refused"));
	setenv("PATH", old_path, 1);
	assert_int_equal(read_file(out, 4096, &got, &n), 0);
	assert_string_equal(got, "client_side=1 enable --no-reload kiln-app.service x.timer\n"
				 "client_side=1 enable --no-reload refused.service\n");
	free(got);
	free(old_path);
	free(path);
	free(out);
	free(fake);
	free(bin);
	free(log);
	agent_free(&a);
	free(root);
}

/* agent_reload_if_needed, against a fake systemd under the agent's root:
 * first which units systemd has loaded (GetUnit, which loads none), then one
 * question (Id, LoadState, NeedDaemonReload) per loaded unit, and Reload
 * only when one of them is stale or systemd found no file for it; units
 * systemd has not loaded (new files; every unit at a first boot) are not
 * asked about and need none; systemd's refusal of the reload is the
 * caller's; no systemd to ask is a reload attempted (and its failure); with
 * no_services `systemctl daemon-reload` recorded whatever the units. */
static void test_reload_if_needed(void **state)
{
	(void)state;
	struct agent a;
	char *root = path_join(tmpdir, "seven");
	assert_int_equal(agent_init(&a, root), 0);
	static const struct fake_unit units[] = {
		{ "minio.service", "loaded", "inactive", "dead", NULL, 0, 0, true },
		{ "ssh.service", "loaded", "active", "running", NULL, 0, 5, false },
		{ "kiln-backup-full.timer", "loaded", "inactive", "dead", NULL, 0, 0, false },
		{ "gone.service", "not-found", "inactive", "dead", NULL, 0, 0, false },
	};
	char *calls = path_join(tmpdir, "seven.calls"), *got = NULL;
	size_t n = 0;
	pid_t pid = fake_systemd_start(root, units, 4, calls);
	assert_true(pid > 0);
	char why[300] = "";
	static const char *const fresh[] = { "ssh.service", "kiln-backup-full.timer" };
	assert_int_equal(agent_reload_if_needed(&a, "test", fresh, 2, why, sizeof why), 0);
	static const char *const stale[] = { "ssh.service", "minio.service" };
	assert_int_equal(agent_reload_if_needed(&a, "test", stale, 2, why, sizeof why), 1);
	static const char *const unloaded[] = { "new.service", "ssh.service", "new.timer" };
	assert_int_equal(agent_reload_if_needed(&a, "test", unloaded, 3, why, sizeof why), 0);
	static const char *const not_found[] = { "gone.service" };
	assert_int_equal(agent_reload_if_needed(&a, "test", not_found, 1, why, sizeof why), 1);
	assert_int_equal(read_file(calls, 1 << 16, &got, &n), 0);
	struct buf want;
	buf_init(&want);
#define ASKED(u) buf_printf(&want, "LoadUnit %s\nGet %s Id\nGet %s LoadState\nGet %s NeedDaemonReload\n", u, u, u, u)
	buf_puts(&want, "GetUnit ssh.service\nGetUnit kiln-backup-full.timer\n");
	ASKED("ssh.service");
	ASKED("kiln-backup-full.timer");
	buf_puts(&want, "GetUnit ssh.service\nGetUnit minio.service\n");
	ASKED("ssh.service");
	ASKED("minio.service");
	buf_puts(&want, "Reload\nGetUnit new.service\nGetUnit ssh.service\nGetUnit new.timer\n");
	ASKED("ssh.service");
	buf_puts(&want, "GetUnit gone.service\n");
	ASKED("gone.service");
	buf_puts(&want, "Reload\n");
#undef ASKED
	assert_string_equal(got, want.data);
	buf_free(&want);
	free(got);
	fake_systemd_stop(pid);
	/* the reload refused: the caller's failure, with systemd's words */
	fake_sd_refuse_reload = true;
	pid = fake_systemd_start(root, units, 4, calls);
	fake_sd_refuse_reload = false;
	assert_true(pid > 0);
	assert_int_equal(agent_reload_if_needed(&a, "test", stale, 2, why, sizeof why), -ENOSPC);
	assert_non_null(strstr(why, "Refusing to reload, not enough space available on /run/systemd"));
	fake_systemd_stop(pid);
	/* nobody to ask: a reload, to be safe, which fails the same way */
	assert_int_equal(agent_reload_if_needed(&a, "test", fresh, 2, why, sizeof why), -ENOENT);
	assert_string_equal(why, "cannot connect to systemd at /run/systemd/private: No such file or directory");
	/* recorded with no_services */
	a.no_services = true;
	assert_int_equal(agent_reload_if_needed(&a, "test", fresh, 2, why, sizeof why), 1);
	assert_int_equal(agent_reload(&a, why, sizeof why), 0);
	char *log = path_join(a.state_dir, "commands.log");
	assert_int_equal(read_file(log, 4096, &got, &n), 0);
	assert_string_equal(got, "systemctl daemon-reload\nsystemctl daemon-reload\n");
	free(got);
	free(log);
	free(calls);
	agent_free(&a);
	free(root);
}

/* root_path: "/", "" and NULL name the real root; another root prefixes */
static void test_root_path(void **state)
{
	(void)state;
	const char *roots[] = { "/", "", NULL };
	for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
		char *p = root_path(roots[i], "/var/lib/kiln");
		assert_string_equal(p, "/var/lib/kiln");
		free(p);
	}
	char *p = root_path("/tmp/r", "/var/lib/kiln");
	assert_string_equal(p, "/tmp/r/var/lib/kiln");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_and_phases),
		cmocka_unit_test(test_skip_timed_by_its_write),
		cmocka_unit_test(test_left_running_then_verdict),
		cmocka_unit_test(test_owed_forgets_timing),
		cmocka_unit_test(test_write_if_changed),
		cmocka_unit_test(test_enable_client_side),
		cmocka_unit_test(test_reload_if_needed),
		cmocka_unit_test(test_root_path),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
