/* What the kernel says about a whole disk, read from sysfs under an
 * injectable root (unit tests build fake trees; production passes "/sys").
 * One home for these facts: kiln install's probe (baremetal/probe.c), the
 * installer media's disk selection and kiln-firstboot's data disk all read
 * them here, so a disk rule of the profile (profiles/disk_rule.h) sees the
 * same values on the installer and on the installed host. No lsblk, no
 * udev: the installer's initramfs has neither. Functions return 0 or -errno
 * and do not log. */
#ifndef KILN_DISKINFO_H
#define KILN_DISKINFO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disk_facts {
	char *name;               /* kernel name, "sda" */
	uint64_t size;            /* bytes (sysfs counts 512-byte units whatever the sector size) */
	unsigned sector_size;     /* logical; 512 when the kernel does not say */
	bool read_only, removable, rotational;
	char *model, *serial;     /* printable (disk_text_printable), NULL if the kernel does not say */
	char *path;               /* the device's sysfs path below the root, e.g.
	                             "/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0";
	                             NULL when it has none (virtual devices) */
};

/* One attribute file of a sysfs directory, trailing white space trimmed;
 * -ENOENT if absent. */
int sysfs_attr(const char *dir, const char *attr, char *buf, size_t len);
int sysfs_u64(const char *dir, const char *attr, uint64_t *out);

/* The facts of the block device whose sysfs directory is dir (its disk's
 * directory is disk_dir: the same for a whole disk, the parent for a
 * partition; removable, rotational, sector size, model, serial and path
 * come from there). sysfs is the root dir lives under ("/sys"). */
int disk_facts_read_dir(const char *sysfs, const char *dir, const char *disk_dir, struct disk_facts *out);
/* The facts of the whole disk <sysfs>/block/NAME. */
int disk_facts_read(const char *sysfs, const char *name, struct disk_facts *out);
void disk_facts_free(struct disk_facts *d);

/* The disks a system could install on or keep data on: the entries of
 * <sysfs>/block, sorted by name, without virtual, assembled or optical
 * devices (loop, ram, zram, dm-, md, fd, sr, nbd). *names is malloc'd,
 * each name too. */
int disk_list(const char *sysfs, char ***names, size_t *n);
void disk_list_free(char **names, size_t n);

/* Text that came from a disk (labels, models, serials), made safe to
 * print: control characters, '\\' and non-ASCII bytes as \xHH. NULL in,
 * NULL out. */
char *disk_text_printable(const char *s);
#endif
