/* What backup: implies; see backup.h. */
#include "profiles/backup.h"
#include "lib/appliance.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *backup_full_name_of(enum backup_full_every e)
{
	return e == BACKUP_FULL_HOURLY ? "hourly" : e == BACKUP_FULL_WEEKLY ? "weekly" : "daily";
}

bool backup_on_host(const struct model *m, const struct host *h)
{
	return m->backup.on && h->role == ROLE_MYSQL && !h->replica_of;
}

const struct host *backup_store_host(const struct model *m)
{
	if (m->backup.s3_endpoint)
		return NULL;
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_MINIO && m->hosts[i].name)
			return &m->hosts[i];
	return NULL;
}

bool backup_endpoint_valid(const char *s)
{
	const char *h = !strncmp(s, "http://", 7) ? s + 7 : !strncmp(s, "https://", 8) ? s + 8 : NULL;
	if (!h || !*h || *h == ':' || strlen(s) > 255)
		return false;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == ':' || *p == '[' || *p == ']'))
			return false;   /* no path, query, user info or space */
	return true;
}

bool backup_region_valid(const char *r)
{
	size_t n = strlen(r);
	if (n == 0 || n > 32)
		return false;
	for (const char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

void backup_derive_flows(struct model *m)
{
	struct backup_settings *s = &m->backup;
	size_t cap = 0;
	flows_free(&s->flows, &s->n_flows);
	if (!s->on || s->s3_endpoint)
		return;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *db = &m->hosts[i];
		if (!db->name || !backup_on_host(m, db))
			continue;
		for (size_t j = 0; j < m->n_hosts; j++) {
			const struct host *st = &m->hosts[j];
			if (st->role != ROLE_MINIO || !st->name)
				continue;
			s->flows = xgrow(s->flows, &cap, s->n_flows + 1, sizeof *s->flows);
			s->flows[s->n_flows++] = (struct flow){
				.from = { .kind = EP_HOST, .name = xstrdup(db->name), .pos = s->pos },
				.to = { .kind = EP_HOST, .name = xstrdup(st->name), .pos = s->pos },
				.port = BACKUP_S3_PORT, .proto = PROTO_TCP, .pos = s->pos };
		}
	}
}

void backup_settings_free(struct backup_settings *s)
{
	flows_free(&s->flows, &s->n_flows);
	free(s->bucket);
	free(s->s3_endpoint);
	free(s->s3_region);
	memset(s, 0, sizeof *s);
}

size_t backup_packages(const struct model *m, enum role r, const char **out, size_t max)
{
	if (!m->backup.on || r != ROLE_MYSQL || m->roles.mysql.engine != MYSQL_ENGINE_MARIADB || !max)
		return 0;
	out[0] = "mariadb-backup";   /* mariadb-backup and mbstream */
	return 1;
}

const char *backup_full_calendar(enum backup_full_every e)
{
	return e == BACKUP_FULL_HOURLY ? "hourly" : e == BACKUP_FULL_WEEKLY ? "Sun *-*-* 02:00:00 UTC" : "*-*-* 02:00:00 UTC";
}

void backup_full_service(struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: a full backup of this MariaDB, sealed to the operator's\n"
		    "# backup key and uploaded to the backup bucket (docs/backup.md).\n"
		    "[Unit]\nDescription=kiln full backup (backup:)\n"
		    "Wants=network-online.target\nAfter=network-online.target mariadb.service kiln-firstboot.service\n"
		    "ConditionPathExists=" KILN_BACKUP_CONF "\n\n"
		    "[Service]\nType=oneshot\nExecStart=" KILN_FIRSTBOOT_BIN " backup full\n"
		    "Nice=10\nIOSchedulingClass=idle\n");
}

void backup_full_timer(const struct model *m, struct buf *b)
{
	buf_printf(b, "# Written by kiln-firstboot: full backups %s (backup.full).\n"
		      "[Unit]\nDescription=kiln full backup, %s\n\n"
		      "[Timer]\nOnCalendar=%s\nPersistent=true\nRandomizedDelaySec=%s\n\n"
		      "[Install]\nWantedBy=timers.target\n",
		   backup_full_name_of(m->backup.full), backup_full_name_of(m->backup.full),
		   backup_full_calendar(m->backup.full), m->backup.full == BACKUP_FULL_HOURLY ? "5m" : "30m");
}

void backup_binlogs_service(struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: this MariaDB's closed binary logs, sealed to the\n"
		    "# operator's backup key and uploaded to the backup bucket (docs/backup.md).\n"
		    "[Unit]\nDescription=kiln binary-log shipment (backup:)\n"
		    "Wants=network-online.target\nAfter=network-online.target mariadb.service kiln-firstboot.service\n"
		    "ConditionPathExists=" KILN_BACKUP_CONF "\n\n"
		    "[Service]\nType=oneshot\nExecStart=" KILN_FIRSTBOOT_BIN " backup binlogs\nNice=10\n");
}

void backup_binlogs_timer(const struct model *m, struct buf *b)
{
	buf_printf(b, "# Written by kiln-firstboot: binary logs shipped every %u minute%s (backup.binlog_minutes).\n"
		      "[Unit]\nDescription=kiln binary-log shipment every %u minute%s\n\n"
		      "[Timer]\nOnActiveSec=1min\nOnUnitActiveSec=%umin\nAccuracySec=10s\n\n"
		      "[Install]\nWantedBy=timers.target\n",
		   m->backup.binlog_minutes, m->backup.binlog_minutes == 1 ? "" : "s", m->backup.binlog_minutes,
		   m->backup.binlog_minutes == 1 ? "" : "s", m->backup.binlog_minutes);
}

void backup_reader_policy(const char *bucket, struct buf *b)
{
	buf_printf(b, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
		      "\"Action\":[\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::%s\"]},"
		      "{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\"],\"Resource\":[\"arn:aws:s3:::%s/*\"]}]}",
		   bucket, bucket);
}

void backup_writer_policy(const char *bucket, struct buf *b)
{
	buf_printf(b, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
		      "\"Action\":[\"s3:PutObject\",\"s3:AbortMultipartUpload\",\"s3:PutObjectRetention\"],"
		      "\"Resource\":[\"arn:aws:s3:::%s/*\"]}]}", bucket);
}
