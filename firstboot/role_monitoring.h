/* What the "monitoring" step writes besides the rendered files
 * (profiles/render_monitoring.c), each a pure function so tests check the
 * exact text: the MySQL exporter's account (SQL, fed to the server on stdin)
 * and its client option file (0600, a secret inside), the canned policies
 * of MinIO's metrics and archive users, and kiln-metrics' systemd units. */
#ifndef KILN_FB_ROLE_MONITORING_H
#define KILN_FB_ROLE_MONITORING_H
#include "lib/buf.h"
#include "profiles/model.h"

#define MON_ARCHIVE_POLICY "kiln-archive"   /* the canned policy of the archive writer */

/* Least privilege for mysqld-exporter's default collectors: PROCESS (InnoDB
 * and process list) and the right to see replication status (MariaDB's SLAVE
 * MONITOR, MySQL's REPLICATION CLIENT), over the local socket only, at most
 * 3 connections. Idempotent; a new password replaces the old one. -EINVAL
 * for a password that is not a generated one. */
int monitoring_exporter_sql(enum mysql_engine engine, const char *password, struct buf *out);
/* [client] user, password and socket for --config.my-cnf. */
int monitoring_exporter_cnf(const char *password, struct buf *out);
/* admin:Prometheus and nothing else. */
void monitoring_metrics_policy(struct buf *out);
/* s3:PutObject into the archive bucket, nothing else. */
void monitoring_archive_policy(const char *bucket, struct buf *out);
/* kiln-metrics.service and kiln-metrics.timer (every 30 s). */
void monitoring_metrics_service(struct buf *out);
void monitoring_metrics_timer(struct buf *out);
/* kiln-archive-drops.service and .timer (nightly, catching up after downtime). */
void monitoring_archive_service(struct buf *out);
void monitoring_archive_timer(struct buf *out);
#endif
