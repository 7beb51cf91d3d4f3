/* profiles/render_monitoring.c and render_prometheus.c: which files each
 * host gets with monitoring on, what they say (scrape jobs, TLS, keys as
 * credentials, receivers, rules by what the deployment has), the firewall
 * flows they imply (nft -c as oracle), and nothing of it without
 * monitoring. The rendered example's exact bytes are golden files
 * (tests/golden/render/monitored/); promtool and amtool check them in
 * tests/cli/monitoring.sh. */
#include "tests/unit/syntax_cases.h"
#include <errno.h>
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include "profiles/profile.h"
#include "profiles/render.h"

#define HOSTS \
	"kiln: 1\ndeployment: {name: acme, domain: acme.internal}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n" \
	"  - {name: adm, cidr: 10.9.0.0/24}\nhosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n" \
	"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n" \
	"roles: {app: {service: {exec: /bin/true}}}\nssh: {allow_from: [adm]}\n"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void load(const char *text, struct model *m)
{
	struct diags d = { 0 };
	if (profile_load_buffer("p.yaml", text, strlen(text), NULL, m, &d) < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_non_null(m->hosts);
}

static const char *file(const struct rendered_files *f, const char *path)
{
	const struct rendered_file *rf = rendered_files_find(f, path);
	if (!rf)
		print_error("no %s rendered\n", path);
	assert_non_null(rf);
	return rf->data;
}

static void render(const struct model *m, const char *host, struct rendered_files *f)
{
	*f = (struct rendered_files){ 0 };
	assert_int_equal(render_host(m, model_find_host(m, host), f), 0);
}

static void test_files_per_host(void **state)
{
	(void)state;
	struct model m;
	struct rendered_files f;
	load(HOSTS "monitoring: {host: s3, app_health: /healthz}\n", &m);
	render(&m, "db1", &f);
	const char *ne = file(&f, "/etc/systemd/system/prometheus-node-exporter.service.d/kiln.conf");
	assert_non_null(strstr(ne, "\nLoadCredential=tls_key:/etc/kiln/secrets/host_tls_key\n"));
	assert_non_null(strstr(ne, "\nExecStart=\nExecStart=/usr/bin/prometheus-node-exporter --web.listen-address=10.0.0.10:9100 "
				   "--web.config.file=/etc/kiln/monitoring/node-exporter-web.yml --no-collector.systemd "
				   "--collector.textfile.directory=/var/lib/prometheus/node-exporter\n"));
	assert_non_null(strstr(ne, "\nStartLimitIntervalSec=0\n"));
	assert_string_equal(strchr(file(&f, "/etc/kiln/monitoring/node-exporter-web.yml"), '\n') + 1 +
				    strlen("# exporter-toolkit web configuration: TLS with this host's certificate from the deployment\n"
					   "# CA; only a client certificate of that CA made for client use (Prometheus' scrape\n"
					   "# certificate, the operator's) gets an answer.\n"),
			    "tls_server_config:\n  cert_file: /etc/kiln/tls/host.pem\n"
			    "  key_file: /run/credentials/prometheus-node-exporter.service/tls_key\n  min_version: TLS12\n"
			    "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: /etc/kiln/tls/ca.pem\n");
	const char *me = file(&f, "/etc/systemd/system/prometheus-mysqld-exporter.service.d/kiln.conf");
	assert_non_null(strstr(me, "--web.listen-address=10.0.0.10:9104 "));
	assert_non_null(strstr(me, "--config.my-cnf=/run/credentials/prometheus-mysqld-exporter.service/my.cnf\n"));
	assert_non_null(strstr(me, "\nLoadCredential=my.cnf:/etc/kiln/monitoring/mysqld-exporter.cnf\n"));
	assert_non_null(strstr(me, "After=network-online.target mariadb.service\n"));
	assert_non_null(strstr(file(&f, "/etc/systemd/journal-upload.conf.d/kiln.conf"),
			       "\n[Upload]\nURL=https://10.0.0.11:19532\n"
			       "ServerKeyFile=/run/credentials/systemd-journal-upload.service/tls_key\n"
			       "ServerCertificateFile=/etc/kiln/tls/host.pem\nTrustedCertificateFile=/etc/kiln/tls/ca.pem\n"));
	assert_null(rendered_files_find(&f, "/etc/prometheus/prometheus.yml"));
	assert_null(rendered_files_find(&f, "/etc/nginx/conf.d/kiln-status.conf"));
	for (size_t i = 0; i < f.n; i++)
		assert_int_equal(f.v[i].mode & 077, f.v[i].mode & 0600 ? f.v[i].mode & 077 : 0);   /* nothing odd */
	rendered_files_free(&f);

	render(&m, "app1", &f);
	assert_non_null(strstr(file(&f, "/etc/nginx/conf.d/kiln-status.conf"), "listen 127.0.0.1:8081;"));
	assert_null(rendered_files_find(&f, "/etc/systemd/system/prometheus-mysqld-exporter.service.d/kiln.conf"));
	rendered_files_free(&f);

	render(&m, "s3", &f);   /* the monitoring host */
	assert_null(rendered_files_find(&f, "/etc/systemd/journal-upload.conf.d/kiln.conf"));
	const char *jr = file(&f, "/etc/systemd/journal-remote.conf.d/kiln.conf");
	assert_non_null(strstr(jr, "\n[Remote]\nSplitMode=host\nServerKeyFile=/run/credentials/systemd-journal-remote.service/tls_key\n"));
	assert_null(strstr(jr, "\nTrustedCertificateFile"));   /* Debian 12's journal-remote has no --trust */
	const char *pd = file(&f, "/etc/systemd/system/prometheus.service.d/kiln.conf");
	assert_non_null(strstr(pd, "\nLoadCredential=scrape_key:/etc/kiln/secrets/scrape_tls_key\n"
				   "LoadCredential=minio_token:/etc/kiln/monitoring/minio-token\n"));
	assert_non_null(strstr(pd, " --storage.tsdb.retention.time=15d --web.listen-address=10.0.0.11:9090 "
				   "--web.config.file=/etc/kiln/monitoring/prometheus-web.yml "
				   "--web.user-assets=/var/lib/kiln/status-page --web.external-url=https://10.0.0.11:9090/\n"));
	assert_non_null(strstr(file(&f, "/etc/systemd/system/prometheus-alertmanager.service.d/kiln.conf"),
			       "--web.listen-address=127.0.0.1:9093 --cluster.listen-address=\n"));
	const char *py = file(&f, "/etc/prometheus/prometheus.yml");
	assert_non_null(strstr(py, "  - job_name: node\n    scheme: https\n    tls_config:\n      ca_file: /etc/kiln/tls/ca.pem\n"
				   "      cert_file: /etc/kiln/tls/scrape.pem\n"
				   "      key_file: /run/credentials/prometheus.service/scrape_key\n    static_configs:\n"
				   "      - targets: ['10.0.0.10:9100']\n        labels: {host: db1, role: mysql}\n"
				   "      - targets: ['10.0.0.11:9100']\n        labels: {host: s3, role: minio}\n"
				   "      - targets: ['10.0.0.20:9100']\n        labels: {host: app1, role: app}\n"));
	assert_non_null(strstr(py, "  - job_name: mysqld\n"));
	assert_non_null(strstr(py, "  - job_name: minio\n    scheme: http\n    metrics_path: /minio/v2/metrics/cluster\n"
				   "    authorization:\n      type: Bearer\n"
				   "      credentials_file: /run/credentials/prometheus.service/minio_token\n"));
	assert_non_null(strstr(py, "external_labels:\n    deployment: acme\n"));
	const char *rules = file(&f, "/etc/prometheus/kiln-rules.yml");
	assert_non_null(strstr(rules, "alert: AppUnhealthy"));
	assert_non_null(strstr(rules, "alert: MariaDBUnreachable"));
	assert_null(strstr(rules, "alert: Replication"));   /* no replica */
	const char *am = file(&f, "/etc/prometheus/alertmanager.yml");
	assert_non_null(strstr(am, "\nroute:\n  receiver: kiln\n"));
	assert_non_null(strstr(am, "receivers:\n  - name: kiln\n"));
	assert_null(strstr(am, "_configs"));   /* no receivers: alerts stay in Prometheus */
	assert_null(strstr(am, "smtp"));
	rendered_files_free(&f);
	model_free(&m);
}

/* Every monitoring unit's drop-in, on every host, gives the CPU to the
 * host's own work while the system boots (its [Service] section), and the
 * role's units get no such line. */
static void test_startup_cpu(void **state)
{
	(void)state;
	static const char *const hosts[] = { "db1", "s3", "app1" };
	struct model m;
	struct rendered_files f;
	load(HOSTS "monitoring: {host: s3}\n", &m);
	for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
		render(&m, hosts[i], &f);
		size_t dropins = 0;
		for (size_t k = 0; k < f.n; k++) {
			const char *path = f.v[k].path, *svc;
			if (strncmp(path, "/etc/systemd/system/", 20) || !strstr(path, ".service.d/"))
				continue;
			bool mon = strstr(path, "/prometheus") || strstr(path, "/systemd-journal-");
			svc = strstr(f.v[k].data, "\n[Service]\n");
			if (!mon) {
				assert_null(strstr(f.v[k].data, "StartupCPUWeight"));
				continue;
			}
			dropins++;
			assert_non_null(svc);
			/* Prometheus' and journal-remote's starts (the monitoring host)
			 * and journal upload's (the others) are what the boot waits for
			 * last: the least weight short of idle, every other unit idle */
			if (strstr(path, "/prometheus.service.d/") || strstr(path, "/systemd-journal-upload.service.d/") ||
			    strstr(path, "/systemd-journal-remote.service.d/"))
				assert_non_null(strstr(svc, "\nStartupCPUWeight=1\n"));
			else
				assert_non_null(strstr(svc, "\nStartupCPUWeight=idle\n"));
			assert_int_equal(count(svc, "StartupCPUWeight="), 1);
			/* its start waits for the CPU as long as a first boot may take */
			assert_non_null(strstr(svc, "\nTimeoutStartSec=30min\n"));
		}
		/* node exporter, journal upload, and the MySQL exporter (db1) or
		 * Prometheus, Alertmanager and journal-remote (s3) */
		assert_int_equal(dropins, i == 0 ? 3 : i == 1 ? 4 : 2);
		rendered_files_free(&f);
	}
	model_free(&m);
}

