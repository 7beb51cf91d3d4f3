#include "firstboot/role_minio.h"
#include "firstboot/minio_replication.h"
#include "firstboot/role_monitoring.h"
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/s3_objects.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool minio_distributed(const struct model *m)
{
	return model_minio_distributed(m);
}

int minio_render_env(const struct model *m, const struct host *h, secret_lookup_fn secret, void *ud,
		     struct buf *out)
{
	const char *user = secret(ud, "minio_root_user"), *pw = secret(ud, "minio_root_password");
	if (!user || !pw)
		return log_error_errno(ENOKEY, "the seed lacks secret %s", user ? "minio_root_password" : "minio_root_user");
	buf_puts(out, "# Written by kiln-firstboot from the seed; root-only (0600).\n");
	buf_printf(out, "MINIO_ROOT_USER=%s\nMINIO_ROOT_PASSWORD=%s\n", user, pw);
	/* Distributed (erasure-coded) mode needs at least 4 drives; below that
	 * every minio host runs its own single-drive server. */
	if (minio_distributed(m)) {
		buf_puts(out, "MINIO_VOLUMES=\"");
		bool first = true;
		for (size_t i = 0; i < m->n_hosts; i++) {
			const struct host *x = &m->hosts[i];
			if (x->role != ROLE_MINIO)
				continue;
			buf_printf(out, "%shttp://%s.%s:9000%s/data", first ? "" : " ", x->name, m->domain, MINIO_DATA_DIR);
			first = false;
		}
		buf_puts(out, "\"\nMINIO_OPTS=\"--address :9000\"\n");
		return 0;
	}
	char a[16];
	buf_puts(out, "MINIO_VOLUMES=\"" MINIO_DATA_DIR "/data\"\n");
	buf_printf(out, "MINIO_OPTS=\"--address %s:9000\"\n", h->dhcp ? "" : ipv4_fmt(h->address, a));
	return 0;
}

/* ["arn:aws:s3:::B<suffix>", ...] for every bucket. */
static void bucket_arns(const struct model *m, const char *suffix, struct buf *out)
{
	buf_putc(out, '[');
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++) {
		char *arn = xasprintf("arn:aws:s3:::%s%s", m->roles.minio.buckets[i].name, suffix);
		buf_puts(out, i ? "," : "");
		json_str(out, arn);
		free(arn);
	}
	buf_putc(out, ']');
}

void minio_render_app_policy(const struct model *m, struct buf *out)
{
	buf_puts(out, "{\"Version\":\"2012-10-17\",\"Statement\":[");
	if (!m->roles.minio.n_buckets) {
		buf_puts(out, "{\"Effect\":\"Deny\",\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3:::*\"]}]}");
		return;
	}
	/* HEAD bucket (the app host's join) is s3:ListBucket in MinIO. */
	buf_puts(out, "{\"Effect\":\"Allow\",\"Action\":[\"s3:GetBucketLocation\",\"s3:ListBucket\","
		      "\"s3:ListBucketMultipartUploads\",\"s3:ListBucketVersions\"],\"Resource\":");
	bucket_arns(m, "", out);
	buf_puts(out, "},{\"Effect\":\"Allow\",\"Action\":[\"s3:AbortMultipartUpload\",\"s3:DeleteObject\","
		      "\"s3:DeleteObjectVersion\",\"s3:GetObject\",\"s3:GetObjectVersion\","
		      "\"s3:ListMultipartUploadParts\",\"s3:PutObject\"],\"Resource\":");
	bucket_arns(m, "/*", out);
	buf_puts(out, "}]}");
}

int minio_setup_buckets(const struct model *m, const struct s3_conn *c, char *why, size_t why_len)
{
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++) {
		const struct bucket *b = &m->roles.minio.buckets[i];
		char detail[160] = "";
		int r = s3_create_bucket(c, b->name, detail, sizeof detail);
		if (r < 0) {
			snprintf(why, why_len, "creating bucket %s: %s", b->name, detail);
			return r;
		}
		if (b->versioning) {
			r = s3_set_versioning(c, b->name, true, detail, sizeof detail);
			if (r < 0) {
				snprintf(why, why_len, "enabling versioning on %s: %s", b->name, detail);
				return r;
			}
		}
	}
	return 0;
}

