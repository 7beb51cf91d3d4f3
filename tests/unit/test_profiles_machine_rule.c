/* profiles/machine_rule + section_install: install.machine (a host's own,
 * values made canonical), every bad value at FILE:LINE:COL (syntax,
 * multicast and zero MACs, placeholder serials, SMBIOS's unset UUIDs, the
 * top level, an empty rule, two hosts of a role naming one machine), the
 * matcher and the texts the installer prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profiles/machine_rule.h"
#include "install_profile.h"
#include "profiles/profile.h"

static void expect(const char *diag, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strstr(diag, want[i]))
			fail_msg("missing diagnostic \"%s\" in:\n%s", want[i], diag);
}

static void test_parse(void **state)
{
	(void)state;
	struct model m;
	char diag[4096];
	assert_int_equal(load("install: {unattended: true}\n"
			      "hosts:\n"
			      "  - name: db1\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.11\n"
			      "    install: {machine: {mac: \"52:54:00:AB:00:01\", dmi_serial: \"CZ 1234\"}}\n"
			      "  - name: db2\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.12\n"
			      "    install: {machine: {dmi_uuid: \"4C4C4544-0042-3610-8052-B4C04F4E4B32\"}}\n"
			      "  - {name: db3, role: mysql, subnet: lan, address: 10.0.0.13}\n"
			      "  - name: app1\n"   /* another role may name db1's machine */
			      "    role: app\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.14\n"
			      "    install: {machine: {mac: \"52:54:00:ab:00:01\"}}\n",
			      &m, diag, sizeof diag), 0);
	const struct machine_rule *a = &m.hosts[0].install.machine, *b = &m.hosts[1].install.machine;
	assert_true(a->set);
	assert_string_equal(a->mac, "52:54:00:ab:00:01");
	assert_string_equal(a->dmi_serial, "CZ 1234");
	assert_null(a->dmi_uuid);
	assert_int_equal(a->pos.line, 13);
	assert_true(b->set);
	assert_string_equal(b->dmi_uuid, "4c4c4544-0042-3610-8052-b4c04f4e4b32");
	assert_false(m.hosts[2].install.machine.set);
	assert_true(m.hosts[0].install.unattended);   /* the rest still comes from the top level */
	char *t = machine_rule_text(a);
	assert_string_equal(t, "{mac: \"52:54:00:ab:00:01\", dmi_serial: \"CZ 1234\"}");
	free(t);
	const char *v;
	assert_string_equal(machine_rule_shared(a, &m.hosts[3].install.machine, &v), "mac");
	assert_string_equal(v, "52:54:00:ab:00:01");
	assert_null(machine_rule_shared(a, b, &v));
	assert_null(v);
	model_free(&m);
}

