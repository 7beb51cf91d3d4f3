#include "firstboot/s3.h"
#include "lib/aws_request.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
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
static int s3_call(const struct s3_conn *c, const char *method, const char *bucket, const char *query,
		   const char *body, long *http, struct buf *resp, char *why, size_t why_len)
{
	/* Borrowed keys: aws_creds_free is never called on this. */
	struct aws_creds creds = { .access_key = (char *)c->access_key, .secret_key = (char *)c->secret_key };
	struct aws_service svc = { .endpoint = c->endpoint, .region = c->region ? c->region : "us-east-1",
				   .service = "s3", .creds = &creds };
	char *path = xasprintf("/%s", bucket);
	struct aws_req req = { .method = method, .path = path, .query = query, .body = body,
			       .body_len = body ? strlen(body) : 0,
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

int s3_create_bucket(const struct s3_conn *c, const char *bucket, char *why, size_t why_len)
{
	struct buf resp;
	buf_init(&resp);
	long http = 0;
	int r = s3_call(c, "PUT", bucket, NULL, NULL, &http, &resp, why, why_len);
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
