/* kiln-firstboot metrics; see metrics.h. */
#include "firstboot/metrics.h"
#include "firstboot/http_get.h"
#include "firstboot/status_page.h"
#include "firstboot/systemd_bus.h"
#include "firstboot/unit_wait.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/spawn.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include "profiles/mysql_engine.h"
#include "profiles/names.h"
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the configuration the step writes ---- */

static void conf_unit(struct buf *b, const char *u)
{
	buf_printf(b, "unit=%s\n", u);
}

void metrics_conf_render(const struct model *m, const struct host *h, struct buf *b)
{
	char a[16];
	buf_printf(b, "# Written by kiln-firstboot (step monitoring): what `kiln-firstboot metrics` collects here.\n"
		      "deployment=%s\n", m->name);
	conf_unit(b, "prometheus-node-exporter.service");
	if (!monitoring_is_host(m, h))
		conf_unit(b, "systemd-journal-upload.service");
	switch (h->role) {
	case ROLE_MYSQL:
		conf_unit(b, mysql_engine_of(m->roles.mysql.engine)->service);
		conf_unit(b, "prometheus-mysqld-exporter.service");
		break;
	case ROLE_MINIO:
		conf_unit(b, "minio.service");
		break;
	case ROLE_LB:
		conf_unit(b, "haproxy.service");
		if (m->roles.lb.virtual_address)
			conf_unit(b, "keepalived.service");
		break;
	default:
		conf_unit(b, "nginx.service");
		conf_unit(b, "kiln-app.service");
		break;
	}
	if (monitoring_is_host(m, h)) {
		conf_unit(b, "prometheus.service");
		conf_unit(b, "prometheus-alertmanager.service");
		conf_unit(b, "systemd-journal-remote.socket");
		buf_printf(b, "status_page=https://%s:%u\n", h->dhcp ? "127.0.0.1" : ipv4_fmt(h->address, a),
			   MON_PORT_PROMETHEUS);
	}
	for (size_t i = 0; monitoring_is_host(m, h) && m->monitoring.archive_bucket && i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_MINIO) {
			char peer[320];
			buf_printf(b, "archive_bucket=%s\narchive_endpoint=http://%s:%u\n", m->monitoring.archive_bucket,
				   monitoring_peer_addr(m, &m->hosts[i], peer, sizeof peer), MON_PORT_MINIO);
			break;
		}
	if (h->role == ROLE_APP) {
		buf_printf(b, "nginx_status=http://127.0.0.1:%u/nginx_status\n", MON_NGINX_STATUS_PORT);
		if (m->monitoring.app_health)
			buf_printf(b, "app_health=http://127.0.0.1:%u%s\n", (unsigned)m->roles.app.port,
				   m->monitoring.app_health);
	}
}

void metrics_conf_free(struct metrics_conf *c)
{
	free(c->deployment);
	for (size_t i = 0; i < c->n_units; i++)
		free(c->units[i]);
	free(c->app_health);
	free(c->nginx_status);
	free(c->status_page);
	free(c->archive_bucket);
	free(c->archive_endpoint);
	memset(c, 0, sizeof *c);
}

static bool unit_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n > 128)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("@._-", *p)))
			return false;
	return (n > 8 && !strcmp(s + n - 8, ".service")) || (n > 7 && !strcmp(s + n - 7, ".socket"));
}

/* Our own URLs only: loopback HTTP for the probes, HTTPS for Prometheus;
 * printable, no spaces (the file is root's, but a value goes to libcurl). */
static bool url_ok(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) || strlen(s) > 512)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

