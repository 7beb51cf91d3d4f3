#include "profiles/names.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <string.h>

static bool lower_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

const char *name_check_simple(const char *s, unsigned max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return max <= 32 ? "must be 1 to 32 characters from [a-z0-9-]" : "must be 1 to 63 characters from [a-z0-9-]";
	for (size_t i = 0; i < n; i++)
		if (!lower_digit(s[i]) && s[i] != '-')
			return max <= 32 ? "must be 1 to 32 characters from [a-z0-9-]" : "must be 1 to 63 characters from [a-z0-9-]";
	return NULL;
}

const char *name_check_hostname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return "must be an RFC 1123 host name label: 1 to 63 characters from [a-z0-9-]";
	for (size_t i = 0; i < n; i++)
		if (!lower_digit(s[i]) && s[i] != '-')
			return "must be an RFC 1123 host name label: 1 to 63 characters from [a-z0-9-]";
	if (s[0] == '-' || s[n - 1] == '-')
		return "must be an RFC 1123 host name label: it may not begin or end with '-'";
	return NULL;
}

const char *name_check_domain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return "must be a DNS domain of 1 to 253 characters";
	const char *p = s;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			return "must be a DNS domain: labels of 1 to 63 characters separated by single dots";
		for (size_t i = 0; i < l; i++)
			if (!lower_digit(p[i]) && p[i] != '-')
				return "must be a DNS domain: lower-case letters, digits, '-' and '.'";
		if (p[0] == '-' || p[l - 1] == '-')
			return "must be a DNS domain: a label may not begin or end with '-'";
		if (!dot)
			return NULL;
		p = dot + 1;
	}
}

const char *name_check_s3_bucket(const char *s)
{
	size_t n = strlen(s);
	uint32_t ip;
	if (n < 3 || n > 63)
		return "must be a valid S3 bucket name: 3 to 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!lower_digit(s[i]) && s[i] != '-' && s[i] != '.')
			return "must be a valid S3 bucket name: lower-case letters, digits, '.' and '-' only";
	if (!lower_digit(s[0]) || !lower_digit(s[n - 1]))
		return "must be a valid S3 bucket name: begin and end with a letter or digit";
	if (strstr(s, ".."))
		return "must be a valid S3 bucket name: no two adjacent dots";
	if (ipv4_parse(s, &ip) == 0)
		return "must be a valid S3 bucket name: not formatted as an IP address";
	if (!strncmp(s, "xn--", 4) || !strncmp(s, "sthree-", 7))
		return "must be a valid S3 bucket name: the prefixes 'xn--' and 'sthree-' are reserved";
	if ((n >= 8 && !strcmp(s + n - 8, "-s3alias")) || (n >= 9 && !strcmp(s + n - 9, "--ol-s3")))
		return "must be a valid S3 bucket name: the suffixes '-s3alias' and '--ol-s3' are reserved";
	return NULL;
}

const char *name_check_identifier(const char *s, unsigned max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z'))
		return "must start with a lower-case letter, then [a-z0-9_], at most 64 characters";
	for (size_t i = 0; i < n; i++)
		if (!lower_digit(s[i]) && s[i] != '_')
			return "must start with a lower-case letter, then [a-z0-9_], at most 64 characters";
	return NULL;
}
