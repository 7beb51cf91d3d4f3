/* Step "role": configure and start this host's role service from the seed.
 *   mysql  my.cnf, datadir initialised on a fresh data disk, server
 *          restarted, database/users/grants applied over the local socket
 *          (replicas: replication from their primary); with backup: on a
 *          primary, the backup conf and timers (firstboot/backup.h)
 *   minio  environment file with the root credentials, server started,
 *          health awaited, buckets + versioning via S3, the app's key
 *          registered through the admin API
 *   app    firstboot/role_app.h: TLS, nginx, the app's environment and
 *          service (for a container its image); the app itself starts only
 *          after "join".
 *   lb     firstboot/role_lb.h: HAProxy in front of the app hosts, keepalived
 *          with two lb hosts. */
#include "firstboot/agent.h"
#include "firstboot/backup.h"
#include "firstboot/galera.h"
#include "firstboot/role_app.h"
#include "firstboot/role_lb.h"
#include "firstboot/role_minio.h"
#include "firstboot/mysql_replica.h"
#include "firstboot/role_mysql.h"
#include "lib/fileio.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/mysql_local.h"
#include "lib/spawn.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "profiles/backup.h"
#include "profiles/bucket_replication.h"
#include "profiles/galera.h"
#include "profiles/mysql_engine.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEP "role"

static int exec_or_fail(struct agent *a, const char *const argv[], const char *in, size_t in_len, const char *what)
{
	return agent_exec_or_fail(a, STEP, argv, in, in_len, what);
}

/* roles.mysql.tls: a server certificate made here at first boot, signed by a
 * CA of this host's own (encryption on the wire; clients cannot yet check it
 * against the deployment CA, which never leaves the operator's machine). */
static int mysql_tls(struct agent *a)
{
	char *crt_path = agent_path(a, KILN_ETC "/tls/mysql.crt");
	bool have = access(crt_path, F_OK) == 0;
	free(crt_path);
	if (have)
		return 0;
	const struct host *h = a->host;
	char *fqdn = xasprintf("%s.%s", h->name, a->model->domain);
	const char *dns[] = { fqdn, h->name };
	char *ca_crt = NULL, *ca_key = NULL, *crt = NULL, *key = NULL;
	int r = tls_ca_create(fqdn, &ca_crt, &ca_key);
	if (r == 0)
		r = tls_server_cert(ca_crt, ca_key, dns, 2, h->dhcp ? NULL : &h->address, h->dhcp ? 0 : 1, &crt, &key);
	if (r == 0)
		r = agent_write(a, KILN_ETC "/tls/ca.crt", ca_crt, strlen(ca_crt), 0644);
	if (r == 0)
		r = agent_write(a, KILN_ETC "/tls/mysql.key", key, strlen(key), 0640);
	if (r == 0)
		r = agent_write(a, KILN_ETC "/tls/mysql.crt", crt, strlen(crt), 0644);
	tls_free_secret(ca_key);
	tls_free_secret(key);
	free(ca_crt);
	free(crt);
	free(fqdn);
	if (r < 0)
		return agent_step_end(a, STEP, r, "making the MySQL TLS certificate");
	/* The server reads its key as the mysql user. */
	const char *grp[] = { "chgrp", "mysql", KILN_ETC "/tls/mysql.key", NULL };
	return exec_or_fail(a, grp, NULL, 0, "chgrp of the MySQL TLS key");
}

/* A fresh ext4 data disk mounted on the datadir has lost+found, which
 * MySQL's --initialize refuses as "files in it" (MariaDB ignores it). It is
 * empty on a new filesystem; a non-empty one stays and initialisation says so. */
static void drop_lost_found(struct agent *a)
{
	char *lf = agent_path(a, "/var/lib/mysql/lost+found");
	if (rmdir(lf) < 0 && errno != ENOENT)
		log_debug("rmdir %s: %s", lf, strerror(errno));
	free(lf);
}

