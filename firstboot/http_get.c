/* See http_get.h. */
#include "firstboot/http_get.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct sink {
	struct buf *out;
	size_t max;
	bool over;
};

static size_t collect(char *p, size_t s, size_t n, void *ud)
{
	struct sink *k = ud;
	if (k->out->len + s * n > k->max) {
		k->over = true;
		return 0;
	}
	buf_append(k->out, p, s * n);
	return s * n;
}

int http_get(const char *url, const struct http_tls *tls, unsigned timeout_ms, size_t max, struct buf *out,
	     long *code, char *why, size_t why_len)
{
	char err[CURL_ERROR_SIZE] = "";
	struct sink k = { out, max, false };
	CURL *c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	if (tls && tls->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca_file);
	if (tls && tls->cert_file) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, tls->cert_file);
		curl_easy_setopt(c, CURLOPT_SSLKEY, tls->key_file);
	}
	CURLcode cc = curl_easy_perform(c);
	*code = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(c);
	if (k.over)
		return -EFBIG;
	if (cc != CURLE_OK) {
		snprintf(why, why_len, "%s", err[0] ? err : curl_easy_strerror(cc));
		switch (cc) {
		case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
		case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
		case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: return -ECONNRESET;
		default: return -EIO;
		}
	}
	return 0;
}
