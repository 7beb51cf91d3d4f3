/* roles: mysql, minio, app and lb settings, and the app's environment templates. */
#include "profiles/bucket_replication.h"
#include "profiles/env_template.h"
#include "profiles/galera.h"
#include "profiles/mysql_engine.h"
#include "profiles/names.h"
#include "profiles/schema.h"
#include "profiles/secrets_catalog.h"
#include "profiles/syntax.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

/* at pos of a host (its entry in hosts:) */
static void err_host(struct ctx *c, const struct host *h, char *msg)
{
	diags_add(c->d, h->pos.file ? h->pos.file : c->file, h->pos.line, h->pos.col, "%s", msg);
	free(msg);
}

/* roles.mysql.cluster: galera (the hosts are parsed already): Debian's
 * MariaDB and its galera-4, three or more mysql hosts (a majority survives
 * one lost node), no replica_of (every node takes writes), static
 * addresses (gcomm:// and the app's name list are written from them). */
static void check_galera(struct ctx *c, const struct ynode *at)
{
	const struct model *m = c->m;
	if (m->roles.mysql.engine != MYSQL_ENGINE_MARIADB)
		err_at(c, at, "cluster: galera is MariaDB's (Debian's galera-4); roles.mysql.engine mysql has none");
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->name && !strcmp(h->name, GALERA_SERVICE_NAME))
			err_host(c, h, xasprintf("host name '%s' is the name the app reaches the Galera cluster by "
						 "(${role.mysql}); rename the host", h->name));
		if (h->role != ROLE_MYSQL)
			continue;
		n++;
		if (h->replica_of)
			err_host(c, h, xasprintf("host '%s' has replica_of, but with roles.mysql.cluster: galera every "
						 "mysql host is a Galera node (remove replica_of)", h->name ? h->name : "?"));
		else if (h->dhcp)
			err_host(c, h, xasprintf("host '%s' takes its address by DHCP, but a Galera node needs a static "
						 "address (the cluster address lists every node's)", h->name ? h->name : "?"));
	}
	if (n < GALERA_MIN_NODES)
		err_at(c, at, "cluster: galera needs at least %d mysql hosts (a majority must survive a lost node); "
		       "the profile has %zu", GALERA_MIN_NODES, n);
}

static void parse_mysql(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "engine", "database", "user", "settings", "tls", "cluster", NULL };
	struct model *m = c->m;
	const char *why;
	if (!expect_map(c, n, "roles.mysql", keys))
		return;
	char *engine = NULL;
	if (get_str(c, n, "engine", &engine) && mysql_engine_parse(engine, &m->roles.mysql.engine) < 0)
		err_at(c, ytree_get(n, "engine"), "unknown engine '%s' (expected mariadb or mysql)", engine);
	free(engine);
	char *cluster = NULL;
	if (get_str(c, n, "cluster", &cluster)) {
		if (!strcmp(cluster, "galera"))
			m->roles.mysql.cluster = MYSQL_CLUSTER_GALERA;
		else if (strcmp(cluster, "none"))
			err_at(c, ytree_get(n, "cluster"), "unknown cluster '%s' (expected none or galera)", cluster);
		free(cluster);
		if (galera_on(m))
			check_galera(c, ytree_get(n, "cluster"));
	}
	if (get_str(c, n, "database", &m->roles.mysql.database) && (why = syntax_sql_identifier(m->roles.mysql.database, 64)))
		err_at(c, ytree_get(n, "database"), "database name '%s' %s", m->roles.mysql.database, why);
	if (get_str(c, n, "user", &m->roles.mysql.user) && (why = syntax_sql_identifier(m->roles.mysql.user, 32)))
		err_at(c, ytree_get(n, "user"), "user name '%s' %s", m->roles.mysql.user, why);
	get_bool(c, n, "tls", &m->roles.mysql.tls);
	const struct ynode *s = ytree_get(n, "settings");
	if (!s)
		return;
	if (s->type != YN_MAP) {
		err_at(c, s, "roles.mysql.settings must be a mapping of my.cnf option -> value, not %s",
		       ynode_type_name(s));
		return;
	}
	if (!expect_dict(c, s, "roles.mysql.settings"))
		return;
	m->roles.mysql.setting_keys = xcalloc(s->n + 1, sizeof(char *));
	m->roles.mysql.setting_values = xcalloc(s->n + 1, sizeof(char *));
	for (size_t i = 0; i < s->n; i++) {
		const char *k = s->keys[i]->value;
		if ((why = syntax_mycnf_option(k))) {
			err_at(c, s->keys[i], "my.cnf option name '%s' %s", k, why);
			continue;
		}
		char *v = NULL;
		if (!scalar_str(c, s->items[i], k, &v))
			continue;
		if ((why = syntax_mycnf_value(v))) {
			err_at(c, s->items[i], "my.cnf value for '%s' %s", k, why);
			free(v);
			continue;
		}
		size_t j = m->roles.mysql.n_settings++;
		m->roles.mysql.setting_keys[j] = xstrdup(k);
		m->roles.mysql.setting_values[j] = v;
	}
}