/* The server's unit must read its data disk's drop-in (kiln-data-disk.conf,
 * profiles/data_disk.h) when it starts. The role's image carries it, so
 * systemd loaded the unit with it and nothing is due; a daemon-reload only
 * when systemd says the unit is stale (an image without the drop-in, or
 * one the data disk step had to write again). The data disk step's line in
 * /etc/fstab leaves fstab's mounts (/boot/efi's among them) "changed on
 * disk" until the next boot: a reload for that alone took 3.2-3.5 s of a
 * first boot under TCG (bench/RESULTS.md), and nothing needs it (the agent
 * mounts the disk itself). When a reload is due, it is made here, seconds
 * after the mount, not in the data disk step: fstab's mount, once loaded,
 * is bound to the disk's by-label device, and a reload before udev has seen
 * a new label would have systemd undo the mount. */
static int reload_server_unit(struct agent *a, const char *unit)
{
	char why[300];
	agent_phase(a, "daemon-reload");
	int r = agent_reload_if_needed(a, STEP, &unit, 1, why, sizeof why);
	return r < 0 ? agent_step_end(a, STEP, r, "systemctl daemon-reload: %s", why) : 0;
}

/* backup: the conf kiln-firstboot backup reads, the two timers, and the
 * first full backup started now (in the background: a chain of binary logs
 * needs a full backup under it, and the daily one may be hours away). */
