/* The minio role on its host: the server's environment file (root
 * credentials from the seed, data on the data disk; distributed mode across
 * all minio hosts when there are 4 or more), the app credential, and the
 * buckets (+ versioning) created through the S3 API once the server answers. */
#ifndef KILN_FB_ROLE_MINIO_H
#define KILN_FB_ROLE_MINIO_H
#include "firstboot/role_mysql.h"   /* secret_lookup_fn */
#include "firstboot/s3.h"
#include "lib/appliance.h"
#include "lib/buf.h"
#include "profiles/model.h"

#define MINIO_DATA_DIR "/var/lib/minio"
#define MINIO_ENV_FILE "/etc/default/minio"
#define MINIO_APP_KEYS_FILE KILN_ETC "/minio-app-keys"

/* /etc/default/minio (mode 0600, secrets inside). -ENOKEY if a secret is missing. */
int minio_render_env(const struct model *m, const struct host *h, secret_lookup_fn secret, void *ud,
		     struct buf *out);
/* The app credential as "ACCESS_KEY SECRET_KEY\n" (mode 0640 root:minio-user). */
int minio_render_app_keys(secret_lookup_fn secret, void *ud, struct buf *out);
/* Create every bucket of the profile and set versioning as asked; idempotent.
 * On failure why says which bucket and what the server answered. */
int minio_setup_buckets(const struct model *m, const struct s3_conn *c, char *why, size_t why_len);
#endif