static void parse_minio(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "buckets", NULL };
	static const char *const bkeys[] = { "name", "versioning", "replicate_to", NULL };
	struct model *m = c->m;
	if (!expect_map(c, n, "roles.minio", keys))
		return;
	const struct ynode *l = ytree_get(n, "buckets");
	if (!l || !expect_seq(c, l, "roles.minio.buckets"))
		return;
	m->roles.minio.buckets = xcalloc(l->n + 1, sizeof *m->roles.minio.buckets);
	for (size_t i = 0; i < l->n; i++) {
		const struct ynode *b = l->items[i];
		if (!expect_map(c, b, "a bucket", bkeys))
			continue;
		struct bucket *bk = &m->roles.minio.buckets[m->roles.minio.n_buckets++];
		bk->pos = pos_of(c, b);
		const char *why;
		if (require(c, b, "name", "bucket") && get_str(c, b, "name", &bk->name)) {
			if ((why = name_check_s3_bucket(bk->name)))
				err_at(c, ytree_get(b, "name"), "bucket name '%s' %s", bk->name, why);
			for (const struct bucket *o = m->roles.minio.buckets; o < bk; o++)
				if (o->name && !strcmp(o->name, bk->name))
					err_at(c, ytree_get(b, "name"), "duplicate bucket '%s'", bk->name);
		}
		get_bool(c, b, "versioning", &bk->versioning);
		const struct ynode *rt = ytree_get(b, "replicate_to");
		if (rt)
			parse_bucket_replica(c, bk, rt);
	}
}

/* Points into a template value: quoted scalars start one column later. */
/* Point at the bad reference itself: find its text in the value's source
 * (quoting and escapes make offsets in the parsed value differ), on the
 * value's first line; otherwise point at the value. */
static void template_error(struct ctx *c, const struct ynode *v, const char *tmpl, size_t off, const char *msg)
{
	unsigned col = v->col;
	const char *ref = tmpl + off, *close = strchr(ref, '}');
	size_t rl = close ? (size_t)(close - ref) + 1 : strlen(ref);
	if (v->end <= c->src_len && v->start < v->end) {
		const char *s = c->src + v->start, *e = c->src + v->end;
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *hit = memmem(s, (size_t)((nl ? nl : e) - s), ref, rl);
		if (hit)
			for (const char *p = s; p < hit; p++)
				col += ((unsigned char)*p & 0xc0) != 0x80;   /* libyaml counts characters */
	}
	diags_add(c->d, c->file, v->line, col, "%s", msg);
}

/* A reference podman can pull without a search list: its first component
 * is a registry host (has a '.' or a ':port'), not "localhost". */
static bool image_names_registry(const char *image)
{
	const char *slash = strchr(image, '/');
	if (!slash)
		return false;
	size_t n = (size_t)(slash - image);
	return !(n == 9 && !strncmp(image, "localhost", 9)) && (memchr(image, '.', n) || memchr(image, ':', n));
}

/* service.archive: a build-machine file kiln build copies into the image
 * (checked there); here its form and what goes with it. */
