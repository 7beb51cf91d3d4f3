/* subnets, sizes and hosts: the address plan and what each machine is. */
#include "profiles/names.h"
#include "profiles/schema.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Marks a subnet whose CIDR was invalid (already reported): skip checks against it. */
#define PREFIX_INVALID 255

bool scalar_ipv4(struct ctx *c, const struct ynode *n, const char *what, uint32_t *out)
{
	if (n->type != YN_SCALAR || is_null(n)) {
		err_at(c, n, "'%s' must be an IPv4 address, not %s", what, ynode_type_name(n));
		return false;
	}
	if (ipv4_parse(n->value, out) < 0) {
		err_at(c, n, "bad IPv4 address '%s' for '%s' (expected four decimal octets a.b.c.d)", n->value, what);
		return false;
	}
	return true;
}

bool scalar_cidr(struct ctx *c, const struct ynode *n, const char *what, struct ipv4_net *out)
{
	if (n->type != YN_SCALAR || is_null(n)) {
		err_at(c, n, "'%s' must be a CIDR (a.b.c.d/prefix), not %s", what, ynode_type_name(n));
		return false;
	}
	uint32_t a;
	uint8_t p;
	int r = ipv4_addr_prefix_parse(n->value, &a, &p);
	if (r == -ERANGE) {
		err_at(c, n, "bad CIDR '%s': the prefix length is larger than 32", n->value);
		return false;
	}
	if (r < 0) {
		err_at(c, n, "bad CIDR '%s' (expected a.b.c.d/prefix, e.g. 10.0.1.0/24)", n->value);
		return false;
	}
	if (a & ~ipv4_netmask(p)) {
		struct ipv4_net fixed = { a & ipv4_netmask(p), p };
		char buf[19];
		err_at(c, n, "bad CIDR '%s': host bits are set (did you mean %s?)", n->value,
		       ipv4_net_fmt(&fixed, buf));
		return false;
	}
	out->addr = a;
	out->prefix = p;
	return true;
}

static bool usable_in(const struct ipv4_net *n, uint32_t a)
{
	return n->prefix >= 31 || (a != n->addr && a != ipv4_broadcast(n));
}

void parse_subnets(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "name", "cidr", "gateway", NULL };
	const struct ynode *list = ytree_get(root, "subnets");
	struct model *m = c->m;
	if (!list) {
		err_at(c, root, "missing required section 'subnets' (a list of {name, cidr, gateway})");
		c->subnets_bad = true;
		return;
	}
	if (!expect_seq(c, list, "subnets")) {
		c->subnets_bad = true;
		return;
	}
	m->subnets = xcalloc(list->n + 1, sizeof *m->subnets);
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (!expect_map(c, n, "a subnet", keys)) {
			c->subnets_bad = true;
			continue;
		}
		struct subnet *s = &m->subnets[m->n_subnets++];
		s->pos = pos_of(c, n);
		s->cidr.prefix = PREFIX_INVALID;
		const char *why;
		if (require(c, n, "name", "subnet") && get_str(c, n, "name", &s->name)) {
			if ((why = name_check_simple(s->name, 32)))
				err_at(c, ytree_get(n, "name"), "subnet name '%s' %s", s->name, why);
			for (size_t j = 0; j + 1 < m->n_subnets; j++)
				if (m->subnets[j].name && !strcmp(m->subnets[j].name, s->name))
					err_at(c, ytree_get(n, "name"), "duplicate subnet name '%s' (first defined at line %u)",
					       s->name, m->subnets[j].pos.line);
		}
		if (require(c, n, "cidr", "subnet") && scalar_cidr(c, ytree_get(n, "cidr"), "cidr", &s->cidr)) {
			for (size_t j = 0; j + 1 < m->n_subnets; j++) {
				const struct subnet *o = &m->subnets[j];
				char b1[19], b2[19];
				if (o->cidr.prefix <= 32 && ipv4_net_overlap(&o->cidr, &s->cidr))
					err_at(c, ytree_get(n, "cidr"), "subnet %s overlaps subnet '%s' (%s, line %u)",
					       ipv4_net_fmt(&s->cidr, b1), o->name ? o->name : "?",
					       ipv4_net_fmt(&o->cidr, b2), o->pos.line);
			}
		} else
			s->cidr.prefix = PREFIX_INVALID;
		const struct ynode *gw = ytree_get(n, "gateway");
		if (gw && !is_null(gw) && scalar_ipv4(c, gw, "gateway", &s->gateway) && s->cidr.prefix <= 32) {
			char b1[16], b2[19];
			if (!ipv4_net_contains(&s->cidr, s->gateway))
				err_at(c, gw, "gateway %s is outside subnet %s", ipv4_fmt(s->gateway, b1),
				       ipv4_net_fmt(&s->cidr, b2));
			else if (!usable_in(&s->cidr, s->gateway))
				err_at(c, gw, "gateway %s is the network or broadcast address of %s",
				       ipv4_fmt(s->gateway, b1), ipv4_net_fmt(&s->cidr, b2));
		}
	}
}

