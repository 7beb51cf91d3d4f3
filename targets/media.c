/* The installer media (media.h). */
#include "targets/media.h"
#include "baremetal/bmap.h"
#include "baremetal/payload.h"
#include "images/bootchain.h"
#include "images/bootkit.h"
#include "images/esp.h"
#include "images/gpt.h"
#include "images/ident.h"
#include "images/initramfs.h"
#include "images/tool_run.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/machine_rule.h"
#include "targets/pack.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)
#define KEY_MAX 4096
/* Kernel messages on the screen and the first serial port; the serial one
 * last, so it is /dev/console, which the installer writes to. */
#define CMDLINE "console=tty0 console=ttyS0,115200 quiet"
/* A UEFI El Torito boot image larger than its 16-bit count of 512-byte
 * sectors can say is not booted by every firmware (OVMF 2022.11 finds no
 * filesystem on it): the ESP stays below 32 MiB, as FAT16. */
#define ESP_MAX (32 * MIB - 512)
#define ESP_FAT_BITS 16
/* FAT16's 65524 clusters of 2 KiB, less the FATs and some slack */
#define ESP_MAX_FAT16 (127 * MIB)

const char *const media_modules[] = {
	"ahci", "ata_piix", "ata_generic", "sd_mod", "sr_mod",
	"nvme", "virtio_pci", "virtio_blk", "virtio_scsi",
	"megaraid_sas", "mpt3sas", "hpsa", "smartpqi", "aacraid", "vmw_pvscsi",
	"xhci_pci", "ehci_pci", "ohci_pci", "uhci_hcd", "usb_storage", "uas",
	"efivarfs",
	NULL,
};

const char *const media_nic_modules[] = {
	"virtio_net", "e1000", "e1000e", "igb", "igc", "ixgbe", "i40e", "bnxt_en", "tg3", "r8169",
	"mlx4_en", "mlx5_core", "vmxnet3", "ena",
	NULL,
};

static bool names_mac(const struct host_set *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		if (hs->hosts[i]->install.machine.mac)
			return true;
	return false;
}

static uint64_t up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* ---- the initramfs ------------------------------------------------------------ */