static void check_archive(struct ctx *c, const struct ynode *svc)
{
	const struct model *m = c->m;
	const struct ynode *a = ytree_get(svc, "archive");
	const char *p = m->roles.app.archive;
	if (m->roles.app.type != APP_CONTAINER) {
		err_at(c, a, "'archive' is for type: container (this service is systemd)");
		return;
	}
	bool ctl = false;
	for (const unsigned char *q = (const unsigned char *)p; *q; q++)
		ctl |= *q < 0x20 || *q == 0x7f;
	if (!*p || ctl || strlen(p) > 4096)
		err_at(c, a, "service.archive must be a file path (1 to 4096 characters, no control characters)");
	else if (m->roles.app.image && app_image_is_transport(m->roles.app.image))
		err_at(c, ytree_get(svc, "image"), "with service.archive, 'image' names the image the archive holds "
		       "(e.g. localhost/app:1.0), not a transport:path");
}

static void parse_app(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "service", "env", "secrets", "tls", "load_balancer", NULL };
	static const char *const lb_keys[] = { "external", NULL };
	static const char *const svc_keys[] = { "type", "exec", "image", "archive", "port", NULL };
	static const char *const tls_keys[] = { "cert", "key", "server_name", NULL };
	struct model *m = c->m;
	const char *why;
	if (!expect_map(c, n, "roles.app", keys))
		return;
	const struct ynode *svc = ytree_get(n, "service");
	m->roles.app.port = 8000;
	if (svc && expect_map(c, svc, "roles.app.service", svc_keys)) {
		char *type = NULL;
		bool type_ok = true;
		if (get_str(c, svc, "type", &type)) {
			if (!strcmp(type, "container"))
				m->roles.app.type = APP_CONTAINER;
			else if (strcmp(type, "systemd") != 0) {
				err_at(c, ytree_get(svc, "type"), "unknown service type '%s' (expected systemd or container)", type);
				type_ok = false;
			}
		} else if (ytree_get(svc, "type"))
			type_ok = false;
		free(type);
		if (get_str(c, svc, "exec", &m->roles.app.exec) && (why = syntax_systemd_exec(m->roles.app.exec)))
			err_at(c, ytree_get(svc, "exec"), "service.exec '%s' %s", m->roles.app.exec, why);
		if (get_str(c, svc, "image", &m->roles.app.image) && (why = syntax_container_image(m->roles.app.image)))
			err_at(c, ytree_get(svc, "image"), "service.image '%s' %s", m->roles.app.image, why);
		/* exec/image consistency depends on the type: with a bad type, say nothing more. */
		if (!type_ok)
			(void)0;
		else if (m->roles.app.type == APP_SYSTEMD && !m->roles.app.exec)
			err_at(c, svc, "a systemd service needs 'exec' (the command line to run)");
		else if (m->roles.app.type == APP_CONTAINER && !m->roles.app.image)
			err_at(c, svc, "a container service needs 'image' (an image reference, with service.archive "
			       "holding it or a registry to pull it from, or a transport:path)");
		else if (m->roles.app.type == APP_SYSTEMD && m->roles.app.image)
			err_at(c, ytree_get(svc, "image"), "'image' is for type: container (this service is systemd)");
		else if (m->roles.app.type == APP_CONTAINER && m->roles.app.exec)
			err_at(c, ytree_get(svc, "exec"), "'exec' is for type: systemd (this service is a container)");
		if (get_str(c, svc, "archive", &m->roles.app.archive) && type_ok)
			check_archive(c, svc);
		else if (type_ok && m->roles.app.type == APP_CONTAINER && m->roles.app.image &&
			 !syntax_container_image(m->roles.app.image) && app_image_source(m) == APP_IMAGE_REGISTRY &&
			 !image_names_registry(m->roles.app.image))
			err_at(c, ytree_get(svc, "image"), "service.image '%s' is pulled from its registry at first boot, "
			       "so it must name the registry (e.g. registry.example.com/team/app:1.0); or give the "
			       "image as service.archive", m->roles.app.image);
		unsigned port;
		if (get_uint(c, svc, "port", 1, 65535, &port))
			m->roles.app.port = (uint16_t)port;
	}
	if (get_strv(c, n, "secrets", &m->roles.app.secrets, &m->roles.app.n_secrets))
		for (size_t i = 0; i < m->roles.app.n_secrets; i++) {
			const char *s = m->roles.app.secrets[i];
			const struct ynode *sn = ytree_get(n, "secrets")->items[i];
			if ((why = name_check_identifier(s, 64)))
				err_at(c, sn, "secret name '%s' %s", s, why);
			for (const struct secret_def *d = secret_catalog; d->name; d++)
				if (!strcmp(d->name, s))
					err_at(c, sn, "secret '%s' is built in; do not list it under roles.app.secrets", s);
			for (size_t j = 0; j < i; j++)
				if (!strcmp(m->roles.app.secrets[j], s))
					err_at(c, sn, "duplicate secret '%s'", s);
		}
	const struct ynode *tls = ytree_get(n, "tls");
	if (tls && expect_map(c, tls, "roles.app.tls", tls_keys)) {
		get_str(c, tls, "cert", &m->roles.app.tls_cert);
		get_str(c, tls, "key", &m->roles.app.tls_key);
		if (!m->roles.app.tls_cert != !m->roles.app.tls_key)
			err_at(c, tls, "roles.app.tls needs both 'cert' and 'key' (or neither, for a generated certificate)");
		if (get_str(c, tls, "server_name", &m->roles.app.server_name) &&
		    (why = name_check_domain(m->roles.app.server_name)))
			err_at(c, ytree_get(tls, "server_name"), "server_name '%s' %s", m->roles.app.server_name, why);
	}
	const struct ynode *lb = ytree_get(n, "load_balancer");
	if (lb && expect_map(c, lb, "roles.app.load_balancer", lb_keys)) {
		const struct ynode *ext = ytree_get(lb, "external");
		if (!ext)
			err_at(c, lb, "roles.app.load_balancer needs 'external' (the subnets or CIDRs your own load "
			       "balancer connects from)");
		else
			parse_source_nets(c, ext, "roles.app.load_balancer.external", &m->roles.app.lb_external,
					  &m->roles.app.n_lb_external);
		if (ext && ext->type == YN_SEQ && ext->n == 0)
			err_at(c, ext, "roles.app.load_balancer.external is empty (name at least one subnet or CIDR)");
	}
	const struct ynode *env = ytree_get(n, "env");
	if (!env)
		return;
	if (env->type != YN_MAP) {
		err_at(c, env, "roles.app.env must be a mapping of NAME -> template, not %s", ynode_type_name(env));
		return;
	}
	if (!expect_dict(c, env, "roles.app.env"))
		return;
	m->roles.app.env = xcalloc(env->n + 1, sizeof *m->roles.app.env);
	for (size_t i = 0; i < env->n; i++) {
		const struct ynode *k = env->keys[i], *v = env->items[i];
		if ((why = syntax_env_name(k->value))) {
			err_at(c, k, "environment variable '%s' %s", k->value, why);
			continue;
		}
		struct env_var *e = &m->roles.app.env[m->roles.app.n_env];
		/* Plain numbers and booleans are fine as environment values. */
		if (v->type != YN_SCALAR) {
			err_at(c, v, "environment value for '%s' must be a string, not %s", k->value, ynode_type_name(v));
			continue;
		}
		if ((why = syntax_env_value(v->value))) {
			err_at(c, v, "environment value for '%s' %s", k->value, why);
			continue;
		}
		e->name = xstrdup(k->value);
		e->tmpl = xstrdup(v->value);
		e->pos = pos_of(c, v);
		m->roles.app.n_env++;
	}
}

