/* lib/diskinfo: the facts of whole disks from a fake sysfs tree laid out as
 * the kernel does (block/NAME -> devices/<bus>/block/NAME, device/ up to the
 * bus device): size, model, serial from virtio, NVMe and SCSI VPD 0x80, the
 * device path, rotational; and the list of disks a system may use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "fake_disks.h"
#include "lib/diskinfo.h"
#include "tmpdir_fixture.h"

static char sysfs[256];

static void test_facts(void **state)
{
	(void)state;
	fake_disk_add(tmpdir, &(struct fake_disk){ "vda", "pci0000:00/0000:00:04.0/virtio1", 12, NULL, "OS-1", 0, NULL, 0 });
	fake_disk_add(tmpdir, &(struct fake_disk){ "nvme0n1", "pci0000:00/0000:00:05.0/nvme/nvme0", 40,
						   "Samsung SSD 980\n", "S64ANS0T\n", 0, "device/serial", 0 });
	fake_disk_add(tmpdir, &(struct fake_disk){ "sda", "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0",
						   500, "WDC WD5000\n", "WD-WCC1", 1, "device/vpd_pg80", 0 });
	struct disk_facts f;
	assert_int_equal(disk_facts_read(sysfs, "vda", &f), 0);
	assert_string_equal(f.name, "vda");
	assert_true(f.size == (uint64_t)12 << 30);
	assert_null(f.model);
	assert_string_equal(f.serial, "OS-1");
	assert_string_equal(f.path, "/devices/pci0000:00/0000:00:04.0/virtio1");
	assert_false(f.rotational);
	assert_int_equal(f.sector_size, 512);
	disk_facts_free(&f);

	assert_int_equal(disk_facts_read(sysfs, "nvme0n1", &f), 0);
	assert_string_equal(f.model, "Samsung SSD 980");
	assert_string_equal(f.serial, "S64ANS0T");
	assert_string_equal(f.path, "/devices/pci0000:00/0000:00:05.0/nvme/nvme0");
	disk_facts_free(&f);

	/* the binary VPD page: header skipped, NUL in the length byte survives */
	assert_int_equal(disk_facts_read(sysfs, "sda", &f), 0);
	assert_string_equal(f.serial, "WD-WCC1");
	assert_string_equal(f.model, "WDC WD5000");
	assert_true(f.rotational);
	disk_facts_free(&f);

	assert_int_equal(disk_facts_read(sysfs, "nope", &f), -ENOENT);
	assert_int_equal(disk_facts_read(sysfs, "../x", &f), -EINVAL);
	assert_int_equal(disk_facts_read(sysfs, "..", &f), -EINVAL);
}

static void test_hostile_text(void **state)
{
	(void)state;
	fake_disk_add(tmpdir, &(struct fake_disk){ "vdz", "pci0000:00/0000:00:09.0/virtio9", 1, NULL,
						   "\x1b[2Jevil\\", 0, NULL, 0 });
	struct disk_facts f;
	assert_int_equal(disk_facts_read(sysfs, "vdz", &f), 0);
	assert_string_equal(f.serial, "\\x1b[2Jevil\\x5c");
	disk_facts_free(&f);
	char *p = disk_text_printable("a\x1b[2Jb\\c\xc3\xa9");
	assert_string_equal(p, "a\\x1b[2Jb\\x5cc\\xc3\\xa9");
	free(p);
	assert_null(disk_text_printable(NULL));
}

static void test_list(void **state)
{
	(void)state;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/block/loop0 %s/block/sr0 %s/block/dm-0 %s/block/md127 %s/block/zram0",
		 sysfs, sysfs, sysfs, sysfs, sysfs);
	fake_sh(cmd);
	char **names;
	size_t n;
	assert_int_equal(disk_list(sysfs, &names, &n), 0);
	char joined[256] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s ", names[i]);
	assert_string_equal(joined, "nvme0n1 sda vda vdz ");
	disk_list_free(names, n);
	assert_int_equal(disk_list("/nonexistent", &names, &n), -ENOENT);
}

static void test_attrs(void **state)
{
	(void)state;
	char dir[300], b[64];
	uint64_t v;
	snprintf(dir, sizeof dir, "%s/block/vda", sysfs);
	assert_int_equal(sysfs_attr(dir, "size", b, sizeof b), 0);
	assert_string_equal(b, "25165824");
	assert_int_equal(sysfs_attr(dir, "missing", b, sizeof b), -ENOENT);
	fake_put(dir, "bad", "12x\n");
	assert_int_equal(sysfs_u64(dir, "bad", &v), -EBADMSG);
	fake_put(dir, "neg", "-1\n");
	assert_int_equal(sysfs_u64(dir, "neg", &v), -EBADMSG);
	assert_int_equal(sysfs_u64(dir, "ro", &v), 0);
	assert_true(v == 0);
}

static int setup(void **state)
{
	if (tmpdir_setup(state) < 0)
		return -1;
	snprintf(sysfs, sizeof sysfs, "%s/sys", tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_attrs),
	};
	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
