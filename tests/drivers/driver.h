/* What the test drivers share: secrets taken from the environment (tests
 * only; the agent reads them from the opened seed) and loading the profile
 * named on the command line. */
#ifndef KILN_TEST_DRIVER_H
#define KILN_TEST_DRIVER_H
#include <stdio.h>
#include <stdlib.h>
#include "profiles/profile.h"

/* A secret callback: the value of $KILN_SECRET_<name>, or NULL. */
static inline const char *env_secret(void *ud, const char *name)
{
	(void)ud;
	char key[128];
	snprintf(key, sizeof key, "KILN_SECRET_%s", name);
	return getenv(key);
}

/* Loads the profile at path into m (zeroed first); prints the diagnostics
 * and returns < 0 when it does not load. */
static inline int load_profile(const char *path, struct model *m)
{
	struct diags d = { 0 };
	*m = (struct model){ 0 };
	int r = profile_load_file(path, NULL, m, &d);   /* as the agent loads a topology */
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	return r;
}
#endif
