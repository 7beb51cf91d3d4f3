/* Step "monitoring" (late, after "datadisk", before "role" and "join"): with
 * a monitoring: section in the profile, this host's part of it
 * (docs/monitoring.md). It needs nothing of the role, so it runs first and
 * its units come up while the role works (MariaDB's datadir, MinIO's start).
 * The identity step already wrote the rendered files (exporter web
 * configurations, drop-ins, journal upload or journal-remote, Prometheus
 * and Alertmanager on the monitoring host); this step adds what needs the
 * seed's secrets:
 *   mysql       the exporter's option file (0600) (its MariaDB account comes
 *               with the role step's SQL; replicas get it by replication:
 *               until then the exporter reports mysql_up 0)
 *   monitoring  MinIO's bearer token (0600), minted from the metrics user's
 *               key (the minio role registers that user, minio_setup)
 *   every host  the metrics conf, kiln-metrics' units, and the services
 *               (re)started so they read new keys, their jobs queued
 *               without waiting, then every unit enabled for later boots:
 *               the step stays "running" while the later steps go on, and
 *               monitoring_check (at the end of the run) starts the timers
 *               and marks it done or failed by the services' state
 * Without monitoring it is skipped. */
#include "firstboot/agent.h"
#include "firstboot/metrics.h"
#include "firstboot/minio_token.h"
#include "firstboot/role_monitoring.h"
#include "firstboot/unit_wait.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include "profiles/mysql_engine.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEP "monitoring"
/* How long the agent waits for the monitoring units to come up (TCG is slow). */
#define MON_CHECK_TIMEOUT_MS 120000
/* How long each unit must have been up for the step to be done: a daemon
 * that fails on its flags, its configuration or its port exits at once, and
 * on the hardware and VMs kiln deploys to these Go daemons do that within a
 * few hundred ms of their exec. It is a wait the first boot pays in full
 * when the last unit comes up at the end of the run (Prometheus, on the
 * monitoring host). Under QEMU TCG no short settle covers a configuration
 * error (Prometheus logged its first line 3.3 s after its exec, and reads
 * its configuration after that): there a later failure is ServiceDown's and
 * the metrics' to report (docs/monitoring.md), as it is on any host. It was
 * 2 s, then 1 s (bench/RESULTS.md). */
#define MON_CHECK_SETTLE_MS 500

/* After another step failed (monitoring_after_failure), nothing is this
 * step's failure: commands that fail are warnings and the rest goes on. */
static bool best_effort;

static int run_env(struct agent *a, const char *const env[], const char *const argv[], const char *what)
{
	char why[300];
	int r = agent_exec_env(a, env, argv, why, sizeof why);
	if (r < 0 && !best_effort)
		return agent_step_end(a, STEP, r, "%s: %s", what, why);
	if (r < 0)
		log_warn("%s: %s", what, why);
	return 0;
}

/* systemctl VERB --no-block UNIT..., in-process (agent_queue). */
static int queue(struct agent *a, const char *verb, const char *const units[], size_t n, const char *what)
{
	char why[300];
	int r = agent_queue(a, verb, units, n, why, sizeof why);
	if (r < 0 && !best_effort)
		return agent_step_end(a, STEP, r, "%s: %s", what, why);
	if (r < 0)
		log_warn("%s: %s", what, why);
	return 0;
}

static const char *need_secret(struct agent *a, const char *name)
{
	const char *v = agent_secret(a, name);
	if (!v && !best_effort)
		agent_step_end(a, STEP, -ENOKEY, "the seed lacks secret %s", name);
	return v;
}