int metrics_conf_parse(const char *text, size_t len, struct metrics_conf *out, const char **why)
{
	memset(out, 0, sizeof *out);
	*why = NULL;
	_cleanup_free_ char *copy = xstrndup(text, len);
	if (strlen(copy) != len)
		*why = "it holds a NUL byte";
	for (char *line = copy, *next; !*why && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			*why = "its last line has no line break";
		if (!*line || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			*why = "a line is not key=value";
			break;
		}
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		char **slot = !strcmp(k, "deployment") ? &out->deployment : !strcmp(k, "app_health") ? &out->app_health
			      : !strcmp(k, "nginx_status") ? &out->nginx_status : !strcmp(k, "status_page") ? &out->status_page
			      : !strcmp(k, "archive_bucket") ? &out->archive_bucket
			      : !strcmp(k, "archive_endpoint") ? &out->archive_endpoint : NULL;
		if (!strcmp(k, "unit")) {
			if (!unit_ok(v))
				*why = "a unit is not a systemd service or socket name";
			else if (out->n_units == METRICS_MAX_UNITS)
				*why = "it lists too many units";
			else
				out->units[out->n_units++] = xstrdup(v);
		} else if (!slot)
			*why = "it has an unknown key";
		else if (*slot)
			*why = "a key appears twice";
		else if (slot == &out->deployment ? name_check_simple(v, 32) != NULL
			 : slot == &out->archive_bucket ? name_check_s3_bucket(v) != NULL
			 : !url_ok(v, slot == &out->status_page ? "https://"
				   : slot == &out->archive_endpoint ? "http://" : "http://127.0.0.1:"))
			*why = "a value is not what its key takes";
		else
			*slot = xstrdup(v);
	}
	if (!*why && !out->deployment)
		*why = "it names no deployment";
	if (*why) {
		metrics_conf_free(out);
		return -EBADMSG;
	}
	return 0;
}

/* ---- the textfile ---- */