/* The node an env value came from: with a duplicate key (itself an error)
 * the first one of that name may hold another value. */
static const struct ynode *env_value_node(const struct ynode *env, const struct env_var *e)
{
	const struct ynode *v = ytree_get(env, e->name);
	for (size_t j = 0; j < env->n; j++)
		if (!strcmp(env->keys[j]->value, e->name) && env->items[j]->type == YN_SCALAR &&
		    !strcmp(env->items[j]->value, e->tmpl))
			v = env->items[j];
	return v;
}

/* Templates refer to hosts, roles and secrets: checked once everything is
 * known. A container's env file holds one line per variable. */
static void check_templates(struct ctx *c, const struct ynode *env)
{
	struct model *m = c->m;
	for (size_t i = 0; i < m->roles.app.n_env; i++) {
		const struct env_var *e = &m->roles.app.env[i];
		size_t off = 0;
		char *msg = NULL;
		if (env_template_check(m, e->tmpl, &off, &msg) < 0) {
			template_error(c, env_value_node(env, e), e->tmpl, off, msg);
			free(msg);
		} else if (m->roles.app.type == APP_CONTAINER && env_template_multiline(m, e->tmpl, &off) > 0)
			template_error(c, env_value_node(env, e), e->tmpl, off,
				       "this reference renders several lines, which podman's env file cannot carry "
				       "(one line per variable): add |url, or run the app as a systemd service");
	}
}

