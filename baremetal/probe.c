/* The target probe (probe.h): sysfs, procfs and libblkid, never lsblk. */
#include "baremetal/probe.h"
#include "lib/cleanup.h"
#include "lib/diskinfo.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void bm_disk_refuse(struct bm_disk *d, enum bm_refusal code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = NULL;
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	d->refusals = xrealloc(d->refusals, (d->n_refusals + 1) * sizeof *d->refusals);
	d->refusals[d->n_refusals++] = (struct bm_refusal_item){ code, why };
}

bool bm_disk_refused(const struct bm_disk *d, enum bm_refusal code)
{
	for (size_t i = 0; i < d->n_refusals; i++)
		if (d->refusals[i].code == code)
			return true;
	return false;
}

void bm_disk_free(struct bm_disk *d)
{
	free(d->path);
	free(d->name);
	free(d->model);
	free(d->serial);
	bm_found_free(d->found, d->n_found);
	bm_record_free(&d->record);
	for (size_t i = 0; i < d->n_refusals; i++)
		free(d->refusals[i].why);
	free(d->refusals);
	memset(d, 0, sizeof *d);
}

bool bm_disk_blank(const struct bm_disk *d)
{
	if (d->n_found || d->record_state == -EBADMSG)
		return false;
	return !d->has_data || d->record_state == 0;
}

static void read_record(int fd, uint64_t size, struct bm_disk *d)
{
	d->record_state = -ENOENT;
	if (size < BM_RECORD_OFFSET + BM_RECORD_SIZE)
		return;
	uint8_t *b = xmalloc(BM_RECORD_SIZE);
	if (pread(fd, b, BM_RECORD_SIZE, BM_RECORD_OFFSET) == (ssize_t)BM_RECORD_SIZE)
		d->record_state = bm_record_parse(b, BM_RECORD_SIZE, &d->record);
	free(b);
}

/* libblkid's findings and kiln's record; RAID/LVM members are refused. */
static int read_content(int fd, struct bm_disk *d)
{
	int r = bm_signatures(fd, d->size, &d->found, &d->n_found);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->n_found; i++) {
		const struct bm_found *f = &d->found[i];
		if (strcmp(f->usage, "raid") != 0)
			continue;
		if (f->partno)
			bm_disk_refuse(d, BM_REFUSE_RAID_MEMBER, "partition %u carries a %s signature (a RAID or LVM "
				       "member): if its array or volume group is no longer needed, remove the "
				       "signature with wipefs first", f->partno, f->type);
		else
			bm_disk_refuse(d, BM_REFUSE_RAID_MEMBER, "it carries a %s signature (a RAID or LVM member): "
				       "if its array or volume group is no longer needed, remove the signature "
				       "with wipefs first", f->type);
	}
	read_record(fd, d->size, d);
	return 0;
}

/* ---- block devices ------------------------------------------------------ */

/* The device, its partitions, their names and numbers. */
struct family {
	struct bm_names names;      /* [0] is the device itself */
	dev_t *devnos;
	char **dirs;
};

static void family_free(struct family *f)
{
	for (size_t i = 0; i < f->names.n; i++)
		free(f->dirs[i]);
	free(f->dirs);
	free(f->devnos);
	bm_names_free(&f->names);
}

static void family_read(const char *dir, dev_t devno, struct family *f)
{
	memset(f, 0, sizeof *f);
	char *copy = xstrdup(dir);
	bm_names_add(&f->names, basename(copy));
	free(copy);
	if (!bm_sysfs_is_partition(dir))
		bm_sysfs_partitions(dir, &f->names);
	f->devnos = xcalloc(f->names.n, sizeof *f->devnos);
	f->dirs = xcalloc(f->names.n, sizeof *f->dirs);
	for (size_t i = 0; i < f->names.n; i++) {
		f->dirs[i] = i ? path_join(dir, f->names.v[i]) : xstrdup(dir);
		if (i == 0)
			f->devnos[i] = devno;
		else if (bm_sysfs_devno(f->dirs[i], &f->devnos[i]) < 0)
			f->devnos[i] = (dev_t)-1;
	}
}

static const char *member(const struct family *f, size_t i, char *buf, size_t len)
{
	if (i == 0)
		return "it";
	snprintf(buf, len, "partition %s", f->names.v[i]);
	return buf;
}