int minio_put_user(const struct minio_admin *a, const char *policy, const char *doc, const char *ak, const char *sk,
		   char *why, size_t why_len)
{
	int r = minio_admin_add_policy(a, policy, doc, why, why_len);
	if (r == 0)
		r = minio_admin_add_user(a, ak, sk, why, why_len);
	if (r == 0)
		r = minio_admin_set_user_policy(a, ak, policy, why, why_len);
	return r;
}

int minio_remove_stale(const struct minio_admin *a, const struct minio_keep *keep, size_t n, char *why,
		       size_t why_len)
{
	if (n == 0)
		return 0;
	/* A rotated access key leaves the old user behind with our policy: it
	 * must stop working. One list-users for them all: MinIO encrypts its
	 * answer with Argon2id (seconds on one vCPU), and so does our reading. */
	struct buf users;
	buf_init(&users);
	int r = minio_admin_list_users(a, &users, why, why_len);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char **stale = NULL;
		if ((r = minio_admin_users_with_policy(users.data ? users.data : "", users.len, keep[i].policy,
						       keep[i].access_key, &stale)) < 0)
			snprintf(why, why_len, "list-users: the answer is not a JSON object of users");
		for (char **u = stale; r == 0 && u && *u; u++)
			r = minio_admin_remove_user(a, *u, why, why_len);
		minio_admin_free_names(stale);
	}
	buf_wipe(&users);
	return r;
}

int minio_register_user(const struct minio_admin *a, const char *policy, const char *doc, const char *ak,
			const char *sk, char *why, size_t why_len)
{
	int r = minio_put_user(a, policy, doc, ak, sk, why, why_len);
	const struct minio_keep k = { policy, ak };
	return r < 0 ? r : minio_remove_stale(a, &k, 1, why, why_len);
}

/* The app's user, policy attached; *ak its key. */
static int put_app(const struct model *m, const struct minio_admin *a, secret_lookup_fn secret, void *ud,
		   const char **ak_out, char *why, size_t why_len)
{
	const char *ak = secret(ud, "minio_app_access_key"), *sk = secret(ud, "minio_app_secret_key");
	if (!ak || !sk) {
		snprintf(why, why_len, "the seed lacks secret %s", ak ? "minio_app_secret_key" : "minio_app_access_key");
		return -ENOKEY;
	}
	struct buf doc;
	buf_init(&doc);
	minio_render_app_policy(m, &doc);
	int r = minio_put_user(a, MINIO_APP_POLICY, doc.data, ak, sk, why, why_len);
	buf_free(&doc);
	*ak_out = ak;
	return r;
}

int minio_register_app(const struct model *m, const struct minio_admin *a, secret_lookup_fn secret, void *ud,
		       char *why, size_t why_len)
{
	const char *ak = NULL;
	int r = put_app(m, a, secret, ud, &ak, why, why_len);
	const struct minio_keep k = { MINIO_APP_POLICY, ak };
	return r < 0 ? r : minio_remove_stale(a, &k, 1, why, why_len);
}

#define MINIO_MAX_KEEP 6

/* The backup bucket's object lock (docs/backup.md#object-lock): every new
 * version kept in COMPLIANCE mode for keep_days, so no key, the root
 * credential included, can delete a backup inside the window prune keeps.
 * A bucket made without the lock (by a kiln before it) cannot gain it:
 * MinIO refuses; said, not failed. */
