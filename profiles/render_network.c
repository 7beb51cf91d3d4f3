/* systemd-networkd files for one host.
 * Without an `ethernets` block the host gets one .network matching its
 * Ethernet NIC by type and kernel naming scheme (Type=ether, Name=en* eth*):
 * kiln's images are defined with a single NIC, whose name differs between
 * hypervisors (ens192 on ESXi, ens5 on EC2 Nitro, enp1s0 under QEMU), and
 * Name=en* eth* keeps podman's veth and bridge devices out.
 * With the block, each entry translates netplan v2 semantics the way
 * `netplan generate` does (docs/render.md lists the differences). */
#include "profiles/render.h"
#include "profiles/render_internal.h"
#include "profiles/syntax.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values go verbatim into Key= lines: the profile loader checked them with
 * profiles/syntax.h's networkd rules; check again before writing. */
static bool ini_safe(const char *s)
{
	return s && !syntax_networkd_value(s);
}

/* "Domains=a b c", or nothing for no domains. */
static void put_domains(struct buf *b, char *const *domains, size_t n)
{
	if (!n)
		return;
	buf_puts(b, "Domains=");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? " " : "", domains[i]);
	buf_putc(b, '\n');
}

static void put_global_dns(const struct model *m, struct buf *b)
{
	char ip[16];
	for (size_t i = 0; i < m->n_dns; i++)
		buf_printf(b, "DNS=%s\n", ipv4_fmt(m->dns[i], ip));
	put_domains(b, m->dns_search, m->n_dns_search);
}

static void put_ntp(const struct model *m, struct buf *b)
{
	for (size_t i = 0; i < m->n_ntp; i++)
		buf_printf(b, "NTP=%s\n", m->ntp[i]);
}

static int check_globals(const struct model *m, const struct host *h)
{
	for (size_t i = 0; i < m->n_dns_search; i++)
		if (!ini_safe(m->dns_search[i]))
			return log_error_errno(EINVAL, "host %s: DNS search domain %zu has control characters", h->name, i + 1);
	for (size_t i = 0; i < m->n_ntp; i++)
		if (!ini_safe(m->ntp[i]))
			return log_error_errno(EINVAL, "host %s: NTP server %zu has control characters", h->name, i + 1);
	return 0;
}

static void render_default(const struct model *m, const struct host *h, struct rendered_files *out)
{
	const struct subnet *s = &m->subnets[h->subnet];
	struct buf b;
	char ip[16];
	buf_init(&b);
	render_banner(m, h, &b, "#");
	buf_puts(&b, "# No `ethernets` block in the profile: configure the host's Ethernet NIC,\n"
		     "# whatever the hypervisor named it (kiln images have exactly one).\n"
		     "[Match]\nType=ether\nName=en* eth*\n\n[Network]\n");
	if (h->dhcp) {
		buf_puts(&b, "DHCP=ipv4\n");
	} else {
		buf_puts(&b, "Address=");
		render_put_net(&b, h->address, s->cidr.prefix);
		buf_putc(&b, '\n');
		if (s->gateway)
			buf_printf(&b, "Gateway=%s\n", ipv4_fmt(s->gateway, ip));
	}
	put_global_dns(m, &b);
	put_ntp(m, &b);
	if (h->dhcp)
		/* The profile names the host; a DHCP-supplied name must not win. */
		buf_puts(&b, "\n[DHCPv4]\nUseHostname=no\n");
	rendered_files_add(out, "/etc/systemd/network/10-kiln-primary.network", 0644, &b);
}

static int check_ethernet(const struct host *h, const struct ethernet *e)
{
	const char *strs[] = { e->match_mac, e->macaddress };
	bool named = e->match_name || e->match_mac || e->match_driver;
	const char *why = syntax_networkd_id(e->id);
	if (!why && !named)
		why = syntax_networkd_ifname(e->id);
	if (why)
		return log_error_errno(EINVAL, "host %s: interface id %s", h->name, why);
	if ((e->match_name && syntax_networkd_glob(e->match_name)) ||
	    (e->match_driver && syntax_networkd_glob(e->match_driver)) ||
	    (e->set_name && syntax_networkd_ifname(e->set_name)))
		goto bad;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i] && !ini_safe(strs[i]))
			goto bad;
	for (size_t i = 0; i < e->n_addresses; i++)
		if (!ini_safe(e->addresses[i]))
			goto bad;
	for (size_t i = 0; i < e->n_nameservers; i++)
		if (!ini_safe(e->nameservers[i]))
			goto bad;
	for (size_t i = 0; i < e->n_search; i++)
		if (!ini_safe(e->search[i]))
			goto bad;
	for (size_t i = 0; i < e->n_routes; i++)
		if (!ini_safe(e->routes[i].to) || !ini_safe(e->routes[i].via))
			goto bad;
	return 0;
bad:
	return log_error_errno(EINVAL, "host %s: interface %s: a value cannot be written to a networkd file",
			       h->name, e->id);
}

/* Starts b with the banner and the [Match] lines that the .link and the
 * .network of an interface share; each adds its own name match. */
