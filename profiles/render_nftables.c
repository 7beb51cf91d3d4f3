/* /etc/nftables.conf for one host: inbound default deny, with accepts only
 * for what the profile allows (SSH from ssh.allow_from, every flow whose
 * `to` covers this host, a MySQL primary's 3306 from its replicas, a
 * distributed MinIO set's 9000 between its hosts, and
 * those the monitoring: section derives (scrapes,
 * log upload, the status page), web traffic on app hosts, or on the lb
 * hosts in front of them (docs/lb.md)). Sources are collected
 * per (protocol, port) into a named interval set; nets already covered by
 * a wider one are dropped so nft never sees overlapping intervals, and
 * everything is sorted so the output is deterministic. */
#include "profiles/render.h"
#include "profiles/render_internal.h"
#include "profiles/galera.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net { uint32_t addr; uint8_t prefix; };

struct src_set {
	enum proto proto;
	uint16_t port;
	struct net *nets; size_t n, cap;
};

static void set_add(struct src_set *s, uint32_t addr, uint8_t prefix)
{
	s->nets = xgrow(s->nets, &s->cap, s->n + 1, sizeof(*s->nets));
	s->nets[s->n++] = (struct net){ addr, prefix };
}

static int net_cmp(const void *a, const void *b)
{
	const struct net *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->prefix - (int)y->prefix;
}

/* Sort, then keep only nets not inside an earlier kept one. After sorting
 * by (address, prefix) a containing net always precedes what it contains. */
static void set_normalise(struct src_set *s)
{
	if (s->n == 0)
		return;
	qsort(s->nets, s->n, sizeof(*s->nets), net_cmp);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (k) {
			const struct net *o = &s->nets[k - 1];
			uint32_t mask = o->prefix ? 0xffffffffu << (32 - o->prefix) : 0;
			if ((s->nets[i].addr & mask) == o->addr)
				continue;
		}
		s->nets[k++] = s->nets[i];
	}
	s->n = k;
}

static void add_host_source(const struct model *m, const struct host *p, struct src_set *s)
{
	/* A DHCP peer's address is unknown until it boots: allow its subnet. */
	if (p->dhcp)
		set_add(s, m->subnets[p->subnet].cidr.addr, m->subnets[p->subnet].cidr.prefix);
	else
		set_add(s, p->address, 32);
}

/* Every source address an endpoint stands for, into s. */
static int add_endpoint_sources(const struct model *m, const struct host *h, const struct endpoint *e,
				struct src_set *s)
{
	switch (e->kind) {
	case EP_HOST:
		for (size_t i = 0; i < m->n_hosts; i++)
			if (!strcmp(m->hosts[i].name, e->name)) {
				add_host_source(m, &m->hosts[i], s);
				return 0;
			}
		return log_error_errno(EINVAL, "host %s: flow source names unknown host '%s'", h->name, e->name);
	case EP_ROLE:
		for (size_t i = 0; i < m->n_hosts; i++)
			if (!strcmp(role_name(m->hosts[i].role), e->name))
				add_host_source(m, &m->hosts[i], s);
		return 0;
	case EP_SUBNET:
		for (size_t i = 0; i < m->n_subnets; i++)
			if (!strcmp(m->subnets[i].name, e->name)) {
				set_add(s, m->subnets[i].cidr.addr, m->subnets[i].cidr.prefix);
				return 0;
			}
		return log_error_errno(EINVAL, "host %s: unknown subnet '%s'", h->name, e->name);
	case EP_CIDR:
		set_add(s, e->cidr.addr, e->cidr.prefix);
		return 0;
	}
	return log_error_errno(EINVAL, "host %s: bad endpoint kind", h->name);
}

static bool is_web_port(const struct flow *f)
{
	return f->proto == PROTO_TCP && (f->port == 80 || f->port == 443);
}

/* Does flow f end on host h? With lb hosts, a flow to the app hosts' web
 * ports (80, 443) is a client's: it ends on the lb hosts instead. */
static bool flow_reaches(const struct model *m, const struct flow *f, const struct host *h)
{
	if (!model_has_role(m, ROLE_LB) || !is_web_port(f))
		return endpoint_matches_host(m, &f->to, h);
	if (h->role == ROLE_APP)
		return false;
	if (h->role != ROLE_LB)
		return endpoint_matches_host(m, &f->to, h);
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_APP && endpoint_matches_host(m, &f->to, &m->hosts[i]))
			return true;
	return endpoint_matches_host(m, &f->to, h);
}

/* An app host behind a balancer: who may reach its web ports. */
static int web_sources(const struct model *m, const struct host *h, struct src_set *s)
{
	int r = 0;
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_LB)
			add_host_source(m, &m->hosts[i], s);
	if (m->roles.lb.virtual_address)
		set_add(s, m->roles.lb.virtual_address, 32);
	for (size_t i = 0; i < m->roles.app.n_lb_external && r == 0; i++)
		r = add_endpoint_sources(m, h, &m->roles.app.lb_external[i], s);
	return r;
}

