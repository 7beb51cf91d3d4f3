/* The lb role; see role_lb.h. */
#include "firstboot/role_lb.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include "profiles/names.h"
#include "profiles/syntax.h"
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP "role"

const struct lb_paths lb_paths_default = {
	.bundle = LB_BUNDLE,
	.metrics_pem = LB_METRICS_PEM,
	.ca = LB_CA,
	.stats_socket = "/run/haproxy/admin.sock",
	.chroot = "/var/lib/haproxy",
	.user = "haproxy",
};

/* A path HAProxy reads as one word: no blanks, quotes, '#' or controls. */
static bool cfg_word(const char *s)
{
	if (!s || !*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("\"'#\\", *p))
			return false;
	return true;
}

unsigned lb_vrid(const struct model *m)
{
	uint32_t h = 2166136261u;   /* FNV-1a of the deployment name */
	for (const unsigned char *p = (const unsigned char *)(m->name ? m->name : ""); *p; p++)
		h = (h ^ *p) * 16777619u;
	return 1 + h % 255;
}

/* The name HAProxy checks each app host's certificate against (and sends
 * as SNI): the app's server_name, else the host's FQDN (the certificate
 * kiln issues names those, docs/profile.md). */
static void backend_name(const struct model *m, const struct host *x, char *out, size_t len)
{
	if (m->roles.app.server_name)
		snprintf(out, len, "%s", m->roles.app.server_name);
	else
		snprintf(out, len, "%s.%s", x->name, m->domain);
}

