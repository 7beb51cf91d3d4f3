/* firstboot/overrides: OVF properties kiln.hostname/address/gateway/dns
 * applied to this host's copy of the deployment, only where the profile
 * allows, every value checked before anything changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "firstboot/overrides.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "profiles/render.h"
#include "render_fixture.h"

static char dir[] = "/tmp/kiln-overrides-XXXXXX";

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static struct model *onprem_allowing(const char *const *keys, size_t n)
{
	struct model *m = fixture_onprem();
	m->esxi.overridable = fx_strv(n, keys);
	m->esxi.n_overridable = n;
	return m;
}

static const char *const all_keys[] = { "hostname", "address", "gateway", "dns" };


static void set(struct overrides *o, enum override_key k, const char *v)
{
	free(o->value[k]);
	o->value[k] = v ? strdup(v) : NULL;
}

static const char *file_of(const struct rendered_files *f, const char *path)
{
	const struct rendered_file *r = rendered_files_find(f, path);
	assert_non_null(r);
	return r->data;
}

static void test_from_ovf_takes_kiln_properties_trimmed(void **state)
{
	(void)state;
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n"
		"<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\" "
		"xmlns:oe=\"http://schemas.dmtf.org/ovf/environment/1\"><PropertySection>"
		"<Property oe:key=\"kiln.seed\" oe:value=\"SEED\"/>"
		"<Property oe:key=\"kiln.hostname\" oe:value=\" db7 \"/>"
		"<Property oe:key=\"kiln.address\" oe:value=\"\"/>"
		"<Property oe:key=\"kiln.gateway\" oe:value=\"   \"/>"
		"<Property oe:key=\"kiln.dns\" oe:value=\"10.0.0.1, 10.0.0.2\"/>"
		"<Property oe:key=\"other.thing\" oe:value=\"x\"/>"
		"</PropertySection></Environment>";
	struct ovf_env e;
	assert_int_equal(ovfenv_parse(xml, sizeof xml - 1, &e), 0);
	struct overrides o;
	overrides_from_ovf(&e, &o);
	assert_string_equal(o.value[OVR_HOSTNAME], "db7");
	assert_null(o.value[OVR_ADDRESS]);   /* empty = the seed's value */
	assert_null(o.value[OVR_GATEWAY]);
	assert_string_equal(o.value[OVR_DNS], "10.0.0.1, 10.0.0.2");
	overrides_free(&o);
	ovfenv_free(&e);
}

static void test_save_load_roundtrip_and_empty_set_removes_the_file(void **state)
{
	(void)state;
	char *p = path_join(dir, "overrides");
	struct overrides o = { 0 }, back;
	set(&o, OVR_HOSTNAME, "db7");
	set(&o, OVR_DNS, "10.0.0.1 10.0.0.2");
	assert_int_equal(overrides_save(p, &o), 0);
	assert_int_equal(overrides_load(p, &back), 0);
	assert_true(overrides_equal(&o, &back));
	set(&back, OVR_DNS, "10.0.0.3");
	assert_false(overrides_equal(&o, &back));
	overrides_free(&back);

	struct overrides none = { 0 };
	assert_int_equal(overrides_save(p, &none), 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(overrides_load(p, &back), 0);   /* absent = empty */
	assert_true(overrides_empty(&back));
	assert_false(overrides_equal(&o, &back));

	set(&o, OVR_HOSTNAME, "db7\nevil=1");        /* never written with a newline */
	assert_int_equal(overrides_save(p, &o), -EINVAL);
	overrides_free(&o);
	free(p);
}

static void test_load_refuses_corrupt_files(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"hostname=db7",              /* no final newline: torn */
		"colour=blue\n",             /* unknown key */
		"hostname\n",                /* no '=' */
		"hostname=\n",               /* empty value */
		"hostname=a\nhostname=b\n",  /* twice */
		"dns=1.2.3.4\x01\n",         /* control character */
	};
	char *p = path_join(dir, "corrupt");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(write_file_atomic(p, bad[i], strlen(bad[i]), 0644), 0);
		struct overrides o;
		assert_int_equal(overrides_load(p, &o), -EBADMSG);
		assert_true(overrides_empty(&o));
	}
	free(p);
}

static void test_apply_all_four_and_render(void **state)
{
	(void)state;
	struct model *m = onprem_allowing(all_keys, 4);
	struct host *h = fixture_host(m, "db1");
	struct overrides o = { 0 };
	set(&o, OVR_HOSTNAME, "db7");
	set(&o, OVR_ADDRESS, "192.168.40.220");
	set(&o, OVR_GATEWAY, "192.168.40.222");
	set(&o, OVR_DNS, "10.1.1.1,10.1.1.2 10.1.1.3");
	char why[300] = "";
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);

	struct rendered_files f = { 0 };
	assert_int_equal(render_host(m, h, &f), 0);
	assert_string_equal(file_of(&f, "/etc/hostname"), "db7\n");
	const char *hosts = file_of(&f, "/etc/hosts");
	/* Answers to both names; peers are unchanged. */
	assert_non_null(strstr(hosts, "192.168.40.220\tdb7.acme.internal db7 db1.acme.internal db1\n"));
	assert_non_null(strstr(hosts, "192.168.40.200\tapp1.acme.internal app1\n"));
	const char *net = file_of(&f, "/etc/systemd/network/10-kiln-primary.network");
	assert_non_null(strstr(net, "Address=192.168.40.220/28\n"));
	assert_non_null(strstr(net, "Gateway=192.168.40.222\n"));
	assert_non_null(strstr(net, "DNS=10.1.1.1\nDNS=10.1.1.2\nDNS=10.1.1.3\n"));
	assert_null(strstr(net, "192.168.40.210"));
	rendered_files_free(&f);
	overrides_free(&o);
	fixture_free(m);
}

