#include "firstboot/minio_admin.h"
#include "lib/aws_request.h"
#include "lib/json.h"
#include "lib/madmin_crypt.h"
#include "lib/xalloc.h"
#include "profiles/yaml_tree.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_PREFIX "/minio/admin/v3/"

/* One admin call with aws_request's retries; why gets "OP: reason". */
static int admin_call_r(const struct minio_admin *a, const char *method, const char *op, const char *query,
			const struct buf *body, const char *content_type, const char *redact, struct buf *resp,
			char *why, size_t why_len)
{
	/* Borrowed strings: aws_creds_free is never called on this. */
	struct aws_creds creds = { .access_key = (char *)a->root_user, .secret_key = (char *)a->root_password };
	struct aws_service svc = { .endpoint = a->endpoint, .region = a->region ? a->region : "us-east-1",
				   .service = "s3", .creds = &creds };
	char *path = xasprintf(ADMIN_PREFIX "%s", op), *what = xasprintf("MinIO admin %s", op);
	struct aws_req req = { .method = method, .path = path, .query = query,
			       .body = body ? body->data : NULL, .body_len = body ? body->len : 0,
			       .content_type = content_type, .redact = redact };
	char reason[256] = "";
	int r = aws_request(&svc, &req, what, resp, reason, sizeof reason);
	if (r < 0)
		snprintf(why, why_len, "%s: %s", op, reason);
	free(path);
	free(what);
	return r;
}

static int admin_call(const struct minio_admin *a, const char *method, const char *op, const char *query,
		      const struct buf *body, const char *content_type, struct buf *resp, char *why, size_t why_len)
{
	return admin_call_r(a, method, op, query, body, content_type, NULL, resp, why, why_len);
}

/* "name=value" with the value percent-encoded as SigV4's canonical query wants it. */
static void query_param(struct buf *q, const char *name, const char *value)
{
	if (q->len)
		buf_putc(q, '&');
	buf_printf(q, "%s=", name);
	aws_uri_encode(q, value);
}

int minio_admin_add_policy(const struct minio_admin *a, const char *name, const char *doc, char *why, size_t why_len)
{
	struct buf q, body;
	buf_init(&q);
	buf_init(&body);
	query_param(&q, "name", name);
	buf_puts(&body, doc);
	int r = admin_call(a, "PUT", "add-canned-policy", q.data, &body, "application/json", NULL, why, why_len);
	buf_free(&q);
	buf_free(&body);
	return r;
}

int minio_admin_add_user(const struct minio_admin *a, const char *access_key, const char *secret_key, char *why,
			 size_t why_len)
{
	struct buf q, plain, body;
	buf_init(&q);
	buf_init(&plain);
	buf_init(&body);
	query_param(&q, "accessKey", access_key);
	/* madmin.AddOrUpdateUserReq */
	buf_puts(&plain, "{\"secretKey\":");
	json_str(&plain, secret_key);
	buf_puts(&plain, ",\"status\":\"enabled\"}");
	/* PBKDF2 (id 2), not madmin's default Argon2id (64 MiB, 4 lanes): MinIO
	 * derives the key again with the KDF the body names, so Argon2 cost its
	 * memory and seconds twice on a one-vCPU host. The KDF's stretching buys
	 * nothing here: the password is the root password, generated (32 random
	 * bytes) or at least 16 characters of 64 (secret_gen.h), and the body
	 * goes from this host to its own MinIO (docs/firstboot.md, "The app's
	 * key in MinIO"). */
	int r = madmin_encrypt(a->root_password, MADMIN_PBKDF2_AES_GCM, plain.data, plain.len, &body);
	if (r < 0)
		snprintf(why, why_len, "add-user: cannot encrypt the request (%s)", strerror(-r));
	else
		r = admin_call(a, "PUT", "add-user", q.data, &body, "application/octet-stream", NULL, why, why_len);
	buf_free(&q);
	buf_wipe(&plain);
	buf_free(&body);
	return r;
}

int minio_admin_set_user_policy(const struct minio_admin *a, const char *user, const char *policy, char *why,
				size_t why_len)
{
	struct buf q;
	buf_init(&q);
	/* Sorted, as the canonical query string is signed. */
	query_param(&q, "isGroup", "false");
	query_param(&q, "policyName", policy);
	query_param(&q, "userOrGroup", user);
	int r = admin_call(a, "PUT", "set-user-or-group-policy", q.data, NULL, NULL, NULL, why, why_len);
	buf_free(&q);
	return r;
}

int minio_admin_list_users(const struct minio_admin *a, struct buf *out, char *why, size_t why_len)
{
	struct buf resp;
	buf_init(&resp);
	int r = admin_call(a, "GET", "list-users", NULL, NULL, NULL, &resp, why, why_len);
	if (r == 0 && (r = madmin_decrypt(a->root_password, resp.data ? resp.data : "", resp.len, out)) < 0)
		snprintf(why, why_len, "list-users: the answer does not decrypt with the root password (%s)",
			 strerror(-r));
	buf_free(&resp);
	return r;
}

