/* Test driver: print the mysql role's my.cnf or setup SQL for a host of a
 * profile. Secrets come from the environment as KILN_SECRET_<name> (tests
 * only; the agent reads them from the opened seed). */
#include "firstboot/role_mysql.h"
#include "profiles/profile.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_secret(void *ud, const char *name)
{
	(void)ud;
	char key[128];
	snprintf(key, sizeof key, "KILN_SECRET_%s", name);
	return getenv(key);
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[3], "sql") && strcmp(argv[3], "cnf"))) {
		fprintf(stderr, "usage: %s PROFILE HOST sql|cnf\n", argv[0]);
		return 2;
	}
	struct model m = { 0 };
	struct diags d = { 0 };
	if (profile_load_file(argv[1], &m, &d) < 0) {
		diags_print(&d, stderr);
		return 1;
	}
	const struct host *h = model_find_host(&m, argv[2]);
	if (!h) {
		fprintf(stderr, "no host %s\n", argv[2]);
		return 1;
	}
	struct buf b;
	buf_init(&b);
	int r = !strcmp(argv[3], "sql") ? mysql_render_setup_sql(&m, h, env_secret, NULL, &b)
					: mysql_render_cnf(&m, h, &b);
	if (r == 0)
		fwrite(b.data, 1, b.len, stdout);
	buf_wipe(&b);
	model_free(&m);
	diags_free(&d);
	return r < 0;
}
