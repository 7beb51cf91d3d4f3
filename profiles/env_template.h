/* The app's environment templates: `${host.NAME}`, `${role.ROLE}`,
 * `${secret.NAME}`, `${mysql.database}`, `${mysql.user}`,
 * `${deployment.name}`, `${deployment.domain}`; `$$` is a literal `$`.
 * A reference may end in filters, applied left to right: `|url`
 * percent-encodes every byte but RFC 3986's unreserved characters
 * (A-Z a-z 0-9 - . _ ~), so the value is safe in a URL's userinfo, a path
 * segment or a query value (`mysql://u:${secret.x|url}@host/db`).
 * docs/profile.md describes them for operators. */
#ifndef KILN_ENV_TEMPLATE_H
#define KILN_ENV_TEMPLATE_H
#include <stddef.h>
#include "lib/buf.h"
#include "profiles/model.h"

/* Validate a template against the model (peers exist, secrets are known,
 * filters exist). Returns 0, or -EINVAL with *err_off = byte offset of the
 * bad reference's `$` in tmpl and *err_msg a malloc'd explanation (caller
 * frees). */
int env_template_check(const struct model *m, const char *tmpl, size_t *err_off, char **err_msg);

/* Can the template's value span lines? 1 when a reference renders a
 * multi-line value (a PEM key: ${secret.tls_key}) without a filter that
 * encodes line breaks, *off its `$`; 0 when not; -EINVAL for a template
 * env_template_check refuses. */
int env_template_multiline(const struct model *m, const char *tmpl, size_t *off);

/* Render a template into out (appended). secret(ud, name) returns the
 * secret's value or NULL. Returns 0, -EINVAL for a bad template, -ENOKEY when
 * a secret is unavailable. The output may hold secrets: buf_wipe() it. */
int env_template_expand(const struct model *m, const char *tmpl,
			const char *(*secret)(void *, const char *), void *ud, struct buf *out);

/* `|url`: s percent-encoded as above, appended to out. */
void env_url_encode(struct buf *out, const char *s, size_t len);
#endif