static void test_receivers_and_rules(void **state)
{
	(void)state;
	struct model m;
	struct buf b;
	load("kiln: 1\ndeployment: {name: acme, domain: acme.internal}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	     "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
	     "  - {name: db2, role: mysql, subnet: a, address: dhcp, replica_of: db1}\n"
	     "monitoring:\n  host: db2\n  retention_days: 90\n  receivers:\n    - webhook: https://h.example.com/x\n"
	     "    - email: ops@example.com\n    - email: dba@example.com\n"
	     "  smtp: {smarthost: 'mail.example.com:587', from: am@example.com, require_tls: false}\n", &m);
	buf_init(&b);
	const struct host *db2 = model_find_host(&m, "db2");
	assert_int_equal(render_alertmanager(&m, db2, &b), 0);
	assert_non_null(strstr(b.data, "global:\n  smtp_smarthost: 'mail.example.com:587'\n  smtp_from: 'am@example.com'\n"
				       "  smtp_require_tls: false\n"));
	assert_non_null(strstr(b.data, "    webhook_configs:\n      - url: 'https://h.example.com/x'\n        send_resolved: true\n"
				       "    email_configs:\n      - to: 'ops@example.com'\n        send_resolved: true\n"
				       "      - to: 'dba@example.com'\n"));
	buf_free(&b);
	render_prometheus_rules(&m, db2, &b);
	assert_non_null(strstr(b.data, "alert: ReplicationBroken"));
	assert_non_null(strstr(b.data, "alert: ReplicationLagging"));
	assert_non_null(strstr(b.data, "mysql_slave_status_slave_io_running == 0"));
	assert_non_null(strstr(b.data, "mysql_slave_status_seconds_behind_master > 300"));
	assert_non_null(strstr(b.data, "MariaDB on {{ $labels.host }}"));
	assert_null(strstr(b.data, "alert: AppUnhealthy"));
	assert_null(strstr(b.data, "alert: ObjectStoreUnreachable"));
	assert_null(strstr(b.data, "alert: Backup"));   /* no backup: */
	buf_free(&b);
	/* backup: the limits follow the schedule (weekly: 7 d + 2 h; binary
	 * logs every 10 min: 25 min) */
	m.backup.on = true;
	m.backup.full = BACKUP_FULL_WEEKLY;
	m.backup.binlog_minutes = 10;
	buf_init(&b);
	render_prometheus_rules(&m, db2, &b);
	assert_non_null(strstr(b.data, "      - alert: BackupFailed\n        expr: kiln_backup_last_run_success == 0\n"
				       "        for: 0m\n"));
	assert_non_null(strstr(b.data, "      - alert: BackupOverdue\n        expr: time() - kiln_backup_last_run_timestamp_seconds"
				       "{kind=\"full\"} > 612000 or time() - kiln_backup_last_run_timestamp_seconds"
				       "{kind=\"binlogs\"} > 1500\n        for: 5m\n"));
	assert_non_null(strstr(b.data, "(full weekly, binary logs every 10 min)"));
	buf_free(&b);
	m.backup.full = BACKUP_FULL_DAILY;
	buf_init(&b);
	render_prometheus_rules(&m, db2, &b);
	assert_non_null(strstr(b.data, "{kind=\"full\"} > 93600 or"));
	buf_free(&b);
	m.backup.on = false;
	render_prometheus_config(&m, db2, &b);
	assert_non_null(strstr(b.data, "      - targets: ['db2.acme.internal:9104']\n        labels: {host: db2, role: mysql}\n"));
	assert_null(strstr(b.data, "job_name: minio"));
	buf_free(&b);
	/* the journal goes to a DHCP monitoring host by name; it listens on all addresses */
	struct rendered_files f = { 0 };
	assert_int_equal(render_host(&m, model_find_host(&m, "db1"), &f), 0);
	assert_non_null(strstr(file(&f, "/etc/systemd/journal-upload.conf.d/kiln.conf"), "\nURL=https://db2.acme.internal:19532\n"));
	rendered_files_free(&f);
	assert_int_equal(render_host(&m, db2, &f), 0);
	assert_non_null(strstr(file(&f, "/etc/systemd/system/prometheus.service.d/kiln.conf"),
			       "--storage.tsdb.retention.time=90d --web.listen-address=:9090 "));
	assert_null(strstr(file(&f, "/etc/systemd/system/prometheus.service.d/kiln.conf"), "minio_token"));
	rendered_files_free(&f);

	/* second line of defence: a receiver the loader would have refused is not written */
	free(m.monitoring.receivers[0].to);
	m.monitoring.receivers[0].to = xstrdup("https://h.example.com/x'\nroute: {}");
	/* MySQL 8.4 (roles.mysql.engine: mysql): the exporter reports SHOW
	 * REPLICA STATUS's columns; its unit follows mysql.service. */
	m.roles.mysql.engine = MYSQL_ENGINE_MYSQL;
	buf_init(&b);
	render_prometheus_rules(&m, db2, &b);
	assert_non_null(strstr(b.data, "mysql_slave_status_replica_io_running == 0 or mysql_slave_status_replica_sql_running == 0"));
	assert_non_null(strstr(b.data, "mysql_slave_status_seconds_behind_source > 300"));
	assert_null(strstr(b.data, "behind_master"));
	assert_non_null(strstr(b.data, "MySQL on {{ $labels.host }} does not answer its exporter"));
	buf_free(&b);
	assert_int_equal(render_host(&m, model_find_host(&m, "db1"), &f), 0);
	assert_non_null(strstr(file(&f, "/etc/systemd/system/prometheus-mysqld-exporter.service.d/kiln.conf"),
			       "After=network-online.target mysql.service\n"));
	rendered_files_free(&f);
	m.roles.mysql.engine = MYSQL_ENGINE_MARIADB;
	buf_init(&b);
	assert_int_equal(render_alertmanager(&m, db2, &b), -EINVAL);
	assert_int_equal(render_host(&m, db2, &f), -EINVAL);
	rendered_files_free(&f);
	buf_free(&b);
	model_free(&m);
}

