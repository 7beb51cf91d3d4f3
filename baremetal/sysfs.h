/* What the kernel says about block devices, read from sysfs and procfs
 * under injectable roots (unit tests build fake trees; production uses
 * bm_roots_host). No shelling out to lsblk. Functions return 0 or -errno
 * and do not log. */
#ifndef KILN_BAREMETAL_SYSFS_H
#define KILN_BAREMETAL_SYSFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bm_roots {
	const char *sysfs;      /* "/sys" */
	const char *procfs;     /* "/proc" */
};
extern const struct bm_roots bm_roots_host;

/* The canonical sysfs directory of a block device (realpath of
 * <sysfs>/dev/block/MAJ:MIN or <sysfs>/class/block/NAME); NULL if none. */
char *bm_sysfs_dir(const struct bm_roots *r, dev_t devno);
char *bm_sysfs_dir_by_name(const struct bm_roots *r, const char *name);

/* Attribute files: sysfs_attr and sysfs_u64 (lib/diskinfo.h). */
bool bm_sysfs_is_partition(const char *dir);
/* "MAJ:MIN" of the device dir. */
int bm_sysfs_devno(const char *dir, dev_t *out);

/* A list of names (entries of holders/, slaves/, partition children). */
struct bm_names {
	char **v;
	size_t n;
};
void bm_names_free(struct bm_names *l);
void bm_names_add(struct bm_names *l, const char *name);
bool bm_names_has(const struct bm_names *l, const char *name);
/* The entries of dir/sub (holders, slaves); none if it does not exist. */
int bm_sysfs_list(const char *dir, const char *sub, struct bm_names *out);
/* The partitions of a whole-disk dir (children holding a "partition" file). */
int bm_sysfs_partitions(const char *dir, struct bm_names *out);

/* /proc/self/mountinfo */
struct bm_mount {
	dev_t devno;
	char *root, *target, *fstype, *source;   /* unescaped */
};
struct bm_mounts {
	struct bm_mount *v;
	size_t n;
};
int bm_mounts_read(const struct bm_roots *r, struct bm_mounts *out);
void bm_mounts_free(struct bm_mounts *m);

/* /proc/swaps: the Filename column, unescaped. */
int bm_swaps_read(const struct bm_roots *r, struct bm_names *out);

/* The whole disks a mounted filesystem lives on: the device by devno (or by
 * the source's name for filesystems such as btrfs that report an anonymous
 * device), a partition's parent, and for device-mapper/md devices every
 * disk under slaves/, recursively. Appends disk names to out. */
void bm_disks_under(const struct bm_roots *r, const struct bm_mount *m, struct bm_names *out);

/* The disks the running system booted from: under /, /boot, /boot/efi and /usr. */
int bm_boot_disks(const struct bm_roots *r, struct bm_names *out);

/* Attached loop devices whose backing file is path (compared by realpath). */
int bm_loops_backed_by(const struct bm_roots *r, const char *path, struct bm_names *out);
#endif
