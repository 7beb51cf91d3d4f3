#include "firstboot/role_minio.h"
#include "lib/log.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static size_t count_minio(const struct model *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++)
		n += m->hosts[i].role == ROLE_MINIO;
	return n;
}

int minio_render_env(const struct model *m, const struct host *h, secret_lookup_fn secret, void *ud,
		     struct buf *out)
{
	const char *user = secret(ud, "minio_root_user"), *pw = secret(ud, "minio_root_password");
	if (!user || !pw)
		return log_error_errno(ENOKEY, "the seed lacks secret %s", user ? "minio_root_password" : "minio_root_user");
	buf_puts(out, "# Written by kiln-firstboot from the seed; root-only (0600).\n");
	buf_printf(out, "MINIO_ROOT_USER=%s\nMINIO_ROOT_PASSWORD=%s\n", user, pw);
	/* Distributed (erasure-coded) mode needs at least 4 drives; below that
	 * every minio host runs its own single-drive server. */
	if (count_minio(m) >= 4) {
		buf_puts(out, "MINIO_VOLUMES=\"");
		bool first = true;
		for (size_t i = 0; i < m->n_hosts; i++) {
			const struct host *x = &m->hosts[i];
			if (x->role != ROLE_MINIO)
				continue;
			buf_printf(out, "%shttp://%s.%s:9000%s/data", first ? "" : " ", x->name, m->domain, MINIO_DATA_DIR);
			first = false;
		}
		buf_puts(out, "\"\n");
	} else
		buf_puts(out, "MINIO_VOLUMES=\"" MINIO_DATA_DIR "/data\"\n");
	char a[16];
	buf_printf(out, "MINIO_OPTS=\"--address %s:9000\"\n", h->dhcp ? "" : ipv4_fmt(h->address, a));
	/* The app's credential, for servers that read extra keys from a file
	 * (the S3 stand-in the tests use); MinIO itself ignores the variable. */
	buf_puts(out, "MINIO_STANDIN_KEYS_FILE=" MINIO_APP_KEYS_FILE "\n");
	return 0;
}

int minio_render_app_keys(secret_lookup_fn secret, void *ud, struct buf *out)
{
	const char *ak = secret(ud, "minio_app_access_key"), *sk = secret(ud, "minio_app_secret_key");
	if (!ak || !sk)
		return log_error_errno(ENOKEY, "the seed lacks secret %s", ak ? "minio_app_secret_key" : "minio_app_access_key");
	buf_printf(out, "%s %s\n", ak, sk);
	return 0;
}

int minio_setup_buckets(const struct model *m, const struct s3_conn *c, char *why, size_t why_len)
{
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++) {
		const struct bucket *b = &m->roles.minio.buckets[i];
		char detail[160] = "";
		int r = s3_create_bucket(c, b->name, detail, sizeof detail);
		if (r < 0) {
			snprintf(why, why_len, "creating bucket %s: %s", b->name, detail);
			return r;
		}
		if (b->versioning) {
			r = s3_set_versioning(c, b->name, true, detail, sizeof detail);
			if (r < 0) {
				snprintf(why, why_len, "enabling versioning on %s: %s", b->name, detail);
				return r;
			}
		}
	}
	return 0;
}
