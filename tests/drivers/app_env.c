/* Test driver: print the app host's environment file (profiles/app_env.h)
 * or its kiln-app.service (firstboot/role_app.h) for a profile, as the
 * agent writes them. Secrets come from the environment as KILN_SECRET_<name>. */
#include "firstboot/role_app.h"
#include "profiles/app_env.h"
#include "tests/drivers/driver.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[2], "env") && strcmp(argv[2], "unit"))) {
		fprintf(stderr, "usage: %s PROFILE env|unit\n", argv[0]);
		return 2;
	}
	struct model m;
	if (load_profile(argv[1], &m) < 0)
		return 1;
	struct buf b;
	buf_init(&b);
	char *why = NULL;
	int r = 0;
	if (!strcmp(argv[2], "env"))
		r = app_env_render(&m, env_secret, NULL, &b, &why);
	else
		app_unit_render(&m, &b);
	if (r == 0)
		fwrite(b.data, 1, b.len, stdout);
	else
		fprintf(stderr, "%s\n", why);
	free(why);
	buf_wipe(&b);
	model_free(&m);
	return r < 0;
}