static const char *proto_name(enum proto p) { return p == PROTO_UDP ? "udp" : "tcp"; }

static int set_cmp(const void *a, const void *b)
{
	const struct src_set *x = a, *y = b;
	if (x->proto != y->proto)
		return x->proto == PROTO_TCP ? -1 : 1;
	return (int)x->port - (int)y->port;
}

static void put_set(struct buf *b, const char *name, const struct src_set *s)
{
	buf_printf(b, "\tset %s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { ", name);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_puts(b, ", ");
		if (s->nets[i].prefix == 32) {
			char ip[16];
			buf_puts(b, ipv4_fmt(s->nets[i].addr, ip));
		} else {
			render_put_net(b, s->nets[i].addr, s->nets[i].prefix);
		}
	}
	buf_puts(b, " }\n\t}\n\n");
}

/* The source set of (proto, port) in *sets, added empty if there is none yet. */
static struct src_set *set_for(struct src_set **sets, size_t *n, size_t *cap, enum proto proto, uint16_t port)
{
	for (size_t j = 0; j < *n; j++)
		if ((*sets)[j].proto == proto && (*sets)[j].port == port)
			return &(*sets)[j];
	*sets = xgrow(*sets, cap, *n + 1, sizeof(**sets));
	(*sets)[*n] = (struct src_set){ .proto = proto, .port = port };
	return &(*sets)[(*n)++];
}

static void free_sets(struct src_set *sets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(sets[i].nets);
	free(sets);
}

