/* firstboot/datadisk: blank-disk detection with libblkid, never formatting a
 * disk that carries anything. Disks are image files in a fake sysroot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_disks.h"
#include "firstboot/datadisk.h"
#include "lib/log.h"

static char root[] = "/tmp/kiln-disk-XXXXXX";

static void sh(const char *fmt, const char *a)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, fmt, root, a, root, a);
	assert_int_equal(system(cmd), 0);
}

static void disk(const char *name, const char *how)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/sys/block/%s %s/dev && truncate -s 64M %s/dev/%s", root, name, root,
		 root, name);
	assert_int_equal(system(cmd), 0);
	if (how) {
		snprintf(cmd, sizeof cmd, how, root, name);
		assert_int_equal(system(cmd), 0);
	}
}

static void quiet(enum log_level l, const char *m, void *u) { (void)l; (void)m; (void)u; }

static void test_probe_kinds(void **state)
{
	(void)state;
	disk("vda", "sgdisk -o -n 1:2048:+10M %s/dev/%s >/dev/null");
	disk("vdb", NULL);
	disk("vdc", "mkfs.ext4 -q -L other %s/dev/%s");
	char p[256], what[128];
	enum disk_kind k;
	snprintf(p, sizeof p, "%s/dev/vda", root);
	assert_int_equal(datadisk_probe(p, &k, what, sizeof what), 0);
	assert_int_equal(k, DISK_PARTITIONED);
	assert_string_equal(what, "gpt partition table");
	snprintf(p, sizeof p, "%s/dev/vdb", root);
	assert_int_equal(datadisk_probe(p, &k, what, sizeof what), 0);
	assert_int_equal(k, DISK_BLANK);
	snprintf(p, sizeof p, "%s/dev/vdc", root);
	assert_int_equal(datadisk_probe(p, &k, what, sizeof what), 0);
	assert_int_equal(k, DISK_FOREIGN_FS);
	assert_string_equal(what, "ext4 filesystem LABEL=other");
	assert_true(datadisk_probe("/nonexistent/disk", &k, NULL, 0) < 0);
}

static void test_choose_format_then_keep(void **state)
{
	(void)state;
	disk("loop0", NULL);    /* skipped by name even though blank */
	sh("mkdir -p %s/sys/block/%s", "sr0");
	struct datadisk_choice c;
	assert_int_equal(datadisk_choose(root, NULL, &c), 0);
	assert_non_null(c.dev);
	assert_non_null(strstr(c.dev, "/dev/vdb"));
	assert_true(c.needs_format);
	assert_non_null(strstr(c.report, "vda: gpt partition table"));
	assert_null(strstr(c.report, "loop0"));
	assert_int_equal(datadisk_format(c.dev), 0);
	/* Formatting again is refused: it now carries a filesystem. */
	log_set_sink(quiet, NULL);
	assert_int_equal(datadisk_format(c.dev), -EEXIST);
	log_set_sink(NULL, NULL);
	datadisk_choice_free(&c);

	/* After a reboot (or with a new OS disk) the same disk is found and kept. */
	disk("vdd", NULL);      /* a new blank disk appears too: ours still wins */
	assert_int_equal(datadisk_choose(root, NULL, &c), 0);
	assert_non_null(strstr(c.dev, "/dev/vdb"));
	assert_false(c.needs_format);
	datadisk_choice_free(&c);
}

static void test_foreign_never_chosen(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s/sys %s/dev", root, root);
	assert_int_equal(system(cmd), 0);
	disk("vda", "sgdisk -o -n 1:2048:+10M %s/dev/%s >/dev/null");
	disk("vdc", "mkfs.ext4 -q -L other %s/dev/%s");
	struct datadisk_choice c;
	assert_int_equal(datadisk_choose(root, NULL, &c), 0);
	assert_null(c.dev);
	assert_non_null(strstr(c.report, "vdc: ext4 filesystem LABEL=other"));
	datadisk_choice_free(&c);
}

