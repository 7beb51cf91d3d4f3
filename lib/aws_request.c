/* SigV4 requests through libcurl; see aws_request.h. */
#include "lib/aws_request.h"
#include "lib/aws_sigv4.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RESP_MAX (64 * 1024)

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct aws_call *c = ud;
	size_t len = size * n;
	if (c->resp.len < RESP_MAX)
		buf_append(&c->resp, p, len < RESP_MAX - c->resp.len ? len : RESP_MAX - c->resp.len);
	return len;
}

/* Keeps x-amzn-ErrorType (REST-JSON services name the error there). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct aws_call *c = ud;
	size_t len = size * n;
	static const char name[] = "x-amzn-errortype:", etag[] = "etag:";
	if (len > sizeof etag - 1 && !strncasecmp(p, etag, sizeof etag - 1)) {
		const char *v = p + sizeof etag - 1;
		size_t vl = len - (sizeof etag - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		bool clean = vl < sizeof c->etag;
		for (size_t k = 0; k < vl && clean; k++)
			clean = v[k] >= 0x20 && v[k] < 0x7f && v[k] != '<' && v[k] != '>' && v[k] != '&';
		c->etag[0] = 0;
		if (clean) {
			memcpy(c->etag, v, vl);
			c->etag[vl] = 0;
		}
	}
	if (len > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
		const char *v = p + sizeof name - 1;
		size_t vl = len - (sizeof name - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		size_t k = 0;
		/* "Code:http://internal.amazon.com/..." carries a suffix after ':'. */
		while (k < vl && k + 1 < sizeof c->error_type && v[k] > 0x20 && v[k] < 0x7f && v[k] != ':')
			k++;
		memcpy(c->error_type, v, k);
		c->error_type[k] = 0;
	}
	return len;
}

void aws_uri_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~')
			buf_putc(out, (char)*p);
		else {
			buf_putc(out, '%');
			buf_putc(out, hex[*p >> 4]);
			buf_putc(out, hex[*p & 15]);
		}
	}
}

/* "host[:port]" of an endpoint URL. */
static char *endpoint_host(const char *endpoint)
{
	const char *p = strstr(endpoint, "://");
	p = p ? p + 3 : endpoint;
	return xstrndup(p, strcspn(p, "/?#"));
}

int aws_call_setup(struct aws_call *c, const struct aws_service *s, const struct aws_req *r)
{
	memset(c, 0, sizeof *c);
	buf_init(&c->resp);
	c->h = curl_easy_init();
	if (!c->h)
		return -ENOMEM;
	c->url = xasprintf("%s%s%s%s", s->endpoint, r->path, r->query ? "?" : "", r->query ? r->query : "");
	CURL *h = c->h;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	/* A stalled connection is cut (and retried) instead of hanging forever. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_error);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	if (!strcmp(r->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
		/* POSTFIELDS with an explicit size: binary bodies; an empty POST
		 * still sends Content-Length: 0. */
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}

	/* The signed headers, sent exactly as signed (Host included). */
	char date[17], payload[65];
	aws_amz_date((long long)time(NULL), date);
	if (r->unsigned_payload)
		snprintf(payload, sizeof payload, "UNSIGNED-PAYLOAD");
	else {
		uint8_t d[32];
		crypto_hash_sha256(d, r->body ? r->body : (const void *)"", r->body_len);
		sodium_bin2hex(payload, sizeof payload, d, sizeof d);
	}
	size_t n_extra = 0;
	for (const char *const *p = r->headers; p && *p; p++)
		n_extra++;
	char **sig = xcalloc(n_extra + 6, sizeof *sig);
	size_t n = 0;
	char *host = endpoint_host(s->endpoint);
	sig[n++] = xasprintf("Host: %s", host);
	free(host);
	sig[n++] = xasprintf("x-amz-date: %s", date);
	if (r->content_type)
		sig[n++] = xasprintf("Content-Type: %s", r->content_type);
	/* S3 checks the payload hash header on every request. */
	if (r->unsigned_payload || !strcmp(s->service, "s3"))
		sig[n++] = xasprintf("x-amz-content-sha256: %s", payload);
	if (s->creds->session_token)
		sig[n++] = xasprintf("x-amz-security-token: %s", s->creds->session_token);
	for (const char *const *p = r->headers; p && *p; p++)
		sig[n++] = xstrdup(*p);
	struct aws_sigv4 sv = { .method = r->method, .path = r->path, .query = r->query, .region = s->region, .service = s->service,
				.access_key = s->creds->access_key, .secret_key = s->creds->secret_key,
				.amz_date = date, .payload_sha256 = payload, .headers = (const char *const *)sig };
	struct buf auth;
	buf_init(&auth);
	buf_puts(&auth, "Authorization: ");
	int e = aws_sigv4_authorization(&sv, &auth);
	struct curl_slist *l = NULL;
	for (size_t i = 0; i < n; i++) {
		l = curl_slist_append(l, sig[i]);
		sodium_memzero(sig[i], strlen(sig[i]));   /* may be the session token */
		free(sig[i]);
	}
	free(sig);
	l = curl_slist_append(l, auth.data);
	buf_free(&auth);
	/* Unsigned headers libcurl would add on its own: none of them wanted. */
	if (!r->content_type)
		l = curl_slist_append(l, "Content-Type:");
	l = curl_slist_append(l, "Expect:");
	l = curl_slist_append(l, "Accept:");
	c->hdr = l;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	return e;
}