static const struct size_preset builtin_sizes[] = {
	{ "small", { 1, 2048, 8, 20 }, { 0 } },
	{ "medium", { 2, 4096, 10, 40 }, { 0 } },
	{ "large", { 4, 8192, 20, 100 }, { 0 } },
};

static struct size_preset *find_size(struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_sizes; i++)
		if (!strcmp(m->sizes[i].name, name))
			return &m->sizes[i];
	return NULL;
}

/* Per-field limits, shared by presets and per-host overrides. */
static void size_fields(struct ctx *c, const struct ynode *n, struct size_spec *s)
{
	get_uint(c, n, "vcpus", 1, 128, &s->vcpus);
	get_uint(c, n, "memory_mib", 512, 4u << 20, &s->memory_mib);
	get_uint(c, n, "os_disk_gib", 4, 16384, &s->os_disk_gib);
	get_uint(c, n, "data_disk_gib", 0, 65536, &s->data_disk_gib);
}

void parse_sizes(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "vcpus", "memory_mib", "os_disk_gib", "data_disk_gib", NULL };
	struct model *m = c->m;
	const struct ynode *map = ytree_get(root, "sizes");
	if (map && map->type == YN_MAP && !expect_dict(c, map, "sizes"))
		map = NULL;
	size_t extra = map && map->type == YN_MAP ? map->n : 0;
	m->sizes = xcalloc(3 + extra, sizeof *m->sizes);
	for (size_t i = 0; i < 3; i++) {
		m->sizes[i] = builtin_sizes[i];
		m->sizes[i].name = xstrdup(builtin_sizes[i].name);
	}
	m->n_sizes = 3;
	if (!map || map->type != YN_MAP) {
		if (map && map->type != YN_MAP)
			err_at(c, map, "'sizes' must be a mapping of preset name -> {vcpus, memory_mib, "
				       "os_disk_gib, data_disk_gib}, not %s", ynode_type_name(map));
		return;
	}
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->keys[i], *v = map->items[i];
		const char *why = name_check_simple(k->value, 32);
		if (why) {
			err_at(c, k, "size preset name '%s' %s", k->value, why);
			continue;
		}
		if (!expect_map(c, v, "a size preset", keys))
			continue;
		struct size_preset *p = find_size(m, k->value);
		if (!p) {
			/* A new preset must say everything but the data disk. */
			p = &m->sizes[m->n_sizes++];
			p->name = xstrdup(k->value);
			require(c, v, "vcpus", "size preset");
			require(c, v, "memory_mib", "size preset");
			require(c, v, "os_disk_gib", "size preset");
		}
		p->pos = pos_of(c, k);
		size_fields(c, v, &p->spec);
	}
}

