/* The boot chain of a kiln image, one for every firmware:
 *   UEFI, Secure Boot on or off: firmware -> \EFI\BOOT\BOOTX64.EFI = Debian's
 *     shim (signed by the Microsoft UEFI CA) -> \EFI\BOOT\grubx64.efi =
 *     Debian's signed GRUB (verified by shim) -> \EFI\debian\grub.cfg ->
 *     /kiln/vmlinuz (Debian's signed kernel, verified through shim) + initrd.
 *     The installer media (targets/media.c) carry the same three ESP files;
 *     their grub.cfg finds the kernel by a marker file instead (on the
 *     ISO: in the ISO 9660 tree, outside the El Torito image).
 *   BIOS: MBR boot code (GRUB's boot.img) -> core.img in the BIOS boot
 *     partition -> the same grub.cfg on the ESP -> the same kernel. The
 *     installer media: the usb target the same way (core.img finds the
 *     ESP by the marker file); the ISO an El Torito BIOS image (GRUB's
 *     cdboot.img + core.img, i386-pc-eltorito) and, written to a stick,
 *     GRUB's boot_hybrid.img in the MBR (xorriso patches both), each
 *     finding the ISO 9660 tree's grub.cfg by the marker file.
 * Every binary comes from the role's rootfs tar (packages shim-signed,
 * grub-efi-amd64-signed, grub-pc-bin in images/roles/base.yaml). */
#ifndef KILN_BOOTCHAIN_H
#define KILN_BOOTCHAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "images/esp.h"

/* Where the packages put the signed binaries (paths inside the tar). */
#define BOOTCHAIN_SHIM     "usr/lib/shim/shimx64.efi.signed"
#define BOOTCHAIN_GRUB_EFI "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"

/* Where they go on the ESP. shim loads grubx64.efi from its own directory;
 * Debian's signed GRUB has the built-in prefix /EFI/debian and reads
 * $prefix/grub.cfg. No fbx64.efi next to shim: with it, shim would run the
 * fallback loader (which writes NVRAM boot entries) instead of GRUB. */
#define BOOTCHAIN_ESP_SHIM "/EFI/BOOT/BOOTX64.EFI"
#define BOOTCHAIN_ESP_GRUB "/EFI/BOOT/grubx64.efi"
#define BOOTCHAIN_ESP_CFG  "/EFI/debian/grub.cfg"
#define BOOTCHAIN_ESP_KERNEL "/kiln/vmlinuz"
#define BOOTCHAIN_ESP_INITRD "/kiln/initrd.img"

struct bootchain_entry {
	const char *title;          /* menu title: any printable text */
	const char *root_partuuid;  /* lower case; NULL: no root= and rw (the
				     * installer media: the initramfs is the root) */
	const char *cmdline_extra;  /* NULL or words appended after "rw" */
	uint32_t esp_volume_id;     /* the ESP's FAT volume id: GRUB finds its root by it */
	const char *marker;         /* NULL, or instead of esp_volume_id: GRUB's root
				     * is the filesystem holding this file (search
				     * --file), an absolute path unique to the medium */
	const char *kernel, *initrd;  /* NULL: BOOTCHAIN_ESP_KERNEL, BOOTCHAIN_ESP_INITRD */
};

/* 0, or -EINVAL (logged) if extra (NULL: none) holds a control character
 * or one GRUB would rewrite on its way to the kernel (a quote, backslash). */
int bootchain_check_cmdline(const char *extra);

/* The grub.cfg text (malloc'd) in *out; -EINVAL as bootchain_check_cmdline,
 * or for a control character in the title, or a marker, kernel or initrd
 * path that is not absolute or holds a character GRUB's lexer treats
 * specially (only [A-Za-z0-9/._-]). */
int bootchain_grub_cfg(const struct bootchain_entry *e, char **out);

/* Where GRUB finds its root (grub.cfg's and core.img's search command):
 * the FAT filesystem with volume id esp_volume_id or, if marker is set,
 * the filesystem holding that file (a path as bootchain_grub_cfg takes). */
struct bootchain_root {
	uint32_t esp_volume_id;
	const char *marker;
};

/* Whether p is a path GRUB takes as one word without quoting (absolute,
 * only [A-Za-z0-9/._-]), so kiln writes it as is. */
bool bootchain_plain_path(const char *p);

/* "search --no-floppy ... --set=root ...\n" for r (malloc'd). */
char *bootchain_search_cmd(const struct bootchain_root *r);

