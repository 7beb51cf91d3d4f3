/* A valid profile to build cases on, and loading one from text. */
#ifndef KILN_TEST_PROFILE_FIXTURE_H
#define KILN_TEST_PROFILE_FIXTURE_H
#include <string.h>
#include "profiles/profile.h"

/* Lines 1..6: cases append to it, so line 7 is the first added. */
#define PROFILE_BASE \
	"kiln: 1\n" \
	"deployment: {name: t, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"hosts:\n" \
	"  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n"

/* targets: the output names the loader accepts (NULL: none). */
static inline int profile_load_text(const char *yaml, const char *const *targets, struct model *m,
				    struct diags *d)
{
	memset(d, 0, sizeof *d);
	return profile_load_buffer("p.yaml", yaml, strlen(yaml), targets, m, d);
}
#endif
