#include "firstboot/ovfenv.h"
#include "lib/input.h"
#include "lib/xalloc.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
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
#define ISO_MIN_BYTES (16u * 2048u + 2048u)       /* system area + primary volume descriptor */
#define ISO_IMAGE_MAX ((size_t)8 << 30)           /* an image file larger than a DVD is not a seed medium */

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

/* The medium: an image file or a block device (never a FIFO or the like,
 * never waiting for a tray), at least as large as the smallest ISO 9660
 * volume (system area + primary volume descriptor). */
static int open_medium(const char *path)
{
	int fd = open_input(path, INPUT_BLOCKDEV, ISO_IMAGE_MAX);
	if (fd < 0)
		return fd;
	struct stat st;
	uint64_t size = 0;
	int r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &size) < 0)
		r = -errno;
	else if (r == 0 && S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	if (r == 0 && size < ISO_MIN_BYTES)
		r = size == 0 && S_ISBLK(st.st_mode) ? -ENOMEDIUM : -EIO;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int iso_read_file(const char *iso_path, const char *name, size_t max, char **data, size_t *len)
{
	int fd = open_medium(iso_path);
	if (fd < 0)
		return fd;
	struct archive *a = archive_read_new();
	archive_read_support_format_iso9660(a);
	if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
		archive_read_free(a);
		close(fd);
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
	close(fd);
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
