#include "firstboot/s3.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;
	if (b->len < 64 * 1024)
		buf_append(b, p, len);
	return len;
}

/* Pull <Code>...</Code> out of an S3 XML error body for the message. */
static void s3_error_code(const struct buf *b, char *why, size_t why_len, long http)
{
	const char *s = b->data ? strstr(b->data, "<Code>") : NULL;
	const char *e = s ? strstr(s, "</Code>") : NULL;
	if (s && e && e - s - 6 < 64)
		snprintf(why, why_len, "HTTP %ld %.*s", http, (int)(e - s - 6), s + 6);
	else
		snprintf(why, why_len, "HTTP %ld", http);
}

static int s3_call(const struct s3_conn *c, const char *method, const char *bucket, const char *query,
		   const char *body, long *http, struct buf *resp, char *why, size_t why_len)
{
	CURL *h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	char *url = xasprintf("%s/%s%s%s", c->endpoint, bucket, query ? "?" : "", query ? query : "");
	char *sigv4 = xasprintf("aws:amz:%s:s3", c->region ? c->region : "us-east-1");
	char *userpwd = xasprintf("%s:%s", c->access_key, c->secret_key);
	struct curl_slist *hdr = NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	long t = c->timeout_ms ? (long)c->timeout_ms : 5000L;
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, t);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, t);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		hdr = curl_slist_append(hdr, "Content-Type: application/xml");
	}
	/* The payload hash is part of the signature S3 servers check. */
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)(body ? body : ""), body ? strlen(body) : 0);
	char hex[2 * sizeof digest + 1];
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	char *sha = xasprintf("x-amz-content-sha256: %s", hex);
	hdr = curl_slist_append(hdr, sha);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	CURLcode cr = curl_easy_perform(h);
	int r = 0;
	if (cr == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
	else {
		snprintf(why, why_len, "%s", curl_easy_strerror(cr));
		r = cr == CURLE_COULDNT_CONNECT ? -ECONNREFUSED
		  : cr == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	sodium_memzero(userpwd, strlen(userpwd));
	free(userpwd);
	free(sigv4);
	free(url);
	free(sha);
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
