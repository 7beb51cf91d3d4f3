/* The monitoring files of one host (docs/monitoring.md), rendered with the
 * rest of its system files: the exporters' TLS web configurations and
 * systemd drop-ins, journal upload (every host but the monitoring host) or
 * journal-remote (the monitoring host), nginx's local status page on app
 * hosts, and on the monitoring host Prometheus, its rules and Alertmanager
 * (render_prometheus.c). Keys reach the services as systemd credentials
 * (LoadCredential=), so no key is ever copied or made readable to a
 * service's user; the files here hold no secret. The services stay
 * disabled in the image until the agent's "monitoring" step enables them. */
#include "profiles/monitoring.h"
#include "profiles/mysql_engine.h"
#include "profiles/render.h"
#include "profiles/render_internal.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

#define CRED_DIR "/run/credentials/"

void render_monitoring_web_config(const char *unit, bool client_auth, struct buf *b)
{
	buf_printf(b, "tls_server_config:\n"
		      "  cert_file: " MON_TLS_DIR "/" MON_HOST_CERT "\n"
		      "  key_file: " CRED_DIR "%s/tls_key\n"
		      "  min_version: TLS12\n", unit);
	if (client_auth)
		buf_puts(b, "  client_auth_type: RequireAndVerifyClientCert\n"
			    "  client_ca_file: " MON_TLS_DIR "/" MON_CA_FILE "\n");
}

static void web_config(const struct model *m, const struct host *h, const char *name, const char *unit,
		       struct rendered_files *out)
{
	struct buf b;
	buf_init(&b);
	render_banner(m, h, &b, "#");
	buf_puts(&b, "# exporter-toolkit web configuration: TLS with this host's certificate from the deployment\n"
		     "# CA; only a client certificate of that CA made for client use (Prometheus' scrape\n"
		     "# certificate, the operator's) gets an answer.\n");
	render_monitoring_web_config(unit, true, &b);
	char *path = xasprintf(MON_ETC "/%s-web.yml", name);
	rendered_files_add(out, path, 0644, &b);
	free(path);
}

/* While the system boots, a monitoring unit runs only when nothing else
 * wants the CPU (cgroup v2's cpu.idle): a host's first boot is its role's
 * work (MariaDB's datadir, MinIO's users, the app's join), and on a small
 * host the Go agents' start-up would otherwise take a share of it. Once
 * booted the units have the default weight, so a busy host still answers
 * its scrapes. A unit that loads credentials is Type=exec (systemd implies
 * it): its start lasts until systemd's child has set up the sandbox and
 * exec'd the daemon, and under the idle weight that child runs only once
 * the role leaves the CPU free, which on an app host importing a large
 * container is minutes. So the start may take as long as the first boot
 * may (kiln-firstboot.service's TimeoutStartSec), not systemd's default 90 s,
 * after which it would kill the unit and restart it (as it did). The agent
 * checks the units at the end of its run. */
#define MON_STARTUP_CPU "StartupCPUWeight=idle\nTimeoutStartSec=30min\n"
/* The units whose starts the boot waits for last take the least weight
 * short of idle (1 of 10000): Prometheus and journal-remote on the
 * monitoring host (its socket starts it when the first host uploads, while
 * the role runs), journal upload on the others. Their units are sandboxed
 * (user, mount and device namespaces, seccomp filters; systemd's own for
 * the journal's), and systemd's child sets that up before the exec; at the
 * idle weight that set-up shared what the role left with the other units'
 * start-up (the exporters' and Alertmanager's Go runtimes), and they were
 * exec'd last, 2-4 s after the role (bench/RESULTS.md); journal-remote's
 * start went on 2-4 s after the agent was done, and the boot with it. With
 * weight 1 the role still has the CPU (100 to 1 while it wants it) and,
 * after it or while it waits for the disk, their set-up comes before the
 * idle units. */
#define MON_STARTUP_CPU_FIRST "StartupCPUWeight=1\nTimeoutStartSec=30min\n"

/* [Unit] lines every drop-in shares: start once the network is up, and
 * keep retrying (a peer or the address may come later) instead of giving up
 * after systemd's default five starts. */
static void dropin_head_cpu(const struct model *m, const struct host *h, struct buf *b, const char *after,
			    const char *startup_cpu)
{
	render_banner(m, h, b, "#");
	buf_printf(b, "[Unit]\nWants=network-online.target\nAfter=network-online.target%s%s\nStartLimitIntervalSec=0\n\n"
		      "[Service]\nRestartSec=5\n%s", after ? " " : "", after ? after : "", startup_cpu);
}

static void dropin_head(const struct model *m, const struct host *h, struct buf *b, const char *after)
{
	dropin_head_cpu(m, h, b, after, MON_STARTUP_CPU);
}