static void test_bad_values(void **state)
{
	(void)state;
	struct model m;
	char diag[16384];
	assert_int_equal(load("install:\n"                                                        /* 7 */
			      "  machine: {mac: \"52:54:00:00:00:01\"}\n"                           /* 8 */
			      "hosts:\n"                                                            /* 9 */
			      "  - name: db1\n"                                                     /* 10 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.11\n"
			      "    install:\n"                                                      /* 14 */
			      "      machine: {mac: \"52-54-00-00-00-01\", dmi_serial: \" S1\", dmi_uuid: \"x\"}\n" /* 15 */
			      "  - name: db2\n"                                                     /* 16 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.12\n"
			      "    install: {machine: {mac: \"01:00:5e:00:00:01\", dmi_serial: \"To be filled by O.E.M.\"}}\n" /* 20 */
			      "  - name: db3\n"                                                     /* 21 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.13\n"
			      "    install: {machine: {mac: \"00:00:00:00:00:00\", dmi_uuid: \"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\"}}\n" /* 25 */
			      "  - name: db4\n"                                                     /* 26 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.14\n"
			      "    install: {machine: {}}\n"                                        /* 30 */
			      "  - name: db5\n"                                                     /* 31 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.15\n"
			      "    install: {machine: {mac: 7, serial: \"S\", dmi_uuid: \"00000000-0000-0000-0000-000000000000\"}}\n" /* 35 */
			      "  - name: db6\n"                                                     /* 36 */
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.16\n"
			      "    install: {machine: [a], unattended: true}\n",                   /* 40 */
			      &m, diag, sizeof diag), -EINVAL);
	static const char *const want[] = {
		"8:12: install.machine names one machine: give it in a host's own install:, not the top-level one",
		"15:22: install.machine.mac '52-54-00-00-00-01' is not a MAC address (six hex pairs aa:bb:cc:dd:ee:ff)",
		"15:55: install.machine.dmi_serial must be 1-64 printable ASCII characters without leading or trailing "
		"spaces",
		"15:72: install.machine.dmi_uuid 'x' is not a UUID (8-4-4-4-12 hex digits)",
		"20:30: install.machine.mac 01:00:5e:00:00:01 is a multicast address: no network card has it",
		"20:63: install.machine.dmi_serial \"To be filled by O.E.M.\" is what firmware says when no serial was "
		"set: it would match every such machine (use mac or dmi_uuid)",
		"25:30: install.machine.mac 00:00:00:00:00:00 is no network card's address",
		"25:61: install.machine.dmi_uuid ffffffff-ffff-ffff-ffff-ffffffffffff is SMBIOS's \"not set\" or \"not "
		"present\" value",
		"30:24: install.machine needs at least one of mac, dmi_serial, dmi_uuid",
		"35:30: install.machine.mac '7' is not a MAC address",
		"35:33: unknown key 'serial' in install.machine (expected one of: mac, dmi_serial, dmi_uuid)",
		"35:56: install.machine.dmi_uuid 00000000-0000-0000-0000-000000000000 is SMBIOS's",
		"40:24: install.machine must be a mapping",
	};
	expect(diag, want, sizeof want / sizeof *want);

	/* two hosts of a role naming one machine; the later one is blamed */
	assert_int_equal(load("hosts:\n"                                                          /* 7 */
			      "  - name: db1\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.11\n"
			      "    install: {machine: {mac: \"52:54:00:00:00:01\", dmi_serial: \"S1\"}}\n"   /* 12 */
			      "  - name: db2\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.12\n"
			      "    install: {machine: {dmi_serial: \"S2\", mac: \"52:54:00:00:00:01\"}}\n"   /* 17 */
			      "  - name: db3\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.13\n"
			      "    install: {machine: {dmi_serial: \"S1\"}}\n"                               /* 22 */
			      "  - name: db4\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.14\n"
			      "    install: {machine: {dmi_uuid: \"4c4c4544-0042-3610-8052-b4c04f4e4b32\"}}\n" /* 27 */
			      "  - name: db5\n"
			      "    role: mysql\n"
			      "    subnet: lan\n"
			      "    address: 10.0.0.15\n"
			      "    install: {machine: {dmi_uuid: \"4C4C4544-0042-3610-8052-B4C04F4E4B32\"}}\n", /* 32 */
			      &m, diag, sizeof diag), -EINVAL);
	static const char *const dup[] = {
		"17:24: install.machine.mac \"52:54:00:00:00:01\" of host 'db2' is also host 'db1''s: two mysql hosts "
		"naming one machine could not be told apart by the mysql medium",
		"22:24: install.machine.dmi_serial \"S1\" of host 'db3' is also host 'db1''s",
		"32:24: install.machine.dmi_uuid \"4c4c4544-0042-3610-8052-b4c04f4e4b32\" of host 'db5' is also host "
		"'db4''s",
	};
	expect(diag, dup, sizeof dup / sizeof *dup);
	assert_null(strstr(diag, "12:24"));
}

static void test_match(void **state)
{
	(void)state;
	struct machine_nic nics[] = { { "enp1s0", "52:54:00:00:00:01" }, { "enp2s0", "52:54:00:00:00:02" } };
	struct machine_facts f = { .nics = nics, .n_nics = 2, .dmi_serial = "S1",
				   .dmi_uuid = "4c4c4544-0042-3610-8052-b4c04f4e4b32" };
	struct machine_rule r = { .set = true, .mac = "52:54:00:00:00:02" };
	char why[256];
	assert_true(machine_rule_match(&r, &f, why, sizeof why));   /* any of its cards */
	r.mac = "52:54:00:00:00:03";
	assert_false(machine_rule_match(&r, &f, why, sizeof why));
	assert_string_equal(why, "no network card has MAC 52:54:00:00:00:03");
	r.mac = "52:54:00:00:00:01";
	r.dmi_serial = "S2";   /* every key must match */
	assert_false(machine_rule_match(&r, &f, why, sizeof why));
	assert_string_equal(why, "its DMI serial \"S1\" is not \"S2\"");
	r.dmi_serial = "s1";   /* exactly */
	assert_false(machine_rule_match(&r, &f, NULL, 0));
	r.dmi_serial = "S1";
	assert_true(machine_rule_match(&r, &f, why, sizeof why));
	r.dmi_uuid = "4c4c4544-0042-3610-8052-b4c04f4e4b33";
	assert_false(machine_rule_match(&r, &f, why, sizeof why));
	assert_string_equal(why, "its DMI UUID 4c4c4544-0042-3610-8052-b4c04f4e4b32 is not "
				 "4c4c4544-0042-3610-8052-b4c04f4e4b33");
	struct machine_facts none = { 0 };
	struct machine_rule s = { .set = true, .dmi_serial = "S1" }, u = { .set = true, .dmi_uuid = "x" };
	assert_false(machine_rule_match(&s, &none, why, sizeof why));
	assert_string_equal(why, "it reports no DMI serial, the rule wants \"S1\"");
	assert_false(machine_rule_match(&u, &none, why, sizeof why));
	assert_string_equal(why, "it reports no DMI UUID, the rule wants x");

	char *t = machine_facts_text(&f);
	assert_string_equal(t, "NICs enp1s0 52:54:00:00:00:01, enp2s0 52:54:00:00:00:02; DMI serial \"S1\"; DMI UUID "
			       "4c4c4544-0042-3610-8052-b4c04f4e4b32");
	free(t);
	t = machine_facts_text(&none);
	assert_string_equal(t, "no network card; DMI serial none; DMI UUID none");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
