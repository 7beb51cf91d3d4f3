/* What a profile's `monitoring:` section implies (docs/monitoring.md): the
 * monitoring host (an existing host given the job), the ports and paths the
 * exporters, Prometheus and the central journal use, the Debian packages
 * each role's image gains, and the firewall flows the renderer derives.
 * Both kiln (render, secrets, seeds, images) and kiln-firstboot (the
 * "monitoring" step and `kiln-firstboot metrics`) read these facts here. */
#ifndef KILN_MONITORING_H
#define KILN_MONITORING_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/appliance.h"
#include "profiles/model.h"

/* Ports. The exporters, Prometheus and journal-remote serve TLS with the
 * host's certificate from the deployment CA (HAProxy's metrics frontend
 * too: role_lb.c); Alertmanager listens on loopback only; MinIO's metrics
 * come from its own S3 port. */
#define MON_PORT_NODE         9100    /* prometheus-node-exporter, every host */
#define MON_PORT_MYSQLD       9104    /* prometheus-mysqld-exporter, mysql hosts */
#define MON_PORT_HAPROXY      8405    /* HAProxy's own Prometheus exporter (PROMEX), lb hosts */
#define MON_PORT_MINIO        9000    /* MinIO's /minio/v2/metrics/cluster */
#define MON_PORT_JOURNAL      19532   /* systemd-journal-remote, the monitoring host */
#define MON_PORT_PROMETHEUS   9090    /* Prometheus' API, UI and the status page */
#define MON_PORT_ALERTMANAGER 9093    /* 127.0.0.1 of the monitoring host */

#define MON_RETENTION_DAYS_DEFAULT 15
#define MON_MINIO_METRICS_PATH "/minio/v2/metrics/cluster"
#define MON_MINIO_POLICY      "kiln-metrics"   /* the canned policy of the metrics user */

/* Files on the hosts. The seed's public files land in KILN_ETC/tls/NAME and
 * its secrets in KILN_SECRETS_DIR/NAME (step "secrets"). */
#define MON_ETC               KILN_ETC "/monitoring"
#define MON_TLS_DIR           KILN_ETC "/tls"
#define MON_CA_FILE           "ca.pem"            /* the deployment CA */
#define MON_HOST_CERT         "host.pem"          /* seed file: this host's certificate */
#define MON_HOST_KEY          "host_tls_key"      /* seed secret: its key */
#define MON_SCRAPE_CERT       "scrape.pem"        /* seed file (monitoring host): Prometheus' client certificate */
#define MON_SCRAPE_KEY        "scrape_tls_key"    /* seed secret: its key */
#define MON_TEXTFILE_DIR      "/var/lib/prometheus/node-exporter"   /* node-exporter's textfile collector */
#define MON_TEXTFILE          MON_TEXTFILE_DIR "/kiln.prom"
#define MON_METRICS_CONF      MON_ETC "/metrics.conf"   /* what `kiln-firstboot metrics` collects here */
#define MON_MYSQLD_CNF        MON_ETC "/mysqld-exporter.cnf"
#define MON_MINIO_TOKEN       MON_ETC "/minio-token"
#define MON_STATUS_DIR        KILN_STATE_DIR "/status-page"   /* Prometheus serves it under /user/ */
#define MON_NGINX_STATUS_PORT 8081            /* app hosts: nginx stub_status on 127.0.0.1 */
#define MON_EXPORTER_USER     "kiln_exporter" /* the mysqld exporter's MariaDB account */

bool monitoring_on(const struct model *m);
/* The monitoring host, or NULL when the profile has none. */
const struct host *monitoring_host(const struct model *m);
bool monitoring_is_host(const struct model *m, const struct host *h);
/* Where peers reach h: its address, or NAME.DOMAIN for a DHCP host (DNS
 * must know it). buf of at least 320 bytes. */
const char *monitoring_peer_addr(const struct model *m, const struct host *h, char *buf, size_t len);

/* The Debian packages the images of role r gain (none without monitoring):
 * every role prometheus-node-exporter and systemd-journal-remote (its
 * systemd-journal-upload), mysql prometheus-mysqld-exporter, the role of
 * the monitoring host prometheus and prometheus-alertmanager. Up to max
 * names into out (static strings); returns how many. */
#define MON_PACKAGES_MAX 6
size_t monitoring_packages(const struct model *m, enum role r, const char **out, size_t max);
/* The services of those packages that the image keeps disabled (their
 * postinst enables them): the agent's "monitoring" step enables them once
 * their configuration and keys are in place. */
size_t monitoring_disabled_units(const struct model *m, enum role r, const char **out, size_t max);

/* A port monitoring uses on host h (so no flow of the profile may open it
 * there), with what uses it; NULL when it is free. */
const char *monitoring_port_owner(const struct model *m, const struct host *h, unsigned port);

/* The flows monitoring needs, derived from the profile into
 * m->monitoring.flows (replacing any): the monitoring host to every
 * other host's node exporter, to each mysql host's exporter, each minio
 * host's metrics and each lb host's HAProxy metrics; every other host to journal-remote; allow_from to
 * Prometheus. Called by the loader once hosts, ssh and flows are known. */
void monitoring_derive_flows(struct model *m);
void monitoring_settings_free(struct monitoring_settings *s);
#endif
