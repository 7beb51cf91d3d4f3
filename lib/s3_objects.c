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

/* A listing, page by page (ListObjectsV2, ListObjectVersions): query
 * writes the next page's canonical query (names sorted, values encoded),
 * page parses an answer and says whether another page follows. */
struct pager {
	const char *what;           /* the operation, for the reasons */
	const char *listing;        /* "backup object names": what a bad answer is not a listing of */
	void (*query)(struct buf *q, void *ud);
	int (*page)(const struct buf *resp, void *ud, bool *more);
	void *ud;
};

static int list_pages(const struct s3_target *t, const struct pager *p, char *why, size_t why_len)
{
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s", t->bucket);
	for (int pages = 0;; pages++) {
		if (pages > 100000) {
			snprintf(why, why_len, "%s: too many pages", p->what);
			return -EBADMSG;
		}
		struct buf q;
		buf_init(&q);
		p->query(&q, p->ud);
		buf_putc(&q, '\0');
		struct aws_req req = { .method = "GET", .path = path, .query = q.data };
		struct buf resp;
		buf_init(&resp);
		int r = aws_request(&s, &req, p->what, &resp, why, why_len);
		buf_free(&q);
		bool more = false;
		if (r == 0 && (r = p->page(&resp, p->ud, &more)) < 0)
			snprintf(why, why_len, "%s: the answer is not an S3 listing of %s", p->what, p->listing);
		buf_free(&resp);
		if (r < 0 || !more)
			return r;
	}
}

struct keys_pages {
	const char *prefix;
	char ***keys, *token;
	size_t *n, cap;
};

static void keys_query(struct buf *q, void *ud)
{
	struct keys_pages *k = ud;
	if (k->token) {
		buf_puts(q, "continuation-token=");
		aws_uri_encode(q, k->token);
		buf_putc(q, '&');
	}
	buf_puts(q, "list-type=2&max-keys=" LIST_PAGE "&prefix=");
	aws_uri_encode(q, k->prefix);
}

static int keys_page(const struct buf *resp, void *ud, bool *more)
{
	struct keys_pages *k = ud;
	free(k->token);
	k->token = NULL;
	int r = s3_list_page_parse(resp->data ? resp->data : "", resp->len, k->keys, k->n, &k->cap, &k->token);
	*more = r == 0 && k->token;
	return r;
}

int s3_list_keys(const struct s3_target *t, const char *prefix, char ***keys, size_t *n, char *why, size_t why_len)
{
	*keys = NULL;
	*n = 0;
	struct keys_pages k = { .prefix = prefix, .keys = keys, .n = n };
	const struct pager p = { "ListObjectsV2", "backup object names", keys_query, keys_page, &k };
	int r = list_pages(t, &p, why, why_len);
	free(k.token);
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
	unsigned max = aws_max_attempts();
	for (unsigned attempt = 1; attempt <= max; attempt++) {
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

/* ---- versions and object lock ---- */

void s3_versions_free(struct s3_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].version_id);
	}
	free(v);
}

/* A version id as it may go into a query (it is URI-encoded there):
 * printable ASCII, no space, at most 1024 bytes. */
static bool version_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (!n || n > 1024)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= 0x20 || id[i] >= 0x7f)
			return false;
	return true;
}

static int version_entry(const xmlNode *c, struct s3_version *out)
{
	*out = (struct s3_version){ .delete_marker = named(c, "DeleteMarker") };
	for (xmlNode *d = c->children; d; d = d->next) {
		if (named(d, "Key")) {
			free(out->key);
			out->key = text_of(d);
		} else if (named(d, "VersionId")) {
			free(out->version_id);
			out->version_id = text_of(d);
		} else if (named(d, "IsLatest")) {
			_cleanup_free_ char *t = text_of(d);
			out->latest = !strcmp(t, "true");
		}
	}
	if (!out->key || !out->version_id || !version_id_ok(out->version_id)) {
		free(out->key);
		free(out->version_id);
		return -EBADMSG;
	}
	return 0;
}

int s3_versions_page_parse(const char *xml, size_t len, struct s3_version **v, size_t *n, size_t *cap,
			   char **next_key, char **next_vid)
{
	*next_key = *next_vid = NULL;
	if (len > INT32_MAX)
		return -EBADMSG;
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "versions.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !named(root, "ListVersionsResult")) {
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	int r = 0;
	bool truncated = false;
	char *nk = NULL, *nv = NULL;
	for (xmlNode *c = root->children; c && r == 0; c = c->next) {
		if (named(c, "IsTruncated")) {
			_cleanup_free_ char *t = text_of(c);
			truncated = !strcmp(t, "true");
		} else if (named(c, "NextKeyMarker")) {
			free(nk);
			nk = text_of(c);
		} else if (named(c, "NextVersionIdMarker")) {
			free(nv);
			nv = text_of(c);
		} else if (named(c, "Version") || named(c, "DeleteMarker")) {
			struct s3_version e;
			if ((r = version_entry(c, &e)) < 0)
				break;
			if (!key_ok(e.key)) {   /* another's object: not ours (as s3_list_page_parse) */
				free(e.key);
				free(e.version_id);
				continue;
			}
			*v = xgrow(*v, cap, *n + 1, sizeof **v);
			(*v)[(*n)++] = e;
		}
	}
	xmlFreeDoc(doc);
	if (r == 0 && truncated) {
		if (!nk || !*nk)
			r = -EBADMSG;   /* truncated without a way on */
		else {
			*next_key = nk;
			*next_vid = nv && *nv ? nv : NULL;
			nk = NULL;
			if (*next_vid)
				nv = NULL;
		}
	}
	free(nk);
	free(nv);
	return r;
}

