/* The resolved model as JSON (`kiln check --json`). Hand-written writer:
 * the model is small and the escaping rules are few. */
#include "profiles/profile.h"
#include <stdio.h>

static void jstr(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\f': buf_puts(b, "\\f"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_putc(b, (char)*p);   /* UTF-8 passes through (libyaml checked it) */
		}
	}
	buf_putc(b, '"');
}

static void jkey(struct buf *b, int *first, const char *k)
{
	buf_puts(b, *first ? "" : ",");
	*first = 0;
	jstr(b, k);
	buf_putc(b, ':');
}

static void jstrv(struct buf *b, char *const *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		jstr(b, v[i]);
	}
	buf_putc(b, ']');
}

static void jip(struct buf *b, uint32_t a)
{
	char s[16];
	jstr(b, ipv4_fmt(a, s));
}

static void jendpoint(struct buf *b, const struct endpoint *e)
{
	static const char *const kinds[] = { "host", "role", "subnet", "cidr" };
	buf_putc(b, '{');
	jstr(b, kinds[e->kind]);
	buf_putc(b, ':');
	jstr(b, e->name);
	buf_putc(b, '}');
}

static void jsize(struct buf *b, const struct size_spec *s)
{
	buf_printf(b, "{\"vcpus\":%u,\"memory_mib\":%u,\"os_disk_gib\":%u,\"data_disk_gib\":%u}", s->vcpus,
		   s->memory_mib, s->os_disk_gib, s->data_disk_gib);
}

static void jethernet(struct buf *b, const struct ethernet *e)
{
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "id"); jstr(b, e->id);
	jkey(b, &f, "match");
	buf_puts(b, "{\"name\":"); jstr(b, e->match_name);
	buf_puts(b, ",\"macaddress\":"); jstr(b, e->match_mac);
	buf_puts(b, ",\"driver\":"); jstr(b, e->match_driver);
	buf_putc(b, '}');
	jkey(b, &f, "set-name"); jstr(b, e->set_name);
	jkey(b, &f, "dhcp4"); buf_puts(b, e->dhcp4 ? "true" : "false");
	jkey(b, &f, "addresses"); jstrv(b, e->addresses, e->n_addresses);
	jkey(b, &f, "routes");
	buf_putc(b, '[');
	for (size_t i = 0; i < e->n_routes; i++) {
		buf_puts(b, i ? ",{\"to\":" : "{\"to\":");
		jstr(b, e->routes[i].to);
		buf_puts(b, ",\"via\":");
		jstr(b, e->routes[i].via);
		if (e->routes[i].metric >= 0)
			buf_printf(b, ",\"metric\":%d", e->routes[i].metric);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	jkey(b, &f, "nameservers");
	buf_puts(b, "{\"addresses\":"); jstrv(b, e->nameservers, e->n_nameservers);
	buf_puts(b, ",\"search\":"); jstrv(b, e->search, e->n_search);
	buf_putc(b, '}');
	if (e->mtu) {
		jkey(b, &f, "mtu");
		buf_printf(b, "%d", e->mtu);
	}
	jkey(b, &f, "macaddress"); jstr(b, e->macaddress);
	jkey(b, &f, "optional"); buf_puts(b, e->optional ? "true" : "false");
	buf_putc(b, '}');
}

static void jhost(struct buf *b, const struct model *m, const struct host *h)
{
	const struct subnet *s = model_host_subnet(m, h);
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "name"); jstr(b, h->name);
	jkey(b, &f, "fqdn");
	struct buf fq;
	buf_init(&fq);
	buf_printf(&fq, "%s.%s", h->name, m->domain);
	jstr(b, fq.data);
	buf_free(&fq);
	jkey(b, &f, "role"); jstr(b, role_name(h->role));
	jkey(b, &f, "subnet"); jstr(b, s ? s->name : NULL);
	jkey(b, &f, "address");
	if (h->dhcp)
		jstr(b, "dhcp");
	else
		jip(b, h->address);
	jkey(b, &f, "size"); jstr(b, h->size_preset);
	jkey(b, &f, "resources"); jsize(b, &h->size);
	jkey(b, &f, "replica_of"); jstr(b, h->replica_of);
	jkey(b, &f, "ethernets");
	buf_putc(b, '[');
	for (size_t i = 0; i < h->n_ethernets; i++) {
		if (i)
			buf_putc(b, ',');
		jethernet(b, &h->ethernets[i]);
	}
	buf_putc(b, ']');
	buf_putc(b, '}');
}

