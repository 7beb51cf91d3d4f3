/* profiles/disk_rule + section_install: the install: section (defaults,
 * per-host keys over them, every bad value at FILE:LINE:COL) and the rule
 * matcher against fake disks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profiles/disk_rule.h"
#include "install_profile.h"
#include "profiles/profile.h"

#define GIB (UINT64_C(1) << 30)

static void test_defaults_and_host_keys(void **state)
{
	(void)state;
	struct model m;
	char diag[4096];
	assert_int_equal(load("install:\n"
			      "  disk: {size_gib: [8, 16], rotational: false}\n"
			      "  data_disk: {size_gib: [40, 60]}\n"
			      "  unattended: true\n"
			      "hosts:\n"
			      "  - {name: app1, role: app, subnet: lan, address: 10.0.0.10}\n"
			      "  - name: db1\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.11\n"
			      "    install:\n"
			      "      disk: {serial: \"OS*\"}\n"
			      "      wipe: true\n", &m, diag, sizeof diag), 0);
	const struct host *app = &m.hosts[0], *db = &m.hosts[1];
	/* app1 takes the defaults, but no data disk rule: the app keeps no data */
	assert_true(app->install.disk.set);
	assert_true(app->install.disk.has_size);
	assert_int_equal(app->install.disk.size_min_gib, 8);
	assert_int_equal(app->install.disk.size_max_gib, 16);
	assert_int_equal(app->install.disk.rotational, 0);
	assert_false(app->install.data_disk.set);
	assert_true(app->install.unattended);
	assert_false(app->install.wipe);
	/* db1's disk rule replaces the default whole; the rest is inherited */
	assert_true(db->install.disk.set);
	assert_false(db->install.disk.has_size);
	assert_string_equal(db->install.disk.serial, "OS*");
	assert_int_equal(db->install.disk.rotational, -1);
	assert_true(db->install.data_disk.set);
	assert_int_equal(db->install.data_disk.size_min_gib, 40);
	assert_true(db->install.unattended);
	assert_true(db->install.wipe);
	char *t = disk_rule_text(&app->install.disk);
	assert_string_equal(t, "{size_gib: [8, 16], rotational: false}");
	free(t);
	t = disk_rule_text(&db->install.disk);
	assert_string_equal(t, "{serial: \"OS*\"}");
	free(t);
	model_free(&m);

	/* no install: at all: no rules, countdown, no wipe */
	assert_int_equal(load("hosts:\n  - {name: db1, role: mysql, subnet: lan, address: 10.0.0.11}\n", &m, diag,
			      sizeof diag), 0);
	assert_false(m.hosts[0].install.disk.set);
	assert_false(m.hosts[0].install.data_disk.set);
	assert_false(m.hosts[0].install.unattended);
	model_free(&m);
}

static void test_bad_values(void **state)
{
	(void)state;
	struct model m;
	char diag[4096];
	assert_int_equal(load("install:\n"                                      /* 7 */
			      "  disk: {size_gib: [8, 9]}\n"                      /* 8 */
			      "  frob: 1\n"                                       /* 9 */
			      "hosts:\n"                                          /* 10 */
			      "  - name: db1\n"                                   /* 11 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.11\n"
			      "    install:\n"                                    /* 15 */
			      "      disk: {serial: \"\", model: 7, by_path: [a]}\n"   /* 16 */
			      "      data_disk: {size_gib: [60, 40], rotational: maybe}\n"   /* 17 */
			      "      unattended: yes\n"                           /* 18 */
			      "  - name: app1\n"                                  /* 19 */
			      "    role: app\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.12\n"
			      "    install:\n"
			      "      data_disk: {size_gib: 7}\n"                  /* 24 */
			      "      disk: {sizegib: [1, 2]}\n",                  /* 25 */
			      &m, diag, sizeof diag), -EINVAL);
	static const char *const want[] = {
		"9:3: unknown key 'frob' in install",
		"16:22: install.disk.serial must be a glob of 1-128 printable ASCII characters",
		"16:45: 'by_path' must be a string, not a list",
		"17:29: install.data_disk.size_gib [60, 40]: the minimum is larger than the maximum",
		"17:51: 'rotational' must be true or false, not 'maybe'",
		"18:19: 'unattended' must be true or false, not 'yes'",
		"24:18: install.data_disk: host 'app1' has role app, which keeps no data disk",
		"24:29: install.data_disk.size_gib must be a list of two integers [MIN, MAX] (GiB, inclusive)",
		"25:14: unknown key 'sizegib' in install.disk (expected one of: size_gib, model, serial, by_path, "
		"rotational); did you mean 'size_gib'?",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!strstr(diag, want[i]))
			fail_msg("missing diagnostic \"%s\" in:\n%s", want[i], diag);
	/* a default OS disk rule no disk for a host's image can satisfy */
	assert_int_equal(load("install:\n"
			      "  disk: {size_gib: [8, 9], model: \"A\\x01\"}\n"
			      "hosts:\n"
			      "  - {name: app1, role: app, subnet: lan, address: 10.0.0.12}\n", &m, diag, sizeof diag),
			 -EINVAL);
	assert_non_null(strstr(diag, "8:9: install.disk.size_gib allows at most 9 GiB, but the app image host 'app1' "
				     "gets is 10 GiB (os_disk_gib): no disk the rule accepts can hold it"));
	assert_non_null(strstr(diag, "8:35: install.disk.model must be a glob of 1-128 printable ASCII characters"));
}