int lb_render_haproxy(const struct model *m, const struct host *h, const struct lb_paths *p, struct buf *out)
{
	const struct host *lb[2];
	size_t n_lb = model_lb_hosts(m, lb), n_app = 0;
	if (h->role != ROLE_LB || h->dhcp || !h->address)
		return log_error_errno(EINVAL, "host %s is not an lb host with a static address", h->name);
	if (!cfg_word(p->bundle) || !cfg_word(p->ca) || !cfg_word(p->stats_socket) ||
	    (p->chroot && !cfg_word(p->chroot)) || (p->user && !cfg_word(p->user)) ||
	    (monitoring_on(m) && !cfg_word(p->metrics_pem)))
		return log_error_errno(EINVAL, "HAProxy's file paths must be single words");
	const char *health = lb_health_path(m);
	if (syntax_url_path(health))
		return log_error_errno(EINVAL, "the health check path is not a plain URL path");
	for (size_t i = 0; i < m->n_hosts; i++)
		n_app += m->hosts[i].role == ROLE_APP && !m->hosts[i].dhcp && m->hosts[i].address;
	if (!n_app)
		return log_error_errno(EINVAL, "the profile has no app host with a static address to balance");
	if (m->roles.app.server_name && name_check_domain(m->roles.app.server_name))
		return log_error_errno(EINVAL, "the app's TLS server_name is not a DNS name");
	bool term = m->roles.lb.tls == LB_TLS_TERMINATE;
	/* kiln's CA issued the app hosts' certificate unless the operator gave one */
	const char *ca = m->roles.app.tls_cert ? "@system-ca" : p->ca;
	char self[16], vip[16], host_hdr[320];
	ipv4_fmt(h->address, self);
	ipv4_fmt(m->roles.lb.virtual_address, vip);
	bool two = n_lb == 2 && m->roles.lb.virtual_address;

	buf_printf(out, "# Written by kiln-firstboot (role lb, docs/lb.md): deployment %s, host %s.\n"
		       "# TLS %s; every app host health-checked on GET %s.\n"
		       "global\n\t# to the journal (the unit runs HAProxy in the foreground; /dev/log is not in its jail)\n"
		       "\tlog stdout format raw local0\n", m->name, h->name,
		   term ? "ended here with the deployment's certificate, then TLS again to the app hosts"
			: "passed through as TCP to the app hosts' 443", health);
	if (p->chroot)
		buf_printf(out, "\tchroot %s\n", p->chroot);
	buf_printf(out, "\tstats socket %s mode 600 level admin\n", p->stats_socket);
	if (p->user)
		buf_printf(out, "\tuser %s\n\tgroup %s\n", p->user, p->user);
	buf_puts(out, "\tssl-default-bind-options ssl-min-ver TLSv1.2\n"
		      "\tssl-default-server-options ssl-min-ver TLSv1.2\n\n"
		      "defaults\n\tlog global\n\toption dontlognull\n\ttimeout connect 5s\n\ttimeout client 60s\n"
		      "\ttimeout server 60s\n\ttimeout check 3s\n\n");

	/* Port 80 only sends clients to HTTPS, as the app hosts' nginx does. */
	buf_puts(out, "frontend http_in\n\tmode http\n");
	buf_printf(out, "\tbind %s:80\n", self);
	if (two)
		buf_printf(out, "\tbind %s:80\n", vip);
	buf_puts(out, "\thttp-request redirect scheme https code 308\n\n");

	buf_printf(out, "frontend https_in\n\tmode %s\n", term ? "http" : "tcp");
	if (term)
		buf_puts(out, "\t# the certificate and its key in one file, root-only (0600)\n");
	buf_printf(out, "\tbind %s:443%s%s\n", self, term ? " ssl crt " : "", term ? p->bundle : "");
	if (two)
		buf_printf(out, "\tbind %s:443%s%s\n", vip, term ? " ssl crt " : "", term ? p->bundle : "");
	if (term)
		buf_puts(out, "\toption httplog\n\toption forwardfor\n\thttp-request set-header X-Forwarded-Proto https\n");
	else
		buf_puts(out, "\toption tcplog\n");
	buf_puts(out, "\tdefault_backend app\n\n");

	/* Monitoring: HAProxy's own exporter for Prometheus, on this host's
	 * address only (not the virtual one: each lb host is scraped). */
	if (monitoring_on(m))
		buf_printf(out, "frontend metrics\n\t# Prometheus' scrapes (docs/monitoring.md): TLS with this host's certificate and key\n"
			       "\t# (0600); only a client certificate of the deployment CA is accepted\n"
			       "\tmode http\n\tno log\n\tbind %s:%u ssl crt %s verify required ca-file %s\n"
			       "\thttp-request use-service prometheus-exporter if { path /metrics }\n"
			       "\thttp-request deny\n\n", self, MON_PORT_HAPROXY, p->metrics_pem, p->ca);

	if (m->roles.app.server_name)
		snprintf(host_hdr, sizeof host_hdr, "%s", m->roles.app.server_name);
	else
		for (size_t i = 0; i < m->n_hosts; i++)
			if (m->hosts[i].role == ROLE_APP) {
				backend_name(m, &m->hosts[i], host_hdr, sizeof host_hdr);
				break;
			}
	buf_printf(out, "backend app\n\tmode %s\n\tbalance roundrobin\n", term ? "http" : "tcp");
	buf_printf(out, "\toption httpchk\n\thttp-check send meth GET uri %s ver HTTP/1.1 hdr Host %s\n"
		       "\thttp-check expect status 200-399\n", health, host_hdr);
	/* A check every 2 s (HAProxy's default: each one runs the app's health
	 * path, which may ask the database and the bucket), every second while
	 * a host's state is changing; down after 2 failed checks, up again
	 * after 2 good ones. */
	buf_printf(out, "\tdefault-server inter 2s fastinter 1s fall 2 rise 2%s verify required ca-file %s\n",
		   term ? " ssl" : " check-ssl", ca);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *x = &m->hosts[i];
		if (x->role != ROLE_APP || x->dhcp || !x->address)
			continue;
		char a[16], name[320];
		backend_name(m, x, name, sizeof name);
		ipv4_fmt(x->address, a);
		if (term)
			buf_printf(out, "\tserver %s %s:443 check verifyhost %s sni str(%s)\n", x->name, a, name, name);
		else
			buf_printf(out, "\tserver %s %s:443 check verifyhost %s check-sni %s\n", x->name, a, name, name);
	}
	return 0;
}

