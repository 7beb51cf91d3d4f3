/* firstboot/step_monitoring.c's verdict on the units it started without
 * waiting (monitoring_check), with a fake systemctl first in PATH answering
 * `systemctl show`: a unit that failed fails the step (the host is not
 * ready, the summary names it), all up makes it done, journal upload still
 * retrying is done and says so, --no-services only records the question,
 * and nothing started means nothing to check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "firstboot/agent.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
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

#define BLOCK(id, active, sub, result) \
	"Id=" id "\nLoadState=loaded\nActiveState=" active "\nSubState=" sub "\nResult=" result "\n"

/* A fake systemctl first in PATH: prints `answer` and keeps its arguments
 * in tmpdir/argv. */
static void fake_systemctl(const char *answer)
{
	char *bin = path_join(tmpdir, "bin"), *p = path_join(bin, "systemctl"), *ans = path_join(tmpdir, "answer");
	char *argv = path_join(tmpdir, "argv");
	mkdir(bin, 0755);
	assert_int_equal(write_file_atomic(ans, answer, strlen(answer), 0644), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$@\" >> %s\ncat %s\n", argv, ans);
	fclose(f);
	chmod(p, 0755);
	unlink(argv);
	char *path = xasprintf("%s:%s", bin, old_path);
	setenv("PATH", path, 1);
	free(path);
	free(argv);
	free(ans);
	free(p);
	free(bin);
}

static char *slurp(const char *name)
{
	char *p = path_join(tmpdir, name), *t = NULL;
	size_t n;
	assert_int_equal(read_file(p, 1 << 16, &t, &n), 0);
	free(p);
	return t;
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
	fake_systemctl(BLOCK("prometheus-node-exporter.service", "active", "running", "success") "\n"
		       BLOCK("prometheus-mysqld-exporter.service", "failed", "failed", "exit-code") "\n"
		       BLOCK("systemd-journal-upload.service", "active", "running", "success") "\n"
		       BLOCK("kiln-metrics.timer", "active", "waiting", "success"));
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
	/* one question for all the units, the properties unit_wait judges */
	char *argv = slurp("argv");
	assert_string_equal(argv, "show -p Id -p LoadState -p ActiveState -p SubState -p Result -p Job -p ActiveEnterTimestampMonotonic "
				  "prometheus-node-exporter.service prometheus-mysqld-exporter.service "
				  "systemd-journal-upload.service kiln-metrics.timer\n");
	free(argv);
	/* saved: `kiln-firstboot status` shows it */
	struct status saved;
	assert_int_equal(status_load(a.status_path, &saved), 0);
	assert_int_equal(status_step(&saved, "monitoring")->state, STEP_FAILED);
	status_free(&saved);
	/* the verdict is in: asking again changes nothing */
	assert_int_equal(monitoring_check(&a), 0);
	assert_int_equal(status_step(&a.status, "monitoring")->state, STEP_FAILED);
	done_with(&a, root);
}

static void test_unit_missing(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "app1");
	fake_systemctl(BLOCK("prometheus-node-exporter.service", "active", "running", "success") "\n"
		       "Id=systemd-journal-upload.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n\n"
		       BLOCK("kiln-metrics.timer", "active", "waiting", "success"));
	assert_int_equal(monitoring_check(&a), -EIO);
	assert_string_equal(status_step(&a.status, "monitoring")->reason,
			    "the monitoring units: systemd-journal-upload.service is not-found "
			    "(see systemctl status, journalctl -u)");
	done_with(&a, root);
}

static void test_systemctl_fails(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "app1");
	fake_systemctl("");
	char *p = path_join(tmpdir, "bin/systemctl");
	FILE *f = fopen(p, "w");
	fprintf(f, "#!/bin/sh\necho 'Failed to connect to bus: No such file or directory' >&2\nexit 1\n");
	fclose(f);
	free(p);
	assert_int_equal(monitoring_check(&a), -EIO);
	assert_string_equal(status_step(&a.status, "monitoring")->reason,
			    "the monitoring units: systemctl show exited 1: Failed to connect to bus: "
			    "No such file or directory (see systemctl status, journalctl -u)");
	done_with(&a, root);
}

static void test_all_up(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "s3");   /* the monitoring host: its servers and the archive timer too */
	fake_systemctl(BLOCK("prometheus-node-exporter.service", "active", "running", "success") "\n"
		       BLOCK("systemd-journal-remote.socket", "active", "listening", "success") "\n"
		       BLOCK("prometheus-alertmanager.service", "active", "running", "success") "\n"
		       BLOCK("prometheus.service", "active", "running", "success") "\n"
		       BLOCK("kiln-metrics.timer", "active", "waiting", "success") "\n"
		       BLOCK("kiln-archive-drops.timer", "active", "waiting", "success"));
	assert_int_equal(monitoring_check(&a), 0);
	const struct step *st = status_step(&a.status, "monitoring");
	assert_int_equal(st->state, STEP_DONE);
	assert_string_equal(st->reason, "Prometheus, Alertmanager, journal-remote and the exporters running");
	assert_true(status_ready(&a.status));
	char *argv = slurp("argv");
	/* asked again until up for the settle time */
	assert_non_null(strstr(argv, "systemd-journal-remote.socket prometheus-alertmanager.service prometheus.service "
				     "kiln-metrics.timer kiln-archive-drops.timer\nshow "));
	free(argv);
	done_with(&a, root);
}

static void test_upload_retrying(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "app1");
	fake_systemctl(BLOCK("prometheus-node-exporter.service", "active", "running", "success") "\n"
		       BLOCK("systemd-journal-upload.service", "activating", "auto-restart", "exit-code") "\n"
		       BLOCK("kiln-metrics.timer", "active", "waiting", "success"));
	assert_int_equal(monitoring_check(&a), 0);
	assert_string_equal(status_step(&a.status, "monitoring")->reason,
			    "exporters running, journal upload to s3 retrying: systemd-journal-upload.service exited "
			    "(exit-code) and is restarting");
	done_with(&a, root);
}

static void test_no_services(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "db1");
	a.no_services = true;
	assert_int_equal(monitoring_check(&a), 0);
	assert_string_equal(status_step(&a.status, "monitoring")->reason, "exporters running, journal uploaded to s3");
	char *log = path_join(a.state_dir, "commands.log"), *t = NULL;
	size_t n;
	assert_int_equal(read_file(log, 4096, &t, &n), 0);
	assert_string_equal(t, "systemctl show\n");
	free(t);
	free(log);
	done_with(&a, root);
}

static void test_nothing_started(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_for(&a, &root, "db1");
	a.monitoring_started = false;   /* e.g. the step failed before starting anything */
	fake_systemctl("");
	assert_int_equal(monitoring_check(&a), 0);
	assert_int_equal(status_step(&a.status, "monitoring")->state, STEP_RUNNING);
	char *argv = path_join(tmpdir, "argv");
	assert_int_equal(access(argv, F_OK), -1);
	free(argv);
	done_with(&a, root);
}

int main(void)
{
	old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_failed),
		cmocka_unit_test(test_unit_missing),
		cmocka_unit_test(test_systemctl_fails),
		cmocka_unit_test(test_all_up),
		cmocka_unit_test(test_upload_retrying),
		cmocka_unit_test(test_no_services),
		cmocka_unit_test(test_nothing_started),
	};
	int r = cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
	free(old_path);
	return r;
}