static void parse_host(struct ctx *c, const struct ynode *n, struct host *h)
{
	struct model *m = c->m;
	const char *why;
	char *tmp = NULL;

	h->pos = pos_of(c, n);
	h->subnet = (size_t)-1;
	if (require(c, n, "name", "host") && get_str(c, n, "name", &h->name)) {
		if ((why = name_check_hostname(h->name)))
			err_at(c, ytree_get(n, "name"), "host name '%s' %s", h->name, why);
		for (const struct host *o = m->hosts; o < h; o++)
			if (o->name && !strcmp(o->name, h->name))
				err_at(c, ytree_get(n, "name"), "duplicate host name '%s' (first defined at line %u)",
				       h->name, o->pos.line);
	}
	if (require(c, n, "role", "host") && get_str(c, n, "role", &tmp)) {
		int r = role_from_name(tmp);
		if (r < 0) {
			err_at(c, ytree_get(n, "role"), "unknown role '%s' (expected app, mysql, minio or lb)", tmp);
			h->role = ROLE__COUNT;   /* no role: keeps role-specific checks quiet */
		} else
			h->role = (enum role)r;
	}
	if (require(c, n, "subnet", "host") && get_str(c, n, "subnet", &tmp)) {
		const struct subnet *s = model_find_subnet(m, tmp);
		if (!s && !c->subnets_bad)
			err_at(c, ytree_get(n, "subnet"), "host '%s' names subnet '%s', which is not defined under subnets",
			       h->name ? h->name : "?", tmp);
		else
			h->subnet = (size_t)(s - m->subnets);
	}
	const struct ynode *an = ytree_get(n, "address");
	if (require(c, n, "address", "host")) {
		if (an->type == YN_SCALAR && !strcmp(an->value, "dhcp"))
			h->dhcp = true;
		else if (an->type == YN_SCALAR && ipv4_parse(an->value, &h->address) < 0)
			err_at(c, an, "bad address '%s' (expected an IPv4 address a.b.c.d or the word dhcp)", an->value);
		else if (an->type == YN_SCALAR && h->address == 0)
			err_at(c, an, "bad address '%s' (0.0.0.0 is not a host address)", an->value);
		else if (an->type != YN_SCALAR)
			err_at(c, an, "'address' must be an IPv4 address or dhcp, not %s", ynode_type_name(an));
	}
	const struct subnet *s = model_host_subnet(m, h);
	if (h->address && s && s->cidr.prefix <= 32) {
		char b1[16], b2[19];
		ipv4_fmt(h->address, b1);
		ipv4_net_fmt(&s->cidr, b2);
		if (!ipv4_net_contains(&s->cidr, h->address))
			err_at(c, an, "address %s is outside subnet '%s' (%s)", b1, s->name, b2);
		else if (!usable_in(&s->cidr, h->address))
			err_at(c, an, "address %s is the network or broadcast address of subnet '%s' (%s)", b1, s->name, b2);
		else if (h->address == s->gateway)
			err_at(c, an, "address %s is the gateway of subnet '%s'", b1, s->name);
	}
	if (h->address)
		for (const struct host *o = m->hosts; o < h; o++)
			if (o->address == h->address) {
				char b[16];
				err_at(c, an, "duplicate address %s (already used by host '%s' at line %u)",
				       ipv4_fmt(h->address, b), o->name ? o->name : "?", o->pos.line);
			}

	h->size_preset = xstrdup("medium");
	if (get_str(c, n, "size", &h->size_preset) && !find_size(m, h->size_preset))
		err_at(c, ytree_get(n, "size"), "unknown size preset '%s' (expected small, medium, large or one "
		       "defined under sizes)", h->size_preset);
	const struct size_preset *p = find_size(m, h->size_preset);
	if (p)
		h->size = p->spec;
	if (h->role < ROLE__COUNT && !role_keeps_data(h->role))
		h->size.data_disk_gib = 0;   /* app and lb keep no data; a host may still ask for a disk */
	size_fields(c, n, &h->size);

	get_str(c, n, "replica_of", &h->replica_of);
	const struct ynode *eth = ytree_get(n, "ethernets");
	if (eth)
		parse_ethernets(c, eth, h);
	parse_install_host(c, n, h);
	free(tmp);
}

/* replica_of needs every host known, so it is checked after all are parsed. */
static void check_replicas(struct ctx *c, const struct ynode *list)
{
	struct model *m = c->m;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (!h->replica_of)
			continue;
		const struct ynode *n = ytree_get(list->items[i], "replica_of");
		const struct host *p = model_find_host(m, h->replica_of);
		if (h->role != ROLE_MYSQL)
			err_at(c, n, "replica_of is only for mysql hosts ('%s' has role %s)", h->name ? h->name : "?",
			       role_name(h->role));
		else if (!p)
			err_at(c, n, "replica_of names host '%s', which is not defined", h->replica_of);
		else if (p->role != ROLE_MYSQL)
			err_at(c, n, "replica_of names host '%s', which has role %s (expected a mysql host)",
			       p->name, role_name(p->role));
		else if (p == h)
			err_at(c, n, "host '%s' cannot be a replica of itself", h->name);
		else if (p->replica_of && !strcmp(p->replica_of, h->name))
			err_at(c, n, "replica_of makes a cycle: '%s' and '%s' name each other (one must be the primary)",
			       h->name, p->name);
		else if (p->replica_of)
			err_at(c, n, "replica_of names '%s', which is itself a replica (name the primary)", p->name);
	}
}

void parse_hosts(struct ctx *c, const struct ynode *root)
{
	const struct ynode *list = ytree_get(root, "hosts");
	struct model *m = c->m;
	parse_install_top(c, root);
	if (!list) {
		err_at(c, root, "missing required section 'hosts' (a list of hosts)");
		return;
	}
	if (!expect_seq(c, list, "hosts"))
		return;
	if (list->n == 0)
		err_at(c, list, "'hosts' is empty (a deployment needs at least one host)");
	m->hosts = xcalloc(list->n + 1, sizeof *m->hosts);
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (n->type != YN_MAP) {
			err_at(c, n, "a host must be a mapping, not %s", ynode_type_name(n));
			return;   /* keep hosts[] aligned with list->items[] for check_replicas */
		}
	}
	static const char *const keys[] = { "name", "role", "subnet", "address", "size", "vcpus", "memory_mib",
		"os_disk_gib", "data_disk_gib", "replica_of", "ethernets", "install", NULL };
	for (size_t i = 0; i < list->n; i++) {
		expect_map(c, list->items[i], "a host", keys);
		parse_host(c, list->items[i], &m->hosts[m->n_hosts++]);
	}
	check_replicas(c, list);
	check_install(c);
}
