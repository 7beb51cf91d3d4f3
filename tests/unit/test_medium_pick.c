/* medium/pick: which of a medium's hosts the machine is, from a fake sysfs
 * (lib/machineinfo.h): one rule matching picks its host; none, several, or
 * a host without a rule among several stop the installer with every host's
 * reason; a lone host without a rule installs anywhere, a lone host with
 * one only where it matches; the console text lists the facts and rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "fake_machine.h"
#include "medium/pick.h"
#include "tmpdir_fixture.h"

static char sysfs[256];
static struct machine_facts facts;

static const struct machine_rule db1 = { .set = true, .dmi_serial = "KILN-DB1" };
static const struct machine_rule db2 = { .set = true, .mac = "52:54:00:00:00:02" };
static const struct machine_rule db3 = { .set = true, .mac = "52:54:00:00:00:03",
					 .dmi_uuid = "4c4c4544-0042-3610-8052-b4c04f4e4b32" };
static const struct machine_rule none = { 0 };

static void machine(const char *serial, const char *mac, const char *uuid)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", sysfs);
	fake_sh(cmd);
	fake_nic_add(sysfs, "lo", NULL, "00:00:00:00:00:00\n");
	fake_nic_add(sysfs, "enp0s1", "pci0000:00/0000:00:01.0", "52:54:00:00:00:99\n");
	if (mac)
		fake_nic_add(sysfs, "enp0s2", "pci0000:00/0000:00:02.0", mac);
	fake_dmi(sysfs, serial, uuid);
	machine_facts_free(&facts);
	assert_int_equal(machine_facts_read(sysfs, &facts), 0);
}

static void test_one_match(void **state)
{
	(void)state;
	const struct media_candidate v[] = { { "db1", &db1 }, { "db2", &db2 }, { "db3", &db3 } };
	struct media_pick p;
	machine("KILN-DB1\n", NULL, NULL);
	media_pick_host(v, 3, &facts, &p);
	assert_null(p.stop);
	assert_int_equal(p.pick, 0);
	assert_string_equal(p.notes[0], "-> this machine: db1 is installed");
	assert_string_equal(p.notes[1], "no network card has MAC 52:54:00:00:00:02");
	assert_string_equal(p.notes[2], "no network card has MAC 52:54:00:00:00:03");
	media_pick_free(&p);

	/* a MAC in upper case on the card; every key of db3's rule */
	machine("Other\n", "52:54:00:00:00:03\n", "4C4C4544-0042-3610-8052-B4C04F4E4B32\n");
	media_pick_host(v, 3, &facts, &p);
	assert_int_equal(p.pick, 2);
	assert_string_equal(p.notes[0], "its DMI serial \"Other\" is not \"KILN-DB1\"");
	media_pick_free(&p);
	machine("Other\n", "52:54:00:00:00:03\n", "4C4C4544-0042-3610-8052-B4C04F4E4B33\n");
	media_pick_host(v, 3, &facts, &p);
	assert_int_equal(p.pick, -1);
	assert_string_equal(p.stop, "this machine matches no host's install.machine rule");
	assert_string_equal(p.notes[2], "its DMI UUID 4c4c4544-0042-3610-8052-b4c04f4e4b33 is not "
					"4c4c4544-0042-3610-8052-b4c04f4e4b32");
	media_pick_free(&p);
}

static void test_stops(void **state)
{
	(void)state;
	const struct media_candidate v[] = { { "db1", &db1 }, { "db2", &db2 }, { "db3", &db3 } };
	struct media_pick p;
	/* two rules match one machine */
	machine("KILN-DB1\n", "52:54:00:00:00:02\n", NULL);
	media_pick_host(v, 3, &facts, &p);
	assert_int_equal(p.pick, -1);
	assert_string_equal(p.stop, "this machine matches the install.machine rules of 2 hosts (db1, db2): kiln "
				    "never guesses; make the rules tell them apart");
	assert_string_equal(p.notes[0], "matches, as does another host's rule");
	assert_string_equal(p.notes[1], "matches, as does another host's rule");
	assert_string_equal(p.notes[2], "no network card has MAC 52:54:00:00:00:03");
	media_pick_free(&p);
	/* nothing reported at all */
	machine(NULL, NULL, NULL);
	media_pick_host(v, 3, &facts, &p);
	assert_string_equal(p.stop, "this machine matches no host's install.machine rule");
	assert_string_equal(p.notes[0], "it reports no DMI serial, the rule wants \"KILN-DB1\"");
	media_pick_free(&p);
	/* a host without a rule among several is never picked */
	const struct media_candidate w[] = { { "db1", &none }, { "db2", &db2 } };
	media_pick_host(w, 2, &facts, &p);
	assert_non_null(p.stop);
	assert_string_equal(p.notes[0], "no install.machine rule: a medium with several hosts installs only a host "
					"whose rule matches");
	media_pick_free(&p);
}

static void test_lone_host(void **state)
{
	(void)state;
	struct media_pick p;
	machine("X\n", NULL, NULL);
	const struct media_candidate any[] = { { "db1", &none } };
	media_pick_host(any, 1, &facts, &p);
	assert_int_equal(p.pick, 0);
	assert_null(p.stop);
	media_pick_free(&p);
	const struct media_candidate ruled[] = { { "db1", &db1 } };
	media_pick_host(ruled, 1, &facts, &p);
	assert_int_equal(p.pick, -1);
	assert_string_equal(p.stop, "this machine does not match the host's install.machine rule");
	media_pick_free(&p);
	machine("KILN-DB1\n", NULL, NULL);
	media_pick_host(ruled, 1, &facts, &p);
	assert_int_equal(p.pick, 0);
	media_pick_free(&p);
}

static void test_print(void **state)
{
	(void)state;
	const struct media_candidate v[] = { { "db1", &db1 }, { "db2", &db2 } };
	struct media_pick p;
	machine("KILN-DB1\n", NULL, "4c4c4544-0042-3610-8052-b4c04f4e4b32\n");
	media_pick_host(v, 2, &facts, &p);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	media_pick_print(&p, v, &facts, f);
	fclose(f);
	assert_string_equal(text,
			    "  this machine: NICs enp0s1 52:54:00:00:00:99; DMI serial \"KILN-DB1\"; DMI UUID "
			    "4c4c4544-0042-3610-8052-b4c04f4e4b32\n"
			    "  db1              install.machine: {dmi_serial: \"KILN-DB1\"}\n"
			    "                   -> this machine: db1 is installed\n"
			    "  db2              install.machine: {mac: \"52:54:00:00:00:02\"}\n"
			    "                   no network card has MAC 52:54:00:00:00:02\n");
	free(text);
	media_pick_free(&p);
}

static int setup(void **state)
{
	if (tmpdir_setup(state) < 0)
		return -1;
	snprintf(sysfs, sizeof sysfs, "%s/sys", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	machine_facts_free(&facts);
	return tmpdir_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_match),
		cmocka_unit_test(test_stops),
		cmocka_unit_test(test_lone_host),
		cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
