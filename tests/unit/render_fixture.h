/* Hand-built deployment models for the renderer tests, independent of the
 * profile parser: fixture_onprem() is profiles/examples/onprem.yaml. */
#ifndef KILN_TEST_RENDER_FIXTURE_H
#define KILN_TEST_RENDER_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/xalloc.h"
#include "profiles/model.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static char **fx_strv(size_t n, const char *const *v)
{
	char **out = xcalloc(n ? n : 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void fx_add_host(struct model *m, const char *name, enum role role, size_t subnet, uint32_t addr)
{
	m->hosts = xrealloc(m->hosts, (m->n_hosts + 1) * sizeof(*m->hosts));
	struct host *h = &m->hosts[m->n_hosts++];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);
	h->role = role;
	h->subnet = subnet;
	h->dhcp = addr == 0;
	h->address = addr;
}

static void fx_add_flow(struct model *m, enum endpoint_kind fk, const char *from, enum endpoint_kind tk,
			const char *to, uint16_t port, enum proto proto)
{
	m->flows = xrealloc(m->flows, (m->n_flows + 1) * sizeof(*m->flows));
	struct flow *f = &m->flows[m->n_flows++];
	memset(f, 0, sizeof(*f));
	f->from.kind = fk;
	f->from.name = xstrdup(from);
	f->to.kind = tk;
	f->to.name = xstrdup(to);
	f->port = port;
	f->proto = proto;
}

static struct model *fixture_onprem(void)
{
	struct model *m = xcalloc(1, sizeof(*m));
	m->schema = 1;
	m->name = xstrdup("acme");
	m->domain = xstrdup("acme.internal");
	m->n_subnets = 2;
	m->subnets = xcalloc(2, sizeof(*m->subnets));
	m->subnets[0] = (struct subnet){ .name = xstrdup("app"), .cidr = { IP4(192, 168, 40, 192), 28 },
					 .gateway = IP4(192, 168, 40, 193) };
	m->subnets[1] = (struct subnet){ .name = xstrdup("data"), .cidr = { IP4(192, 168, 40, 208), 28 },
					 .gateway = IP4(192, 168, 40, 209) };
	fx_add_host(m, "app1", ROLE_APP, 0, IP4(192, 168, 40, 200));
	fx_add_host(m, "db1", ROLE_MYSQL, 1, IP4(192, 168, 40, 210));
	fx_add_host(m, "minio1", ROLE_MINIO, 1, IP4(192, 168, 40, 215));
	m->n_dns = 1;
	m->dns = xcalloc(1, sizeof(*m->dns));
	m->dns[0] = IP4(192, 168, 40, 1);
	m->n_dns_search = 1;
	m->dns_search = fx_strv(1, (const char *[]){ "acme.internal" });
	m->n_ntp = 1;
	m->ntp = fx_strv(1, (const char *[]){ "192.168.40.1" });
	m->n_ssh_keys = 1;
	m->ssh_keys = fx_strv(1, (const char *[]){
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0WbqVm1vXxgkYc6r3XyvNV7lwVYtZ2C4s6fbg2n5G ops@acme" });
	m->n_ssh_from = 1;
	m->ssh_from = xcalloc(1, sizeof(*m->ssh_from));
	m->ssh_from[0] = (struct endpoint){ .kind = EP_CIDR, .name = xstrdup("192.168.40.0/26"),
					    .cidr = { IP4(192, 168, 40, 0), 26 } };
	fx_add_flow(m, EP_ROLE, "app", EP_ROLE, "mysql", 3306, PROTO_TCP);
	fx_add_flow(m, EP_ROLE, "app", EP_ROLE, "minio", 9000, PROTO_TCP);
	return m;
}

/* The app host with a netplan-style block: renamed by MAC with routes, MTU
 * and optional; a second DHCP NIC matched by driver and name with a MAC set. */
static void fixture_add_ethernets(struct host *h)
{
	h->n_ethernets = 2;
	h->ethernets = xcalloc(2, sizeof(*h->ethernets));
	struct ethernet *e = &h->ethernets[0];
	e->id = xstrdup("lan");
	e->match_mac = xstrdup("52:54:00:12:34:56");
	e->set_name = xstrdup("lan0");
	e->n_addresses = 1;
	e->addresses = fx_strv(1, (const char *[]){ "192.168.40.200/28" });
	e->n_routes = 2;
	e->routes = xcalloc(2, sizeof(*e->routes));
	e->routes[0] = (struct route){ xstrdup("default"), xstrdup("192.168.40.193"), 100 };
	e->routes[1] = (struct route){ xstrdup("10.0.0.0/8"), xstrdup("192.168.40.194"), -1 };
	e->n_nameservers = 1;
	e->nameservers = fx_strv(1, (const char *[]){ "192.168.40.1" });
	e->n_search = 1;
	e->search = fx_strv(1, (const char *[]){ "acme.internal" });
	e->mtu = 9000;
	e->optional = true;
	e = &h->ethernets[1];
	e->id = xstrdup("mgmt");
	e->match_driver = xstrdup("vmxnet3");
	e->match_name = xstrdup("ens*");
	e->dhcp4 = true;
	e->macaddress = xstrdup("52:54:00:aa:bb:cc");
}

/* The same, as netplan v2 YAML, for `netplan generate`. */
static const char fixture_ethernets_netplan[] =
	"network:\n"
	"  version: 2\n"
	"  renderer: networkd\n"
	"  ethernets:\n"
	"    lan:\n"
	"      match:\n"
	"        macaddress: \"52:54:00:12:34:56\"\n"
	"      set-name: lan0\n"
	"      addresses: [192.168.40.200/28]\n"
	"      routes:\n"
	"        - to: default\n"
	"          via: 192.168.40.193\n"
	"          metric: 100\n"
	"        - to: 10.0.0.0/8\n"
	"          via: 192.168.40.194\n"
	"      nameservers:\n"
	"        addresses: [192.168.40.1]\n"
	"        search: [acme.internal]\n"
	"      mtu: 9000\n"
	"      optional: true\n"
	"    mgmt:\n"
	"      match:\n"
	"        driver: vmxnet3\n"
	"        name: \"ens*\"\n"
	"      dhcp4: true\n"
	"      macaddress: \"52:54:00:aa:bb:cc\"\n";

/* Host by name; a fixture without it is a broken test. */
static struct host *fixture_host(struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_hosts; i++)
		if (!strcmp(m->hosts[i].name, name))
			return &m->hosts[i];
	fprintf(stderr, "fixture has no host %s\n", name);
	abort();
}

static void fixture_free(struct model *m)
{
	model_free(m);   /* the fixture owns its strings like a parsed model does */
	free(m);
}
#endif
