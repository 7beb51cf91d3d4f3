/* One HTTP(S) GET for the agent's own probes (the app's health URL, nginx's
 * status page, the local Prometheus API): libcurl, no proxy, a deadline,
 * optionally TLS with a CA and a client certificate. Does not log. */
#ifndef KILN_FB_HTTP_GET_H
#define KILN_FB_HTTP_GET_H
#include <stddef.h>
#include "lib/buf.h"

struct http_tls {
	const char *ca_file;       /* trust only this CA */
	const char *cert_file, *key_file;   /* client certificate, or NULL */
};

/* 0 with the status in *code and up to max bytes of the body appended to
 * out (more is -EFBIG); -ECONNREFUSED, -ETIMEDOUT, -ECONNRESET (the peer
 * closed the connection without an answer) or -EIO when no answer came,
 * with libcurl's reason in why. */
int http_get(const char *url, const struct http_tls *tls, unsigned timeout_ms, size_t max, struct buf *out,
	     long *code, char *why, size_t why_len);
#endif
