/* baremetal/probe.c + sysfs.c + signatures.c: every refusal of a target,
 * against fake sysfs and procfs trees (the layout the kernel uses: devices/
 * with dev, size, ro, partition, holders/, slaves/, device/model ...; links
 * under dev/block/ and class/block/; proc/self/mountinfo, proc/swaps), with
 * libblkid reading a regular file standing in for the device node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <sys/sysmacros.h>
#include "baremetal/probe.h"
#include "lib/diskinfo.h"
#include "image_util.h"
#include "mini_image.h"

#define MiB (1024 * 1024ULL)
#define MAJ 250

static char *root, *node;
static struct bm_roots roots;

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", root, rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(d);
	free(p);
}

static void dir(const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);
	assert_int_equal(mkdir_p(p, 0755), 0);
	free(p);
}

static void link_to(const char *rel, const char *target)
{
	char *p = xasprintf("%s/%s", root, rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(symlink(target, p), 0);
	free(d);
	free(p);
}

/* A device directory under devices/virtual/block/, found by number and name. */
static void device(const char *path_in_block, const char *name, unsigned minor, uint64_t sectors)
{
	char *b = xasprintf("sys/devices/virtual/block/%s", path_in_block), *t;
	t = xasprintf("%s/dev", b);
	char *v = xasprintf("%u:%u\n", MAJ, minor);
	put(t, v);
	free(t);
	free(v);
	t = xasprintf("%s/size", b);
	v = xasprintf("%llu\n", (unsigned long long)sectors);
	put(t, v);
	free(t);
	free(v);
	t = xasprintf("%s/ro", b);
	put(t, "0\n");
	free(t);
	t = xasprintf("%s/holders", b);
	dir(t);
	free(t);
	t = xasprintf("sys/dev/block/%u:%u", MAJ, minor);
	v = xasprintf("../../devices/virtual/block/%s", path_in_block);
	link_to(t, v);
	free(t);
	free(v);
	t = xasprintf("sys/class/block/%s", name);
	v = xasprintf("../../devices/virtual/block/%s", path_in_block);
	link_to(t, v);
	free(t);
	free(v);
	free(b);
}

/* fakea (250:0, 512 MiB) with fakea1 (250:1) and fakea2 (250:2); fakeb
 * (250:16) without partitions; dm-0 (250:32) over fakea2. */
