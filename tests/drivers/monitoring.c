/* Test driver for the agent's monitoring pieces:
 *   monitoring token NOW              print MinIO's bearer token for the
 *                                     metrics user (minio_metrics_* secrets)
 *   monitoring register ENDPOINT      register the metrics user with MinIO's
 *                                     admin API (root credentials)
 *   monitoring register-archive BUCKET ENDPOINT
 *                                     register the archive writer (minio_archive_*)
 *   monitoring exporter-sql           print the MySQL exporter's account SQL
 *   monitoring exporter-cnf SOCKET    print its option file, for that socket
 * Secrets come from the environment as KILN_SECRET_<name> (tests only). */
#include "firstboot/minio_token.h"
#include "firstboot/role_minio.h"
#include "firstboot/role_monitoring.h"
#include "lib/numparse.h"
#include "profiles/monitoring.h"
#include "tests/drivers/driver.h"
#include <errno.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *op = argv[1], *mak = env_secret(NULL, "minio_metrics_access_key");
	const char *msk = env_secret(NULL, "minio_metrics_secret_key"), *pw = env_secret(NULL, "mysql_exporter_password");
	struct buf b;
	buf_init(&b);
	char why[512] = "";
	int r = -EINVAL;
	uint64_t now;
	if (!strcmp(op, "token") && argc == 3 && mak && msk && parse_u64(argv[2], 0, INT64_MAX / 2, &now) == 0) {
		r = minio_token(mak, msk, (int64_t)now, &b);
		buf_putc(&b, '\n');
	} else if (!strcmp(op, "register") && argc == 3 && mak && msk) {
		struct minio_admin a = { .endpoint = argv[2], .root_user = env_secret(NULL, "minio_root_user"),
					 .root_password = env_secret(NULL, "minio_root_password") };
		struct buf doc;
		buf_init(&doc);
		monitoring_metrics_policy(&doc);
		r = minio_register_user(&a, MON_MINIO_POLICY, doc.data, mak, msk, why, sizeof why);
		buf_free(&doc);
	} else if (!strcmp(op, "register-archive") && argc == 4) {
		struct minio_admin a = { .endpoint = argv[3], .root_user = env_secret(NULL, "minio_root_user"),
					 .root_password = env_secret(NULL, "minio_root_password") };
		const char *aak = env_secret(NULL, "minio_archive_access_key"), *ask = env_secret(NULL, "minio_archive_secret_key");
		struct buf doc;
		buf_init(&doc);
		monitoring_archive_policy(argv[2], &doc);
		r = aak && ask ? minio_register_user(&a, MON_ARCHIVE_POLICY, doc.data, aak, ask, why, sizeof why) : -ENOKEY;
		buf_free(&doc);
	} else if (!strcmp(op, "exporter-sql") && pw)
		r = monitoring_exporter_sql(MYSQL_ENGINE_MARIADB, pw, &b);   /* the test server is MariaDB */
	else if (!strcmp(op, "exporter-cnf") && argc == 3 && pw) {
		r = monitoring_exporter_cnf(pw, &b);
		if (r == 0)
			buf_printf(&b, "socket=%s\n", argv[2]);   /* the last one counts */
	}
	if (r == 0)
		fwrite(b.data ? b.data : "", 1, b.len, stdout);
	else
		fprintf(stderr, "failed: %s (%s)\n", strerror(-r), why);
	buf_wipe(&b);
	return r < 0;
}
