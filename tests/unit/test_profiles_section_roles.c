/* profiles/section_roles.c's lb parts: roles.lb and
 * roles.app.load_balancer (every rejection at its FILE:LINE:COL), their
 * defaults, who gets the app certificate's key, and the firewall flows
 * render_nftables derives from them (the app hosts' web ports only from the
 * balancer, the lb hosts' open, VRRP between the two lb hosts, clients'
 * flows to the app's 443 moved to the lb hosts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "profiles/profile.h"
#include "profiles/render.h"
#include "profiles/secrets_catalog.h"
#include "tests/unit/profile_rejects.h"

/* Lines 1..9; cases append from line 10. */
#define HEAD \
	"kiln: 1\n" \
	"deployment: {name: t, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"  - {name: b, cidr: 10.1.0.0/24}\n" \
	"  - {name: adm, cidr: 10.9.0.0/24}\n" \
	"hosts:\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n" \
	"  - {name: app2, role: app, subnet: a, address: 10.0.0.21}\n"
#define LB1 "  - {name: lb1, role: lb, subnet: a, address: 10.0.0.5}\n"
#define LB2 "  - {name: lb2, role: lb, subnet: a, address: 10.0.0.6}\n"
#define APP "roles:\n  app: {service: {exec: /bin/true}}\n"
/* HEAD LB1 LB2 APP: roles.lb's keys from line 15 */
#define TWO HEAD LB1 LB2 APP "  lb:\n"

static const struct reject rejects[] = {
	{ "two lb hosts, no roles.lb", HEAD LB1 LB2 APP, 11, 5, "roles.lb.virtual_address is required" },
	{ "two lb hosts, no virtual_address", TWO "    tls: terminate\n", 15, 5,
	  "roles.lb.virtual_address is required" },
	{ "one lb host with a virtual address", HEAD LB1 APP "  lb: {virtual_address: 10.0.0.9}\n", 13, 25,
	  "needs two lb hosts (host 'lb1' is the only one" },
	{ "virtual address outside the subnet", TWO "    virtual_address: 10.1.0.9\n", 15, 22,
	  "10.1.0.9 is outside subnet 'a' (10.0.0.0/24) of the lb hosts" },
	{ "virtual address is a host's", TWO "    virtual_address: 10.0.0.20\n", 15, 22, "is host 'app1''s address" },
	{ "virtual address is the gateway", TWO "    virtual_address: 10.0.0.1\n", 15, 22, "is the gateway of subnet 'a'" },
	{ "virtual address is the broadcast", TWO "    virtual_address: 10.0.0.255\n", 15, 22,
	  "network or broadcast address" },
	{ "virtual address not an address", TWO "    virtual_address: 10.0.0\n", 15, 22, "roles.lb.virtual_address" },
	{ "three lb hosts", HEAD LB1 LB2 "  - {name: lb3, role: lb, subnet: a, address: 10.0.0.7}\n" APP
	  "  lb: {virtual_address: 10.0.0.9}\n", 12, 5, "at most two hosts may have role lb" },
	{ "app host on dhcp behind lb hosts", HEAD LB1 "  - {name: app3, role: app, subnet: a, address: dhcp}\n" APP, 11, 5,
	  "app host 'app3' has a DHCP address, but the lb hosts forward to each app host by its address" },
	{ "lb host on dhcp", HEAD "  - {name: lb1, role: lb, subnet: a, address: dhcp}\n" APP, 10, 5,
	  "has role lb, which needs a static address" },
	{ "lb without app hosts",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n" LB1, 6, 5,
	  "has role lb but no host has role app" },
	{ "lb hosts in two subnets", HEAD LB1 "  - {name: lb2, role: lb, subnet: b, address: 10.1.0.6}\n" APP
	  "  lb: {virtual_address: 10.0.0.9}\n", 11, 5, "are in different subnets" },
	{ "unknown tls mode", HEAD LB1 APP "  lb: {tls: offload}\n", 13, 13,
	  "unknown roles.lb.tls 'offload' (expected terminate or passthrough)" },
	{ "health check not a path", HEAD LB1 APP "  lb: {health_check: 'health?x=1'}\n", 13, 22,
	  "health_check 'health?x=1' must be a URL path" },
	{ "unknown key in roles.lb", HEAD LB1 APP "  lb: {vip: 10.0.0.9}\n", 13, 8, "unknown key 'vip'" },
	{ "roles.lb is not a mapping", HEAD LB1 APP "  lb: [x]\n", 13, 7, "roles.lb" },
	{ "roles.lb without lb hosts", HEAD APP "  lb: {tls: passthrough}\n", 12, 7,
	  "roles.lb is given but no host has role lb" },
	{ "load_balancer without external", HEAD "roles:\n  app:\n    service: {exec: /bin/true}\n    load_balancer: {}\n",
	  13, 20, "roles.app.load_balancer needs 'external'" },
	{ "load_balancer external names no subnet", HEAD "roles:\n  app:\n    service: {exec: /bin/true}\n"
	  "    load_balancer: {external: [cloud]}\n", 13, 32, "names subnet 'cloud', which is not defined" },
	{ "load_balancer external bad CIDR", HEAD "roles:\n  app:\n    service: {exec: /bin/true}\n"
	  "    load_balancer: {external: [10.2.0.1/16]}\n", 13, 32, "host bits are set" },
	{ "load_balancer external empty", HEAD "roles:\n  app:\n    service: {exec: /bin/true}\n"
	  "    load_balancer: {external: []}\n", 13, 31, "is empty" },
	{ "load_balancer external is a scalar", HEAD "roles:\n  app:\n    service: {exec: /bin/true}\n"
	  "    load_balancer: {external: b}\n", 13, 31, "roles.app.load_balancer.external must be a list" },
	{ "load_balancer and lb hosts", HEAD LB1 "roles:\n  app:\n    service: {exec: /bin/true}\n"
	  "    load_balancer: {external: [b]}\n", 14, 32, "this profile has lb hosts (host 'lb1'): use one or the other" },
	{ "unknown role", HEAD "  - {name: x, role: balancer, subnet: a, address: 10.0.0.9}\n" APP, 10, 21,
	  "unknown role 'balancer' (expected app, mysql, minio or lb)" },
};

