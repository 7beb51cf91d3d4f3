/* The monitoring host's Prometheus and Alertmanager configuration, from the
 * profile: one scrape job per exporter kind with every host that runs it
 * (labels host and role), TLS with Prometheus' client certificate, MinIO's
 * metrics with its bearer token; the alert rules (docs/monitoring.md lists
 * them; tests/monitoring/ holds their promtool unit tests); the receivers.
 * Every value written comes from the model's checked names and addresses
 * or the syntax_monitoring.c validators, so plain and single-quoted YAML
 * scalars suffice. */
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include "profiles/render.h"
#include "profiles/render_internal.h"
#include "profiles/syntax.h"
#include "lib/log.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CRED "/run/credentials/prometheus.service/"

/* One job's static targets: every host of role r (all hosts: r < 0). */
static void targets(const struct model *m, int r, unsigned port, struct buf *b)
{
	buf_puts(b, "    static_configs:\n");
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		char peer[320];
		if (r >= 0 && (int)h->role != r)
			continue;
		buf_printf(b, "      - targets: ['%s:%u']\n        labels: {host: %s, role: %s}\n",
			   monitoring_peer_addr(m, h, peer, sizeof peer), port, h->name, role_name(h->role));
	}
}

static void tls_job(const struct model *m, const char *job, int r, unsigned port, struct buf *b)
{
	buf_printf(b, "  - job_name: %s\n    scheme: https\n    tls_config:\n"
		      "      ca_file: " MON_TLS_DIR "/" MON_CA_FILE "\n"
		      "      cert_file: " MON_TLS_DIR "/" MON_SCRAPE_CERT "\n"
		      "      key_file: " CRED "scrape_key\n", job);
	targets(m, r, port, b);
}

void render_prometheus_config(const struct model *m, const struct host *h, struct buf *b)
{
	render_banner(m, h, b, "#");
	buf_printf(b, "# docs/monitoring.md. Scrapes are TLS with the deployment CA; the exporters accept only\n"
		      "# Prometheus' client certificate.\n"
		      "global:\n  scrape_interval: 15s\n  scrape_timeout: 10s\n  evaluation_interval: 15s\n"
		      "  external_labels:\n    deployment: %s\n"
		      "rule_files:\n  - /etc/prometheus/kiln-rules.yml\n"
		      "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:%u']\n"
		      "scrape_configs:\n", m->name, MON_PORT_ALERTMANAGER);
	tls_job(m, "node", -1, MON_PORT_NODE, b);
	if (model_has_role(m, ROLE_MYSQL))
		tls_job(m, "mysqld", ROLE_MYSQL, MON_PORT_MYSQLD, b);
	/* HAProxy's own exporter, a frontend of its own on each lb host (role_lb.c) */
	if (model_has_role(m, ROLE_LB))
		tls_job(m, "haproxy", ROLE_LB, MON_PORT_HAPROXY, b);
	if (model_has_role(m, ROLE_MINIO)) {
		/* MinIO serves its metrics on its S3 port, plain HTTP like the
		 * app's S3 traffic; the bearer token only reads metrics. */
		buf_puts(b, "  - job_name: minio\n    scheme: http\n    metrics_path: " MON_MINIO_METRICS_PATH "\n"
			    "    authorization:\n      type: Bearer\n      credentials_file: " CRED "minio_token\n");
		targets(m, ROLE_MINIO, MON_PORT_MINIO, b);
	}
}

static void rule(struct buf *b, const char *name, const char *expr, const char *for_, const char *severity,
		 const char *summary)
{
	buf_printf(b, "      - alert: %s\n        expr: %s\n        for: %s\n        labels:\n          severity: %s\n"
		      "        annotations:\n          summary: \"%s\"\n", name, expr, for_, severity, summary);
}

/* Only once a host says its first boot is over: a service that is still
 * being set up is not down. */
#define READY " and on(host) kiln_firstboot_ready == 1"

