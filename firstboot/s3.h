/* Minimal S3 client for the agent (libcurl, signed by lib/aws_request): the
 * minio role creates its buckets and sets versioning through the S3 API, and
 * the app host's join proves the object store works with HEAD bucket using the
 * app's own credentials. Path-style addressing (http://host:9000/bucket). */
#ifndef KILN_FB_S3_H
#define KILN_FB_S3_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/buf.h"

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
/* The same with object lock (x-amz-bucket-object-lock-enabled: true; the
 * bucket is versioned then). A bucket that already exists stays as it was:
 * S3 and MinIO cannot add the lock to it (lib/s3_objects.h's
 * s3_lock_conf_get tells). */
int s3_create_bucket_locked(const struct s3_conn *c, const char *bucket, char *why, size_t why_len);
int s3_set_versioning(const struct s3_conn *c, const char *bucket, bool enabled, char *why, size_t why_len);
/* 0 with *enabled set from GetBucketVersioning. */
int s3_get_versioning(const struct s3_conn *c, const char *bucket, bool *enabled, char *why, size_t why_len);
/* PutBucketReplication's XML for bucket into the remote target arn
 * (firstboot/minio_replication.h says which rule and why). */
void s3_replication_xml(const char *bucket, const char *arn, struct buf *out);
/* PutBucketReplication (with Content-MD5), one attempt: MinIO checks the
 * bucket is versioned (InvalidRequest otherwise), the ARN is a target it
 * knows and reaches, and the remote bucket is versioned. */
int s3_put_replication(const struct s3_conn *c, const char *bucket, const char *arn, char *why, size_t why_len);
/* PutObject (key: [A-Za-z0-9._/-], no encoding needed), with lib/aws_request's
 * retries; 0 or its errors (-EACCES refused, ...), why says the server's answer. */
int s3_put_object(const struct s3_conn *c, const char *bucket, const char *key, const void *data, size_t len,
		  const char *content_type, char *why, size_t why_len);

/* A streaming upload of one object whose size is not known in advance (a
 * backup), in constant memory: bytes are gathered into parts; an object that
 * ends within the first part is one PutObject, a larger one a multipart
 * upload (CreateMultipartUpload, UploadPart per part, each with
 * lib/aws_request's retries, CompleteMultipartUpload). Parts are part_size
 * bytes (default S3_PART_SIZE; S3 refuses parts under 5 MiB but the last, so
 * smaller sizes are for tests), growing by part_size every 1000 parts so the
 * 10000 parts S3 allows hold at least 55 times part_size x 1000 (440 GB at the
 * default). The object exists only once s3_upload_finish returned 0; an
 * upload freed before that is aborted (AbortMultipartUpload, best effort).
 * Errors are those of s3_put_object; s3_upload_why says the server's answer.
 * Does not log. */
#define S3_PART_SIZE (8u << 20)
#define S3_MAX_PARTS 10000u
struct s3_upload;
int s3_upload_begin(struct s3_upload **u, const struct s3_conn *c, const char *bucket, const char *key,
		    const char *content_type, size_t part_size);
int s3_upload_write(struct s3_upload *u, const void *data, size_t len);
/* For lib/backup_object.h's writer: ud is the struct s3_upload *. */
int s3_upload_sink(void *ud, const void *data, size_t len);
/* *bytes (may be NULL): the object's size. */
int s3_upload_finish(struct s3_upload *u, unsigned long long *bytes);
const char *s3_upload_why(const struct s3_upload *u);
/* Frees u (aborting an unfinished multipart upload). */
void s3_upload_free(struct s3_upload *u);
static inline void s3_upload_freep(struct s3_upload **u) { s3_upload_free(*u); }
#endif
