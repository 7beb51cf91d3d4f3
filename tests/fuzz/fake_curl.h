/* A stand-in for libcurl's easy interface, for fuzzing what kiln-firstboot
 * makes of HTTP answers without a network (a loopback server per input
 * would be slow and exhaust ports over millions of runs). The harness
 * queues responses built from the fuzzer's bytes; each curl_easy_perform()
 * delivers the next one through the callbacks the code under test set,
 * as libcurl does: header lines to CURLOPT_HEADERFUNCTION, the body (not for
 * CURLOPT_NOBODY) in chunks of at most CURL_MAX_WRITE_SIZE to
 * CURLOPT_WRITEFUNCTION, a short write ending the transfer. Every request
 * header is checked: a line break in one (header injection) aborts.
 * libcurl's parsing of the wire is libcurl's business and not fuzzed here;
 * curl_slist_* and curl_easy_strerror are the real ones.
 * Include in exactly one harness file, before anything else from curl. */
#ifndef KILN_FUZZ_FAKE_CURL_H
#define KILN_FUZZ_FAKE_CURL_H
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_response {
	long code;                 /* 0: the transfer fails (no answer) */
	const char *headers;       /* "Name: value\n" lines, or NULL */
	size_t headers_len;
	const char *body;
	size_t body_len;
};

#define FAKE_MAX_RESPONSES 16
static struct fake_response fake_q[FAKE_MAX_RESPONSES];
static size_t fake_n, fake_next;

/* What each curl_easy_perform() was asked (unit tests check requests):
 * the method, the URL and the body's length and first bytes. */
struct fake_request {
	char method[16];
	char url[512];
	size_t body_len;
	char body[4096];
	char headers[1024];        /* the request's headers, each line ending in '\n' */
};
static struct fake_request fake_log[FAKE_MAX_RESPONSES];
static size_t fake_logged;

struct fake_handle {
	const char *method, *url, *body;
	long body_len;
	curl_write_callback write, header;
	void *write_data, *header_data;
	const struct curl_slist *req_headers;
	bool nobody;
	long code;
};

/* Split the fuzzer's bytes into responses: per response one byte picks the
 * status (or a failed transfer), two bytes give the body length, then the
 * body; a body starting with "H:" carries header lines up to a blank line. */
static inline void fake_curl_load(const uint8_t *data, size_t size)
{
	static const long codes[] = { 200, 200, 200, 200, 401, 403, 404, 409, 500, 503, 0, 301, 204, 400 };
	fake_n = fake_next = 0;
	while (size >= 3 && fake_n < FAKE_MAX_RESPONSES) {
		struct fake_response *r = &fake_q[fake_n++];
		memset(r, 0, sizeof *r);
		r->code = codes[data[0] % (sizeof codes / sizeof *codes)];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		const char *body = (const char *)data;
		if (len >= 2 && !memcmp(body, "H:", 2)) {
			const char *end = memmem(body + 2, len - 2, "\n\n", 2);
			size_t hl = end ? (size_t)(end - body) - 2 + 1 : len - 2;
			r->headers = body + 2;
			r->headers_len = hl;
			size_t skip = end ? (size_t)(end - body) + 2 : len;
			body += skip;
			len -= skip;
			data += skip;
			size -= skip;
		}
		r->body = body;
		r->body_len = len;
		data += len;
		size -= len;
	}
}

CURL *curl_easy_init(void)
{
	return calloc(1, sizeof(struct fake_handle));
}

void curl_easy_reset(CURL *h)
{
	memset(h, 0, sizeof(struct fake_handle));
}

