/* The secrets a deployment has, and which hosts need which. This is the one
 * place that decides it: `kiln secrets init` generates this list, `kiln seed`
 * seals for each host exactly host_needs_secret(), and the profile validator
 * checks ${secret.NAME} references against secret_known(). */
#ifndef KILN_SECRETS_CATALOG_H
#define KILN_SECRETS_CATALOG_H
#include "profiles/model.h"

enum secret_kind {
	SECRET_PASSWORD,    /* 32 random bytes, URL-safe base64 without padding */
	SECRET_ACCESS_KEY,  /* 20 chars [A-Z0-9] (S3 access key id style) */
	SECRET_TLS_KEY,     /* PEM private key of the app's TLS certificate */
	SECRET_HOST_TLS_KEY, /* PEM private key of a certificate kiln makes per host (monitoring) */
	SECRET_EXTERNAL,    /* the operator's, from a service kiln does not run (backup.s3's, replicate_to's keys):
	                       never generated */
};

/* secret_def.flags */
#define SECRET_F_MONITORING 1u  /* exists only with a monitoring: section */
#define SECRET_F_MON_HOST   2u  /* the monitoring host gets it too, whatever its role */
#define SECRET_F_PER_HOST   4u  /* a value per host, made with its certificate (not under secrets/) */
#define SECRET_F_ARCHIVE    8u  /* exists only with monitoring.archive_drops */
#define SECRET_F_BACKUP     16u /* exists only with backup: (on MySQL primaries only) */
#define SECRET_F_RESTORE    32u /* on MySQL primaries only with backup.restore */
#define SECRET_F_BACKUP_MINIO 64u /* backups kept on the MinIO hosts (not with backup.s3) */
#define SECRET_F_BACKUP_S3  128u /* backups kept on backup.s3's external endpoint */
#define SECRET_F_REPLICATION 256u /* some roles.minio bucket has replicate_to (profiles/bucket_replication.h) */

struct secret_def {
	const char *name;
	enum secret_kind kind;
	unsigned roles;     /* bitmask of 1u << enum role: hosts of these roles get it */
	unsigned flags;     /* SECRET_F_* */
};

/* The fixed catalog (terminated by name == NULL). */
extern const struct secret_def secret_catalog[];

/* Does this deployment have a secret of that name? (catalog entries whose
 * preconditions hold, plus roles.app.secrets) */
bool secret_known(const struct model *m, const char *name);

/* Secret names of the deployment, in a stable order; returns count, *out is a
 * malloc'd array of pointers into the catalog/model (free only the array).
 * Per-host keys (SECRET_F_PER_HOST) are not among them: `kiln secrets init`
 * makes them with each host's certificate, and secret_known() does not
 * know them either (no env template may use them). */
size_t secret_names(const struct model *m, const char ***out);

/* Kind of a known secret (app extra secrets are SECRET_PASSWORD). */
enum secret_kind secret_kind_of(const struct model *m, const char *name);

/* For an external secret: the profile key it serves ("backup.s3",
 * "replicate_to") and the doc that says where to get it ("docs/backup.md"). */
void secret_external_for(const char *name, const char **key, const char **doc);

bool host_needs_secret(const struct model *m, const struct host *h, const char *name);
#endif
