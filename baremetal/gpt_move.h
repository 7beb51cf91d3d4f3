/* The image's partition table as kiln install handles it: read from the
 * verified first and last MiB of the image (held back in memory while the
 * rest is copied) and, for a larger disk, moved so the backup GPT sits at
 * the disk's end. libfdisk does the GPT work on a sparse scratch file in
 * memory (memfd), so nothing reaches the disk until the very last writes.
 * Functions log their errors and return 0 or -errno. */
#ifndef KILN_BAREMETAL_GPT_MOVE_H
#define KILN_BAREMETAL_GPT_MOVE_H
#include <stdint.h>

#define BM_MIB (1024u * 1024u)

struct bm_gpt {
	uint64_t root_offset, root_size;    /* Linux root (x86-64) partition; size 0 if none */
	uint64_t esp_offset, esp_size;      /* EFI system partition; size 0 if none */
};

/* head: the image's first MiB, tail: its last MiB. -EMEDIUMTYPE if they
 * hold no valid GPT with the backup at the image's end. */
int bm_gpt_read(const uint8_t *head, const uint8_t *tail, uint64_t image_size, struct bm_gpt *out);

/* The same table on a disk of disk_size >= image_size bytes (a multiple of
 * 512): new_head replaces the first MiB, new_image_tail the image's last
 * MiB (its old backup GPT zeroed) and new_disk_tail the last MiB of the
 * disk (the backup GPT at its end); each buffer is BM_MIB bytes. Write them
 * in that order: the disk tail may overlap the image tail. */
int bm_gpt_move(const uint8_t *head, const uint8_t *tail, uint64_t image_size, uint64_t disk_size,
		uint8_t *new_head, uint8_t *new_image_tail, uint8_t *new_disk_tail);
#endif
