/* MinIO's admin-API body encryption, byte for byte as its Go client
 * (madmin-go EncryptData/DecryptData) and server produce and read it:
 *
 *   salt (32) | AEAD id (1) | nonce (8) | sio stream of the plaintext
 *
 *   id 0: key = Argon2id(password, salt, t=1, m=64 MiB, lanes=4, 32 bytes), AES-256-GCM
 *   id 1: key = the same Argon2id,                                      ChaCha20-Poly1305
 *   id 2: key = PBKDF2-HMAC-SHA256(password, salt, 8192, 32 bytes),      AES-256-GCM (FIPS builds)
 *
 * The password is the secret key of the credential that signs the request
 * (for kiln: the MinIO root password). The stream is secure-io/sio-go's
 * (the successor of MinIO's DARE format): 16 KiB fragments, each sealed
 * with nonce || little-endian fragment number (from 1) and associated data
 * flag || T, where flag is 0x80 on the last fragment and 0 otherwise and T
 * is the AEAD tag of an empty message sealed with fragment number 0.
 * madmin_encrypt writes the id its caller picks; decrypt takes all three.
 * MinIO's server opens any of them (madmin DecryptData switches on the id
 * byte, FIPS build or not) and answers with id 0 (or 1 on CPUs without AES
 * instructions; id 2 in FIPS builds). */
#ifndef KILN_MADMIN_CRYPT_H
#define KILN_MADMIN_CRYPT_H
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

enum madmin_aead {
	MADMIN_ARGON2ID_AES_GCM = 0,
	MADMIN_ARGON2ID_CHACHA20_POLY1305 = 1,
	MADMIN_PBKDF2_AES_GCM = 2,
};

#define MADMIN_SALT_LEN 32
#define MADMIN_NONCE_LEN 8
#define MADMIN_HEADER_LEN (MADMIN_SALT_LEN + 1 + MADMIN_NONCE_LEN)
#define MADMIN_KEY_LEN 32
#define SIO_BUF_SIZE 16384          /* sio.BufSize: plaintext bytes per fragment */
#define SIO_TAG_LEN 16
#define MADMIN_MAX_PLAINTEXT (64u << 20)   /* refused above; admin bodies are a few KiB */

/* EncryptData with a fresh random salt and nonce; appends to out. -EINVAL
 * for an unknown id, -EFBIG above MADMIN_MAX_PLAINTEXT, -ENOMEM when the KDF
 * cannot get its memory. */
int madmin_encrypt(const char *password, enum madmin_aead id, const void *data, size_t len, struct buf *out);
/* The same with the salt and nonce given (known-answer tests). -EINVAL for an unknown id. */
int madmin_encrypt_with(const char *password, enum madmin_aead id, const uint8_t salt[MADMIN_SALT_LEN],
			const uint8_t nonce[MADMIN_NONCE_LEN], const void *data, size_t len, struct buf *out);
/* DecryptData: appends the plaintext to out only when all of it is authentic.
 * -EBADMSG truncated, tampered or the wrong password (AEAD failure);
 * -EPROTONOSUPPORT an unknown AEAD id; -EFBIG oversized; -ENOMEM as above.
 * Nothing is appended on failure. */
int madmin_decrypt(const char *password, const void *data, size_t len, struct buf *out);

/* The key derivation of an id (exposed for tests). */
int madmin_derive_key(const char *password, enum madmin_aead id, const uint8_t salt[MADMIN_SALT_LEN],
		      uint8_t key[MADMIN_KEY_LEN]);
/* The sio stream alone, with a key (the fuzz harness skips the KDF). */
int sio_seal(enum madmin_aead id, const uint8_t key[MADMIN_KEY_LEN], const uint8_t nonce[MADMIN_NONCE_LEN],
	     const void *data, size_t len, struct buf *out);
int sio_open(enum madmin_aead id, const uint8_t key[MADMIN_KEY_LEN], const uint8_t nonce[MADMIN_NONCE_LEN],
	     const void *data, size_t len, struct buf *out);
#endif
