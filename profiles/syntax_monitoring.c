/* Values of the profile's monitoring: section and where they land:
 * receivers and SMTP settings in Alertmanager's YAML (single-quoted
 * scalars: a quote would end the value), the app's health path in the URL
 * `kiln-firstboot metrics` asks on app hosts. Each value is one plain token
 * of a small character set, so neither file can be bent by it. */
#include "profiles/syntax.h"
#include "profiles/model.h"
#include "profiles/names.h"
#include "lib/numparse.h"
#include <stdbool.h>
#include <string.h>

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool hexdig(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* host[:port] after "://": a DNS name or IPv4 address, an optional port. */
static const char *url_authority(const char *p, size_t n)
{
	char host[256];
	const char *colon = memchr(p, ':', n);
	size_t hl = colon ? (size_t)(colon - p) : n;
	if (hl == 0 || hl >= sizeof host)
		return "must name a host after '://'";
	memcpy(host, p, hl);
	host[hl] = '\0';
	uint32_t a;
	if (ipv4_parse(host, &a) < 0 && name_check_domain(host))
		return "must name a host (a lower-case DNS name or an IPv4 address) after '://'";
	if (colon) {
		char port[8];
		size_t pl = n - hl - 1;
		uint64_t v;
		if (pl == 0 || pl >= sizeof port)
			return "must have a port of 1 to 65535 after the host's ':'";
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
		if (parse_u64(port, 1, 65535, &v) < 0)
			return "must have a port of 1 to 65535 after the host's ':'";
	}
	return NULL;
}

const char *syntax_http_url(const char *s)
{
	const char *rest;
	if (!strncmp(s, "http://", 7))
		rest = s + 7;
	else if (!strncmp(s, "https://", 8))
		rest = s + 8;
	else
		return "must be an http:// or https:// URL";
	if (strlen(s) > SYNTAX_URI_MAX)
		return "must be at most 1024 characters";
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%' && !(hexdig(p[1]) && hexdig(p[2])))
			return "must use '%' only in a %XX escape";
		if (!alnum((char)c) && !strchr("-._~:/?#@!$&*+,;=%", c))
			return "must be one URL of the characters A-Z a-z 0-9 - . _ ~ : / ? # @ ! $ & * + , ; = % "
			       "(no spaces, quotes or brackets)";
	}
	size_t n = strcspn(rest, "/?#");
	if (memchr(rest, '@', n))
		return "must not carry credentials before the host (the profile is public: put them in a relay)";
	return url_authority(rest, n);
}

const char *syntax_email(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return "must be an e-mail address: LOCAL@DOMAIN";
	if (at - s > 64)
		return "must have a local part of at most 64 characters";
	if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
		return "must not have a local part that begins or ends with '.' or holds '..'";
	for (const char *p = s; p < at; p++)
		if (!alnum(*p) && !strchr("._%+-", *p))
			return "must have a local part of A-Z a-z 0-9 . _ % + -";
	if (name_check_domain(at + 1) || !strchr(at + 1, '.'))
		return "must have a lower-case DNS domain with a dot after '@'";
	return NULL;
}

const char *syntax_smarthost(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return "must be HOST:PORT (e.g. mail.example.com:587)";
	return url_authority(s, strlen(s)) ? "must be HOST:PORT with a lower-case DNS name or IPv4 address and a "
					     "port of 1 to 65535" : NULL;
}

const char *syntax_url_path(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || s[0] != '/' || n > 256)
		return "must be a URL path: '/' then at most 255 characters";
	for (const char *p = s; *p; p++)
		if (!alnum(*p) && !strchr("-._~/", *p))
			return "must be a URL path of A-Z a-z 0-9 - . _ ~ / (no query, spaces or quotes)";
	return NULL;
}
