/* roles.minio.buckets[].replicate_to (docs/profile.md, "Bucket
 * replication"): MinIO's own server-side bucket replication of an app bucket
 * to a bucket on a second S3 endpoint. The profile says where; the remote's
 * keys are the operator's secrets (never in the profile, never generated).
 * One remote endpoint per deployment: every replicate_to names the same
 * endpoint and region, reached with the one key pair below. */
#ifndef KILN_PROFILES_BUCKET_REPLICATION_H
#define KILN_PROFILES_BUCKET_REPLICATION_H
#include "profiles/model.h"
#include "profiles/schema.h"
#include <stdbool.h>
#include <stddef.h>

/* The remote's keys (SECRET_EXTERNAL; on the minio hosts only). */
#define REPLICATION_ACCESS_KEY "minio_replication_access_key"
#define REPLICATION_SECRET_KEY "minio_replication_secret_key"

/* A bucket's replicate_to mapping n into b->replicate_to, every bad value
 * reported where it is written: b's versioning (already parsed) must be on,
 * and against the buckets before b in roles.minio.buckets: the same
 * endpoint and region, another remote bucket. */
void parse_bucket_replica(struct ctx *c, struct bucket *b, const struct ynode *n);
/* How many buckets of the profile are replicated; some are. */
size_t replication_count(const struct model *m);
bool replication_on(const struct model *m);
#endif
