/* The minio role on its host: the server's environment file (root
 * credentials from the seed, data on the data disk; distributed mode across
 * all minio hosts when there are 4 or more), then, once the server answers,
 * the buckets (+ versioning) through the S3 API and the app's credential
 * registered through MinIO's admin API (firstboot/minio_admin.h): a user
 * with the app's access key, and a canned policy allowing only the
 * profile's buckets and their objects attached to it. */
#ifndef KILN_FB_ROLE_MINIO_H
#define KILN_FB_ROLE_MINIO_H
#include "firstboot/minio_admin.h"
#include "firstboot/role_mysql.h"   /* secret_lookup_fn */
#include "firstboot/s3.h"
#include "lib/appliance.h"
#include "lib/buf.h"
#include "profiles/model.h"

#define MINIO_DATA_DIR "/var/lib/minio"
#define MINIO_ENV_FILE "/etc/default/minio"
#define MINIO_APP_POLICY "kiln-app"   /* the canned policy kiln owns */

/* Distributed (erasure-coded) mode needs at least MINIO_DISTRIBUTED_MIN
 * drives (profiles/model.h); kiln gives MinIO one per minio host. */
bool minio_distributed(const struct model *m);
/* /etc/default/minio (mode 0600, secrets inside). -ENOKEY if a secret is
 * missing. Distributed, the file is the same on every minio host (MinIO
 * wants identical settings on all): MINIO_VOLUMES lists every minio host's
 * data directory in profile order, and MinIO listens on every address
 * (`--address :9000`; the firewall decides who reaches it). Otherwise the
 * host's own data directory, bound to its address. */
int minio_render_env(const struct model *m, const struct host *h, secret_lookup_fn secret, void *ud,
		     struct buf *out);
/* The app's canned policy (JSON): bucket-level reads and listing on each
 * bucket, object reads, writes and deletes inside it; nothing else. With no
 * buckets it denies everything. */
void minio_render_app_policy(const struct model *m, struct buf *out);
/* Create every bucket of the profile and set versioning as asked; idempotent.
 * On failure why says which bucket and what the server answered. */
int minio_setup_buckets(const struct model *m, const struct s3_conn *c, char *why, size_t why_len);
/* Register the app's key (secrets minio_app_access_key/_secret_key) with the
 * admin API a: the policy, the user (a new secret replaces the old one),
 * the policy attached, and any user an earlier app key left with the same
 * policy removed. Idempotent. -ENOKEY if a secret is missing. */
int minio_register_app(const struct model *m, const struct minio_admin *a, secret_lookup_fn secret, void *ud,
		       char *why, size_t why_len);
/* A user of MinIO's IAM whose policy is exactly `policy` (canned policy
 * document doc, made or replaced), with secret sk. Idempotent. */
int minio_put_user(const struct minio_admin *a, const char *policy, const char *doc, const char *ak, const char *sk,
		   char *why, size_t why_len);
/* A policy kiln owns and the one access key that may hold it. */
struct minio_keep {
	const char *policy, *access_key;
};
/* Every user an earlier access key left with one of these policies
 * removed, from one list-users (its answer costs an Argon2id on each side). */
int minio_remove_stale(const struct minio_admin *a, const struct minio_keep *keep, size_t n, char *why,
		       size_t why_len);
/* minio_put_user, then minio_remove_stale for that policy and key. */
int minio_register_user(const struct minio_admin *a, const char *policy, const char *doc, const char *ak,
			const char *sk, char *why, size_t why_len);
/* backup: (docs/backup.md): the backup bucket (versioned; not one of
 * roles.minio.buckets, so the app's key does not reach it) and the backup
 * writer (secrets minio_backup_access_key/_secret_key), whose policy allows
 * putting objects into it and nothing else. Idempotent. */
int minio_setup_backup(const struct model *m, const struct s3_conn *c, const struct minio_admin *a,
		       secret_lookup_fn secret, void *ud, char *why, size_t why_len);
/* Buckets, then the app's user (and with backup: the backup bucket, writer
 * and reader), against the local server at endpoint with the root
 * credential from the seed; with monitoring, the monitoring step's users
 * (the metrics user, the archive writer), which that step makes with
 * minio_put_user; one minio_remove_stale for all of them; last the
 * buckets' replication to the remote endpoint (firstboot/minio_replication.h). */
int minio_setup(const struct model *m, const char *endpoint, secret_lookup_fn secret, void *ud, char *why,
		size_t why_len);
#endif
