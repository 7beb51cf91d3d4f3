/* The app's service unit, written by kiln-firstboot (firstboot/step_role.c):
 *   Description=kiln app service (container IMAGE)
 *   ExecStart=EXEC                                   (type systemd)
 *   ExecStart=/usr/bin/podman run ... IMAGE          (type container)
 * systemd reads the unit line by line, joins a line that ends in '\' with
 * the next one, expands %-specifiers in every value, and reads the
 * characters before ExecStart='s program as flags: '+' and '!' would run the
 * app with full privileges despite DynamicUser=yes. */
#include "profiles/syntax.h"
#include <stdbool.h>
#include <string.h>

static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One command line: the program's absolute path first (so no prefix flag
 * can precede it), quotes closed, no trailing '\', '%' only as "%%", and no
 * lone ';' word (which would start a second command). Words may use
 * systemd's quoting, escapes and $VARIABLES from the environment file. */
const char *syntax_systemd_exec(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "must not be empty";
	if (n > SYNTAX_EXEC_MAX)
		return "must be at most 4096 characters";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "must be one line without control characters (a line break would add directives to the unit)";
	if (s[0] != '/')
		return "must start with the program's absolute path (systemd reads a leading '@', '-', ':', '+', '!' or '|' "
		       "as a flag, and '+' or '!' would run the app with full privileges)";
	char quote = 0;
	const char *word = NULL;   /* start of the current word, NULL between words */
	for (const char *p = s;; p++) {
		if (!quote && (*p == ' ' || *p == '\0')) {
			if (word && p - word == 1 && *word == ';')
				return "must be one command (a ';' word separates commands, which a service's ExecStart= does not take)";
			word = NULL;
			if (!*p)
				return NULL;
			continue;
		}
		if (!*p)
			return "has an unterminated quote (systemd would refuse the unit)";
		if (!word)
			word = p;
		if (*p == '\\') {
			if (!p[1])
				return "must not end with '\\' (systemd would join the unit's next line to the command)";
			p++;
		} else if (*p == '%') {
			if (p[1] != '%')
				return "must write '%' as '%%' (systemd expands %-specifiers in the unit)";
			p++;
		} else if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '"' || *p == '\''))
			quote = *p;
	}
}

/* One word of podman's command line, also shown in Description=: an image
 * reference or a transport:path, nothing podman could read as an option
 * (a leading '-') or as more arguments (a space), nothing systemd would
 * expand ('%', '$') or unquote. */
const char *syntax_container_image(const char *s)
{
	static const char why[] =
		"must be an image reference ([registry/]name[:tag][@digest]) or a transport:path such as "
		"oci-archive:/srv/app.tar: up to 512 letters, digits and . _ / : @ -, starting with a letter or digit";
	size_t n = strlen(s);
	if (n == 0 || n > 512 || !ascii_alnum(s[0]))
		return why;
	for (const char *p = s; *p; p++)
		if (!ascii_alnum(*p) && !strchr("._/:@-", *p))
			return why;
	return NULL;
}
