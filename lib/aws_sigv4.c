/* SigV4 signing; see aws_sigv4.h and AWS's "Create a signed AWS API request". */
#include "lib/aws_sigv4.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hdr {
	char *name, *value;
};

static int hdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

static void hmac(const void *key, size_t key_len, const char *msg, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, d, n);
}

void aws_amz_date(long long t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int aws_sigv4_authorization(const struct aws_sigv4 *s, struct buf *out)
{
	if (strlen(s->amz_date) != 16)
		return -EINVAL;
	size_t n = 0;
	for (const char *const *p = s->headers; p && *p; p++)
		n++;
	struct hdr *h = xcalloc(n + 1, sizeof *h);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		const char *line = s->headers[i], *colon = strchr(line, ':');
		if (!colon) {
			r = -EINVAL;
			n = i;
			goto out;
		}
		h[i].name = xstrndup(line, (size_t)(colon - line));
		for (char *c = h[i].name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		/* Trimmed, inner runs of spaces collapsed to one. */
		struct buf v;
		buf_init(&v);
		const char *p = colon + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		for (; *p; p++) {
			if (*p == ' ' || *p == '\t') {
				while (p[1] == ' ' || p[1] == '\t')
					p++;
				if (p[1])
					buf_putc(&v, ' ');
				continue;
			}
			buf_putc(&v, *p);
		}
		h[i].value = v.len ? buf_steal(&v) : xstrdup("");
	}
	qsort(h, n, sizeof *h, hdr_cmp);

	struct buf creq, signed_list;
	buf_init(&creq);
	buf_init(&signed_list);
	for (size_t i = 0; i < n; i++)
		buf_printf(&signed_list, "%s%s", i ? ";" : "", h[i].name);
	buf_printf(&creq, "%s\n%s\n%s\n", s->method, s->path, s->query ? s->query : "");
	for (size_t i = 0; i < n; i++)
		buf_printf(&creq, "%s:%s\n", h[i].name, h[i].value);
	buf_printf(&creq, "\n%s\n%s", signed_list.data ? signed_list.data : "", s->payload_sha256);

	uint8_t d[32];
	char creq_hex[65], date[9];
	crypto_hash_sha256(d, (const unsigned char *)creq.data, creq.len);
	hex(d, 32, creq_hex);
	memcpy(date, s->amz_date, 8);
	date[8] = 0;
	char *scope = xasprintf("%s/%s/%s/aws4_request", date, s->region, s->service);
	char *sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", s->amz_date, scope, creq_hex);

	/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
	char *k0 = xasprintf("AWS4%s", s->secret_key);
	uint8_t k[32], sig[32];
	hmac(k0, strlen(k0), date, k);
	sodium_memzero(k0, strlen(k0));
	free(k0);
	hmac(k, 32, s->region, k);
	hmac(k, 32, s->service, k);
	hmac(k, 32, "aws4_request", k);
	hmac(k, 32, sts, sig);
	sodium_memzero(k, sizeof k);
	char sig_hex[65];
	hex(sig, 32, sig_hex);
	buf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", s->access_key, scope,
		   signed_list.data ? signed_list.data : "", sig_hex);
	free(scope);
	free(sts);
	buf_free(&creq);
	buf_free(&signed_list);
out:
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return r;
}