void render_prometheus_rules(const struct model *m, const struct host *h, struct buf *b)
{
	render_banner(m, h, b, "#");
	buf_puts(b, "# The alert rules (docs/monitoring.md); tests/monitoring/kiln-rules.test.yml holds their\n"
		    "# promtool unit tests.\ngroups:\n  - name: kiln\n    rules:\n");
	rule(b, "HostDown", "up{job=\"node\"} == 0", "2m", "critical",
	     "{{ $labels.host }} does not answer scrapes of its node exporter");
	rule(b, "ServiceDown", "kiln_service_active == 0" READY, "1m", "critical",
	     "{{ $labels.unit }} is not running on {{ $labels.host }}");
	bool my = m->roles.mysql.engine == MYSQL_ENGINE_MYSQL;
	/* The alert keeps its name for either engine (routes and silences use it). */
	if (model_has_role(m, ROLE_MYSQL))
		rule(b, "MariaDBUnreachable", "(mysql_up == 0 or up{job=\"mysqld\"} == 0)" READY, "1m", "critical",
		     my ? "MySQL on {{ $labels.host }} does not answer its exporter"
			: "MariaDB on {{ $labels.host }} does not answer its exporter");
	if (model_has_role(m, ROLE_MINIO))
		rule(b, "ObjectStoreUnreachable", "up{job=\"minio\"} == 0" READY, "1m", "critical",
		     "the object store on {{ $labels.host }} does not answer its metrics endpoint");
	if (model_has_role(m, ROLE_APP))
		rule(b, "AppUnhealthy", "(kiln_app_health_up == 0 or kiln_nginx_up == 0)" READY, "1m", "critical",
		     "the app or nginx on {{ $labels.host }} fails its health check");
	if (model_has_role(m, ROLE_LB)) {
		/* HAProxy's view of the app hosts: proxy "app" is role_lb.c's backend */
		rule(b, "LoadBalancerDown", "up{job=\"haproxy\"} == 0" READY, "1m", "critical",
		     "HAProxy on {{ $labels.host }} does not answer scrapes of its metrics");
		rule(b, "LoadBalancerBackendDown", "haproxy_server_status{proxy=\"app\",state=\"DOWN\"} == 1" READY, "1m",
		     "warning", "HAProxy on {{ $labels.host }} sees app host {{ $labels.server }} down (its health check fails)");
		rule(b, "LoadBalancerNoBackend", "haproxy_backend_active_servers{proxy=\"app\"} == 0" READY, "1m", "critical",
		     "HAProxy on {{ $labels.host }} has no app host left to send requests to");
	}
	rule(b, "DiskAlmostFull",
	     "100 * (1 - node_filesystem_avail_bytes{fstype=\"ext4\"} / node_filesystem_size_bytes{fstype=\"ext4\"}) > 85",
	     "5m", "warning", "{{ $labels.mountpoint }} on {{ $labels.host }} is more than 85 % full");
	rule(b, "CertificateExpiresSoon", "kiln_tls_cert_not_after_timestamp_seconds - time() < 30 * 86400", "10m",
	     "warning", "{{ $labels.file }} on {{ $labels.host }} expires within 30 days");
	rule(b, "FirstBootStepFailed", "kiln_firstboot_step_state{state=\"failed\"} == 1", "0m", "critical",
	     "first-boot step {{ $labels.step }} failed on {{ $labels.host }} (kiln-firstboot status says why)");
	if (model_has_replica(m) && my) {
		/* MySQL 8.4 has only SHOW REPLICA STATUS, whose columns the
		 * exporter names Replica_IO_Running, Seconds_Behind_Source, ... */
		rule(b, "ReplicationBroken",
		     "mysql_slave_status_replica_io_running == 0 or mysql_slave_status_replica_sql_running == 0", "2m",
		     "critical", "replication on {{ $labels.host }} has stopped");
		rule(b, "ReplicationLagging", "mysql_slave_status_seconds_behind_source > 300", "5m", "warning",
		     "{{ $labels.host }} is more than 5 minutes behind its primary");
	} else if (model_has_replica(m)) {
		rule(b, "ReplicationBroken",
		     "mysql_slave_status_slave_io_running == 0 or mysql_slave_status_slave_sql_running == 0", "2m",
		     "critical", "replication on {{ $labels.host }} has stopped");
		rule(b, "ReplicationLagging", "mysql_slave_status_seconds_behind_master > 300", "5m", "warning",
		     "{{ $labels.host }} is more than 5 minutes behind its primary");
	}
	if (m->backup.on) {
		/* docs/backup.md: a backup that failed, or one that is older than
		 * its schedule allows (full: its period and 2 hours, hourly 1;
		 * binary logs: twice their interval and 5 minutes) */
		unsigned full = m->backup.full == BACKUP_FULL_HOURLY ? 7200u
			      : m->backup.full == BACKUP_FULL_WEEKLY ? 7u * 86400u + 7200u : 86400u + 7200u;
		unsigned bin = 2u * 60u * m->backup.binlog_minutes + 300u;
		rule(b, "BackupFailed", "kiln_backup_last_run_success == 0", "0m", "critical",
		     "the last {{ $labels.kind }} backup on {{ $labels.host }} failed (kiln-firstboot status says why)");
		char expr[256], sum[200];
		snprintf(expr, sizeof expr,
			 "time() - kiln_backup_last_run_timestamp_seconds{kind=\"full\"} > %u"
			 " or time() - kiln_backup_last_run_timestamp_seconds{kind=\"binlogs\"} > %u", full, bin);
		snprintf(sum, sizeof sum, "the last {{ $labels.kind }} backup on {{ $labels.host }} is older than its schedule "
					  "allows (full %s, binary logs every %u min)",
			 backup_full_name_of(m->backup.full), m->backup.binlog_minutes);
		rule(b, "BackupOverdue", expr, "5m", "critical", sum);
	}
	rule(b, "FirewallDropBurst", "increase(kiln_nft_input_drop_packets_total[5m]) > 500", "0m", "warning",
	     "the firewall of {{ $labels.host }} dropped more than 500 packets in 5 minutes");
	rule(b, "MetricsStale", "time() - kiln_metrics_timestamp_seconds > 300", "5m", "warning",
	     "kiln-firstboot metrics has not run on {{ $labels.host }} for 5 minutes");
}

