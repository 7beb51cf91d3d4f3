/* systemd-networkd files rendered from a host's `ethernets` block
 * (profiles/render_network.c): 10-kiln-<id>.network and .link, whose
 * Key=Value lines end at a line break, whose [Match] Name= and Driver= take
 * a space-separated list of globs ('!' in front negates it), and whose
 * [Link] Name= must be a name the kernel accepts. */
#include "profiles/syntax.h"
#include <stdbool.h>
#include <string.h>

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

static bool name_chars(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!name_char(*p) && !(extra && strchr(extra, *p)))
			return false;
	return true;
}

/* The key of an ethernets entry: part of two file names (and checked as an
 * interface name too when it has no match: block, since it then is one). */
const char *syntax_networkd_id(const char *s)
{
	if (!name_chars(s, SYNTAX_NETWORKD_ID_MAX, NULL))
		return "must be 1 to 64 characters from [A-Za-z0-9_.-], not '.' or '..' (it names files under "
		       "/etc/systemd/network)";
	return NULL;
}

/* The kernel's rule (dev_valid_name) narrowed to what networkd and file
 * names take without question; all digits would read as an ifindex. */
const char *syntax_networkd_ifname(const char *s)
{
	bool digits = *s != '\0';
	for (const char *p = s; *p && digits; p++)
		digits = *p >= '0' && *p <= '9';
	if (!name_chars(s, SYNTAX_IFNAME_MAX, NULL) || digits)
		return "must be a Linux interface name: 1 to 15 characters from [A-Za-z0-9_.-], not all digits, "
		       "not '.' or '..'";
	return NULL;
}

const char *syntax_networkd_glob(const char *s)
{
	if (!name_chars(s, SYNTAX_NETWORKD_ID_MAX, "*?[]"))
		return "must be one name or glob of 1 to 64 characters from [A-Za-z0-9_.-] and * ? [ ] (networkd "
		       "reads a space as the start of another pattern and a leading '!' as negation)";
	return NULL;
}

const char *syntax_networkd_value(const char *s)
{
	if (!*s)
		return "must not be empty";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "must hold no control characters (a line break would start another key or section)";
	return NULL;
}