void model_to_json(const struct model *m, struct buf *b)
{
	static const char *const targets[] = { "raw", "esxi", "ec2", "iso" };
	char tmp[19];
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "kiln"); buf_printf(b, "%u", m->schema);
	jkey(b, &f, "source"); jstr(b, m->source_name);
	jkey(b, &f, "deployment");
	buf_puts(b, "{\"name\":"); jstr(b, m->name);
	buf_puts(b, ",\"domain\":"); jstr(b, m->domain);
	buf_putc(b, '}');
	jkey(b, &f, "debian");
	buf_puts(b, "{\"suite\":"); jstr(b, m->suite);
	buf_puts(b, ",\"mirror\":"); jstr(b, m->mirror);
	buf_putc(b, '}');

	jkey(b, &f, "subnets");
	buf_putc(b, '[');
	for (size_t i = 0; i < m->n_subnets; i++) {
		const struct subnet *s = &m->subnets[i];
		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		jstr(b, s->name);
		buf_puts(b, ",\"cidr\":");
		jstr(b, ipv4_net_fmt(&s->cidr, tmp));
		buf_puts(b, ",\"gateway\":");
		if (s->gateway)
			jip(b, s->gateway);
		else
			buf_puts(b, "null");
		buf_putc(b, '}');
	}
	buf_putc(b, ']');

	jkey(b, &f, "hosts");
	buf_putc(b, '[');
	for (size_t i = 0; i < m->n_hosts; i++) {
		if (i)
			buf_putc(b, ',');
		jhost(b, m, &m->hosts[i]);
	}
	buf_putc(b, ']');

	jkey(b, &f, "dns");
	buf_puts(b, "{\"servers\":[");
	for (size_t i = 0; i < m->n_dns; i++) {
		if (i)
			buf_putc(b, ',');
		jip(b, m->dns[i]);
	}
	buf_puts(b, "],\"search\":");
	jstrv(b, m->dns_search, m->n_dns_search);
	buf_putc(b, '}');
	jkey(b, &f, "ntp");
	buf_puts(b, "{\"servers\":");
	jstrv(b, m->ntp, m->n_ntp);
	buf_putc(b, '}');
	jkey(b, &f, "ssh");
	buf_puts(b, "{\"authorized_keys\":");
	jstrv(b, m->ssh_keys, m->n_ssh_keys);
	buf_puts(b, ",\"allow_from\":[");
	for (size_t i = 0; i < m->n_ssh_from; i++) {
		if (i)
			buf_putc(b, ',');
		jendpoint(b, &m->ssh_from[i]);
	}
	buf_puts(b, "]}");

	jkey(b, &f, "flows");
	buf_putc(b, '[');
	for (size_t i = 0; i < m->n_flows; i++) {
		const struct flow *fl = &m->flows[i];
		buf_puts(b, i ? ",{\"from\":" : "{\"from\":");
		jendpoint(b, &fl->from);
		buf_puts(b, ",\"to\":");
		jendpoint(b, &fl->to);
		buf_printf(b, ",\"port\":%u,\"proto\":\"%s\"}", fl->port, fl->proto == PROTO_UDP ? "udp" : "tcp");
	}
	buf_putc(b, ']');

	const struct role_settings *r = &m->roles;
	jkey(b, &f, "roles");
	buf_puts(b, "{\"mysql\":{\"database\":");
	jstr(b, r->mysql.database);
	buf_puts(b, ",\"user\":");
	jstr(b, r->mysql.user);
	buf_puts(b, ",\"settings\":{");
	for (size_t i = 0; i < r->mysql.n_settings; i++) {
		if (i)
			buf_putc(b, ',');
		jstr(b, r->mysql.setting_keys[i]);
		buf_putc(b, ':');
		jstr(b, r->mysql.setting_values[i]);
	}
	buf_printf(b, "},\"tls\":%s},\"minio\":{\"buckets\":[", r->mysql.tls ? "true" : "false");
	for (size_t i = 0; i < r->minio.n_buckets; i++) {
		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		jstr(b, r->minio.buckets[i].name);
		buf_printf(b, ",\"versioning\":%s}", r->minio.buckets[i].versioning ? "true" : "false");
	}
	buf_puts(b, "]},\"app\":{\"service\":{\"type\":");
	jstr(b, r->app.type == APP_CONTAINER ? "container" : "systemd");
	buf_puts(b, ",\"exec\":");
	jstr(b, r->app.exec);
	buf_puts(b, ",\"image\":");
	jstr(b, r->app.image);
	buf_printf(b, ",\"port\":%u},\"env\":{", r->app.port);
	for (size_t i = 0; i < r->app.n_env; i++) {
		if (i)
			buf_putc(b, ',');
		jstr(b, r->app.env[i].name);
		buf_putc(b, ':');
		jstr(b, r->app.env[i].tmpl);   /* templates only: secrets are never in the model */
	}
	buf_puts(b, "},\"secrets\":");
	jstrv(b, r->app.secrets, r->app.n_secrets);
	buf_puts(b, ",\"tls\":{\"cert\":");
	jstr(b, r->app.tls_cert);
	buf_puts(b, ",\"key\":");
	jstr(b, r->app.tls_key);
	buf_puts(b, ",\"server_name\":");
	jstr(b, r->app.server_name);
	buf_puts(b, "}}}");

	jkey(b, &f, "sizes");
	buf_putc(b, '{');
	for (size_t i = 0; i < m->n_sizes; i++) {
		if (i)
			buf_putc(b, ',');
		jstr(b, m->sizes[i].name);
		buf_putc(b, ':');
		jsize(b, &m->sizes[i].spec);
	}
	buf_putc(b, '}');

	jkey(b, &f, "targets");
	buf_putc(b, '[');
	int first = 1;
	for (int i = 0; i < 4; i++)
		if (m->targets & (1u << i)) {
			buf_puts(b, first ? "" : ",");
			first = 0;
			jstr(b, targets[i]);
		}
	buf_putc(b, ']');
	jkey(b, &f, "esxi");
	buf_puts(b, "{\"hardware_version\":");
	jstr(b, m->esxi.hardware_version);
	buf_puts(b, ",\"network\":");
	jstr(b, m->esxi.network);
	buf_puts(b, ",\"disk_controller\":");
	jstr(b, m->esxi.disk_controller);
	buf_puts(b, ",\"overridable\":");
	jstrv(b, m->esxi.overridable, m->esxi.n_overridable);
	buf_puts(b, "}}\n");
}