void aws_call_cleanup(struct aws_call *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	if (c->hdr) {
		/* The list may hold the session token. */
		for (struct curl_slist *p = c->hdr; p; p = p->next)
			sodium_memzero(p->data, strlen(p->data));
		curl_slist_free_all(c->hdr);
	}
	free(c->url);
	buf_free(&c->resp);
	memset(c, 0, sizeof *c);
}

bool aws_is_throttling(const char *code)
{
	static const char *const codes[] = {
		"ThrottlingException", "RequestThrottledException", "RequestLimitExceeded", "Throttling",
		"ThrottledException", "TooManyRequestsException", "SlowDown", "RequestThrottled",
	};
	for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

/* Copies the text between open and close in s (printable ASCII only). */
static bool extract(const char *s, const char *open, const char *close, char *out, size_t len)
{
	const char *a = s ? strstr(s, open) : NULL;
	if (!a)
		return false;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b)
		return false;
	size_t k = 0;
	for (; a < b && k + 1 < len; a++)
		if (*a >= 0x20 && *a < 0x7f)
			out[k++] = *a;
	out[k] = 0;
	return k > 0;
}

/* The error code: x-amzn-ErrorType, a JSON "__type", EC2/S3's <Code>, or
 * the JSON "Code" of MinIO's admin API. */
static void error_code(const struct aws_call *c, char *out, size_t len)
{
	out[0] = 0;
	if (c->error_type[0])
		snprintf(out, len, "%s", c->error_type);
	else if (!extract(c->resp.data, "\"__type\":\"", "\"", out, len) &&
		 !extract(c->resp.data, "\"__type\": \"", "\"", out, len) &&
		 !extract(c->resp.data, "<Code>", "</Code>", out, len))
		extract(c->resp.data, "\"Code\":\"", "\"", out, len);
	char *hash = strrchr(out, '#');   /* "com.amazon...#ThrottlingException" */
	if (hash)
		memmove(out, hash + 1, strlen(hash));
}

enum aws_outcome aws_call_outcome(struct aws_call *c, CURLcode cc, long *http)
{
	*http = 0;
	if (cc != CURLE_OK) {
		switch (cc) {
		case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT: case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
		case CURLE_COULDNT_RESOLVE_HOST: case CURLE_SSL_CONNECT_ERROR: case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			return AWS_RETRY;
		default:
			return AWS_FAILED;
		}
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, http);
	if (*http >= 200 && *http < 300)
		return AWS_DONE;
	if (*http >= 500 || *http == 429)
		return AWS_RETRY;
	char code[96];
	error_code(c, code, sizeof code);
	return aws_is_throttling(code) ? AWS_RETRY : AWS_FAILED;
}