static void begin_match(const struct model *m, const struct host *h, const struct ethernet *e,
			struct buf *b)
{
	buf_init(b);
	render_banner(m, h, b, "#");
	buf_puts(b, "[Match]\n");
	if (e->match_mac)
		buf_printf(b, "PermanentMACAddress=%s\n", e->match_mac);
	if (e->match_driver)
		buf_printf(b, "Driver=%s\n", e->match_driver);
}

/* .link: only for set-name. A matching .link replaces 99-default.link, so
 * writing one for a MAC change alone would also switch off predictable
 * naming; like netplan, a bare macaddress goes into .network's [Link]. */
static void render_link(const struct model *m, const struct host *h, const struct ethernet *e,
			struct rendered_files *out)
{
	struct buf b;
	begin_match(m, h, e, &b);
	if (e->match_name || (!e->match_mac && !e->match_driver))
		buf_printf(&b, "OriginalName=%s\n", e->match_name ? e->match_name : e->id);
	buf_printf(&b, "\n[Link]\nName=%s\n", e->set_name);
	if (e->macaddress)
		buf_printf(&b, "MACAddress=%s\n", e->macaddress);
	if (e->mtu)
		buf_printf(&b, "MTUBytes=%d\n", e->mtu);
	char *path = xasprintf("/etc/systemd/network/10-kiln-%s.link", e->id);
	rendered_files_add(out, path, 0644, &b);
	free(path);
}

static void render_ethernet(const struct model *m, const struct host *h, const struct ethernet *e,
			    bool first, bool any_nameservers, struct rendered_files *out)
{
	struct buf b;
	begin_match(m, h, e, &b);
	if (e->set_name)
		buf_printf(&b, "Name=%s\n", e->set_name);
	else if (e->match_name)
		buf_printf(&b, "Name=%s\n", e->match_name);
	else if (!e->match_mac && !e->match_driver)
		buf_printf(&b, "Name=%s\n", e->id);

	if ((e->macaddress && !e->set_name) || e->mtu || e->optional) {
		buf_puts(&b, "\n[Link]\n");
		if (e->macaddress && !e->set_name)
			buf_printf(&b, "MACAddress=%s\n", e->macaddress);
		if (e->mtu)
			buf_printf(&b, "MTUBytes=%d\n", e->mtu);
		if (e->optional)
			buf_puts(&b, "RequiredForOnline=no\n");
	}

	buf_puts(&b, "\n[Network]\n");
	if (e->dhcp4)
		buf_puts(&b, "DHCP=ipv4\n");
	for (size_t i = 0; i < e->n_addresses; i++)
		buf_printf(&b, "Address=%s\n", e->addresses[i]);
	for (size_t i = 0; i < e->n_nameservers; i++)
		buf_printf(&b, "DNS=%s\n", e->nameservers[i]);
	put_domains(&b, e->search, e->n_search);
	/* Deployment-wide DNS (when no interface names its own) and NTP
	 * attach to the first interface of the block. The comment marks them
	 * as kiln's addition to what netplan would write. */
	bool add_dns = first && !any_nameservers && (m->n_dns || m->n_dns_search);
	if (add_dns || (first && m->n_ntp))
		buf_puts(&b, RENDER_DEPLOYMENT_WIDE_MARK "\n");
	if (add_dns)
		put_global_dns(m, &b);
	if (first)
		put_ntp(m, &b);
	if (e->dhcp4)
		/* netplan's defaults: DHCP routes at metric 100, the lease's MTU. */
		buf_puts(&b, "\n[DHCPv4]\nRouteMetric=100\nUseMTU=true\nUseHostname=no\n");
	for (size_t i = 0; i < e->n_routes; i++) {
		const struct route *r = &e->routes[i];
		buf_printf(&b, "\n[Route]\nDestination=%s\nGateway=%s\n",
			   strcmp(r->to, "default") ? r->to : "0.0.0.0/0", r->via);
		if (r->metric >= 0)
			buf_printf(&b, "Metric=%d\n", r->metric);
	}
	char *path = xasprintf("/etc/systemd/network/10-kiln-%s.network", e->id);
	rendered_files_add(out, path, 0644, &b);
	free(path);
}

int render_network(const struct model *m, const struct host *h, struct rendered_files *out)
{
	int r = check_globals(m, h);
	if (r < 0)
		return r;
	if (h->n_ethernets == 0) {
		render_default(m, h, out);
		return 0;
	}
	bool any_ns = false;
	for (size_t i = 0; i < h->n_ethernets; i++) {
		r = check_ethernet(h, &h->ethernets[i]);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(h->ethernets[j].id, h->ethernets[i].id))
				return log_error_errno(EINVAL, "host %s: interface id '%s' appears twice",
						       h->name, h->ethernets[i].id);
		any_ns |= h->ethernets[i].n_nameservers > 0;
	}
	for (size_t i = 0; i < h->n_ethernets; i++) {
		const struct ethernet *e = &h->ethernets[i];
		if (e->set_name)
			render_link(m, h, e, out);
		render_ethernet(m, h, e, i == 0, any_ns, out);
	}
	return 0;
}
