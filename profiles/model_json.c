/* The resolved model as JSON (`kiln check --json`). Hand-written writer:
 * the model is small and the escaping rules are few. */
#include "lib/json.h"
#include "lib/backup_pitr.h"
#include "profiles/backup.h"
#include "profiles/mysql_engine.h"
#include "profiles/profile.h"
#include <stdio.h>

static void jkey(struct buf *b, int *first, const char *k)
{
	buf_puts(b, *first ? "" : ",");
	*first = 0;
	json_str(b, k);
	buf_putc(b, ':');
}

static void jstrv(struct buf *b, char *const *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, v[i]);
	}
	buf_putc(b, ']');
}

static void jip(struct buf *b, uint32_t a)
{
	char s[16];
	json_str(b, ipv4_fmt(a, s));
}

static void jendpoint(struct buf *b, const struct endpoint *e)
{
	static const char *const kinds[] = { "host", "role", "subnet", "cidr" };
	buf_putc(b, '{');
	json_str(b, kinds[e->kind]);
	buf_putc(b, ':');
	json_str(b, e->name);
	buf_putc(b, '}');
}

static void jsize(struct buf *b, const struct size_spec *s)
{
	buf_printf(b, "{\"vcpus\":%u,\"memory_mib\":%u,\"os_disk_gib\":%u,\"data_disk_gib\":%u}", s->vcpus,
		   s->memory_mib, s->os_disk_gib, s->data_disk_gib);
}

/* A disk rule as the profile gives it, with every key (null: any). */
static void jrule(struct buf *b, const struct disk_rule *r)
{
	if (!r->set) {
		buf_puts(b, "null");
		return;
	}
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "size_gib");
	if (r->has_size)
		buf_printf(b, "[%u,%u]", r->size_min_gib, r->size_max_gib);
	else
		buf_puts(b, "null");
	jkey(b, &f, "model"); json_str(b, r->model);
	jkey(b, &f, "serial"); json_str(b, r->serial);
	jkey(b, &f, "by_path"); json_str(b, r->by_path);
	jkey(b, &f, "rotational"); buf_puts(b, r->rotational < 0 ? "null" : r->rotational ? "true" : "false");
	buf_putc(b, '}');
}

static void jmachine(struct buf *b, const struct machine_rule *r)
{
	if (!r->set) {
		buf_puts(b, "null");
		return;
	}
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "mac"); json_str(b, r->mac);
	jkey(b, &f, "dmi_serial"); json_str(b, r->dmi_serial);
	jkey(b, &f, "dmi_uuid"); json_str(b, r->dmi_uuid);
	buf_putc(b, '}');
}

static void jinstall(struct buf *b, const struct install_settings *s)
{
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "machine"); jmachine(b, &s->machine);
	jkey(b, &f, "disk"); jrule(b, &s->disk);
	jkey(b, &f, "data_disk"); jrule(b, &s->data_disk);
	jkey(b, &f, "unattended"); buf_puts(b, s->unattended ? "true" : "false");
	jkey(b, &f, "wipe"); buf_puts(b, s->wipe ? "true" : "false");
	buf_putc(b, '}');
}

static void jethernet(struct buf *b, const struct ethernet *e)
{
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "id"); json_str(b, e->id);
	jkey(b, &f, "match");
	buf_puts(b, "{\"name\":"); json_str(b, e->match_name);
	buf_puts(b, ",\"macaddress\":"); json_str(b, e->match_mac);
	buf_puts(b, ",\"driver\":"); json_str(b, e->match_driver);
	buf_putc(b, '}');
	jkey(b, &f, "set-name"); json_str(b, e->set_name);
	jkey(b, &f, "dhcp4"); buf_puts(b, e->dhcp4 ? "true" : "false");
	jkey(b, &f, "addresses"); jstrv(b, e->addresses, e->n_addresses);
	jkey(b, &f, "routes");
	buf_putc(b, '[');
	for (size_t i = 0; i < e->n_routes; i++) {
		buf_puts(b, i ? ",{\"to\":" : "{\"to\":");
		json_str(b, e->routes[i].to);
		buf_puts(b, ",\"via\":");
		json_str(b, e->routes[i].via);
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
	jkey(b, &f, "macaddress"); json_str(b, e->macaddress);
	jkey(b, &f, "optional"); buf_puts(b, e->optional ? "true" : "false");
	buf_putc(b, '}');
}