static void test_only_allowed_properties_take_effect(void **state)
{
	(void)state;
	struct model *m = onprem_allowing((const char *const[]){ "hostname" }, 1);
	struct host *h = fixture_host(m, "db1");
	struct overrides o = { 0 };
	set(&o, OVR_HOSTNAME, "db7");
	set(&o, OVR_ADDRESS, "192.168.40.220");   /* not allowed: ignored */
	set(&o, OVR_DNS, "not an address");        /* not allowed: not even checked */
	char why[300] = "";
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);
	assert_string_equal(h->hostname, "db7");
	assert_int_equal(h->address, IP4(192, 168, 40, 210));
	assert_int_equal(m->dns[0], IP4(192, 168, 40, 1));
	fixture_free(m);

	m = onprem_allowing(NULL, 0);   /* no esxi.overridable: nothing applies */
	h = fixture_host(m, "db1");
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);
	assert_null(h->hostname);
	overrides_free(&o);
	fixture_free(m);
}

static void test_address_override_makes_a_dhcp_host_static(void **state)
{
	(void)state;
	struct model *m = onprem_allowing(all_keys, 4);
	struct host *h = fixture_host(m, "minio1");
	h->dhcp = true;
	h->address = 0;
	struct overrides o = { 0 };
	char why[300] = "";
	set(&o, OVR_GATEWAY, "192.168.40.222");
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "takes its address and gateway from DHCP"));
	set(&o, OVR_ADDRESS, "192.168.40.221");
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);
	assert_false(h->dhcp);
	assert_int_equal(h->address, IP4(192, 168, 40, 221));
	assert_int_equal(m->subnets[1].gateway, IP4(192, 168, 40, 222));
	overrides_free(&o);
	fixture_free(m);
}

/* Each refusal names the property and leaves the model untouched. */
static void test_bad_values_refused_before_anything_changes(void **state)
{
	(void)state;
	static const struct {
		enum override_key k;
		const char *value;
		const char *why;
	} cases[] = {
		{ OVR_HOSTNAME, "DB_7", "kiln.hostname=\"DB_7\" refused: host name" },
		{ OVR_HOSTNAME, "-db7", "kiln.hostname=\"-db7\" refused" },
		{ OVR_HOSTNAME, "app1", "that is host app1 of this deployment" },
		{ OVR_ADDRESS, "192.168.40.300", "kiln.address=\"192.168.40.300\" refused: not an IPv4 address" },
		{ OVR_ADDRESS, "10.0.0.5", "not a host address of subnet data (192.168.40.208/28)" },
		{ OVR_ADDRESS, "192.168.40.208", "not a host address of subnet data" },   /* network address */
		{ OVR_ADDRESS, "192.168.40.223", "not a host address of subnet data" },   /* broadcast */
		{ OVR_ADDRESS, "192.168.40.215", "already the address of host minio1" },
		{ OVR_ADDRESS, "192.168.40.209", "address and its gateway would be the same" },
		{ OVR_GATEWAY, "192.168.40.193", "kiln.gateway=\"192.168.40.193\" refused: not a host address of subnet data" },
		{ OVR_GATEWAY, "gw", "not an IPv4 address" },
		{ OVR_GATEWAY, "192.168.40.210", "address and its gateway would be the same" },
		{ OVR_DNS, "10.0.0.1;10.0.0.2", "kiln.dns=\"10.0.0.1;10.0.0.2\" refused: expected IPv4 addresses" },
		{ OVR_DNS, ",", "expected IPv4 addresses" },
		{ OVR_DNS, "0.0.0.0", "expected IPv4 addresses" },
		{ OVR_DNS, "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9", "more than 8 servers" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct model *m = onprem_allowing(all_keys, 4);
		struct host *h = fixture_host(m, "db1");
		struct overrides o = { 0 };
		set(&o, OVR_HOSTNAME, "db7");   /* valid, must not be applied when another fails */
		set(&o, cases[i].k, cases[i].value);
		char why[300] = "";
		assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), -EINVAL);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: '%s' does not contain '%s'", i, why, cases[i].why);
		assert_null(h->hostname);
		assert_int_equal(h->address, IP4(192, 168, 40, 210));
		assert_int_equal(m->subnets[1].gateway, IP4(192, 168, 40, 209));
		assert_int_equal(m->n_dns, 1);
		overrides_free(&o);
		fixture_free(m);
	}
}

