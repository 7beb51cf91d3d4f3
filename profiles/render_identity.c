/* Who the host is: /etc/hostname, /etc/hosts, root's authorized_keys. */
#include "profiles/render.h"
#include "profiles/render_internal.h"
#include "profiles/galera.h"
#include <string.h>

void render_hostname(const struct model *m, const struct host *h, struct buf *out)
{
	(void)m;
	buf_printf(out, "%s\n", h->hostname ? h->hostname : h->name);
}

/* Localhost lines as Debian writes them, then this host, then every peer
 * with a static address ("addr fqdn short"). A DHCP host names itself on
 * 127.0.1.1 (Debian's convention); DHCP peers are left to DNS. A host given
 * another hostname at deploy time answers to both names. */
void render_hosts(const struct model *m, const struct host *h, struct buf *out)
{
	char ip[16];
	render_banner(m, h, out, "#");
	buf_puts(out, "127.0.0.1\tlocalhost\n");
	buf_printf(out, "%s\t", h->dhcp ? "127.0.1.1" : ipv4_fmt(h->address, ip));
	if (h->hostname && strcmp(h->hostname, h->name))
		buf_printf(out, "%s.%s %s ", h->hostname, m->domain, h->hostname);
	buf_printf(out, "%s.%s %s\n", h->name, m->domain, h->name);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *p = &m->hosts[i];
		if (p == h || p->dhcp || !strcmp(p->name, h->name))
			continue;
		buf_printf(out, "%s\t%s.%s %s\n", ipv4_fmt(p->address, ip), p->name, m->domain, p->name);
	}
	/* Galera: the cluster's name (${role.mysql}) on every node's address,
	 * in name order; resolvers return all of them and clients try each */
	const struct host *nodes[64];
	size_t nn = galera_nodes(m, nodes, 64);
	for (size_t i = 0; i < nn && i < 64; i++)
		if (!nodes[i]->dhcp)
			buf_printf(out, "%s\t%s.%s\n", ipv4_fmt(nodes[i]->address, ip), GALERA_SERVICE_NAME, m->domain);
	buf_puts(out, "\n::1\tlocalhost ip6-localhost ip6-loopback\n"
		      "ff02::1\tip6-allnodes\n"
		      "ff02::2\tip6-allrouters\n");
}

void render_authorized_keys(const struct model *m, struct buf *out)
{
	for (size_t i = 0; i < m->n_ssh_keys; i++)
		buf_printf(out, "%s\n", m->ssh_keys[i]);
}
