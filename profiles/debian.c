#include "profiles/debian.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct debian_suite suites[] = {
	{ "bookworm", 12 },
	{ "trixie", 13 },
};
#define N_SUITES (sizeof suites / sizeof *suites)

const struct debian_suite *debian_suite_find(const char *name)
{
	for (size_t i = 0; name && i < N_SUITES; i++)
		if (!strcmp(suites[i].name, name))
			return &suites[i];
	return NULL;
}

char *debian_suites_list(void)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < N_SUITES; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", suites[i].name);
	return buf_steal(&b);
}

char *debian_security_mirror_for(const char *mirror)
{
	size_t n = strlen(mirror);
	while (n && mirror[n - 1] == '/')
		n--;
	/* Where the path starts: after "scheme://host" or after "file:". */
	const char *sep = strstr(mirror, "://");
	size_t path = 0;
	if (sep && strncmp(mirror, "file:", 5)) {
		const char *slash = strchr(sep + 3, '/');
		path = slash ? (size_t)(slash - mirror) : strlen(mirror);
	} else if (!strncmp(mirror, "file:", 5))
		path = 5;
	size_t last = n;
	while (last > path && mirror[last - 1] != '/')
		last--;
	if (last > path && last < n)   /* a last segment to replace */
		return xasprintf("%.*sdebian-security", (int)last, mirror);
	return xasprintf("%.*s/debian-security", (int)n, mirror);
}

void debian_settings_resolve(struct debian_settings *d)
{
	if (!d->suite)
		d->suite = xstrdup(DEBIAN_DEFAULT_SUITE);
	if (!d->mirror)
		d->mirror = xstrdup(DEBIAN_DEFAULT_MIRROR);
	if (d->security && !d->security_mirror)
		d->security_mirror = debian_security_mirror_for(d->mirror);
	if (d->snapshot && !d->snapshot_mirror)
		d->snapshot_mirror = xstrdup(DEBIAN_DEFAULT_SNAPSHOT_MIRROR);
}

void debian_settings_free(struct debian_settings *d)
{
	free(d->suite);
	free(d->mirror);
	free(d->security_mirror);
	free(d->snapshot);
	free(d->snapshot_mirror);
	memset(d, 0, sizeof *d);
}

static unsigned digits(const char *s, size_t n)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

const char *debian_snapshot_check(const char *s)
{
	static const char *const form = "must be a UTC time stamp YYYYMMDDTHHMMSSZ (e.g. 20261101T000000Z)";
	if (strlen(s) != DEBIAN_SNAPSHOT_LEN || s[8] != 'T' || s[15] != 'Z')
		return form;
	for (size_t i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return form;
	unsigned y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
	unsigned h = digits(s + 9, 2), mi = digits(s + 11, 2), se = digits(s + 13, 2);
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
		return "names no real date";
	if (h > 23 || mi > 59 || se > 59)
		return "names no real time of day";
	return NULL;
}
