/* dns, ntp, ssh, flows, targets and esxi. */
#include "profiles/names.h"
#include "profiles/schema.h"
#include "profiles/syntax.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

void parse_services(struct ctx *c, const struct ynode *root)
{
	static const char *const dns_keys[] = { "servers", "search", NULL };
	static const char *const ntp_keys[] = { "servers", NULL };
	static const char *const ssh_keys[] = { "authorized_keys", "allow_from", NULL };
	struct model *m = c->m;
	const char *why;

	const struct ynode *dns = ytree_get(root, "dns");
	if (dns && expect_map(c, dns, "dns", dns_keys)) {
		const struct ynode *l = ytree_get(dns, "servers");
		if (l && expect_seq(c, l, "dns.servers")) {
			m->dns = xcalloc(l->n + 1, sizeof *m->dns);
			for (size_t i = 0; i < l->n; i++)
				if (scalar_ipv4(c, l->items[i], "dns.servers", &m->dns[m->n_dns]))
					m->n_dns++;
		}
		if (get_strv(c, dns, "search", &m->dns_search, &m->n_dns_search))
			for (size_t i = 0; i < m->n_dns_search; i++)
				if ((why = name_check_domain(m->dns_search[i])))
					err_at(c, ytree_get(dns, "search")->items[i], "search domain '%s' %s",
					       m->dns_search[i], why);
	}

	const struct ynode *ntp = ytree_get(root, "ntp");
	if (ntp && expect_map(c, ntp, "ntp", ntp_keys) &&
	    get_strv(c, ntp, "servers", &m->ntp, &m->n_ntp))
		for (size_t i = 0; i < m->n_ntp; i++) {
			uint32_t a;
			if (ipv4_parse(m->ntp[i], &a) < 0 && name_check_domain(m->ntp[i]))
				err_at(c, ytree_get(ntp, "servers")->items[i],
				       "NTP server '%s' is neither an IPv4 address nor a DNS name", m->ntp[i]);
		}

	const struct ynode *ssh = ytree_get(root, "ssh");
	if (ssh && expect_map(c, ssh, "ssh", ssh_keys)) {
		if (get_strv(c, ssh, "authorized_keys", &m->ssh_keys, &m->n_ssh_keys))
			for (size_t i = 0; i < m->n_ssh_keys; i++)
				if ((why = syntax_authorized_key(m->ssh_keys[i])))
					err_at(c, ytree_get(ssh, "authorized_keys")->items[i],
					       "authorized_keys entry %zu %s (e.g. 'ssh-ed25519 AAAA... comment')", i + 1, why);
		const struct ynode *l = ytree_get(ssh, "allow_from");
		if (l)
			parse_source_nets(c, l, "ssh.allow_from", &m->ssh_from, &m->n_ssh_from);
	}
}

void parse_source_nets(struct ctx *c, const struct ynode *l, const char *what, struct endpoint **out, size_t *n_out)
{
	if (!expect_seq(c, l, what))
		return;
	struct endpoint *v = xcalloc(l->n + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct ynode *n = l->items[i];
		struct endpoint *e = &v[k];
		if (n->type != YN_SCALAR || is_null(n)) {
			err_at(c, n, "%s entries must be subnet names or CIDRs, not %s", what, ynode_type_name(n));
			continue;
		}
		e->pos = pos_of(c, n);
		if (strchr(n->value, '/') || (n->value[0] >= '0' && n->value[0] <= '9')) {
			if (!scalar_cidr(c, n, what, &e->cidr))
				continue;
			e->kind = EP_CIDR;
		} else if (!model_find_subnet(c->m, n->value)) {
			err_at(c, n, "%s names subnet '%s', which is not defined (expected a subnet name or a CIDR)", what,
			       n->value);
			continue;
		} else
			e->kind = EP_SUBNET;
		e->name = xstrdup(n->value);
		k++;
	}
	*out = v;
	*n_out = k;
}

