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
 * and the topology check after it (profiles/seed_topology.h: lib/ does not
 * parse profiles) refuses
 *   SEED_E_UNKNOWN_HOST  the host is not in the seed's topology (or has another role)
 * Secret values are in sodium_malloc'd memory, wiped by seed_free, and never
 * logged by this code. Nothing here logs. */
#ifndef KILN_SEED_H
#define KILN_SEED_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "lib/appliance.h"
#include "lib/buf.h"
#include "lib/minisign.h"
#include "lib/rolekey.h"

#define SEED_FORMAT_VERSION 1
#define SEED_MAGIC "kiln-seed:"
#define SEED_MAX_BYTES (1u << 20)     /* readers refuse larger inputs */
#define SEED_TOPOLOGY_MAX (1u << 20)  /* a whole profile (profiles/profile.h PROFILE_MAX_BYTES) */

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
	char *topology; size_t topology_len;         /* the profile YAML text, verified but not parsed */
	struct seed_file *files; size_t n_files;
	char **secret_names; size_t n_secret_names;
	struct seed_secret *secrets; size_t n_secrets;  /* filled by seed_open only */
	uint8_t keynum[MINISIGN_KEYNUM_BYTES];       /* signer */
	char *trusted_comment;
};

/* What seed_build puts in. The caller passes exactly the secrets the host
 * needs; may_carry, when set, is asked about each and a secret it refuses
 * fails the build with -EPERM (profiles/seed_topology.h sets it from the
 * profile's rule, host_needs_secret). */
struct seed_params {
	const char *deployment, *host;
	enum role role;
	const char *topology; size_t topology_len;
	uint64_t serial;
	int64_t created;
	const struct seed_file *files; size_t n_files;
	const struct seed_secret *secrets; size_t n_secrets;   /* values need not be sodium memory */
	bool (*may_carry)(const void *ud, const char *secret);
	const void *may_carry_ud;
};

/* Appends the seed line (with final '\n') to out. -EPERM: a secret the host
 * must not get (may_carry); -EINVAL: bad name, role or comment. */
int seed_build(const struct seed_params *p, const uint8_t role_pk[32], const struct minisign_key *op,
	       struct buf *out);

/* Appends ";sig=...;trusted=...;global-sig=...\n" signing body as it is;
 * seed_build uses it, tests use it to make signed-but-bad seeds. */
int seed_sign_body(const struct minisign_key *op, const char *deployment, const char *host,
		   uint64_t serial, struct buf *body);

/* Verifies and opens a seed (every refusal above but SEED_E_UNKNOWN_HOST,
 * which needs the topology parsed: profiles/seed_topology.h). On failure
 * *out is left empty. */
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
