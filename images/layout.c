/* layout_build(): GPT (images/gpt.c) + ext4 root from the tar
 * (images/ext4_writer.h) + ESP with shim, GRUB, grub.cfg, kernel and initrd
 * (images/esp.c, images/bootchain.h), written under a temporary name and
 * renamed. */
#include "images/layout.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "images/bootchain.h"
#include "images/esp.h"
#include "images/gpt.h"
#include "images/ident.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define KERNEL_PREFIX "boot/vmlinuz-"
#define INITRD_PREFIX "boot/initrd.img-"

/* ---- files captured from the tar while ext4 is written ------------------ */

struct blob {
	char *path;             /* normalised: no leading "./" or "/" */
	void *data;
	size_t len;
};

struct captured {
	struct blob *v;
	size_t n, cap;
};

static const char *normalise(const char *p)
{
	for (;;) {
		if (p[0] == '.' && p[1] == '/')
			p += 2;
		else if (p[0] == '/')
			p++;
		else
			return p;
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool capture_want(void *ud, const char *path)
{
	(void)ud;
	const char *p = normalise(path);
	return (starts_with(p, KERNEL_PREFIX) && p[strlen(KERNEL_PREFIX)]) ||
	       (starts_with(p, INITRD_PREFIX) && p[strlen(INITRD_PREFIX)]) ||
	       strcmp(p, BOOTCHAIN_SHIM) == 0 || strcmp(p, BOOTCHAIN_GRUB_EFI) == 0 ||
	       (starts_with(p, BOOTCHAIN_GRUB_PC_DIR) && p[strlen(BOOTCHAIN_GRUB_PC_DIR)] &&
		!strchr(p + strlen(BOOTCHAIN_GRUB_PC_DIR), '/'));
}

static void capture_take(void *ud, const char *path, void *data, size_t len)
{
	struct captured *c = ud;
	c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof *c->v);
	c->v[c->n++] = (struct blob){ xstrdup(normalise(path)), data, len };
}

static void captured_free(struct captured *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].data);
	}
	free(c->v);
}

/* The kernel with the highest version (strverscmp), or NULL. */
static const struct blob *pick_kernel(const struct captured *c)
{
	const struct blob *best = NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (!starts_with(c->v[i].path, KERNEL_PREFIX))
			continue;
		if (!best || strverscmp(c->v[i].path + strlen(KERNEL_PREFIX),
					best->path + strlen(KERNEL_PREFIX)) > 0)
			best = &c->v[i];
	}
	return best;
}

static const struct blob *find_blob(const struct captured *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].path, path) == 0)
			return &c->v[i];
	return NULL;
}

/* ---- generated configuration ------------------------------------------- */

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* udev's /dev/disk/by-partuuid and blkid print PARTUUIDs in lower case, and
 * the initramfs compares strings, so kiln writes them that way too. */
struct ids {
	char root[GUID_STR_LEN + 1];
	char esp[GUID_STR_LEN + 1];
};

static char *render_fstab(const struct ids *id)
{
	return xasprintf(
		"# Written by kiln. Root and ESP by partition UUID; x-systemd.growfs makes\n"
		"# systemd-growfs grow / to its partition (grown by systemd-repart, see\n"
		"# /usr/lib/repart.d/50-root.conf) when the disk is larger than the image.\n"
		"PARTUUID=%s\t/\text4\trw,errors=remount-ro,x-systemd.growfs\t0\t1\n"
		"PARTUUID=%s\t/boot/efi\tvfat\tumask=0077,nofail\t0\t2\n",
		id->root, id->esp);
}

static const char repart_root[] =
	"# Written by kiln: at boot systemd-repart grows the root partition into\n"
	"# free space at the end of a disk larger than the image (it never moves or\n"
	"# shrinks partitions); /etc/fstab's x-systemd.growfs then grows ext4.\n"
	"[Partition]\n"
	"Type=root\n"
	"GrowFileSystem=yes\n";

/* ---- the build ---------------------------------------------------------- */

