/* Test driver for the minio role, the S3 client and the admin API client:
 *   minio_role PROFILE HOST env              print /etc/default/minio
 *   minio_role PROFILE - policy              print the app's canned policy
 *   minio_role PROFILE - buckets ENDPOINT    create the profile's buckets (root creds)
 *   minio_role PROFILE - register ENDPOINT   register the app's key through the admin API
 *   minio_role PROFILE - setup ENDPOINT      both, as the role step does
 *   minio_role - - head ENDPOINT BUCKET      HEAD bucket with the app's creds
 *   minio_role - - versioning ENDPOINT BUCKET  print Enabled/Disabled (root creds)
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
	char why[512] = "";
	int r = -EINVAL;
	const char *op = argv[3], *ep = argc > 4 ? argv[4] : NULL;
	const char *root = env_secret(NULL, "minio_root_user"), *root_pw = env_secret(NULL, "minio_root_password");
	struct s3_conn root_conn = { .endpoint = ep, .access_key = root, .secret_key = root_pw, .timeout_ms = 3000 };
	struct minio_admin admin = { .endpoint = ep, .root_user = root, .root_password = root_pw };
	if (!strcmp(op, "env") && h)
		r = minio_render_env(&m, h, env_secret, NULL, &b);
	else if (!strcmp(op, "policy")) {
		minio_render_app_policy(&m, &b);
		buf_putc(&b, '\n');
		r = 0;
	} else if (!strcmp(op, "buckets") && argc == 5)
		r = minio_setup_buckets(&m, &root_conn, why, sizeof why);
	else if (!strcmp(op, "register") && argc == 5)
		r = minio_register_app(&m, &admin, env_secret, NULL, why, sizeof why);
	else if (!strcmp(op, "setup") && argc == 5)
		r = minio_setup(&m, ep, env_secret, NULL, why, sizeof why);
	else if (!strcmp(op, "head") && argc == 6) {
		struct s3_conn c = { .endpoint = ep, .access_key = env_secret(NULL, "minio_app_access_key"),
				     .secret_key = env_secret(NULL, "minio_app_secret_key"), .timeout_ms = 3000 };
		r = s3_head_bucket(&c, argv[5], why, sizeof why);
	} else if (!strcmp(op, "versioning") && argc == 6) {
		bool on = false;
		r = s3_get_versioning(&root_conn, argv[5], &on, why, sizeof why);
		if (r == 0)
			buf_puts(&b, on ? "Enabled\n" : "Disabled\n");
	}
	if (r == 0)
		fwrite(b.data ? b.data : "", 1, b.len, stdout);
	else
		fprintf(stderr, "failed: %s (%s)\n", strerror(-r), why);
	buf_wipe(&b);
	model_free(&m);
	return r < 0;
}
