/* The app's environment file /etc/kiln/app.env, read by systemd
 * (EnvironmentFile=) and by podman (--env-file): one NAME="value" line per
 * roles.app.env entry. systemd ends a line at a line break or a carriage
 * return, so either inside a value would start another variable (LD_PRELOAD=,
 * say); other control characters have no business in a setting. The
 * rendered values kiln inserts (addresses, names, generated secrets) never
 * hold any; a multi-line secret (tls_key) is escaped by the writer. */
#include "profiles/syntax.h"
#include <stddef.h>

const char *syntax_env_name(const char *s)
{
	static const char why[] = "must be an environment variable name: [A-Za-z_][A-Za-z0-9_]*";
	if (!*s || (s[0] >= '0' && s[0] <= '9'))
		return why;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return why;
	return NULL;
}

const char *syntax_env_value(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "must be one line without control characters (systemd reads a line break or carriage "
			       "return in the environment file as the start of another variable)";
	return NULL;
}
