/* esxi.network names the port group every NIC connects to. It is written
 * into the OVF descriptor (esxi/ovf.c escapes it for XML, but XML 1.0 has
 * no way to carry control characters) and into the README's copy-and-paste
 * command `ovftool --net:"NETWORK=PORTGROUP"`, where '"', '\', '$' and '`'
 * would end or expand the shell word and '=' would split ovftool's
 * mapping. vSphere names are at most 80 characters. */
#include "profiles/syntax.h"
#include <string.h>

const char *syntax_ovf_network(const char *s)
{
	static const char why[] = "must be a vSphere port group name: 1 to 80 printable ASCII characters, without "
				  "\" \\ $ ` = or leading and trailing spaces";
	size_t n = strlen(s);
	if (n == 0 || n > SYNTAX_OVF_NETWORK_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return why;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || strchr("\"\\$`=", *p))
			return why;
	return NULL;
}
