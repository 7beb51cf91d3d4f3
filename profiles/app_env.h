/* The app's environment file (/etc/kiln/app.env on the app host): every
 * roles.app.env template rendered, in the syntax of what reads the file.
 *   systemd service   systemd's EnvironmentFile=: NAME="value", with \ " `
 *                     and $ escaped by a backslash; a line break is written
 *                     as it is inside the quotes (systemd reads a quoted
 *                     value across lines), so every value arrives exactly.
 *   container         podman's --env-file: NAME=value, the value verbatim
 *                     (podman keeps quotes and backslashes as they are) on
 *                     one line of at most APP_ENV_PODMAN_LINE_MAX bytes; a
 *                     value with a line break or carriage return cannot be
 *                     written there. `kiln check` refuses the templates
 *                     that could render one (env_template_multiline).
 * docs/profile.md ("The environment file") is the operator's version. */
#ifndef KILN_APP_ENV_H
#define KILN_APP_ENV_H
#include "lib/buf.h"
#include "profiles/model.h"

/* podman reads the file with a bufio.Scanner: a longer line is an error. */
#define APP_ENV_PODMAN_LINE_MAX 65535

/* One NAME=value line in the syntax of service type t, appended to out.
 * 0, or -EINVAL when the value cannot be written in that syntax (*why: a
 * static reason, never the value). */
int app_env_line(enum app_service_type t, struct buf *out, const char *name, const char *value, const char **why);

/* The whole file for the model's service type: each template expanded with
 * secret(ud, name). 0, or -EINVAL / -ENOKEY with *why a malloc'd reason
 * naming the variable (never a value). out holds secrets: buf_wipe() it. */
int app_env_render(const struct model *m, const char *(*secret)(void *, const char *), void *ud,
		   struct buf *out, char **why);
#endif