static int make_initramfs(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
			  const char *path, struct bootkit *kit)
{
	const struct media_inputs *mi = c->media;
	struct initramfs f = { 0 };
	_cleanup_free_ char *pub_path = path_join(mi->state, "operator.pub");
	_cleanup_free_ char *pub = NULL;
	size_t pub_len;
	size_t n = 0, k = 0;
	while (media_modules[n])
		n++;
	while (media_nic_modules[k])
		k++;
	_cleanup_free_ const char **mods = xcalloc(n + k + 1, sizeof *mods);
	memcpy(mods, media_modules, n * sizeof *mods);
	if (names_mac(hs))
		memcpy(mods + n, media_nic_modules, k * sizeof *mods);
	int e = bootkit_collect(img->rootfs_tar, mods, mi->installer, "init", &f, kit);
	if (e < 0)
		goto out;
	for (size_t i = 0; i < kit->n_missing; i++)
		log_warn("the role's kernel %s has no driver %s: the installer cannot use such hardware", kit->kver,
			 kit->missing[i]);
	struct buf list;
	buf_init(&list);
	buf_puts(&list, "");
	for (size_t i = 0; i < kit->n_modules; i++)
		buf_printf(&list, "%s\n", kit->modules[i]);
	initramfs_add_file(&f, "etc/kiln/modules", 0644, list.data, list.len);
	buf_free(&list);
	if ((e = read_file(pub_path, KEY_MAX, &pub, &pub_len)) < 0) {
		log_error_errno(e, "cannot read the operator key %s", pub_path);
		goto out;
	}
	initramfs_add_file(&f, "etc/kiln/operator.pub", 0644, pub, pub_len);
	static const char *const dirs[] = { "dev", "proc", "sys", "run", "tmp" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if (!initramfs_has(&f, dirs[i]))
			initramfs_add_dir(&f, dirs[i], 0755);
	/* the kernel opens it for /init's stdio before anything is mounted */
	initramfs_add_chardev(&f, "dev/console", 0600, 5, 1);
	e = initramfs_write(&f, path, c->source_date_epoch, true);
out:
	initramfs_free(&f);
	return e;
}

/* ---- the boot files ----------------------------------------------------------- */

/* Both media boot Debian's signed chain as the disk images do (shim, GRUB,
 * the role's own signed kernel; images/bootchain.h): the ESP carries the
 * chain's three files, and grub.cfg finds the kernel and initramfs by the
 * medium's marker file. On the usb target they sit in the ESP beside the
 * chain; on the iso target in the ISO 9660 tree, which GRUB reads whether
 * the ISO was booted as a CD-ROM or written to a stick, so the ESP (also
 * the El Torito image, under 32 MiB) holds only the chain. */
#define MEDIUM_KERNEL "/kiln/vmlinuz"
#define MEDIUM_INITRD "/kiln/installer.img"
#define MEDIUM_FILES 3   /* kernel, initramfs, marker */

struct boot_files {
	char *cfg;
	char *marker;        /* "/kiln/medium-<16 hex>" */
	char *marker_text;
	void *initrd;
	size_t initrd_len;
	struct esp_file esp[BOOTCHAIN_ESP_FILES + MEDIUM_FILES];
	size_t n_esp;
	struct esp_file medium[MEDIUM_FILES];   /* in the ESP (usb) or the ISO 9660 tree (iso) */
	uint64_t esp_size;
};

static void marker_of(const char *ident, char out[32])
{
	uint8_t b[16];
	ident_bytes(ident, "grub-marker", b);
	strcpy(out, "/kiln/medium-");
	for (size_t i = 0; i < 8; i++)
		snprintf(out + 13 + 2 * i, 3, "%02x", b[i]);
}

static int boot_files(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
		      const struct bootkit *kit, const char *ident, const char *initrd_path, enum media_kind kind,
		      struct boot_files *bf)
{
	memset(bf, 0, sizeof *bf);
	int e = read_file(initrd_path, 1u << 30, (char **)&bf->initrd, &bf->initrd_len);
	if (e < 0)
		return log_error_errno(e, "cannot read %s", initrd_path);
	char marker[32];
	marker_of(ident, marker);
	bf->marker = xstrdup(marker);
	bf->marker_text = xasprintf("kiln installer medium: deployment %s, %s %s\n", c->m->name,
				    hs->per_role ? "role" : "host", hs->name);
	_cleanup_free_ char *title = xasprintf("kiln installer: %s %s (%s, kernel %s)", c->m->name, hs->name,
					       role_name(hs->role), kit->kver);
	struct bootchain_efi l = { kit->shim, kit->shim_len, kit->grub, kit->grub_len };
	e = bootchain_esp_files(img->rootfs_tar, &l,
				&(struct bootchain_entry){ .title = title, .cmdline_extra = CMDLINE, .marker = bf->marker,
							   .kernel = MEDIUM_KERNEL, .initrd = MEDIUM_INITRD },
				&bf->cfg, bf->esp);
	if (e < 0)
		return e;
	bf->n_esp = BOOTCHAIN_ESP_FILES;
	bf->medium[0] = (struct esp_file){ MEDIUM_KERNEL, kit->kernel, kit->kernel_len };
	bf->medium[1] = (struct esp_file){ MEDIUM_INITRD, bf->initrd, bf->initrd_len };
	bf->medium[2] = (struct esp_file){ bf->marker, bf->marker_text, strlen(bf->marker_text) };
	if (kind == MEDIA_USB)
		for (size_t i = 0; i < MEDIUM_FILES; i++)
			bf->esp[bf->n_esp++] = bf->medium[i];
	uint64_t sum = 0;
	for (size_t i = 0; i < bf->n_esp; i++)
		sum += up(bf->esp[i].len, 2048);   /* 2 KiB clusters */
	/* the files, the FATs and root directory, and some slack; at least
	 * FAT16's 4085 clusters */
	bf->esp_size = up(sum + sum / 50 + MIB, MIB);
	if (bf->esp_size < 9 * MIB)
		bf->esp_size = 9 * MIB;
	uint64_t max = kind == MEDIA_ISO ? ESP_MAX : ESP_MAX_FAT16;
	if (bf->esp_size > max) {
		if (sum + sum / 50 + 256 * 1024 > max)
			return log_error_errno(EFBIG, "the installer's boot files take %" PRIu64 " KiB: %s", sum >> 10,
					       kind == MEDIA_ISO ? "a UEFI El Torito boot image holds at most 32 MiB"
								 : "the medium's FAT16 ESP holds at most 127 MiB");
		bf->esp_size = max / 1024 * 1024;
	}
	return 0;
}

static void boot_files_free(struct boot_files *bf)
{
	free(bf->cfg);
	free(bf->marker);
	free(bf->marker_text);
	free(bf->initrd);
}

/* ---- the payload -------------------------------------------------------------- */

struct signed_map {
	struct buf bmap, sig;
	struct bm_map map;
};

static int sign_map(const struct target_ctx *c, const struct role_images *img, struct signed_map *sm)
{
	buf_init(&sm->bmap);
	buf_init(&sm->sig);
	memset(&sm->map, 0, sizeof sm->map);
	int e = bm_map_of_file(img->os_raw, &sm->bmap);
	if (e < 0)
		return log_error_errno(e, "cannot map the data ranges of %s", img->os_raw);
	const char *base = strrchr(img->os_raw, '/');
	_cleanup_free_ char *name = xasprintf("%s.bmap", base ? base + 1 : img->os_raw);
	if ((e = c->media->sign(c->media->ud, name, sm->bmap.data, sm->bmap.len, c->media->version, &sm->sig)) < 0)
		return e;
	char why[256];
	if ((e = bm_map_parse(sm->bmap.data, sm->bmap.len, &sm->map, why, sizeof why)) < 0)
		return log_error_errno(e, "the block map of %s: %s", img->os_raw, why);
	return 0;
}

static void signed_map_free(struct signed_map *sm)
{
	buf_free(&sm->bmap);
	buf_free(&sm->sig);
	bm_map_free(&sm->map);
}

static void on_payload(void *ud, uint64_t done, uint64_t total)
{
	uint64_t *next = ud;
	if (done < *next && done < total)
		return;
	log_info("payload: %" PRIu64 " / %" PRIu64 " MiB", done >> 20, total >> 20);
	*next = done + (total / 4 ? total / 4 : 1);
}

/* ---- the disk layout ---------------------------------------------------------- */

/* The GPT disk both media are made of: ESP, then the payload; on the usb
 * target also the BIOS boot partition (LBA 34 up to the ESP) with GRUB's
 * core.img and boot.img in the MBR, as the role images have
 * (images/bootchain.h), finding the ESP by the marker file. The iso
 * target takes only the ESP and the payload from it. */
static int write_disk(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
		      const struct bootkit *kit, const char *ident, const struct boot_files *bf,
		      const struct signed_map *sm, enum media_kind kind, const char *path, struct gpt_layout *g)
{
	_cleanup_free_ struct bm_payload_text *seeds = xcalloc(hs->n, sizeof *seeds);
	for (size_t i = 0; i < hs->n; i++)
		seeds[i] = (struct bm_payload_text){ hs->seeds[i]->data, hs->seeds[i]->len };
	struct bm_payload_in in = {
		.image = img->os_raw, .map = &sm->map, .bmap = sm->bmap.data, .bmap_len = sm->bmap.len,
		.sig = sm->sig.data, .sig_len = sm->sig.len, .seeds = seeds, .n_seeds = hs->n,
	};
	uint64_t payload = bm_payload_size(&in);
	memset(g, 0, sizeof *g);
	g->esp_offset = GPT_ALIGN;
	g->esp_size = bf->esp_size;
	g->root_offset = GPT_ALIGN + bf->esp_size;
	g->root_size = payload;
	g->disk_size = g->root_offset + payload + GPT_ALIGN;
	gpt_set_ids(g, ident, "payload");
	g->part2_type = BM_PAYLOAD_TYPE_GUID;
	g->part2_name = BM_PAYLOAD_PART_NAME;
	g->part2_plain = true;
	if (kind == MEDIA_USB)
		gpt_add_bios(g, ident);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_error_errno(errno, "cannot create %s", path);
	if (ftruncate(fd, (off_t)g->disk_size) < 0)
		return log_error_errno(errno, "cannot size %s", path);
	int e = gpt_write(path, g);
	if (e == 0)
		e = esp_build_fat(path, g->esp_offset, g->esp_size, ident_u32(ident, "esp-volume-id"),
				  c->source_date_epoch, bf->esp, bf->n_esp, ESP_FAT_BITS, 4);
	if (e == 0 && kind == MEDIA_USB)
		e = bootchain_bios_install(path, g->bios_offset, g->bios_size,
					   &(struct bootchain_root){ .marker = bf->marker }, kit->grub_pc, kit->n_grub_pc);
	if (e < 0)
		return e;
	log_info("[%s] medium: payload of %" PRIu64 " MiB (the image's %" PRIu64 " MiB of data, %zu seed%s)",
		 hs->name, payload >> 20, sm->map.mapped_bytes >> 20, hs->n, hs->n == 1 ? "" : "s");
	uint64_t next = 0;
	if ((e = bm_payload_write(fd, g->root_offset, &in, on_payload, &next)) < 0)
		return log_error_errno(e, "writing the payload into %s", path);
	if (fsync(fd) < 0)
		return log_error_errno(errno, "%s", path);
	return 0;
}

static void readme_text(const struct target_ctx *c, const struct host_set *hs, enum media_kind kind, struct buf *b)
{
	if (hs->per_role) {
		buf_printf(b, "kiln installer medium for the %s hosts of deployment %s.\n\n"
			      "Boot it (UEFI, Secure Boot too, or legacy BIOS) on one of them: it installs\n"
			      "the host whose install.machine rule the machine matches:\n\n", role_name(hs->role), c->m->name);
		for (size_t i = 0; i < hs->n; i++) {
			_cleanup_free_ char *rule = machine_rule_text(&hs->hosts[i]->install.machine);
			buf_printf(b, "  %-16s %s\n", hs->hosts[i]->name, rule);
		}
		buf_puts(b, "\nIt stops, writing nothing, when no host's rule or more than one matches.\n");
	} else
		buf_printf(b, "kiln installer medium for host %s (role %s) of deployment %s.\n\n"
			      "Boot it on the host (UEFI, Secure Boot too, or legacy BIOS).", hs->name, role_name(hs->role), c->m->name);
	buf_printf(b, "\nIt installs the %s image onto the disk the\n"
		      "profile's install: rules pick, shows what it overwrites and counts down\n"
		      "(unless install.unattended), then reboots into the installed host, which\n"
		      "configures itself from its seed. Nothing is written if any check fails.\n%s",
		   role_name(hs->role), kind == MEDIA_ISO ? "Write it to a USB stick with dd, or boot it as a CD-ROM.\n"
							 : "Write it to a USB stick with dd.\n");
}

/* A file of the ISO 9660 tree: its content in a scratch file. */
struct iso_file {
	const char *local, *path;
};
#define ISO_FILES (3 + MEDIUM_FILES)   /* README, grub.cfg, the BIOS boot image, the medium's files */
/* GRUB's El Torito BIOS boot image in the ISO 9660 tree */
#define ISO_BIOS_IMAGE "/kiln/bios.img"

/* xorriso: two El Torito boot images, GRUB's BIOS one (ISO_BIOS_IMAGE,
 * patched as grub-mkrescue has it: boot info table, grub2_boot_info) and
 * the EFI one, the ESP; GRUB's boot_hybrid.img (at hybrid_mbr) as the MBR
 * code, so the ISO written to a stick boots on BIOS too; the disk's two
 * partitions as the ISO's appended partitions; files in the ISO 9660 tree. */
static int write_iso(const struct target_ctx *c, const struct host_set *hs, const char *disk,
		     const struct gpt_layout *g, const struct iso_file *files, size_t n, const char *hybrid_mbr,
		     const char *out)
{
	_cleanup_free_ char *mbr = xasprintf("grub2_mbr=%s", hybrid_mbr);
	_cleanup_free_ char *esp = xasprintf("--interval:local_fs:%" PRIu64 "-%" PRIu64 "::%s", g->esp_offset,
					     g->esp_offset + g->esp_size - 1, disk);
	_cleanup_free_ char *pay = xasprintf("--interval:local_fs:%" PRIu64 "-%" PRIu64 "::%s", g->root_offset,
					     g->root_offset + g->root_size - 1, disk);
	char volid[33];
	snprintf(volid, sizeof volid, "KILN_%s", hs->name);
	for (char *p = volid; *p; p++)
		*p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	char uuid[17] = "", dates[32] = "set_to_mtime";
	if (c->source_date_epoch >= 0) {
		snprintf(dates, sizeof dates, "=%" PRId64, c->source_date_epoch);
		/* YYYYMMDDhhmmsscc of SOURCE_DATE_EPOCH, as xorriso wants it */
		time_t t = (time_t)c->source_date_epoch;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(uuid, sizeof uuid, "%Y%m%d%H%M%S00", &tm);
	}
	const char *head[] = {
		"xorriso", "-no_rc", "-report_about", "SORRY", "-outdev", out, "-volid", volid,
	};
	const char *tail[] = {
		/* the directories -map makes take the scratch directory's 0700 */
		"-chmod", "0755", "/EFI", "/EFI/debian", "/kiln", "--",
		"-append_partition", "2", GPT_TYPE_ESP, esp,
		"-append_partition", "3", BM_PAYLOAD_TYPE_GUID, pay,
		"-boot_image", "any", "appended_part_as=gpt",
		/* BIOS: El Torito no-emulation, 4 sectors loaded, as grub-mkrescue */
		"-boot_image", "grub", "bin_path=" ISO_BIOS_IMAGE,
		"-boot_image", "grub", "emul_type=no_emulation",
		"-boot_image", "grub", "load_size=2048",
		"-boot_image", "grub", "boot_info_table=on",
		"-boot_image", "grub", "grub2_boot_info=on",
		"-boot_image", "grub", mbr,
		"-boot_image", "any", "next",
		/* UEFI */
		"-boot_image", "any", "efi_path=--interval:appended_partition_2:all::",
		"-boot_image", "any", "gpt_disk_guid=volume_date_uuid",
		/* every file's and directory's times, the ones xorriso makes too */
		"-volume_date", "all_file_dates", dates,
		uuid[0] ? "-volume_date" : NULL, "uuid", uuid,   /* last: without SOURCE_DATE_EPOCH, not given */
		NULL,
	};
	size_t nh = sizeof head / sizeof *head, nt = sizeof tail / sizeof *tail;
	_cleanup_free_ const char **argv = xcalloc(nh + 3 * n + nt, sizeof *argv);
	memcpy(argv, head, sizeof head);
	for (size_t i = 0; i < n; i++) {
		argv[nh + 3 * i] = "-map";
		argv[nh + 3 * i + 1] = files[i].local;
		argv[nh + 3 * i + 2] = files[i].path;
	}
	memcpy(argv + nh + 3 * n, tail, sizeof tail);
	_cleanup_free_ char *sde = c->source_date_epoch >= 0 ? xasprintf("SOURCE_DATE_EPOCH=%" PRId64,
									 c->source_date_epoch) : NULL;
	const char *env[] = { "TZ=UTC", sde, NULL };
	return tool_run(argv, env, "xorriso");
}

static int scratch_put(const char *local, const void *data, size_t len)
{
	int e = write_file_atomic(local, data, len, 0644);
	return e < 0 ? log_error_errno(e, "cannot write %s", local) : 0;
}

/* The ISO: the README, the medium's boot files where GRUB reads them, and
 * a copy of grub.cfg at its ESP path: loaded from a CD-ROM's El Torito
 * image, GRUB takes the CD's ISO 9660 filesystem for the device it came
 * from and reads $prefix/grub.cfg there (without the copy, OVMF showed
 * GRUB's prompt). */
static int make_iso(const struct target_ctx *c, const struct host_set *hs, const struct bootkit *kit,
		    const struct boot_files *bf, const char *initrd, const char *disk, const struct gpt_layout *g,
		    struct pack_scratch *s, const char *iso)
{
	const struct bootchain_blob *hybrid = NULL;
	for (size_t i = 0; i < kit->n_grub_pc; i++)
		if (!strcmp(kit->grub_pc[i].name, "boot_hybrid.img"))
			hybrid = &kit->grub_pc[i];
	if (!hybrid || hybrid->len != 512)
		return log_error_errno(ENOENT, "no GRUB i386-pc boot_hybrid.img of one sector in the rootfs (install "
				       "grub-pc-bin in the role's recipe)");
	_cleanup_free_ char *eltorito = NULL;
	size_t eltorito_len;
	int e = bootchain_bios_eltorito(&(struct bootchain_root){ .marker = bf->marker }, kit->grub_pc, kit->n_grub_pc,
					&eltorito, &eltorito_len);
	if (e < 0)
		return e;
	const char *mbr = pack_scratch_file(s, "boot_hybrid.img");
	struct buf rb;
	buf_init(&rb);
	readme_text(c, hs, MEDIA_ISO, &rb);
	struct iso_file files[ISO_FILES] = {
		{ pack_scratch_file(s, "README.txt"), "/README.txt" },
		{ pack_scratch_file(s, "grub.cfg"), BOOTCHAIN_ESP_CFG },
		{ pack_scratch_file(s, "vmlinuz"), bf->medium[0].path },
		{ initrd, bf->medium[1].path },
		{ pack_scratch_file(s, "marker"), bf->medium[2].path },
		{ pack_scratch_file(s, "bios.img"), ISO_BIOS_IMAGE },
	};
	e = scratch_put(files[0].local, rb.data, rb.len);
	buf_free(&rb);
	if (e == 0)
		e = scratch_put(files[1].local, bf->cfg, strlen(bf->cfg));
	if (e == 0)
		e = scratch_put(files[2].local, bf->medium[0].data, bf->medium[0].len);
	if (e == 0)
		e = scratch_put(files[4].local, bf->medium[2].data, bf->medium[2].len);
	if (e == 0)
		e = scratch_put(files[5].local, eltorito, eltorito_len);
	if (e == 0)
		e = scratch_put(mbr, hybrid->data, hybrid->len);
	if (e == 0)
		e = write_iso(c, hs, disk, g, files, ISO_FILES, mbr, iso);
	if (e == 0 && chmod(iso, 0600) < 0)
		e = log_error_errno(errno, "%s", iso);
	return e;
}

int media_check(const struct target_ctx *c, const struct host_set *hs)
{
	if (!hs->per_role)
		return 0;
	int e = 0;
	for (size_t i = 0; i < hs->n; i++) {
		const struct host *h = hs->hosts[i];
		if (h->install.machine.set)
			continue;
		log_error("%s:%u:%u: host '%s' has no install.machine rule: a medium per role (--per-role) picks its "
			  "host by that rule (docs/profile.md)", c->m->source_name, h->pos.line, h->pos.col, h->name);
		e = -EINVAL;
	}
	if (e == 0 && hs->n > BM_PAYLOAD_SEEDS)
		e = log_error_errno(EFBIG, "--per-role: role %s has %zu hosts, a medium carries at most %u: pick them "
				    "with --host", role_name(hs->role), hs->n, BM_PAYLOAD_SEEDS);
	return e;
}

int media_build(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
		enum media_kind kind, char **out)
{
	const char *tname = kind == MEDIA_ISO ? "iso" : "usb";
	if (!c->media)
		return log_error_errno(EINVAL, "--target %s: this command cannot make installer media", tname);
	if (!img->rootfs_tar)
		return log_error_errno(EINVAL, "--target %s needs the role's root filesystem: build the media with "
				       "kiln build, not from given images", tname);
	if (!hs->n)
		return log_error_errno(EINVAL, "--target %s: no host for the medium %s", tname, hs->name);
	for (size_t i = 0; i < hs->n; i++)
		if (!hs->seeds[i] || !hs->seeds[i]->len)
			return log_error_errno(EINVAL, "--target %s: no seed for host %s", tname, hs->hosts[i]->name);
	int e = media_check(c, hs);
	if (e == 0)
		e = pack_check_image(img->os_raw);
	if (e < 0)
		return e;
	struct pack_scratch s;
	if ((e = pack_scratch_open(&s, c->out_dir)) < 0)
		return e;
	struct bootkit kit = { 0 };
	struct boot_files bf = { 0 };
	struct signed_map sm = { 0 };
	struct gpt_layout g;
	/* a role's medium and a host's never share GUIDs or markers, even where a host is named like a role */
	_cleanup_free_ char *ident = xasprintf("%s/%s%s/installer-media", c->m->name, hs->per_role ? "role:" : "",
					       hs->name);
	_cleanup_free_ char *final = xasprintf("%s/%s-%s.%s", c->out_dir, c->m->name, hs->name,
					       kind == MEDIA_ISO ? "iso" : "img");
	const char *initrd = pack_scratch_file(&s, "installer.img");
	const char *disk = pack_scratch_file(&s, "medium.img");
	log_info("[%s] medium: installer initramfs from %s", hs->name, img->rootfs_tar);
	if ((e = make_initramfs(c, hs, img, initrd, &kit)) < 0 ||
	    (e = boot_files(c, hs, img, &kit, ident, initrd, kind, &bf)) < 0 || (e = sign_map(c, img, &sm)) < 0 ||
	    (e = write_disk(c, hs, img, &kit, ident, &bf, &sm, kind, disk, &g)) < 0)
		goto out;
	if (kind == MEDIA_USB) {
		if (rename(disk, final) < 0)
			e = log_error_errno(errno, "cannot rename %s to %s", disk, final);
	} else {
		const char *iso = pack_scratch_file(&s, "medium.iso");
		e = make_iso(c, hs, &kit, &bf, initrd, disk, &g, &s, iso);
		if (e == 0 && rename(iso, final) < 0)
			e = log_error_errno(errno, "cannot rename %s to %s", iso, final);
	}
	if (e == 0) {
		struct stat st;
		if (stat(final, &st) == 0)
			log_info("[%s] medium: %s (%" PRIu64 " MiB)", hs->name, final, (uint64_t)st.st_size >> 20);
		*out = TAKE_PTR(final);
	}
out:
	signed_map_free(&sm);
	boot_files_free(&bf);
	bootkit_free(&kit);
	pack_scratch_close(&s);
	return e;
}

void media_readme(const struct target_ctx *c, enum media_kind kind, struct buf *b)
{
	const struct model *m = c->m;
	const char *ext = kind == MEDIA_ISO ? "iso" : "img";
	buf_printf(b, "# Bare-metal installer media of deployment %s\n\n"
		      "Made by kiln. %s Write a medium to a USB stick (every byte of the stick is\n"
		      "replaced):\n\n```sh\ndd if=%s-%s.%s of=/dev/sdX bs=4M conv=fsync status=progress\n```\n\n"
		      "%s"
		      "Boot the host from it (UEFI, Secure Boot too, or legacy BIOS).%s The installer lists\n"
		      "the host's disks, picks the one the profile's `install.disk` rule matches (without a\n"
		      "rule: the only blank disk), shows what it will overwrite and counts down 10 s\n"
		      "(`install.unattended: true` skips that),\n"
		      "writes and verifies the signed image, puts the host's seed in it, makes the firmware\n"
		      "boot the installed disk next (UEFI; under legacy BIOS remove the medium, or boot the\n"
		      "disk first) and reboots. Any refusal stops it before anything is\n"
		      "written; an interrupted install does not boot, and booting the medium again finishes\n"
		      "it. The medium holds the role's private key and the seeds: keep it like the\n"
		      "OVA of an ESXi deployment.\n\n| host | role | medium |%s\n|------|------|--------|%s\n",
		   m->name, c->per_role ? "One medium per role, carrying the seed of each of its hosts." :
		   "One medium per host.", m->name, c->per_role ? "ROLE" : "HOST", ext,
		   kind == MEDIA_ISO ? "The ISO also boots as a CD-ROM (or a virtual CD of a server's BMC).\n\n" : "",
		   c->per_role ? " It installs the host whose `install.machine` rule the machine\n"
				 "matches (its MAC addresses, DMI serial and UUID), or stops when none or several do." : "",
		   c->per_role ? " install.machine |" : "", c->per_role ? "-----------------|" : "");
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (!c->want[h->role])
			continue;
		buf_printf(b, "| %s | %s | %s-%s.%s |", h->name, role_name(h->role), m->name,
			   c->per_role ? role_name(h->role) : h->name, ext);
		if (c->per_role) {
			_cleanup_free_ char *rule = h->install.machine.set ? machine_rule_text(&h->install.machine) : NULL;
			buf_printf(b, " `%s` |", rule ? rule : "none");
		}
		buf_putc(b, '\n');
	}
}