static ssize_t family_index_devno(const struct family *f, dev_t d)
{
	for (size_t i = 0; i < f->names.n; i++)
		if (f->devnos[i] == d)
			return (ssize_t)i;
	return -1;
}

static ssize_t family_index_name(const struct family *f, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	for (size_t i = 0; i < f->names.n; i++)
		if (!strcmp(f->names.v[i], b))
			return (ssize_t)i;
	return -1;
}

static int check_mounts(const struct bm_roots *roots, const struct family *f, struct bm_disk *d)
{
	struct bm_mounts ms;
	char buf[300];
	int r = bm_mounts_read(roots, &ms);
	if (r < 0)
		return r;
	for (size_t k = 0; k < ms.n; k++) {
		const struct bm_mount *m = &ms.v[k];
		ssize_t i = major(m->devno) ? family_index_devno(f, m->devno)
					    : !strncmp(m->source, "/dev/", 5) ? family_index_name(f, m->source) : -1;
		if (i >= 0) {
			char *t = disk_text_printable(m->target);
			bm_disk_refuse(d, BM_REFUSE_MOUNTED, "%s is mounted on %s", member(f, (size_t)i, buf, sizeof buf), t);
			free(t);
		}
	}
	bm_mounts_free(&ms);
	return 0;
}

static int check_swaps(const struct bm_roots *roots, const struct family *f, struct bm_disk *d)
{
	struct bm_names sw = { 0 };
	char buf[300];
	int r = bm_swaps_read(roots, &sw);
	for (size_t k = 0; r == 0 && k < sw.n; k++) {
		struct stat st;
		ssize_t i = stat(sw.v[k], &st) == 0 && S_ISBLK(st.st_mode) ? family_index_devno(f, st.st_rdev)
									     : family_index_name(f, sw.v[k]);
		if (i >= 0)
			bm_disk_refuse(d, BM_REFUSE_SWAP, "%s is in use as swap (swapoff it first)",
				       member(f, (size_t)i, buf, sizeof buf));
	}
	bm_names_free(&sw);
	return r;
}

static void check_holders(const struct bm_roots *roots, const struct family *f, struct bm_disk *d)
{
	char buf[300];
	for (size_t i = 0; i < f->names.n; i++) {
		struct bm_names h = { 0 };
		bm_sysfs_list(f->dirs[i], "holders", &h);
		for (size_t k = 0; k < h.n; k++) {
			char *hd = bm_sysfs_dir_by_name(roots, h.v[k]), dm[256] = "";
			if (hd && sysfs_attr(hd, "dm/name", dm, sizeof dm) == 0) {
				char *p = disk_text_printable(dm);
				snprintf(dm, sizeof dm, " (device-mapper %s)", p);
				free(p);
			}
			free(hd);
			bm_disk_refuse(d, BM_REFUSE_HOLDERS, "%s is held by %s%s: it is part of a device-mapper, "
				       "LVM or RAID device in use", member(f, i, buf, sizeof buf), h.v[k], dm);
		}
		bm_names_free(&h);
	}
}

static void read_attrs(const struct bm_roots *roots, const char *dir, const char *disk_dir, struct bm_disk *d)
{
	struct disk_facts f;
	if (disk_facts_read_dir(roots->sysfs, dir, disk_dir, &f) < 0)
		return;
	d->size = f.size;
	d->read_only = f.read_only;
	d->removable = f.removable;
	d->rotational = f.rotational;
	d->sector_size = f.sector_size;
	d->model = TAKE_PTR(f.model);
	d->serial = TAKE_PTR(f.serial);
	disk_facts_free(&f);
}

static int probe_block(const struct bm_roots *roots, const char *node, dev_t devno, bool real_node,
		       struct bm_disk *d)
{
	d->kind = BM_TARGET_BLOCK;
	d->devno = devno;
	d->record_state = -ENOENT;
	char *dir = bm_sysfs_dir(roots, devno);
	if (!dir)
		return -ENODEV;
	char *copy = xstrdup(dir), *disk_dir = xstrdup(dir);
	d->name = xstrdup(basename(copy));
	free(copy);
	if (bm_sysfs_is_partition(dir)) {
		*strrchr(disk_dir, '/') = '\0';
		char *dc = xstrdup(disk_dir);
		char pn[32] = "?";
		sysfs_attr(dir, "partition", pn, sizeof pn);
		bm_disk_refuse(d, BM_REFUSE_PARTITION, "it is partition %s of %s: give the whole disk (/dev/%s)",
			       pn, basename(dc), basename(dc));
		free(dc);
	}
	read_attrs(roots, dir, disk_dir, d);