int lb_render_keepalived(const struct model *m, const struct host *h, const char *iface, struct buf *out)
{
	const struct host *lb[2];
	if (model_lb_hosts(m, lb) != 2 || !m->roles.lb.virtual_address || (h != lb[0] && h != lb[1]) || h->dhcp ||
	    lb[0]->dhcp || lb[1]->dhcp)
		return log_error_errno(EINVAL, "keepalived runs only on two lb hosts with static addresses and a virtual address");
	size_t il = iface ? strlen(iface) : 0;
	if (!il || il >= IFNAMSIZ || !cfg_word(iface) || strchr(iface, '/'))
		return log_error_errno(EINVAL, "'%s' is not an interface name", iface ? iface : "");
	const struct host *peer = h == lb[0] ? lb[1] : lb[0];
	const struct subnet *s = model_host_subnet(m, h);
	char self[16], other[16], vip[16];
	buf_printf(out, "# Written by kiln-firstboot (role lb, docs/lb.md): deployment %s, host %s.\n"
		       "# The virtual address %s moves to the other lb host when this one stops\n"
		       "# advertising (host down, keepalived down) or HAProxy is not running here.\n"
		       "# VRRP goes only to the other lb host (unicast; the firewall admits it from there alone).\n"
		       "global_defs {\n\trouter_id kiln-%s\n\tscript_user root\n\tenable_script_security\n}\n\n"
		       "# HAProxy running here? (asked every second; 2 misses: FAULT, the address moves)\n"
		       "vrrp_script kiln_haproxy {\n\tscript \"/usr/bin/pgrep -x haproxy\"\n\tinterval 1\n\tfall 2\n\trise 2\n}\n\n"
		       "vrrp_instance kiln_lb {\n\tstate BACKUP\n\tinterface %s\n\tvirtual_router_id %u\n"
		       "\tpriority %u\n\tadvert_int 1\n\tunicast_src_ip %s\n\tunicast_peer {\n\t\t%s\n\t}\n"
		       "\tvirtual_ipaddress {\n\t\t%s/%u dev %s\n\t}\n\ttrack_script {\n\t\tkiln_haproxy\n\t}\n}\n",
		   m->name, h->name, ipv4_fmt(m->roles.lb.virtual_address, vip), h->name, iface, lb_vrid(m),
		   h == lb[0] ? 150u : 100u, ipv4_fmt(h->address, self), ipv4_fmt(peer->address, other), vip,
		   s ? (unsigned)s->cidr.prefix : 32u, iface);
	return 0;
}

/* The interface holding address a (host byte order), into name[IFNAMSIZ]. */
static int iface_of(uint32_t a, char name[IFNAMSIZ])
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return -errno;
	int r = -ENODEV;
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ntohl(((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr) == a) {
			snprintf(name, IFNAMSIZ, "%s", i->ifa_name);
			r = 0;
			break;
		}
	freeifaddrs(ifs);
	return r;
}

/* The seed's certificate cert_name and its key (secret key_name) in one
 * file, as HAProxy's `crt` reads it: the app's (LB_BUNDLE) or, with
 * monitoring, this host's (LB_METRICS_PEM). */
static int write_pem(struct agent *a, const char *cert_name, const char *key_name, const char *path)
{
	const struct seed_file *cert = agent_seed_file(a, cert_name);
	const char *key = agent_secret(a, key_name);
	if (!cert || !key)
		return agent_step_end(a, STEP, -ENOKEY, "the seed carries no %s: make it with `kiln secrets init` "
				      "and a new seed", cert ? key_name : cert_name);
	struct buf b;
	buf_init(&b);
	buf_append(&b, cert->data, cert->len);
	if (cert->len && cert->data[cert->len - 1] != '\n')
		buf_putc(&b, '\n');
	buf_puts(&b, key);
	int r = agent_write(a, path, b.data, b.len, 0600);
	buf_wipe(&b);
	return r < 0 ? agent_step_end(a, STEP, r, "writing %s", path) : 0;
}

