/* Host seeds: the public topology + the secrets one host needs, sealed to its
 * role's X25519 key and signed by the operator's minisign key. One line of
 * ASCII, safe for EC2 user data, OVF properties and git. Byte format:
 * docs/seed-format.md.
 *
 * seed_open refuses, each with its own code (seed_strerror explains):
 *   SEED_E_MALFORMED     not a seed, truncated, bad field, bad base64 ...
 *   SEED_E_VERSION       a kiln seed of a format version this code does not know
 *   SEED_E_WRONG_SIGNER  signed by a different operator key (keynum mismatch)
 *   SEED_E_BAD_SIG       signature or global signature does not verify
 *   SEED_E_DEPLOYMENT    seed for another deployment
 *   SEED_E_OLD_SERIAL    serial lower than min_serial (replay / rollback)
 *   SEED_E_WRONG_ROLE    sealed to another role key than the one given
 *   SEED_E_TAMPERED      sealed box does not open with the right key
 *   SEED_E_UNKNOWN_HOST  the host is not in the seed's topology (or has another role)
 * Secret values are in sodium_malloc'd memory, wiped by seed_free, and never
 * logged by this code. */
#ifndef KILN_SEED_H
#define KILN_SEED_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"
#include "lib/minisign.h"
#include "lib/rolekey.h"
#include "profiles/model.h"

#define SEED_FORMAT_VERSION 1
#define SEED_MAGIC "kiln-seed:"
#define SEED_EC2_USERDATA_MAX 16384   /* EC2 user data limit, bytes before base64 */
#define SEED_MAX_BYTES (1u << 20)     /* readers refuse larger inputs */

#define SEED_E_MALFORMED    (-EBADMSG)
#define SEED_E_VERSION      (-EPROTONOSUPPORT)
#define SEED_E_WRONG_SIGNER (-ENOKEY)
#define SEED_E_BAD_SIG      (-EKEYREJECTED)
#define SEED_E_DEPLOYMENT   (-EXDEV)
#define SEED_E_OLD_SERIAL   (-ESTALE)
#define SEED_E_WRONG_ROLE   (-EKEYEXPIRED)
#define SEED_E_TAMPERED     (-EBADE)
#define SEED_E_UNKNOWN_HOST (-EHOSTUNREACH)

struct seed_file {
	char *name;            /* [A-Za-z0-9._-], e.g. "ca.pem" */
	uint8_t *data;
	size_t len;
};

struct seed_secret {
	char *name;
	char *value;           /* sodium_malloc'd, NUL-terminated */
	size_t len;
};

struct seed {
	unsigned version;
	char *deployment, *host, *role;
	uint64_t serial;
	int64_t created;
	uint8_t role_pk[32];
	char *topology; size_t topology_len;         /* the profile YAML text */
	struct seed_file *files; size_t n_files;
	char **secret_names; size_t n_secret_names;
	struct seed_secret *secrets; size_t n_secrets;  /* filled by seed_open only */
	uint8_t keynum[MINISIGN_KEYNUM_BYTES];       /* signer */
	char *trusted_comment;
	struct model *model;   /* seed_open: the topology rebuilt by the profile parser */
};

/* What seed_build puts in: the caller passes exactly the secrets the host
 * needs (host_needs_secret); any other is refused with -EPERM. */
struct seed_params {
	const struct model *model;
	const char *topology; size_t topology_len;
	const char *host;
	uint64_t serial;
	int64_t created;
	const struct seed_file *files; size_t n_files;
	const struct seed_secret *secrets; size_t n_secrets;   /* values need not be sodium memory */
};

/* Appends the seed line (with final '\n') to out. -ENOENT: host not in the
 * model; -EPERM: a secret the host must not get; -EINVAL: bad name/comment. */
int seed_build(const struct seed_params *p, const uint8_t role_pk[32], const struct minisign_key *op,
	       struct buf *out);

/* Appends ";sig=...;trusted=...;global-sig=...\n" signing body as it is;
 * seed_build uses it, tests use it to make signed-but-bad seeds. */
int seed_sign_body(const struct minisign_key *op, const char *deployment, const char *host,
		   uint64_t serial, struct buf *body);

int seed_open(const char *data, size_t len, const struct minisign_pub *operator_pub,
	      const struct role_keypair *role_key, const char *expected_deployment,
	      uint64_t min_serial, struct seed *out);

/* Public part only, no secrets: parses and, if operator_pub is given, sets
 * *sig_result to 0 or the signature error. Returns SEED_E_MALFORMED/VERSION. */
int seed_inspect(const char *data, size_t len, const struct minisign_pub *operator_pub,
		 struct seed *out, int *sig_result);

void seed_free(struct seed *s);
const char *seed_strerror(int r);
#endif
