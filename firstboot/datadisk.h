/* The role's data disk (MySQL datadir, MinIO volume). Rules:
 *   - a disk is "blank" only if libblkid finds neither a partition table nor
 *     any filesystem/RAID/LVM signature on it;
 *   - a disk whose filesystem carries LABEL=kiln-data is ours: it is mounted,
 *     never formatted (the data survives replacing the OS disk);
 *   - otherwise the first blank disk is formatted (ext4, LABEL=kiln-data);
 *   - any other disk (partitioned, foreign filesystem) is left alone.
 * The OS disk is never a candidate: it has a partition table.
 * With the profile's install.data_disk rule (a host installed from kiln's
 * installer media) the disk is found by that rule instead, as the installer
 * found it (profiles/disk_rule.h, the same facts from lib/diskinfo.h):
 * exactly one disk must match, and it must be ours or blank; anything else
 * is refused with every disk and why. */
#ifndef KILN_FB_DATADISK_H
#define KILN_FB_DATADISK_H
#include "lib/appliance.h"   /* KILN_DATA_LABEL */
#include "profiles/model.h"   /* struct disk_rule */
#include <stdbool.h>
#include <stddef.h>

/* How long systemd waits for the data disk at boot before its mount (and
 * the role's server, which requires it) fail: /etc/fstab's
 * x-systemd.device-timeout. */
#define DATADISK_DEVICE_TIMEOUT_S 300u
/* How long the datadisk step waits for the role's server to finish starting
 * (or stopping) before it stops it (unit_wait_settled): a start on the
 * image's own datadir takes a minute or two under TCG and load. */
#define DATADISK_SETTLE_TIMEOUT_MS 600000u

enum disk_kind { DISK_BLANK, DISK_KILN_DATA, DISK_PARTITIONED, DISK_FOREIGN_FS };
const char *disk_kind_name(enum disk_kind k);

/* Probe one device or image file. what (optional) describes it, e.g.
 * "ext4 filesystem LABEL=kiln-data" or "gpt partition table". */
int datadisk_probe(const char *dev, enum disk_kind *kind, char *what, size_t what_len);

struct datadisk_choice {
	char *dev;            /* chosen device path, NULL if none */
	bool needs_format;    /* true: blank, will be formatted */
	char report[1024];    /* one line per disk considered, for the status */
};

/* Look at every whole disk in <sysroot>/sys/block (lib/diskinfo.h's
 * disk_list: no loop, ram, zram, sr, dm-, md ...) whose node is
 * <sysroot>/dev/NAME and choose per the rules; rule (NULL or not set: none)
 * is the host's install.data_disk. */
int datadisk_choose(const char *sysroot, const struct disk_rule *rule, struct datadisk_choice *c);
void datadisk_choice_free(struct datadisk_choice *c);

/* mkfs.ext4 -L kiln-data on a blank device; re-probes first and refuses
 * (-EEXIST) if anything appeared on it. */
int datadisk_format(const char *dev);
#endif
