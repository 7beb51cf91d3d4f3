/* UEFI boot options through efivarfs (efiboot.h). */
#include "medium/efiboot.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "medium/find.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LOAD_OPTION_ACTIVE 0x1u
/* EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
#define VAR_ATTRS 0x7u
#define LOADER "\\EFI\\BOOT\\BOOTX64.EFI"

int efi_find_esp(int fd, struct efi_esp *out)
{
	memset(out, 0, sizeof *out);
	struct media_part p;
	int r = media_part_by_type(fd, ESP_TYPE, &p);
	if (r < 0)
		return r;
	if (!p.uuid[0])
		return -ENOENT;
	out->partno = p.partno;
	out->start = p.start / 512;
	out->size = p.size / 512;
	memcpy(out->uuid, p.uuid, sizeof out->uuid);
	return 0;
}

static void le(struct buf *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		buf_putc(b, (char)(v >> (8 * i) & 0xff));
}

static void ucs2(struct buf *b, const char *s)
{
	for (; *s; s++)
		le(b, (unsigned char)*s, 2);
	le(b, 0, 2);
}

/* A GUID's text as EFI stores it: the first three fields little-endian. */
static int guid_bytes(const char *s, uint8_t out[16])
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t raw[16];
	int k = 0;
	for (const char *p = s; *p && k < 16; ) {
		if (*p == '-') {
			p++;
			continue;
		}
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1 || !p[1])
			return -EINVAL;
		raw[k++] = (uint8_t)v;
		p += 2;
	}
	if (k != 16 || strlen(s) != 36)
		return -EINVAL;
	for (int i = 0; i < 16; i++)
		out[i] = raw[order[i]];
	return 0;
}

int efi_load_option(const struct efi_esp *esp, const char *description, struct buf *out)
{
	uint8_t sig[16];
	if (guid_bytes(esp->uuid, sig) < 0)
		return -EINVAL;
	struct buf path;
	buf_init(&path);
	/* HD(): media device path, hard drive */
	buf_putc(&path, 4), buf_putc(&path, 1), le(&path, 42, 2);
	le(&path, esp->partno, 4);
	le(&path, esp->start, 8);
	le(&path, esp->size, 8);
	buf_append(&path, sig, 16);
	buf_putc(&path, 2);   /* MBRType: GPT */
	buf_putc(&path, 2);   /* SignatureType: GUID */
	/* File(): media device path, file path */
	le(&path, 4, 1), le(&path, 4, 1), le(&path, 4 + 2 * (sizeof LOADER), 2);
	ucs2(&path, LOADER);
	/* end of the whole path */
	buf_putc(&path, 0x7f), buf_putc(&path, (char)0xff), le(&path, 4, 2);
	le(out, LOAD_OPTION_ACTIVE, 4);
	le(out, path.len, 2);
	ucs2(out, description);
	buf_append(out, path.data, path.len);
	buf_free(&path);
	return 0;
}

static char *var_path(const char *efivars, const char *name)
{
	return xasprintf("%s/%s-" EFI_GLOBAL_GUID, efivars, name);
}

/* efivarfs makes existing variables immutable; writing needs that off. */
static void mutable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	int flags;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
		flags &= ~FS_IMMUTABLE_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
}

static int write_var(const char *efivars, const char *name, const void *data, size_t len)
{
	char *p = var_path(efivars, name);
	mutable(p);
	struct buf b;
	buf_init(&b);
	le(&b, VAR_ATTRS, 4);
	buf_append(&b, data, len);
	/* efivarfs takes the whole variable in one write */
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = 0;
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	buf_free(&b);
	free(p);
	return r;
}

/* The variable's data (its 4 attribute bytes dropped); -ENOENT if none. */
static int read_var(const char *efivars, const char *name, uint8_t **data, size_t *len)
{
	char *p = var_path(efivars, name), *t;
	size_t n;
	int r = read_file(p, 65536, &t, &n);
	free(p);
	if (r < 0)
		return r;
	if (n < 4) {
		free(t);
		return -EBADMSG;
	}
	*len = n - 4;
	*data = xmalloc(*len + 1);
	memcpy(*data, t + 4, *len);
	free(t);
	return 0;
}

int efi_boot_first(const char *efivars, const struct efi_esp *esp, const char *description, unsigned *num,
		   char *why, size_t why_len)
{
	struct buf opt;
	buf_init(&opt);
	if (efi_load_option(esp, description, &opt) < 0) {
		snprintf(why, why_len, "the ESP's partition GUID %s is not a GUID", esp->uuid);
		return -EINVAL;
	}
	/* the lowest Boot#### not in use */
	static bool used[0x10000];
	memset(used, 0, sizeof used);
	DIR *d = opendir(efivars);
	if (!d) {
		int r = -errno;
		snprintf(why, why_len, "no EFI variables at %s (%s): was this booted with UEFI?", efivars, strerror(errno));
		buf_free(&opt);
		return r;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		unsigned n;
		char tail[64];
		if (sscanf(e->d_name, "Boot%4X-%63s", &n, tail) == 2 && strlen(e->d_name) == 8 + 1 + 36 &&
		    !strcasecmp(tail, EFI_GLOBAL_GUID))
			used[n] = true;
	}
	closedir(d);
	unsigned n = 0;
	while (n < 0xffff && used[n])
		n++;
	char name[16];
	snprintf(name, sizeof name, "Boot%04X", n);
	int r = write_var(efivars, name, opt.data, opt.len);
	buf_free(&opt);
	if (r < 0) {
		snprintf(why, why_len, "writing %s: %s", name, strerror(-r));
		return r;
	}
	/* BootOrder: ours, then the others as they were */
	uint8_t *order = NULL;
	size_t len = 0;
	if (read_var(efivars, "BootOrder", &order, &len) < 0)
		len = 0;
	struct buf b;
	buf_init(&b);
	le(&b, n, 2);
	for (size_t i = 0; i + 1 < len; i += 2)
		if ((unsigned)(order[i] | order[i + 1] << 8) != n)
			buf_append(&b, order + i, 2);
	free(order);
	r = write_var(efivars, "BootOrder", b.data, b.len);
	buf_free(&b);
	uint8_t next[2] = { (uint8_t)(n & 0xff), (uint8_t)(n >> 8) };
	if (r == 0)
		r = write_var(efivars, "BootNext", next, 2);
	if (r < 0)
		snprintf(why, why_len, "writing BootOrder/BootNext: %s", strerror(-r));
	*num = n;
	return r;
}

int efi_secure_boot(const char *efivars)
{
	uint8_t *d;
	size_t n;
	int r = read_var(efivars, "SecureBoot", &d, &n);
	if (r < 0)
		return r;
	r = n == 1 && d[0] <= 1 ? d[0] : -EBADMSG;
	free(d);
	return r;
}

int efi_lockdown_mode(const char *text, char *out, size_t out_len)
{
	const char *a = strchr(text, '['), *b = a ? strchr(a, ']') : NULL;
	if (!b || b == a + 1 || (size_t)(b - a - 1) >= out_len)
		return -EBADMSG;
	for (const char *c = a + 1; c < b; c++)
		if (*c < 'a' || *c > 'z')
			return -EBADMSG;
	snprintf(out, out_len, "%.*s", (int)(b - a - 1), a + 1);
	return 0;
}