static void test_ethernets_block_cannot_be_overridden(void **state)
{
	(void)state;
	struct model *m = onprem_allowing(all_keys, 4);
	struct host *h = fixture_host(m, "app1");
	fixture_add_ethernets(h);
	struct overrides o = { 0 };
	char why[300] = "";
	set(&o, OVR_GATEWAY, "192.168.40.194");
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "ethernets: block"));
	set(&o, OVR_GATEWAY, NULL);
	set(&o, OVR_HOSTNAME, "web1");   /* the name is still free to change */
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);
	assert_string_equal(h->hostname, "web1");
	overrides_free(&o);
	fixture_free(m);
}

/* Issue 15, defect 9: a tab between kiln.dns servers passed apply and then
 * failed when saved, failing the seed step. One syntax check serves apply,
 * save and load: what apply takes is saved and read back unchanged. */
static void test_what_apply_takes_is_saved_and_read_back(void **state)
{
	(void)state;
	static const char *const dns[] = { "10.1.1.1\t10.1.1.2", "10.1.1.1,10.1.1.2 10.1.1.3", "10.1.1.1 ,\t 10.1.1.2",
					   "10.1.1.1" };
	char *p = path_join(dir, "applied");
	for (size_t i = 0; i < sizeof dns / sizeof *dns; i++) {
		struct model *m = onprem_allowing(all_keys, 4);
		struct host *h = fixture_host(m, "db1");
		struct overrides o = { 0 }, back;
		set(&o, OVR_HOSTNAME, "db7");
		set(&o, OVR_DNS, dns[i]);
		char why[300] = "";
		assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);
		assert_int_equal(overrides_save(p, &o), 0);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);   /* a piece of the OVF environment: root-only */
		assert_int_equal(overrides_load(p, &back), 0);
		assert_true(overrides_equal(&o, &back));
		overrides_free(&back);
		overrides_free(&o);
		fixture_free(m);
	}
	/* And what apply refuses for its syntax, save refuses too. */
	static const struct { enum override_key k; const char *v; } bad[] = {
		{ OVR_DNS, "10.0.0.1;10.0.0.2" }, { OVR_DNS, "10.0.0.1\n10.0.0.2" }, { OVR_HOSTNAME, "DB_7" },
		{ OVR_ADDRESS, "192.168.40.300" }, { OVR_GATEWAY, "gw" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct model *m = onprem_allowing(all_keys, 4);
		struct overrides o = { 0 };
		set(&o, bad[i].k, bad[i].v);
		char why[300] = "";
		assert_int_equal(overrides_apply(m, fixture_host(m, "db1"), &o, why, sizeof why), -EINVAL);
		assert_int_equal(overrides_save(p, &o), -EINVAL);
		overrides_free(&o);
		fixture_free(m);
	}
	free(p);
}

/* Issue 15, defect 9: a property the profile does not allow was logged as
 * ignored but still saved (and listed as applied). It is dropped. */
static void test_properties_not_allowed_are_dropped_not_saved(void **state)
{
	(void)state;
	struct model *m = onprem_allowing((const char *const[]){ "hostname" }, 1);
	struct host *h = fixture_host(m, "db1");
	struct overrides o = { 0 }, back;
	set(&o, OVR_HOSTNAME, "db7");
	set(&o, OVR_ADDRESS, "192.168.40.220");
	set(&o, OVR_DNS, "not an address");
	char why[300] = "";
	assert_int_equal(overrides_apply(m, h, &o, why, sizeof why), 0);
	assert_string_equal(o.value[OVR_HOSTNAME], "db7");
	assert_null(o.value[OVR_ADDRESS]);
	assert_null(o.value[OVR_DNS]);
	char *p = path_join(dir, "allowed-only"), *text;
	assert_int_equal(overrides_save(p, &o), 0);
	assert_int_equal(read_file(p, 4096, &text, NULL), 0);
	assert_string_equal(text, "hostname=db7\n");
	free(text);
	assert_int_equal(overrides_load(p, &back), 0);
	assert_true(overrides_equal(&o, &back));
	overrides_free(&back);
	overrides_free(&o);
	free(p);
	fixture_free(m);
}

static int setup(void **state)
{
	(void)state;
	log_set_sink(quiet, NULL);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_ovf_takes_kiln_properties_trimmed),
		cmocka_unit_test(test_save_load_roundtrip_and_empty_set_removes_the_file),
		cmocka_unit_test(test_load_refuses_corrupt_files),
		cmocka_unit_test(test_apply_all_four_and_render),
		cmocka_unit_test(test_only_allowed_properties_take_effect),
		cmocka_unit_test(test_address_override_makes_a_dhcp_host_static),
		cmocka_unit_test(test_bad_values_refused_before_anything_changes),
		cmocka_unit_test(test_ethernets_block_cannot_be_overridden),
		cmocka_unit_test(test_what_apply_takes_is_saved_and_read_back),
		cmocka_unit_test(test_properties_not_allowed_are_dropped_not_saved),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
