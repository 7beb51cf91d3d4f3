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

/* From a list-users JSON object, the users whose policyName is exactly
 * policy, other than keep: a NULL-terminated malloc'd array of malloc'd
 * names in *users (free with minio_admin_free_names). -EBADMSG if json is
 * not an object of objects. */
int minio_admin_users_with_policy(const char *json, size_t len, const char *policy, const char *keep, char ***users);
void minio_admin_free_names(char **names);
#endif
