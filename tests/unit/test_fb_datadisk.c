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
	assert_int_equal(datadisk_choose(root, &c), 0);
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
	assert_int_equal(datadisk_choose(root, &c), 0);
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
	assert_int_equal(datadisk_choose(root, &c), 0);
	assert_null(c.dev);
	assert_non_null(strstr(c.report, "vdc: ext4 filesystem LABEL=other"));
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