static int mon_mysql(struct agent *a)
{
	const char *pw = need_secret(a, "mysql_exporter_password");
	if (!pw)
		return -ENOKEY;
	struct buf b;
	buf_init(&b);
	int r = monitoring_exporter_cnf(pw, &b);
	if (r < 0) {
		buf_wipe(&b);
		return agent_step_end(a, STEP, r, "mysql_exporter_password is not a generated password");
	}
	r = agent_write(a, MON_MYSQLD_CNF, b.data, b.len, 0600);
	buf_wipe(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " MON_MYSQLD_CNF);
	/* Its account came with the role's SQL on a primary (one client run
	 * less: mysql_render_setup_sql); replicas get it by replication. */
	return 0;
}

/* Prometheus' bearer token for MinIO's metrics, minted here from the
 * metrics user: the root credential never leaves the object-store hosts. */
static int mon_token(struct agent *a)
{
	const char *ak = need_secret(a, "minio_metrics_access_key"), *sk = ak ? need_secret(a, "minio_metrics_secret_key") : NULL;
	if (!sk)
		return -ENOKEY;
	struct buf b;
	buf_init(&b);
	agent_phase(a, "token");
	int r = minio_token(ak, sk, (int64_t)time(NULL), &b);
	if (r == 0)
		r = agent_write(a, MON_MINIO_TOKEN, b.data, b.len, 0600);
	buf_wipe(&b);
	if (r < 0 && !best_effort)
		return agent_step_end(a, STEP, r, "making MinIO's bearer token for Prometheus");
	return 0;
}

static int write_text(struct agent *a, const char *path, struct buf *b, unsigned mode)
{
	/* as written already (a re-run after a power cut): left alone, so a
	 * loaded unit does not read as changed (agent_write_if_changed) */
	int r = agent_write_if_changed(a, path, b->data ? b->data : "", b->len, mode);
	buf_free(b);
	if (r < 0 && !best_effort)
		return agent_step_end(a, STEP, r, "writing %s: %s", path, strerror(-r));
	if (r < 0)
		log_warn("writing %s: %s", path, strerror(-r));
	return 0;
}

/* NAME.service and NAME.timer in /etc/systemd/system. */
static int write_timer_units(struct agent *a, const char *name, void (*service)(struct buf *),
			     void (*timer)(struct buf *))
{
	struct buf b;
	char path[96];
	int r;
	buf_init(&b);
	service(&b);
	snprintf(path, sizeof path, "/etc/systemd/system/%s.service", name);
	if ((r = write_text(a, path, &b, 0644)) < 0)
		return r;
	timer(&b);
	snprintf(path, sizeof path, "/etc/systemd/system/%s.timer", name);
	return write_text(a, path, &b, 0644);
}

#define MON_MAX_UNITS 8

/* The units this host runs for monitoring (after a failed step, the MySQL
 * exporter only if its login was written), its timers last: the first
 * *n_daemons are the services and the socket. */
static size_t mon_wants(const struct agent *a, struct unit_want *v, size_t *n_daemons)
{
	const struct model *m = a->model;
	const struct host *h = a->host;
	size_t n = 0;
	v[n++] = (struct unit_want){ "prometheus-node-exporter.service", false };
	char *cnf = agent_path(a, MON_MYSQLD_CNF);
	if (h->role == ROLE_MYSQL && (!best_effort || access(cnf, F_OK) == 0))
		v[n++] = (struct unit_want){ "prometheus-mysqld-exporter.service", false };
	free(cnf);
	if (!monitoring_is_host(m, h))
		v[n++] = (struct unit_want){ "systemd-journal-upload.service", true };   /* retries until the monitoring host answers */
	else {
		v[n++] = (struct unit_want){ "systemd-journal-remote.socket", false };
		v[n++] = (struct unit_want){ "prometheus-alertmanager.service", false };
		v[n++] = (struct unit_want){ "prometheus.service", false };
	}
	*n_daemons = n;
	v[n++] = (struct unit_want){ "kiln-metrics.timer", false };
	if (monitoring_is_host(m, h) && m->monitoring.archive_bucket)
		v[n++] = (struct unit_want){ "kiln-archive-drops.timer", false };
	return n;
}

/* The names of u[from..to), into names: what agent_queue and systemctl take. */
static size_t want_names(const struct unit_want *u, size_t from, size_t to, const char **names)
{
	for (size_t i = from; i < to; i++)
		names[i - from] = u[i].name;
	return to - from;
}

/* systemctl VERB... followed by every unit of mon_wants (env: added to its environment, or NULL). */
static int systemctl_all(struct agent *a, const char *const env[], const char *const verb[], size_t n_verb,
			 const struct unit_want *u, size_t n, const char *what)
{
	const char *argv[4 + MON_MAX_UNITS + 1] = { "systemctl" };
	size_t k = 1;
	for (size_t i = 0; i < n_verb; i++)
		argv[k++] = verb[i];
	for (size_t i = 0; i < n; i++)
		argv[k++] = u[i].name;
	argv[k] = NULL;
	return run_env(a, env, argv, what);
}

/* A daemon-reload if systemd needs one before the units are (re)started
 * (agent_reload_if_needed), asked for every unit this step starts and the
 * services its timers and socket start. At a first boot the units were
 * never loaded, so asking loads them from the files identity and this step
 * wrote, and no reload is due; after a newer seed rewrote the files of
 * running units, it is. */
static int reload_if_needed(struct agent *a, const struct unit_want *u, size_t n)
{
	const struct model *m = a->model;
	const char *names[MON_MAX_UNITS + 3];
	size_t k = want_names(u, 0, n, names);
	names[k++] = "kiln-metrics.service";
	if (monitoring_is_host(m, a->host)) {
		names[k++] = "systemd-journal-remote.service";
		if (m->monitoring.archive_bucket)
			names[k++] = "kiln-archive-drops.service";
	}
	char why[300];
	int r = agent_reload_if_needed(a, STEP, names, k, why, sizeof why);
	if (r < 0 && !best_effort)
		return agent_step_end(a, STEP, r, "systemctl daemon-reload: %s", why);
	if (r < 0)
		log_warn("systemctl daemon-reload: %s", why);
	return 0;
}

/* The timers (kiln-metrics, kiln-archive-drops) (re)started, their jobs
 * queued without waiting. Not with the services: kiln-metrics' first run,
 * 5 s after its timer starts, would come while the agent runs, with nothing
 * but "running" to report, and be a job the boot waits for (it ran past the
 * monitoring host's agent, bench/RESULTS.md). So monitoring_check starts
 * them, at the end of the run. */
static int start_timers(struct agent *a, const struct unit_want *u, size_t n_daemons, size_t n)
{
	const char *names[MON_MAX_UNITS];
	return queue(a, "restart", names, want_names(u, n_daemons, n, names), "starting the monitoring timers");
}

/* The files the units read, a daemon-reload if systemd needs one
 * (reload_if_needed; with no_services always, as recorded), then every
 * service and socket (re)started so it reads new keys (the timers too with
 * timers_now; otherwise monitoring_check starts them: start_timers), its
 * jobs queued over systemd's socket without waiting (agent_queue;
 * monitoring_check has the verdict), and only then every unit enabled for
 * later boots
 * (the units come up meanwhile). enable --no-reload: each enable would
 * otherwise make systemd reload its units again. SYSTEMCTL_SKIP_SYSV=1:
 * Debian's exporter, Prometheus and Alertmanager packages also ship SysV
 * scripts, and for each such unit systemctl would run systemd-sysv-install
 * (update-rc.d, perl, twice) to keep /etc/rc?.d in step, for an init
 * system these images never boot (the native unit wins over the script).
 * AGENT_ENABLE_ENV: the links made client-side, so systemd does not report
 * every unit as needing a reload afterwards (agent.h). */
static int mon_units(struct agent *a, bool timers_now)
{
	const struct model *m = a->model;
	const struct host *h = a->host;
	struct buf b;
	int r;
	buf_init(&b);
	agent_phase(a, "files");
	metrics_conf_render(m, h, &b);
	if ((r = write_text(a, MON_METRICS_CONF, &b, 0644)) < 0)
		return r;
	if ((r = write_timer_units(a, "kiln-metrics", monitoring_metrics_service, monitoring_metrics_timer)) < 0)
		return r;
	if (monitoring_is_host(m, h) && m->monitoring.archive_bucket &&
	    (r = write_timer_units(a, "kiln-archive-drops", monitoring_archive_service, monitoring_archive_timer)) < 0)
		return r;
	struct unit_want u[MON_MAX_UNITS];
	size_t n_daemons, n = mon_wants(a, u, &n_daemons);
	const char *names[MON_MAX_UNITS];
	want_names(u, 0, n, names);
	static const char *const enable[] = { "enable", "--no-reload" };
	static const char *const no_sysv[] = { "SYSTEMCTL_SKIP_SYSV=1", AGENT_ENABLE_ENV, NULL };
	agent_phase(a, "daemon-reload");
	if ((r = reload_if_needed(a, u, n)) < 0)
		return r;
	agent_phase(a, "restart");
	if ((r = queue(a, "restart", names, timers_now ? n : n_daemons, "starting the monitoring units")) < 0)
		return r;
	if (monitoring_is_host(m, h)) {
		/* a running journal-remote reads a new key only when restarted */
		const char *jr[] = { "systemd-journal-remote.service" };
		if ((r = queue(a, "try-restart", jr, 1, "restarting systemd-journal-remote")) < 0)
			return r;
	}
	agent_phase(a, "enable");
	return systemctl_all(a, no_sysv, enable, 2, u, n, "enabling the monitoring units");
}

void monitoring_after_failure(struct agent *a)
{
	if (!a->model || !a->host || !monitoring_on(a->model) || !status_done(&a->status, "identity") ||
	    !status_done(&a->status, "secrets") || status_done(&a->status, STEP) || a->monitoring_started)
		return;   /* nothing rendered or no keys yet, or it is all started (and checked) already */
	best_effort = true;
	log_warn("a first-boot step failed: starting monitoring's exporters and metrics so the failure is seen");
	if (monitoring_is_host(a->model, a->host) && model_has_role(a->model, ROLE_MINIO))
		mon_token(a);   /* Prometheus does not start without it */
	mon_units(a, true);
	if (!a->no_services)
		metrics_run(a->root);
	best_effort = false;
}

int step_monitoring(struct agent *a)
{
	const struct model *m = a->model;
	const struct host *h = a->host;
	if (!monitoring_on(m)) {
		status_set(&a->status, STEP, STEP_SKIPPED, "the profile has no monitoring: section");
		return agent_save(a);
	}
	status_set(&a->status, STEP, STEP_RUNNING, NULL);
	agent_save(a);
	int r = 0;
	if (h->role == ROLE_MYSQL && (r = mon_mysql(a)) < 0)
		return r;
	if (monitoring_is_host(m, h) && model_has_role(m, ROLE_MINIO) && (r = mon_token(a)) < 0)
		return r;
	if ((r = mon_units(a, false)) < 0)
		return r;
	log_info("monitoring: its units started without waiting; checked at the end of the run");
	a->monitoring_started = true;
	status_set(&a->status, STEP, STEP_RUNNING, "units started; checked once the later steps are over");
	return agent_save(a);
}

int monitoring_check(struct agent *a)
{
	const struct step *st = status_step(&a->status, STEP);
	if (!a->monitoring_started || !st || st->state != STEP_RUNNING)
		return 0;   /* nothing started, or the verdict is in */
	const struct model *m = a->model;
	struct unit_want u[MON_MAX_UNITS];
	size_t n_daemons, n = mon_wants(a, u, &n_daemons);
	char why[400] = "";
	int r = 0;
	agent_time_resume(a, STEP, "later-steps");
	agent_phase(a, "check");
	if ((r = start_timers(a, u, n_daemons, n)) < 0)
		return r;
	log_info("monitoring: timers started; checking its %zu services", n_daemons);
	if (a->no_services) {
		/* no systemd to ask: the command recorded, the units taken as up */
		const char *show[] = { "systemctl", "show", NULL };
		if ((r = agent_exec(a, show, NULL, 0, why, sizeof why)) < 0)
			return agent_step_end(a, STEP, r, "asking systemd about the monitoring units: %s", why);
	} else {
		static const struct unit_wait_opts o = { .timeout_ms = MON_CHECK_TIMEOUT_MS, .settle_ms = MON_CHECK_SETTLE_MS,
						     .poll_ms = 250 };
		const struct unit_wait_ops ops = unit_wait_systemd(a->root);
		if ((r = unit_wait(&ops, &o, u, n_daemons, why, sizeof why)) < 0)
			return agent_step_end(a, STEP, r, "the monitoring units: %s (see systemctl status, journalctl -u)", why);
	}
	if (monitoring_is_host(m, a->host))
		return agent_step_end(a, STEP, 0, "Prometheus, Alertmanager, journal-remote and the exporters running");
	if (why[0])
		return agent_step_end(a, STEP, 0, "exporters running, journal upload to %s retrying: %s", m->monitoring.host, why);
	return agent_step_end(a, STEP, 0, "exporters running, journal uploaded to %s", m->monitoring.host);
}
