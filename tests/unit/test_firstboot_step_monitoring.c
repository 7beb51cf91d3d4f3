/* firstboot/step_monitoring.c's verdict on the units it started without
 * waiting (monitoring_check), asking a fake systemd on its private socket
 * under the agent's root (fake_systemd.h), no systemctl process: a unit that
 * failed fails the step (the host is not ready, the summary names it), as
 * does one systemd does not know, all up makes it done (asked again while a
 * unit has not been up for the settle time), journal upload still retrying
 * is done and says so, systemd not reachable fails the step, --no-services
 * only records the question, and nothing started means nothing to check.
 * The check starts the timers first (kiln-metrics' first run comes after
 * the agent's) and asks only about the services and the socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "firstboot/agent.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "tests/unit/fake_systemd.h"
#include "tests/unit/tmpdir_fixture.h"

static const char profile[] =
	"kiln: 1\ndeployment: {name: watch, domain: w.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	"hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
	"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n"
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
	"roles:\n  app: {service: {exec: /bin/true, port: 8080}}\n"
	"  minio: {buckets: [{name: audit}]}\n"
	"monitoring: {host: s3, app_health: /healthz, archive_drops: {bucket: audit}}\n";

static char *old_path;

#define N(a) (sizeof a / sizeof *a)

/* CLOCK_MONOTONIC, systemd's clock for ActiveEnterTimestampMonotonic, in
 * microseconds ago_ms back (at least 1: 0 means never active) */
static uint64_t mono_us(unsigned ago_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000, ago = (uint64_t)ago_ms * 1000;
	return now > ago ? now - ago : 1;
}

/* A unit up, as systemd shows it. */
#define UP(id, sub) { id, "loaded", "active", sub, NULL, 0, 0, false }

/* The fake systemd under the agent's root, its calls in tmpdir/calls; the
 * units up without a time of their own up since a minute ago, longer than
 * the check's settle time (500 ms), so one round of questions is enough. Also
 * a systemctl first in PATH that only notes it ran: the check runs none. */
static pid_t fake_systemd(const char *root, struct fake_unit *u, size_t n)
{
	char *log = path_join(tmpdir, "calls"), *bin = path_join(tmpdir, "bin"), *p = path_join(bin, "systemctl");
	char *ran = path_join(tmpdir, "systemctl-ran");
	unlink(log);
	unlink(ran);
	mkdir(bin, 0755);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$@\" >> %s\nexit 1\n", ran);
	fclose(f);
	chmod(p, 0755);
	char *path = xasprintf("%s:%s", bin, old_path);
	setenv("PATH", path, 1);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(u[i].active, "active") && !u[i].active_enter_us)
			u[i].active_enter_us = mono_us(60000);
	pid_t pid = fake_systemd_start(root, u, n, log);
	assert_true(pid > 0);
	free(path);
	free(ran);
	free(p);
	free(bin);
	free(log);
	return pid;
}

static char *slurp(const char *name)
{
	char *p = path_join(tmpdir, name), *t = NULL;
	size_t n;
	if (read_file(p, 1 << 16, &t, &n) < 0)
		t = xstrdup("");
	free(p);
	return t;
}

/* The calls of one round of unit_wait's questions about the units. */
static void round_of(struct buf *b, const char *const names[], size_t n)
{
	static const char *const props[] = { "Id", "LoadState", "ActiveState", "SubState", "Result", "Job",
					     "ActiveEnterTimestampMonotonic" };
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "LoadUnit %s\n", names[i]);
		for (size_t k = 0; k < N(props); k++)
			buf_printf(b, "Get %s %s\n", names[i], props[k]);
	}
}

/* The fake's log holds exactly the restart jobs of the timers given (the
 * check starts them first), then `rounds` rounds of questions about names. */
static void assert_rounds_after(const char *const timers[], const char *const names[], size_t n, int rounds)
{
	struct buf want;
	buf_init(&want);
	for (size_t i = 0; timers[i]; i++)
		buf_printf(&want, "RestartUnit %s replace\n", timers[i]);
	for (int i = 0; i < rounds; i++)
		round_of(&want, names, n);
	char *calls = slurp("calls");
	assert_string_equal(calls, want.data);
	free(calls);
	buf_free(&want);
}

static const char *const metrics_timer[] = { "kiln-metrics.timer", NULL };
static const char *const both_timers[] = { "kiln-metrics.timer", "kiln-archive-drops.timer", NULL };

static void no_systemctl_ran(void)
{
	char *p = path_join(tmpdir, "systemctl-ran");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
}

