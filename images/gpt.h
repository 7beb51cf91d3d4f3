/* The partition table of a kiln disk image, written with libfdisk:
 * protective MBR + GPT, 1 MiB aligned,
 *   1  "ESP"   C12A7328-F81F-11D2-BA4B-00A0C93EC93B   esp_size
 *   2  "root"  4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709   the rest (up to the last
 *              whole MiB before the backup GPT), attribute bit 59 (GrowFileSystem)
 *   3  "BIOS boot" 21686148-6449-6E6F-744E-656564454649 LBA 34..2047, only
 *              in disk images (gpt_add_bios); first usable LBA 34 then
 * Disk GUID and partition UUIDs come from the identity (images/ident.h). */
#ifndef KILN_GPT_H
#define KILN_GPT_H
#include <stdbool.h>
#include <stdint.h>
#include "images/esp.h"
#include "images/ident.h"

#define GPT_ALIGN          (1024 * 1024ULL)
#define GPT_ESP_DEFAULT    (256 * 1024 * 1024ULL)
#define GPT_ESP_MIN        ESP_MIN_SIZE
#define GPT_ROOT_MIN       (32 * 1024 * 1024ULL)
#define GPT_TYPE_ESP       "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GPT_TYPE_ROOT_X64  "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
#define GPT_ATTR_GROWFS    (1ULL << 59)
#define GPT_TYPE_BIOS      "21686148-6449-6E6F-744E-656564454649"
/* The BIOS boot partition fills the gap between the primary GPT (LBA 1..33)
 * and the first MiB: LBA 34..2047, so the ESP and root keep their offsets. */
#define GPT_BIOS_FIRST_LBA 34ULL

struct gpt_layout {
	uint64_t disk_size;                 /* bytes, rounded up to 1 MiB */
	uint64_t esp_offset, esp_size;      /* bytes */
	uint64_t root_offset, root_size;    /* bytes */
	char disk_guid[GUID_STR_LEN + 1];
	char esp_partuuid[GUID_STR_LEN + 1];
	char root_partuuid[GUID_STR_LEN + 1];
	/* Partition 2 is the root unless these say otherwise (the installer
	 * media put their payload there, targets/media.c): NULL = root. */
	const char *part2_type, *part2_name;
	bool part2_plain;                   /* no GrowFileSystem attribute */
	/* Partition 3, "BIOS boot" (GRUB's core.img), if bios_size != 0:
	 * set by gpt_add_bios. */
	uint64_t bios_offset, bios_size;    /* bytes */
	char bios_partuuid[GUID_STR_LEN + 1];
};

/* Where the partitions go on a disk of disk_size bytes (both rounded up to
 * 1 MiB; esp_size 0 = default) and their ids; writes nothing. -ENOSPC (with
 * an error naming the minimum size) if the disk is too small, -EINVAL if the
 * ESP is too small for FAT32. */
int gpt_plan(uint64_t disk_size, uint64_t esp_size, const char *identity, struct gpt_layout *out);

/* The disk GUID and the two partition UUIDs from identity; part2 names
 * the second partition's purpose ("root", "payload"). */
void gpt_set_ids(struct gpt_layout *l, const char *identity, const char *part2);

/* Add the BIOS boot partition (LBA 34 up to the first MiB) to a plan. */
void gpt_add_bios(struct gpt_layout *l, const char *identity);

/* Write the plan's partition table into the existing image file at
 * image_path, which must be exactly disk_size (rounded) bytes long. */
int gpt_write(const char *image_path, const struct gpt_layout *l);
#endif
