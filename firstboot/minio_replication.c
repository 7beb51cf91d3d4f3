#include "firstboot/minio_replication.h"
#include "profiles/bucket_replication.h"
#include "lib/aws_request.h"
#include <errno.h>
#include <stdio.h>

int minio_setup_replication(const struct model *m, const struct s3_conn *c, const struct minio_admin *a,
			    secret_lookup_fn secret, void *ud, char *why, size_t why_len)
{
	if (!replication_on(m))
		return 0;
	const char *ak = secret(ud, REPLICATION_ACCESS_KEY), *sk = secret(ud, REPLICATION_SECRET_KEY);
	if (!ak || !sk) {
		snprintf(why, why_len, "the seed lacks secret %s", ak ? REPLICATION_SECRET_KEY : REPLICATION_ACCESS_KEY);
		return -ENOKEY;
	}
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++) {
		const struct bucket *b = &m->roles.minio.buckets[i];
		const struct bucket_replica *rt = b->replicate_to;
		if (!rt)
			continue;
		const struct minio_remote_target t = { .source_bucket = b->name, .endpoint = rt->endpoint,
						       .bucket = rt->bucket, .region = rt->region,
						       .access_key = ak, .secret_key = sk };
		char arn[256], detail[300] = "";
		const char *call = "";
		int r = minio_admin_set_remote_target(a, &t, arn, sizeof arn, detail, sizeof detail);
		if (r == 0 && (r = s3_put_replication(c, b->name, arn, detail, sizeof detail)) < 0)
			call = "PutBucketReplication: ";
		if (r < 0) {
			aws_redact(detail, ak);   /* PutBucketReplication's errors may name it too */
			snprintf(why, why_len, "replicating bucket %s to %s at %s: %s%s", b->name, rt->bucket, rt->endpoint,
				 call, detail);
			return r;
		}
	}
	return 0;
}