void curl_easy_cleanup(CURL *h)
{
	free(h);
}

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	struct fake_handle *f = h;
	va_list ap;
	va_start(ap, opt);
	switch (opt) {
	case CURLOPT_WRITEFUNCTION: f->write = va_arg(ap, curl_write_callback); break;
	case CURLOPT_WRITEDATA: f->write_data = va_arg(ap, void *); break;
	case CURLOPT_HEADERFUNCTION: f->header = va_arg(ap, curl_write_callback); break;
	case CURLOPT_HEADERDATA: f->header_data = va_arg(ap, void *); break;
	case CURLOPT_HTTPHEADER: f->req_headers = va_arg(ap, struct curl_slist *); break;
	case CURLOPT_NOBODY: f->nobody = va_arg(ap, long) != 0; break;
	case CURLOPT_URL: f->url = va_arg(ap, const char *); break;
	case CURLOPT_CUSTOMREQUEST: f->method = va_arg(ap, const char *); break;
	case CURLOPT_POSTFIELDS: f->body = va_arg(ap, const char *); break;
	case CURLOPT_POSTFIELDSIZE_LARGE: f->body_len = (long)va_arg(ap, curl_off_t); break;
	default: break;
	}
	va_end(ap);
	return CURLE_OK;
}

static bool fake_deliver(curl_write_callback cb, void *ud, const char *p, size_t n)
{
	while (n) {
		size_t k = n < CURL_MAX_WRITE_SIZE ? n : CURL_MAX_WRITE_SIZE;
		/* libcurl hands out a writable buffer; so do we. */
		char *copy = malloc(k ? k : 1);
		memcpy(copy, p, k);
		size_t took = cb(copy, 1, k, ud);
		free(copy);
		if (took != k)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

CURLcode curl_easy_perform(CURL *h)
{
	struct fake_handle *f = h;
	for (const struct curl_slist *l = f->req_headers; l; l = l->next)
		if (strpbrk(l->data, "\r\n"))
			abort();   /* a request header that would become two */
	if (fake_logged < FAKE_MAX_RESPONSES) {
		struct fake_request *q = &fake_log[fake_logged++];
		snprintf(q->method, sizeof q->method, "%s", f->method ? f->method : f->nobody ? "HEAD" : "GET");
		snprintf(q->url, sizeof q->url, "%s", f->url ? f->url : "");
		q->body_len = f->body && f->body_len > 0 ? (size_t)f->body_len : 0;
		size_t k = q->body_len < sizeof q->body - 1 ? q->body_len : sizeof q->body - 1;
		memcpy(q->body, f->body ? f->body : "", k);
		q->body[k] = 0;
		q->headers[0] = 0;
		for (const struct curl_slist *l = f->req_headers; l; l = l->next) {
			size_t used = strlen(q->headers);
			snprintf(q->headers + used, sizeof q->headers - used, "%s\n", l->data);
		}
	}
	if (fake_next >= fake_n)
		return CURLE_COULDNT_CONNECT;
	const struct fake_response *r = &fake_q[fake_next++];
	if (!r->code)
		return CURLE_OPERATION_TIMEDOUT;
	f->code = r->code;
	if (f->header) {
		char status[32];
		int n = snprintf(status, sizeof status, "HTTP/1.1 %ld X\r\n", r->code);
		if (!fake_deliver(f->header, f->header_data, status, (size_t)n))
			return CURLE_WRITE_ERROR;
		const char *p = r->headers, *end = r->headers ? r->headers + r->headers_len : NULL;
		while (p && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
			if (!fake_deliver(f->header, f->header_data, p, len))
				return CURLE_WRITE_ERROR;
			p += len;
		}
		if (!fake_deliver(f->header, f->header_data, "\r\n", 2))
			return CURLE_WRITE_ERROR;
	}
	if (!f->nobody && f->write && !fake_deliver(f->write, f->write_data, r->body, r->body_len))
		return CURLE_WRITE_ERROR;
	return CURLE_OK;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	struct fake_handle *f = h;
	va_list ap;
	va_start(ap, info);
	CURLcode r = CURLE_UNKNOWN_OPTION;
	if (info == CURLINFO_RESPONSE_CODE) {
		*va_arg(ap, long *) = f->code;
		r = CURLE_OK;
	}
	va_end(ap);
	return r;
}
#endif
