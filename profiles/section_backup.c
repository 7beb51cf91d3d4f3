/* backup: (docs/backup.md): how often full backups and binary-log
 * shipments run, how long backups are kept, and the bucket (on the MinIO
 * hosts, or on an external S3 endpoint: backup.s3); then the checks that
 * need the whole profile (a MariaDB primary to back up, a MinIO host to keep
 * the bucket unless backup.s3 names one, a bucket the app's key cannot
 * reach) and the flows it derives. */
#include "profiles/backup.h"
#include "profiles/names.h"
#include "profiles/schema.h"
#include "lib/backup_pitr.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

void parse_backup(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "full", "binlog_minutes", "keep_days", "bucket", "restore", "s3", NULL };
	static const char *const s3_keys[] = { "endpoint", "region", "bucket", NULL };
	struct model *m = c->m;
	struct backup_settings *s = &m->backup;
	const struct ynode *n = ytree_get(root, "backup");
	const char *why;
	if (!n)
		return;
	if (!is_null(n) && !expect_map(c, n, "backup", keys))
		return;
	s->on = true;
	s->pos = pos_of(c, n);
	s->full = BACKUP_FULL_DAILY;
	s->binlog_minutes = BACKUP_BINLOG_MINUTES_DEFAULT;
	s->keep_days = BACKUP_KEEP_DAYS_DEFAULT;
	if (!is_null(n)) {
		char *full = NULL;
		if (get_str(c, n, "full", &full)) {
			if (!strcmp(full, "hourly"))
				s->full = BACKUP_FULL_HOURLY;
			else if (!strcmp(full, "weekly"))
				s->full = BACKUP_FULL_WEEKLY;
			else if (strcmp(full, "daily"))
				err_at(c, ytree_get(n, "full"), "backup.full '%s' must be one of: hourly, daily, weekly", full);
			free(full);
		}
		get_uint(c, n, "binlog_minutes", 1, 60, &s->binlog_minutes);
		get_uint(c, n, "keep_days", 1, 3650, &s->keep_days);
		if (get_str(c, n, "bucket", &s->bucket) && (why = name_check_s3_bucket(s->bucket)))
			err_at(c, ytree_get(n, "bucket"), "bucket name '%s' %s", s->bucket, why);
		const struct ynode *s3 = ytree_get(n, "s3");
		if (s3 && expect_map(c, s3, "backup.s3", s3_keys)) {
			if (!get_str(c, s3, "endpoint", &s->s3_endpoint))
				err_at(c, s3, "backup.s3 needs endpoint: the S3 endpoint's URL, http(s)://HOST[:PORT]");
			else if (!backup_endpoint_valid(s->s3_endpoint))
				err_at(c, ytree_get(s3, "endpoint"), "backup.s3.endpoint '%s' must be http(s)://HOST[:PORT] "
								     "(no path, user or query)", s->s3_endpoint);
			if (get_str(c, s3, "region", &s->s3_region) && !backup_region_valid(s->s3_region))
				err_at(c, ytree_get(s3, "region"), "backup.s3.region '%s' must be 1-32 of a-z 0-9 -",
				       s->s3_region);
			if (!s->s3_region)
				s->s3_region = xstrdup(BACKUP_S3_REGION_DEFAULT);
			if (s->bucket)
				err_at(c, ytree_get(n, "bucket"), "backup.bucket: with backup.s3 the bucket is backup.s3.bucket");
			else if (!get_str(c, s3, "bucket", &s->bucket))
				err_at(c, s3, "backup.s3 needs bucket: the external endpoint's bucket for the backups");
			else if ((why = name_check_s3_bucket(s->bucket)))
				err_at(c, ytree_get(s3, "bucket"), "bucket name '%s' %s", s->bucket, why);
			if (!s->s3_endpoint) {   /* refused above: the rest of the checks as without s3 */
				free(s->s3_region);
				s->s3_region = NULL;
			}
		}
		char *to = NULL;
		if (get_str(c, n, "restore", &to)) {
			if (backup_target_parse(to, &s->restore_to) < 0)
				err_at(c, ytree_get(n, "restore"), "backup.restore '%s' must be latest or a time in UTC, "
								   "YYYY-MM-DDTHH:MM:SSZ", to);
			else
				s->restore = true;
			free(to);
		}
	}
	const struct ynode *at = n;
	if (s->bucket && s->s3_endpoint)
		at = ytree_get(ytree_get(n, "s3"), "bucket");
	else if (s->bucket)
		at = ytree_get(n, "bucket");
	else if (m->name)
		s->bucket = xasprintf("%s-backups", m->name);
	bool primary = false;
	for (size_t i = 0; i < m->n_hosts; i++)
		primary |= m->hosts[i].role == ROLE_MYSQL && !m->hosts[i].replica_of;
	if (!primary)
		err_at(c, n, "backup: the profile has no mysql host to back up");
	else if (m->roles.mysql.engine == MYSQL_ENGINE_MYSQL)
		err_at(c, n, "backup: takes MariaDB's mariadb-backup; roles.mysql.engine mysql has no backups yet");
	else if (m->roles.mysql.cluster == MYSQL_CLUSTER_GALERA)
		/* every node would back the same data up under its own name */
		err_at(c, n, "backup: with roles.mysql.cluster: galera is not supported yet (every node would back "
			      "up the same data)");
	if (!s->s3_endpoint && !backup_store_host(m))
		err_at(c, n, "backup: needs a minio host to keep the backups, or backup.s3: an external S3 endpoint");
	for (size_t i = 0; s->bucket && !s->s3_endpoint && i < m->roles.minio.n_buckets; i++)
		if (m->roles.minio.buckets[i].name && !strcmp(m->roles.minio.buckets[i].name, s->bucket))
			err_at(c, at, "backup bucket '%s' is under roles.minio.buckets, which the app's key reaches; "
				      "backups need a bucket of their own", s->bucket);
	for (size_t i = 0; i < m->n_hosts; i++)
		if (!m->hosts[i].name)
			return;   /* refused where it is written; no flow can name it */
	backup_derive_flows(m);
}
