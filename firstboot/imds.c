#include "firstboot/imds.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMDS_MAX_BODY (1u << 20)   /* user data is at most 16 KiB; be generous, not unbounded */

struct imds {
	struct imds_opts o;
	CURL *curl;
	char *token;
	unsigned long long deadline;   /* monotonic ms */
};

static unsigned long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;
	if (b->len + len > IMDS_MAX_BODY)
		return 0;   /* aborts the transfer: CURLE_WRITE_ERROR */
	buf_append(b, p, len);
	return len;
}

/* One HTTP request; returns the HTTP status, or -1 on a transport error. */
static long request(struct imds *m, const char *method, const char *path, struct buf *body)
{
	char *url = xasprintf("%s/latest/%s", m->o.base_url, path);
	struct curl_slist *hdr = NULL;
	char *h = NULL;
	if (!strcmp(method, "PUT"))
		h = xasprintf("X-aws-ec2-metadata-token-ttl-seconds: %u", m->o.token_ttl);
	else if (m->token)
		h = xasprintf("X-aws-ec2-metadata-token: %s", m->token);
	if (h)
		hdr = curl_slist_append(hdr, h);
	CURL *c = m->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");          /* IMDS is link-local: never via a proxy */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)m->o.request_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)m->o.request_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!strcmp(method, "PUT")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	long code = -1;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	if (h) {
		sodium_memzero(h, strlen(h));
		free(h);
	}
	free(url);
	return code;
}

/* Retry transport errors and 5xx with doubling back-off until the deadline. */
static long request_retry(struct imds *m, const char *method, const char *path, struct buf *body)
{
	unsigned backoff = 100;
	for (;;) {
		body->len = 0;
		long code = request(m, method, path, body);
		if (code >= 200 && code < 500)
			return code;
		if (now_ms() + backoff >= m->deadline)
			return code;
		sleep_ms(backoff);
		backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
	}
}

/* The token goes back in a request header: printable ASCII without spaces
 * (AWS's are base64), or a line break in it would add headers. */
static bool token_ok(const struct buf *b)
{
	if (b->len == 0 || b->len >= 4096)
		return false;
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] <= 0x20 || (unsigned char)b->data[i] >= 0x7f)
			return false;
	return true;
}

static int get_token(struct imds *m)
{
	struct buf b;
	buf_init(&b);
	long code = request_retry(m, "PUT", "api/token", &b);
	int r = 0;
	if (code == 200 && token_ok(&b)) {
		if (m->token) {
			sodium_memzero(m->token, strlen(m->token));
			free(m->token);
		}
		m->token = xstrndup(b.data, b.len);
	} else if (code == 403)
		r = log_error_errno(EACCES, "IMDS refused a session token (403): metadata access is disabled for this instance");
	else if (code < 0 || code >= 500)
		r = log_error_errno(ETIMEDOUT, "IMDS at %s gave no token within %u ms", m->o.base_url, m->o.deadline_ms);
	else if (code == 200)
		r = log_error_errno(EPROTO, "IMDS answered a session token that is not 1 to 4095 printable characters");
	else
		r = log_error_errno(EPROTO, "IMDS token request answered HTTP %ld", code);
	buf_wipe(&b);
	return r;
}

int imds_open(struct imds **out, const struct imds_opts *o)
{
	struct imds *m = xcalloc(1, sizeof *m);
	m->o = *o;
	if (!m->o.base_url)
		m->o.base_url = "http://169.254.169.254";
	if (!m->o.token_ttl || m->o.token_ttl > 21600)
		m->o.token_ttl = 21600;
	if (!m->o.deadline_ms)
		m->o.deadline_ms = 60000;
	if (!m->o.request_timeout_ms)
		m->o.request_timeout_ms = 2000;
	m->deadline = now_ms() + m->o.deadline_ms;
	m->curl = curl_easy_init();
	if (!m->curl) {
		free(m);
		return log_error_errno(ENOMEM, "curl_easy_init failed");
	}
	int r = get_token(m);
	if (r < 0) {
		imds_close(m);
		return r;
	}
	*out = m;
	return 0;
}

int imds_get(struct imds *m, const char *path, struct buf *out)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		long code = request_retry(m, "GET", path, out);
		if (code == 200)
			return 0;
		if (code == 404)
			return -ENOENT;
		if (code == 401 && attempt == 0) {
			/* Token expired or rejected: get a new one, once. */
			int r = get_token(m);
			if (r < 0)
				return r;
			continue;
		}
		if (code < 0 || code >= 500)
			return log_error_errno(ETIMEDOUT, "IMDS GET %s: no answer within %u ms", path, m->o.deadline_ms);
		return log_error_errno(EPROTO, "IMDS GET %s answered HTTP %ld", path, code);
	}
	return log_error_errno(EPROTO, "IMDS GET %s: token refused twice", path);
}

void imds_close(struct imds *m)
{
	if (!m)
		return;
	if (m->curl)
		curl_easy_cleanup(m->curl);
	if (m->token) {
		sodium_memzero(m->token, strlen(m->token));
		free(m->token);
	}
	free(m);
}
