/* A profile for the install: section tests: a fixed head (deployment, one
 * subnet lan 10.0.0.0/24, an app service) followed by the test's body,
 * loaded as p.yaml; the diagnostics joined as "LINE:COL: MESSAGE" lines. */
#ifndef KILN_TEST_INSTALL_PROFILE_H
#define KILN_TEST_INSTALL_PROFILE_H
#include <stdio.h>
#include <string.h>
#include "profiles/profile.h"

static const char install_head[] = "kiln: 1\n"
				   "deployment: {name: acme, domain: acme.internal}\n"
				   "subnets:\n"
				   "  - {name: lan, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n"
				   "roles:\n"
				   "  app: {service: {exec: /bin/true}}\n";

static int load(const char *body, struct model *m, char *diag, size_t len)
{
	static char text[16384];
	snprintf(text, sizeof text, "%s%s", install_head, body);
	struct diags d = { 0 };
	int r = profile_load_buffer("p.yaml", text, strlen(text), NULL, m, &d);
	diag[0] = 0;
	for (size_t i = 0; i < d.n; i++)
		snprintf(diag + strlen(diag), len - strlen(diag), "%u:%u: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	diags_free(&d);
	return r;
}
#endif