/* The Go exporters (agents on every host, issue 12's 64 MiB per host):
 * their heap collected at half the growth Go's default lets it reach.
 * Measured with Debian's node exporter scraped over and over: about 2 MiB
 * less resident (20.2 -> 18.1 MiB), for garbage collections an exporter
 * scraped every 15 s does not notice. */
#define GO_AGENT_ENV "Environment=GOGC=50\n"

static void add_dropin(struct rendered_files *out, const char *unit, struct buf *b)
{
	char *path = xasprintf("/etc/systemd/system/%s.d/kiln.conf", unit);
	rendered_files_add(out, path, 0644, b);
	free(path);
}

static void listen_addr(const struct host *h, unsigned port, struct buf *b)
{
	char a[16];
	if (h->dhcp)
		buf_printf(b, ":%u", port);       /* the address is the DHCP server's choice */
	else
		buf_printf(b, "%s:%u", ipv4_fmt(h->address, a), port);
}

static void node_exporter(const struct model *m, const struct host *h, struct rendered_files *out)
{
	static const char unit[] = "prometheus-node-exporter.service";
	struct buf b;
	buf_init(&b);
	web_config(m, h, "node-exporter", unit, out);
	dropin_head(m, h, &b, NULL);
	buf_puts(&b, GO_AGENT_ENV "LoadCredential=tls_key:" KILN_SECRETS_DIR "/" MON_HOST_KEY "\n"
		     "ExecStart=\nExecStart=/usr/bin/prometheus-node-exporter --web.listen-address=");
	listen_addr(h, MON_PORT_NODE, &b);
	/* No systemd collector: it needs D-Bus, which the images do not carry;
	 * kiln-firstboot metrics reports the units that matter. */
	buf_puts(&b, " --web.config.file=" MON_ETC "/node-exporter-web.yml --no-collector.systemd"
		     " --collector.textfile.directory=" MON_TEXTFILE_DIR "\n");
	add_dropin(out, unit, &b);
}

static void mysqld_exporter(const struct model *m, const struct host *h, struct rendered_files *out)
{
	static const char unit[] = "prometheus-mysqld-exporter.service";
	struct buf b;
	buf_init(&b);
	web_config(m, h, "mysqld-exporter", unit, out);
	dropin_head(m, h, &b, mysql_engine_of(m->roles.mysql.engine)->service);
	buf_printf(&b, GO_AGENT_ENV "LoadCredential=tls_key:" KILN_SECRETS_DIR "/" MON_HOST_KEY "\n"
		       "LoadCredential=my.cnf:" MON_MYSQLD_CNF "\n"
		       "ExecStart=\nExecStart=/usr/bin/prometheus-mysqld-exporter --web.listen-address=");
	listen_addr(h, MON_PORT_MYSQLD, &b);
	buf_printf(&b, " --web.config.file=" MON_ETC "/mysqld-exporter-web.yml --config.my-cnf=" CRED_DIR "%s/my.cnf\n",
		   unit);
	add_dropin(out, unit, &b);
}

/* Every host but the monitoring host sends its journal there. */
static void journal_upload(const struct model *m, const struct host *h, struct rendered_files *out)
{
	static const char unit[] = "systemd-journal-upload.service";
	const struct host *mon = monitoring_host(m);
	char peer[320];
	struct buf b;
	buf_init(&b);
	render_banner(m, h, &b, "#");
	buf_printf(&b, "# This host's journal, kernel messages (and so the firewall's kiln-drop log) included,\n"
		       "# goes to %s over HTTPS; both ends prove themselves with certificates of the deployment CA.\n"
		       "[Upload]\nURL=https://%s:%u\n"
		       "ServerKeyFile=" CRED_DIR "%s/tls_key\n"
		       "ServerCertificateFile=" MON_TLS_DIR "/" MON_HOST_CERT "\n"
		       "TrustedCertificateFile=" MON_TLS_DIR "/" MON_CA_FILE "\n", mon->name,
		   monitoring_peer_addr(m, mon, peer, sizeof peer), MON_PORT_JOURNAL, unit);
	rendered_files_add(out, "/etc/systemd/journal-upload.conf.d/kiln.conf", 0644, &b);
	dropin_head_cpu(m, h, &b, NULL, MON_STARTUP_CPU_FIRST);
	buf_puts(&b, "Restart=always\nLoadCredential=tls_key:" KILN_SECRETS_DIR "/" MON_HOST_KEY "\n");
	add_dropin(out, unit, &b);
}