static int lock_backup_bucket(const struct model *m, const struct s3_conn *c, char *why, size_t why_len)
{
	const struct s3_target t = { .endpoint = c->endpoint, .access_key = c->access_key, .secret_key = c->secret_key,
				     .bucket = m->backup.bucket, .region = c->region };
	struct s3_lock_conf lc;
	char detail[300] = "";
	int r = s3_lock_conf_get(&t, &lc, detail, sizeof detail);
	if (r < 0) {
		snprintf(why, why_len, "reading the object lock of the backup bucket %s: %s", m->backup.bucket, detail);
		return r;
	}
	if (!lc.enabled) {
		log_warn("the backup bucket %s has no object lock (it was made without one, and MinIO cannot add it "
			 "to an existing bucket): its backups are kept by versioning and the writer's policy alone",
			 m->backup.bucket);
		return 0;
	}
	if (lc.mode == S3_LOCK_COMPLIANCE && lc.days == m->backup.keep_days)
		return 0;
	r = s3_lock_conf_put(&t, S3_LOCK_COMPLIANCE, m->backup.keep_days, detail, sizeof detail);
	if (r < 0)
		snprintf(why, why_len, "setting the object lock of the backup bucket %s: %s", m->backup.bucket, detail);
	return r;
}

/* backup: its own versioned bucket with object lock (not among
 * roles.minio.buckets: the app's key cannot reach it), the backup writer,
 * who may only put objects into it, and the reader; their keys added to
 * keep[*n]. */
static int put_backup(const struct model *m, const struct s3_conn *c, const struct minio_admin *a,
		      secret_lookup_fn secret, void *ud, struct minio_keep *keep, size_t *n, char *why, size_t why_len)
{
	const char *ak = secret(ud, "minio_backup_access_key"), *sk = secret(ud, "minio_backup_secret_key");
	char detail[300] = "";
	if (!ak || !sk) {
		snprintf(why, why_len, "the seed lacks secret %s", ak ? "minio_backup_secret_key" : "minio_backup_access_key");
		return -ENOKEY;
	}
	int r = s3_create_bucket_locked(c, m->backup.bucket, detail, sizeof detail);
	if (r == 0)
		r = s3_set_versioning(c, m->backup.bucket, true, detail, sizeof detail);
	if (r < 0) {
		snprintf(why, why_len, "creating the backup bucket %s: %s", m->backup.bucket, detail);
		return r;
	}
	if ((r = lock_backup_bucket(m, c, why, why_len)) < 0)
		return r;
	struct buf doc;
	buf_init(&doc);
	backup_writer_policy(m->backup.bucket, &doc);
	r = minio_put_user(a, BACKUP_WRITER_POLICY, doc.data, ak, sk, detail, sizeof detail);
	buf_free(&doc);
	if (r < 0) {
		snprintf(why, why_len, "registering the backup writer with MinIO's admin API: %s", detail);
		return r;
	}
	keep[(*n)++] = (struct minio_keep){ BACKUP_WRITER_POLICY, ak };
	/* the reader: what a MySQL primary restoring at first boot reads with */
	const char *rak = secret(ud, "minio_backup_reader_access_key"), *rsk = secret(ud, "minio_backup_reader_secret_key");
	if (!rak || !rsk) {
		snprintf(why, why_len, "the seed lacks secret %s",
			 rak ? "minio_backup_reader_secret_key" : "minio_backup_reader_access_key");
		return -ENOKEY;
	}
	buf_init(&doc);
	backup_reader_policy(m->backup.bucket, &doc);
	r = minio_put_user(a, BACKUP_READER_POLICY, doc.data, rak, rsk, detail, sizeof detail);
	buf_free(&doc);
	if (r < 0)
		snprintf(why, why_len, "registering the backup reader with MinIO's admin API: %s", detail);
	else
		keep[(*n)++] = (struct minio_keep){ BACKUP_READER_POLICY, rak };
	return r;
}

/* monitoring: the metrics user (Prometheus' bearer token is minted from
 * its key on the monitoring host) and, with archive_drops, the archive
 * writer; their keys added to keep[*n]. Made here, with the role's other
 * users, so the monitoring step needs nothing of MinIO and runs before the
 * role (its units start while MinIO does). */