/* The ESP volume id as GRUB's search --fs-uuid spells it: "abcd-1234". */
void bootchain_fat_uuid(uint32_t volume_id, char out[10]);

/* Debian's signed loaders as read from a rootfs tar (BOOTCHAIN_SHIM,
 * BOOTCHAIN_GRUB_EFI); NULL data: the tar has none. */
struct bootchain_efi {
	const void *shim;
	size_t shim_len;
	const void *grub;
	size_t grub_len;
};

/* The ESP's files of the UEFI chain, every kiln ESP's first three:
 * BOOTCHAIN_ESP_SHIM, BOOTCHAIN_ESP_GRUB and BOOTCHAIN_ESP_CFG (the
 * grub.cfg of e, malloc'd in *cfg, pointed to by files[2]). -ENOENT
 * (logged: which package the role's recipe lacks, tar names the rootfs)
 * if l lacks a loader; -EINVAL as bootchain_grub_cfg. */
#define BOOTCHAIN_ESP_FILES 3
int bootchain_esp_files(const char *tar, const struct bootchain_efi *l, const struct bootchain_entry *e, char **cfg,
			struct esp_file files[BOOTCHAIN_ESP_FILES]);

/* ---- BIOS (bootchain_bios.c) ---- */

/* GRUB's i386-pc directory in the tar (grub-pc-bin): boot.img, kernel.img,
 * diskboot.img, lzma_decompress.img, the modules and their lists. */
#define BOOTCHAIN_GRUB_PC_DIR "usr/lib/grub/i386-pc/"

struct bootchain_blob {
	const char *name;           /* file name in the i386-pc directory, no '/' */
	const void *data;
	size_t len;
};

/* Make GRUB's core.img from the i386-pc files (grub-mkimage of the build
 * machine's grub-common, the modules of the rootfs) with an embedded
 * configuration (bootchain_bios_embed_cfg) that finds its root as root
 * says and reads /EFI/debian/grub.cfg there; write it into the BIOS boot
 * partition at [part_offset, +part_size) of image_path and GRUB's boot.img
 * into the protective MBR's boot code, pointing at it. Logs; 0 or -errno
 * (-ENOENT: no boot.img/kernel.img/diskboot.img given, -ENOSPC: core.img
 * too big, -EINVAL: a bad marker path). */
int bootchain_bios_install(const char *image_path, uint64_t part_offset, uint64_t part_size,
			   const struct bootchain_root *root, const struct bootchain_blob *files, size_t n);

/* GRUB's El Torito BIOS boot image (grub-mkimage -O i386-pc-eltorito:
 * cdboot.img, diskboot.img, core.img with the embedded configuration of
 * root and the ISO 9660 driver), malloc'd in *img, whole 2 KiB blocks.
 * The ISO writer must patch it as grub-mkrescue has xorriso do (El
 * Torito boot info table, grub2_boot_info; GRUB's boot_hybrid.img as the
 * MBR for a stick). Logs; 0 or -errno (-ENOENT: no cdboot.img, diskboot.img
 * or kernel.img given, -EINVAL: a bad marker path). */
int bootchain_bios_eltorito(const struct bootchain_root *root, const struct bootchain_blob *files, size_t n,
			    char **img, size_t *len);

/* The configuration core.img carries (malloc'd; exposed for tests): the
 * search command of root, then prefix ($root)/EFI/debian, whose grub.cfg
 * GRUB's normal mode reads. NULL (logged) for a bad marker path. */
char *bootchain_bios_embed_cfg(const struct bootchain_root *root);

/* The two patches, in memory (exposed for tests). bootchain_bios_mbr: mbr
 * (a protective MBR) becomes boot_img's code pointing at core_lba, keeping
 * its BPB area, disk signature and partition table; -EINVAL if mbr is not
 * a protective MBR or boot_img has no boot signature.
 * bootchain_bios_core: point core.img's blocklist at core_lba + 1; -EPROTO
 * if its diskboot sector is not as grub-mkimage writes it. */
int bootchain_bios_mbr(uint8_t mbr[512], const uint8_t boot_img[512], uint64_t core_lba);
/* grub_package_version from GRUB's modinfo.sh text (malloc'd), or NULL. */
char *bootchain_grub_pc_version(const void *modinfo, size_t len);
int bootchain_bios_core(uint8_t *core, size_t len, uint64_t core_lba);
#endif