static void journal_remote(const struct model *m, const struct host *h, struct rendered_files *out)
{
	static const char unit[] = "systemd-journal-remote.service";
	struct buf b;
	buf_init(&b);
	render_banner(m, h, &b, "#");
	buf_printf(&b, "# The deployment's central journal: one file set per uploading host under\n"
		       "# /var/log/journal/remote/. Debian 12's journal-remote cannot check client certificates\n"
		       "# (no TrustedCertificateFile=): the firewall lets only the deployment's hosts upload\n"
		       "# (docs/monitoring.md).\n"
		       "[Remote]\nSplitMode=host\n"
		       "ServerKeyFile=" CRED_DIR "%s/tls_key\n"
		       "ServerCertificateFile=" MON_TLS_DIR "/" MON_HOST_CERT "\n", unit);
	rendered_files_add(out, "/etc/systemd/journal-remote.conf.d/kiln.conf", 0644, &b);
	render_banner(m, h, &b, "#");
	buf_puts(&b, "[Service]\n" MON_STARTUP_CPU_FIRST "LoadCredential=tls_key:" KILN_SECRETS_DIR "/" MON_HOST_KEY "\n");
	add_dropin(out, unit, &b);
}

static void prometheus_units(const struct model *m, const struct host *h, struct rendered_files *out)
{
	static const char unit[] = "prometheus.service";
	struct buf b;
	buf_init(&b);
	render_banner(m, h, &b, "#");
	buf_puts(&b, "# Prometheus' API, UI and the status page (/user/): TLS, and a client certificate of the\n"
		     "# deployment CA made for client use (the operator's, from kiln secrets init).\n");
	render_monitoring_web_config(unit, true, &b);
	rendered_files_add(out, MON_ETC "/prometheus-web.yml", 0644, &b);

	dropin_head_cpu(m, h, &b, NULL, MON_STARTUP_CPU_FIRST);
	buf_puts(&b, "LoadCredential=tls_key:" KILN_SECRETS_DIR "/" MON_HOST_KEY "\n"
		     "LoadCredential=scrape_key:" KILN_SECRETS_DIR "/" MON_SCRAPE_KEY "\n");
	if (model_has_role(m, ROLE_MINIO))
		buf_puts(&b, "LoadCredential=minio_token:" MON_MINIO_TOKEN "\n");
	char peer[320];
	buf_printf(&b, "ExecStart=\nExecStart=/usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml"
		       " --storage.tsdb.path=/var/lib/prometheus/metrics2/ --storage.tsdb.retention.time=%ud"
		       " --web.listen-address=", m->monitoring.retention_days);
	listen_addr(h, MON_PORT_PROMETHEUS, &b);
	buf_printf(&b, " --web.config.file=" MON_ETC "/prometheus-web.yml --web.user-assets=" MON_STATUS_DIR
		       " --web.external-url=https://%s:%u/\n", monitoring_peer_addr(m, h, peer, sizeof peer),
		   MON_PORT_PROMETHEUS);
	add_dropin(out, unit, &b);

	dropin_head(m, h, &b, NULL);
	buf_printf(&b, "ExecStart=\nExecStart=/usr/bin/prometheus-alertmanager --config.file=/etc/prometheus/alertmanager.yml"
		       " --storage.path=/var/lib/prometheus/alertmanager/ --web.listen-address=127.0.0.1:%u"
		       " --cluster.listen-address=\n", MON_PORT_ALERTMANAGER);
	add_dropin(out, "prometheus-alertmanager.service", &b);
}

/* nginx's counters for `kiln-firstboot metrics`, on loopback only. */
static void nginx_status(const struct model *m, const struct host *h, struct rendered_files *out)
{
	struct buf b;
	buf_init(&b);
	render_banner(m, h, &b, "#");
	buf_printf(&b, "# nginx's counters for kiln-firstboot metrics (docs/monitoring.md), on loopback only.\n"
		       "server {\n\tlisten 127.0.0.1:%u;\n\taccess_log off;\n"
		       "\tlocation = /nginx_status {\n\t\tstub_status;\n\t}\n"
		       "\tlocation / {\n\t\treturn 404;\n\t}\n}\n", MON_NGINX_STATUS_PORT);
	rendered_files_add(out, "/etc/nginx/conf.d/kiln-status.conf", 0644, &b);
}

int render_monitoring(const struct model *m, const struct host *h, struct rendered_files *out)
{
	if (!monitoring_on(m))
		return 0;
	node_exporter(m, h, out);
	if (h->role == ROLE_MYSQL)
		mysqld_exporter(m, h, out);
	if (h->role == ROLE_APP)
		nginx_status(m, h, out);
	if (!monitoring_is_host(m, h)) {
		journal_upload(m, h, out);
		return 0;
	}
	journal_remote(m, h, out);
	prometheus_units(m, h, out);
	return render_prometheus(m, h, out);
}