int role_lb(struct agent *a)
{
	const struct model *m = a->model;
	const struct host *lb[2];
	bool two = model_lb_hosts(m, lb) == 2;
	int r;
	agent_phase(a, "config");
	if (m->roles.lb.tls == LB_TLS_TERMINATE && (r = write_pem(a, "tls_cert.pem", "tls_key", LB_BUNDLE)) < 0)
		return r;
	if (monitoring_on(m) && (r = write_pem(a, MON_HOST_CERT, MON_HOST_KEY, LB_METRICS_PEM)) < 0)
		return r;
	struct buf b;
	buf_init(&b);
	r = lb_render_haproxy(m, a->host, &lb_paths_default, &b);
	if (r == 0)
		r = agent_write(a, LB_HAPROXY_CFG, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " LB_HAPROXY_CFG);
	if (two) {
		char ifname[IFNAMSIZ] = "";
		if ((r = a->no_services ? (snprintf(ifname, sizeof ifname, "eth0"), 0) : iface_of(a->host->address, ifname)) < 0)
			return agent_step_end(a, STEP, r, "no interface holds this host's address");
		buf_init(&b);
		r = lb_render_keepalived(m, a->host, ifname, &b);
		if (r == 0)
			r = agent_write(a, LB_KEEPALIVED_CFG, b.data, b.len, 0644);
		buf_free(&b);
		if (r < 0)
			return agent_step_end(a, STEP, r, "writing " LB_KEEPALIVED_CFG);
		/* HAProxy binds the virtual address on the host that does not hold it too. */
		static const char sysctl_conf[] = "# Written by kiln-firstboot (role lb): HAProxy binds the virtual address\n"
						  "# on the lb host that does not hold it.\nnet.ipv4.ip_nonlocal_bind = 1\n";
		if ((r = agent_write(a, LB_SYSCTL, sysctl_conf, sizeof sysctl_conf - 1, 0644)) < 0)
			return agent_step_end(a, STEP, r, "writing " LB_SYSCTL);
		const char *sysctl[] = { "sysctl", "-q", "-p", LB_SYSCTL, NULL };
		if ((r = agent_exec_or_fail(a, STEP, sysctl, NULL, 0, "applying " LB_SYSCTL)) < 0)
			return r;
	}
	agent_phase(a, "check");
	const char *check[] = { "haproxy", "-c", "-q", "-f", LB_HAPROXY_CFG, NULL };
	if ((r = agent_exec_or_fail(a, STEP, check, NULL, 0, "checking " LB_HAPROXY_CFG)) < 0)
		return r;
	agent_phase(a, "start");
	const char *haproxy[] = { "systemctl", "enable", "--now", "haproxy.service", NULL };
	const char *restart[] = { "systemctl", "restart", "haproxy.service", NULL };
	if ((r = agent_exec_or_fail(a, STEP, haproxy, NULL, 0, "enabling HAProxy")) < 0 ||
	    (r = agent_exec_or_fail(a, STEP, restart, NULL, 0, "starting HAProxy")) < 0)
		return r;
	if (two) {
		const char *ka[] = { "systemctl", "enable", "--now", "keepalived.service", NULL };
		const char *karestart[] = { "systemctl", "restart", "keepalived.service", NULL };
		if ((r = agent_exec_or_fail(a, STEP, ka, NULL, 0, "enabling keepalived")) < 0 ||
		    (r = agent_exec_or_fail(a, STEP, karestart, NULL, 0, "starting keepalived")) < 0)
			return r;
	}
	char vip[16];
	return agent_step_end(a, STEP, 0, "HAProxy %s TLS for the app hosts%s%s", m->roles.lb.tls == LB_TLS_TERMINATE
			      ? "ending" : "passing through", two ? "; keepalived sharing " : "",
			      two ? ipv4_fmt(m->roles.lb.virtual_address, vip) : "");
}