struct versions_pages {
	const char *prefix;
	struct s3_version **v;
	size_t *n, cap;
	char *key_marker, *vid_marker;
};

static void versions_query(struct buf *q, void *ud)
{
	struct versions_pages *p = ud;
	if (p->key_marker) {
		buf_puts(q, "key-marker=");
		aws_uri_encode(q, p->key_marker);
		buf_putc(q, '&');
	}
	buf_puts(q, "max-keys=" LIST_PAGE "&prefix=");
	aws_uri_encode(q, p->prefix);
	if (p->vid_marker) {
		buf_puts(q, "&version-id-marker=");
		aws_uri_encode(q, p->vid_marker);
	}
	buf_puts(q, "&versions=");
}

static int versions_page(const struct buf *resp, void *ud, bool *more)
{
	struct versions_pages *p = ud;
	free(p->key_marker);
	free(p->vid_marker);
	p->key_marker = p->vid_marker = NULL;
	int r = s3_versions_page_parse(resp->data ? resp->data : "", resp->len, p->v, p->n, &p->cap, &p->key_marker,
				       &p->vid_marker);
	*more = r == 0 && p->key_marker;
	return r;
}

int s3_list_versions(const struct s3_target *t, const char *prefix, struct s3_version **v, size_t *n, char *why,
		     size_t why_len)
{
	*v = NULL;
	*n = 0;
	struct versions_pages vp = { .prefix = prefix, .v = v, .n = n };
	const struct pager p = { "ListObjectVersions", "versions", versions_query, versions_page, &vp };
	int r = list_pages(t, &p, why, why_len);
	free(vp.key_marker);
	free(vp.vid_marker);
	if (r < 0) {
		s3_versions_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return r;
}

int s3_delete_version(const struct s3_target *t, const char *key, const char *version_id, char *why, size_t why_len)
{
	if (!key_ok(key) || !version_id_ok(version_id)) {
		snprintf(why, why_len, "'%s' is no object name kiln deletes, or the version id is none", key);
		return -EINVAL;
	}
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s/%s", t->bucket, key);
	struct buf q;
	buf_init(&q);
	buf_puts(&q, "versionId=");
	aws_uri_encode(&q, version_id);
	buf_putc(&q, '\0');
	struct aws_req req = { .method = "DELETE", .path = path, .query = q.data };
	int r = aws_request(&s, &req, "DeleteObject", NULL, why, why_len);
	buf_free(&q);
	return r < 0 && s3_lock_refused(why) ? -EPERM : r;
}

int s3_lock_conf_get(const struct s3_target *t, struct s3_lock_conf *c, char *why, size_t why_len)
{
	*c = (struct s3_lock_conf){ 0 };
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s", t->bucket);
	struct aws_req req = { .method = "GET", .path = path, .query = "object-lock=" };
	struct buf resp;
	buf_init(&resp);
	int r = aws_request(&s, &req, "GetObjectLockConfiguration", &resp, why, why_len);
	static const char none[] = "HTTP 404 ObjectLockConfigurationNotFoundError";
	if (r < 0 && !strncmp(why, none, sizeof none - 1))
		r = 0;          /* no lock: c stays zero */
	else if (r == 0 && s3_lock_conf_parse(resp.data ? resp.data : "", resp.len, c) < 0) {
		snprintf(why, why_len, "GetObjectLockConfiguration: the answer is no object lock configuration");
		r = -EBADMSG;
	}
	buf_free(&resp);
	return r;
}

int s3_lock_conf_put(const struct s3_target *t, enum s3_lock_mode mode, unsigned days, char *why, size_t why_len)
{
	struct buf body;
	buf_init(&body);
	if (s3_lock_conf_xml(mode, days, &body) < 0) {
		buf_free(&body);
		snprintf(why, why_len, "no object lock of %u days in mode %s", days, s3_lock_mode_name(mode));
		return -EINVAL;
	}
	char md5[S3_MD5_B64_LEN];
	s3_content_md5(body.data, body.len, md5);
	_cleanup_free_ char *h = xasprintf("Content-MD5: %s", md5);
	const char *const headers[] = { h, NULL };
	struct aws_creds cr;
	struct aws_service s;
	service(t, &cr, &s);
	_cleanup_free_ char *path = xasprintf("/%s", t->bucket);
	struct aws_req req = { .method = "PUT", .path = path, .query = "object-lock=", .body = body.data,
			       .body_len = body.len, .content_type = "application/xml", .headers = headers };
	int r = aws_request(&s, &req, "PutObjectLockConfiguration", NULL, why, why_len);
	buf_free(&body);
	return r;
}