static void jhost(struct buf *b, const struct model *m, const struct host *h)
{
	const struct subnet *s = model_host_subnet(m, h);
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "name"); json_str(b, h->name);
	jkey(b, &f, "fqdn");
	struct buf fq;
	buf_init(&fq);
	buf_printf(&fq, "%s.%s", h->name, m->domain);
	json_str(b, fq.data);
	buf_free(&fq);
	jkey(b, &f, "role"); json_str(b, role_name(h->role));
	jkey(b, &f, "subnet"); json_str(b, s ? s->name : NULL);
	jkey(b, &f, "address");
	if (h->dhcp)
		json_str(b, "dhcp");
	else
		jip(b, h->address);
	jkey(b, &f, "size"); json_str(b, h->size_preset);
	jkey(b, &f, "resources"); jsize(b, &h->size);
	jkey(b, &f, "replica_of"); json_str(b, h->replica_of);
	jkey(b, &f, "ethernets");
	buf_putc(b, '[');
	for (size_t i = 0; i < h->n_ethernets; i++) {
		if (i)
			buf_putc(b, ',');
		jethernet(b, &h->ethernets[i]);
	}
	buf_putc(b, ']');
	jkey(b, &f, "install"); jinstall(b, &h->install);
	buf_putc(b, '}');
}

static void jflows(struct buf *b, const struct flow *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		const struct flow *fl = &v[i];
		buf_puts(b, i ? ",{\"from\":" : "{\"from\":");
		jendpoint(b, &fl->from);
		buf_puts(b, ",\"to\":");
		jendpoint(b, &fl->to);
		buf_printf(b, ",\"port\":%u,\"proto\":\"%s\"}", fl->port, fl->proto == PROTO_UDP ? "udp" : "tcp");
	}
	buf_putc(b, ']');
}

/* Only with a monitoring: section; "flows" are the derived ones. */
static void jmonitoring(struct buf *b, const struct monitoring_settings *s)
{
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "host"); json_str(b, s->host);
	jkey(b, &f, "retention_days"); buf_printf(b, "%u", s->retention_days);
	jkey(b, &f, "allow_from");
	buf_putc(b, '[');
	for (size_t i = 0; i < s->n_allow_from; i++) {
		if (i)
			buf_putc(b, ',');
		jendpoint(b, &s->allow_from[i]);
	}
	buf_putc(b, ']');
	jkey(b, &f, "app_health"); json_str(b, s->app_health);
	jkey(b, &f, "receivers");
	buf_putc(b, '[');
	for (size_t i = 0; i < s->n_receivers; i++) {
		buf_puts(b, i ? ",{" : "{");
		json_str(b, s->receivers[i].kind == RECEIVER_EMAIL ? "email" : "webhook");
		buf_putc(b, ':');
		json_str(b, s->receivers[i].to);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	jkey(b, &f, "smtp");
	if (s->smtp_smarthost) {
		buf_puts(b, "{\"smarthost\":");
		json_str(b, s->smtp_smarthost);
		buf_puts(b, ",\"from\":");
		json_str(b, s->smtp_from);
		buf_printf(b, ",\"require_tls\":%s}", s->smtp_require_tls ? "true" : "false");
	} else
		buf_puts(b, "null");
	jkey(b, &f, "archive_drops");
	if (s->archive_bucket) {
		buf_puts(b, "{\"bucket\":");
		json_str(b, s->archive_bucket);
		buf_putc(b, '}');
	} else
		buf_puts(b, "null");
	jkey(b, &f, "flows"); jflows(b, s->flows, s->n_flows);
	buf_putc(b, '}');
}

