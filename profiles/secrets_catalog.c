#include "profiles/secrets_catalog.h"
#include "lib/appliance.h"
#include "profiles/backup.h"
#include "profiles/bucket_replication.h"
#include "profiles/galera.h"
#include "profiles/monitoring.h"
#include "lib/xalloc.h"
#include <string.h>

#define R(x) (1u << (x))

const struct secret_def secret_catalog[] = {
	{ "mysql_root_password",        SECRET_PASSWORD,   R(ROLE_MYSQL), 0 },
	{ "mysql_app_password",         SECRET_PASSWORD,   R(ROLE_MYSQL) | R(ROLE_APP), 0 },
	{ "mysql_replication_password", SECRET_PASSWORD,   R(ROLE_MYSQL), 0 },
	/* roles.mysql.cluster: galera: the mariabackup SST's account on the donor */
	{ "mysql_sst_password",         SECRET_PASSWORD,   R(ROLE_MYSQL), 0 },
	{ "minio_root_user",            SECRET_ACCESS_KEY, R(ROLE_MINIO), 0 },
	{ "minio_root_password",        SECRET_PASSWORD,   R(ROLE_MINIO), 0 },
	{ "minio_app_access_key",       SECRET_ACCESS_KEY, R(ROLE_MINIO) | R(ROLE_APP), 0 },
	{ "minio_app_secret_key",       SECRET_PASSWORD,   R(ROLE_MINIO) | R(ROLE_APP), 0 },
	/* the app's certificate's key: the app hosts, and lb hosts that end TLS */
	{ "tls_key",                    SECRET_TLS_KEY,    R(ROLE_APP) | R(ROLE_LB), 0 },
	/* monitoring (docs/monitoring.md): the MySQL exporter's account; the
	 * metrics-only MinIO user whose credential mints Prometheus' bearer
	 * token; the archive writer of denied traffic; each host's key of its
	 * certificate and Prometheus' client key. */
	{ "mysql_exporter_password",    SECRET_PASSWORD,   R(ROLE_MYSQL), SECRET_F_MONITORING },
	{ "minio_metrics_access_key",   SECRET_ACCESS_KEY, R(ROLE_MINIO), SECRET_F_MONITORING | SECRET_F_MON_HOST },
	{ "minio_metrics_secret_key",   SECRET_PASSWORD,   R(ROLE_MINIO), SECRET_F_MONITORING | SECRET_F_MON_HOST },
	{ "minio_archive_access_key",   SECRET_ACCESS_KEY, R(ROLE_MINIO), SECRET_F_ARCHIVE | SECRET_F_MON_HOST },
	{ "minio_archive_secret_key",   SECRET_PASSWORD,   R(ROLE_MINIO), SECRET_F_ARCHIVE | SECRET_F_MON_HOST },
	/* backup: (docs/backup.md): the backup writer, a MinIO user that may
	 * only put objects into the backup bucket */
	{ "minio_backup_access_key",    SECRET_ACCESS_KEY, R(ROLE_MINIO) | R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_BACKUP_MINIO },
	{ "minio_backup_secret_key",    SECRET_PASSWORD,   R(ROLE_MINIO) | R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_BACKUP_MINIO },
	/* the backup reader, a MinIO user that may only list and get the backup
	 * bucket's objects: registered by the minio hosts, handed to the MySQL
	 * primaries only with backup.restore (restore at first boot) */
	{ "minio_backup_reader_access_key", SECRET_ACCESS_KEY, R(ROLE_MINIO) | R(ROLE_MYSQL),
	  SECRET_F_BACKUP | SECRET_F_RESTORE | SECRET_F_BACKUP_MINIO },
	{ "minio_backup_reader_secret_key", SECRET_PASSWORD,   R(ROLE_MINIO) | R(ROLE_MYSQL),
	  SECRET_F_BACKUP | SECRET_F_RESTORE | SECRET_F_BACKUP_MINIO },
	/* backup.s3: the external endpoint's keys, which the operator gets from
	 * its provider and puts into the state directory (never generated): the
	 * writer (the primaries upload with it) and, with backup.restore, the
	 * reader (list and get) */
	{ "backup_s3_access_key",        SECRET_EXTERNAL, R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_BACKUP_S3 },
	{ "backup_s3_secret_key",        SECRET_EXTERNAL, R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_BACKUP_S3 },
	{ "backup_s3_reader_access_key", SECRET_EXTERNAL, R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_RESTORE | SECRET_F_BACKUP_S3 },
	{ "backup_s3_reader_secret_key", SECRET_EXTERNAL, R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_RESTORE | SECRET_F_BACKUP_S3 },
	/* roles.minio.buckets[].replicate_to: the remote S3 endpoint's keys,
	 * the operator's (never generated); the minio hosts register them with
	 * MinIO as the replication target's credential */
	{ REPLICATION_ACCESS_KEY,        SECRET_EXTERNAL, R(ROLE_MINIO), SECRET_F_REPLICATION },
	{ REPLICATION_SECRET_KEY,        SECRET_EXTERNAL, R(ROLE_MINIO), SECRET_F_REPLICATION },
	/* backup.restore: the operator's backup secret key (backup.key), for
	 * the restore at first boot; not made by `kiln secrets init` */
	{ KILN_BACKUP_KEY_SECRET,       SECRET_PASSWORD,   R(ROLE_MYSQL), SECRET_F_BACKUP | SECRET_F_RESTORE | SECRET_F_PER_HOST },
	{ MON_HOST_KEY,                 SECRET_HOST_TLS_KEY, R(ROLE_APP) | R(ROLE_MYSQL) | R(ROLE_MINIO) | R(ROLE_LB),
	  SECRET_F_MONITORING | SECRET_F_PER_HOST },
	{ MON_SCRAPE_KEY,               SECRET_HOST_TLS_KEY, 0, SECRET_F_MONITORING | SECRET_F_MON_HOST | SECRET_F_PER_HOST },
	{ NULL, 0, 0, 0 },
};

