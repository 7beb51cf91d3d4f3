/* What monitoring: implies for hosts, images and the firewall (monitoring.h). */
#include "profiles/monitoring.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool monitoring_on(const struct model *m)
{
	return monitoring_host(m) != NULL;
}

const struct host *monitoring_host(const struct model *m)
{
	return m->monitoring.host ? model_find_host(m, m->monitoring.host) : NULL;
}

bool monitoring_is_host(const struct model *m, const struct host *h)
{
	const struct host *mon = monitoring_host(m);
	return mon && h && h->name && !strcmp(mon->name, h->name);
}

const char *monitoring_peer_addr(const struct model *m, const struct host *h, char *buf, size_t len)
{
	char a[16];
	if (h->dhcp)
		snprintf(buf, len, "%s.%s", h->name, m->domain);
	else
		snprintf(buf, len, "%s", ipv4_fmt(h->address, a));
	return buf;
}

size_t monitoring_packages(const struct model *m, enum role r, const char **out, size_t max)
{
	const struct host *mon = monitoring_host(m);
	const char *v[MON_PACKAGES_MAX];
	size_t n = 0;
	if (!mon || !model_has_role(m, r))
		return 0;
	v[n++] = "prometheus-node-exporter";
	v[n++] = "systemd-journal-remote";    /* also systemd-journal-upload */
	if (r == ROLE_MYSQL)
		v[n++] = "prometheus-mysqld-exporter";
	if (mon->role == r) {
		v[n++] = "prometheus";
		v[n++] = "prometheus-alertmanager";
	}
	if (n > max)
		n = max;
	memcpy(out, v, n * sizeof *v);
	return n;
}

size_t monitoring_disabled_units(const struct model *m, enum role r, const char **out, size_t max)
{
	static const struct { const char *package, *unit; } units[] = {
		{ "prometheus-node-exporter", "prometheus-node-exporter.service" },
		{ "prometheus-mysqld-exporter", "prometheus-mysqld-exporter.service" },
		{ "prometheus", "prometheus.service" },
		{ "prometheus-alertmanager", "prometheus-alertmanager.service" },
	};
	const char *pk[MON_PACKAGES_MAX];
	size_t np = monitoring_packages(m, r, pk, MON_PACKAGES_MAX), n = 0;
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < sizeof units / sizeof *units && n < max; j++)
			if (!strcmp(pk[i], units[j].package))
				out[n++] = units[j].unit;
	return n;
}

const char *monitoring_port_owner(const struct model *m, const struct host *h, unsigned port)
{
	if (!monitoring_on(m))
		return NULL;
	bool mon = monitoring_is_host(m, h);
	switch (port) {
	case MON_PORT_NODE: return "the node exporter's";
	case MON_PORT_MYSQLD: return h->role == ROLE_MYSQL ? "the MySQL exporter's" : NULL;
	case MON_PORT_HAPROXY: return h->role == ROLE_LB ? "HAProxy's exporter's" : NULL;
	case MON_PORT_JOURNAL: return mon ? "systemd-journal-remote's" : NULL;
	case MON_PORT_PROMETHEUS: return mon ? "Prometheus'" : NULL;
	case MON_PORT_ALERTMANAGER: return mon ? "Alertmanager's" : NULL;
	case MON_NGINX_STATUS_PORT: return h->role == ROLE_APP ? "nginx's status page's" : NULL;
	}
	return NULL;
}

static struct endpoint ep(enum endpoint_kind k, const char *name, struct ipv4_net cidr, struct src_pos pos)
{
	return (struct endpoint){ .kind = k, .name = xstrdup(name), .cidr = cidr, .pos = pos };
}

static void add_flow(struct monitoring_settings *s, size_t *cap, struct endpoint from, struct endpoint to,
		     unsigned port)
{
	s->flows = xgrow(s->flows, cap, s->n_flows + 1, sizeof *s->flows);
	s->flows[s->n_flows++] = (struct flow){ .from = from, .to = to, .port = (uint16_t)port, .proto = PROTO_TCP,
						.pos = s->pos };
}

void monitoring_derive_flows(struct model *m)
{
	struct monitoring_settings *s = &m->monitoring;
	const struct host *mon = monitoring_host(m);
	struct ipv4_net none = { 0, 0 };
	size_t cap = 0;
	flows_free(&s->flows, &s->n_flows);
	if (!mon)
		return;
	/* Scrapes: the monitoring host to every other host's exporters. Its own
	 * go over loopback, which the ruleset accepts anyway. */
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h == mon)
			continue;
		add_flow(s, &cap, ep(EP_HOST, mon->name, none, s->pos), ep(EP_HOST, h->name, none, s->pos), MON_PORT_NODE);
		if (h->role == ROLE_MYSQL)
			add_flow(s, &cap, ep(EP_HOST, mon->name, none, s->pos), ep(EP_HOST, h->name, none, s->pos),
				 MON_PORT_MYSQLD);
		if (h->role == ROLE_MINIO)
			add_flow(s, &cap, ep(EP_HOST, mon->name, none, s->pos), ep(EP_HOST, h->name, none, s->pos),
				 MON_PORT_MINIO);
		if (h->role == ROLE_LB)
			add_flow(s, &cap, ep(EP_HOST, mon->name, none, s->pos), ep(EP_HOST, h->name, none, s->pos),
				 MON_PORT_HAPROXY);
	}
	/* Central logs: every other host to journal-remote. */
	for (size_t i = 0; i < m->n_hosts; i++)
		if (&m->hosts[i] != mon)
			add_flow(s, &cap, ep(EP_HOST, m->hosts[i].name, none, s->pos), ep(EP_HOST, mon->name, none, s->pos),
				 MON_PORT_JOURNAL);
	/* The status page and Prometheus' API: the networks allow_from names. */
	for (size_t i = 0; i < s->n_allow_from; i++) {
		const struct endpoint *a = &s->allow_from[i];
		add_flow(s, &cap, ep(a->kind, a->name, a->cidr, a->pos), ep(EP_HOST, mon->name, none, s->pos),
			 MON_PORT_PROMETHEUS);
	}
}

void monitoring_settings_free(struct monitoring_settings *s)
{
	free(s->host);
	for (size_t i = 0; i < s->n_allow_from; i++)
		free(s->allow_from[i].name);
	free(s->allow_from);
	free(s->app_health);
	for (size_t i = 0; i < s->n_receivers; i++)
		free(s->receivers[i].to);
	free(s->receivers);
	free(s->smtp_smarthost);
	free(s->smtp_from);
	free(s->archive_bucket);
	flows_free(&s->flows, &s->n_flows);
	memset(s, 0, sizeof *s);
}
