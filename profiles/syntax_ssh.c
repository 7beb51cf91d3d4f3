/* root's authorized_keys: sshd reads one key per line as
 * "[OPTIONS] TYPE BASE64 [COMMENT]". A profile entry is a bare key: it must
 * start with a key type (anything else would be read as options such as
 * command="..." or from="..."), and a line break would add another key. */
#include "profiles/syntax.h"
#include <stdbool.h>
#include <string.h>

const char *syntax_authorized_key(const char *s)
{
	static const char why[] = "must be one public key line 'TYPE BASE64 [COMMENT]' (TYPE ssh-..., ecdsa-... or "
				  "sk-...) without control characters";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return why;
	if (strncmp(s, "ssh-", 4) && strncmp(s, "ecdsa-", 6) && strncmp(s, "sk-", 3))
		return why;
	const char *p = s;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '@')
		p++;
	if (*p++ != ' ')
		return why;
	const char *blob = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
	       *p == '/')
		p++;
	if (p - blob < 16)
		return why;
	for (int pad = 0; *p == '=' && pad < 2; pad++)
		p++;
	if (*p && *p != ' ')
		return why;
	return NULL;
}
