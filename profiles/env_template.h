/* The app's environment templates: `${host.NAME}`, `${role.ROLE}`,
 * `${secret.NAME}`, `${mysql.database}`, `${mysql.user}`,
 * `${deployment.name}`, `${deployment.domain}`; `$$` is a literal `$`.
 * docs/profile.md describes them for operators. */
#ifndef KILN_ENV_TEMPLATE_H
#define KILN_ENV_TEMPLATE_H
#include <stddef.h>
#include "lib/buf.h"
#include "profiles/model.h"

/* Validate a template against the model (peers exist, secrets are known).
 * Returns 0, or -EINVAL with *err_off = byte offset of the bad reference in
 * tmpl and *err_msg a malloc'd explanation (caller frees). */
int env_template_check(const struct model *m, const char *tmpl, size_t *err_off, char **err_msg);

/* Render a template into out (appended). secret(ud, name) returns the
 * secret's value or NULL. Returns 0, -EINVAL for a bad template, -ENOKEY when
 * a secret is unavailable. The output may hold secrets: buf_wipe() it. */
int env_template_expand(const struct model *m, const char *tmpl,
			const char *(*secret)(void *, const char *), void *ud, struct buf *out);
#endif