/* A catalog entry exists in a deployment when some host uses it. */
static bool catalog_applies(const struct model *m, const struct secret_def *d)
{
	if (strcmp(d->name, "mysql_replication_password") == 0)
		return model_has_replica(m);
	if (strcmp(d->name, "mysql_sst_password") == 0)
		return galera_on(m);
	if ((d->flags & (SECRET_F_MONITORING | SECRET_F_ARCHIVE)) && !monitoring_on(m))
		return false;
	if ((d->flags & SECRET_F_ARCHIVE) && !m->monitoring.archive_bucket)
		return false;
	if ((d->flags & SECRET_F_REPLICATION) && !replication_on(m))
		return false;
	if ((d->flags & SECRET_F_BACKUP) && !m->backup.on)
		return false;
	if ((d->flags & SECRET_F_BACKUP_MINIO) && m->backup.s3_endpoint)
		return false;
	if ((d->flags & SECRET_F_BACKUP_S3) && !m->backup.s3_endpoint)
		return false;
	if ((d->flags & SECRET_F_RESTORE) && (d->flags & SECRET_F_BACKUP_S3) && !m->backup.restore)
		return false;   /* the operator brings these: asked for only when a host needs them */
	if (d->flags & SECRET_F_PER_HOST)
		return true;
	for (int r = 0; r < ROLE__COUNT; r++)
		if ((d->roles & R(r)) && model_has_role(m, (enum role)r))
			return true;
	return false;
}

static const struct secret_def *catalog_find(const char *name)
{
	for (const struct secret_def *d = secret_catalog; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static bool is_app_extra(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->roles.app.n_secrets; i++)
		if (strcmp(m->roles.app.secrets[i], name) == 0)
			return true;
	return false;
}

bool secret_known(const struct model *m, const char *name)
{
	const struct secret_def *d = catalog_find(name);
	if (d)
		return !(d->flags & SECRET_F_PER_HOST) && catalog_applies(m, d);
	return is_app_extra(m, name);
}

size_t secret_names(const struct model *m, const char ***out)
{
	size_t n = 0, cap = 0;
	const char **v = NULL;
	for (const struct secret_def *d = secret_catalog; d->name; d++)
		if (!(d->flags & SECRET_F_PER_HOST) && catalog_applies(m, d)) {
			v = xgrow(v, &cap, n + 1, sizeof *v);
			v[n++] = d->name;
		}
	for (size_t i = 0; i < m->roles.app.n_secrets; i++) {
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = m->roles.app.secrets[i];
	}
	*out = v;
	return n;
}

enum secret_kind secret_kind_of(const struct model *m, const char *name)
{
	const struct secret_def *d = catalog_find(name);
	return d ? d->kind : SECRET_PASSWORD;
}

void secret_external_for(const char *name, const char **key, const char **doc)
{
	const struct secret_def *d = catalog_find(name);
	bool repl = d && (d->flags & SECRET_F_REPLICATION);
	*key = repl ? "replicate_to" : "backup.s3";
	*doc = repl ? "docs/profile.md" : "docs/backup.md";
}

bool host_needs_secret(const struct model *m, const struct host *h, const char *name)
{
	const struct secret_def *d = catalog_find(name);
	if (d && !catalog_applies(m, d))
		return false;
	if (d && (d->flags & SECRET_F_BACKUP) && h->role == ROLE_MYSQL)
		return backup_on_host(m, h) && (!(d->flags & SECRET_F_RESTORE) || m->backup.restore);   /* replicas take no backups */
	if (d && h->role == ROLE_LB && !strcmp(d->name, "tls_key"))
		return m->roles.lb.tls == LB_TLS_TERMINATE;
	if (d)
		return (d->roles & R(h->role)) != 0 || ((d->flags & SECRET_F_MON_HOST) && monitoring_is_host(m, h));
	return is_app_extra(m, name) && h->role == ROLE_APP;   /* app extra secrets */
}
