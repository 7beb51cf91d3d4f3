/* medium/select.c: the installer media's disk selection against fake
 * disks (a sysfs tree as the kernel lays it out, image files as the nodes):
 * no rule takes the only blank disk and stops on two; a serial rule picks
 * one of two; a disk holding a filesystem is refused unless install.wipe;
 * the medium, a disk too small, a rule matching both disks or none, and the
 * data disk found by its own rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "fake_disks.h"
#include "lib/log.h"
#include "medium/select.h"
#include "tmpdir_fixture.h"

#define GIB (UINT64_C(1) << 30)

static char sysfs[300], procfs[300], dev[300];
static struct bm_roots roots;

static void reset(void)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "rm -rf %s/sys %s/proc %s/dev && mkdir -p %s/proc/self %s/dev %s/sys/block", tmpdir,
		 tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	fake_sh(cmd);
	fake_put(procfs, "self/mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n");
	fake_put(procfs, "swaps", "Filename\tType\tSize\tUsed\tPriority\n");
}

/* A disk of gib GiB; its node a sparse file, formatted by how (or blank). */
static void disk(const char *name, unsigned minor, uint64_t gib, const char *serial, const char *how)
{
	char bus[128], cmd[1024];
	snprintf(bus, sizeof bus, "pci0000:00/0000:00:%02x.0/virtio%u", minor, minor);
	fake_disk_add(tmpdir, &(struct fake_disk){ name, bus, gib, "QEMU\n", serial, 0, NULL, minor });
	snprintf(cmd, sizeof cmd, "truncate -s %lluG %s/%s", (unsigned long long)gib, dev, name);
	fake_sh(cmd);
	if (how) {
		snprintf(cmd, sizeof cmd, how, dev, name);
		fake_sh(cmd);
	}
}

static struct install_settings rules(const char *os_serial, const char *data_serial, bool wipe)
{
	struct install_settings s = { .wipe = wipe };
	s.disk = (struct disk_rule){ .set = os_serial != NULL, .serial = (char *)os_serial, .rotational = -1 };
	s.data_disk = (struct disk_rule){ .set = data_serial != NULL, .serial = (char *)data_serial, .rotational = -1 };
	return s;
}

static void quiet(enum log_level l, const char *m, void *u) { (void)l; (void)m; (void)u; }

static struct media_selection run(const struct install_settings *st, bool data_role, dev_t medium)
{
	struct media_select_in in = { .roots = &roots, .devdir = dev, .install = st, .data_role = data_role,
				      .medium = medium, .image_size = 10 * GIB };
	struct media_selection s;
	assert_int_equal(media_select(&in, &s), 0);
	return s;
}

static const char *note_of(const struct media_selection *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].facts.name, name))
			return s->v[i].note;
	fail_msg("no disk %s", name);
	return NULL;
}

static const char *picked(const struct media_selection *s, ssize_t i)
{
	return i < 0 ? "-" : s->v[i].facts.name;
}

static void test_no_rule(void **state)
{
	(void)state;
	reset();
	disk("vda", 1, 12, "OS-1", NULL);
	disk("vdb", 2, 12, "OTHER", "sgdisk -o -n 1:2048:+10M %s/%s >/dev/null");
	struct install_settings st = rules(NULL, NULL, false);
	struct media_selection s = run(&st, false, 0);
	assert_null(s.stop);
	assert_string_equal(picked(&s, s.os), "vda");
	assert_non_null(strstr(note_of(&s, "vda"), "-> the OS disk"));
	assert_non_null(strstr(note_of(&s, "vdb"), "not blank (gpt, partition 1: "));
	media_selection_free(&s);

	/* two blank disks: stop, both listed with why */
	disk("vdc", 3, 12, "DATA-1", NULL);
	s = run(&st, false, 0);
	assert_non_null(s.stop);
	assert_non_null(strstr(s.stop, "2 blank disks and no install.disk rule: kiln never guesses"));
	assert_int_equal(s.os, -1);
	assert_string_equal(note_of(&s, "vda"), "blank, as is another disk");
	assert_string_equal(note_of(&s, "vdc"), "blank, as is another disk");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	media_selection_print(&s, f);
	fclose(f);
	assert_non_null(strstr(text, "vda"));
	assert_non_null(strstr(text, "serial \"DATA-1\""));
	assert_non_null(strstr(text, "path /devices/pci0000:00/0000:00:03.0/virtio3"));
	free(text);
	media_selection_free(&s);
}

