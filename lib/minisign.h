/* minisign-compatible Ed25519 keys and signatures (docs/keys-and-seeds.md).
 *
 * Files are exactly minisign's: a public key `minisign -V -p` reads, an
 * unencrypted secret key (kdf "\0\0") `minisign -S -s` reads, and prehashed
 * `ED` signatures (BLAKE2b-512 of the data, streamed for big files) with a
 * trusted comment and a global signature. Parsers are strict: exact comment
 * prefixes, exact base64 lengths (standard alphabet, '=' padding), one
 * optional trailing CR before each LF, nothing after the last line.
 *
 * Errors (negative errno, nothing is logged):
 *   -EBADMSG       malformed file (see minisign_strerror for the reason class)
 *   -ENOKEY        signature made by another key (keynum mismatch)
 *   -EKEYREJECTED  signature or global signature does not verify
 *   -EPROTONOSUPPORT  algorithm this code does not handle (legacy `Ed`
 *                  signatures verify; encrypted secret keys do not load) */
#ifndef KILN_MINISIGN_H
#define KILN_MINISIGN_H
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

#define MINISIGN_KEYNUM_BYTES 8
#define MINISIGN_HASH_BYTES 64
#define MINISIGN_COMMENT_MAX 1024          /* untrusted comment, minisign's limit */
#define MINISIGN_TRUSTED_COMMENT_MAX 8192  /* trusted comment, minisign's limit */

struct minisign_pub {
	uint8_t keynum[MINISIGN_KEYNUM_BYTES];
	uint8_t pk[32];
};

/* Lives in sodium_malloc'd memory; free with minisign_key_free (wipes). */
struct minisign_key {
	uint8_t keynum[MINISIGN_KEYNUM_BYTES];
	uint8_t sk[64];            /* libsodium Ed25519 secret key (seed || pk) */
};

struct minisign_sig {
	uint8_t alg[2];            /* "ED" (prehashed) or "Ed" (legacy) */
	uint8_t keynum[MINISIGN_KEYNUM_BYTES];
	uint8_t sig[64];
	char *trusted_comment;     /* malloc'd, without prefix and newline */
	uint8_t global_sig[64];
};

/* New random key pair. */
struct minisign_key *minisign_keygen(void);
void minisign_key_free(struct minisign_key *k);
void minisign_key_public(const struct minisign_key *k, struct minisign_pub *out);

/* "%016llX" of keynum read little-endian, as minisign prints key ids. */
void minisign_keyid(const uint8_t keynum[MINISIGN_KEYNUM_BYTES], char out[17]);

/* File texts. The secret key text is a secret: buf_wipe() it. */
void minisign_pub_format(const struct minisign_pub *p, struct buf *out);
void minisign_key_format(const struct minisign_key *k, struct buf *out);
int minisign_pub_parse(const char *text, size_t len, struct minisign_pub *out);
int minisign_key_parse(const char *text, size_t len, struct minisign_key **out);

/* Streaming BLAKE2b-512, the `ED` prehash. */
int minisign_hash_buffer(const void *data, size_t len, uint8_t out[MINISIGN_HASH_BYTES]);
int minisign_hash_file(const char *path, uint8_t out[MINISIGN_HASH_BYTES]);   /* -errno on I/O */

/* Signature over a prehash; trusted_comment must not contain CR/LF and be
 * shorter than MINISIGN_TRUSTED_COMMENT_MAX (else -EINVAL). untrusted may be
 * NULL ("signature from kiln secret key"). Appends the 4-line .minisig text. */
int minisign_sign_hash(const struct minisign_key *k, const uint8_t hash[MINISIGN_HASH_BYTES],
		       const char *trusted_comment, const char *untrusted, struct buf *out);
/* The same three binary parts, for embedding in other formats (seeds). */
int minisign_sign_raw(const struct minisign_key *k, const uint8_t hash[MINISIGN_HASH_BYTES],
		      const char *trusted_comment, struct minisign_sig *out);

int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *out);
void minisign_sig_free(struct minisign_sig *s);

/* Checks keynum, then the signature, then the global signature. For `ED` the
 * hash is the BLAKE2b-512 prehash; legacy `Ed` needs the whole data, so it
 * is only supported by minisign_verify_buffer. */
int minisign_verify_hash(const struct minisign_pub *p, const struct minisign_sig *s,
			 const uint8_t hash[MINISIGN_HASH_BYTES]);
int minisign_verify_buffer(const struct minisign_pub *p, const struct minisign_sig *s,
			   const void *data, size_t len);
/* Streams the file (legacy `Ed` signatures are refused with -EPROTONOSUPPORT). */
int minisign_verify_file(const struct minisign_pub *p, const struct minisign_sig *s,
			 const char *path);

/* The reason text for the error codes above. */
const char *minisign_strerror(int r);

/* kiln's own trusted comment for artifacts:
 *   timestamp:<t>\tfile:<basename>\tdeployment:<name>\tversion:<N>
 * format builds it (NULL if a value holds a control character such as a
 * tab, which could forge fields); parse extracts deployment and version from a VERIFIED
 * comment (-EBADMSG if the fields are missing or malformed), so an installer
 * can refuse a downgrade. *deployment is malloc'd. */
char *minisign_kiln_comment(int64_t timestamp, const char *file_basename, const char *deployment,
			    uint64_t version);
int minisign_kiln_comment_parse(const char *comment, char **deployment, uint64_t *version,
				int64_t *timestamp);
#endif