/* An agent in the scratch directory for `host`, its monitoring step started
 * (as step_monitoring leaves it) and every other step done. */
static void agent_for(struct agent *a, char **root, const char *host)
{
	*root = path_join(tmpdir, host);
	assert_int_equal(agent_init(a, *root), 0);
	struct model *m = xcalloc(1, sizeof *m);
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", profile, strlen(profile), NULL, m, &d), 0);
	diags_free(&d);
	a->model = m;
	a->host = model_find_host(m, host);
	assert_non_null(a->host);
	static const char *const steps[] = { "seed", "identity", "secrets", "datadisk", "role" };
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		status_set(&a->status, steps[i], STEP_DONE, NULL);
	status_set(&a->status, "monitoring", STEP_RUNNING, "units started; checked once the later steps are over");
	status_set(&a->status, "join", STEP_DONE, NULL);
	a->monitoring_started = true;
}

static void done_with(struct agent *a, char *root)
{
	agent_free(a);
	free(root);
}

static void test_unit_failed(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "db1");
	struct fake_unit u[] = {
		UP("prometheus-node-exporter.service", "running"),
		{ "prometheus-mysqld-exporter.service", "loaded", "failed", "failed", "exit-code", 0, 0, false },
		UP("systemd-journal-upload.service", "running"),
		UP("kiln-metrics.timer", "waiting"),
	};
	pid_t sd = fake_systemd(root, u, N(u));
	/* started but not yet checked: not ready, whatever else is done */
	assert_false(status_ready(&a.status));
	assert_int_equal(monitoring_check(&a), -EIO);
	const struct step *st = status_step(&a.status, "monitoring");
	assert_int_equal(st->state, STEP_FAILED);
	assert_string_equal(st->reason, "the monitoring units: prometheus-mysqld-exporter.service failed "
					 "(exit-code) (see systemctl status, journalctl -u)");
	assert_false(status_ready(&a.status));
	char line[512];
	status_summary(&a.status, line, sizeof line);
	assert_non_null(strstr(line, "; monitoring failed: the monitoring units: prometheus-mysqld-exporter.service failed"));
	assert_null(strstr(line, "deployment ready"));
	/* one round of questions about all the units, the properties unit_wait judges */
	/* the timer started, then one round of questions about the services */
	static const char *const names[] = { "prometheus-node-exporter.service", "prometheus-mysqld-exporter.service",
					     "systemd-journal-upload.service" };
	assert_rounds_after(metrics_timer, names, N(names), 1);
	no_systemctl_ran();
	/* saved: `kiln-firstboot status` shows it */
	struct status saved;
	assert_int_equal(status_load(a.status_path, &saved), 0);
	assert_int_equal(status_step(&saved, "monitoring")->state, STEP_FAILED);
	status_free(&saved);
	/* the verdict is in: asking again changes nothing, nor asks systemd */
	char *log = path_join(tmpdir, "calls");
	unlink(log);
	assert_int_equal(monitoring_check(&a), 0);
	assert_int_equal(status_step(&a.status, "monitoring")->state, STEP_FAILED);
	assert_int_equal(access(log, F_OK), -1);
	free(log);
	fake_systemd_stop(sd);
	done_with(&a, root);
}

/* monitoring_check on HOST while systemd reports the units U: what it
 * returns and the reason the step is left with */
static void check_reports(const char *host, struct fake_unit *u, size_t n, int rc, const char *reason)
{
	struct agent a;
	char *root;
	agent_for(&a, &root, host);
	pid_t sd = fake_systemd(root, u, n);
	assert_int_equal(monitoring_check(&a), rc);
	assert_string_equal(status_step(&a.status, "monitoring")->reason, reason);
	fake_systemd_stop(sd);
	done_with(&a, root);
}

/* a unit systemd has no file for: loaded as not-found */
static void test_unit_missing(void **state)
{
	(void)state;
	struct fake_unit u[] = { UP("prometheus-node-exporter.service", "running"), UP("kiln-metrics.timer", "waiting") };
	check_reports("app1", u, N(u), -EIO,
		      "the monitoring units: systemd-journal-upload.service is not-found "
		      "(see systemctl status, journalctl -u)");
}

static void test_systemd_unreachable(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "app1");
	/* no socket under the root: nothing listens */
	char *sock = path_join(root, "run/systemd/private");
	assert_int_equal(access(sock, F_OK), -1);
	free(sock);
	assert_int_equal(monitoring_check(&a), -ENOENT);
	const struct step *st = status_step(&a.status, "monitoring");
	assert_int_equal(st->state, STEP_FAILED);
	assert_string_equal(st->reason, "starting the monitoring timers: cannot connect to systemd at /run/systemd/private: "
					 "No such file or directory");
	done_with(&a, root);
}

