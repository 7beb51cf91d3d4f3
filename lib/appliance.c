/* The tables behind lib/appliance.h. */
#include "lib/appliance.h"
#include <errno.h>
#include <string.h>

static const char *const role_names[ROLE__COUNT] = { "app", "mysql", "minio", "lb" };

const char *role_name(enum role r)
{
	return (unsigned)r < ROLE__COUNT ? role_names[r] : "?";
}

int role_keeps_data(enum role r)
{
	return r == ROLE_MYSQL || r == ROLE_MINIO;
}

int role_from_name(const char *s)
{
	for (int r = 0; r < ROLE__COUNT; r++)
		if (s && strcmp(s, role_names[r]) == 0)
			return r;
	return -EINVAL;
}

const struct kiln_unit kiln_units[KILN_UNITS_N] = {
	{ KILN_UNIT_EARLY, "sysinit.target" },
	{ KILN_UNIT_LATE, "multi-user.target" },
};
