/* MariaDB: roles.mysql.settings become "option = value" lines in the
 * [mysqld] group of kiln's my.cnf, database and user names become SQL
 * identifiers and mariadb client arguments (firstboot/role_mysql.c).
 * An option file line ends at a line break (a new one could hold any option
 * or an !include); '#' starts a comment, quotes around a value are removed,
 * backslash sequences are unescaped and surrounding spaces stripped, so a
 * value is kept only when mysqld will read exactly the text of the profile. */
#include "profiles/syntax.h"
#include <string.h>

const char *syntax_mycnf_option(const char *s)
{
	static const char why[] = "must be a my.cnf option name: a lower-case letter, then [a-z0-9_-], at most 64 characters";
	size_t n = strlen(s);
	if (n == 0 || n > 64 || !(s[0] >= 'a' && s[0] <= 'z'))
		return why;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return why;
	return NULL;
}

const char *syntax_mycnf_value(const char *s)
{
	size_t n = strlen(s);
	if (n > SYNTAX_MYCNF_VALUE_MAX)
		return "must be at most 1024 characters";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return "must be one line without control characters (a line break would add options to my.cnf)";
		if (*p == '#')
			return "must not contain '#' (my.cnf reads the rest of the line as a comment)";
		if (*p == '"' || *p == '\'' || *p == '\\')
			return "must not contain quotes or '\\' (my.cnf would unquote or unescape them)";
	}
	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		return "must not begin or end with a space (my.cnf strips it)";
	return NULL;
}

/* Quoted by the SQL writer anyway; the narrow set also keeps the names
 * usable unquoted in the mariadb client's arguments and in the app's URLs. */
const char *syntax_sql_identifier(const char *s, unsigned max)
{
	size_t n = strlen(s);
	const char *why = max == 32 ? "must be 1 to 32 characters from [A-Za-z0-9_]"
				    : "must be 1 to 64 characters from [A-Za-z0-9_]";
	if (n == 0 || n > max)
		return why;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return why;
	return NULL;
}
