/* Disk facts from sysfs (diskinfo.h). */
#include "lib/diskinfo.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sysfs_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char *p = path_join(dir, attr), *t;
	size_t n;
	int e = read_file(p, 65536, &t, &n);
	free(p);
	if (e < 0)
		return e;
	while (n && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\0'))
		n--;
	t[n] = '\0';
	snprintf(buf, len, "%s", t);
	free(t);
	return 0;
}

int sysfs_u64(const char *dir, const char *attr, uint64_t *out)
{
	char b[64];
	int e = sysfs_attr(dir, attr, b, sizeof b);
	if (e < 0)
		return e;
	return parse_u64(b, 0, UINT64_MAX, out) < 0 ? -EBADMSG : 0;
}

char *disk_text_printable(const char *s)
{
	if (!s)
		return NULL;
	struct buf b;
	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			buf_printf(&b, "\\x%02x", *p);
		else
			buf_putc(&b, (char)*p);
	}
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

/* SCSI VPD page 0x80 is binary: a 4-byte header (the length in bytes 2-3),
 * then the serial, padded with spaces. */
static int vpd_serial(const char *disk_dir, const char *attr, char *buf, size_t len)
{
	char *p = path_join(disk_dir, attr), *t;
	size_t n;
	int e = read_file(p, 65536, &t, &n);
	free(p);
	if (e < 0)
		return e;
	size_t want = n >= 4 ? (size_t)((unsigned char)t[2] << 8 | (unsigned char)t[3]) : 0;
	if (want > n - (n >= 4 ? 4 : n))
		want = n >= 4 ? n - 4 : 0;
	if (want >= len)
		want = len - 1;
	memcpy(buf, t + (n >= 4 ? 4 : 0), want);
	buf[want] = '\0';
	free(t);
	for (size_t i = 0; i < want; i++)
		if (!buf[i])
			buf[i] = ' ';
	while (want && buf[want - 1] == ' ')
		buf[--want] = '\0';
	return 0;
}

/* Model and serial as the kernel reports them for SCSI/SATA, NVMe and virtio. */
static char *identity(const char *disk_dir, const char *const *attrs)
{
	char b[512];
	for (size_t i = 0; attrs[i]; i++) {
		int e = strstr(attrs[i], "vpd_pg80") ? vpd_serial(disk_dir, attrs[i], b, sizeof b)
						     : sysfs_attr(disk_dir, attrs[i], b, sizeof b);
		if (e < 0)
			continue;
		const char *v = b;
		while (*v == ' ')
			v++;
		if (*v)
			return disk_text_printable(v);
	}
	return NULL;
}

/* realpath(disk_dir/device) below the sysfs root: where the disk hangs. */
static char *device_path(const char *sysfs, const char *disk_dir)
{
	char *dev = path_join(disk_dir, "device");
	char *real = realpath(dev, NULL), *root = realpath(sysfs, NULL), *out = NULL;
	size_t n = root ? strlen(root) : 0;
	if (real && root && !strncmp(real, root, n) && real[n] == '/')
		out = disk_text_printable(real + n);
	free(dev);
	free(real);
	free(root);
	return out;
}

int disk_facts_read_dir(const char *sysfs, const char *dir, const char *disk_dir, struct disk_facts *d)
{
	static const char *const models[] = { "device/model", NULL };
	static const char *const serials[] = { "device/serial", "serial", "device/vpd_pg80", NULL };
	memset(d, 0, sizeof *d);
	const char *slash = strrchr(dir, '/');
	d->name = xstrdup(slash ? slash + 1 : dir);
	uint64_t v;
	int e = sysfs_u64(dir, "size", &v);
	if (e < 0) {
		disk_facts_free(d);
		return e;
	}
	d->size = v * 512;
	d->read_only = sysfs_u64(dir, "ro", &v) == 0 && v;
	d->removable = sysfs_u64(disk_dir, "removable", &v) == 0 && v;
	d->rotational = sysfs_u64(disk_dir, "queue/rotational", &v) == 0 && v;
	d->sector_size = sysfs_u64(disk_dir, "queue/logical_block_size", &v) == 0 ? (unsigned)v : 512;
	d->model = identity(disk_dir, models);
	d->serial = identity(disk_dir, serials);
	d->path = device_path(sysfs, disk_dir);
	return 0;
}

int disk_facts_read(const char *sysfs, const char *name, struct disk_facts *out)
{
	memset(out, 0, sizeof *out);
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	char *link = xasprintf("%s/block/%s", sysfs, name);
	char *dir = realpath(link, NULL);
	free(link);
	if (!dir)
		return -errno;
	int e = disk_facts_read_dir(sysfs, dir, dir, out);
	free(dir);
	return e;
}

void disk_facts_free(struct disk_facts *d)
{
	free(d->name);
	free(d->model);
	free(d->serial);
	free(d->path);
	memset(d, 0, sizeof *d);
}

static bool skip_name(const char *n)
{
	static const char *const prefixes[] = { ".", "loop", "ram", "zram", "sr", "dm-", "md", "fd", "nbd", NULL };
	for (size_t i = 0; prefixes[i]; i++)
		if (!strncmp(n, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int disk_list(const char *sysfs, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	char *block = path_join(sysfs, "block");
	DIR *d = opendir(block);
	free(block);
	if (!d)
		return -errno;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (!skip_name(de->d_name)) {
			*names = xgrow(*names, &cap, *n + 1, sizeof **names);
			(*names)[(*n)++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, name_cmp);   /* deterministic: vdb before vdc */
	return 0;
}

void disk_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
