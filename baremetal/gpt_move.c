/* The image's GPT on a scratch memfd, through libfdisk (gpt_move.h). */
#include "baremetal/gpt_move.h"
#include "images/gpt.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include <errno.h>
#include <inttypes.h>
#include <libfdisk/libfdisk.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#define SECTOR 512u
#define BACKUP_SECTORS 33u   /* header + 128 entries of 128 bytes */

/* A sparse in-memory disk of `size` bytes holding head and tail. */
static int scratch(uint64_t size, const uint8_t *head, const uint8_t *tail, uint64_t image_size)
{
	int fd = memfd_create("kiln-gpt", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	if (r == 0)
		r = pwrite_full(fd, head, BM_MIB, 0);
	if (r == 0)
		r = pwrite_full(fd, tail, BM_MIB, image_size - BM_MIB);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static struct fdisk_context *open_label(int fd, bool rw, int *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct fdisk_context *cxt = fdisk_new_context();
	if (!cxt) {
		*err = -ENOMEM;
		return NULL;
	}
	int r = fdisk_assign_device(cxt, path, rw ? 0 : 1);
	if (r == 0 && (!fdisk_has_label(cxt) || !fdisk_is_label(cxt, GPT)))
		r = -EMEDIUMTYPE;
	if (r < 0) {
		fdisk_unref_context(cxt);
		*err = r;
		return NULL;
	}
	return cxt;
}

static uint64_t item(struct fdisk_context *cxt, int id)
{
	struct fdisk_labelitem *it = fdisk_new_labelitem();
	uint64_t v = 0;
	if (it && fdisk_get_disklabel_item(cxt, id, it) == 0)
		fdisk_labelitem_get_data_u64(it, &v);
	fdisk_unref_labelitem(it);
	return v;
}

static void find_partitions(struct fdisk_context *cxt, struct bm_gpt *out)
{
	struct fdisk_table *tb = NULL;
	if (fdisk_get_partitions(cxt, &tb) < 0)
		return;
	struct fdisk_iter *it = fdisk_new_iter(FDISK_ITER_FORWARD);
	struct fdisk_partition *pa;
	while (it && fdisk_table_next_partition(tb, it, &pa) == 0) {
		struct fdisk_parttype *t = fdisk_partition_get_type(pa);
		const char *s = t ? fdisk_parttype_get_string(t) : NULL;
		if (!s || !fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa))
			continue;
		uint64_t off = (uint64_t)fdisk_partition_get_start(pa) * SECTOR;
		uint64_t len = (uint64_t)fdisk_partition_get_size(pa) * SECTOR;
		if (!strcasecmp(s, GPT_TYPE_ROOT_X64) && !out->root_size) {
			out->root_offset = off;
			out->root_size = len;
		} else if (!strcasecmp(s, GPT_TYPE_ESP) && !out->esp_size) {
			out->esp_offset = off;
			out->esp_size = len;
		}
	}
	fdisk_free_iter(it);
	fdisk_unref_table(tb);
}

int bm_gpt_read(const uint8_t *head, const uint8_t *tail, uint64_t image_size, struct bm_gpt *out)
{
	memset(out, 0, sizeof *out);
	int fd = scratch(image_size, head, tail, image_size), r = 0;
	if (fd < 0)
		return log_error_errno(fd, "cannot make a scratch copy of the partition table");
	struct fdisk_context *cxt = open_label(fd, false, &r);
	if (cxt) {
		if (item(cxt, GPT_LABELITEM_ALTLBA) != image_size / SECTOR - 1)
			r = -EMEDIUMTYPE;
		else
			find_partitions(cxt, out);
		fdisk_unref_context(cxt);
	}
	close(fd);
	if (r == -EMEDIUMTYPE)
		return log_error_errno(r, "the image has no valid GPT (with its backup at the image's end): "
				       "not a kiln disk image");
	if (r < 0)
		return log_error_errno(r, "reading the image's partition table");
	return 0;
}

int bm_gpt_move(const uint8_t *head, const uint8_t *tail, uint64_t image_size, uint64_t disk_size,
		uint8_t *new_head, uint8_t *new_image_tail, uint8_t *new_disk_tail)
{
	if (disk_size < image_size || disk_size % SECTOR)
		return log_error_errno(EINVAL, "disk of %" PRIu64 " bytes for an image of %" PRIu64, disk_size,
				       image_size);
	int fd = scratch(disk_size, head, tail, image_size), r = 0;
	if (fd < 0)
		return log_error_errno(fd, "cannot make a scratch copy of the partition table");
	if (disk_size > image_size) {
		/* libfdisk moves a backup it finds short of the end when it
		 * probes a writable device; the write puts it there. */
		struct fdisk_context *cxt = open_label(fd, true, &r);
		if (cxt) {
			r = fdisk_write_disklabel(cxt);
			if (r == 0 && item(cxt, GPT_LABELITEM_ALTLBA) != disk_size / SECTOR - 1)
				r = -EIO;
			if (r == 0)
				r = fdisk_deassign_device(cxt, 0);
			else
				fdisk_deassign_device(cxt, 1);
			fdisk_unref_context(cxt);
		}
		/* the image's own backup, now mid-disk, goes */
		static const uint8_t zero[BACKUP_SECTORS * SECTOR];
		if (r == 0)
			r = pwrite_full(fd, zero, sizeof zero, image_size - sizeof zero);
	}
	if (r == 0)
		r = pread_full(fd, new_head, BM_MIB, 0);
	if (r == 0)
		r = pread_full(fd, new_image_tail, BM_MIB, image_size - BM_MIB);
	if (r == 0)
		r = pread_full(fd, new_disk_tail, BM_MIB, disk_size - BM_MIB);
	close(fd);
	if (r < 0)
		return log_error_errno(r, "moving the backup GPT to the end of the %" PRIu64 " MiB disk",
				       disk_size >> 20);
	return 0;
}
