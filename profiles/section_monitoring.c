/* monitoring: the host given the job, who may reach the status page, the
 * app's health path, Alertmanager's receivers and SMTP relay, the denied
 * traffic archive; then the checks that need the whole profile (no flow of
 * the profile may open a port monitoring uses) and the derived flows. */
#include "profiles/monitoring.h"
#include "profiles/names.h"
#include "profiles/schema.h"
#include "profiles/syntax.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static void host_list(const struct model *m, struct buf *b)
{
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].name)
			buf_printf(b, "%s%s", b->len ? ", " : "", m->hosts[i].name);
}

static void parse_receivers(struct ctx *c, const struct ynode *l)
{
	static const char *const keys[] = { "webhook", "email", NULL };
	struct monitoring_settings *s = &c->m->monitoring;
	if (!expect_seq(c, l, "monitoring.receivers"))
		return;
	s->receivers = xcalloc(l->n + 1, sizeof *s->receivers);
	for (size_t i = 0; i < l->n; i++) {
		const struct ynode *n = l->items[i];
		if (!expect_map(c, n, "a receiver", keys))
			continue;
		if (n->n != 1) {
			err_at(c, n, "a receiver must have exactly one of webhook (a URL) or email (an address)");
			continue;
		}
		const char *k = n->keys[0]->value;
		struct receiver r = { .kind = !strcmp(k, "email") ? RECEIVER_EMAIL : RECEIVER_WEBHOOK, .pos = pos_of(c, n) };
		if (strcmp(k, "email") && strcmp(k, "webhook"))
			continue;   /* reported by expect_map */
		if (!scalar_str(c, n->items[0], k, &r.to))
			continue;
		const char *why = r.kind == RECEIVER_EMAIL ? syntax_email(r.to) : syntax_http_url(r.to);
		bool dup = false;
		for (size_t j = 0; j < s->n_receivers && !dup; j++)
			dup = s->receivers[j].kind == r.kind && !strcmp(s->receivers[j].to, r.to);
		if (why)
			err_at(c, n->items[0], "receiver %s '%s' %s", k, r.to, why);
		else if (dup)
			err_at(c, n->items[0], "duplicate receiver %s '%s'", k, r.to);
		if (why || dup) {
			free(r.to);
			continue;
		}
		s->receivers[s->n_receivers++] = r;
	}
}

static void parse_smtp(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "smarthost", "from", "require_tls", NULL };
	struct monitoring_settings *s = &c->m->monitoring;
	const char *why;
	if (!expect_map(c, n, "monitoring.smtp", keys))
		return;
	if (require(c, n, "smarthost", "monitoring.smtp") && get_str(c, n, "smarthost", &s->smtp_smarthost) &&
	    (why = syntax_smarthost(s->smtp_smarthost)))
		err_at(c, ytree_get(n, "smarthost"), "smarthost '%s' %s", s->smtp_smarthost, why);
	if (require(c, n, "from", "monitoring.smtp") && get_str(c, n, "from", &s->smtp_from) &&
	    (why = syntax_email(s->smtp_from)))
		err_at(c, ytree_get(n, "from"), "smtp from '%s' %s", s->smtp_from, why);
	get_bool(c, n, "require_tls", &s->smtp_require_tls);
}

static void parse_archive(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "bucket", NULL };
	struct model *m = c->m;
	if (!expect_map(c, n, "monitoring.archive_drops", keys) || !require(c, n, "bucket", "monitoring.archive_drops") ||
	    !get_str(c, n, "bucket", &m->monitoring.archive_bucket))
		return;
	bool minio = model_has_role(m, ROLE_MINIO), known = false;
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++)
		known |= m->roles.minio.buckets[i].name && !strcmp(m->roles.minio.buckets[i].name, m->monitoring.archive_bucket);
	if (!minio)
		err_at(c, ytree_get(n, "bucket"), "archive_drops needs a minio host to keep bucket '%s'",
		       m->monitoring.archive_bucket);
	else if (!known)
		err_at(c, ytree_get(n, "bucket"), "archive_drops names bucket '%s', which is not under roles.minio.buckets",
		       m->monitoring.archive_bucket);
}

/* Ports monitoring serves are opened by its derived flows only: a flow of
 * the profile to one of them would let others in. */