static void test_all_up(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "s3");   /* the monitoring host: its servers and the archive timer too */
	struct fake_unit u[] = {
		UP("prometheus-node-exporter.service", "running"), UP("systemd-journal-remote.socket", "listening"),
		UP("prometheus-alertmanager.service", "running"),  UP("prometheus.service", "running"),
		UP("kiln-metrics.timer", "waiting"),               UP("kiln-archive-drops.timer", "waiting"),
	};
	pid_t sd = fake_systemd(root, u, N(u));
	assert_int_equal(monitoring_check(&a), 0);
	const struct step *st = status_step(&a.status, "monitoring");
	assert_int_equal(st->state, STEP_DONE);
	assert_string_equal(st->reason, "Prometheus, Alertmanager, journal-remote and the exporters running");
	assert_true(status_ready(&a.status));
	/* the timers started first (kiln-metrics' first run after the agent's),
	 * then, every service up longer than the settle time, asked once */
	static const char *const names[] = { "prometheus-node-exporter.service", "systemd-journal-remote.socket",
					     "prometheus-alertmanager.service", "prometheus.service" };
	assert_rounds_after(both_timers, names, N(names), 1);
	no_systemctl_ran();
	fake_systemd_stop(sd);

	/* Prometheus just up: asked again once it has been up for the settle
	 * time (500 ms), not before */
	status_set(&a.status, "monitoring", STEP_RUNNING, "units started; checked once the later steps are over");
	for (size_t i = 0; i < N(u); i++)
		u[i].active_enter_us = 0;
	u[3].active_enter_us = mono_us(0);
	sd = fake_systemd(root, u, N(u));
	assert_int_equal(monitoring_check(&a), 0);
	assert_true(mono_us(0) - u[3].active_enter_us >= 500000);
	assert_int_equal(status_step(&a.status, "monitoring")->state, STEP_DONE);
	assert_rounds_after(both_timers, names, N(names), 2);
	fake_systemd_stop(sd);
	done_with(&a, root);
}

static void test_upload_retrying(void **state)
{
	(void)state;
	struct fake_unit u[] = {
		UP("prometheus-node-exporter.service", "running"),
		{ "systemd-journal-upload.service", "loaded", "activating", "auto-restart", "exit-code", 0, 0, false },
		UP("kiln-metrics.timer", "waiting"),
	};
	check_reports("app1", u, N(u), 0,
		      "exporters running, journal upload to s3 retrying: systemd-journal-upload.service exited "
		      "(exit-code) and is restarting");
}

static void test_no_services(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "db1");
	a.no_services = true;
	struct fake_unit u[] = { UP("kiln-metrics.timer", "waiting") };
	pid_t sd = fake_systemd(root, u, N(u));
	assert_int_equal(monitoring_check(&a), 0);
	assert_string_equal(status_step(&a.status, "monitoring")->reason, "exporters running, journal uploaded to s3");
	char *log = path_join(a.state_dir, "commands.log"), *t = NULL;
	size_t n;
	assert_int_equal(read_file(log, 4096, &t, &n), 0);
	assert_string_equal(t, "systemctl restart --no-block kiln-metrics.timer\nsystemctl show\n");
	free(t);
	free(log);
	/* only recorded: systemd not asked */
	char *calls = slurp("calls");
	assert_string_equal(calls, "");
	free(calls);
	no_systemctl_ran();
	fake_systemd_stop(sd);
	done_with(&a, root);
}

static void test_nothing_started(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "db1");
	a.monitoring_started = false;   /* e.g. the step failed before starting anything */
	struct fake_unit u[] = { UP("kiln-metrics.timer", "waiting") };
	pid_t sd = fake_systemd(root, u, N(u));
	assert_int_equal(monitoring_check(&a), 0);
	assert_int_equal(status_step(&a.status, "monitoring")->state, STEP_RUNNING);
	char *calls = slurp("calls");
	assert_string_equal(calls, "");
	free(calls);
	no_systemctl_ran();
	fake_systemd_stop(sd);
	done_with(&a, root);
}

int main(void)
{
	old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_failed),
		cmocka_unit_test(test_unit_missing),
		cmocka_unit_test(test_systemd_unreachable),
		cmocka_unit_test(test_all_up),
		cmocka_unit_test(test_upload_retrying),
		cmocka_unit_test(test_no_services),
		cmocka_unit_test(test_nothing_started),
	};
	int r = cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
	free(old_path);
	return r;
}
