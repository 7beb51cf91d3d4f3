/* Is this disk (or file) safe to install onto? The probe gathers what the
 * kernel and libblkid know about a target and every reason to refuse it
 * that does not depend on the image; bm_check (install.h) adds those that
 * do (size, --wipe, --force). The installer media's disk selection (issue
 * 9, step 3) uses the same probe to list every disk with why it is
 * excluded. Returns 0 or -errno; nothing is logged. */
#ifndef KILN_BAREMETAL_PROBE_H
#define KILN_BAREMETAL_PROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "baremetal/record.h"
#include "baremetal/sysfs.h"

enum bm_kind {
	BM_TARGET_BLOCK,        /* a block device (whole disk or partition) */
	BM_TARGET_FILE,         /* an existing regular file */
	BM_TARGET_NEW_FILE,     /* a regular file kiln will create */
	BM_TARGET_OTHER,        /* anything else: refused */
};

/* One thing libblkid found. partno 0: on the whole disk. */
struct bm_found {
	unsigned partno;
	uint64_t offset, size;  /* bytes; size 0 if unknown */
	char *type;             /* "gpt", "dos", "ext4", "vfat", "LVM2_member" ... */
	char *usage;            /* "partition table", "filesystem", "raid", "crypto", "other", "partition" */
	char *label, *uuid;     /* NULL if none; printable (control characters escaped) */
};

enum bm_refusal {
	BM_REFUSE_NOT_DISK,       /* neither a block device nor a regular file */
	BM_REFUSE_PARTITION,      /* a partition, not a whole disk */
	BM_REFUSE_READ_ONLY,
	BM_REFUSE_MOUNTED,        /* it or one of its partitions */
	BM_REFUSE_SWAP,
	BM_REFUSE_HOLDERS,        /* held by device-mapper, md RAID, LVM ... */
	BM_REFUSE_RAID_MEMBER,    /* carries a RAID/LVM member signature */
	BM_REFUSE_BOOT_DISK,      /* the running system booted from it */
	BM_REFUSE_BUSY,           /* the kernel refuses an exclusive open */
	BM_REFUSE_LOOP_BACKING,   /* a regular file backing an attached loop device */
	BM_REFUSE_SECTOR_SIZE,    /* logical sectors other than 512 bytes */
	BM_REFUSE_NO_DIR,         /* a new file in a directory that does not exist */
	/* added by bm_check: */
	BM_REFUSE_TOO_SMALL,
	BM_REFUSE_SAME_AS_IMAGE,
	BM_REFUSE_NOT_BLANK,      /* holds signatures/data: needs --wipe */
	BM_REFUSE_DAMAGED_RECORD, /* a kiln install record that does not parse: needs --wipe */
	BM_REFUSE_DOWNGRADE,      /* carries a newer version: needs --force */
};

struct bm_refusal_item {
	enum bm_refusal code;
	char *why;                /* one line, e.g. "partition 2 (sdb2) is mounted on /srv" */
};

struct bm_disk {
	char *path;
	enum bm_kind kind;
	dev_t devno;              /* block devices */
	dev_t st_dev;             /* regular files: the file's device and inode */
	ino_t st_ino;
	char *name;               /* sysfs name, "sdb"; NULL for files */
	uint64_t size;            /* bytes (a file: its current size) */
	unsigned sector_size;     /* logical; 512 for files */
	bool read_only, removable, rotational;
	char *model, *serial;     /* NULL if the kernel does not say; printable */
	struct bm_found *found;
	size_t n_found;
	bool has_data;            /* regular file: holds allocated data */
	int record_state;         /* 0 record read, -ENOENT none, -EBADMSG damaged */
	struct bm_record record;
	struct bm_refusal_item *refusals;
	size_t n_refusals;
};

/* Probe path: a block device, an existing regular file or a file to create. */
int bm_disk_probe(const struct bm_roots *roots, const char *path, struct bm_disk *out);
/* The block-device probe with the device number given: unit tests pass a
 * regular file as the node whose content libblkid reads, and a device
 * number their fake sysfs tree describes. */
int bm_disk_probe_block(const struct bm_roots *roots, const char *node, dev_t devno,
			struct bm_disk *out);
void bm_disk_free(struct bm_disk *d);

void bm_disk_refuse(struct bm_disk *d, enum bm_refusal code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool bm_disk_refused(const struct bm_disk *d, enum bm_refusal code);

/* Nothing libblkid knows and (files) no data: a blank disk. A disk whose
 * only content is kiln's in-progress record is blank too (docs/install.md). */
bool bm_disk_blank(const struct bm_disk *d);

/* Everything libblkid recognises on fd: every signature on the whole device
 * (as wipefs lists them), the partition table's entries, and the content of
 * each partition. */
int bm_signatures(int fd, uint64_t size, struct bm_found **v, size_t *n);
void bm_found_free(struct bm_found *v, size_t n);

/* Text from a disk is made printable with disk_text_printable (lib/diskinfo.h). */
#endif