	struct family f;
	family_read(dir, devno, &f);
	int r = check_mounts(roots, &f, d);
	if (r == 0)
		r = check_swaps(roots, &f, d);
	if (r == 0)
		check_holders(roots, &f, d);
	struct bm_names boot = { 0 };
	if (r == 0 && (r = bm_boot_disks(roots, &boot)) == 0) {
		char *dc = xstrdup(disk_dir);
		if (bm_names_has(&boot, basename(dc)))
			bm_disk_refuse(d, BM_REFUSE_BOOT_DISK, "the running system booted from it "
				       "(/, /boot or /usr lives on it)");
		free(dc);
	}
	bm_names_free(&boot);
	family_free(&f);
	free(dir);
	free(disk_dir);
	if (r < 0)
		return r;
	if (d->read_only)
		bm_disk_refuse(d, BM_REFUSE_READ_ONLY, "it is read-only");
	if (d->sector_size != 512)
		bm_disk_refuse(d, BM_REFUSE_SECTOR_SIZE, "it has %u-byte logical sectors; kiln images are laid "
			       "out for 512-byte sectors", d->sector_size);

	/* The kernel's own word: an exclusive open fails on a device that is
	 * mounted, swapped on or held, even where sysfs said nothing. */
	int fd = open(node, O_RDONLY | O_CLOEXEC | (real_node ? O_EXCL : 0));
	if (fd < 0 && errno == EBUSY) {
		if (!bm_disk_refused(d, BM_REFUSE_MOUNTED) && !bm_disk_refused(d, BM_REFUSE_SWAP) &&
		    !bm_disk_refused(d, BM_REFUSE_HOLDERS))
			bm_disk_refuse(d, BM_REFUSE_BUSY, "the kernel reports it busy (another program "
				       "holds it open exclusively)");
		fd = open(node, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	r = read_content(fd, d);
	close(fd);
	return r;
}

int bm_disk_probe_block(const struct bm_roots *roots, const char *node, dev_t devno, struct bm_disk *out)
{
	memset(out, 0, sizeof *out);
	out->path = xstrdup(node);
	return probe_block(roots, node, devno, false, out);
}

/* ---- regular files -------------------------------------------------------- */

static int probe_file(const struct bm_roots *roots, const struct stat *st, struct bm_disk *d)
{
	d->kind = BM_TARGET_FILE;
	d->size = (uint64_t)st->st_size;
	d->sector_size = 512;
	d->st_dev = st->st_dev;
	d->st_ino = st->st_ino;
	struct bm_names loops = { 0 };
	int r = bm_loops_backed_by(roots, d->path, &loops);
	for (size_t i = 0; r == 0 && i < loops.n; i++)
		bm_disk_refuse(d, BM_REFUSE_LOOP_BACKING, "it backs the loop device /dev/%s (losetup -d it first)",
			       loops.v[i]);
	bm_names_free(&loops);
	if (r < 0)
		return r;
	int fd = open(d->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	off_t data = d->size ? lseek(fd, 0, SEEK_DATA) : -1;
	d->has_data = data >= 0 || (d->size && errno != ENXIO);
	r = d->size ? read_content(fd, d) : 0;
	close(fd);
	return r;
}

int bm_disk_probe(const struct bm_roots *roots, const char *path, struct bm_disk *out)
{
	memset(out, 0, sizeof *out);
	out->path = xstrdup(path);
	out->record_state = -ENOENT;
	out->sector_size = 512;
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return -errno;
		out->kind = BM_TARGET_NEW_FILE;
		char *copy = xstrdup(path);
		struct stat ds;
		const char *dir = dirname(copy);
		if (stat(dir, &ds) < 0 || !S_ISDIR(ds.st_mode))
			bm_disk_refuse(out, BM_REFUSE_NO_DIR, "its directory %s does not exist", dir);
		free(copy);
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return probe_block(roots, path, st.st_rdev, true, out);
	if (S_ISREG(st.st_mode))
		return probe_file(roots, &st, out);
	out->kind = BM_TARGET_OTHER;
	bm_disk_refuse(out, BM_REFUSE_NOT_DISK, "it is neither a block device nor a regular file");
	return 0;
}
