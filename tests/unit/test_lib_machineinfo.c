/* lib/machineinfo: MAC and UUID syntax, and the machine's facts from a fake
 * sysfs: physical NICs only (lo and a bridge left out, an InfiniBand address
 * skipped), sorted, lower case; the DMI serial trimmed and made printable;
 * the DMI UUID lower-cased; missing files leave their fact out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "fake_machine.h"
#include "lib/machineinfo.h"
#include "tmpdir_fixture.h"

static char sysfs[256];

static void test_syntax(void **state)
{
	(void)state;
	char mac[MAC_TEXT_LEN], u[UUID_TEXT_LEN];
	assert_int_equal(mac_canonical("52:54:00:AB:cd:0F", mac), 0);
	assert_string_equal(mac, "52:54:00:ab:cd:0f");
	static const char *const bad_macs[] = { "", "52:54:00:ab:cd", "52:54:00:ab:cd:0f:", "52-54-00-ab-cd-0f",
		"52:54:00:ab:cd:0g", "5:54:00:ab:cd:0f0", "525400abcd0f", " 52:54:00:ab:cd:0f", NULL };
	for (size_t i = 0; bad_macs[i]; i++)
		if (mac_canonical(bad_macs[i], mac) != -EINVAL)
			fail_msg("MAC '%s' accepted", bad_macs[i]);
	assert_int_equal(uuid_canonical("4C4C4544-0042-3610-8052-B4C04F4E4B32", u), 0);
	assert_string_equal(u, "4c4c4544-0042-3610-8052-b4c04f4e4b32");
	static const char *const bad_uuids[] = { "", "4c4c4544004236108052b4c04f4e4b32",
		"4c4c4544-0042-3610-8052-b4c04f4e4b3", "4c4c4544-0042-3610-8052-b4c04f4e4b32a",
		"4c4c4544-0042-3610-8052_b4c04f4e4b32", "{4c4c4544-0042-3610-8052-b4c04f4e4b3}",
		"zc4c4544-0042-3610-8052-b4c04f4e4b32", NULL };
	for (size_t i = 0; bad_uuids[i]; i++)
		if (uuid_canonical(bad_uuids[i], u) != -EINVAL)
			fail_msg("UUID '%s' accepted", bad_uuids[i]);
}

static void test_facts(void **state)
{
	(void)state;
	fake_nic_add(sysfs, "lo", NULL, "00:00:00:00:00:00\n");
	fake_nic_add(sysfs, "br0", NULL, "52:54:00:00:00:99\n");
	fake_nic_add(sysfs, "enp2s0", "pci0000:00/0000:00:03.0", "52:54:00:00:00:02\n");
	fake_nic_add(sysfs, "enp1s0", "pci0000:00/0000:00:02.0", "52:54:00:AA:00:01\n");
	fake_nic_add(sysfs, "ib0", "pci0000:00/0000:00:04.0",
		     "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0f:19:51\n");
	fake_dmi(sysfs, "  CZ1234 \x1b\n", "4C4C4544-0042-3610-8052-B4C04F4E4B32\n");
	struct machine_facts f;
	assert_int_equal(machine_facts_read(sysfs, &f), 0);
	assert_int_equal(f.n_nics, 2);
	assert_string_equal(f.nics[0].name, "enp1s0");
	assert_string_equal(f.nics[0].mac, "52:54:00:aa:00:01");
	assert_string_equal(f.nics[1].name, "enp2s0");
	assert_string_equal(f.nics[1].mac, "52:54:00:00:00:02");
	assert_string_equal(f.dmi_serial, "CZ1234 \\x1b");
	assert_string_equal(f.dmi_uuid, "4c4c4544-0042-3610-8052-b4c04f4e4b32");
	machine_facts_free(&f);

	/* a serial of spaces is none; a UUID that is not one is kept as read */
	fake_dmi(sysfs, "   \n", "Not Settable\n");
	assert_int_equal(machine_facts_read(sysfs, &f), 0);
	assert_null(f.dmi_serial);
	assert_string_equal(f.dmi_uuid, "Not Settable");
	machine_facts_free(&f);

	/* no DMI at all (not every machine has SMBIOS), no net class */
	char empty[300];
	snprintf(empty, sizeof empty, "%s/empty", tmpdir);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "mkdir -p %s", empty);
	fake_sh(cmd);
	assert_int_equal(machine_facts_read(empty, &f), 0);
	assert_int_equal(f.n_nics, 0);
	assert_null(f.dmi_serial);
	assert_null(f.dmi_uuid);
	machine_facts_free(&f);
	assert_int_equal(machine_facts_read("/nonexistent/sys", &f), -ENOENT);
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
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_facts),
	};
	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