/* A label value in the text format: backslash, quote and newline escaped. */
static void label(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void steps(struct buf *b, const struct status *s)
{
	family(b, "kiln_firstboot_ready", "gauge", "1 when every first-boot step is over (kiln-firstboot status).");
	buf_printf(b, "kiln_firstboot_ready %d\n", s && status_ready(s));
	if (!s)
		return;
	family(b, "kiln_firstboot_seed_serial", "gauge", "Serial of the last seed applied.");
	buf_printf(b, "kiln_firstboot_seed_serial %" PRIu64 "\n", s->seed_serial);
	family(b, "kiln_firstboot_step_state", "gauge", "1 for the state each first-boot step is in, 0 for the others.");
	for (size_t i = 0; i < s->n; i++)
		for (int st = STEP_PENDING; st <= STEP_SKIPPED; st++) {
			buf_puts(b, "kiln_firstboot_step_state{step=");
			label(b, s->steps[i].name);
			buf_puts(b, ",state=");
			label(b, step_state_name((enum step_state)st));
			buf_printf(b, "} %d\n", s->steps[i].state == (enum step_state)st);
		}
}

/* The last run of each backup kind (firstboot/backup.h): when it ended and
 * whether it succeeded; the reason stays in `kiln-firstboot status`. */
static void backup_runs(struct buf *b, const struct status *s)
{
	static const char *const kinds[][2] = { { "backup-full", "full" }, { "backup-binlogs", "binlogs" } };
	const struct step *st[2] = { s ? status_step((struct status *)s, kinds[0][0]) : NULL,
				     s ? status_step((struct status *)s, kinds[1][0]) : NULL };
	if (!st[0] && !st[1])
		return;
	family(b, "kiln_backup_last_run_timestamp_seconds", "gauge",
	       "When the last backup run of each kind ended (kiln-firstboot backup).");
	for (int i = 0; i < 2; i++)
		if (st[i])
			buf_printf(b, "kiln_backup_last_run_timestamp_seconds{kind=\"%s\"} %" PRId64 "\n", kinds[i][1],
				   st[i]->updated);
	family(b, "kiln_backup_last_run_success", "gauge", "1 when the last backup run of that kind succeeded.");
	for (int i = 0; i < 2; i++)
		if (st[i])
			buf_printf(b, "kiln_backup_last_run_success{kind=\"%s\"} %d\n", kinds[i][1],
				   st[i]->state == STEP_DONE);
}

/* A replica's replication (SHOW SLAVE STATUS); the error text stays in
 * `kiln-firstboot status`. */
static void replica(struct buf *b, const struct metrics *in)
{
	if (!in->have_replica)
		return;
	family(b, "kiln_mysql_replica_up", "gauge",
	       "1 when this MySQL replica's IO and SQL threads run without error (kiln-firstboot status).");
	buf_printf(b, "kiln_mysql_replica_up %d\n", in->replica_read && mysql_replica_ok(&in->replica));
	if (in->replica_read && in->replica.configured && in->replica.seconds_behind >= 0) {
		family(b, "kiln_mysql_replica_seconds_behind_master", "gauge",
		       "How far this replica's applied changes trail its primary (Seconds_Behind_Master).");
		buf_printf(b, "kiln_mysql_replica_seconds_behind_master %lld\n", in->replica.seconds_behind);
	}
}

void metrics_render(const struct metrics *in, struct buf *b)
{
	family(b, "kiln_metrics_timestamp_seconds", "gauge", "When kiln-firstboot metrics last wrote this file.");
	buf_printf(b, "kiln_metrics_timestamp_seconds %" PRId64 "\n", in->now);
	steps(b, in->status);
	replica(b, in);
	if (in->n_certs)
		family(b, "kiln_tls_cert_not_after_timestamp_seconds", "gauge",
		       "When each certificate under /etc/kiln/tls expires.");
	for (size_t i = 0; i < in->n_certs; i++) {
		buf_puts(b, "kiln_tls_cert_not_after_timestamp_seconds{file=");
		label(b, in->certs[i].file);
		buf_printf(b, "} %" PRId64 "\n", in->certs[i].not_after);
	}
	if (in->have_drops) {
		family(b, "kiln_nft_input_drop_packets_total", "counter",
		       "Packets the firewall dropped (nft counter inet filter input_drop).");
		buf_printf(b, "kiln_nft_input_drop_packets_total %" PRIu64 "\n", in->drop_packets);
		family(b, "kiln_nft_input_drop_bytes_total", "counter", "Bytes of those packets.");
		buf_printf(b, "kiln_nft_input_drop_bytes_total %" PRIu64 "\n", in->drop_bytes);
	}
	if (in->conf && in->conf->n_units)
		family(b, "kiln_service_active", "gauge", "1 when the unit is active (systemctl is-active).");
	for (size_t i = 0; in->conf && i < in->conf->n_units; i++) {
		buf_puts(b, "kiln_service_active{unit=");
		label(b, in->conf->units[i]);
		buf_printf(b, "} %d\n", in->unit_active[i]);
	}
	backup_runs(b, in->backups);
	if (in->have_app) {
		family(b, "kiln_app_health_up", "gauge", "1 when the app's health URL answers 2xx.");
		buf_printf(b, "kiln_app_health_up %d\n", in->app_up);
	}
	if (in->have_nginx) {
		family(b, "kiln_nginx_up", "gauge", "1 when nginx answers its local status page.");
		buf_printf(b, "kiln_nginx_up %d\n", in->nginx_up);
		if (in->nginx_up) {
			family(b, "kiln_nginx_connections_active", "gauge", "nginx's active client connections.");
			buf_printf(b, "kiln_nginx_connections_active %" PRIu64 "\n", in->nginx_active);
			family(b, "kiln_nginx_requests_total", "counter", "Requests nginx has served.");
			buf_printf(b, "kiln_nginx_requests_total %" PRIu64 "\n", in->nginx_requests);
		}
	}
}

/* ---- parsers ---- */

/* The number after word in text ("packets 12"), 0 or -EBADMSG. */
static int number_after(const char *text, const char *word, uint64_t *out)
{
	const char *p = strstr(text, word);
	if (!p)
		return -EBADMSG;
	p += strlen(word);
	while (*p == ' ' || *p == '\t')
		p++;
	char num[24];
	size_t n = strspn(p, "0123456789");
	if (n == 0 || n >= sizeof num)
		return -EBADMSG;
	memcpy(num, p, n);
	num[n] = '\0';
	return parse_u64(num, 0, UINT64_MAX, out) < 0 ? -EBADMSG : 0;
}

int metrics_parse_nft_counter(const char *text, uint64_t *packets, uint64_t *bytes)
{
	/* "table inet filter {\n\tcounter input_drop {\n\t\tpackets N bytes M\n\t}\n}\n" */
	const char *c = strstr(text, "counter input_drop {");
	const char *p = c ? strstr(c, "packets ") : NULL;
	if (!p || (p[-1] != '\t' && p[-1] != ' ') || number_after(p, "packets ", packets) < 0 ||
	    number_after(p, " bytes ", bytes) < 0)
		return -EBADMSG;
	return 0;
}

int metrics_parse_stub_status(const char *text, uint64_t *active, uint64_t *requests)
{
	/* "Active connections: 1 \nserver accepts handled requests\n 5 5 9 \nReading: ..." */
	static const char head[] = "server accepts handled requests\n";
	const char *h = strstr(text, head);
	uint64_t accepted, handled;
	if (number_after(text, "Active connections:", active) < 0 || !h ||
	    sscanf(h + sizeof head - 1, " %" SCNu64 " %" SCNu64 " %" SCNu64, &accepted, &handled, requests) != 3)
		return -EBADMSG;
	return 0;
}

/* ---- collectors ---- */

static int cert_cmp(const void *a, const void *b)
{
	return strcmp(((const struct metrics_cert *)a)->file, ((const struct metrics_cert *)b)->file);
}

static void collect_certs(const char *root, struct metrics *m)
{
	_cleanup_free_ char *dir = xasprintf("%s%s", strcmp(root, "/") ? root : "", MON_TLS_DIR);
	DIR *d = opendir(dir);
	size_t cap = 0;
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n < 5 || (strcmp(e->d_name + n - 4, ".pem") && strcmp(e->d_name + n - 4, ".crt")))
			continue;
		_cleanup_free_ char *p = path_join(dir, e->d_name), *pem = NULL;
		int64_t t;
		if (read_input(p, INPUT_NOFOLLOW, 1u << 20, &pem, NULL) < 0 || tls_cert_not_after(pem, &t) < 0)
			continue;
		m->certs = xgrow(m->certs, &cap, m->n_certs + 1, sizeof *m->certs);
		m->certs[m->n_certs++] = (struct metrics_cert){ xstrdup(e->d_name), t };
	}
	closedir(d);
	if (m->n_certs)
		qsort(m->certs, m->n_certs, sizeof *m->certs, cert_cmp);
}

