#include "lib/numparse.h"
#include "lib/log.h"
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>

static int digit(char c, unsigned base)
{
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return d < (int)base ? d : -1;
}

int parse_u64_base(const char *s, unsigned base, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !*s || (base != 8 && base != 10 && base != 16))
		return -EINVAL;
	uint64_t v = 0;
	bool too_big = false;
	for (const char *p = s; *p; p++) {
		int d = digit(*p, base);
		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			too_big = true;   /* keep checking the rest is digits */
		else
			v = v * base + (uint64_t)d;
	}
	if (too_big || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse_u64_base(s, 10, min, max, out);
}

int option_u64(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	if (parse_u64(arg, min, max, out) == 0)
		return 0;
	log_error("%s wants a number from %" PRIu64 " to %" PRIu64 ", not '%s'", opt, min, max, arg ? arg : "");
	return -EINVAL;
}

int option_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;
	int r = option_u64(opt, arg, min, max, &v);
	if (r == 0)
		*out = (unsigned)v;
	return r;
}