int render_nftables(const struct model *m, const struct host *h, struct buf *out)
{
	struct src_set ssh = { 0 }, web = { 0 };
	const struct host *lb[2] = { NULL, NULL };
	size_t n_lb = model_lb_hosts(m, lb);
	const struct host *vrrp_peer = h->role == ROLE_LB && n_lb == 2 ? (lb[0] == h ? lb[1] : lb[0]) : NULL;
	bool behind = h->role == ROLE_APP && app_behind_balancer(m);
	bool web_open = h->role == ROLE_LB || (h->role == ROLE_APP && !behind);
	struct src_set *sets = NULL;
	size_t n_sets = 0, cap_sets = 0;
	int r = 0;

	for (size_t i = 0; i < m->n_ssh_from && r == 0; i++)
		r = add_endpoint_sources(m, h, &m->ssh_from[i], &ssh);
	/* The profile's flows, then those its monitoring: and backup: sections imply. */
	size_t nf = m->n_flows, nm = m->monitoring.n_flows;
	for (size_t i = 0; i < nf + nm + m->backup.n_flows && r == 0; i++) {
		const struct flow *f = i < nf ? &m->flows[i] : i < nf + nm ? &m->monitoring.flows[i - nf]
					  : &m->backup.flows[i - nf - nm];
		if (!flow_reaches(m, f, h))
			continue;
		r = add_endpoint_sources(m, h, &f->from, set_for(&sets, &n_sets, &cap_sets, f->proto, f->port));
	}
	if (r == 0 && behind)
		r = web_sources(m, h, &web);
	if (r < 0)
		goto out;
	/* replica_of implies its flow: each replica reaches its primary's 3306
	 * (replication and the bootstrap copy, docs/firstboot.md). */
	for (size_t i = 0; i < m->n_hosts && h->role == ROLE_MYSQL; i++) {
		const struct host *x = &m->hosts[i];
		if (!x->replica_of || !h->name || strcmp(x->replica_of, h->name))
			continue;
		add_host_source(m, x, set_for(&sets, &n_sets, &cap_sets, PROTO_TCP, 3306));
	}
	/* roles.mysql.cluster: galera implies the flows between the nodes:
	 * each node reaches every other one's group communication (4567 tcp
	 * and udp), IST (4568) and SST (4444) ports (profiles/galera.h). */
	for (size_t i = 0; i < m->n_hosts && h->role == ROLE_MYSQL && galera_on(m); i++) {
		const struct host *x = &m->hosts[i];
		if (x == h || x->role != ROLE_MYSQL)
			continue;
		for (size_t k = 0; k < sizeof galera_ports / sizeof *galera_ports; k++)
			add_host_source(m, x, set_for(&sets, &n_sets, &cap_sets, galera_ports[k].proto, galera_ports[k].port));
	}
	/* A distributed MinIO set implies its flow: every minio host reaches
	 * the others' 9000 (docs/firstboot.md). */
	for (size_t i = 0; h->role == ROLE_MINIO && model_minio_distributed(m) && i < m->n_hosts; i++) {
		const struct host *x = &m->hosts[i];
		if (x->role != ROLE_MINIO || x == h)
			continue;
		add_host_source(m, x, set_for(&sets, &n_sets, &cap_sets, PROTO_TCP, 9000));
	}
	set_normalise(&ssh);
	set_normalise(&web);
	for (size_t i = 0; i < n_sets; i++)
		set_normalise(&sets[i]);
	if (n_sets)
		qsort(sets, n_sets, sizeof(*sets), set_cmp);

	buf_puts(out, "#!/usr/sbin/nft -f\n");
	render_banner(m, h, out, "#");
	buf_puts(out, "# Inbound traffic is dropped unless a rule below accepts it (docs/render.md).\n"
		      "flush ruleset\n\ntable inet filter {\n");

	/* Named counters, so tests and operators can read them:
	 * nft list counter inet filter input_drop */
	buf_puts(out, "\tcounter input_drop {\n\t}\n\n");
	if (ssh.n)
		buf_puts(out, "\tcounter ssh_accept {\n\t}\n\n");
	for (size_t i = 0; i < n_sets; i++)
		buf_printf(out, "\tcounter %s_%u_accept {\n\t}\n\n", proto_name(sets[i].proto), sets[i].port);
	if (web_open || behind)
		buf_puts(out, "\tcounter web_accept {\n\t}\n\n");
	if (vrrp_peer)
		buf_puts(out, "\tcounter vrrp_accept {\n\t}\n\n");

	if (ssh.n)
		put_set(out, "ssh_from", &ssh);
	if (behind)
		put_set(out, "web_from", &web);
	for (size_t i = 0; i < n_sets; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s_%u_from", proto_name(sets[i].proto), sets[i].port);
		put_set(out, name, &sets[i]);
	}

	buf_puts(out, "\tchain input {\n"
		      "\t\ttype filter hook input priority filter; policy drop;\n"
		      "\t\tct state established,related accept\n"
		      "\t\tct state invalid drop\n"
		      "\t\tiif \"lo\" accept\n"
		      "\t\t# ICMP essentials: errors always, echo rate limited, IPv6 neighbour discovery.\n"
		      "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept\n"
		      "\t\ticmp type echo-request limit rate 10/second accept\n"
		      "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept\n"
		      "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept\n"
		      "\t\ticmpv6 type echo-request limit rate 10/second accept\n");
	if (h->dhcp)
		buf_puts(out, "\t\t# DHCPv4 replies to this host's lease renewals.\n"
			      "\t\tudp sport 67 udp dport 68 accept\n");
	if (ssh.n)
		buf_puts(out, "\t\t# SSH only from ssh.allow_from.\n"
			      "\t\ttcp dport 22 ip saddr @ssh_from counter name \"ssh_accept\" accept\n");
	else
		buf_puts(out, "\t\t# No ssh.allow_from in the profile: SSH is closed.\n");
	if (n_sets)
		buf_puts(out, m->monitoring.n_flows && m->backup.n_flows
				      ? "\t\t# Flows from the profile, and those monitoring: and backup: derive, whose destination is this host.\n"
			      : m->monitoring.n_flows ? "\t\t# Flows from the profile, and those monitoring: derives, whose destination is this host.\n"
			      : m->backup.n_flows ? "\t\t# Flows from the profile, and those backup: derives, whose destination is this host.\n"
						  : "\t\t# Flows from the profile whose destination is this host.\n");
	for (size_t i = 0; i < n_sets; i++) {
		const char *p = proto_name(sets[i].proto);
		unsigned port = sets[i].port;
		buf_printf(out, "\t\t%s dport %u ip saddr @%s_%u_from counter name \"%s_%u_accept\" accept\n",
			   p, port, p, port, p, port);
	}
	if (web_open)
		buf_puts(out, h->role == ROLE_LB
			      ? "\t\t# The lb role serves the app's users over HTTP and HTTPS from anywhere.\n"
			      : "\t\t# The app role serves its users over HTTP and HTTPS from anywhere.\n");
	if (behind)
		buf_puts(out, model_has_role(m, ROLE_LB)
			      ? "\t\t# Behind the lb hosts: HTTP and HTTPS only from them.\n"
			      : "\t\t# Behind the operator's load balancer (roles.app.load_balancer): HTTP and HTTPS only from it.\n");
	if (web_open)
		buf_puts(out, "\t\ttcp dport { 80, 443 } counter name \"web_accept\" accept\n");
	else if (behind)
		buf_puts(out, "\t\ttcp dport { 80, 443 } ip saddr @web_from counter name \"web_accept\" accept\n");
	if (vrrp_peer) {
		char ip[16];
		buf_printf(out, "\t\t# VRRP (IP protocol 112) from the other lb host only: keepalived's unicast adverts.\n"
			   "\t\tip protocol vrrp ip saddr %s counter name \"vrrp_accept\" accept\n",
			   ipv4_fmt(vrrp_peer->address, ip));
	}
	buf_puts(out, "\t\t# Everything else: counted, logged (rate limited), dropped by the policy.\n"
		      "\t\tcounter name \"input_drop\" limit rate 5/second log prefix \"kiln-drop: \"\n"
		      "\t}\n\n"
		      "\tchain forward {\n"
		      "\t\ttype filter hook forward priority filter; policy drop;\n"
		      "\t}\n\n"
		      "\tchain output {\n"
		      "\t\ttype filter hook output priority filter; policy accept;\n"
		      "\t}\n"
		      "}\n");
out:
	free(ssh.nets);
	free(web.nets);
	free_sets(sets, n_sets);
	return r;
}
