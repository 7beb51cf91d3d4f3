/* S3 object lock's wire format; see s3_lock.h. */
#include "lib/s3_lock.h"
#include "lib/b64.h"
#include "lib/cleanup.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *s3_lock_mode_name(enum s3_lock_mode m)
{
	return m == S3_LOCK_GOVERNANCE ? "GOVERNANCE" : m == S3_LOCK_COMPLIANCE ? "COMPLIANCE" : "none";
}

int s3_lock_conf_xml(enum s3_lock_mode mode, unsigned days, struct buf *out)
{
	if (mode == S3_LOCK_NONE || days < 1 || days > S3_LOCK_MAX_DAYS)
		return -EINVAL;
	buf_printf(out, "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			"<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
			"<Mode>%s</Mode><Days>%u</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
		   s3_lock_mode_name(mode), days);
	return 0;
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

static char *text_of(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = xstrdup(c ? (const char *)c : "");
	xmlFree(c);
	return s;
}

/* A positive count of at most S3_LOCK_MAX_DAYS; 0 when it is none. */
static unsigned count_of(const xmlNode *n)
{
	_cleanup_free_ char *t = text_of(n);
	uint64_t v;
	return parse_u64(t, 1, S3_LOCK_MAX_DAYS, &v) < 0 ? 0 : (unsigned)v;
}

static int parse_root(const xmlNode *root, struct s3_lock_conf *c)
{
	if (!root || !named(root, "ObjectLockConfiguration"))
		return -EBADMSG;
	const xmlNode *en = child(root, "ObjectLockEnabled");
	if (en) {
		_cleanup_free_ char *t = text_of(en);
		c->enabled = !strcmp(t, "Enabled");
	}
	const xmlNode *rule = child(root, "Rule");
	if (!rule)
		return 0;
	const xmlNode *d = child(rule, "DefaultRetention");
	const xmlNode *mode = child(d, "Mode"), *days = child(d, "Days"), *years = child(d, "Years");
	if (!mode || !days == !years)
		return -EBADMSG;
	_cleanup_free_ char *m = text_of(mode);
	c->mode = !strcmp(m, "GOVERNANCE") ? S3_LOCK_GOVERNANCE : !strcmp(m, "COMPLIANCE") ? S3_LOCK_COMPLIANCE : S3_LOCK_NONE;
	if (c->mode == S3_LOCK_NONE)
		return -EBADMSG;
	if (days && !(c->days = count_of(days)))
		return -EBADMSG;
	if (years && !(c->years = count_of(years)))
		return -EBADMSG;
	return 0;
}

int s3_lock_conf_parse(const char *xml, size_t len, struct s3_lock_conf *c)
{
	*c = (struct s3_lock_conf){ 0 };
	if (len > INT32_MAX)
		return -EBADMSG;
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "lock.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	int r = parse_root(doc ? xmlDocGetRootElement(doc) : NULL, c);
	xmlFreeDoc(doc);
	if (r < 0)
		*c = (struct s3_lock_conf){ 0 };
	return r;
}

void s3_lock_conf_describe(const struct s3_lock_conf *c, char *out, size_t len)
{
	if (!c->enabled)
		snprintf(out, len, "none");
	else if (c->mode == S3_LOCK_NONE)
		snprintf(out, len, "enabled, no default retention");
	else if (c->days)
		snprintf(out, len, "%s, %u day%s", s3_lock_mode_name(c->mode), c->days, c->days == 1 ? "" : "s");
	else
		snprintf(out, len, "%s, %u year%s", s3_lock_mode_name(c->mode), c->years, c->years == 1 ? "" : "s");
}

void s3_content_md5(const void *data, size_t len, char out[S3_MD5_B64_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
	struct buf b;
	buf_init(&b);
	b64_append(&b, md, n);
	snprintf(out, S3_MD5_B64_LEN, "%s", b.data ? b.data : "");
	buf_free(&b);
}

bool s3_lock_refused(const char *why)
{
	if (!why)
		return false;
	return (!strncmp(why, "HTTP 400 InvalidRequest", 23) && strstr(why, "WORM protected")) ||
	       (!strncmp(why, "HTTP 403 AccessDenied", 21) && strstr(why, "object lock"));
}
