/* grub.cfg of the kiln boot chain (bootchain.h). */
#include "images/bootchain.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"

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

bool bootchain_plain_path(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/._-", *p)))
			return false;
	return true;
}

char *bootchain_search_cmd(const struct bootchain_root *r)
{
	if (r->marker)
		return xasprintf("search --no-floppy --file --set=root %s\n", r->marker);
	char uuid[10];
	bootchain_fat_uuid(r->esp_volume_id, uuid);
	return xasprintf("search --no-floppy --fs-uuid --set=root %s\n", uuid);
}

int bootchain_grub_cfg(const struct bootchain_entry *e, char **out)
{
	const char *extra = e->cmdline_extra ? e->cmdline_extra : "";
	const char *kernel = e->kernel ? e->kernel : BOOTCHAIN_ESP_KERNEL;
	const char *initrd = e->initrd ? e->initrd : BOOTCHAIN_ESP_INITRD;
	int r = bootchain_check_cmdline(extra);
	if (r < 0)
		return r;
	for (const char *c = e->title; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return log_error_errno(EINVAL, "boot menu title contains a control character");
	const char *paths[] = { kernel, initrd, e->marker };
	for (size_t i = 0; i < 3; i++)
		if (paths[i] && !bootchain_plain_path(paths[i]))
			return log_error_errno(EINVAL, "grub.cfg: path \"%s\" is not absolute or not made of "
					       "letters, digits and / . _ -", paths[i]);
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "# Written by kiln. Read by Debian's signed GRUB under UEFI (its built-in\n"
		     "# prefix is /EFI/debian)");
	if (e->marker)
		buf_puts(&b, " and by kiln's GRUB core image under BIOS. GRUB's root:\n# the filesystem holding "
			     "this medium's marker file, wherever the firmware\n# found the medium.\n");
	else
		buf_puts(&b, " and by kiln's GRUB core image under BIOS.\n");
	_cleanup_free_ char *search = bootchain_search_cmd(&(struct bootchain_root){ e->esp_volume_id, e->marker });
	buf_printf(&b, "set default=0\nset timeout=0\n%s", search);
	buf_puts(&b, "menuentry ");
	put_quoted(&b, e->title, strlen(e->title));
	buf_printf(&b, " {\n\tlinux %s", kernel);
	if (e->root_partuuid)
		buf_printf(&b, " 'root=PARTUUID=%s' 'rw'", e->root_partuuid);
	for (const char *w = extra; *w; ) {
		size_t n = strcspn(w, " ");
		if (n) {
			buf_puts(&b, " ");
			put_quoted(&b, w, n);
		}
		w += n + strspn(w + n, " ");
	}
	buf_printf(&b, "\n\tinitrd %s\n}\n", initrd);
	*out = buf_steal(&b);
	return 0;
}

int bootchain_esp_files(const char *tar, const struct bootchain_efi *l, const struct bootchain_entry *e, char **cfg,
			struct esp_file files[BOOTCHAIN_ESP_FILES])
{
	*cfg = NULL;
	if (!l->shim || !l->grub)
		return log_error_errno(ENOENT, "rootfs tar %s has no /%s (install %s in the role's recipe)", tar,
				       l->shim ? BOOTCHAIN_GRUB_EFI : BOOTCHAIN_SHIM,
				       l->shim ? "grub-efi-amd64-signed" : "shim-signed");
	int r = bootchain_grub_cfg(e, cfg);
	if (r < 0)
		return r;
	files[0] = (struct esp_file){ BOOTCHAIN_ESP_SHIM, l->shim, l->shim_len };
	files[1] = (struct esp_file){ BOOTCHAIN_ESP_GRUB, l->grub, l->grub_len };
	files[2] = (struct esp_file){ BOOTCHAIN_ESP_CFG, *cfg, strlen(*cfg) };
	return 0;
}
