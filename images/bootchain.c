/* grub.cfg of the kiln boot chain (bootchain.h). */
#include "images/bootchain.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/buf.h"
#include "lib/log.h"

void bootchain_fat_uuid(uint32_t volume_id, char out[10])
{
	/* GRUB's fat module prints the volume id as two lower-case halves. */
	snprintf(out, 10, "%04x-%04x", (unsigned)(volume_id >> 16), (unsigned)(volume_id & 0xffff));
}

/* s as one GRUB word: single quotes, a quote inside as '\'' (GRUB's
 * lexer joins adjacent quoted and escaped parts, like sh). */
static void put_quoted(struct buf *b, const char *s, size_t len)
{
	buf_puts(b, "'");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			buf_puts(b, "'\\''");
		else
			buf_append(b, &s[i], 1);
	}
	buf_puts(b, "'");
}

int bootchain_check_cmdline(const char *extra)
{
	/* GRUB's linux command backslash-escapes \ ' and " when it joins its
	 * arguments into the kernel command line (grub_create_loader_cmdline),
	 * so such a character would not reach the kernel as written. */
	for (const char *c = extra ? extra : ""; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return log_error_errno(EINVAL, "kernel command line contains a control character or newline");
		if (*c == '\\' || *c == '\'' || *c == '"')
			return log_error_errno(EINVAL, "kernel command line \"%s\": GRUB cannot pass a quote or "
					       "backslash to the kernel unchanged", extra);
	}
	return 0;
}

int bootchain_grub_cfg(const struct bootchain_entry *e, char **out)
{
	const char *extra = e->cmdline_extra ? e->cmdline_extra : "";
	int r = bootchain_check_cmdline(extra);
	if (r < 0)
		return r;
	for (const char *c = e->title; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return log_error_errno(EINVAL, "boot menu title contains a control character");
	char uuid[10];
	bootchain_fat_uuid(e->esp_volume_id, uuid);
	struct buf b;
	buf_init(&b);
	buf_printf(&b,
		   "# Written by kiln. Read by Debian's signed GRUB under UEFI (its built-in\n"
		   "# prefix is /EFI/debian) and by kiln's GRUB core image under BIOS.\n"
		   "set default=0\n"
		   "set timeout=0\n"
		   "search --no-floppy --fs-uuid --set=root %s\n"
		   "menuentry ",
		   uuid);
	put_quoted(&b, e->title, strlen(e->title));
	buf_printf(&b, " {\n\tlinux " BOOTCHAIN_ESP_KERNEL " 'root=PARTUUID=%s' 'rw'", e->root_partuuid);
	for (const char *w = extra; *w; ) {
		size_t n = strcspn(w, " ");
		if (n) {
			buf_puts(&b, " ");
			put_quoted(&b, w, n);
		}
		w += n + strspn(w + n, " ");
	}
	buf_puts(&b, "\n\tinitrd " BOOTCHAIN_ESP_INITRD "\n}\n");
	*out = buf_steal(&b);
	return 0;
}
