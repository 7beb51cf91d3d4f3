/* The minio role's bucket replication (roles.minio.buckets[].replicate_to,
 * docs/profile.md "Bucket replication"): for each replicated bucket, the
 * remote registered as the bucket's replication target through MinIO's
 * admin API (set-remote-target, with the operator's keys of the remote:
 * secrets minio_replication_access_key/_secret_key), then the bucket's
 * replication configuration (PutBucketReplication) naming the ARN MinIO
 * answered. MinIO does the copying itself, asynchronously: new versions and
 * delete markers; a version deleted for good stays on the remote. */
#ifndef KILN_FB_MINIO_REPLICATION_H
#define KILN_FB_MINIO_REPLICATION_H
#include "firstboot/minio_admin.h"
#include "firstboot/role_mysql.h"   /* secret_lookup_fn */
#include "firstboot/s3.h"
#include "profiles/model.h"

/* Idempotent (MinIO answers an existing target's ARN; the configuration is
 * replaced). -ENOKEY without the remote's keys; otherwise the failing call's
 * error, why naming the bucket, the remote and MinIO's answer, never a key. */
int minio_setup_replication(const struct model *m, const struct s3_conn *c, const struct minio_admin *a,
			    secret_lookup_fn secret, void *ud, char *why, size_t why_len);
#endif
