/* Step "join" (app hosts): wait for every peer the app needs, proving each
 * works with the app's own credentials — a MySQL login and query on the app
 * database, an S3 HEAD of each bucket — with bounded exponential back-off
 * under one overall deadline; then start the app. A peer that never answers
 * is a failed step naming it and the last reason, not a hang. */
#include "firstboot/agent.h"
#include "firstboot/role_app.h"
#include "firstboot/s3.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEP "join"

static char *peer_addr(const struct model *m, const struct host *p)
{
	char a[16];
	return p->dhcp ? xasprintf("%s.%s", p->name, m->domain) : xstrdup(ipv4_fmt(p->address, a));
}

/* The password goes in a 0600 option file, never on argv. */
static int probe_mysql(struct agent *a, const struct host *p, char *why, size_t why_len)
{
	const struct model *m = a->model;
	const char *pw = agent_secret(a, "mysql_app_password");
	if (!pw) {
		snprintf(why, why_len, "the seed lacks mysql_app_password");
		return -ENOKEY;
	}
	char *cnf = path_join(a->state_dir, "join-mysql.cnf");
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "[client]\npassword=\"");
	for (const char *s = pw; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *s);
	}
	buf_puts(&b, "\"\n");
	int r = write_file_atomic(cnf, b.data, b.len, 0600);
	buf_wipe(&b);
	if (r < 0) {
		snprintf(why, why_len, "writing %s: %s", cnf, strerror(-r));
		free(cnf);
		return r;
	}
	char *host = peer_addr(m, p), *extra = xasprintf("--defaults-extra-file=%s", cnf);
	/* The app host's client is MariaDB's either way. MySQL 8.4's accounts
	 * use caching_sha2_password, whose first login sends the password, so
	 * only over TLS (every MySQL server has a certificate); the certificate
	 * is the server's own, which no CA here can check (the same trust as
	 * MariaDB's, whose clients check it through the password). */
	bool my = m->roles.mysql.engine == MYSQL_ENGINE_MYSQL;
	const char *argv[] = { "mariadb", extra, "--connect-timeout=5", "-h", host, "-P", "3306",
			       "-u", m->roles.mysql.user, m->roles.mysql.database, "-e", "SELECT 1",
			       my ? "--ssl" : NULL /* MariaDB: the list ends here */, "--skip-ssl-verify-server-cert", NULL };
	r = agent_probe(a, argv, why, why_len);
	unlink(cnf);
	free(cnf);
	free(extra);
	free(host);
	return r;
}

static int probe_s3(struct agent *a, const struct host *p, char *why, size_t why_len)
{
	const struct model *m = a->model;
	char *host = peer_addr(m, p), *ep = xasprintf("http://%s:9000", host);
	struct s3_conn c = { .endpoint = ep, .access_key = agent_secret(a, "minio_app_access_key"),
			     .secret_key = agent_secret(a, "minio_app_secret_key"), .timeout_ms = 5000 };
	int r = 0;
	for (size_t i = 0; r == 0 && i < m->roles.minio.n_buckets; i++) {
		char detail[200] = "";
		r = s3_head_bucket(&c, m->roles.minio.buckets[i].name, detail, sizeof detail);
		if (r < 0)
			snprintf(why, why_len, "HEAD bucket %s: %s", m->roles.minio.buckets[i].name, detail);
	}
	free(ep);
	free(host);
	return r;
}

int step_join(struct agent *a)
{
	if (a->host->role != ROLE_APP) {
		status_set(&a->status, STEP, STEP_SKIPPED, "only app hosts join their peers");
		return agent_save(a);
	}
	const struct model *m = a->model;
	time_t deadline = time(NULL) + (time_t)a->join_deadline_s;
	log_info("join: proving every peer with the app's credentials (deadline %u s)", a->join_deadline_s);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *p = &m->hosts[i];
		bool is_db = p->role == ROLE_MYSQL && !p->replica_of;
		if (!is_db && p->role != ROLE_MINIO)
			continue;
		unsigned backoff = 1;
		agent_phase(a, is_db ? "wait-mysql" : "wait-minio");
		for (;;) {
			char why[300] = "";
			int r = is_db ? probe_mysql(a, p, why, sizeof why) : probe_s3(a, p, why, sizeof why);
			if (r == 0)
				break;
			if (r == -ENOKEY || time(NULL) + (time_t)backoff > deadline)
				return agent_step_end(a, STEP, r < 0 ? r : -ETIMEDOUT,
						      "%s (%s) did not answer with the app's credentials within %u s: %s",
						      p->name, role_name(p->role), a->join_deadline_s, why);
			status_set(&a->status, STEP, STEP_RUNNING, "waiting for %s (%s): %s", p->name, role_name(p->role), why);
			agent_save(a);
			log_info("waiting for %s (%s), next try in %u s: %s", p->name, role_name(p->role), backoff, why);
			sleep(backoff);
			backoff = backoff * 2 > 30 ? 30 : backoff * 2;
		}
	}
	char why[300];
	agent_phase(a, "start-app");
	/* Enabled client-side (agent_enable), then started (systemd reads the
	 * unit's file then, if it has not loaded it yet): an enable through
	 * systemd would leave every unit "changed on disk" (NeedDaemonReload)
	 * for every systemctl an operator runs to report. */
	static const char *const app[] = { APP_UNIT_NAME };
	const char *start[] = { "systemctl", "start", APP_UNIT_NAME, NULL };
	int r = agent_enable(a, app, 1, why, sizeof why);
	if (r < 0)
		return agent_step_end(a, STEP, r, "enabling the app: %s", why);
	if ((r = agent_exec(a, start, NULL, 0, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "starting the app: %s", why);
	return agent_step_end(a, STEP, 0, "every peer answered; app started");
}
