#include "images/archive_state.h"
#include "images/deb822.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void archive_state_of(const char *text, size_t len, struct archive_state *st)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)text, len);
	sodium_bin2hex(st->sha256, sizeof st->sha256, md, sizeof md);
	st->date = deb822_release_date(text, len);
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	if (b->len + size * n > ARCHIVE_RELEASE_MAX)
		return 0;   /* abort the transfer */
	buf_append(b, p, size * n);
	return size * n;
}

static bool unreachable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

/* One GET; 0, -EHOSTUNREACH, -ENOENT (404/410 or no such file) or -EIO. */
static int get(const char *url, struct buf *out, char *why, size_t why_len)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(why, why_len, "cannot start libcurl");
		return -ENOMEM;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);   /* stalled for 30 s: give up */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK)
		return 0;
	snprintf(why, why_len, "%s: %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
	if (unreachable(rc))
		return -EHOSTUNREACH;
	if ((rc == CURLE_HTTP_RETURNED_ERROR && (status == 404 || status == 410)) ||
	    rc == CURLE_FILE_COULDNT_READ_FILE)
		return -ENOENT;
	return -EIO;
}

/* What this process fetched already, by InRelease URL. */
static struct memo {
	char *url;
	struct archive_state st;
} *memo;
static size_t n_memo;

int archive_state_fetch(const struct apt_archive *a, struct archive_state *st, char *why, size_t why_len)
{
	char *url = apt_archive_url(a, "InRelease");
	for (size_t i = 0; i < n_memo; i++)
		if (!strcmp(memo[i].url, url)) {
			*st = memo[i].st;
			free(url);
			return 0;
		}
	struct buf b;
	buf_init(&b);
	int e = get(url, &b, why, why_len);
	if (e == -ENOENT) {   /* an older mirror layout: Release (+ Release.gpg) only */
		char *rel = apt_archive_url(a, "Release");
		b.len = 0;
		char why2[256];
		int e2 = get(rel, &b, why2, sizeof why2);
		if (e2 != -ENOENT) {
			e = e2;
			if (e2 < 0)
				snprintf(why, why_len, "%s", why2);
		}
		free(rel);
	}
	if (e == 0) {
		archive_state_of(b.data ? b.data : "", b.len, st);
		memo = xrealloc(memo, (n_memo + 1) * sizeof *memo);
		memo[n_memo++] = (struct memo){ .url = url, .st = *st };
		url = NULL;
	}
	buf_free(&b);
	free(url);
	return e;
}