void aws_call_reason(const struct aws_call *c, CURLcode cc, long http, char *out, size_t len)
{
	if (cc != CURLE_OK) {
		snprintf(out, len, "%s", c->curl_error[0] ? c->curl_error : curl_easy_strerror(cc));
		return;
	}
	char code[96], msg[256] = "";
	error_code(c, code, sizeof code);
	const char *s = c->resp.data;
	if (!extract(s, "\"message\":\"", "\"", msg, sizeof msg) && !extract(s, "\"message\": \"", "\"", msg, sizeof msg) &&
	    !extract(s, "\"Message\":\"", "\"", msg, sizeof msg) && !extract(s, "\"Message\": \"", "\"", msg, sizeof msg))
		extract(s, "<Message>", "</Message>", msg, sizeof msg);
	snprintf(out, len, "HTTP %ld%s%s%s%s", http, code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

unsigned aws_max_attempts(void)
{
	static bool warned;
	const char *v = getenv("AWS_MAX_ATTEMPTS");
	uint64_t n;
	if (!v || !*v)
		return AWS_MAX_ATTEMPTS;
	if (parse_u64(v, 1, AWS_MAX_ATTEMPTS_LIMIT, &n) == 0)
		return (unsigned)n;
	if (!warned)
		log_warn("AWS_MAX_ATTEMPTS=%s is not 1..%u: %u attempts per request", v, AWS_MAX_ATTEMPTS_LIMIT,
			 AWS_MAX_ATTEMPTS);
	warned = true;
	return AWS_MAX_ATTEMPTS;
}

unsigned aws_backoff_ms(unsigned attempt)
{
	unsigned d = 200;
	for (unsigned i = 2; i < attempt && d < 10000; i++)
		d *= 2;
	if (d > 10000)
		d = 10000;
	return d / 2 + randombytes_uniform(d / 2 + 1);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void aws_redact(char *s, const char *word)
{
	size_t n = word ? strlen(word) : 0;
	for (char *p = n ? strstr(s, word) : NULL; p; p = strstr(p + n, word))
		memset(p, '*', n);
}

int aws_request(const struct aws_service *s, const struct aws_req *r, const char *what, struct buf *resp,
		char *why, size_t why_len)
{
	unsigned max = aws_max_attempts();
	for (unsigned attempt = 1;; attempt++) {
		struct aws_call c;
		int e = aws_call_setup(&c, s, r);
		if (e < 0) {
			aws_call_cleanup(&c);
			snprintf(why, why_len, "cannot set up the request");
			return e;
		}
		CURLcode cc = curl_easy_perform(c.h);
		long http;
		enum aws_outcome o = aws_call_outcome(&c, cc, &http);
		if (o == AWS_DONE) {
			if (resp)
				buf_append(resp, c.resp.data ? c.resp.data : "", c.resp.len);
			if (r->etag_out && r->etag_len)
				snprintf(r->etag_out, r->etag_len, "%s", strlen(c.etag) < r->etag_len ? c.etag : "");
			aws_call_cleanup(&c);
			return 0;
		}
		aws_call_reason(&c, cc, http, why, why_len);
		aws_call_cleanup(&c);
		aws_redact(why, r->redact);
		if (o == AWS_RETRY && attempt < max) {
			unsigned ms = aws_backoff_ms(attempt + 1);
			log_warn("%s: %s; retrying in %u ms (attempt %u of %u)", what, why, ms, attempt + 1, max);
			sleep_ms(ms);
			continue;
		}
		if (cc == CURLE_COULDNT_CONNECT)
			return -ECONNREFUSED;
		if (cc == CURLE_OPERATION_TIMEDOUT)
			return -ETIMEDOUT;
		if (cc != CURLE_OK)
			return -EIO;
		return http == 401 || http == 403 ? -EACCES : -EPROTO;
	}
}