static void test_defaults(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(HEAD LB1 APP, &m, &d), 0);
	assert_int_equal(m.roles.lb.tls, LB_TLS_TERMINATE);
	assert_int_equal(m.roles.lb.virtual_address, 0);
	assert_string_equal(lb_health_path(&m), "/");
	assert_true(app_behind_balancer(&m));
	const struct host *lb[2];
	assert_int_equal(model_lb_hosts(&m, lb), 1);
	assert_string_equal(lb[0]->name, "lb1");
	assert_int_equal(lb[0]->size.data_disk_gib, 0);   /* lb keeps no data */
	/* terminate: the lb host gets the app certificate's key */
	assert_true(host_needs_secret(&m, lb[0], "tls_key"));
	assert_false(host_needs_secret(&m, lb[0], "mysql_app_password"));
	model_free(&m);
	diags_free(&d);

	/* monitoring.app_health is the default health check */
	assert_int_equal(load(HEAD LB1 APP "monitoring: {host: app1, app_health: /up}\n", &m, &d), 0);
	assert_string_equal(lb_health_path(&m), "/up");
	model_free(&m);
	diags_free(&d);

	assert_int_equal(load(HEAD LB1 LB2 APP "  lb: {tls: passthrough, virtual_address: 10.0.0.9, health_check: /hz}\n"
				  "monitoring: {host: app1, app_health: /up}\n", &m, &d), 0);
	assert_int_equal(m.roles.lb.tls, LB_TLS_PASSTHROUGH);
	assert_int_equal(m.roles.lb.virtual_address, 0x0a000009);
	assert_string_equal(lb_health_path(&m), "/hz");
	/* passthrough: the certificate stays on the app hosts */
	assert_false(host_needs_secret(&m, model_find_host(&m, "lb1"), "tls_key"));
	assert_true(host_needs_secret(&m, model_find_host(&m, "app1"), "tls_key"));
	model_free(&m);
	diags_free(&d);

	/* no balancer: the app hosts are the entry as before */
	assert_int_equal(load(HEAD APP, &m, &d), 0);
	assert_false(app_behind_balancer(&m));
	model_free(&m);
	diags_free(&d);
}