static int mysql_backup(struct agent *a)
{
	struct buf b;
	int r;
	buf_init(&b);
	backup_conf_render(a->model, a->host, &b);
	r = agent_write(a, KILN_BACKUP_CONF, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " KILN_BACKUP_CONF);
	static const char *const units[] = { KILN_UNIT_BACKUP_FULL ".service", KILN_UNIT_BACKUP_FULL ".timer",
					     KILN_UNIT_BACKUP_BINLOGS ".service", KILN_UNIT_BACKUP_BINLOGS ".timer" };
	for (size_t i = 0; i < 4; i++) {
		buf_init(&b);
		if (i == 0)
			backup_full_service(&b);
		else if (i == 1)
			backup_full_timer(a->model, &b);
		else if (i == 2)
			backup_binlogs_service(&b);
		else
			backup_binlogs_timer(a->model, &b);
		_cleanup_free_ char *p = xasprintf("/etc/systemd/system/%s", units[i]);
		r = agent_write_if_changed(a, p, b.data ? b.data : "", b.len, 0644);
		buf_free(&b);
		if (r < 0)
			return agent_step_end(a, STEP, r, "writing %s", p);
	}
	/* A reload only if systemd loaded an older version of them (a newer
	 * seed's schedule): at a first boot it never loaded them, and asking
	 * loads them as written. Then enabled client-side (agent_enable): an
	 * enable through systemd would leave every unit "changed on disk"
	 * (NeedDaemonReload), and every systemctl an operator runs would say
	 * so. Then both timers and the first full backup are started in one
	 * queueing over systemd's socket (agent_queue: no systemctl process,
	 * and the backup runs in the background). */
	static const char *const timers[] = { KILN_UNIT_BACKUP_FULL ".timer", KILN_UNIT_BACKUP_BINLOGS ".timer" };
	static const char *const start[] = { KILN_UNIT_BACKUP_FULL ".timer", KILN_UNIT_BACKUP_BINLOGS ".timer",
					     KILN_UNIT_BACKUP_FULL ".service" };
	char why[300];
	if ((r = agent_reload_if_needed(a, STEP, units, 4, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "systemctl daemon-reload: %s", why);
	if ((r = agent_enable(a, timers, 2, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "enabling the backup timers: %s", why);
	if ((r = agent_queue(a, "start", start, 3, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "starting the backup timers and the first full backup: %s", why);
	return 0;
}

/* The replica's programs: recorded with --no-services, run otherwise. */
static int repl_run(void *ud, const char *const argv[], const char *in, size_t in_len, struct buf *out, char *why,
		    size_t why_len)
{
	struct agent *a = ud;
	if (a->no_services || !out)
		return agent_exec(a, argv, in, in_len, why, why_len);
	struct buf err;
	buf_init(&err);
	int st = spawn_io(argv, in, in_len, out, &err, 0);
	int r = 0;
	if (st != 0) {
		buf_putc(&err, '\0');
		snprintf(why, why_len, "%s exited %d: %.200s", argv[0], st, err.data);
		r = st < 0 ? st : -EIO;
	}
	buf_free(&err);
	return r;
}

static int repl_pipe(void *ud, const char *const x[], const char *const y[], char *why, size_t why_len)
{
	struct agent *a = ud;
	if (a->no_services) {
		/* one line in the command log: "A... | B..." */
		const char *both[64];
		size_t n = 0;
		for (size_t i = 0; x[i] && n < 30; i++)
			both[n++] = x[i];
		both[n++] = "|";
		for (size_t i = 0; y[i] && n < 62; i++)
			both[n++] = y[i];
		both[n] = NULL;
		return agent_exec(a, both, NULL, 0, why, why_len);
	}
	struct buf err;
	buf_init(&err);
	int st = spawn_pipe(x, y, &err);
	int r = 0;
	if (st != 0) {
		/* the last line says why (the dump's password is in a file) */
		buf_putc(&err, '\0');
		size_t n = strlen(err.data);
		while (n && err.data[n - 1] == '\n')
			err.data[--n] = '\0';
		const char *last = strrchr(err.data, '\n');
		snprintf(why, why_len, "%s | %s exited %d: %.200s", x[0], y[0], st, last ? last + 1 : err.data);
		r = st < 0 ? st : -EIO;
	}
	buf_free(&err);
	return r;
}

static void repl_sleep(void *ud, unsigned s)
{
	(void)ud;
	sleep(s);
}

static int local_run(void *ud, const char *const argv[], const char *in, size_t in_len, char *why, size_t why_len)
{
	return agent_exec(ud, argv, in, in_len, why, why_len);
}

/* The setup SQL through the local client: tried again (4 tries, 5 s
 * apart) while the client fails before it connected, which ran none of it
 * (lib/mysql_local.h); the SQL is idempotent besides. */
static int setup_sql(struct agent *a, const char *const client[], const struct buf *sql)
{
	const struct mysql_local_runner run = { .run = local_run, .nap = repl_sleep, .ud = a, .tries = 4, .pause_s = 5 };
	char why[300];
	int r = mysql_local_retry(&run, client, sql->data, sql->len, why, sizeof why);
	if (r < 0)
		return agent_step_end(a, STEP, r, "applying database, users and grants: %s", why);
	return 0;
}

/* Replica: its record for status/metrics, then replication from its
 * primary, bootstrapped from a copy of it the first time
 * (firstboot/mysql_replica.h). */
static int mysql_replica(struct agent *a, const char *const client[], bool *cloned)
{
	struct buf b;
	buf_init(&b);
	mysql_replica_conf_render(a->model, a->host, &b);
	int r = agent_write(a, KILN_STATE_DIR "/" KILN_REPLICA_CONF_NAME, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " KILN_REPLICA_CONF_NAME);
	_cleanup_free_ char *cnf = path_join(a->state_dir, "replica-dump.cnf");
	struct mysql_runner run = { .run = repl_run, .run_pipe = repl_pipe, .sleep_s = repl_sleep, .ud = a,
				    .local = client, .cnf_path = cnf, .deadline_s = a->join_deadline_s };
	char why[400] = "";
	r = mysql_replica_setup(a->model, a->host, agent_secret, a, &run, cloned, why, sizeof why);
	if (r < 0)
		return agent_step_end(a, STEP, r, "replication from %s: %s", a->host->replica_of, why);
	return 0;
}

/* Galera (firstboot/galera.h): the start decides between bootstrapping a
 * new cluster (Debian's galera_new_cluster: --wsrep-new-cluster for this
 * one start) and joining (a plain restart); the probes of the other nodes
 * are real even with --no-services. */
#define GALERA_SST_CNF "/etc/mysql/mariadb.conf.d/91-kiln-galera-sst.cnf"
static int gal_probe(void *ud, const char *addr, unsigned port)
{
	(void)ud;
	return galera_tcp_probe(addr, port, 2000);
}

static int gal_start(void *ud, bool new_cluster, char *why, size_t why_len)
{
	struct agent *a = ud;
	const char *boot[] = { "galera_new_cluster", "mariadb.service", NULL };
	const char *join[] = { "systemctl", "restart", "mariadb.service", NULL };
	return agent_exec(a, new_cluster ? boot : join, NULL, 0, why, why_len);
}

static int mysql_galera(struct agent *a, bool *bootstrapped)
{
	const struct host *h = a->host;
	const char *pw = agent_secret(a, "mysql_sst_password");
	if (!pw)
		return agent_step_end(a, STEP, -ENOKEY, "the seed lacks secret mysql_sst_password");
	struct buf b;
	buf_init(&b);
	int r = galera_sst_cnf(pw, &b);
	/* readable by the server (group mysql) only, like the TLS key */
	if (r == 0)
		r = agent_write(a, GALERA_SST_CNF, b.data, b.len, 0640);
	buf_wipe(&b);
	const char *grp[] = { "chgrp", "mysql", GALERA_SST_CNF, NULL };
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing the SST account's option file");
	if ((r = exec_or_fail(a, grp, NULL, 0, "chgrp of the SST option file")) < 0)
		return r;
	buf_init(&b);
	galera_conf_render(a->model, h, &b);
	r = agent_write(a, KILN_STATE_DIR "/" KILN_GALERA_CONF_NAME, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " KILN_GALERA_CONF_NAME);
	_cleanup_free_ char *datadir = agent_path(a, "/var/lib/mysql");
	struct galera_runner run = { .probe = gal_probe, .start = gal_start, .sleep_s = repl_sleep, .ud = a,
				     .state_dir = a->state_dir, .datadir = datadir, .deadline_s = a->join_deadline_s };
	enum galera_start did;
	char why[400] = "";
	if ((r = galera_start(a->model, h, &run, &did, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "%s: %s", did == GALERA_NEW_CLUSTER ? "bootstrapping the Galera cluster"
										: "joining the Galera cluster", why);
	*bootstrapped = did == GALERA_NEW_CLUSTER;
	return 0;
}

static int role_mysql(struct agent *a)
{
	const struct model *m = a->model;
	const struct host *h = a->host;
	const struct mysql_engine_info *eng = mysql_engine_of(m->roles.mysql.engine);
	struct buf b;
	buf_init(&b);
	agent_phase(a, "config");
	int r = mysql_render_cnf(m, h, &b);
	if (r == 0)
		r = agent_write(a, eng->cnf_path, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing the %s configuration", eng->product);
	/* Before initialising: the configuration names the certificate. */
	agent_phase(a, "tls");
	if (m->roles.mysql.tls && (r = mysql_tls(a)) < 0)
		return r;

	/* A fresh data disk hides the datadir the package created in the image. */
	char *sysdb = agent_path(a, "/var/lib/mysql/mysql");
	bool fresh = access(sysdb, F_OK) < 0;
	free(sysdb);
	if (fresh) {
		const char *chown[] = { "chown", "mysql:mysql", "/var/lib/mysql", NULL };
		agent_phase(a, "init-datadir");
		if (m->roles.mysql.engine == MYSQL_ENGINE_MYSQL)
			drop_lost_found(a);
		if ((r = exec_or_fail(a, chown, NULL, 0, "chown of the datadir")) < 0 ||
		    (r = exec_or_fail(a, mysql_init_argv(m), NULL, 0, "initialising the datadir")) < 0)
			return r;
	}
	/* backup.restore: a fresh primary takes its data from the backup bucket
	 * before MariaDB serves with this configuration and before the app's
	 * users are granted (so the app's join waits for it); once per host,
	 * never over a database (firstboot/backup.h) */
	bool restoring = backup_on_host(m, h) && m->backup.restore;
	if (restoring) {
		agent_phase(a, "restore");
		buf_init(&b);
		backup_conf_render(m, h, &b);
		r = agent_write(a, KILN_BACKUP_CONF, b.data, b.len, 0644);
		buf_free(&b);
		if (r < 0)
			return agent_step_end(a, STEP, r, "writing " KILN_BACKUP_CONF);
		const char *restore[] = { "/usr/sbin/kiln-firstboot", "backup", "restore", NULL };
		if ((r = exec_or_fail(a, restore, NULL, 0, "restoring from the backup bucket "
							     "(kiln-firstboot status shows backup-restore)")) < 0)
			return r;
	}
	const char *restart[] = { "systemctl", "restart", eng->service, NULL };
	_cleanup_free_ char *starting = xasprintf("starting %s", eng->product);
	if ((r = reload_server_unit(a, eng->service)) < 0)
		return r;
	agent_phase(a, "restart-server");
	bool bootstrapped = false;
	if (galera_on(m)) {
		agent_phase(a, "galera");
		if ((r = mysql_galera(a, &bootstrapped)) < 0)
			return r;
	} else if ((r = exec_or_fail(a, restart, NULL, 0, starting)) < 0)
		return r;

	agent_phase(a, "setup-sql");
	buf_init(&b);
	r = mysql_render_setup_sql(m, h, agent_secret, a, &b);
	if (r < 0) {
		buf_wipe(&b);
		return agent_step_end(a, STEP, r, r == -ENOKEY ? "the seed lacks a MySQL secret"
								 : "rendering the MySQL setup SQL");
	}
	const char *client[MYSQL_LOCAL_ARGV_MAX];
	mysql_local_argv(eng->client, NULL, NULL, client);
	r = setup_sql(a, client, &b);
	buf_wipe(&b);
	if (r < 0)
		return r;
	bool cloned = false;
	if (h->replica_of)
		agent_phase(a, "replica");
	if (h->replica_of && (r = mysql_replica(a, client, &cloned)) < 0)
		return r;
	if (!h->replica_of) {
		/* a promoted replica: status no longer asks for its replication */
		_cleanup_free_ char *rc = path_join(a->state_dir, KILN_REPLICA_CONF_NAME);
		if (unlink(rc) < 0 && errno != ENOENT)
			log_warn("removing %s: %s", rc, strerror(errno));
	}
	agent_phase(a, "backup-units");
	if (backup_on_host(m, h) && (r = mysql_backup(a)) < 0)
		return r;
	_cleanup_free_ char *what = h->replica_of ? xasprintf("replicating from %s%s", h->replica_of,
							      cloned ? " (copied from it first)" : "")
				    : galera_on(m) ? xasprintf("a Galera node (%s)", bootstrapped
									      ? "bootstrapped a new cluster"
									      : "joined the cluster")
						  : xstrdup("configured");
	return agent_step_end(a, STEP, 0, "%s %s%s%s%s", eng->product, fresh ? "initialised and " : "", what,
			      restoring ? ", restore from backup run" : "",
			      backup_on_host(m, h) ? ", backups scheduled" : "");
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* MinIO's health endpoints need no credentials: "live" (the server
 * answers), "cluster" (its erasure set has write quorum). */
static bool minio_health(const char *endpoint, const char *which)
{
	CURL *c = curl_easy_init();
	if (!c)
		return false;
	char *url = xasprintf("%s/minio/health/%s", endpoint, which);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	long code = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	free(url);
	return code == 200;
}

static char *local_endpoint(const struct host *h)
{
	char a[16];
	return xasprintf("http://%s:9000", h->dhcp ? "127.0.0.1" : ipv4_fmt(h->address, a));
}

static int role_minio(struct agent *a)
{
	const struct model *m = a->model;
	struct buf b;
	buf_init(&b);
	agent_phase(a, "config");
	int r = minio_render_env(m, a->host, agent_secret, a, &b);
	if (r == 0)
		r = agent_write(a, MINIO_ENV_FILE, b.data, b.len, 0600);
	buf_wipe(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " MINIO_ENV_FILE);

	const char *mk[] = { "install", "-d", "-o", "minio-user", "-g", "minio-user", "-m", "0750", MINIO_DATA_DIR "/data", NULL };
	const char *own[] = { "chown", "minio-user:minio-user", MINIO_DATA_DIR, NULL };
	/* Enabled for later boots, started once: restart starts it if it is not
	 * running and makes a running one read the new environment file (an
	 * enable --now before it started MinIO only to stop it again).
	 * --no-reload: the enable only adds the wants link later boots follow;
	 * its implicit daemon-reload (seconds under TCG) served nothing here.
	 * Client-side (agent_enable): an enable through systemd marks every
	 * unit "changed on disk" until the next reload (NeedDaemonReload), and
	 * the monitoring step would then reload for nothing. */
	static const char *const minio[] = { "minio.service" };
	const char *restart[] = { "systemctl", "restart", "minio.service", NULL };
	agent_phase(a, "data-dir");
	if ((r = exec_or_fail(a, own, NULL, 0, "chown of the data disk")) < 0 ||
	    (r = exec_or_fail(a, mk, NULL, 0, "creating the MinIO data directory")) < 0)
		return r;
	agent_phase(a, "enable");
	char ewhy[300];
	if ((r = agent_enable(a, minio, 1, ewhy, sizeof ewhy)) < 0)
		return agent_step_end(a, STEP, r, "enabling MinIO: %s", ewhy);
	if ((r = reload_server_unit(a, minio[0])) < 0)
		return r;
	agent_phase(a, "restart-server");
	if ((r = exec_or_fail(a, restart, NULL, 0, "starting MinIO")) < 0)
		return r;

	char *ep = local_endpoint(a->host);
	agent_phase(a, "wait-live");
	if (!a->no_services) {
		/* asked every 200 ms: MinIO is up a fraction of a second after it listens */
		int64_t end = status_clock_ms() + 120000;
		const struct timespec poll = { 0, 200 * 1000000L };
		while (!minio_health(ep, "live") && status_clock_ms() < end)
			nanosleep(&poll, NULL);
		if (!minio_health(ep, "live")) {
			r = agent_step_end(a, STEP, -ETIMEDOUT, "MinIO did not answer %s/minio/health/live within 120 s", ep);
			free(ep);
			return r;
		}
	}
	/* Distributed, buckets and users need write quorum: the other minio
	 * hosts booting (started together, each waits here for the rest), as
	 * long as a join waits for its peers. */
	if (!a->no_services && minio_distributed(m)) {
		agent_phase(a, "wait-cluster");
		status_set(&a->status, STEP, STEP_RUNNING, "waiting for the distributed MinIO set's write quorum "
			   "(the other minio hosts starting)");
		agent_save(a);
		int64_t end = status_clock_ms() + (int64_t)a->join_deadline_s * 1000;
		const struct timespec poll = { 1, 0 };
		while (!minio_health(ep, "cluster") && status_clock_ms() < end)
			nanosleep(&poll, NULL);
		if (!minio_health(ep, "cluster")) {
			r = agent_step_end(a, STEP, -ETIMEDOUT, "the distributed MinIO set had no write quorum within %u s "
					   "(%s/minio/health/cluster): are the other minio hosts up?", a->join_deadline_s, ep);
			free(ep);
			return r;
		}
	}
	char why[400] = "";
	agent_phase(a, "buckets-users");
	r = a->no_services ? 0 : minio_setup(m, ep, agent_secret, a, why, sizeof why);
	free(ep);
	if (r < 0)
		return agent_step_end(a, STEP, r, "%s", why);
	size_t nrep = replication_count(m);
	char rep[48] = "";
	if (nrep)
		snprintf(rep, sizeof rep, ", %zu replicated by MinIO", nrep);
	return agent_step_end(a, STEP, 0, "MinIO running%s, %zu bucket(s) ready%s, app key registered",
			      minio_distributed(m) ? " (one distributed set)" : "", m->roles.minio.n_buckets, rep);
}

int step_role(struct agent *a)
{
	status_set(&a->status, STEP, STEP_RUNNING, "%s", a->seed.role);
	agent_save(a);
	switch (a->host->role) {
	case ROLE_MYSQL: return role_mysql(a);
	case ROLE_MINIO: return role_minio(a);
	case ROLE_LB: return role_lb(a);
	default: return role_app(a);
	}
}