int minio_admin_remove_user(const struct minio_admin *a, const char *access_key, char *why, size_t why_len)
{
	struct buf q;
	buf_init(&q);
	query_param(&q, "accessKey", access_key);
	int r = admin_call(a, "DELETE", "remove-user", q.data, NULL, NULL, NULL, why, why_len);
	buf_free(&q);
	return r;
}

void minio_admin_free_names(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

int minio_admin_users_with_policy(const char *json, size_t len, const char *policy, const char *keep, char ***users)
{
	/* JSON is flow YAML: libyaml reads it (kiln's JSON reader, see lib/json.h). */
	struct diags d = { 0 };
	struct ynode *root = NULL;
	*users = NULL;
	int r = ytree_parse("list-users", json, len, &root, &d);
	diags_free(&d);
	if (r < 0 || !root || root->type != YN_MAP) {
		ytree_free(root);
		return -EBADMSG;
	}
	char **out = xcalloc(root->n + 1, sizeof *out);
	size_t n = 0;
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *u = root->items[i];
		if (u->type != YN_MAP) {
			minio_admin_free_names(out);
			ytree_free(root);
			return -EBADMSG;
		}
		const struct ynode *p = ytree_get(u, "policyName");
		const char *name = root->keys[i]->value;
		if (p && p->type == YN_SCALAR && !strcmp(p->value, policy) && strcmp(name, keep))
			out[n++] = xstrdup(name);
	}
	ytree_free(root);
	*users = out;
	return 0;
}

int minio_remote_target_json(const struct minio_remote_target *t, struct buf *out)
{
	/* madmin wants the host[:port] and the scheme as "secure" */
	bool secure = !strncmp(t->endpoint, "https://", 8);
	const char *host = secure ? t->endpoint + 8 : !strncmp(t->endpoint, "http://", 7) ? t->endpoint + 7 : NULL;
	if (!host || !*host || strpbrk(host, "/?#@ "))
		return -EINVAL;
	buf_puts(out, "{\"sourcebucket\":");
	json_str(out, t->source_bucket);
	buf_puts(out, ",\"endpoint\":");
	json_str(out, host);
	buf_puts(out, ",\"credentials\":{\"accessKey\":");
	json_str(out, t->access_key);
	buf_puts(out, ",\"secretKey\":");
	json_str(out, t->secret_key);
	buf_puts(out, "},\"targetbucket\":");
	json_str(out, t->bucket);
	buf_printf(out, ",\"secure\":%s,\"type\":\"replication\"", secure ? "true" : "false");
	if (t->region) {
		buf_puts(out, ",\"region\":");
		json_str(out, t->region);
	}
	/* asynchronous (the app's PUT does not wait for the remote) */
	buf_puts(out, ",\"replicationSync\":false,\"disableProxy\":false}");
	return 0;
}

int minio_admin_parse_arn(const char *body, size_t len, char *arn, size_t arn_len)
{
	static const char prefix[] = "arn:minio:replication:";
	while (len && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
		len--;
	if (len < 2 || body[0] != '"' || body[len - 1] != '"' || len - 2 >= arn_len)
		return -EBADMSG;
	const char *s = body + 1;
	size_t n = len - 2, colons = 0;
	for (size_t i = 0; i < n; i++) {
		/* it goes into PutBucketReplication's XML: no markup */
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == ':' || s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return -EBADMSG;
		colons += s[i] == ':';
	}
	/* arn:minio:replication:REGION:ID:BUCKET; ID and BUCKET not empty */
	if (n <= sizeof prefix - 1 || strncmp(s, prefix, sizeof prefix - 1) || colons != 5 || s[n - 1] == ':')
		return -EBADMSG;
	const char *id = memchr(s + sizeof prefix - 1, ':', n - (sizeof prefix - 1));
	if (!id || id[1] == ':')
		return -EBADMSG;
	memcpy(arn, s, n);
	arn[n] = '\0';
	return 0;
}

int minio_admin_set_remote_target(const struct minio_admin *a, const struct minio_remote_target *t, char *arn,
				  size_t arn_len, char *why, size_t why_len)
{
	struct buf q, plain, body, resp;
	buf_init(&q);
	buf_init(&plain);
	buf_init(&body);
	buf_init(&resp);
	query_param(&q, "bucket", t->source_bucket);
	int r = minio_remote_target_json(t, &plain);
	if (r < 0)
		snprintf(why, why_len, "set-remote-target: the endpoint %s is not http(s)://HOST[:PORT]", t->endpoint);
	/* PBKDF2, as add-user (see there) */
	else if ((r = madmin_encrypt(a->root_password, MADMIN_PBKDF2_AES_GCM, plain.data, plain.len, &body)) < 0)
		snprintf(why, why_len, "set-remote-target: cannot encrypt the request (%s)", strerror(-r));
	/* MinIO's connection error names the remote's access key: a secret here */
	else if ((r = admin_call_r(a, "PUT", "set-remote-target", q.data, &body, "application/octet-stream",
				   t->access_key, &resp, why, why_len)) == 0 &&
		 (r = minio_admin_parse_arn(resp.data ? resp.data : "", resp.len, arn, arn_len)) < 0)
		snprintf(why, why_len, "set-remote-target: the answer is not a replication ARN");
	buf_free(&q);
	buf_wipe(&plain);
	buf_free(&body);
	buf_free(&resp);
	return r;
}
