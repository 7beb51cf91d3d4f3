/* GRUB for BIOS in an image file, without grub-install, root or a loop
 * device (bootchain.h). grub-mkimage (grub-common, on the build machine)
 * makes core.img from the rootfs's i386-pc modules; kiln then does what
 * grub-bios-setup would do on a device, with the offsets of GRUB's
 * include/grub/i386/pc/boot.h and grub-core/boot/i386/pc/diskboot.S:
 *
 * core.img goes to the BIOS boot partition, whole. Its first sector is
 * diskboot.img, which ends in a blocklist: the rest of core.img, 12 bytes
 * at 0x1f4 = 512 - GRUB_BOOT_MACHINE_LIST_SIZE:
 *   0x1f4  u64 LE  first LBA of the rest       grub-mkimage writes 2
 *                                              (the MBR gap); kiln: part + 1
 *   0x1fc  u16 LE  sectors                     grub-mkimage writes it
 *   0x1fe  u16 LE  load segment                0x820 (checked)
 *
 * The MBR gets GRUB's boot.img code, keeping what the protective MBR owns:
 *   0x000..0x002   boot.img (jump)
 *   0x003..0x059   kept: BPB area (GRUB_BOOT_MACHINE_BPB_START..END)
 *   0x05a..0x05b   boot.img
 *   0x05c  u64 LE  GRUB_BOOT_MACHINE_KERNEL_SECTOR: LBA of core.img's first
 *                  sector (the BIOS boot partition's start)
 *   0x064  u8      GRUB_BOOT_MACHINE_BOOT_DRIVE: 0xff (boot.img's default:
 *                  the drive the BIOS booted from, in DL)
 *   0x066  2 bytes GRUB_BOOT_MACHINE_DRIVE_CHECK: 0x90 0x90 (two NOPs over
 *                  the jump, as grub-bios-setup does for a hard disk: trust
 *                  DL only if it names a hard disk, else use 0x80)
 *   0x1b8..0x1fd   kept: disk signature and partition table (the 0xEE entry)
 *   0x1fe..0x1ff   0x55 0xAA
 *
 * The ISO's El Torito image (bootchain_bios_eltorito) is grub-mkimage's
 * i386-pc-eltorito output as it is: xorriso patches its boot info table
 * and blocklist (grub2_boot_info) and writes boot_hybrid.img's MBR, the
 * way grub-mkrescue has it do. */
#include "images/bootchain.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "images/tool_run.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"

#define SECTOR 512u
#define BPB_START 0x03
#define BPB_END 0x5a
#define KERNEL_SECTOR 0x5c
#define BOOT_DRIVE 0x64
#define DRIVE_CHECK 0x66
#define NT_MAGIC 0x1b8
#define PART_END 0x1fe
#define LIST_START (SECTOR - 12)
#define LIST_LEN (SECTOR - 4)
#define LIST_SEG (SECTOR - 2)
#define KERNEL_SEG 0x800            /* GRUB_BOOT_I386_PC_KERNEL_SEG */
#define CORE_MAX (4u << 20)

/* The modules core.img holds: GRUB under BIOS has no other place to load
 * them from (the ESP carries only the EFI chain). normal brings the script
 * engine and menus; grub-mkimage adds every dependency (moddep.lst). */
static const char *const core_modules[] = { "biosdisk", "part_gpt", "fat", "search", "search_fs_uuid", "normal",
					    "linux", "configfile", "echo", "test", NULL };

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

int bootchain_bios_mbr(uint8_t mbr[512], const uint8_t boot_img[512], uint64_t core_lba)
{
	if (boot_img[510] != 0x55 || boot_img[511] != 0xaa)
		return log_error_errno(EINVAL, "GRUB's boot.img has no 55 AA boot signature");
	if (mbr[510] != 0x55 || mbr[511] != 0xaa || mbr[0x1be + 4] != 0xee)
		return log_error_errno(EINVAL, "sector 0 is not a protective MBR");
	uint8_t out[512];
	memcpy(out, boot_img, sizeof out);
	memcpy(out + BPB_START, mbr + BPB_START, BPB_END - BPB_START);
	put_le(out + KERNEL_SECTOR, core_lba, 8);
	out[BOOT_DRIVE] = 0xff;
	out[DRIVE_CHECK] = 0x90;
	out[DRIVE_CHECK + 1] = 0x90;
	memcpy(out + NT_MAGIC, mbr + NT_MAGIC, PART_END - NT_MAGIC);
	memcpy(mbr, out, sizeof out);
	return 0;
}