static void test_serial_rule(void **state)
{
	(void)state;
	reset();
	disk("vda", 1, 12, "SPARE", NULL);
	disk("vdb", 2, 12, "OS-7", NULL);
	struct install_settings st = rules("OS-*", NULL, false);
	struct media_selection s = run(&st, false, 0);
	assert_null(s.stop);
	assert_string_equal(picked(&s, s.os), "vdb");
	assert_string_equal(note_of(&s, "vda"), "its serial \"SPARE\" does not match install.disk.serial \"OS-*\"");
	media_selection_free(&s);

	/* the rule picks a disk with a filesystem: refused, unless wipe */
	reset();
	disk("vda", 1, 12, "SPARE", NULL);
	disk("vdb", 2, 12, "OS-7", "mkfs.ext4 -q -L old %s/%s");
	s = run(&st, false, 0);
	assert_non_null(s.stop);
	assert_string_equal(s.stop, "vdb holds data: kiln overwrites it only with install.wipe: true in the profile");
	assert_string_equal(note_of(&s, "vdb"), "matches install.disk but is not blank (ext4 \"old\")");
	media_selection_free(&s);
	st.wipe = true;
	s = run(&st, false, 0);
	assert_null(s.stop);
	assert_string_equal(picked(&s, s.os), "vdb");
	assert_non_null(strstr(note_of(&s, "vdb"), "install.wipe: its content is lost"));
	media_selection_free(&s);

	/* two match */
	st = rules("*", NULL, false);
	s = run(&st, false, 0);
	assert_non_null(strstr(s.stop, "2 disks match install.disk"));
	media_selection_free(&s);
	/* none */
	st = rules("NOPE", NULL, false);
	s = run(&st, false, 0);
	assert_string_equal(s.stop, "no disk matches install.disk");
	media_selection_free(&s);
}

static void test_medium_small_and_data(void **state)
{
	(void)state;
	reset();
	disk("sda", 1, 16, "STICK", "sgdisk -o -n 1:2048:+10M %s/%s >/dev/null");
	disk("vda", 2, 8, "SMALL", NULL);
	disk("vdb", 3, 12, "OS-1", NULL);
	disk("vdc", 4, 50, "DATA-1", NULL);
	/* the medium is never a target, even when the rule would take it */
	struct install_settings st = rules("*", "DATA-*", true);
	st.disk.has_size = true, st.disk.size_min_gib = 12, st.disk.size_max_gib = 16;
	struct media_selection s = run(&st, true, makedev(FAKE_DISK_MAJOR, 1));
	assert_null(s.stop);
	assert_string_equal(picked(&s, s.os), "vdb");
	assert_string_equal(picked(&s, s.data), "vdc");
	assert_string_equal(note_of(&s, "sda"), "the installer medium");
	assert_string_equal(note_of(&s, "vda"), "its size 8.0 GiB is outside install.disk.size_gib [12, 16]");
	assert_string_equal(note_of(&s, "vdc"), "-> the data disk: kiln-firstboot formats it at first boot");
	media_selection_free(&s);

	/* the OS rule would also take the data disk */
	st.disk.has_size = false;
	st.disk.serial = "*-1";
	s = run(&st, true, makedev(FAKE_DISK_MAJOR, 1));
	assert_non_null(strstr(s.stop, "2 disks match install.disk"));
	media_selection_free(&s);
	/* too small */
	st.disk.serial = "SMALL";
	s = run(&st, true, makedev(FAKE_DISK_MAJOR, 1));
	assert_string_equal(s.stop, "the disk install.disk picks (vda) is too small");
	assert_string_equal(note_of(&s, "vda"), "too small: 8.0 GiB, the image needs 10.0 GiB");
	media_selection_free(&s);
	/* both rules pick the same disk */
	st = rules("OS-1", "OS-*", false);
	s = run(&st, true, makedev(FAKE_DISK_MAJOR, 1));
	assert_non_null(strstr(s.stop, "vdb matches both rules"));
	media_selection_free(&s);
	/* no OS rule: the data rule sets its disk aside, the other blank one is the OS disk */
	reset();
	disk("vdb", 3, 12, "OS-1", NULL);
	disk("vdc", 4, 50, "DATA-1", NULL);
	st = rules(NULL, "DATA-*", false);
	s = run(&st, true, 0);
	assert_null(s.stop);
	assert_string_equal(picked(&s, s.os), "vdb");
	assert_string_equal(picked(&s, s.data), "vdc");
	media_selection_free(&s);
	/* the data disk holds someone else's filesystem */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "mkfs.ext4 -q -L theirs %s/vdc", dev);
	fake_sh(cmd);
	s = run(&st, true, 0);
	assert_string_equal(s.stop, "the data disk vdc is neither blank nor kiln's: kiln-firstboot formats only a blank disk");
	media_selection_free(&s);
	/* kiln's own data disk (a reinstall keeps the data) */
	snprintf(cmd, sizeof cmd, "mkfs.ext4 -q -F -L kiln-data %s/vdc", dev);
	fake_sh(cmd);
	s = run(&st, true, 0);
	assert_null(s.stop);
	assert_string_equal(note_of(&s, "vdc"), "-> the data disk: kiln-firstboot keeps its data");
	media_selection_free(&s);
	/* no disk at all */
	reset();
	s = run(&st, true, 0);
	assert_non_null(strstr(s.stop, "the kernel sees no disk"));
	media_selection_free(&s);
}

static int setup(void **state)
{
	if (tmpdir_setup(state) < 0)
		return -1;
	snprintf(sysfs, sizeof sysfs, "%s/sys", tmpdir);
	snprintf(procfs, sizeof procfs, "%s/proc", tmpdir);
	snprintf(dev, sizeof dev, "%s/dev", tmpdir);
	roots = (struct bm_roots){ sysfs, procfs };
	log_set_sink(quiet, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rule),
		cmocka_unit_test(test_serial_rule),
		cmocka_unit_test(test_medium_small_and_data),
	};
	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
