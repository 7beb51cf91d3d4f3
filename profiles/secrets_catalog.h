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
};

struct secret_def {
	const char *name;
	enum secret_kind kind;
	unsigned roles;     /* bitmask of 1u << enum role: hosts of these roles get it */
};

/* The fixed catalog (terminated by name == NULL). */
extern const struct secret_def secret_catalog[];

/* Does this deployment have a secret of that name? (catalog entries whose
 * preconditions hold, plus roles.app.secrets) */
bool secret_known(const struct model *m, const char *name);

/* Secret names of the deployment, in a stable order; returns count, *out is a
 * malloc'd array of pointers into the catalog/model (free only the array). */
size_t secret_names(const struct model *m, const char ***out);

/* Kind of a known secret (app extra secrets are SECRET_PASSWORD). */
enum secret_kind secret_kind_of(const struct model *m, const char *name);

bool host_needs_secret(const struct model *m, const struct host *h, const char *name);
#endif