static char *nft(const struct model *m, const char *host)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(render_nftables(m, model_find_host(m, host), &b), 0);
	return b.data;
}

static void test_nftables_two_lb(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(HEAD LB1 LB2 "flows:\n  - {from: {subnet: adm}, to: {role: app}, port: 443}\n"
				  "  - {from: {subnet: adm}, to: {host: app1}, port: 8443}\n" APP
				  "  lb: {virtual_address: 10.0.0.9}\n", &m, &d), 0);
	char *app = nft(&m, "app1"), *lb1 = nft(&m, "lb1"), *lb2 = nft(&m, "lb2");
	/* app hosts: web ports only from the lb hosts (and the virtual address) */
	assert_non_null(strstr(app, "set web_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
				    "\t\telements = { 10.0.0.5, 10.0.0.6, 10.0.0.9 }\n"));
	assert_non_null(strstr(app, "tcp dport { 80, 443 } ip saddr @web_from counter name \"web_accept\" accept\n"));
	assert_null(strstr(app, "tcp_443"));               /* the clients' flow moved to the lb hosts */
	assert_non_null(strstr(app, "tcp dport 8443 ip saddr @tcp_8443_from"));   /* other ports stay */
	assert_null(strstr(app, "vrrp"));
	/* lb hosts: web from anywhere, the clients' flow, VRRP from the other one only */
	assert_non_null(strstr(lb1, "tcp dport { 80, 443 } counter name \"web_accept\" accept\n"));
	assert_non_null(strstr(lb1, "tcp dport 443 ip saddr @tcp_443_from"));
	assert_non_null(strstr(lb1, "ip protocol vrrp ip saddr 10.0.0.6 counter name \"vrrp_accept\" accept\n"));
	assert_non_null(strstr(lb2, "ip protocol vrrp ip saddr 10.0.0.5 counter name \"vrrp_accept\" accept\n"));
	assert_null(strstr(lb1, "8443"));
	free(app);
	free(lb1);
	free(lb2);
	model_free(&m);
	diags_free(&d);
}

static void test_nftables_one_lb_and_external(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(HEAD LB1 APP, &m, &d), 0);
	char *app = nft(&m, "app2"), *lb = nft(&m, "lb1");
	assert_non_null(strstr(app, "elements = { 10.0.0.5 }\n"));
	assert_null(strstr(lb, "vrrp"));                   /* one lb host: no VRRP */
	assert_non_null(strstr(lb, "The lb role serves the app's users"));
	free(app);
	free(lb);
	model_free(&m);
	diags_free(&d);

	/* The operator's balancer: the app's web ports from its networks only. */
	assert_int_equal(load(HEAD "roles:\n  app:\n    service: {exec: /bin/true}\n"
				   "    load_balancer: {external: [b, 192.0.2.0/28]}\n", &m, &d), 0);
	assert_int_equal(m.roles.app.n_lb_external, 2);
	app = nft(&m, "app1");
	assert_non_null(strstr(app, "elements = { 10.1.0.0/24, 192.0.2.0/28 }\n"));
	assert_non_null(strstr(app, "Behind the operator's load balancer"));
	assert_non_null(strstr(app, "ip saddr @web_from counter name \"web_accept\""));
	free(app);
	model_free(&m);
	diags_free(&d);
}

static void test_json(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(HEAD LB1 LB2 APP "  lb: {virtual_address: 10.0.0.9, tls: passthrough}\n", &m, &d), 0);
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"lb\":{\"tls\":\"passthrough\",\"virtual_address\":\"10.0.0.9\","
				       "\"health_check\":\"/\"}"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	struct CMUnitTest tests[sizeof rejects / sizeof *rejects + 4];
	size_t n = add_rejects(tests, rejects, sizeof rejects / sizeof *rejects);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_nftables_two_lb);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_nftables_one_lb_and_external);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_json);
	return _cmocka_run_group_tests("section_roles", tests, n, NULL, NULL);
}
