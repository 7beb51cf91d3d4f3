/* `kiln-firstboot metrics`: what this host tells Prometheus beyond the node
 * exporter's own metrics, as a node-exporter textfile (MON_TEXTFILE),
 * rewritten every 30 s by kiln-metrics.timer (docs/monitoring.md):
 *   kiln_firstboot_step_state{step,state}, kiln_firstboot_ready,
 *   kiln_firstboot_seed_serial           from status.json
 *   kiln_tls_cert_not_after_timestamp_seconds{file}
 *                                        each certificate in /etc/kiln/tls
 *   kiln_nft_input_drop_{packets,bytes}_total
 *                                        the firewall's input_drop counter
 *   kiln_service_active{unit}            the host's role and monitoring units
 *   kiln_app_health_up, kiln_nginx_*     app hosts: the app's health URL, nginx
 *   kiln_backup_last_run_timestamp_seconds{kind},
 *   kiln_backup_last_run_success{kind}   MySQL primaries with backup: (backup.json)
 *   kiln_mysql_replica_up,
 *   kiln_mysql_replica_seconds_behind_master
 *                                        MySQL replicas: replication running, lag
 *   kiln_metrics_timestamp_seconds       when this file was written
 * No label holds anything but names kiln chose (steps, states, units, file
 * names): no reason text, no value from a seed. What to collect on this host
 * is MON_METRICS_CONF, written by the "monitoring" step from the profile. */
#ifndef KILN_FB_METRICS_H
#define KILN_FB_METRICS_H
#include <stdbool.h>
#include <stdint.h>
#include "firstboot/mysql_replica.h"
#include "firstboot/status.h"
#include "lib/buf.h"
#include "profiles/model.h"

/* MON_METRICS_CONF: "key=value" lines, '#' comments. Keys: deployment,
 * unit (repeated), app_health and nginx_status (http://127.0.0.1 URLs),
 * status_page (the local Prometheus, https://ADDR:PORT: the monitoring host
 * builds the status page), archive_bucket and archive_endpoint (http://:
 * the monitoring host archives denied traffic, firstboot/archive_drops.h). */
#define METRICS_MAX_UNITS 16
struct metrics_conf {
	char *deployment;
	char *units[METRICS_MAX_UNITS]; size_t n_units;
	char *app_health, *nginx_status, *status_page;
	char *archive_bucket, *archive_endpoint;
};
/* The conf for host h of m, as the step writes it. */
void metrics_conf_render(const struct model *m, const struct host *h, struct buf *out);
/* 0, or -EBADMSG with *why (static text) for anything but the format above. */
int metrics_conf_parse(const char *text, size_t len, struct metrics_conf *out, const char **why);
void metrics_conf_free(struct metrics_conf *c);
/* MON_METRICS_CONF below root, read and parsed; logs why not. */
int metrics_conf_load(const char *root, struct metrics_conf *out);

struct metrics_cert {
	char *file;                /* basename under /etc/kiln/tls */
	int64_t not_after;
};
struct metrics {
	int64_t now;
	const struct status *status;          /* NULL: no status file */
	const struct status *backups;         /* KILN_BACKUP_STATUS_NAME's runs, or NULL */
	struct metrics_cert *certs; size_t n_certs;
	bool have_drops;
	uint64_t drop_packets, drop_bytes;
	const struct metrics_conf *conf;
	bool unit_active[METRICS_MAX_UNITS];  /* per conf->units */
	bool have_app, app_up;
	bool have_nginx, nginx_up;
	uint64_t nginx_active, nginx_requests;
	bool have_replica, replica_read;      /* a replica (KILN_REPLICA_CONF_NAME); its state was read */
	struct mysql_replica_status replica;
};
/* The textfile (Prometheus text exposition format 0.0.4). */
void metrics_render(const struct metrics *in, struct buf *out);

/* Parsers of what the collectors read, each 0 or -EBADMSG:
 * `nft list counter inet filter input_drop` ("packets N bytes M"),
 * nginx's stub_status page (the units' states: unit_show_parse). */
int metrics_parse_nft_counter(const char *text, uint64_t *packets, uint64_t *bytes);
int metrics_parse_stub_status(const char *text, uint64_t *active, uint64_t *requests);

/* The whole run below root ("/" on the host): collect, write MON_TEXTFILE
 * atomically, and, where the conf says so, the status page. Logs its
 * errors; 0 or -errno. */
int metrics_run(const char *root);
#endif