/* A disk in the kernel's sysfs layout with a node of 64 MiB; how formats it. */
static void ruled_disk(const char *name, const char *bus, const char *serial, const char *how)
{
	fake_disk_add(root, &(struct fake_disk){ name, bus, 64, NULL, serial, 0, NULL, 0 });
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/dev && rm -f %s/dev/%s && truncate -s 64M %s/dev/%s", root, root, name,
		 root, name);
	assert_int_equal(system(cmd), 0);
	if (how) {
		snprintf(cmd, sizeof cmd, how, root, name);
		assert_int_equal(system(cmd), 0);
	}
}

/* With install.data_disk the disk is found by the rule, as the installer
 * media found it: exactly one match, ours or blank, never a guess. */
static void test_rule(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s/sys %s/dev", root, root);
	assert_int_equal(system(cmd), 0);
	ruled_disk("vda", "pci0000:00/0000:00:04.0/virtio1", "OS-1", "sgdisk -o -n 1:2048:+10M %s/dev/%s >/dev/null");
	ruled_disk("vdb", "pci0000:00/0000:00:05.0/virtio2", "SPARE", NULL);
	ruled_disk("vdc", "pci0000:00/0000:00:06.0/virtio3", "DATA-7", NULL);
	struct disk_rule r = { .set = true, .serial = "DATA-*", .rotational = -1 };
	struct datadisk_choice c;
	/* without the rule the first blank disk would be vdb: the rule picks vdc */
	assert_int_equal(datadisk_choose(root, &r, &c), 0);
	assert_non_null(c.dev);
	assert_non_null(strstr(c.dev, "/dev/vdc"));
	assert_true(c.needs_format);
	assert_non_null(strstr(c.report, "vdb: its serial \"SPARE\" does not match install.data_disk.serial \"DATA-*\""));
	assert_non_null(strstr(c.report, "vdc: matches install.data_disk, no signature"));
	assert_int_equal(datadisk_format(c.dev), 0);
	datadisk_choice_free(&c);
	/* after the reboot: the same disk, kept */
	assert_int_equal(datadisk_choose(root, &r, &c), 0);
	assert_non_null(strstr(c.dev, "/dev/vdc"));
	assert_false(c.needs_format);
	datadisk_choice_free(&c);

	/* two disks match: refused, both listed */
	ruled_disk("vdd", "pci0000:00/0000:00:07.0/virtio4", "DATA-8", NULL);
	assert_int_equal(datadisk_choose(root, &r, &c), 0);
	assert_null(c.dev);
	assert_non_null(strstr(c.report, "vdd: matches install.data_disk, no signature"));
	assert_non_null(strstr(c.report, "more than one disk matches install.data_disk"));
	datadisk_choice_free(&c);

	/* the one match holds a foreign filesystem: refused, not formatted */
	r.serial = "DATA-8";
	snprintf(cmd, sizeof cmd, "mkfs.ext4 -q -L other %s/dev/vdd", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(datadisk_choose(root, &r, &c), 0);
	assert_null(c.dev);
	assert_non_null(strstr(c.report, "vdd: matches install.data_disk, ext4 filesystem LABEL=other"));
	assert_non_null(strstr(c.report, "neither blank nor kiln's"));
	datadisk_choice_free(&c);

	/* none matches */
	r.serial = "NOPE";
	assert_int_equal(datadisk_choose(root, &r, &c), 0);
	assert_null(c.dev);
	assert_non_null(strstr(c.report, "vda: its serial \"OS-1\" does not match"));
	datadisk_choice_free(&c);
}

static int setup(void **state) { (void)state; return mkdtemp(root) ? 0 : -1; }
static int teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_kinds),
		cmocka_unit_test(test_choose_format_then_keep),
		cmocka_unit_test(test_foreign_never_chosen),
		cmocka_unit_test(test_rule),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
