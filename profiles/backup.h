/* backup: (docs/backup.md): which hosts take backups, where they go, and
 * what the section implies (flows to the object store, the backup writer's
 * secrets, the agent's timers). The section itself is parsed in
 * profiles/section_backup.c into struct backup_settings (model.h). */
#ifndef KILN_PROFILES_BACKUP_H
#define KILN_PROFILES_BACKUP_H
#include "lib/buf.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <stddef.h>

#define BACKUP_BINLOG_MINUTES_DEFAULT 5
#define BACKUP_KEEP_DAYS_DEFAULT      7
#define BACKUP_S3_PORT                9000     /* MinIO's S3 port, as the minio role configures it */
#define BACKUP_WRITER_POLICY          "kiln-backup"   /* the backup writer's canned policy on MinIO */

/* "daily", "hourly", "weekly" */
const char *backup_full_name_of(enum backup_full_every e);
/* Backups on and h a MySQL primary (replicas take none: same data). */
bool backup_on_host(const struct model *m, const struct host *h);
#define BACKUP_S3_REGION_DEFAULT      "us-east-1"
/* The MinIO host the backups go to (the first of the profile's), or NULL;
 * NULL too with backup.s3 (the backups go to that endpoint). */
const struct host *backup_store_host(const struct model *m);
/* backup.s3: http(s)://HOST[:PORT], nothing else (no path, user info, query). */
bool backup_endpoint_valid(const char *url);
/* An S3 region name: 1-32 of [a-z0-9-]. */
bool backup_region_valid(const char *region);
/* The derived flows: each MySQL primary to every MinIO host's S3 port (none
 * with backup.s3: the route to an external endpoint is the operator's). */
void backup_derive_flows(struct model *m);
void backup_settings_free(struct backup_settings *s);
/* Packages a role's image gains with backup: (mysql: mariadb-backup, which
 * Debian ships apart from the server). Returns how many went into out. */
#define BACKUP_PACKAGES_MAX 2
size_t backup_packages(const struct model *m, enum role r, const char **out, size_t max);

/* systemd OnCalendar= of the full backups, and the binary-log interval. */
const char *backup_full_calendar(enum backup_full_every e);
/* kiln-backup-full/-binlogs .service and .timer (firstboot writes them). */
void backup_full_service(struct buf *out);
void backup_full_timer(const struct model *m, struct buf *out);
void backup_binlogs_service(struct buf *out);
void backup_binlogs_timer(const struct model *m, struct buf *out);
/* The backup writer's policy: s3:PutObject and s3:AbortMultipartUpload on
 * the backup bucket's objects, nothing else (no read, list or delete). */
void backup_writer_policy(const char *bucket, struct buf *out);
/* The backup reader's (restore at first boot): s3:ListBucket on the bucket,
 * s3:GetObject on its objects, nothing else (no put, no delete). */
#define BACKUP_READER_POLICY "kiln-backup-reader"
void backup_reader_policy(const char *bucket, struct buf *out);
#endif
