/* What the profile loader's tests share: loading a profile text as
 * "p.yaml" with kiln's target names, and table-driven refusals, each a
 * profile text and the diagnostic expected at LINE:COL, with nothing
 * half-built handed back. */
#ifndef KILN_TEST_PROFILE_REJECTS_H
#define KILN_TEST_PROFILE_REJECTS_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "profiles/profile.h"
#include "tests/unit/profile_fixture.h"

/* The output names kiln passes the loader (its target registry's). */
static const char *const targets[] = { "raw", "esxi", "ec2", "iso", NULL };

static inline int load(const char *yaml, struct model *m, struct diags *d)
{
	return profile_load_text(yaml, targets, m, d);
}

struct reject {
	const char *name, *yaml;
	unsigned line, col;
	const char *msg;     /* substring of the diagnostic at line:col */
};

static inline void run_reject(void **state)
{
	const struct reject *c = *state;
	struct model m;
	struct diags d;
	assert_int_equal(load(c->yaml, &m, &d), -EINVAL);
	bool found = false;
	for (size_t i = 0; i < d.n && !found; i++)
		found = d.v[i].line == c->line && d.v[i].col == c->col && strstr(d.v[i].msg, c->msg) &&
			!strcmp(d.v[i].file, "p.yaml");
	if (!found) {
		print_error("%s: wanted %u:%u '%s', got:\n", c->name, c->line, c->col, c->msg);
		for (size_t i = 0; i < d.n; i++)
			print_error("  %u:%u %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	}
	diags_free(&d);
	assert_true(found);
	assert_null(m.hosts);   /* nothing half-built is handed back */
}

/* One test per case into tests; returns how many were added. */
static inline size_t add_rejects(struct CMUnitTest *tests, const struct reject *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ c[i].name, run_reject, NULL, NULL, (void *)&c[i] };
	return n;
}
#endif
