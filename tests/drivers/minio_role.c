/* Test driver for the minio role and the S3 client:
 *   minio_role PROFILE HOST env|keys         print the rendered file
 *   minio_role PROFILE - buckets ENDPOINT    create the profile's buckets (root creds from env)
 *   minio_role - - head ENDPOINT BUCKET      HEAD bucket with KILN_SECRET_minio_app_* creds
 *   minio_role - - versioning ENDPOINT BUCKET  print Enabled/Disabled
 * Secrets come from the environment as KILN_SECRET_<name> (tests only). */
#include "firstboot/role_minio.h"
#include "tests/drivers/driver.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct model m = { 0 };
	if (strcmp(argv[1], "-") && load_profile(argv[1], &m) < 0)
		return 1;
	const struct host *h = strcmp(argv[2], "-") ? model_find_host(&m, argv[2]) : NULL;
	struct buf b;
	buf_init(&b);
	char why[256] = "";
	int r;
	const char *op = argv[3];
	struct s3_conn c = { .endpoint = argc > 4 ? argv[4] : NULL, .timeout_ms = 3000 };
	if (!strcmp(op, "env") && h)
		r = minio_render_env(&m, h, env_secret, NULL, &b);
	else if (!strcmp(op, "keys"))
		r = minio_render_app_keys(env_secret, NULL, &b);
	else if (!strcmp(op, "buckets") && argc == 5) {
		c.access_key = env_secret(NULL, "minio_root_user");
		c.secret_key = env_secret(NULL, "minio_root_password");
		r = minio_setup_buckets(&m, &c, why, sizeof why);
	} else if ((!strcmp(op, "head") || !strcmp(op, "versioning")) && argc == 6) {
		c.access_key = env_secret(NULL, "minio_app_access_key");
		c.secret_key = env_secret(NULL, "minio_app_secret_key");
		if (!strcmp(op, "head"))
			r = s3_head_bucket(&c, argv[5], why, sizeof why);
		else {
			bool on = false;
			c.access_key = env_secret(NULL, "minio_root_user");
			c.secret_key = env_secret(NULL, "minio_root_password");
			r = s3_get_versioning(&c, argv[5], &on, why, sizeof why);
			if (r == 0)
				buf_puts(&b, on ? "Enabled\n" : "Disabled\n");
		}
	} else
		r = -EINVAL;
	if (r == 0)
		fwrite(b.data ? b.data : "", 1, b.len, stdout);
	else
		fprintf(stderr, "failed: %s (%s)\n", strerror(-r), why);
	buf_wipe(&b);
	model_free(&m);
	return r < 0;
}