bool parse_endpoint(struct ctx *c, const struct ynode *n, struct endpoint *e, bool from)
{
	static const char *const from_keys[] = { "host", "role", "subnet", "cidr", NULL };
	static const char *const to_keys[] = { "host", "role", NULL };
	const char *what = from ? "flow 'from'" : "flow 'to'";
	e->pos = pos_of(c, n);
	if (!expect_map(c, n, what, from ? from_keys : to_keys))
		return false;
	if (n->n != 1) {
		err_at(c, n, "%s must have exactly one of %s", what, from ? "host, role, subnet or cidr" : "host or role");
		return false;
	}
	const char *k = n->keys[0]->value;
	const struct ynode *v = n->items[0];
	if (!scalar_str(c, v, k, &e->name))
		return false;
	struct model *m = c->m;
	if (!strcmp(k, "host")) {
		e->kind = EP_HOST;
		if (!model_find_host(m, e->name)) {
			err_at(c, v, "%s names host '%s', which is not defined under hosts", what, e->name);
			return false;
		}
	} else if (!strcmp(k, "role")) {
		e->kind = EP_ROLE;
		int r = role_from_name(e->name);
		if (r < 0) {
			err_at(c, v, "%s names unknown role '%s' (expected app, mysql, minio or lb)", what, e->name);
			return false;
		}
		bool any = false;
		for (size_t i = 0; i < m->n_hosts && !any; i++)
			any = (int)m->hosts[i].role == r;
		if (!any) {
			err_at(c, v, "%s names role '%s', but no host has that role", what, e->name);
			return false;
		}
	} else if (!strcmp(k, "subnet")) {
		e->kind = EP_SUBNET;
		if (!model_find_subnet(m, e->name)) {
			err_at(c, v, "%s names subnet '%s', which is not defined under subnets", what, e->name);
			return false;
		}
	} else if (!strcmp(k, "cidr")) {
		e->kind = EP_CIDR;
		return scalar_cidr(c, v, "cidr", &e->cidr);
	} else
		return false;   /* unknown key: already reported by expect_map */
	return true;
}

void parse_flows(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "from", "to", "port", "proto", NULL };
	struct model *m = c->m;
	const struct ynode *list = ytree_get(root, "flows");
	if (!list || !expect_seq(c, list, "flows"))
		return;
	m->flows = xcalloc(list->n + 1, sizeof *m->flows);
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (!expect_map(c, n, "a flow", keys))
			continue;
		struct flow *f = &m->flows[m->n_flows++];
		f->pos = pos_of(c, n);
		if (require(c, n, "from", "flow"))
			parse_endpoint(c, ytree_get(n, "from"), &f->from, true);
		if (require(c, n, "to", "flow"))
			parse_endpoint(c, ytree_get(n, "to"), &f->to, false);
		unsigned port;
		if (require(c, n, "port", "flow") && get_uint(c, n, "port", 1, 65535, &port))
			f->port = (uint16_t)port;
		char *proto = NULL;
		if (get_str(c, n, "proto", &proto)) {
			if (!strcmp(proto, "udp"))
				f->proto = PROTO_UDP;
			else if (strcmp(proto, "tcp") != 0)
				err_at(c, ytree_get(n, "proto"), "unknown proto '%s' (expected tcp or udp)", proto);
		}
		free(proto);
	}
}

/* The caller's target names as a diagnostic lists them: "a, b, c<last>d". */
static char *join_names(const char *const *v, const char *last)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (size_t i = 0; v[i]; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : v[i + 1] ? ", " : last, v[i]);
	return b.data;
}

static void add_target(struct model *m, const char *name, struct src_pos pos)
{
	for (size_t i = 0; i < m->n_targets; i++)
		if (!strcmp(m->targets[i].name, name))
			return;   /* listed twice: once is enough */
	m->targets = xrealloc(m->targets, (m->n_targets + 1) * sizeof *m->targets);
	m->targets[m->n_targets++] = (struct target_name){ xstrdup(name), pos };
}

/* targets: names from the caller's list (c->targets), kept in that list's
 * order; without a list, any simple name, in the profile's order. */
static void parse_target_list(struct ctx *c, const struct ynode *l)
{
	const char *const *known = c->targets;
	size_t n_known = 0;
	while (known && known[n_known])
		n_known++;
	if (l->n == 0) {
		char *some = known ? join_names(known, ", ") : NULL;
		err_at(c, l, "'targets' is empty%s%s%s", some ? " (expected some of " : "", some ? some : "",
		       some ? ")" : "");
		free(some);
		return;
	}
	const struct ynode **first = xcalloc(n_known + 1, sizeof *first);   /* where known[k] is listed */
	for (size_t i = 0; i < l->n; i++) {
		const struct ynode *n = l->items[i];
		char *t = NULL;
		if (!scalar_str(c, n, "targets", &t))
			continue;
		size_t k = 0;
		while (k < n_known && strcmp(t, known[k]) != 0)
			k++;
		const char *why;
		if (known && k == n_known) {
			char *one_of = join_names(known, " or ");
			err_at(c, n, "unknown target '%s' (expected %s)", t, one_of);
			free(one_of);
		} else if (known) {
			if (!first[k])
				first[k] = n;
		} else if ((why = name_check_simple(t, 32)))
			err_at(c, n, "target '%s' %s", t, why);
		else
			add_target(c->m, t, pos_of(c, n));
		free(t);
	}
	for (size_t k = 0; k < n_known; k++)
		if (first[k])
			add_target(c->m, known[k], pos_of(c, first[k]));
	free(first);
}

