/* A host's optional `ethernets:` block: the netplan v2 subset kiln renders
 * (docs/profile.md lists it). Any other netplan key is an error, so a typo
 * never silently becomes a host without network. */
#include "profiles/names.h"
#include "profiles/schema.h"
#include "profiles/syntax.h"
#include "lib/machineinfo.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void get_mac(struct ctx *c, const struct ynode *map, const char *key, char **out)
{
	char mac[MAC_TEXT_LEN];
	if (get_str(c, map, key, out) && mac_canonical(*out, mac) < 0) {
		err_at(c, ytree_get(map, key), "bad MAC address '%s' (expected six hex pairs aa:bb:cc:dd:ee:ff)", *out);
	}
}

/* An interface address "a.b.c.d/p" (host bits are the point here). */
static bool iface_addr_ok(struct ctx *c, const struct ynode *n)
{
	uint32_t a;
	uint8_t p;
	int r = ipv4_addr_prefix_parse(n->value, &a, &p);
	if (r == -ERANGE)
		err_at(c, n, "bad address '%s': the prefix length is larger than 32", n->value);
	else if (r < 0)
		err_at(c, n, "bad interface address '%s' (expected a.b.c.d/prefix, e.g. 10.0.1.5/24)", n->value);
	return r == 0;
}

static void parse_routes(struct ctx *c, const struct ynode *list, struct ethernet *e)
{
	static const char *const keys[] = { "to", "via", "metric", NULL };
	if (!expect_seq(c, list, "routes"))
		return;
	e->routes = xcalloc(list->n + 1, sizeof *e->routes);
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (!expect_map(c, n, "a route", keys))
			continue;
		struct route *rt = &e->routes[e->n_routes++];
		rt->metric = -1;
		struct ipv4_net net;
		uint32_t via;
		if (require(c, n, "to", "route") && get_str(c, n, "to", &rt->to) && strcmp(rt->to, "default") != 0)
			scalar_cidr(c, ytree_get(n, "to"), "to", &net);
		if (require(c, n, "via", "route") && scalar_ipv4(c, ytree_get(n, "via"), "via", &via))
			get_str(c, n, "via", &rt->via);
		unsigned metric;
		if (get_uint(c, n, "metric", 0, 65535, &metric))
			rt->metric = (int)metric;
	}
}

/* A string written into a networkd file, checked with that file's rule. */
static void get_checked(struct ctx *c, const struct ynode *map, const char *key, const char *what,
			const char *(*rule)(const char *), char **out)
{
	const char *why;
	if (get_str(c, map, key, out) && (why = rule(*out)))
		err_at(c, ytree_get(map, key), "%s '%s' %s", what, *out, why);
}

static void parse_ethernet(struct ctx *c, const struct ynode *k, const struct ynode *n, struct ethernet *e)
{
	static const char *const keys[] = { "match", "set-name", "dhcp4", "addresses", "routes", "nameservers",
		"mtu", "macaddress", "optional", NULL };
	static const char *const match_keys[] = { "name", "macaddress", "driver", NULL };
	static const char *const ns_keys[] = { "addresses", "search", NULL };

	e->id = xstrdup(k->value);
	e->pos = pos_of(c, k);
	const char *why = syntax_networkd_id(e->id);
	if (why)
		err_at(c, k, "interface id '%s' %s", e->id, why);
	if (!expect_map(c, n, "an ethernets entry (netplan subset)", keys))
		return;
	const struct ynode *match = ytree_get(n, "match");
	if (match && expect_map(c, match, "match", match_keys)) {
		get_checked(c, match, "name", "match.name", syntax_networkd_glob, &e->match_name);
		get_mac(c, match, "macaddress", &e->match_mac);
		get_checked(c, match, "driver", "match.driver", syntax_networkd_glob, &e->match_driver);
	}
	/* Matching nothing by name, MAC or driver, the id is the interface's
	 * name (netplan's rule, and what the .network's Name= says). */
	if (!why && !e->match_name && !e->match_mac && !e->match_driver && (why = syntax_networkd_ifname(e->id)))
		err_at(c, k, "interface id '%s' %s", e->id, why);
	get_checked(c, n, "set-name", "set-name", syntax_networkd_ifname, &e->set_name);
	if (e->set_name && !match)
		err_at(c, ytree_get(n, "set-name"), "set-name needs a match: block (netplan renames only matched interfaces)");
	get_bool(c, n, "dhcp4", &e->dhcp4);
	if (get_strv(c, n, "addresses", &e->addresses, &e->n_addresses)) {
		const struct ynode *l = ytree_get(n, "addresses");
		for (size_t i = 0; i < l->n; i++)
			iface_addr_ok(c, l->items[i]);
	}
	const struct ynode *routes = ytree_get(n, "routes");
	if (routes)
		parse_routes(c, routes, e);
	const struct ynode *ns = ytree_get(n, "nameservers");
	if (ns && expect_map(c, ns, "nameservers", ns_keys)) {
		if (get_strv(c, ns, "addresses", &e->nameservers, &e->n_nameservers)) {
			const struct ynode *l = ytree_get(ns, "addresses");
			uint32_t a;
			for (size_t i = 0; i < l->n; i++)
				scalar_ipv4(c, l->items[i], "nameservers.addresses", &a);
		}
		if (get_strv(c, ns, "search", &e->search, &e->n_search))
			for (size_t i = 0; i < e->n_search; i++)
				if ((why = name_check_domain(e->search[i])))
					err_at(c, ytree_get(ns, "search")->items[i], "search domain '%s' %s", e->search[i], why);
	}
	unsigned mtu;
	if (get_uint(c, n, "mtu", 576, 9216, &mtu))
		e->mtu = (int)mtu;
	get_mac(c, n, "macaddress", &e->macaddress);
	get_bool(c, n, "optional", &e->optional);
}

/* Is the host's own address configured on one of its interfaces? */
static bool host_addr_listed(const struct host *h)
{
	for (size_t i = 0; i < h->n_ethernets; i++)
		for (size_t j = 0; j < h->ethernets[i].n_addresses; j++) {
			uint32_t a;
			uint8_t p;
			if (ipv4_addr_prefix_parse(h->ethernets[i].addresses[j], &a, &p) == 0 && a == h->address)
				return true;
		}
	return false;
}

static bool any_dhcp(const struct host *h)
{
	for (size_t i = 0; i < h->n_ethernets; i++)
		if (h->ethernets[i].dhcp4)
			return true;
	return false;
}

void parse_ethernets(struct ctx *c, const struct ynode *n, struct host *h)
{
	if (n->type != YN_MAP) {
		err_at(c, n, "'ethernets' must be a mapping of interface id -> settings (netplan v2), not %s",
		       ynode_type_name(n));
		return;
	}
	if (!expect_dict(c, n, "ethernets"))
		return;
	if (n->n == 0)
		return;
	h->ethernets = xcalloc(n->n, sizeof *h->ethernets);
	for (size_t i = 0; i < n->n; i++)
		parse_ethernet(c, n->keys[i], n->items[i], &h->ethernets[h->n_ethernets++]);
	/* The block must agree with the host's address: it is what the host will really use. */
	if (h->address && !host_addr_listed(h))
		err_at(c, n, "host '%s' has address %s but no interface under ethernets lists it in addresses",
		       h->name ? h->name : "?", ipv4_fmt(h->address, (char[16]){ 0 }));
	if (h->dhcp && !any_dhcp(h))
		err_at(c, n, "host '%s' uses dhcp but no interface under ethernets has dhcp4: true",
		       h->name ? h->name : "?");
}
