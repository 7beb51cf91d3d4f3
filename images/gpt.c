#include "images/gpt.h"
#include <errno.h>
#include <libfdisk/libfdisk.h>
#include <stdio.h>
#include <string.h>
#include "lib/log.h"

#define SECTOR 512ULL
/* Primary GPT header + 128 * 128-byte entries occupy LBA 1..33 at the start;
 * the backup occupies the last 33 sectors. */
#define GPT_BACKUP_BYTES (33 * SECTOR)

static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

int gpt_plan(uint64_t disk_size, uint64_t esp_size, const char *identity, struct gpt_layout *out)
{
	memset(out, 0, sizeof *out);
	if (esp_size == 0)
		esp_size = GPT_ESP_DEFAULT;
	if (esp_size > UINT64_MAX / 4 || disk_size > UINT64_MAX / 4)
		return log_error_errno(EINVAL, "disk size %llu or ESP size %llu is out of range",
				       (unsigned long long)disk_size, (unsigned long long)esp_size);
	esp_size = round_up(esp_size, GPT_ALIGN);
	if (esp_size < GPT_ESP_MIN)
		return log_error_errno(EINVAL, "ESP size %llu MiB is below the FAT32 minimum of %llu MiB",
				       (unsigned long long)(esp_size >> 20),
				       (unsigned long long)(GPT_ESP_MIN >> 20));
	disk_size = round_up(disk_size, GPT_ALIGN);

	/* 1 MiB head (MBR + primary GPT + alignment), ESP, root, and a 1 MiB
	 * tail that holds the backup GPT (the root ends on a MiB boundary). */
	uint64_t need = GPT_ALIGN + esp_size + GPT_ROOT_MIN + GPT_ALIGN;
	if (disk_size < need)
		return log_error_errno(ENOSPC, "disk size %llu MiB is too small: need at least %llu MiB "
				       "(%llu MiB ESP + %llu MiB root + 2 MiB for the GPT)",
				       (unsigned long long)(disk_size >> 20), (unsigned long long)(need >> 20),
				       (unsigned long long)(esp_size >> 20),
				       (unsigned long long)(GPT_ROOT_MIN >> 20));

	out->disk_size = disk_size;
	out->esp_offset = GPT_ALIGN;
	out->esp_size = esp_size;
	out->root_offset = GPT_ALIGN + esp_size;
	uint64_t root_end = (disk_size - GPT_BACKUP_BYTES) / GPT_ALIGN * GPT_ALIGN;
	out->root_size = root_end - out->root_offset;

	gpt_set_ids(out, identity, "root");
	return 0;
}

void gpt_set_ids(struct gpt_layout *l, const char *identity, const char *part2)
{
	uint8_t g[16];
	ident_guid(identity, "disk", g);
	guid_format(g, l->disk_guid);
	ident_guid(identity, "esp", g);
	guid_format(g, l->esp_partuuid);
	ident_guid(identity, part2, g);
	guid_format(g, l->root_partuuid);
}

void gpt_add_bios(struct gpt_layout *l, const char *identity)
{
	uint8_t g[16];
	l->bios_offset = GPT_BIOS_FIRST_LBA * SECTOR;
	l->bios_size = GPT_ALIGN - l->bios_offset;
	ident_guid(identity, "bios-boot", g);
	guid_format(g, l->bios_partuuid);
}

/* An empty GPT whose first usable LBA is first_lba: libfdisk takes that
 * only as a script header (fdisk_create_disklabel resets the alignment). */
static int create_gpt(struct fdisk_context *cxt, uint64_t first_lba)
{
	struct fdisk_script *dp = fdisk_new_script(cxt);
	if (!dp)
		return -ENOMEM;
	char lba[24];
	snprintf(lba, sizeof lba, "%llu", (unsigned long long)first_lba);
	int r = fdisk_script_set_header(dp, "label", "gpt");
	if (r == 0)
		r = fdisk_script_set_header(dp, "first-lba", lba);
	if (r == 0)
		r = fdisk_apply_script_headers(cxt, dp);
	/* applying makes it the context's script, and a script holds its
	 * context: break the cycle */
	fdisk_set_script(cxt, NULL);
	fdisk_unref_script(dp);
	return r;
}