int bootchain_bios_core(uint8_t *core, size_t len, uint64_t core_lba)
{
	if (len < 2 * SECTOR || len % SECTOR)
		return log_error_errno(EINVAL, "GRUB core.img of %zu bytes is not whole sectors", len);
	uint64_t rest = get_le(core + LIST_LEN, 2), seg = get_le(core + LIST_SEG, 2);
	if (rest != len / SECTOR - 1 || seg != KERNEL_SEG + (SECTOR >> 4))
		return log_error_errno(EPROTO, "GRUB core.img: blocklist says %llu sectors at segment %#llx, expected "
				       "%zu at %#x (another GRUB version's diskboot.img?)",
				       (unsigned long long)rest, (unsigned long long)seg, len / SECTOR - 1,
				       KERNEL_SEG + (SECTOR >> 4));
	put_le(core + LIST_START, core_lba + 1, 8);
	return 0;
}

/* A scratch file in the private staging directory: no fsync (it lives for
 * one grub-mkimage run; 300 fsyncs would cost seconds on a busy disk). */
static int put_file(const char *path, const void *data, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	return pwrite_full(fd, data, len, 0);
}

char *bootchain_bios_embed_cfg(const struct bootchain_root *root)
{
	if (root->marker && !bootchain_plain_path(root->marker)) {
		log_error("GRUB core.img: marker path \"%s\" is not absolute or not made of letters, digits and "
			  "/ . _ -", root->marker);
		return NULL;
	}
	/* Find the root as grub.cfg does, then read the very grub.cfg the
	 * UEFI chain reads. */
	_cleanup_free_ char *search = bootchain_search_cmd(root);
	return xasprintf("%sset prefix=($root)/EFI/debian\n", search);
}

/* What grub-mkimage makes: a hard disk's core.img (diskboot.img first) or
 * a CD's El Torito image (cdboot.img, then the same). */
struct core_kind {
	const char *format;                 /* grub-mkimage -O */
	const char *const *extra;           /* modules beside core_modules */
	size_t pad;                         /* the image in whole blocks of this */
};
static const char *const no_extra[] = { NULL };
/* iso9660: the CD's tree; part_msdos: the MBR table of an ISO on a stick */
static const char *const cd_extra[] = { "iso9660", "part_msdos", NULL };
static const struct core_kind disk_core = { "i386-pc", no_extra, SECTOR };
static const struct core_kind cd_core = { "i386-pc-eltorito", cd_extra, 2048 };

/* Write the module directory into stage, then run grub-mkimage there. */
static int make_core(const char *stage, const struct bootchain_blob *files, size_t n, const struct core_kind *kind,
		     const char *cfg, char **core, size_t *core_len)
{
	for (size_t i = 0; i < n; i++) {
		if (!*files[i].name || strchr(files[i].name, '/') || !strcmp(files[i].name, ".") ||
		    !strcmp(files[i].name, ".."))
			return log_error_errno(EINVAL, "GRUB module directory: bad file name \"%s\"", files[i].name);
		_cleanup_free_ char *p = path_join(stage, files[i].name);
		int r = put_file(p, files[i].data, files[i].len);
		if (r < 0)
			return log_error_errno(r, "staging %s", p);
	}
	_cleanup_free_ char *cfg_path = path_join(stage, "kiln-embed.cfg");
	_cleanup_free_ char *out = path_join(stage, "kiln-core.img");
	int r = put_file(cfg_path, cfg, strlen(cfg));
	if (r < 0)
		return log_error_errno(r, "staging %s", cfg_path);
	const char *argv[32] = { "grub-mkimage", "-O", kind->format, "-d", stage, "-c", cfg_path, "-p", "/EFI/debian",
				 "-o", out };
	size_t k = 11;
	for (size_t i = 0; core_modules[i]; i++)
		argv[k++] = core_modules[i];
	for (size_t i = 0; kind->extra[i]; i++)
		argv[k++] = kind->extra[i];
	argv[k] = NULL;
	if ((r = tool_run(argv, NULL, "grub-common")) < 0)
		return r;
	char *data;
	size_t len;
	if ((r = read_file(out, CORE_MAX, &data, &len)) < 0)
		return log_error_errno(r, "reading %s", out);
	/* whole blocks: zero-pad the tail */
	size_t padded = (len + kind->pad - 1) / kind->pad * kind->pad;
	*core = xrealloc(data, padded ? padded : kind->pad);
	memset(*core + len, 0, (padded ? padded : kind->pad) - len);
	*core_len = padded ? padded : kind->pad;
	unlink(cfg_path);
	unlink(out);
	return 0;
}

static void unstage(const char *stage, const struct bootchain_blob *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr(files[i].name, '/'))
			continue;
		_cleanup_free_ char *p = path_join(stage, files[i].name);
		unlink(p);
	}
	_cleanup_free_ char *c = path_join(stage, "kiln-embed.cfg"), *o = path_join(stage, "kiln-core.img");
	unlink(c);
	unlink(o);
	rmdir(stage);
}

static const struct bootchain_blob *find(const struct bootchain_blob *files, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i].name, name))
			return &files[i];
	return NULL;
}

char *bootchain_grub_pc_version(const void *modinfo, size_t len)
{
	static const char key[] = "grub_package_version=\"";
	for (const char *l = modinfo, *end = l + len; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l);
		if (n > sizeof key - 1 && !memcmp(l, key, sizeof key - 1) && l[n - 1] == '"')
			return xstrndup(l + sizeof key - 1, n - sizeof key);
		l += n + 1;
	}
	return NULL;
}

