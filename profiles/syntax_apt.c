/* debian.mirror is mmdebstrap's MIRROR argument, which becomes the URI of
 * the image's apt source line "deb MIRROR SUITE main". mmdebstrap takes an
 * argument with spaces or line breaks as whole source lines of its own, and
 * apt reads '#' as the start of a comment, quotes and brackets as quoting
 * and $(...) as a substitution: a mirror is one plain URL. */
#include "profiles/syntax.h"
#include <stdbool.h>
#include <string.h>

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

const char *syntax_apt_uri(const char *s)
{
	const char *host;
	if (!strncmp(s, "http://", 7))
		host = s + 7;
	else if (!strncmp(s, "https://", 8))
		host = s + 8;
	else if (!strncmp(s, "file:/", 6))
		host = NULL;
	else
		return "must be an http://, https:// or file:/ URL";
	if (strlen(s) > SYNTAX_URI_MAX)
		return "must be at most 1024 characters";
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f)
			return "must be one URL without spaces or control characters (apt would read the rest as more "
			       "of the source line)";
		if (c == '#')
			return "must not contain '#' (apt reads the rest of the line as a comment)";
		if (c == '%' && !(hex(p[1]) && hex(p[2])))
			return "must use '%' only in a %XX escape";
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr("-._~:/?@!&*+,;=%", c);
		if (!ok)
			return "must use only the URL characters A-Z a-z 0-9 - . _ ~ : / ? @ ! & * + , ; = %";
	}
	if (host && (!*host || *host == '/' || *host == ':' || *host == '?'))
		return "must name a host after '://'";
	return NULL;
}
