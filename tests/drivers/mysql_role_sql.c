/* Test driver: print the mysql role's my.cnf or setup SQL for a host of a
 * profile. Secrets come from the environment as KILN_SECRET_<name>. */
#include "firstboot/role_mysql.h"
#include "tests/drivers/driver.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[3], "sql") && strcmp(argv[3], "cnf"))) {
		fprintf(stderr, "usage: %s PROFILE HOST sql|cnf\n", argv[0]);
		return 2;
	}
	struct model m;
	if (load_profile(argv[1], &m) < 0)
		return 1;
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
	return r < 0;
}