/* grub-mkimage of one GRUB release with another release's modules has not
 * been tried: say so when the rootfs's GRUB (its modinfo.sh) and this
 * machine's grub-mkimage differ. The diskboot check below still guards the
 * one structure kiln patches. */
static void compare_versions(const struct bootchain_blob *files, size_t n)
{
	const struct bootchain_blob *mi = find(files, n, "modinfo.sh");
	_cleanup_free_ char *theirs = mi ? bootchain_grub_pc_version(mi->data, mi->len) : NULL;
	struct buf out;
	buf_init(&out);
	const char *argv[] = { "grub-mkimage", "--version", NULL };
	int st = spawn_capture(argv, &out, NULL, 4096);
	/* "grub-mkimage (GRUB) 2.06-13+deb12u2\n" */
	if (st == 0 && out.data)
		out.data[strcspn(out.data, "\n")] = '\0';
	const char *ours = st == 0 && out.data ? strrchr(out.data, ' ') : NULL;
	if (ours)
		ours++;
	if (theirs && ours && strcmp(theirs, ours))
		log_warn("the rootfs's GRUB is %s, this machine's grub-mkimage is %s: core.img is built from one "
			 "release's modules by another's tool (untested; install grub-common %s here to match)",
			 theirs, ours, theirs);
	buf_free(&out);
}

/* core.img (or the El Torito image) of kind for root, staged in a private
 * directory under TMPDIR that is gone afterwards. */
static int build(const struct bootchain_root *root, const struct bootchain_blob *files, size_t n,
		 const struct core_kind *kind, char **core, size_t *core_len)
{
	_cleanup_free_ char *cfg = bootchain_bios_embed_cfg(root);
	if (!cfg)
		return -EINVAL;
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *stage = xasprintf("%s/kiln-grub.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(stage))
		return log_error_errno(errno, "GRUB staging directory %s", stage);
	compare_versions(files, n);
	int r = make_core(stage, files, n, kind, cfg, core, core_len);
	unstage(stage, files, n);
	return r;
}

int bootchain_bios_install(const char *image_path, uint64_t part_offset, uint64_t part_size,
			   const struct bootchain_root *root, const struct bootchain_blob *files, size_t n)
{
	if (part_offset % SECTOR || part_size % SECTOR || part_offset < SECTOR)
		return log_error_errno(EINVAL, "BIOS boot partition %llu+%llu is not sector aligned",
				       (unsigned long long)part_offset, (unsigned long long)part_size);
	const struct bootchain_blob *boot = find(files, n, "boot.img");
	if (!boot || !find(files, n, "kernel.img") || !find(files, n, "diskboot.img"))
		return log_error_errno(ENOENT, "no GRUB i386-pc boot.img, diskboot.img and kernel.img in the rootfs "
				       "(install grub-pc-bin in the role's recipe)");
	if (boot->len != SECTOR)
		return log_error_errno(EINVAL, "GRUB's boot.img is %zu bytes, not one sector", boot->len);
	_cleanup_free_ char *core = NULL;
	size_t core_len = 0;
	int r = build(root, files, n, &disk_core, &core, &core_len);
	if (r < 0)
		return r;
	uint64_t lba = part_offset / SECTOR;
	if (core_len > part_size)
		return log_error_errno(ENOSPC, "GRUB core.img (%zu bytes) does not fit the BIOS boot partition "
				       "(%llu bytes)", core_len, (unsigned long long)part_size);
	if ((r = bootchain_bios_core((uint8_t *)core, core_len, lba)) < 0)
		return r;
	_cleanup_close_ int fd = open(image_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "cannot open %s", image_path);
	uint8_t mbr[SECTOR];
	if ((r = pread_full(fd, mbr, sizeof mbr, 0)) < 0)
		return log_error_errno(r, "%s: reading the MBR", image_path);
	if ((r = bootchain_bios_mbr(mbr, boot->data, lba)) < 0)
		return r;
	if ((r = pwrite_full(fd, core, core_len, part_offset)) < 0 || (r = pwrite_full(fd, mbr, sizeof mbr, 0)) < 0)
		return log_error_errno(r, "%s: writing GRUB's BIOS boot code", image_path);
	return 0;
}

int bootchain_bios_eltorito(const struct bootchain_root *root, const struct bootchain_blob *files, size_t n,
			    char **img, size_t *len)
{
	*img = NULL;
	*len = 0;
	if (!find(files, n, "cdboot.img") || !find(files, n, "kernel.img") || !find(files, n, "diskboot.img"))
		return log_error_errno(ENOENT, "no GRUB i386-pc cdboot.img, diskboot.img and kernel.img in the rootfs "
				       "(install grub-pc-bin in the role's recipe)");
	return build(root, files, n, &cd_core, img, len);
}