/* Only with a backup: section; "flows" are the derived ones. */
static void jbackup(struct buf *b, const struct backup_settings *s)
{
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "full"); json_str(b, backup_full_name_of(s->full));
	jkey(b, &f, "binlog_minutes"); buf_printf(b, "%u", s->binlog_minutes);
	jkey(b, &f, "keep_days"); buf_printf(b, "%u", s->keep_days);
	jkey(b, &f, "bucket"); json_str(b, s->bucket);
	if (s->s3_endpoint) {
		int g = 1;
		jkey(b, &f, "s3");
		buf_putc(b, '{');
		jkey(b, &g, "endpoint"); json_str(b, s->s3_endpoint);
		jkey(b, &g, "region"); json_str(b, s->s3_region);
		jkey(b, &g, "bucket"); json_str(b, s->bucket);
		buf_putc(b, '}');
	}
	if (s->restore) {
		char t[32];
		backup_target_str(s->restore_to, t);
		jkey(b, &f, "restore"); json_str(b, t);
	}
	jkey(b, &f, "flows"); jflows(b, s->flows, s->n_flows);
	buf_putc(b, '}');
}

void model_to_json(const struct model *m, struct buf *b)
{
	char tmp[19];
	int f = 1;
	buf_putc(b, '{');
	jkey(b, &f, "kiln"); buf_printf(b, "%u", m->schema);
	jkey(b, &f, "source"); json_str(b, m->source_name);
	jkey(b, &f, "deployment");
	buf_puts(b, "{\"name\":"); json_str(b, m->name);
	buf_puts(b, ",\"domain\":"); json_str(b, m->domain);
	buf_putc(b, '}');
	jkey(b, &f, "debian");
	const struct debian_settings *d = &m->debian;
	buf_puts(b, "{\"suite\":"); json_str(b, d->suite);
	buf_puts(b, ",\"mirror\":"); json_str(b, d->mirror);
	buf_printf(b, ",\"updates\":%s,\"security\":%s", d->updates ? "true" : "false",
		   d->security ? "true" : "false");
	buf_puts(b, ",\"security_mirror\":"); json_str(b, d->security_mirror);
	buf_puts(b, ",\"snapshot\":"); json_str(b, d->snapshot);
	buf_puts(b, ",\"snapshot_mirror\":"); json_str(b, d->snapshot_mirror);
	buf_putc(b, '}');

	jkey(b, &f, "subnets");
	buf_putc(b, '[');
	for (size_t i = 0; i < m->n_subnets; i++) {
		const struct subnet *s = &m->subnets[i];
		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		json_str(b, s->name);
		buf_puts(b, ",\"cidr\":");
		json_str(b, ipv4_net_fmt(&s->cidr, tmp));
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

	jkey(b, &f, "flows"); jflows(b, m->flows, m->n_flows);

	const struct role_settings *r = &m->roles;
	jkey(b, &f, "roles");
	buf_printf(b, "{\"mysql\":{\"engine\":\"%s\",\"database\":", mysql_engine_of(r->mysql.engine)->name);
	json_str(b, r->mysql.database);
	buf_puts(b, ",\"user\":");
	json_str(b, r->mysql.user);
	buf_puts(b, ",\"settings\":{");
	for (size_t i = 0; i < r->mysql.n_settings; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, r->mysql.setting_keys[i]);
		buf_putc(b, ':');
		json_str(b, r->mysql.setting_values[i]);
	}
	buf_printf(b, "},\"tls\":%s,\"cluster\":\"%s\"},\"minio\":{\"buckets\":[", r->mysql.tls ? "true" : "false",
		   r->mysql.cluster == MYSQL_CLUSTER_GALERA ? "galera" : "none");
	for (size_t i = 0; i < r->minio.n_buckets; i++) {
		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		json_str(b, r->minio.buckets[i].name);
		buf_printf(b, ",\"versioning\":%s", r->minio.buckets[i].versioning ? "true" : "false");
		const struct bucket_replica *rt = r->minio.buckets[i].replicate_to;
		if (rt) {
			buf_puts(b, ",\"replicate_to\":{\"endpoint\":");
			json_str(b, rt->endpoint);
			buf_puts(b, ",\"bucket\":");
			json_str(b, rt->bucket);
			buf_puts(b, ",\"region\":");
			json_str(b, rt->region);
			buf_putc(b, '}');
		}
		buf_putc(b, '}');
	}
	buf_puts(b, "]},\"app\":{\"service\":{\"type\":");
	json_str(b, r->app.type == APP_CONTAINER ? "container" : "systemd");
	buf_puts(b, ",\"exec\":");
	json_str(b, r->app.exec);
	buf_puts(b, ",\"image\":");
	json_str(b, r->app.image);
	buf_puts(b, ",\"archive\":");
	json_str(b, r->app.archive);
	buf_printf(b, ",\"port\":%u},\"env\":{", r->app.port);
	for (size_t i = 0; i < r->app.n_env; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, r->app.env[i].name);
		buf_putc(b, ':');
		json_str(b, r->app.env[i].tmpl);   /* templates only: secrets are never in the model */
	}
	buf_puts(b, "},\"secrets\":");
	jstrv(b, r->app.secrets, r->app.n_secrets);
	buf_puts(b, ",\"tls\":{\"cert\":");
	json_str(b, r->app.tls_cert);
	buf_puts(b, ",\"key\":");
	json_str(b, r->app.tls_key);
	buf_puts(b, ",\"server_name\":");
	json_str(b, r->app.server_name);
	buf_putc(b, '}');
	if (r->app.n_lb_external) {   /* only when given: profiles without it print as before */
		buf_puts(b, ",\"load_balancer\":{\"external\":[");
		for (size_t i = 0; i < r->app.n_lb_external; i++) {
			if (i)
				buf_putc(b, ',');
			jendpoint(b, &r->app.lb_external[i]);
		}
		buf_puts(b, "]}");
	}
	buf_putc(b, '}');
	if (model_has_role(m, ROLE_LB)) {
		char a[16];
		buf_printf(b, ",\"lb\":{\"tls\":\"%s\",\"virtual_address\":",
			   r->lb.tls == LB_TLS_PASSTHROUGH ? "passthrough" : "terminate");
		json_str(b, r->lb.virtual_address ? ipv4_fmt(r->lb.virtual_address, a) : NULL);
		buf_puts(b, ",\"health_check\":");
		json_str(b, lb_health_path(m));
		buf_putc(b, '}');
	}
	buf_putc(b, '}');

	jkey(b, &f, "sizes");
	buf_putc(b, '{');
	for (size_t i = 0; i < m->n_sizes; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, m->sizes[i].name);
		buf_putc(b, ':');
		jsize(b, &m->sizes[i].spec);
	}
	buf_putc(b, '}');

	jkey(b, &f, "targets");
	buf_putc(b, '[');
	for (size_t i = 0; i < m->n_targets; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, m->targets[i].name);
	}
	buf_putc(b, ']');
	jkey(b, &f, "esxi");
	buf_puts(b, "{\"hardware_version\":");
	json_str(b, m->esxi.hardware_version);
	buf_puts(b, ",\"network\":");
	json_str(b, m->esxi.network);
	buf_puts(b, ",\"disk_controller\":");
	json_str(b, m->esxi.disk_controller);
	buf_puts(b, ",\"firmware\":");
	json_str(b, m->esxi.firmware);
	buf_printf(b, ",\"secure_boot\":%s", m->esxi.secure_boot ? "true" : "false");
	buf_puts(b, ",\"overridable\":");
	jstrv(b, m->esxi.overridable, m->esxi.n_overridable);
	buf_putc(b, '}');
	if (m->monitoring.host) {
		jkey(b, &f, "monitoring");
		jmonitoring(b, &m->monitoring);
	}
	if (m->backup.on) {
		jkey(b, &f, "backup");
		jbackup(b, &m->backup);
	}
	buf_puts(b, "}\n");
}