/* The derived flows in the rulesets, checked by the kernel's own parser. */
static void test_firewall(void **state)
{
	(void)state;
	struct model m;
	struct rendered_files f;
	load(HOSTS "monitoring: {host: s3}\n", &m);
	const char *const hosts[] = { "db1", "s3", "app1" };
	for (size_t i = 0; i < 3; i++) {
		render(&m, hosts[i], &f);
		const char *nft = file(&f, "/etc/nftables.conf");
		char *out = NULL;
		int rc = oracle("nft --version >/dev/null 2>&1 && unshare -rn true", "nftables.conf", nft,
				"unshare -rn nft -c -f %s", &out);
		if (rc > 0)
			print_error("%s: %s", hosts[i], out);
		assert_true(rc <= 0);
		free(out);
		if (i == 0) {
			assert_non_null(strstr(nft, "\tset tcp_9100_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
						    "\t\telements = { 10.0.0.11 }\n\t}\n"));
			assert_non_null(strstr(nft, "\tset tcp_9104_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
						    "\t\telements = { 10.0.0.11 }\n\t}\n"));
			assert_null(strstr(nft, "19532"));
		} else if (i == 1) {
			assert_non_null(strstr(nft, "\tset tcp_19532_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
						    "\t\telements = { 10.0.0.10, 10.0.0.20 }\n\t}\n"));
			assert_non_null(strstr(nft, "\tset tcp_9090_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
						    "\t\telements = { 10.9.0.0/24 }\n\t}\n"));
			assert_null(strstr(nft, "tcp_9100_from"));   /* its own scrape goes over loopback */
		} else {
			assert_non_null(strstr(nft, "tcp dport 9100 ip saddr @tcp_9100_from counter name \"tcp_9100_accept\" accept"));
			assert_null(strstr(nft, "9104"));
		}
		rendered_files_free(&f);
	}
	model_free(&m);
}

