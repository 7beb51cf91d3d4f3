/* MinIO's admin API (/minio/admin/v3), the calls the minio role needs, with
 * the paths, queries and bodies madmin-go 2.0.7 (Debian's
 * golang-github-minio-madmin-go-dev) sends: SigV4 ("s3" scope, payload hash
 * in x-amz-content-sha256, which MinIO requires on admin calls; region
 * us-east-1 where madmin signs an empty one: MinIO checks neither) with
 * the root credential through lib/aws_request (bounded retries of 5xx,
 * throttling and connection errors); bodies that carry a secret encrypted
 * with madmin's EncryptData keyed by the root password (lib/madmin_crypt).
 *
 *   add-canned-policy   PUT  ?name=N            body: the policy JSON (plain, as madmin sends it)
 *   add-user            PUT  ?accessKey=K       body: EncryptData({"secretKey":S,"status":"enabled"})
 *   set-user-or-group-policy PUT ?isGroup=false&policyName=P&userOrGroup=K (no body)
 *   list-users          GET                     answer: EncryptData({K:{"policyName":..,"status":..},..})
 *   remove-user         DELETE ?accessKey=K
 *   set-remote-target   PUT  ?bucket=B          body: EncryptData(madmin.BucketTarget JSON)
 *                                               answer: the target's ARN as a JSON string
 *
 * The policy is attached with set-user-or-group-policy (madmin's SetPolicy),
 * not the newer idp/builtin/policy/attach: current MinIO refuses the
 * attach request madmin 2.0.7 builds (no Content-Type:
 * application/octet-stream; it expects 201 where the server answers 200),
 * while set-user-or-group-policy is served by every MinIO release since the
 * v3 admin API and sets the user's mapping to exactly the policy named,
 * which makes it idempotent. On failure why holds the call and MinIO's
 * answer ("add-user: HTTP 400 XMinioAdminConfigBadJSON: ..."), never a secret. */
#ifndef KILN_FB_MINIO_ADMIN_H
#define KILN_FB_MINIO_ADMIN_H
#include <stddef.h>
#include "lib/buf.h"

struct minio_admin {
	const char *endpoint;        /* "http://127.0.0.1:9000" */
	const char *region;          /* NULL: us-east-1 (MinIO's default) */
	const char *root_user, *root_password;
};

int minio_admin_add_policy(const struct minio_admin *a, const char *name, const char *doc, char *why, size_t why_len);
/* Creates the user or, when it exists, replaces its secret (the policy stays). */
int minio_admin_add_user(const struct minio_admin *a, const char *access_key, const char *secret_key, char *why,
			 size_t why_len);
int minio_admin_set_user_policy(const struct minio_admin *a, const char *user, const char *policy, char *why,
				size_t why_len);
/* The decrypted list-users JSON appended to out. -EBADMSG when the answer
 * does not decrypt with the root password. */
int minio_admin_list_users(const struct minio_admin *a, struct buf *out, char *why, size_t why_len);
int minio_admin_remove_user(const struct minio_admin *a, const char *access_key, char *why, size_t why_len);

/* A bucket replication target (madmin.BucketTarget, type "replication"):
 * MinIO checks, before it answers, that it reaches the remote with these
 * keys, that the remote bucket exists and is versioned, that the source
 * bucket is versioned and (recent releases) that the remote answers MinIO's
 * liveness probe; and answers the ARN of an existing target with the same
 * endpoint, bucket and access key instead of adding one (idempotent). */
struct minio_remote_target {
	const char *source_bucket;
	const char *endpoint;         /* http(s)://HOST[:PORT] (the profile's) */
	const char *bucket, *region;  /* the remote bucket; region NULL: none sent */
	const char *access_key, *secret_key;
};
/* The plain JSON body (it holds the secret key: wipe it). -EINVAL for an
 * endpoint that is not http(s)://HOST[:PORT]. */
int minio_remote_target_json(const struct minio_remote_target *t, struct buf *out);
/* The ARN out of set-remote-target's answer, a JSON string
 * "arn:minio:replication:REGION:ID:BUCKET"; -EBADMSG for anything else. */
int minio_admin_parse_arn(const char *body, size_t len, char *arn, size_t arn_len);
/* set-remote-target on t->source_bucket; the ARN into arn. why: MinIO's
 * code and message ("set-remote-target: HTTP 400 RemoteTargetNotVersionedError:
 * ..."), never the secret. */
int minio_admin_set_remote_target(const struct minio_admin *a, const struct minio_remote_target *t, char *arn,
				  size_t arn_len, char *why, size_t why_len);

/* From a list-users JSON object, the users whose policyName is exactly
 * policy, other than keep: a NULL-terminated malloc'd array of malloc'd
 * names in *users (free with minio_admin_free_names). -EBADMSG if json is
 * not an object of objects. */
int minio_admin_users_with_policy(const char *json, size_t len, const char *policy, const char *keep, char ***users);
void minio_admin_free_names(char **names);
#endif
