#include "images/deb822.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The end of the line starting at p (the '\n' or the end). */
static const char *eol(const char *p, const char *end)
{
	const char *n = memchr(p, '\n', (size_t)(end - p));
	return n ? n : end;
}

static bool blank(const char *p, const char *e)
{
	for (; p < e; p++)
		if (!isspace((unsigned char)*p))
			return false;
	return true;
}

bool deb822_next(const char *text, size_t len, size_t *pos, struct deb822_para *out)
{
	const char *end = text + len, *p = text + *pos;
	while (p < end) {   /* skip blank lines */
		const char *e = eol(p, end);
		if (!blank(p, e))
			break;
		p = e < end ? e + 1 : end;
	}
	if (p >= end) {
		*pos = len;
		return false;
	}
	const char *start = p;
	while (p < end) {
		const char *e = eol(p, end);
		if (blank(p, e))
			break;
		p = e < end ? e + 1 : end;
	}
	out->p = start;
	out->len = (size_t)(p - start);
	*pos = (size_t)(p - text);
	return true;
}

char *deb822_field(const struct deb822_para *para, const char *name)
{
	size_t nl = strlen(name);
	const char *end = para->p + para->len;
	for (const char *p = para->p; p < end;) {
		const char *e = eol(p, end);
		if ((size_t)(e - p) > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			while (v < e && isspace((unsigned char)*v))
				v++;
			while (e > v && isspace((unsigned char)e[-1]))
				e--;
			return xstrndup(v, (size_t)(e - v));
		}
		p = e < end ? e + 1 : end;
	}
	return NULL;
}

int64_t deb822_date(const char *value)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char wday[4], mon[4], zone[6];
	int d, y, h, mi, s, used = 0;
	/* The day name is optional in RFC 2822; Debian's archives always write it. */
	if (sscanf(value, "%3[A-Za-z], %d %3[A-Za-z] %d %d:%d:%d %5s%n", wday, &d, mon, &y, &h, &mi, &s, zone,
		   &used) != 8 || value[used])
		return -1;
	int m = -1;
	for (int i = 0; i < 12; i++)
		if (!strcmp(mon, months[i]))
			m = i;
	if (m < 0 || d < 1 || d > 31 || y < 1970 || y > 9999 || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0)
		return -1;
	long off = 0;
	if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5 && isdigit((unsigned char)zone[1]) &&
	    isdigit((unsigned char)zone[2]) && isdigit((unsigned char)zone[3]) && isdigit((unsigned char)zone[4]))
		off = ((zone[1] - '0') * 10 + (zone[2] - '0')) * 3600L + ((zone[3] - '0') * 10 + (zone[4] - '0')) * 60L;
	else if (strcmp(zone, "UTC") && strcmp(zone, "GMT") && strcmp(zone, "Z"))
		return -1;
	if (zone[0] == '-')
		off = -off;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s };
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d)   /* timegm normalised an impossible date */
		return -1;
	return (int64_t)t - off;
}

int64_t deb822_release_date(const char *text, size_t len)
{
	size_t pos = 0;
	struct deb822_para p;
	while (deb822_next(text, len, &pos, &p)) {
		char *v = deb822_field(&p, "Date");
		if (v) {
			int64_t t = deb822_date(v);
			free(v);
			return t;
		}
	}
	return -1;
}
