/* `kiln-firstboot backup full|binlogs` (docs/backup.md): a MySQL host's
 * backups, sealed on the host to the operator's backup public key
 * (KILN_BACKUP_PUB, lib/backup_object.h) and streamed to the object store
 * (firstboot/s3.h's upload) without touching the disk or holding more than
 * a part in memory:
 *   full     `mariadb-backup --backup --stream=xbstream` (no shell), one
 *            object HOST/full/STAMP.kbk of kind "mariadb-full"
 *   binlogs  FLUSH BINARY LOGS, then every closed binary log not shipped yet,
 *            each one object HOST/binlog/STAMP-FILE.kbk of kind "binlog";
 *            KILN_BACKUP_BINLOG_STATE remembers the last one shipped, updated
 *            after each upload, so each is shipped once
 * Each run's end — time, size, object, or the reason it failed — is written
 * to KILN_BACKUP_STATUS_NAME (steps "backup-full", "backup-binlogs"), which
 * `kiln-firstboot status` prints; a failed run also exits non-zero. The
 * database is only read: a failed backup leaves it serving. */
#ifndef KILN_FB_BACKUP_H
#define KILN_FB_BACKUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"
#include "profiles/model.h"

/* KILN_BACKUP_CONF: "key=value" lines, '#' comments.
 *   host           the object names' first segment (the host's name)
 *   endpoint       http(s)://HOST[:PORT] of the object store
 *   bucket         the backup bucket
 *   store          optional: minio (the deployment's MinIO, the default) or s3
 *                  (backup.s3's external endpoint): which keys the host uses
 *   region         optional: the endpoint's region for signing (default us-east-1)
 *   keep_days      retention the profile asks for (recorded; pruning is not done yet)
 *   socket         MariaDB's socket (default /run/mysqld/mysqld.sock)
 *   defaults_file  optional: --defaults-file for mariadb-backup and the client (tests)
 *   restore        optional (backup.restore): latest or YYYY-MM-DDTHH:MM:SSZ
 *   datadir        MariaDB's data directory (default /var/lib/mysql)
 *   zstd_level     optional: 0 seals the streams uncompressed (format version
 *                  1), 1..19 compresses them with zstd first (version 2);
 *                  default BACKUP_ZSTD_LEVEL_DEFAULT
 *   zstd_workers   optional: zstd's threads, 0..8 (0: in the agent's own
 *                  thread); default BACKUP_ZSTD_WORKERS_DEFAULT
 * Credentials are the secrets minio_backup_access_key/_secret_key (store
 * s3: backup_s3_access_key/_secret_key); a restore reads with
 * minio_backup_reader_access_key/_secret_key (backup_s3_reader_...) and
 * opens the objects with the secret backup_key. */
struct backup_conf {
	char *host, *endpoint, *bucket, *socket, *defaults_file, *datadir, *region;
	bool external;                 /* store=s3 */
	unsigned keep_days;
	int zstd_level;
	unsigned zstd_workers;
	bool restore;
	int64_t restore_to;
};
#define BACKUP_SOCKET_DEFAULT "/run/mysqld/mysqld.sock"
#define BACKUP_DATADIR_DEFAULT "/var/lib/mysql"
#define BACKUP_ZSTD_LEVEL_DEFAULT 3
#define BACKUP_ZSTD_WORKERS_DEFAULT 1
/* The conf for MySQL host h of m (backups on), as the "backup" step writes it. */
void backup_conf_render(const struct model *m, const struct host *h, struct buf *out);
/* 0, or -EBADMSG with *why (static text) for anything but the format above. */
int backup_conf_parse(const char *text, size_t len, struct backup_conf *out, const char **why);
void backup_conf_free(struct backup_conf *c);

/* Object names: HOST/full/YYYYMMDDTHHMMSSZ.kbk and
 * HOST/binlog/YYYYMMDDTHHMMSSZ-FILE.kbk (UTC). -EINVAL if the result is no
 * valid backup object name (lib/backup_object.h). */
int backup_full_name(const char *host, int64_t t, char *out, size_t len);
int backup_binlog_name(const char *host, int64_t t, const char *file, char *out, size_t len);

/* The client's answer to "SELECT @@log_bin_basename; SHOW BINARY LOGS" in
 * batch mode: the basename's line, then "FILE\tSIZE" lines. */
struct binlog_list {
	char *dir;                 /* where the files are: the basename's directory */
	char **files; size_t n;    /* in the server's order; the last is open */
};
/* -ENOENT when binary logging is off (basename NULL); -EBADMSG for anything
 * else unexpected (a file name with '/', no files). */
int binlog_list_parse(const char *text, size_t len, struct binlog_list *out);
void binlog_list_free(struct binlog_list *l);
/* The closed files to ship after `last` (the last shipped, "" for none):
 * indexes [*from, l->n - 1). A `last` of another basename or not among
 * them ships every closed file; *gap is set when `last` is older than the
 * oldest listed file's predecessor (logs purged before they were shipped). */
void binlog_pending(const struct binlog_list *l, const char *last, size_t *from, bool *gap);

enum backup_kind { BACKUP_RUN_FULL, BACKUP_RUN_BINLOGS, BACKUP_RUN_RESTORE };
/* One run below root ("/" on the host): logs what it does; records the run;
 * 0 or -errno.
 *   restore  (backup.restore; the role step runs it on a primary before
 *            MariaDB serves with kiln's configuration and before the app's
 *            users are granted) once per host: KILN_BACKUP_RESTORE_DONE in
 *            the state directory says it was done, and a data directory
 *            that already holds a database is never restored over. Lists
 *            the bucket's HOST/ objects with the backup reader's key,
 *            downloads the ones the point in time needs into
 *            DATADIR/.kiln-restore (0700: on the data disk), restores with
 *            lib/backup_pitr.h (every object authenticated first; the
 *            binary logs replayed into a temporary server), stops MariaDB
 *            (on "/" only), puts the result in DATADIR's place (owned by
 *            mysql), and then deletes the backup key and the reader's key
 *            from the secrets directory. */
/* The data directory holds nothing but MariaDB's own schemas (a new or
 * freshly initialised one); *db names the first database found else. */
bool backup_datadir_fresh(const char *datadir, char *db, size_t db_len);
int backup_run(const char *root, enum backup_kind kind);
#endif
