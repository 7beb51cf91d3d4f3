#include "installer/build_opts.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int build_overrides_add(struct build_overrides *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return log_error_errno(EINVAL, "--artifact wants NAME=PATH, got '%s'", arg);
	o->v = xrealloc(o->v, (o->n + 1) * sizeof *o->v);
	o->v[o->n].name = xstrndup(arg, (size_t)(eq - arg));
	o->v[o->n].path = xstrdup(eq + 1);
	o->n++;
	return 0;
}

void build_overrides_free(struct build_overrides *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free((char *)o->v[i].name);
		free((char *)o->v[i].path);
	}
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

int64_t build_source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (!s || !*s)
		return -1;
	uint64_t v;
	if (parse_u64(s, 0, INT64_MAX, &v) < 0) {
		log_warn("ignoring invalid SOURCE_DATE_EPOCH '%s' (expected seconds since 1970, digits only)", s);
		return -1;
	}
	return (int64_t)v;
}