int render_alertmanager(const struct model *m, const struct host *h, struct buf *b)
{
	const struct monitoring_settings *s = &m->monitoring;
	/* The loader checked these; refuse here rather than write a bad file. */
	for (size_t i = 0; i < s->n_receivers; i++)
		if (s->receivers[i].kind == RECEIVER_EMAIL ? syntax_email(s->receivers[i].to) || !s->smtp_smarthost
							    : syntax_http_url(s->receivers[i].to) != NULL)
			return log_error_errno(EINVAL, "host %s: receiver %zu cannot be written into Alertmanager's "
					       "configuration", h->name, i + 1);
	if (s->smtp_smarthost && (syntax_smarthost(s->smtp_smarthost) || !s->smtp_from || syntax_email(s->smtp_from)))
		return log_error_errno(EINVAL, "host %s: monitoring.smtp cannot be written into Alertmanager's "
				       "configuration", h->name);
	render_banner(m, h, b, "#");
	buf_puts(b, "# Every alert goes to the profile's receivers (monitoring.receivers).\n");
	if (s->smtp_smarthost)
		buf_printf(b, "global:\n  smtp_smarthost: '%s'\n  smtp_from: '%s'\n  smtp_require_tls: %s\n",
			   s->smtp_smarthost, s->smtp_from, s->smtp_require_tls ? "true" : "false");
	buf_puts(b, "route:\n  receiver: kiln\n  group_by: [alertname, host]\n  group_wait: 30s\n  group_interval: 5m\n"
		    "  repeat_interval: 4h\nreceivers:\n  - name: kiln\n");
	for (int k = 0; k < 2; k++) {
		bool email = k == 1, any = false;
		for (size_t i = 0; i < s->n_receivers; i++) {
			if ((s->receivers[i].kind == RECEIVER_EMAIL) != email)
				continue;
			if (!any)
				buf_puts(b, email ? "    email_configs:\n" : "    webhook_configs:\n");
			any = true;
			buf_printf(b, "      - %s: '%s'\n        send_resolved: true\n", email ? "to" : "url",
				   s->receivers[i].to);
		}
	}
	return 0;
}

int render_prometheus(const struct model *m, const struct host *h, struct rendered_files *out)
{
	struct buf b;
	buf_init(&b);
	int r = render_alertmanager(m, h, &b);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	rendered_files_add(out, "/etc/prometheus/alertmanager.yml", 0644, &b);
	render_prometheus_config(m, h, &b);
	rendered_files_add(out, "/etc/prometheus/prometheus.yml", 0644, &b);
	render_prometheus_rules(m, h, &b);
	rendered_files_add(out, "/etc/prometheus/kiln-rules.yml", 0644, &b);
	return 0;
}