/* Text that goes on one line of grub.cfg: printable, no newline. */
static bool one_line(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int check_opts(const struct layout_opts *o)
{
	if (!o->tar_path || !o->out_path || !o->identity || !*o->identity)
		return log_error_errno(EINVAL, "layout: tar_path, out_path and identity are required");
	if (bootchain_check_cmdline(o->cmdline_extra) < 0)
		return -EINVAL;
	if (!one_line(o->identity))
		return log_error_errno(EINVAL, "identity contains a control character or newline");
	if (strcmp(o->tar_path, "-") == 0)
		return log_error_errno(EINVAL, "layout: the rootfs tar must be a file, not stdin");
	struct stat st;
	if (stat(o->tar_path, &st) < 0)
		return log_error_errno(errno, "rootfs tar %s", o->tar_path);
	if (!S_ISREG(st.st_mode))
		return log_error_errno(EINVAL, "rootfs tar %s is not a regular file", o->tar_path);
	return 0;
}

/* GRUB for BIOS from the tar's i386-pc directory (bootchain_bios.c). */
static int write_bios(const char *tmp, const struct gpt_layout *g, uint32_t volid, const struct captured *cap)
{
	struct bootchain_blob *v = xcalloc(cap->n + 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < cap->n; i++)
		if (starts_with(cap->v[i].path, BOOTCHAIN_GRUB_PC_DIR))
			v[n++] = (struct bootchain_blob){ cap->v[i].path + strlen(BOOTCHAIN_GRUB_PC_DIR), cap->v[i].data,
							  cap->v[i].len };
	log_info("writing GRUB for BIOS (%zu files of /" BOOTCHAIN_GRUB_PC_DIR ")", n);
	int r = bootchain_bios_install(tmp, g->bios_offset, g->bios_size,
				       &(struct bootchain_root){ .esp_volume_id = volid }, v, n);
	free(v);
	return r;
}

/* Everything between "partition table written" and "ESP written". */
static int fill(const struct layout_opts *o, const char *tmp, const struct gpt_layout *g)
{
	struct ids id;
	memcpy(id.root, g->root_partuuid, sizeof id.root);
	memcpy(id.esp, g->esp_partuuid, sizeof id.esp);
	lower(id.root);
	lower(id.esp);

	/* Our overlay first, the caller's after it (so a role may replace ours). */
	char *fstab = render_fstab(&id);
	struct overlay_entry ours[] = {
		{ .path = "/boot/efi", .type = OVERLAY_DIR, .mode = 0755 },
		{ .path = "/etc/fstab", .type = OVERLAY_FILE, .mode = 0644,
		  .data = fstab, .len = strlen(fstab) },
		{ .path = "/usr/lib/repart.d", .type = OVERLAY_DIR, .mode = 0755 },
		{ .path = "/usr/lib/repart.d/50-root.conf", .type = OVERLAY_FILE, .mode = 0644,
		  .data = repart_root, .len = sizeof repart_root - 1 },
	};
	size_t n_ours = sizeof ours / sizeof ours[0];
	size_t n_ov = n_ours + o->n_overlay;
	struct overlay_entry *ov = xcalloc(n_ov, sizeof *ov);
	memcpy(ov, ours, sizeof ours);
	if (o->n_overlay)
		memcpy(ov + n_ours, o->overlay, o->n_overlay * sizeof *ov);

	struct ext4_params ep = { .label = "root", .timestamp = o->source_date_epoch };
	ident_guid(o->identity, "root-fs", ep.uuid);
	ident_bytes(o->identity, "root-fs-hash-seed", ep.hash_seed);

	struct captured cap = { 0 };
	struct ext4_capture hook = { capture_want, capture_take, &cap };
	log_info("writing ext4 root (%" PRIu64 " MiB) from %s", g->root_size >> 20, o->tar_path);
	int r = ext4_from_tar(tmp, g->root_offset, g->root_size, &ep, o->tar_path, ov, n_ov, &hook,
			      o->progress, o->progress_ud);
	free(ov);
	free(fstab);
	if (r == -ENOSPC) {
		/* ext4 said how big the filesystem must be; translate to the disk. */
		log_error("rootfs does not fit in the %" PRIu64 " MiB root partition: make the disk "
			  "at least the filesystem size above + %" PRIu64 " MiB (ESP + GPT)",
			  g->root_size >> 20, (uint64_t)((g->esp_size + 2 * GPT_ALIGN) >> 20));
		goto out;
	}
	if (r < 0)
		goto out;

	const struct blob *kernel = pick_kernel(&cap);
	if (!kernel) {
		r = log_error_errno(ENOENT, "rootfs tar %s has no kernel (/" KERNEL_PREFIX "*)",
				    o->tar_path);
		goto out;
	}
	const char *kver = kernel->path + strlen(KERNEL_PREFIX);
	char *initrd_path = xasprintf(INITRD_PREFIX "%s", kver);
	const struct blob *initrd = find_blob(&cap, initrd_path);
	free(initrd_path);
	if (!initrd) {
		r = log_error_errno(ENOENT, "rootfs tar %s has no initrd for kernel %s (/" INITRD_PREFIX "%s)",
				    o->tar_path, kver, kver);
		goto out;
	}

	const struct blob *shim = find_blob(&cap, BOOTCHAIN_SHIM), *grub = find_blob(&cap, BOOTCHAIN_GRUB_EFI);
	struct bootchain_efi loaders = { shim ? shim->data : NULL, shim ? shim->len : 0, grub ? grub->data : NULL,
					 grub ? grub->len : 0 };
	uint32_t volid = ident_u32(o->identity, "esp-volume-id");
	char *title = xasprintf("Debian GNU/Linux (kiln %s, %s)", o->identity, kver);
	char *cfg = NULL;
	struct esp_file files[BOOTCHAIN_ESP_FILES + 2];
	r = bootchain_esp_files(o->tar_path, &loaders,
				&(struct bootchain_entry){ .title = title, .root_partuuid = id.root,
							   .cmdline_extra = o->cmdline_extra, .esp_volume_id = volid },
				&cfg, files);
	free(title);
	if (r < 0)
		goto out;
	files[BOOTCHAIN_ESP_FILES] = (struct esp_file){ BOOTCHAIN_ESP_KERNEL, kernel->data, kernel->len };
	files[BOOTCHAIN_ESP_FILES + 1] = (struct esp_file){ BOOTCHAIN_ESP_INITRD, initrd->data, initrd->len };
	log_info("writing ESP (%" PRIu64 " MiB): shim, GRUB, kernel %s", g->esp_size >> 20, kver);
	r = esp_build(tmp, g->esp_offset, g->esp_size, volid, o->source_date_epoch, files,
		      sizeof files / sizeof files[0]);
	free(cfg);
	if (r == 0)
		r = write_bios(tmp, g, volid, &cap);
out:
	captured_free(&cap);
	return r;
}

int layout_build(const struct layout_opts *o)
{
	int r = check_opts(o);
	if (r < 0)
		return r;
	struct gpt_layout g;
	if ((r = gpt_plan(o->disk_size, o->esp_size, o->identity, &g)) < 0)
		return r;
	gpt_add_bios(&g, o->identity);

	/* Same directory as the output, so the final rename is atomic. 0600:
	 * the image may carry role files the operator did not mean to publish. */
	char *tmp = xasprintf("%s.tmp-XXXXXX", o->out_path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		r = log_error_errno(errno, "cannot create %s", tmp);
		free(tmp);
		return r;
	}
	if (ftruncate(fd, (off_t)g.disk_size) < 0) {
		r = log_error_errno(errno, "%s: cannot size to %" PRIu64 " bytes", tmp, g.disk_size);
		goto fail;
	}
	log_info("partitioning %s (%" PRIu64 " MiB)", o->out_path, g.disk_size >> 20);
	if ((r = gpt_write(tmp, &g)) < 0)
		goto fail;
	if ((r = fill(o, tmp, &g)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = log_error_errno(errno, "%s: fsync", tmp);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, o->out_path) < 0) {
		r = log_error_errno(errno, "cannot rename %s to %s", tmp, o->out_path);
		goto fail;
	}
	if ((r = fsync_parent(o->out_path)) < 0)
		log_warn_errno(r, "fsync of the directory of %s", o->out_path);
	free(tmp);
	log_info("wrote %s", o->out_path);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}

int layout_data_disk(const char *out_path, uint64_t size)
{
	if (size == 0 || size > UINT64_MAX - GPT_ALIGN)
		return log_error_errno(EINVAL, "data disk size %" PRIu64 " is out of range", size);
	size = (size + GPT_ALIGN - 1) / GPT_ALIGN * GPT_ALIGN;
	char *tmp = xasprintf("%s.tmp-XXXXXX", out_path);
	int fd = mkstemp(tmp);
	int r = 0;
	if (fd < 0) {
		r = log_error_errno(errno, "cannot create %s", tmp);
		free(tmp);
		return r;
	}
	if (ftruncate(fd, (off_t)size) < 0)
		r = log_error_errno(errno, "%s: cannot size to %" PRIu64 " bytes", tmp, size);
	else if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		r = log_error_errno(errno, "%s", tmp);
	close(fd);
	if (r == 0 && rename(tmp, out_path) < 0)
		r = log_error_errno(errno, "cannot rename %s to %s", tmp, out_path);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}