/* lb hosts: Prometheus scrapes HAProxy's own exporter (role_lb.c's metrics
 * frontend) with its client certificate, the rules watch HAProxy and the app
 * hosts as it sees them, and only the monitoring host may reach the port. */
static void test_lb(void **state)
{
	(void)state;
	struct model m;
	struct rendered_files f;
	load("kiln: 1\ndeployment: {name: acme, domain: acme.internal}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	     "  - {name: adm, cidr: 10.9.0.0/24}\nhosts:\n  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
	     "  - {name: app2, role: app, subnet: a, address: 10.0.0.21}\n"
	     "  - {name: lb1, role: lb, subnet: a, address: 10.0.0.5}\n  - {name: lb2, role: lb, subnet: a, address: 10.0.0.6}\n"
	     "roles: {app: {service: {exec: /bin/true}}, lb: {virtual_address: 10.0.0.9}}\nssh: {allow_from: [adm]}\n"
	     "monitoring: {host: app2}\n", &m);
	render(&m, "app2", &f);
	const char *py = file(&f, "/etc/prometheus/prometheus.yml");
	assert_non_null(strstr(py, "  - job_name: haproxy\n    scheme: https\n    tls_config:\n      ca_file: /etc/kiln/tls/ca.pem\n"
				   "      cert_file: /etc/kiln/tls/scrape.pem\n"
				   "      key_file: /run/credentials/prometheus.service/scrape_key\n    static_configs:\n"
				   "      - targets: ['10.0.0.5:8405']\n        labels: {host: lb1, role: lb}\n"
				   "      - targets: ['10.0.0.6:8405']\n        labels: {host: lb2, role: lb}\n"));
	assert_null(strstr(py, "10.0.0.9"));   /* each lb host, not the virtual address */
	const char *rules = file(&f, "/etc/prometheus/kiln-rules.yml");
	assert_non_null(strstr(rules, "      - alert: LoadBalancerDown\n        expr: up{job=\"haproxy\"} == 0 and on(host) "
				      "kiln_firstboot_ready == 1\n        for: 1m\n        labels:\n          severity: critical\n"));
	assert_non_null(strstr(rules, "      - alert: LoadBalancerBackendDown\n        expr: haproxy_server_status{proxy=\"app\","
				      "state=\"DOWN\"} == 1 and on(host) kiln_firstboot_ready == 1\n        for: 1m\n"
				      "        labels:\n          severity: warning\n"));
	assert_non_null(strstr(rules, "{{ $labels.server }}"));
	assert_non_null(strstr(rules, "      - alert: LoadBalancerNoBackend\n        expr: haproxy_backend_active_servers{proxy=\"app\"}"
				      " == 0 and on(host) kiln_firstboot_ready == 1\n"));
	const char *mon_nft = file(&f, "/etc/nftables.conf");
	assert_null(strstr(mon_nft, "8405"));   /* the monitoring host serves no HAProxy metrics */
	rendered_files_free(&f);
	/* the lb hosts: 8405 only from the monitoring host, in a ruleset nft accepts */
	render(&m, "lb1", &f);
	const char *nft = file(&f, "/etc/nftables.conf");
	assert_non_null(strstr(nft, "\tset tcp_8405_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
				    "\t\telements = { 10.0.0.21 }\n\t}\n"));
	assert_non_null(strstr(nft, "tcp dport 8405 ip saddr @tcp_8405_from counter name \"tcp_8405_accept\" accept"));
	char *out = NULL;
	int rc = oracle("nft --version >/dev/null 2>&1 && unshare -rn true", "nftables.conf", nft, "unshare -rn nft -c -f %s", &out);
	if (rc > 0)
		print_error("lb1: %s", out);
	assert_true(rc <= 0);
	free(out);
	rendered_files_free(&f);
	render(&m, "app1", &f);
	assert_null(strstr(file(&f, "/etc/nftables.conf"), "8405"));
	rendered_files_free(&f);
	model_free(&m);
	/* no lb host: no haproxy job, no HAProxy rules */
	load(HOSTS "monitoring: {host: s3}\n", &m);
	render(&m, "s3", &f);
	assert_null(strstr(file(&f, "/etc/prometheus/prometheus.yml"), "haproxy"));
	assert_null(strstr(file(&f, "/etc/prometheus/kiln-rules.yml"), "LoadBalancer"));
	rendered_files_free(&f);
	model_free(&m);
}

static void test_off(void **state)
{
	(void)state;
	struct model m;
	struct rendered_files f;
	load(HOSTS, &m);
	render(&m, "s3", &f);
	for (size_t i = 0; i < f.n; i++)
		assert_true(!strstr(f.v[i].path, "prometheus") && !strstr(f.v[i].path, "journal") &&
			    !strstr(f.v[i].path, "/etc/kiln/monitoring"));
	assert_null(strstr(file(&f, "/etc/nftables.conf"), "9100"));
	rendered_files_free(&f);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_per_host),
		cmocka_unit_test(test_startup_cpu),
		cmocka_unit_test(test_receivers_and_rules),
		cmocka_unit_test(test_firewall),
		cmocka_unit_test(test_lb),
		cmocka_unit_test(test_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
