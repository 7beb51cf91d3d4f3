#include "firstboot/s3.h"
#include "lib/aws_request.h"
#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <openssl/evp.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pull <Code>...</Code> out of an S3 XML error body for the message, which
 * becomes a step's reason on the console: printable ASCII only. */
static void s3_error_code(const struct buf *b, char *why, size_t why_len, long http)
{
	const char *s = b->data ? strstr(b->data, "<Code>") : NULL;
	const char *e = s ? strstr(s, "</Code>") : NULL;
	char code[64] = "";
	if (s && e && e - s - 6 < (ptrdiff_t)sizeof code) {
		size_t n = (size_t)(e - s - 6);
		for (size_t i = 0; i < n; i++)
			code[i] = (unsigned char)s[6 + i] >= 0x20 && (unsigned char)s[6 + i] < 0x7f ? s[6 + i] : '?';
		code[n] = '\0';
	}
	snprintf(why, why_len, "HTTP %ld%s%s", http, *code ? " " : "", code);
}

/* One attempt (the callers have their own deadlines and back-off), signed
 * by lib/aws_request like every other AWS-style call kiln makes. */
static int s3_call_h(const struct s3_conn *c, const char *method, const char *bucket, const char *query,
		     const char *const *headers, const char *body, long *http, struct buf *resp, char *why, size_t why_len)
{
	/* Borrowed keys: aws_creds_free is never called on this. */
	struct aws_creds creds = { .access_key = (char *)c->access_key, .secret_key = (char *)c->secret_key };
	struct aws_service svc = { .endpoint = c->endpoint, .region = c->region ? c->region : "us-east-1",
				   .service = "s3", .creds = &creds };
	char *path = xasprintf("/%s", bucket);
	struct aws_req req = { .method = method, .path = path, .query = query, .body = body,
			       .body_len = body ? strlen(body) : 0, .headers = headers,
			       .content_type = body ? "application/xml" : NULL };
	struct aws_call call;
	int r = aws_call_setup(&call, &svc, &req);
	free(path);
	if (r < 0) {
		aws_call_cleanup(&call);
		snprintf(why, why_len, "cannot set up the request");
		return r;
	}
	long t = c->timeout_ms ? (long)c->timeout_ms : 5000L;
	curl_easy_setopt(call.h, CURLOPT_TIMEOUT_MS, t);
	curl_easy_setopt(call.h, CURLOPT_CONNECTTIMEOUT_MS, t);
	curl_easy_setopt(call.h, CURLOPT_NOPROXY, "*");
	CURLcode cr = curl_easy_perform(call.h);
	if (cr == CURLE_OK) {
		curl_easy_getinfo(call.h, CURLINFO_RESPONSE_CODE, http);
		buf_append(resp, call.resp.data ? call.resp.data : "", call.resp.len);
	} else {
		snprintf(why, why_len, "%s", curl_easy_strerror(cr));
		r = cr == CURLE_COULDNT_CONNECT ? -ECONNREFUSED
		  : cr == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH;
	}
	aws_call_cleanup(&call);
	return r;
}

static int s3_call(const struct s3_conn *c, const char *method, const char *bucket, const char *query,
		   const char *body, long *http, struct buf *resp, char *why, size_t why_len)
{
	return s3_call_h(c, method, bucket, query, NULL, body, http, resp, why, why_len);
}

static int classify(long http, const struct buf *resp, char *why, size_t why_len)
{
	if (http >= 200 && http < 300)
		return 0;
	s3_error_code(resp, why, why_len, http);
	if (http == 404)
		return -ENOENT;
	if (http == 403 || http == 401)
		return -EACCES;
	return -EPROTO;
}

int s3_head_bucket(const struct s3_conn *c, const char *bucket, char *why, size_t why_len)
{
	struct buf resp;
	buf_init(&resp);
	long http = 0;
	int r = s3_call(c, "HEAD", bucket, NULL, NULL, &http, &resp, why, why_len);
	if (r == 0)
		r = classify(http, &resp, why, why_len);
	buf_free(&resp);
	return r;
}

