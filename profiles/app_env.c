/* The app's environment file in systemd's or podman's syntax; see app_env.h. */
#include "profiles/app_env.h"
#include "profiles/env_template.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <string.h>

static void systemd_line(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (strchr("\\\"`$", *p))
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	buf_puts(out, "\"\n");
}

int app_env_line(enum app_service_type t, struct buf *out, const char *name, const char *value, const char **why)
{
	if (t == APP_SYSTEMD) {
		systemd_line(out, name, value);
		return 0;
	}
	if (strpbrk(value, "\n\r")) {
		*why = "a line break or carriage return cannot be written to podman's env file (one line per variable)";
		return -EINVAL;
	}
	if (strlen(name) + 1 + strlen(value) > APP_ENV_PODMAN_LINE_MAX) {
		*why = "the line would be longer than podman reads (65535 bytes)";
		return -EINVAL;
	}
	buf_printf(out, "%s=%s\n", name, value);
	return 0;
}

int app_env_render(const struct model *m, const char *(*secret)(void *, const char *), void *ud,
		   struct buf *out, char **why)
{
	for (size_t i = 0; i < m->roles.app.n_env; i++) {
		const struct env_var *e = &m->roles.app.env[i];
		struct buf v;
		buf_init(&v);
		int r = env_template_expand(m, e->tmpl, secret, ud, &v);
		const char *reason = NULL;
		if (r == 0)
			r = app_env_line(m->roles.app.type, out, e->name, v.data ? v.data : "", &reason);
		else
			reason = r == -ENOKEY ? "a secret it uses is not in the seed" : "its template is invalid";
		buf_wipe(&v);
		if (r < 0) {
			*why = xasprintf("environment variable %s: %s", e->name, reason);
			return r;
		}
	}
	return 0;
}
