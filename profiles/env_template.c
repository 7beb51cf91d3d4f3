#include "profiles/env_template.h"
#include "profiles/galera.h"
#include "profiles/secrets_catalog.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One pass over a template: checking (out NULL), rendering, or looking for
 * a multi-line value. */
struct walk {
	const struct model *m;
	const char *(*secret)(void *, const char *);
	void *ud;
	struct buf *out;             /* NULL: check only */
	bool multiline;              /* set when a reference renders line breaks unencoded */
	size_t off;                  /* the `$` of the reference at fault, or of the multi-line one */
	char *msg;
};

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

/* One reference without its filters; 0, -EINVAL (msg set) or -ENOKEY (msg
 * set). *lines: the value may hold line breaks. */
static int expand_ref(struct walk *w, const char *ref, struct buf *out, bool *lines)
{
	const struct model *m = w->m;
	const char *dot = strchr(ref, '.');
	const char *arg = dot ? dot + 1 : "";
	size_t kl = dot ? (size_t)(dot - ref) : strlen(ref);

	if (kl == 4 && !strncmp(ref, "host", 4)) {
		const struct host *h = model_find_host(m, arg);
		if (!h) {
			w->msg = xasprintf("${%s} names no host of this profile", ref);
			return -EINVAL;
		}
		put_host(m, h, out);
		return 0;
	}
	if (kl == 4 && !strncmp(ref, "role", 4)) {
		int r = role_from_name(arg);
		if (r < 0) {
			w->msg = xasprintf("${%s}: unknown role '%s' (expected app, mysql, minio or lb)", ref, arg);
			return -EINVAL;
		}
		/* Galera: the name every host's /etc/hosts gives every node
		 * (profiles/galera.h), so the app reaches whichever is up */
		if (r == ROLE_MYSQL && galera_on(m) && galera_bootstrapper(m)) {
			if (out)
				buf_printf(out, "%s.%s", GALERA_SERVICE_NAME, m->domain);
			return 0;
		}
		/* a replica is never "the" mysql host: the app writes to the
		 * primary (replica_of always names one) */
		for (size_t i = 0; i < m->n_hosts; i++)
			if ((int)m->hosts[i].role == r && !m->hosts[i].replica_of) {
				put_host(m, &m->hosts[i], out);
				return 0;
			}
		w->msg = xasprintf("${%s}: no host has role %s", ref, arg);
		return -EINVAL;
	}
	if (kl == 6 && !strncmp(ref, "secret", 6)) {
		if (!secret_known(m, arg)) {
			w->msg = xasprintf("${%s}: this deployment has no secret '%s' (declare it under "
					   "roles.app.secrets, or use a built-in one such as mysql_app_password)",
					   ref, arg);
			return -EINVAL;
		}
		*lines = secret_kind_of(m, arg) == SECRET_TLS_KEY;   /* a PEM block */
		if (!out)
			return 0;
		const char *v = w->secret ? w->secret(w->ud, arg) : NULL;
		if (!v) {
			w->msg = xasprintf("secret '%s' is not available", arg);
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
	w->msg = xasprintf("unknown template reference ${%s} (expected ${host.NAME}, ${role.ROLE}, "
			   "${secret.NAME}, ${mysql.database}, ${mysql.user}, ${deployment.name} or "
			   "${deployment.domain})", ref);
	return -EINVAL;
}

void env_url_encode(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~')
			buf_putc(out, (char)c);
		else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

/* The filters after the first '|' of a reference, each known; their
 * number, or -EINVAL (msg set). Only `url` exists: it encodes line breaks. */
static int count_filters(struct walk *w, const char *text, const char *filters)
{
	int n = 0;
	for (const char *f = filters; f; n++) {
		const char *bar = strchr(f, '|');
		size_t len = bar ? (size_t)(bar - f) : strlen(f);
		if (len != 3 || strncmp(f, "url", 3)) {
			w->msg = xasprintf("${%s}: unknown filter '%.*s' (expected url)", text, (int)len, f);
			return -EINVAL;
		}
		f = bar ? bar + 1 : NULL;
	}
	return n;
}

/* `${text}`, text being "ref|filter|...": the filters apply left to right. */
static int reference(struct walk *w, const char *text)
{
	const char *bar = strchr(text, '|');
	_cleanup_free_ char *ref = bar ? xstrndup(text, (size_t)(bar - text)) : xstrdup(text);
	bool lines = false;
	int n = bar ? count_filters(w, text, bar + 1) : 0;
	if (n < 0)
		return n;
	if (!w->out || !n) {
		int r = expand_ref(w, ref, w->out, &lines);
		w->multiline |= r == 0 && lines && !n;
		return r;
	}
	struct buf v;
	buf_init(&v);
	int r = expand_ref(w, ref, &v, &lines);
	for (int i = 0; r == 0 && i < n; i++) {
		struct buf e;
		buf_init(&e);
		env_url_encode(&e, v.data ? v.data : "", v.len);
		buf_wipe(&v);
		v = e;
	}
	if (r == 0)
		buf_append(w->out, v.data ? v.data : "", v.len);
	buf_wipe(&v);
	return r;
}

static int walk(struct walk *w, const char *tmpl)
{
	const char *p = tmpl;
	while (*p) {
		if (p[0] == '$' && p[1] == '$') {
			if (w->out)
				buf_putc(w->out, '$');
			p += 2;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			if (w->out)
				buf_putc(w->out, *p);
			p++;
			continue;
		}
		const char *end = strchr(p + 2, '}');
		int r;
		bool was = w->multiline;
		if (!end) {
			w->msg = xasprintf("unterminated ${ (write $$ for a literal $)");
			r = -EINVAL;
		} else {
			_cleanup_free_ char *text = xstrndup(p + 2, (size_t)(end - p - 2));
			r = reference(w, text);
		}
		if (r < 0 || (w->multiline && !was))
			w->off = (size_t)(p - tmpl);
		if (r < 0)
			return r;
		p = end + 1;
	}
	return 0;
}

int env_template_check(const struct model *m, const char *tmpl, size_t *err_off, char **err_msg)
{
	struct walk w = { .m = m };
	int r = walk(&w, tmpl);
	if (r < 0 && err_off)
		*err_off = w.off;
	if (r < 0 && err_msg)
		*err_msg = TAKE_PTR(w.msg);
	free(w.msg);
	return r;
}

int env_template_multiline(const struct model *m, const char *tmpl, size_t *off)
{
	struct walk w = { .m = m };
	int r = walk(&w, tmpl);
	free(w.msg);
	if (r < 0)
		return r;
	if (w.multiline && off)
		*off = w.off;
	return w.multiline;
}

int env_template_expand(const struct model *m, const char *tmpl,
			const char *(*secret)(void *, const char *), void *ud, struct buf *out)
{
	struct walk w = { .m = m, .secret = secret, .ud = ud, .out = out };
	int r = walk(&w, tmpl);
	free(w.msg);
	return r;
}