static int create_bucket(const struct s3_conn *c, const char *bucket, const char *const *headers, char *why,
			 size_t why_len)
{
	struct buf resp;
	buf_init(&resp);
	long http = 0;
	int r = s3_call_h(c, "PUT", bucket, NULL, headers, NULL, &http, &resp, why, why_len);
	if (r == 0) {
		/* Re-running first boot must not fail on a bucket it made before. */
		if (http == 409 && resp.data && strstr(resp.data, "BucketAlreadyOwnedByYou"))
			r = 0;
		else
			r = classify(http, &resp, why, why_len);
	}
	buf_free(&resp);
	return r;
}

int s3_create_bucket(const struct s3_conn *c, const char *bucket, char *why, size_t why_len)
{
	return create_bucket(c, bucket, NULL, why, why_len);
}

int s3_create_bucket_locked(const struct s3_conn *c, const char *bucket, char *why, size_t why_len)
{
	static const char *const lock[] = { "x-amz-bucket-object-lock-enabled: true", NULL };
	return create_bucket(c, bucket, lock, why, why_len);
}

int s3_set_versioning(const struct s3_conn *c, const char *bucket, bool enabled, char *why, size_t why_len)
{
	char body[256];
	snprintf(body, sizeof body,
		 "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		 "<Status>%s</Status></VersioningConfiguration>", enabled ? "Enabled" : "Suspended");
	struct buf resp;
	buf_init(&resp);
	long http = 0;
	int r = s3_call(c, "PUT", bucket, "versioning=", body, &http, &resp, why, why_len);
	if (r == 0)
		r = classify(http, &resp, why, why_len);
	buf_free(&resp);
	return r;
}

int s3_get_versioning(const struct s3_conn *c, const char *bucket, bool *enabled, char *why, size_t why_len)
{
	struct buf resp;
	buf_init(&resp);
	long http = 0;
	int r = s3_call(c, "GET", bucket, "versioning=", NULL, &http, &resp, why, why_len);
	if (r == 0)
		r = classify(http, &resp, why, why_len);
	if (r == 0)
		*enabled = resp.data && strstr(resp.data, "<Status>Enabled</Status>");
	buf_free(&resp);
	return r;
}

void s3_replication_xml(const char *bucket, const char *arn, struct buf *out)
{
	/* MinIO's form: the target's ARN as the destination, no Role (a Role
	 * with an ARN destination is refused). Delete markers replicate (the
	 * remote shows what the app deleted); deletes of a version do not (MinIO's
	 * DeleteReplication off): what the app's key removes for good stays on
	 * the remote. Objects that existed before the rule are copied too. */
	buf_puts(out, "<ReplicationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Role></Role><Rule><ID>kiln-");
	buf_puts(out, bucket);
	buf_puts(out, "</ID><Status>Enabled</Status><Priority>1</Priority>"
		      "<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>"
		      "<DeleteReplication><Status>Disabled</Status></DeleteReplication>"
		      "<Filter><Prefix></Prefix></Filter><Destination><Bucket>");
	buf_puts(out, arn);
	buf_puts(out, "</Bucket></Destination>"
		      "<ExistingObjectReplication><Status>Enabled</Status></ExistingObjectReplication>"
		      "</Rule></ReplicationConfiguration>");
}

int s3_put_replication(const struct s3_conn *c, const char *bucket, const char *arn, char *why, size_t why_len)
{
	struct buf body, md5b64, resp;
	buf_init(&body);
	buf_init(&md5b64);
	buf_init(&resp);
	s3_replication_xml(bucket, arn, &body);
	/* Content-MD5, as S3 requires on PutBucketReplication */
	unsigned char md5[EVP_MAX_MD_SIZE];
	unsigned md5_len = 0;
	int r = EVP_Digest(body.data, body.len, md5, &md5_len, EVP_md5(), NULL) == 1 ? 0 : -EIO;
	long http = 0;
	if (r < 0)
		snprintf(why, why_len, "cannot compute Content-MD5");
	else {
		buf_puts(&md5b64, "Content-MD5: ");
		b64_append(&md5b64, md5, md5_len);
		const char *const headers[] = { md5b64.data, NULL };
		r = s3_call_h(c, "PUT", bucket, "replication=", headers, body.data, &http, &resp, why, why_len);
	}
	if (r == 0)
		r = classify(http, &resp, why, why_len);
	buf_free(&body);
	buf_free(&md5b64);
	buf_free(&resp);
	return r;
}

int s3_put_object(const struct s3_conn *c, const char *bucket, const char *key, const void *data, size_t len,
		  const char *content_type, char *why, size_t why_len)
{
	struct aws_creds creds = { .access_key = (char *)c->access_key, .secret_key = (char *)c->secret_key };
	struct aws_service svc = { .endpoint = c->endpoint, .region = c->region ? c->region : "us-east-1",
				   .service = "s3", .creds = &creds };
	char *path = xasprintf("/%s/%s", bucket, key);
	struct aws_req req = { .method = "PUT", .path = path, .body = data, .body_len = len, .content_type = content_type };
	int r = aws_request(&svc, &req, "PutObject", NULL, why, why_len);
	free(path);
	return r;
}

struct s3_upload {
	struct s3_conn conn;
	char *bucket, *key, *path, *content_type;
	size_t part_size;
	uint8_t *buf;
	size_t len, cap;            /* bytes gathered for the next part, its size */
	char *upload_id;            /* multipart only, URI-encoded for the query */
	char **etags;               /* per part sent */
	unsigned parts;
	unsigned long long total;
	int error;                  /* sticky: after a failure every call returns it */
	bool finished;
	char why[300];
};

static int upload_call(struct s3_upload *u, const char *method, const char *query, const void *body, size_t len,
		       const char *content_type, const char *what, struct buf *resp, char *etag, size_t etag_len)
{
	struct aws_creds creds = { .access_key = (char *)u->conn.access_key, .secret_key = (char *)u->conn.secret_key };
	struct aws_service svc = { .endpoint = u->conn.endpoint, .region = u->conn.region ? u->conn.region : "us-east-1",
				   .service = "s3", .creds = &creds };
	struct aws_req req = { .method = method, .path = u->path, .query = query, .body = body, .body_len = len,
			       .content_type = content_type, .etag_out = etag, .etag_len = etag_len };
	char why[sizeof u->why - 40];
	int r = aws_request(&svc, &req, what, resp, why, sizeof why);
	if (r < 0)
		snprintf(u->why, sizeof u->why, "%s: %s", what, why);
	return r;
}

/* The text between <tag> and </tag> of an S3 XML answer, if it is printable
 * and short. */
static char *xml_value(const struct buf *b, const char *tag)
{
	char open[64], close[64];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *s = b->data ? strstr(b->data, open) : NULL;
	const char *e = s ? strstr(s, close) : NULL;
	if (!e)
		return NULL;
	s += strlen(open);
	if (e - s < 1 || e - s > 1024)
		return NULL;
	for (const char *p = s; p < e; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '&')
			return NULL;
	return xstrndup(s, (size_t)(e - s));
}

int s3_upload_begin(struct s3_upload **out, const struct s3_conn *c, const char *bucket, const char *key,
		    const char *content_type, size_t part_size)
{
	*out = NULL;
	if (!bucket || !*bucket || !key || !*key)
		return -EINVAL;
	struct s3_upload *u = xcalloc(1, sizeof *u);
	u->conn = *c;
	u->bucket = xstrdup(bucket);
	u->key = xstrdup(key);
	u->path = xasprintf("/%s/%s", bucket, key);
	u->content_type = xstrdup(content_type ? content_type : "application/octet-stream");
	u->part_size = part_size ? part_size : S3_PART_SIZE;
	u->cap = u->part_size;
	u->buf = xmalloc(u->cap);
	*out = u;
	return 0;
}

static int upload_part(struct s3_upload *u)
{
	if (u->parts == S3_MAX_PARTS) {
		snprintf(u->why, sizeof u->why, "the object needs more than %u parts", S3_MAX_PARTS);
		return -EFBIG;
	}
	int r;
	if (!u->upload_id) {
		struct buf resp;
		buf_init(&resp);
		r = upload_call(u, "POST", "uploads=", NULL, 0, u->content_type, "CreateMultipartUpload", &resp, NULL, 0);
		char *id = r == 0 ? xml_value(&resp, "UploadId") : NULL;
		buf_free(&resp);
		if (r == 0 && !id) {
			snprintf(u->why, sizeof u->why, "CreateMultipartUpload: no upload id in the answer");
			return -EPROTO;
		}
		if (r < 0)
			return r;
		struct buf enc;
		buf_init(&enc);
		aws_uri_encode(&enc, id);
		free(id);
		u->upload_id = enc.data;
	}
	char *query = xasprintf("partNumber=%u&uploadId=%s", u->parts + 1, u->upload_id), etag[128] = "";
	r = upload_call(u, "PUT", query, u->buf, u->len, NULL, "UploadPart", NULL, etag, sizeof etag);
	free(query);
	if (r == 0 && !*etag) {
		snprintf(u->why, sizeof u->why, "UploadPart %u: no ETag in the answer", u->parts + 1);
		r = -EPROTO;
	}
	if (r < 0)
		return r;
	u->etags = xrealloc(u->etags, (u->parts + 1) * sizeof *u->etags);
	u->etags[u->parts++] = xstrdup(etag);
	u->len = 0;
	/* bigger parts as the object grows: 10000 of them must hold it */
	size_t want = u->part_size * (1 + u->parts / 1000);
	if (want > u->cap) {
		free(u->buf);
		u->buf = xmalloc(want);
		u->cap = want;
	}
	return 0;
}

int s3_upload_write(struct s3_upload *u, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (u->error)
		return u->error;
	if (u->finished)
		return -EINVAL;
	while (len) {
		size_t k = u->cap - u->len < len ? u->cap - u->len : len;
		memcpy(u->buf + u->len, p, k);
		u->len += k;
		u->total += k;
		p += k;
		len -= k;
		/* a full part goes out only when more follows: the last part
		 * (or a one-part object's PutObject) is finish's */
		if (u->len == u->cap && len) {
			int r = upload_part(u);
			if (r < 0)
				return u->error = r;
		}
	}
	return 0;
}

int s3_upload_sink(void *ud, const void *data, size_t len)
{
	return s3_upload_write(ud, data, len);
}

int s3_upload_finish(struct s3_upload *u, unsigned long long *bytes)
{
	if (u->error)
		return u->error;
	if (u->finished)
		return -EINVAL;
	int r;
	if (!u->upload_id && !u->parts) {
		r = upload_call(u, "PUT", NULL, u->buf, u->len, u->content_type, "PutObject", NULL, NULL, 0);
	} else if ((r = upload_part(u)) == 0) {
		struct buf body, resp;
		buf_init(&body);
		buf_init(&resp);
		buf_puts(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
		for (unsigned i = 0; i < u->parts; i++)
			buf_printf(&body, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", i + 1, u->etags[i]);
		buf_puts(&body, "</CompleteMultipartUpload>");
		char *query = xasprintf("uploadId=%s", u->upload_id);
		r = upload_call(u, "POST", query, body.data, body.len, "application/xml", "CompleteMultipartUpload", &resp,
				NULL, 0);
		free(query);
		/* S3 may answer 200 and still fail the completion in the body */
		if (r == 0 && (!resp.data || !strstr(resp.data, "<CompleteMultipartUploadResult"))) {
			char code[80] = "";
			s3_error_code(&resp, code, sizeof code, 200);
			snprintf(u->why, sizeof u->why, "CompleteMultipartUpload: %s", code);
			r = -EPROTO;
		}
		buf_free(&body);
		buf_free(&resp);
	}
	if (r < 0)
		return u->error = r;
	u->finished = true;
	if (bytes)
		*bytes = u->total;
	return 0;
}

const char *s3_upload_why(const struct s3_upload *u)
{
	return u->why;
}

void s3_upload_free(struct s3_upload *u)
{
	if (!u)
		return;
	if (u->upload_id && !u->finished) {
		/* parts of an upload never completed cost storage until aborted */
		char *query = xasprintf("uploadId=%s", u->upload_id), keep[sizeof u->why];
		memcpy(keep, u->why, sizeof keep);
		upload_call(u, "DELETE", query, NULL, 0, NULL, "AbortMultipartUpload", NULL, NULL, 0);
		memcpy(u->why, keep, sizeof keep);
		free(query);
	}
	for (unsigned i = 0; i < u->parts; i++)
		free(u->etags[i]);
	free(u->etags);
	free(u->buf);
	free(u->upload_id);
	free(u->bucket);
	free(u->key);
	free(u->path);
	free(u->content_type);
	free(u);
}
