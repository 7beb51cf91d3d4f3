/* profiles/syntax_networkd.c: ethernets ids, interface names, match globs
 * and plain values of systemd-networkd files. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"

static void test_id(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_networkd_id,
		     { "eth0", NULL },
		     { "uplink-interface_1.a", NULL },
		     { "a-name-that-is-longer-than-an-interface-name", NULL },
		     { "", "must be 1 to 64 characters" },
		     { "a/b", "must be 1 to 64 characters" },
		     { "../../etc/x", "must be 1 to 64 characters" },
		     { "..", "not '.' or '..'" },
		     { ".", "not '.' or '..'" },
		     { "eth 0", "must be 1 to 64 characters" },
		     { "eth0\n[Network]", "must be 1 to 64 characters" },
		     { "ens*", "must be 1 to 64 characters" },
		     { "0123456789012345678901234567890123456789012345678901234567890123456789",
		       "must be 1 to 64 characters" });
}

static void test_ifname(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_networkd_ifname,
		     { "lan0", NULL },
		     { "enp1s0f1.100", NULL },
		     { "a23456789012345", NULL },
		     { "a234567890123456", "must be a Linux interface name" },
		     { "", "must be a Linux interface name" },
		     { "12", "not all digits" },
		     { "..", "must be a Linux interface name" },
		     { "lan 0", "must be a Linux interface name" },
		     { "lan:0", "must be a Linux interface name" },
		     { "lan/0", "must be a Linux interface name" },
		     { "lan0\n", "must be a Linux interface name" });
}

static void test_glob(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_networkd_glob,
		     { "ens*", NULL },
		     { "enp[0-9]s?", NULL },
		     { "vmxnet3", NULL },
		     { "virtio_net", NULL },
		     { "en* eth*", "must be one name or glob" },
		     { "!eth0", "must be one name or glob" },
		     { "", "must be one name or glob" },
		     { "eth0\nName=*", "must be one name or glob" });
}

static void test_value(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_networkd_value,
		     { "10.0.0.1/24", NULL },
		     { "a b", NULL },
		     { "", "must not be empty" },
		     { "10.0.0.1\n[Route]", "must hold no control characters" },
		     { "x\ry", "must hold no control characters" },
		     { "x\x7f", "must hold no control characters" });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