static struct disk_facts fake(const char *name, uint64_t gib, const char *model, const char *serial,
			      const char *path, bool rot)
{
	return (struct disk_facts){ .name = (char *)name, .size = gib * GIB, .model = (char *)model,
				    .serial = (char *)serial, .path = (char *)path, .rotational = rot };
}

static void test_match(void **state)
{
	(void)state;
	struct disk_facts os = fake("vda", 12, "QEMU HARDDISK", "OS-1", "/devices/pci0000:00/0000:00:04.0/virtio1", false);
	struct disk_facts data = fake("vdb", 50, NULL, "DATA-1", "/devices/pci0000:00/0000:00:05.0/virtio2", true);
	struct disk_rule r = { .set = true, .rotational = -1 };
	char why[256];
	assert_true(disk_rule_match(&r, "install.disk", &os, why, sizeof why));   /* no key: every disk */

	r.has_size = true, r.size_min_gib = 8, r.size_max_gib = 16;
	assert_true(disk_rule_match(&r, "install.disk", &os, why, sizeof why));
	assert_false(disk_rule_match(&r, "install.disk", &data, why, sizeof why));
	assert_string_equal(why, "its size 50.0 GiB is outside install.disk.size_gib [8, 16]");
	/* the bounds are inclusive, in bytes */
	struct disk_facts edge = fake("vdc", 16, NULL, NULL, NULL, false);
	assert_true(disk_rule_match(&r, "install.disk", &edge, NULL, 0));
	edge.size += 512;
	assert_false(disk_rule_match(&r, "install.disk", &edge, NULL, 0));
	r.has_size = false;

	r.serial = "OS-*";
	assert_true(disk_rule_match(&r, "install.disk", &os, why, sizeof why));
	assert_false(disk_rule_match(&r, "install.disk", &data, why, sizeof why));
	assert_string_equal(why, "its serial \"DATA-1\" does not match install.disk.serial \"OS-*\"");
	/* a disk without a serial is matched as "": only "*" takes it */
	assert_false(disk_rule_match(&r, "install.disk", &edge, NULL, 0));
	r.serial = "*";
	assert_true(disk_rule_match(&r, "install.disk", &edge, NULL, 0));
	r.serial = NULL;

	r.model = "QEMU*";
	assert_false(disk_rule_match(&r, "install.data_disk", &data, why, sizeof why));
	assert_string_equal(why, "its model \"\" does not match install.data_disk.model \"QEMU*\"");
	r.model = NULL;
	r.by_path = "*/0000:00:05.0/*";
	assert_true(disk_rule_match(&r, "install.disk", &data, why, sizeof why));
	assert_false(disk_rule_match(&r, "install.disk", &os, why, sizeof why));
	assert_string_equal(why, "its path \"/devices/pci0000:00/0000:00:04.0/virtio1\" does not match "
				 "install.disk.by_path \"*/0000:00:05.0/*\"");
	r.by_path = NULL;
	r.rotational = 0;
	assert_true(disk_rule_match(&r, "install.disk", &os, why, sizeof why));
	assert_false(disk_rule_match(&r, "install.disk", &data, why, sizeof why));
	assert_string_equal(why, "it is rotational and install.disk.rotational is false");
	r.rotational = 1;
	assert_false(disk_rule_match(&r, "install.disk", &os, why, sizeof why));
	assert_string_equal(why, "it is solid state and install.disk.rotational is true");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_host_keys),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
