#include "profiles/env_template.h"
#include "profiles/secrets_catalog.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A peer's reachable name: its static address, or its FQDN when it uses DHCP. */
static void put_host(const struct model *m, const struct host *h, struct buf *out)
{
	if (!out)
		return;
	if (h->dhcp) {
		buf_puts(out, h->name);
		if (m->domain && *m->domain) {
			buf_putc(out, '.');
			buf_puts(out, m->domain);
		}
	} else {
		char a[16];
		buf_puts(out, ipv4_fmt(h->address, a));
	}
}

static void put(struct buf *out, const char *s)
{
	if (out)
		buf_puts(out, s ? s : "");
}

/* One `${ref}`; 0, -EINVAL (msg set) or -ENOKEY (msg set). */
static int expand_ref(const struct model *m, const char *ref, const char *(*secret)(void *, const char *),
		      void *ud, struct buf *out, char **msg)
{
	const char *dot = strchr(ref, '.');
	const char *arg = dot ? dot + 1 : "";
	size_t kl = dot ? (size_t)(dot - ref) : strlen(ref);

	if (kl == 4 && !strncmp(ref, "host", 4)) {
		const struct host *h = model_find_host(m, arg);
		if (!h) {
			*msg = xasprintf("${%s} names no host of this profile", ref);
			return -EINVAL;
		}
		put_host(m, h, out);
		return 0;
	}
	if (kl == 4 && !strncmp(ref, "role", 4)) {
		int r = role_from_name(arg);
		if (r < 0) {
			*msg = xasprintf("${%s}: unknown role '%s' (expected app, mysql or minio)", ref, arg);
			return -EINVAL;
		}
		for (size_t i = 0; i < m->n_hosts; i++)
			if ((int)m->hosts[i].role == r) {
				put_host(m, &m->hosts[i], out);
				return 0;
			}
		*msg = xasprintf("${%s}: no host has role %s", ref, arg);
		return -EINVAL;
	}
	if (kl == 6 && !strncmp(ref, "secret", 6)) {
		if (!secret_known(m, arg)) {
			*msg = xasprintf("${%s}: this deployment has no secret '%s' (declare it under "
					 "roles.app.secrets, or use a built-in one such as mysql_app_password)",
					 ref, arg);
			return -EINVAL;
		}
		if (!out)
			return 0;
		const char *v = secret ? secret(ud, arg) : NULL;
		if (!v) {
			*msg = xasprintf("secret '%s' is not available", arg);
			return -ENOKEY;
		}
		buf_puts(out, v);
		return 0;
	}
	if (!strcmp(ref, "mysql.database")) {
		put(out, m->roles.mysql.database);
		return 0;
	}
	if (!strcmp(ref, "mysql.user")) {
		put(out, m->roles.mysql.user);
		return 0;
	}
	if (!strcmp(ref, "deployment.name")) {
		put(out, m->name);
		return 0;
	}
	if (!strcmp(ref, "deployment.domain")) {
		put(out, m->domain);
		return 0;
	}
	*msg = xasprintf("unknown template reference ${%s} (expected ${host.NAME}, ${role.ROLE}, "
			 "${secret.NAME}, ${mysql.database}, ${mysql.user}, ${deployment.name} or "
			 "${deployment.domain})", ref);
	return -EINVAL;
}

static int walk(const struct model *m, const char *tmpl, const char *(*secret)(void *, const char *),
		void *ud, struct buf *out, size_t *err_off, char **err_msg)
{
	const char *p = tmpl;
	while (*p) {
		if (p[0] == '$' && p[1] == '$') {
			if (out)
				buf_putc(out, '$');
			p += 2;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			if (out)
				buf_putc(out, *p);
			p++;
			continue;
		}
		const char *end = strchr(p + 2, '}');
		char *msg = NULL;
		int r;
		if (!end) {
			msg = xasprintf("unterminated ${ (write $$ for a literal $)");
			r = -EINVAL;
		} else {
			char *ref = xstrndup(p + 2, (size_t)(end - p - 2));
			r = expand_ref(m, ref, secret, ud, out, &msg);
			free(ref);
		}
		if (r < 0) {
			if (err_off)
				*err_off = (size_t)(p - tmpl);
			if (err_msg)
				*err_msg = msg;
			else
				free(msg);
			return r;
		}
		p = end + 1;
	}
	return 0;
}

int env_template_check(const struct model *m, const char *tmpl, size_t *err_off, char **err_msg)
{
	return walk(m, tmpl, NULL, NULL, NULL, err_off, err_msg);
}

int env_template_expand(const struct model *m, const char *tmpl,
			const char *(*secret)(void *, const char *), void *ud, struct buf *out)
{
	return walk(m, tmpl, secret, ud, out, NULL, NULL);
}