void parse_targets(struct ctx *c, const struct ynode *root)
{
	static const char *const esxi_keys[] = { "hardware_version", "network", "disk_controller", "overridable",
						 "firmware", "secure_boot", NULL };
	static const char *const overridable[] = { "hostname", "address", "gateway", "dns" };
	struct model *m = c->m;
	const struct ynode *l = ytree_get(root, "targets");
	if (l && expect_seq(c, l, "targets"))
		parse_target_list(c, l);
	if (!l && c->targets && c->targets[0])
		add_target(m, c->targets[0], (struct src_pos){ c->file, 0, 0 });

	const struct ynode *e = ytree_get(root, "esxi");
	if (e && expect_map(c, e, "esxi", esxi_keys)) {
		if (get_str(c, e, "hardware_version", &m->esxi.hardware_version)) {
			const char *v = m->esxi.hardware_version;
			if (esxi_hardware_version_parse(v, &m->esxi.hw_version) < 0)
				err_at(c, ytree_get(e, "hardware_version"),
				       "hardware_version '%s' is not supported (expected " ESXI_HARDWARE_VERSIONS
				       ": ESXi versions that boot EFI appliances)", v);
		}
		const char *why;
		if (get_str(c, e, "network", &m->esxi.network) && (why = syntax_ovf_network(m->esxi.network)))
			err_at(c, ytree_get(e, "network"), "esxi network '%s' %s", m->esxi.network, why);
		if (get_str(c, e, "disk_controller", &m->esxi.disk_controller) &&
		    strcmp(m->esxi.disk_controller, "pvscsi") && strcmp(m->esxi.disk_controller, "lsilogic"))
			err_at(c, ytree_get(e, "disk_controller"), "unknown disk_controller '%s' (expected pvscsi or lsilogic)",
			       m->esxi.disk_controller);
		if (get_str(c, e, "firmware", &m->esxi.firmware) && strcmp(m->esxi.firmware, "efi") &&
		    strcmp(m->esxi.firmware, "bios"))
			err_at(c, ytree_get(e, "firmware"), "unknown firmware '%s' (expected efi or bios)", m->esxi.firmware);
		/* vSphere offers Secure Boot to EFI VMs of hardware version 13 and later */
		if (get_bool(c, e, "secure_boot", &m->esxi.secure_boot) && m->esxi.secure_boot) {
			if (m->esxi.firmware && !strcmp(m->esxi.firmware, "bios"))
				err_at(c, ytree_get(e, "secure_boot"), "secure_boot needs firmware: efi (BIOS has no Secure Boot)");
			else if (m->esxi.hw_version && m->esxi.hw_version < 13)
				err_at(c, ytree_get(e, "secure_boot"),
				       "secure_boot needs hardware_version vmx-13 or later (this profile has %s)",
				       m->esxi.hardware_version);
		}
		if (get_strv(c, e, "overridable", &m->esxi.overridable, &m->esxi.n_overridable))
			for (size_t i = 0; i < m->esxi.n_overridable; i++) {
				size_t k = 0;
				while (k < 4 && strcmp(m->esxi.overridable[i], overridable[k]))
					k++;
				if (k == 4)
					err_at(c, ytree_get(e, "overridable")->items[i],
					       "unknown overridable property '%s' (expected hostname, address, gateway or dns)",
					       m->esxi.overridable[i]);
			}
	}
	if (!m->esxi.hardware_version) {
		m->esxi.hardware_version = xstrdup("vmx-14");
		m->esxi.hw_version = 14;
	}
	if (!m->esxi.network)
		m->esxi.network = xstrdup("VM Network");
	if (!m->esxi.disk_controller)
		m->esxi.disk_controller = xstrdup("pvscsi");
	if (!m->esxi.firmware)
		m->esxi.firmware = xstrdup("efi");
}
