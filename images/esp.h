/* The EFI system partition: a FAT32 filesystem made by mkfs.fat (dosfstools)
 * inside a region of an image file and filled by mcopy (mtools), without a
 * mount or loop device. Deterministic: fixed volume id, every file and
 * directory timestamp = the given mtime, TZ=UTC for the tools. */
#ifndef KILN_ESP_H
#define KILN_ESP_H
#include <stddef.h>
#include <stdint.h>

/* FAT32 needs >= 65525 clusters (32 MiB at 512-byte clusters) plus its FATs;
 * mkfs.fat only warns below that, so esp_build refuses. */
#define ESP_MIN_SIZE (36 * 1024 * 1024ULL)

struct esp_file {
	const char *path;       /* absolute inside the ESP, e.g. "/EFI/BOOT/BOOTX64.EFI" */
	const void *data;
	size_t len;
};

/* Format [offset, offset+size) of image_path (both multiples of 512) as
 * FAT32 labelled "ESP" with the given volume id, then copy the files in.
 * mtime < 0: files keep the time of writing (not reproducible). */
int esp_build(const char *image_path, uint64_t offset, uint64_t size, uint32_t volume_id,
	      int64_t mtime, const struct esp_file *files, size_t n_files);

/* The same with a FAT of fat_bits (12, 16 or 32) and sectors_per_cluster
 * (0: esp_sectors_per_cluster's choice for FAT32, 4 otherwise): a UEFI El
 * Torito boot image must stay under 32 MiB, below FAT32's floor, so the
 * installer media use FAT16 (targets/media.c). */
int esp_build_fat(const char *image_path, uint64_t offset, uint64_t size, uint32_t volume_id, int64_t mtime,
		  const struct esp_file *files, size_t n_files, unsigned fat_bits, unsigned sectors_per_cluster);

/* Sectors per cluster for a FAT32 of `size` bytes: the largest of 8,4,2,1
 * that still gives FAT32's minimum cluster count with some margin. */
unsigned esp_sectors_per_cluster(uint64_t size);
#endif
