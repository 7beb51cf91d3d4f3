/* The disk layout engine: a rootfs tar (+ role overlay) -> a sparse, bootable
 * raw disk image (UEFI, Secure Boot, BIOS), without root, mounts or loop devices.
 *
 *   LBA 0      protective MBR
 *   LBA 1..    GPT (libfdisk), deterministic disk/partition GUIDs
 *   part 1     ESP, FAT32 (esp_size), shim at \EFI\BOOT\BOOTX64.EFI, signed GRUB,
 *              grub.cfg (images/bootchain.h), kernel + initrd from the tar
 *   part 2     root, Discoverable Partitions "Linux root (x86-64)" type, ext4
 *              written straight from the tar (images/ext4_writer.h), grows to
 *              fill a larger disk at first boot
 *
 *   part 3     BIOS boot (LBA 34..2047): GRUB core.img; GRUB boot.img in the
 *              MBR code (images/bootchain_bios.c), so BIOS boots it too
 *
 * Same inputs + same SOURCE_DATE_EPOCH => byte-identical image. */
#ifndef KILN_LAYOUT_H
#define KILN_LAYOUT_H
#include <stdint.h>
#include "images/ext4_writer.h"

struct layout_opts {
	const char *tar_path;           /* rootfs tar (mmdebstrap output) */
	const char *out_path;           /* final image; written as <out>.tmp-* then renamed */
	uint64_t disk_size;             /* bytes; rounded up to 1 MiB */
	uint64_t esp_size;              /* bytes; 0 = 256 MiB */
	const struct overlay_entry *overlay;
	size_t n_overlay;
	const char *cmdline_extra;      /* appended to "root=PARTUUID=<uuid> rw" (e.g. "console=ttyS0") */
	int64_t source_date_epoch;      /* <0: now (non-reproducible) */
	const char *identity;           /* string all GUIDs/UUIDs/serials are derived from (e.g. "acme/mysql") */
	ext4_progress_fn progress;      /* optional */
	void *progress_ud;
};

int layout_build(const struct layout_opts *o);

/* A blank sparse data disk image of `size` bytes (first boot formats it). */
int layout_data_disk(const char *out_path, uint64_t size);
#endif
