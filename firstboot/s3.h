/* Minimal S3 client for the agent (libcurl, signed by lib/aws_request): the
 * minio role creates its buckets and sets versioning through the S3 API, and
 * the app host's join proves the object store works with HEAD bucket using the
 * app's own credentials. Path-style addressing (http://host:9000/bucket). */
#ifndef KILN_FB_S3_H
#define KILN_FB_S3_H
#include <stdbool.h>
#include <stddef.h>

struct s3_conn {
	const char *endpoint;     /* "http://192.168.40.215:9000" */
	const char *region;       /* default "us-east-1" (MinIO's default) */
	const char *access_key;
	const char *secret_key;
	unsigned timeout_ms;      /* per request; default 5000 */
};

/* 0 exists; -ENOENT no such bucket; -EACCES credentials refused;
 * -ECONNREFUSED/-ETIMEDOUT unreachable; -EPROTO anything else. The
 * server's error code, if any, goes into why (never a secret). */
int s3_head_bucket(const struct s3_conn *c, const char *bucket, char *why, size_t why_len);
/* 0 created or already ours (idempotent). */
int s3_create_bucket(const struct s3_conn *c, const char *bucket, char *why, size_t why_len);
int s3_set_versioning(const struct s3_conn *c, const char *bucket, bool enabled, char *why, size_t why_len);
/* 0 with *enabled set from GetBucketVersioning. */
int s3_get_versioning(const struct s3_conn *c, const char *bucket, bool *enabled, char *why, size_t why_len);
/* PutObject (key: [A-Za-z0-9._/-], no encoding needed), with lib/aws_request's
 * retries; 0 or its errors (-EACCES refused, ...), why says the server's answer. */
int s3_put_object(const struct s3_conn *c, const char *bucket, const char *key, const void *data, size_t len,
		  const char *content_type, char *why, size_t why_len);
#endif