static void collect_drops(struct metrics *m)
{
	const char *argv[] = { "nft", "list", "counter", "inet", "filter", "input_drop", NULL };
	struct buf out;
	buf_init(&out);
	if (spawn_capture(argv, &out, NULL, 64 << 10) == 0 && out.data &&
	    metrics_parse_nft_counter(out.data, &m->drop_packets, &m->drop_bytes) == 0)
		m->have_drops = true;
	buf_free(&out);
}

/* Each unit's ActiveState, asked of systemd in-process (systemd_show: no
 * systemctl process every 30 s); a unit counts as active when it is
 * "active", as `systemctl is-active` says. Not answered: none is. */
static void collect_units(const char *root, struct metrics *m)
{
	const struct metrics_conf *c = m->conf;
	static const char *const props[] = { "LoadState", "ActiveState" };
	struct unit_state st[METRICS_MAX_UNITS];
	struct buf out;
	char why[300];
	buf_init(&out);
	int r = systemd_show(root, props, 2, (const char *const *)c->units, c->n_units, &out, why, sizeof why);
	if (r == 0 && (r = unit_show_parse(out.data ? out.data : "", c->n_units, st)) < 0)
		snprintf(why, sizeof why, "systemd's answer not understood");
	for (size_t i = 0; i < c->n_units; i++)
		m->unit_active[i] = r == 0 && !strcmp(st[i].active, "active");
	if (r < 0)
		log_debug("metrics: the units' states: %s", why);
	buf_free(&out);
}

