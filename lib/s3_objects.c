/* S3 objects: list, get, delete; see s3_objects.h. */
#include "lib/s3_objects.h"
#include "lib/aws_request.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIST_PAGE "100"   /* keys per page: a page stays well under aws_request's 64 KiB answer */

/* '/'-separated segments of [A-Za-z0-9._-], none empty, "." or "..": the
 * names backup objects have (lib/backup_object.h), which need no encoding. */
static bool key_ok(const char *k)
{
	if (!*k || strlen(k) > 1024)
		return false;
	for (const char *seg = k;;) {
		const char *e = strchr(seg, '/');
		size_t n = e ? (size_t)(e - seg) : strlen(seg);
		if (!n || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++) {
			char c = seg[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			      c == '_' || c == '-'))
				return false;
		}
		if (!e)
			return true;
		seg = e + 1;
	}
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static char *text_of(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = xstrdup(c ? (const char *)c : "");
	xmlFree(c);
	return s;
}

void s3_keys_free(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int s3_list_page_parse(const char *xml, size_t len, char ***keys, size_t *n, size_t *cap, char **next)
{
	*next = NULL;
	if (len > INT32_MAX)
		return -EBADMSG;
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "list.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !named(root, "ListBucketResult")) {
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	int r = 0;
	bool truncated = false;
	char *token = NULL;
	for (xmlNode *c = root->children; c && r == 0; c = c->next) {
		if (named(c, "IsTruncated")) {
			_cleanup_free_ char *t = text_of(c);
			truncated = !strcmp(t, "true");
		} else if (named(c, "NextContinuationToken")) {
			free(token);
			token = text_of(c);
		} else if (named(c, "Contents")) {
			char *k = NULL;
			for (xmlNode *d = c->children; d; d = d->next)
				if (named(d, "Key")) {
					free(k);
					k = text_of(d);
				}
			if (!k) {
				r = -EBADMSG;   /* an entry without a key: no listing */
				break;
			}
			if (!key_ok(k)) {
				/* another's object (anyone who may put can name one so):
				 * not ours, skipped, so it cannot stop a restore */
				free(k);
				continue;
			}
			*keys = xgrow(*keys, cap, *n + 1, sizeof **keys);
			(*keys)[(*n)++] = k;
		}
	}
	xmlFreeDoc(doc);
	if (r == 0 && truncated) {
		if (!token || !*token)
			r = -EBADMSG;   /* truncated without a way on */
		else {
			*next = token;
			token = NULL;
		}
	}
	free(token);
	return r;
}

static void service(const struct s3_target *t, struct aws_creds *cr, struct aws_service *s)
{
	/* borrowed keys: never freed through cr */
	*cr = (struct aws_creds){ .access_key = (char *)t->access_key, .secret_key = (char *)t->secret_key };
	*s = (struct aws_service){ .endpoint = t->endpoint, .region = t->region ? t->region : "us-east-1",
				     .service = "s3", .creds = cr };
}

int s3_list_keys(const struct s3_target *t, const char *prefix, char ***keys, size_t *n, char *why, size_t why_len)
{
	*keys = NULL;
	*n = 0;
	size_t cap = 0;
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s", t->bucket);
	char *token = NULL;
	int r = 0;
	for (int page = 0; r == 0; page++) {
		/* the canonical query: names sorted, values encoded */
		struct buf q;
		buf_init(&q);
		if (token) {
			buf_puts(&q, "continuation-token=");
			aws_uri_encode(&q, token);
			buf_putc(&q, '&');
		}
		buf_puts(&q, "list-type=2&max-keys=" LIST_PAGE "&prefix=");
		aws_uri_encode(&q, prefix);
		buf_putc(&q, '\0');
		struct aws_req req = { .method = "GET", .path = path, .query = q.data };
		struct buf resp;
		buf_init(&resp);
		r = aws_request(&s, &req, "ListObjectsV2", &resp, why, why_len);
		buf_free(&q);
		free(token);
		token = NULL;
		if (r == 0 && (r = s3_list_page_parse(resp.data ? resp.data : "", resp.len, keys, n, &cap, &token)) < 0)
			snprintf(why, why_len, "ListObjectsV2: the answer is not an S3 listing of backup object names");
		buf_free(&resp);
		if (r == 0 && !token)
			break;
		if (page > 100000) {
			snprintf(why, why_len, "ListObjectsV2: too many pages");
			r = -EBADMSG;
		}
	}
	free(token);
	if (r < 0) {
		s3_keys_free(*keys, *n);
		*keys = NULL;
		*n = 0;
	}
	return r;
}

struct get_sink {
	struct aws_call *call;
	int fd;
	uint64_t bytes;
	int error;
};

static size_t on_get(char *p, size_t size, size_t n, void *ud)
{
	struct get_sink *g = ud;
	size_t len = size * n;
	long http = 0;
	curl_easy_getinfo(g->call->h, CURLINFO_RESPONSE_CODE, &http);
	if (http < 200 || http >= 300) {
		/* an error body: kept for the reason, not written */
		if (g->call->resp.len < 4096)
			buf_append(&g->call->resp, p, len);
		return len;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(g->fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			g->error = w < 0 ? -errno : -EIO;
			return 0;
		}
		off += (size_t)w;
	}
	g->bytes += len;
	return len;
}

int s3_get_to_fd(const struct s3_target *t, const char *key, int fd, uint64_t *bytes, char *why, size_t why_len)
{
	if (!key_ok(key)) {
		snprintf(why, why_len, "'%s' is no object name kiln reads", key);
		return -EINVAL;
	}
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s/%s", t->bucket, key);
	struct aws_req req = { .method = "GET", .path = path };
	int r = -EIO;
	for (unsigned attempt = 1; attempt <= AWS_MAX_ATTEMPTS; attempt++) {
		if (attempt > 1) {
			unsigned ms = aws_backoff_ms(attempt);
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			snprintf(why, why_len, "cannot truncate the download: %s", strerror(errno));
			return -errno;
		}
		struct aws_call call;
		if ((r = aws_call_setup(&call, &s, &req)) < 0) {
			aws_call_cleanup(&call);
			snprintf(why, why_len, "cannot set up the request");
			return r;
		}
		struct get_sink g = { .call = &call, .fd = fd };
		curl_easy_setopt(call.h, CURLOPT_WRITEFUNCTION, on_get);
		curl_easy_setopt(call.h, CURLOPT_WRITEDATA, &g);
		curl_easy_setopt(call.h, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(call.h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
		CURLcode cc = curl_easy_perform(call.h);
		long http = 0;
		enum aws_outcome o = g.error ? AWS_FAILED : aws_call_outcome(&call, cc, &http);
		if (o == AWS_DONE) {
			if (bytes)
				*bytes = g.bytes;
			aws_call_cleanup(&call);
			return 0;
		}
		if (g.error) {
			snprintf(why, why_len, "writing the download: %s", strerror(-g.error));
			r = g.error;
		} else {
			char reason[512];
			aws_call_reason(&call, cc, http, reason, sizeof reason);
			snprintf(why, why_len, "GetObject %s: %s", key, reason);
			r = http == 404 ? -ENOENT : http == 403 || http == 401 ? -EACCES : http ? -EPROTO
			  : cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
		}
		aws_call_cleanup(&call);
		if (o == AWS_FAILED)
			break;
	}
	return r;
}

int s3_delete_key(const struct s3_target *t, const char *key, char *why, size_t why_len)
{
	if (!key_ok(key)) {
		snprintf(why, why_len, "'%s' is no object name kiln deletes", key);
		return -EINVAL;
	}
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s/%s", t->bucket, key);
	struct aws_req req = { .method = "DELETE", .path = path };
	return aws_request(&s, &req, "DeleteObject", NULL, why, why_len);
}