static void parse_lb(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "tls", "virtual_address", "health_check", NULL };
	struct model *m = c->m;
	const char *why;
	if (!expect_map(c, n, "roles.lb", keys))
		return;
	m->roles.lb.pos = pos_of(c, n);
	char *tls = NULL;
	if (get_str(c, n, "tls", &tls)) {
		if (!strcmp(tls, "passthrough"))
			m->roles.lb.tls = LB_TLS_PASSTHROUGH;
		else if (strcmp(tls, "terminate") != 0)
			err_at(c, ytree_get(n, "tls"), "unknown roles.lb.tls '%s' (expected terminate or passthrough)", tls);
	}
	free(tls);
	const struct ynode *va = ytree_get(n, "virtual_address");
	if (va)
		scalar_ipv4(c, va, "roles.lb.virtual_address", &m->roles.lb.virtual_address);
	if (get_str(c, n, "health_check", &m->roles.lb.health_check) &&
	    (why = syntax_url_path(m->roles.lb.health_check)))
		err_at(c, ytree_get(n, "health_check"), "health_check '%s' %s", m->roles.lb.health_check, why);
}

/* The lb hosts against the rest: one or two, app hosts behind them, and
 * with two a virtual address both can hold (same subnet, static addresses,
 * unicast VRRP between them). */