static void check_reserved_ports(struct ctx *c)
{
	const struct model *m = c->m;
	for (size_t i = 0; i < m->n_flows; i++) {
		const struct flow *f = &m->flows[i];
		if (f->proto != PROTO_TCP || !f->to.name)
			continue;
		for (size_t j = 0; j < m->n_hosts; j++) {
			const struct host *h = &m->hosts[j];
			const char *owner = monitoring_port_owner(m, h, f->port);
			if (owner && endpoint_matches_host(m, &f->to, h)) {
				diags_add(c->d, c->file, f->pos.line, f->pos.col,
					  "this flow opens port %u on host %s, which is %s when monitoring is on; "
					  "monitoring: derives who may reach it (docs/monitoring.md)", f->port, h->name, owner);
				break;
			}
		}
	}
}

/* The app listens on 127.0.0.1:service.port, where monitoring has nginx's
 * status page (and, on a monitoring host that is an app host, Alertmanager). */
static void check_app_port(struct ctx *c, const struct ynode *n)
{
	const struct model *m = c->m;
	unsigned port = m->roles.app.port;
	const struct host *mon = monitoring_host(m);
	if (!model_has_role(m, ROLE_APP))
		return;
	if (port == MON_NGINX_STATUS_PORT || (mon->role == ROLE_APP && port == MON_PORT_ALERTMANAGER))
		err_at(c, n, "roles.app.service.port %u is %s on 127.0.0.1 when monitoring is on; give the app "
			     "another port", port, port == MON_NGINX_STATUS_PORT ? "nginx's status page's" : "Alertmanager's");
}

void parse_monitoring(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "host", "retention_days", "allow_from", "app_health", "receivers", "smtp",
					    "archive_drops", NULL };
	struct model *m = c->m;
	struct monitoring_settings *s = &m->monitoring;
	const struct ynode *n = ytree_get(root, "monitoring");
	const char *why;
	if (!n || !expect_map(c, n, "monitoring", keys))
		return;
	s->pos = pos_of(c, n);
	s->retention_days = MON_RETENTION_DAYS_DEFAULT;
	s->smtp_require_tls = true;
	if (require(c, n, "host", "monitoring") && get_str(c, n, "host", &s->host) && !model_find_host(m, s->host)) {
		struct buf b;
		buf_init(&b);
		host_list(m, &b);
		err_at(c, ytree_get(n, "host"), "monitoring.host names host '%s', which is not under hosts (expected one of: %s)",
		       s->host, b.data ? b.data : "");
		buf_free(&b);
	}
	get_uint(c, n, "retention_days", 1, 3650, &s->retention_days);
	const struct ynode *v;
	if ((v = ytree_get(n, "allow_from")))
		parse_source_nets(c, v, "monitoring.allow_from", &s->allow_from, &s->n_allow_from);
	else if (m->n_ssh_from) {
		/* Default: the admin networks that already reach SSH. */
		s->allow_from = xcalloc(m->n_ssh_from, sizeof *s->allow_from);
		for (size_t i = 0; i < m->n_ssh_from; i++) {
			s->allow_from[i] = m->ssh_from[i];
			s->allow_from[i].name = xstrdup(m->ssh_from[i].name);
		}
		s->n_allow_from = m->n_ssh_from;
	}
	if (get_str(c, n, "app_health", &s->app_health) && (why = syntax_url_path(s->app_health)))
		err_at(c, ytree_get(n, "app_health"), "app_health '%s' %s", s->app_health, why);
	if ((v = ytree_get(n, "receivers")))
		parse_receivers(c, v);
	if ((v = ytree_get(n, "smtp")))
		parse_smtp(c, v);
	for (size_t i = 0; i < s->n_receivers && !s->smtp_smarthost && !ytree_get(n, "smtp"); i++)
		if (s->receivers[i].kind == RECEIVER_EMAIL) {
			diags_add(c->d, c->file, s->receivers[i].pos.line, s->receivers[i].pos.col,
				  "an email receiver needs monitoring.smtp (smarthost and from) to send through");
			break;
		}
	if ((v = ytree_get(n, "archive_drops")))
		parse_archive(c, v);
	if (!monitoring_on(m))
		return;
	for (size_t i = 0; i < m->n_hosts; i++)
		if (!m->hosts[i].name)
			return;   /* refused where it is written; no port or flow can name it */
	check_reserved_ports(c);
	check_app_port(c, n);
	monitoring_derive_flows(m);
}