static void make_tree(void)
{
	device("fakea", "fakea", 0, 1048576);
	put("sys/devices/virtual/block/fakea/removable", "0\n");
	put("sys/devices/virtual/block/fakea/queue/rotational", "1\n");
	put("sys/devices/virtual/block/fakea/queue/logical_block_size", "512\n");
	put("sys/devices/virtual/block/fakea/device/model", "KILN DISK A     \n");
	put("sys/devices/virtual/block/fakea/device/serial", "SER-A1\n");
	dir("sys/devices/virtual/block/fakea/slaves");
	device("fakea/fakea1", "fakea1", 1, 2048);
	put("sys/devices/virtual/block/fakea/fakea1/partition", "1\n");
	device("fakea/fakea2", "fakea2", 2, 4096);
	put("sys/devices/virtual/block/fakea/fakea2/partition", "2\n");
	device("fakeb", "fakeb", 16, 1048576);
	/* a virtio disk: serial directly under the device, none under device/ */
	put("sys/devices/virtual/block/fakeb/serial", "VIRTIO-B\n");
	dir("sys/devices/virtual/block/fakeb/slaves");
	device("dm-0", "dm-0", 32, 4096);
	put("sys/devices/virtual/block/dm-0/dm/name", "vg-root\n");
	link_to("sys/devices/virtual/block/dm-0/slaves/fakea2", "../../fakea/fakea2");
	dir("sys/block");
	put("proc/self/mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n");
	put("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
}

static int setup(void **state)
{
	(void)state;
	root = make_tmpdir();
	roots = (struct bm_roots){ xasprintf("%s/sys", root), xasprintf("%s/proc", root) };
	node = xasprintf("%s/node.img", root);
	make_sparse(node, 512 * MiB);
	make_tree();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	free(root);
	free(node);
	free((char *)roots.sysfs);
	free((char *)roots.procfs);
	return 0;
}

static struct bm_disk probe(unsigned minor)
{
	struct bm_disk d;
	assert_int_equal(bm_disk_probe_block(&roots, node, makedev(MAJ, minor), &d), 0);
	return d;
}

static const char *why(const struct bm_disk *d, enum bm_refusal code)
{
	for (size_t i = 0; i < d->n_refusals; i++)
		if (d->refusals[i].code == code)
			return d->refusals[i].why;
	return NULL;
}

static void test_blank_disk(void **state)
{
	(void)state;
	struct bm_disk d = probe(0);
	assert_int_equal(d.n_refusals, 0);
	assert_true(bm_disk_blank(&d));
	assert_string_equal(d.name, "fakea");
	assert_int_equal(d.size, 512 * MiB);
	assert_int_equal(d.sector_size, 512);
	assert_true(d.rotational);
	assert_string_equal(d.model, "KILN DISK A");
	assert_string_equal(d.serial, "SER-A1");
	assert_int_equal(d.record_state, -ENOENT);
	bm_disk_free(&d);
	d = probe(16);
	assert_string_equal(d.serial, "VIRTIO-B");
	assert_null(d.model);
	bm_disk_free(&d);
}

static void test_no_sysfs_entry(void **state)
{
	(void)state;
	struct bm_disk d;
	assert_int_equal(bm_disk_probe_block(&roots, node, makedev(MAJ, 99), &d), -ENODEV);
	bm_disk_free(&d);
}

static void test_partition(void **state)
{
	(void)state;
	struct bm_disk d = probe(2);
	assert_non_null(why(&d, BM_REFUSE_PARTITION));
	assert_string_equal(why(&d, BM_REFUSE_PARTITION),
			    "it is partition 2 of fakea: give the whole disk (/dev/fakea)");
	/* the partition's own identity comes from its disk */
	assert_string_equal(d.model, "KILN DISK A");
	bm_disk_free(&d);
}

static void test_mounted(void **state)
{
	(void)state;
	put("proc/self/mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n"
				   "30 1 250:2 / /srv\\040data rw,relatime shared:1 - ext4 /dev/fakea2 rw\n");
	struct bm_disk d = probe(0);
	assert_string_equal(why(&d, BM_REFUSE_MOUNTED), "partition fakea2 is mounted on /srv data");
	assert_false(bm_disk_refused(&d, BM_REFUSE_BOOT_DISK));
	bm_disk_free(&d);
	/* the whole disk mounted (a filesystem without a partition table) */
	put("proc/self/mountinfo", "31 1 250:16 / /mnt rw - ext4 /dev/fakeb rw\n");
	d = probe(16);
	assert_string_equal(why(&d, BM_REFUSE_MOUNTED), "it is mounted on /mnt");
	bm_disk_free(&d);
	/* btrfs reports an anonymous device number; the source names the partition */
	put("proc/self/mountinfo", "32 1 0:45 / /data rw - btrfs /dev/fakea1 rw\n");
	d = probe(0);
	assert_string_equal(why(&d, BM_REFUSE_MOUNTED), "partition fakea1 is mounted on /data");
	bm_disk_free(&d);
	/* another disk's mount is not ours */
	d = probe(16);
	assert_false(bm_disk_refused(&d, BM_REFUSE_MOUNTED));
	bm_disk_free(&d);
}

static void test_bad_mountinfo(void **state)
{
	(void)state;
	put("proc/self/mountinfo", "this is not mountinfo\n");
	struct bm_disk d;
	assert_int_equal(bm_disk_probe_block(&roots, node, makedev(MAJ, 0), &d), -EBADMSG);
	bm_disk_free(&d);
}

static void test_swap(void **state)
{
	(void)state;
	put("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			  "/dev/fakea1                             partition\t1020\t\t0\t\t-2\n"
			  "/swap\\040file                           file\t\t1020\t\t0\t\t-3\n");
	struct bm_disk d = probe(0);
	assert_string_equal(why(&d, BM_REFUSE_SWAP), "partition fakea1 is in use as swap (swapoff it first)");
	bm_disk_free(&d);
	d = probe(16);
	assert_false(bm_disk_refused(&d, BM_REFUSE_SWAP));
	bm_disk_free(&d);
}

static void test_holders(void **state)
{
	(void)state;
	link_to("sys/devices/virtual/block/fakea/fakea2/holders/dm-0", "../../../dm-0");
	struct bm_disk d = probe(0);
	assert_string_equal(why(&d, BM_REFUSE_HOLDERS), "partition fakea2 is held by dm-0 (device-mapper "
			    "vg-root): it is part of a device-mapper, LVM or RAID device in use");
	bm_disk_free(&d);
	/* a whole disk held by md */
	dir("sys/devices/virtual/block/fakeb/holders/md127");
	d = probe(16);
	assert_string_equal(why(&d, BM_REFUSE_HOLDERS), "it is held by md127: it is part of a "
			    "device-mapper, LVM or RAID device in use");
	bm_disk_free(&d);
}

static void test_boot_disk(void **state)
{
	(void)state;
	/* / on a partition of fakea */
	put("proc/self/mountinfo", "20 0 250:1 / / rw - ext4 /dev/fakea1 rw\n");
	struct bm_disk d = probe(0);
	assert_non_null(why(&d, BM_REFUSE_BOOT_DISK));
	assert_non_null(why(&d, BM_REFUSE_MOUNTED));
	bm_disk_free(&d);
	d = probe(16);
	assert_int_equal(d.n_refusals, 0);
	bm_disk_free(&d);
	/* /boot on fakeb, / on device-mapper over fakea2 */
	put("proc/self/mountinfo", "20 0 250:32 / / rw - ext4 /dev/mapper/vg-root rw\n"
				   "21 20 250:16 / /boot rw - ext4 /dev/fakeb rw\n");
	d = probe(0);
	assert_string_equal(why(&d, BM_REFUSE_BOOT_DISK), "the running system booted from it "
			    "(/, /boot or /usr lives on it)");
	bm_disk_free(&d);
	d = probe(16);
	assert_non_null(why(&d, BM_REFUSE_BOOT_DISK));
	bm_disk_free(&d);
}

static void test_read_only_and_sector_size(void **state)
{
	(void)state;
	put("sys/devices/virtual/block/fakeb/ro", "1\n");
	put("sys/devices/virtual/block/fakeb/queue/logical_block_size", "4096\n");
	struct bm_disk d = probe(16);
	assert_string_equal(why(&d, BM_REFUSE_READ_ONLY), "it is read-only");
	assert_non_null(why(&d, BM_REFUSE_SECTOR_SIZE));
	bm_disk_free(&d);
}

/* An md 0.90 superblock where the kernel puts it: 64 KiB below the last
 * 64 KiB boundary. */
static void write_raid_sb(const char *path, uint64_t size)
{
	uint32_t sb[16] = { 0xa92b4efc, 0, 90, 0, 0, 0x11111111, 0, 1, 0, 2, 2, 0, 0, 2, 3, 4 };
	write_at(path, (size & ~0xffffULL) - 0x10000, sb, sizeof sb);
}

static void test_raid_member(void **state)
{
	(void)state;
	write_raid_sb(node, 512 * MiB);
	struct bm_disk d = probe(16);
	assert_non_null(why(&d, BM_REFUSE_RAID_MEMBER));
	assert_non_null(strstr(why(&d, BM_REFUSE_RAID_MEMBER), "linux_raid_member"));
	assert_false(bm_disk_blank(&d));
	bm_disk_free(&d);
}

static void test_signatures_listed(void **state)
{
	(void)state;
	char *img = xasprintf("%s/img.raw", root);
	assert_int_equal(mini_image(img, 128, "app", 1, 7), 0);
	put("sys/devices/virtual/block/fakeb/size", "262144\n");
	struct bm_disk d;
	assert_int_equal(bm_disk_probe_block(&roots, img, makedev(MAJ, 16), &d), 0);
	assert_false(bm_disk_blank(&d));
	int pt = 0, vfat = 0, ext4 = 0, parts = 0;
	for (size_t i = 0; i < d.n_found; i++) {
		const struct bm_found *f = &d.found[i];
		pt += !strcmp(f->type, "gpt") && f->partno == 0;
		vfat += !strcmp(f->type, "vfat") && f->partno == 1 && f->label && !strcmp(f->label, "ESP");
		ext4 += !strcmp(f->type, "ext4") && f->partno == 2 && !strcmp(f->label, "root");
		parts += !strcmp(f->usage, "partition");
	}
	assert_int_equal(pt, 1);
	assert_int_equal(vfat, 1);
	assert_int_equal(ext4, 1);
	assert_int_equal(parts, 3);   /* ESP, root, BIOS boot */
	bm_disk_free(&d);
	free(img);
}

static void put_record(const char *path, const char *text)
{
	write_at(path, BM_RECORD_OFFSET, text, strlen(text));
}

static void test_record(void **state)
{
	(void)state;
	/* an interrupted kiln install: blank but for its record */
	put_record(node, "kiln-install-record 1\nstate in-progress\ntime 5\nimage a.raw\ndeployment acme\n"
			 "version 2\nend\n");
	struct bm_disk d = probe(16);
	assert_int_equal(d.record_state, 0);
	assert_int_equal(d.record.state, BM_RECORD_IN_PROGRESS);
	assert_true(bm_disk_blank(&d));
	bm_disk_free(&d);
	put_record(node, "kiln-install-record 1\nstate sideways\n");
	d = probe(16);
	assert_int_equal(d.record_state, -EBADMSG);
	assert_false(bm_disk_blank(&d));
	bm_disk_free(&d);
}

static void test_printable(void **state)
{
	(void)state;
	char *p = disk_text_printable("a\x1b[2Jb\\c\xc3\xa9");
	assert_string_equal(p, "a\\x1b[2Jb\\x5cc\\xc3\\xa9");
	free(p);
	assert_null(disk_text_printable(NULL));
}

/* ---- regular files -------------------------------------------------------- */

static void test_files(void **state)
{
	(void)state;
	struct bm_disk d;
	char *p = xasprintf("%s/nodir/disk.img", root);
	assert_int_equal(bm_disk_probe(&roots, p, &d), 0);
	assert_int_equal(d.kind, BM_TARGET_NEW_FILE);
	assert_non_null(why(&d, BM_REFUSE_NO_DIR));
	bm_disk_free(&d);
	free(p);

	p = xasprintf("%s/new.img", root);
	assert_int_equal(bm_disk_probe(&roots, p, &d), 0);
	assert_int_equal(d.kind, BM_TARGET_NEW_FILE);
	assert_int_equal(d.n_refusals, 0);
	assert_true(bm_disk_blank(&d));
	bm_disk_free(&d);

	/* a sparse file is a blank disk; one with data but no signature is not */
	make_sparse(p, 8 * MiB);
	assert_int_equal(bm_disk_probe(&roots, p, &d), 0);
	assert_int_equal(d.kind, BM_TARGET_FILE);
	assert_true(bm_disk_blank(&d));
	bm_disk_free(&d);
	int fd = open(p, O_WRONLY);
	assert_int_equal(pwrite(fd, "notes", 5, 3 * MiB), 5);
	close(fd);
	assert_int_equal(bm_disk_probe(&roots, p, &d), 0);
	assert_true(d.has_data);
	assert_false(bm_disk_blank(&d));
	bm_disk_free(&d);

	/* a file backing a loop device */
	char *rp = realpath(p, NULL);
	char *t = xasprintf("%s (deleted)\n", rp);
	put("sys/block/loop3/loop/backing_file", "/somewhere/else.img\n");
	put("sys/block/loop5/loop/backing_file", rp);
	put("sys/block/loop6/loop/backing_file", t);
	assert_int_equal(bm_disk_probe(&roots, p, &d), 0);
	int n = 0;
	for (size_t i = 0; i < d.n_refusals; i++)
		n += d.refusals[i].code == BM_REFUSE_LOOP_BACKING;
	assert_int_equal(n, 2);
	assert_string_equal(why(&d, BM_REFUSE_LOOP_BACKING), "it backs the loop device /dev/loop5 (losetup -d it first)");
	bm_disk_free(&d);
	free(t);
	free(rp);
	free(p);

	/* neither a file nor a block device */
	assert_int_equal(bm_disk_probe(&roots, root, &d), 0);
	assert_int_equal(d.kind, BM_TARGET_OTHER);
	assert_non_null(why(&d, BM_REFUSE_NOT_DISK));
	bm_disk_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blank_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_sysfs_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mounted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mountinfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_and_sector_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raid_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record, setup, teardown),
		cmocka_unit_test(test_printable),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