static void check_lb(struct ctx *c, const struct ynode *roles)
{
	struct model *m = c->m;
	const struct ynode *lbn = roles && roles->type == YN_MAP ? ytree_get(roles, "lb") : NULL;
	const struct ynode *va = lbn && lbn->type == YN_MAP ? ytree_get(lbn, "virtual_address") : NULL;
	const struct host *lb[2] = { NULL, NULL };
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->role != ROLE_LB)
			continue;
		if (n == 2) {
			diags_add(c->d, c->file, h->pos.line, h->pos.col, "host '%s': at most two hosts may have role lb "
				  "(two share a virtual address; more add nothing)", h->name ? h->name : "?");
			continue;
		}
		lb[n++] = h;
		if (h->dhcp)
			diags_add(c->d, c->file, h->pos.line, h->pos.col, "host '%s' has role lb, which needs a static "
				  "address (clients and the app hosts' firewalls are given it)", h->name ? h->name : "?");
	}
	for (size_t i = 0; n && i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->role == ROLE_APP && h->dhcp)
			diags_add(c->d, c->file, h->pos.line, h->pos.col, "app host '%s' has a DHCP address, but the lb "
				  "hosts forward to each app host by its address: give it a static one", h->name ? h->name : "?");
	}
	if (n && !model_has_role(m, ROLE_APP))
		diags_add(c->d, c->file, lb[0]->pos.line, lb[0]->pos.col, "host '%s' has role lb but no host has role "
			  "app (the load balancer forwards to the app hosts)", lb[0]->name ? lb[0]->name : "?");
	if (n && m->roles.app.n_lb_external) {
		const struct endpoint *e = &m->roles.app.lb_external[0];
		diags_add(c->d, c->file, e->pos.line, e->pos.col, "roles.app.load_balancer.external is for a load "
			  "balancer of your own; this profile has lb hosts (host '%s'): use one or the other",
			  lb[0]->name ? lb[0]->name : "?");
	}
	if (!n && lbn) {
		err_at(c, lbn, "roles.lb is given but no host has role lb");
		return;
	}
	uint32_t vip = m->roles.lb.virtual_address;
	if (n == 2 && !va) {
		struct src_pos at = lbn ? pos_of(c, lbn) : lb[1]->pos;
		diags_add(c->d, c->file, at.line, at.col, "two hosts have role lb ('%s', '%s'): roles.lb.virtual_address "
			  "is required (the address keepalived moves between them)", lb[0]->name ? lb[0]->name : "?",
			  lb[1]->name ? lb[1]->name : "?");
		return;
	}
	if (n == 1 && va) {
		err_at(c, va, "roles.lb.virtual_address needs two lb hosts (host '%s' is the only one: clients use "
		       "its address)", lb[0]->name ? lb[0]->name : "?");
		return;
	}
	if (n != 2 || !vip || c->subnets_bad)
		return;
	if (lb[0]->subnet != lb[1]->subnet) {
		diags_add(c->d, c->file, lb[1]->pos.line, lb[1]->pos.col, "lb hosts '%s' and '%s' are in different "
			  "subnets: the virtual address moves between hosts of one subnet", lb[0]->name ? lb[0]->name : "?",
			  lb[1]->name ? lb[1]->name : "?");
		return;
	}
	const struct subnet *s = model_host_subnet(m, lb[0]);
	char a[16], net[19];
	ipv4_fmt(vip, a);
	if (!s)
		return;
	ipv4_net_fmt(&s->cidr, net);
	if (!ipv4_net_contains(&s->cidr, vip))
		err_at(c, va, "roles.lb.virtual_address %s is outside subnet '%s' (%s) of the lb hosts", a, s->name, net);
	else if (s->cidr.prefix < 31 && (vip == s->cidr.addr || vip == ipv4_broadcast(&s->cidr)))
		err_at(c, va, "roles.lb.virtual_address %s is the network or broadcast address of subnet '%s' (%s)", a,
		       s->name, net);
	else if (vip == s->gateway)
		err_at(c, va, "roles.lb.virtual_address %s is the gateway of subnet '%s'", a, s->name);
	else
		for (size_t i = 0; i < m->n_hosts; i++)
			if (!m->hosts[i].dhcp && m->hosts[i].address == vip) {
				err_at(c, va, "roles.lb.virtual_address %s is host '%s''s address", a,
				       m->hosts[i].name ? m->hosts[i].name : "?");
				break;
			}
}

void parse_roles(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "mysql", "minio", "app", "lb", NULL };
	struct model *m = c->m;
	const struct ynode *r = ytree_get(root, "roles");
	if (r && expect_map(c, r, "roles", keys)) {
		const struct ynode *n;
		if ((n = ytree_get(r, "mysql")))
			parse_mysql(c, n);
		if ((n = ytree_get(r, "minio")))
			parse_minio(c, n);
		if ((n = ytree_get(r, "app"))) {
			parse_app(c, n);
			const struct ynode *env = ytree_get(n, "env");
			if (env && env->type == YN_MAP)
				check_templates(c, env);
		}
		if ((n = ytree_get(r, "lb")))
			parse_lb(c, n);
	}
	check_lb(c, r && r->type == YN_MAP ? r : NULL);
	if (!m->roles.mysql.database)
		m->roles.mysql.database = xstrdup("app");
	if (!m->roles.mysql.user)
		m->roles.mysql.user = xstrdup("app");
	if (!(r && ytree_get(r, "app")))
		m->roles.app.port = 8000;
	const struct ynode *app = r && r->type == YN_MAP ? ytree_get(r, "app") : NULL;
	bool has_service = app && app->type == YN_MAP && ytree_get(app, "service");
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_APP && !has_service) {
			err_at(c, app ? app : r ? r : root, "host '%s' has role app but roles.app.service is missing "
			       "(expected {type, exec or image, port})", m->hosts[i].name ? m->hosts[i].name : "?");
			break;
		}
}
