#include "firstboot/ovfenv.h"
#include "lib/xalloc.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OVF_ENV_NS "http://schemas.dmtf.org/ovf/environment/1"
#define OVF_ENV_MAX (1u << 20)

static void add_prop(struct ovf_env *e, const char *k, const char *v)
{
	e->props = xgrow(e->props, &e->cap, e->n + 1, sizeof *e->props);
	e->props[e->n].key = xstrdup(k);
	e->props[e->n].value = xstrdup(v);
	e->n++;
}

static bool in_ns(const xmlNode *n)
{
	return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, OVF_ENV_NS);
}

static void walk(const xmlNode *n, struct ovf_env *e)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (in_ns(n) && !strcmp((const char *)n->name, "Property")) {
			xmlChar *k = xmlGetNsProp(n, (const xmlChar *)"key", (const xmlChar *)OVF_ENV_NS);
			xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"value", (const xmlChar *)OVF_ENV_NS);
			if (k)
				add_prop(e, (const char *)k, v ? (const char *)v : "");
			xmlFree(k);
			xmlFree(v);
		}
		walk(n->children, e);
	}
}

int ovfenv_parse(const char *xml, size_t len, struct ovf_env *out)
{
	memset(out, 0, sizeof *out);
	if (len > OVF_ENV_MAX || len > (size_t)INT32_MAX)
		return -EFBIG;
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "ovf-env.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return -EBADMSG;
	xmlNode *root = xmlDocGetRootElement(doc);
	int r = 0;
	if (!root || !in_ns(root) || strcmp((const char *)root->name, "Environment"))
		r = -EBADMSG;
	else
		walk(root->children, out);
	xmlFreeDoc(doc);
	if (r < 0)
		ovfenv_free(out);
	return r;
}

const char *ovfenv_get(const struct ovf_env *e, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->props[i].key, key))
			return e->props[i].value;
	return NULL;
}

void ovfenv_free(struct ovf_env *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->props[i].key);
		free(e->props[i].value);
	}
	free(e->props);
	memset(e, 0, sizeof *e);
}

/* ISO 9660 level 1 names may come back upper-cased, with "_" for "-" and a
 * ";1" version suffix. */
static bool name_matches(const char *p, const char *want)
{
	while (*p == '.' || *p == '/')
		p++;
	size_t n = strlen(want);
	if (strncasecmp(p, want, n))
		return false;
	return p[n] == '\0' || !strcmp(p + n, ";1");
}

int iso_read_file(const char *iso_path, const char *name, size_t max, char **data, size_t *len)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, iso_path, 64 * 1024) != ARCHIVE_OK) {
		archive_read_free(a);
		return -EIO;
	}
	int r = -ENOENT;
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG || !name_matches(archive_entry_pathname(e), name))
			continue;
		int64_t size = archive_entry_size(e);
		if (size < 0 || (uint64_t)size > max) {
			r = -EFBIG;
			break;
		}
		char *d = xmalloc((size_t)size + 1);
		la_ssize_t n = archive_read_data(a, d, (size_t)size);
		if (n != size) {
			free(d);
			r = -EIO;
			break;
		}
		d[size] = '\0';
		*data = d;
		*len = (size_t)size;
		r = 0;
		break;
	}
	archive_read_free(a);
	return r;
}

int ovfenv_read_iso(const char *iso_path, char **xml, size_t *len)
{
	static const char *const names[] = { "ovf-env.xml", "ovf_env.xml", NULL };
	int r = -ENOENT;
	for (size_t i = 0; names[i] && r == -ENOENT; i++)
		r = iso_read_file(iso_path, names[i], OVF_ENV_MAX, xml, len);
	return r;
}