static int add_partition(struct fdisk_context *cxt, size_t partno, uint64_t offset, uint64_t size,
			 const char *type_guid, const char *name, const char *uuid)
{
	struct fdisk_label *lb = fdisk_get_label(cxt, "gpt");
	struct fdisk_parttype *t = fdisk_label_parse_parttype(lb, type_guid);   /* a type libfdisk does not know too */
	struct fdisk_partition *pa = fdisk_new_partition();
	int r = -ENOMEM;
	if (!t || !pa)
		goto out;
	if ((r = fdisk_partition_set_partno(pa, partno)) < 0 ||
	    (r = fdisk_partition_set_start(pa, offset / SECTOR)) < 0 ||
	    (r = fdisk_partition_set_size(pa, size / SECTOR)) < 0 ||
	    (r = fdisk_partition_set_type(pa, t)) < 0 ||
	    (r = fdisk_partition_set_name(pa, name)) < 0 ||
	    (r = fdisk_partition_set_uuid(pa, uuid)) < 0 ||
	    (r = fdisk_add_partition(cxt, pa, NULL)) < 0)
		goto out;
	r = 0;
out:
	fdisk_unref_partition(pa);
	fdisk_unref_parttype(t);
	return r;
}

int gpt_write(const char *image_path, const struct gpt_layout *l)
{
	struct fdisk_context *cxt = fdisk_new_context();
	if (!cxt)
		return log_error_errno(ENOMEM, "libfdisk context");
	int r = fdisk_assign_device(cxt, image_path, 0);
	if (r < 0) {
		fdisk_unref_context(cxt);
		return log_error_errno(r, "%s: cannot open for partitioning", image_path);
	}
	const char *step = "image size does not match the plan";
	if (fdisk_get_sector_size(cxt) != SECTOR ||
	    (uint64_t)fdisk_get_nsectors(cxt) * SECTOR != l->disk_size) {
		r = -EINVAL;
		goto fail;
	}
	step = "create GPT";
	if ((r = l->bios_size ? create_gpt(cxt, l->bios_offset / SECTOR) : fdisk_create_disklabel(cxt, "gpt")) < 0)
		goto fail;
	step = "set disk GUID";
	if ((r = fdisk_set_disklabel_id_from_string(cxt, l->disk_guid)) < 0)
		goto fail;
	step = "add ESP partition";
	if ((r = add_partition(cxt, 0, l->esp_offset, l->esp_size, GPT_TYPE_ESP, "ESP",
			       l->esp_partuuid)) < 0)
		goto fail;
	step = "add root partition";
	if ((r = add_partition(cxt, 1, l->root_offset, l->root_size, l->part2_type ? l->part2_type : GPT_TYPE_ROOT_X64,
			       l->part2_name ? l->part2_name : "root", l->root_partuuid)) < 0)
		goto fail;
	step = "set root partition attributes";
	if (!l->part2_plain && (r = fdisk_gpt_set_partition_attrs(cxt, 1, GPT_ATTR_GROWFS)) < 0)
		goto fail;
	step = "add BIOS boot partition";
	if (l->bios_size && (r = add_partition(cxt, 2, l->bios_offset, l->bios_size, GPT_TYPE_BIOS, "BIOS boot",
					       l->bios_partuuid)) < 0)
		goto fail;
	step = "write partition table";
	if ((r = fdisk_write_disklabel(cxt)) < 0)
		goto fail;
	step = "close image";
	/* deassign fsyncs and closes the device. */
	if ((r = fdisk_deassign_device(cxt, 0)) < 0)
		goto fail_closed;
	fdisk_unref_context(cxt);
	return 0;
fail:
	fdisk_deassign_device(cxt, 1);
fail_closed:
	fdisk_unref_context(cxt);
	return log_error_errno(r, "%s: %s", image_path, step);
}