static int put_monitoring(const struct model *m, const struct minio_admin *a, secret_lookup_fn secret, void *ud,
			  struct minio_keep *keep, size_t *n, char *why, size_t why_len)
{
	static const struct {
		const char *policy, *ak, *sk;
	} users[] = {
		{ MON_MINIO_POLICY, "minio_metrics_access_key", "minio_metrics_secret_key" },
		{ MON_ARCHIVE_POLICY, "minio_archive_access_key", "minio_archive_secret_key" },
	};
	size_t n_users = m->monitoring.archive_bucket ? 2 : 1;
	for (size_t i = 0; i < n_users; i++) {
		const char *ak = secret(ud, users[i].ak), *sk = secret(ud, users[i].sk);
		if (!ak || !sk) {
			snprintf(why, why_len, "the seed lacks secret %s", ak ? users[i].sk : users[i].ak);
			return -ENOKEY;
		}
		struct buf doc;
		char detail[300] = "";
		buf_init(&doc);
		if (i == 0)
			monitoring_metrics_policy(&doc);
		else
			monitoring_archive_policy(m->monitoring.archive_bucket, &doc);
		int r = minio_put_user(a, users[i].policy, doc.data, ak, sk, detail, sizeof detail);
		buf_free(&doc);
		if (r < 0) {
			snprintf(why, why_len, "registering the monitoring users with MinIO's admin API: %s", detail);
			return r;
		}
		keep[(*n)++] = (struct minio_keep){ users[i].policy, ak };
	}
	return 0;
}

int minio_setup_backup(const struct model *m, const struct s3_conn *c, const struct minio_admin *a,
		       secret_lookup_fn secret, void *ud, char *why, size_t why_len)
{
	struct minio_keep keep[2];
	size_t n = 0;
	int r = put_backup(m, c, a, secret, ud, keep, &n, why, why_len);
	char detail[300] = "";
	if (r == 0 && (r = minio_remove_stale(a, keep, n, detail, sizeof detail)) < 0)
		snprintf(why, why_len, "removing the users of earlier backup keys: %s", detail);
	return r;
}

int minio_setup(const struct model *m, const char *endpoint, secret_lookup_fn secret, void *ud, char *why,
		size_t why_len)
{
	const char *user = secret(ud, "minio_root_user"), *pw = secret(ud, "minio_root_password");
	if (!user || !pw) {
		snprintf(why, why_len, "the seed lacks secret %s", user ? "minio_root_password" : "minio_root_user");
		return -ENOKEY;
	}
	struct s3_conn c = { .endpoint = endpoint, .access_key = user, .secret_key = pw };
	struct minio_admin a = { .endpoint = endpoint, .root_user = user, .root_password = pw };
	struct minio_keep keep[MINIO_MAX_KEEP];
	size_t n = 0;
	const char *ak = NULL;
	int r = minio_setup_buckets(m, &c, why, why_len);
	if (r == 0 && (r = put_app(m, &a, secret, ud, &ak, why, why_len)) < 0) {
		char detail[300];
		snprintf(detail, sizeof detail, "%s", why);
		snprintf(why, why_len, "registering the app's key with MinIO's admin API: %s", detail);
	}
	if (r == 0)
		keep[n++] = (struct minio_keep){ MINIO_APP_POLICY, ak };
	if (r == 0 && m->backup.on && !m->backup.s3_endpoint)   /* backup.s3: the bucket is the operator's, elsewhere */
		r = put_backup(m, &c, &a, secret, ud, keep, &n, why, why_len);
	if (r == 0 && monitoring_on(m))
		r = put_monitoring(m, &a, secret, ud, keep, &n, why, why_len);
	char detail[300] = "";
	if (r == 0 && (r = minio_remove_stale(&a, keep, n, detail, sizeof detail)) < 0)
		snprintf(why, why_len, "removing the users of earlier keys with MinIO's admin API: %s", detail);
	/* last: a remote that is down fails the step with the rest in place
	 * (old keys already removed) */
	if (r == 0)
		r = minio_setup_replication(m, &c, &a, secret, ud, why, why_len);
	return r;
}
