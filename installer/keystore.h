/* What the operator's state directory (installer/state.h says where) holds,
 * and whether each unit of it is whole. Layout and modes
 * (docs/keys-and-seeds.md):
 *   <state>/                 0700
 *   deployment               the deployment the directory belongs to
 *   operator.key  0600       minisign secret key (unencrypted)  } one unit
 *   operator.pub             minisign public key                }
 *   roles/<role>.key 0600    X25519 key pair; roles/<role>.pub its public half: one unit
 *   secrets/NAME  0600       one secret value per file (dir 0700)
 *   ca.pem, ca.key 0600      the deployment CA: one unit
 *   tls_cert.pem, secrets/tls_key   the app certificate and its key: one unit
 *   serial                   last seed serial issued
 *   backup.key/.pub          the backup key pair: installer/backup_keys.h
 *   lock, .txn/              see installer/state.h
 * Every loader of a private file refuses one that group/others can read and
 * says how to fix it. A unit check returns KS_OK, KS_MISSING (none of its
 * files) or KS_BAD (partial, inconsistent, bad content or expired: *pb says
 * what and what `--repair` does), or a negative errno already logged for
 * what --repair cannot mend (open modes, I/O errors, an encrypted key). */
#ifndef KILN_KEYSTORE_H
#define KILN_KEYSTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/minisign.h"
#include "lib/rolekey.h"
#include "profiles/model.h"
#include "profiles/secrets_catalog.h"

enum { KS_OK = 0, KS_MISSING = 1, KS_BAD = 2 };

struct ks_problem {
	char *why;            /* malloc'd: what is wrong, naming the files */
	const char *repair;   /* what `--repair` does about it */
};
void ks_problem_free(struct ks_problem *pb);
/* Sets *pb (replacing what it held) and returns status. */
int ks_problem_set(struct ks_problem *pb, int status, const char *repair, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Both files of a unit (a public PEM, its private key): KS_MISSING if
 * neither exists, KS_BAD (partial, *pb says which and `repair`) if one, KS_OK
 * with both read (*key is private memory: keystore_free_private). */
int keystore_read_pair(const char *pem_path, const char *key_path, char **pem, char **key, const char *repair,
		       struct ks_problem *pb);

/* The repair of a unit only the operator can mend (a SECRET_EXTERNAL value):
 * keystore_require then logs the problem alone, which says what to do. */
#define KS_REPAIR_OPERATOR "cannot: the operator brings it"
/* Logs a unit's problem with the command that mends it: for KS_MISSING
 * `kiln CMD init PROFILE`, for KS_BAD `kiln CMD init PROFILE --repair`.
 * Returns 0 for KS_OK, -ENOENT / -EBADMSG, or r itself when negative. */
int keystore_require(int r, struct ks_problem *pb, const char *cmd, const char *profile);

/* The state dir must exist and be private. */
int keystore_check_dir(const char *state);
/* Create a private directory (0700, with parents) or check an existing one. */
int keystore_prepare_dir(const char *dir);
/* Read a private (0600) file; *data is sodium_malloc'd and NUL-terminated:
 * free with keystore_free_private. */
int keystore_read_private(const char *path, char **data, size_t *len);
void keystore_free_private(char *data);
/* A copy of s in private memory (keystore_free_private). */
char *keystore_dup_private(const char *s);

/* The deployment name in <state>/deployment; malloc'd. */
int keystore_deployment(const char *state, char **out);
/* The one check that a state directory belongs to the profile's deployment:
 * 0 if <state>/deployment names it; 1 if the directory has no such file yet
 * and may_claim (the caller writes it in its transaction); else -errno,
 * logged (another deployment's directory: -EXDEV). */
int keystore_check_owner(const char *state, const char *deployment, const char *profile, bool may_claim);

/* Key pairs: operator.key/.pub, roles/<role>.key/.pub. *key (if key is not
 * NULL) is loaded whenever the secret half is good, also for KS_BAD when only
 * the public half is missing or wrong (the repair rewrites it from the key). */
int keystore_operator_pair(const char *state, struct minisign_key **key, struct ks_problem *pb);
int keystore_role_pair(const char *state, const char *role, struct role_keypair **key, struct ks_problem *pb);

/* secrets/NAME: present, private and, for a password or access key, of the
 * content its kind needs (lib/secret_gen.h; a tls_key is checked with its
 * certificate by keystore_tls). *value for KS_OK (free with
 * keystore_free_private). */
int keystore_secret(const char *state, enum secret_kind kind, const char *name, char **value, size_t *len,
		    struct ks_problem *pb);

/* The TLS units at time now. own_ca: kiln's CA issues the app certificate
 * (ca.pem + ca.key checked, the certificate checked against it); else the
 * operator's certificate from roles.app.tls (no CA). */
struct ks_tls {
	int ca, cert;                 /* KS_* of each unit (ca is KS_MISSING without own_ca) */
	struct ks_problem ca_pb, cert_pb;
	char *ca_pem, *ca_key;        /* loaded when ca == KS_OK; ca_key is private memory */
};
int keystore_tls(const char *state, bool own_ca, int64_t now, struct ks_tls *out);
/* The CA unit alone into out's ca, ca_pb, ca_pem and ca_key (the rest of out
 * is left as it is): monitoring needs kiln's CA also where the app's
 * certificate is the operator's. */
int keystore_ca(const char *state, int64_t now, struct ks_tls *out);
void keystore_tls_free(struct ks_tls *t);

/* What `kiln build` needs whole: the directory is the deployment's, the
 * operator pair and the key pair of every role in want. Takes the lock;
 * each problem is logged with its repair. */
int keystore_check_keys(const char *state, const char *profile, const char *deployment, const bool *want);

/* What `kiln sign` needs: the operator key, its pair whole, and the
 * deployment: *deployment, if set (from --profile), must own the directory;
 * if NULL it is read from it (malloc'd). Takes the lock while it reads. */
int keystore_signing_key(const char *state, const char *profile, char **deployment, struct minisign_key **key);

int keystore_load_operator_pub(const char *state, struct minisign_pub *out);
int keystore_load_pub_file(const char *path, struct minisign_pub *out);
#endif