static void collect_web(struct metrics *m)
{
	const struct metrics_conf *c = m->conf;
	char why[256];
	long code;
	struct buf out;
	if (c->app_health) {
		buf_init(&out);
		m->have_app = true;
		m->app_up = http_get(c->app_health, NULL, 3000, 64 << 10, &out, &code, why, sizeof why) == 0 &&
			    code >= 200 && code < 300;
		buf_free(&out);
	}
	if (c->nginx_status) {
		buf_init(&out);
		m->have_nginx = true;
		m->nginx_up = http_get(c->nginx_status, NULL, 3000, 64 << 10, &out, &code, why, sizeof why) == 0 &&
			      code == 200 && out.data &&
			      metrics_parse_stub_status(out.data, &m->nginx_active, &m->nginx_requests) == 0;
		buf_free(&out);
	}
}

int metrics_conf_load(const char *root, struct metrics_conf *conf)
{
	_cleanup_free_ char *p = xasprintf("%s%s", strcmp(root, "/") ? root : "", MON_METRICS_CONF), *text = NULL;
	const char *why;
	size_t len;
	int r = read_input(p, INPUT_NOFOLLOW, 64 << 10, &text, &len);
	if (r < 0)
		return log_error_errno(r, "%s %s", p, input_strerror(r));
	if (metrics_conf_parse(text, len, conf, &why) < 0)
		return log_error_errno(EBADMSG, "%s: %s", p, why);
	return 0;
}

/* A replica's state from the local server (the default socket). */
static void collect_replica(const char *base, struct metrics *m)
{
	_cleanup_free_ char *p = xasprintf("%s%s/%s", base, KILN_STATE_DIR, KILN_REPLICA_CONF_NAME);
	_cleanup_free_ char *text = NULL, *primary = NULL, *client = NULL;
	size_t len;
	if (read_input(p, INPUT_NOFOLLOW, 4096, &text, &len) < 0)
		return;
	m->have_replica = true;
	char why[300];
	if (mysql_replica_conf_parse(text, &primary, &client) < 0)
		log_warn("%s is corrupt", p);
	else if (mysql_replica_query(client, NULL, &m->replica, why, sizeof why) < 0)
		log_warn("reading the replication state: %s", why);
	else
		m->replica_read = true;
}

int metrics_run(const char *root)
{
	const char *base = strcmp(root, "/") ? root : "";
	_cleanup_free_ char *status_p = xasprintf("%s%s/%s", base, KILN_STATE_DIR, KILN_STATUS_NAME);
	_cleanup_free_ char *out_p = xasprintf("%s%s", base, MON_TEXTFILE);
	struct metrics_conf conf;
	struct status st;
	int r = metrics_conf_load(root, &conf);
	if (r < 0)
		return r;
	bool have_status = status_load(status_p, &st) == 0;
	_cleanup_free_ char *backup_p = xasprintf("%s%s/%s", base, KILN_STATE_DIR, KILN_BACKUP_STATUS_NAME);
	struct status bk;
	bool have_bk = status_load(backup_p, &bk) == 0;
	struct metrics m = { .now = (int64_t)time(NULL), .status = have_status ? &st : NULL,
			     .backups = have_bk ? &bk : NULL, .conf = &conf };
	collect_certs(root, &m);
	collect_drops(&m);
	collect_units(root, &m);
	collect_web(&m);
	collect_replica(base, &m);
	struct buf b;
	buf_init(&b);
	metrics_render(&m, &b);
	_cleanup_free_ char *dir = xasprintf("%s%s", base, MON_TEXTFILE_DIR);
	r = mkdir_p(dir, 0755);
	if (r == 0)
		r = write_file_atomic(out_p, b.data, b.len, 0644);
	if (r < 0)
		log_error_errno(r, "writing %s", out_p);
	buf_free(&b);
	if (r == 0 && conf.status_page)
		r = status_page_update(root, conf.status_page, conf.deployment);
	for (size_t i = 0; i < m.n_certs; i++)
		free(m.certs[i].file);
	free(m.certs);
	if (have_status)
		status_free(&st);
	if (have_bk)
		status_free(&bk);
	metrics_conf_free(&conf);
	return r;
}
