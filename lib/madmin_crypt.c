/* madmin EncryptData/DecryptData; the format is in madmin_crypt.h.
 *
 * The KDF is libargon2's, not libsodium's: crypto_pwhash fixes Argon2's
 * parallelism at one lane, and madmin derives its key with four lanes
 * (argon2.IDKey(..., threads=4)), which gives a different key.
 *
 * The stream framing (sio-go, "DARE" in MinIO's words) is written here on
 * top of OpenSSL's AEADs because no C library implements it: it is a
 * counter-nonce construction of a few lines, and its exact byte layout
 * is pinned by known-answer vectors from the Go reference
 * (tests/unit/madmin_vectors.h) and by tests/cli/madmin.sh, which runs
 * madmin-go itself in both directions. */
#include "lib/madmin_crypt.h"
#include <argon2.h>
#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#define AEAD_NONCE_LEN 12   /* both AEADs; sio's nonce is this minus the 4-byte counter */
#define ARGON2_T 1
#define ARGON2_M_KIB (64 * 1024)
#define ARGON2_LANES 4
#define PBKDF2_ITER 8192

int madmin_derive_key(const char *password, enum madmin_aead id, const uint8_t salt[MADMIN_SALT_LEN],
		      uint8_t key[MADMIN_KEY_LEN])
{
	size_t pl = strlen(password);
	switch (id) {
	case MADMIN_ARGON2ID_AES_GCM:
	case MADMIN_ARGON2ID_CHACHA20_POLY1305: {
		int r = argon2id_hash_raw(ARGON2_T, ARGON2_M_KIB, ARGON2_LANES, password, pl, salt, MADMIN_SALT_LEN,
					  key, MADMIN_KEY_LEN);
		if (r == ARGON2_OK)
			return 0;
		return r == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
	}
	case MADMIN_PBKDF2_AES_GCM:
		if (PKCS5_PBKDF2_HMAC(password, (int)pl, salt, MADMIN_SALT_LEN, PBKDF2_ITER, EVP_sha256(),
				      MADMIN_KEY_LEN, key) != 1)
			return -EIO;
		return 0;
	}
	return -EPROTONOSUPPORT;
}

/* One sio stream: the AEAD context, the key, nonce || counter, and the
 * associated data flag || T (see the header). */
struct sio {
	EVP_CIPHER_CTX *x;
	const EVP_CIPHER *cipher;
	uint8_t key[MADMIN_KEY_LEN];
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t ad[1 + SIO_TAG_LEN];
};

/* Seals (enc) or opens n bytes of in as fragment seq into out; in holds
 * n + tag bytes when opening. false when the tag does not verify. */
static bool sio_fragment(struct sio *s, bool enc, uint32_t seq, const uint8_t *ad, size_t ad_len,
			 const uint8_t *in, size_t n, uint8_t *out)
{
	s->nonce[8] = (uint8_t)seq;
	s->nonce[9] = (uint8_t)(seq >> 8);
	s->nonce[10] = (uint8_t)(seq >> 16);
	s->nonce[11] = (uint8_t)(seq >> 24);
	int l = 0;
	if (EVP_CipherInit_ex(s->x, s->cipher, NULL, s->key, s->nonce, enc) != 1)
		return false;
	if (ad_len && EVP_CipherUpdate(s->x, NULL, &l, ad, (int)ad_len) != 1)
		return false;
	if (n && EVP_CipherUpdate(s->x, out, &l, in, (int)n) != 1)
		return false;
	if (!enc && EVP_CIPHER_CTX_ctrl(s->x, EVP_CTRL_AEAD_SET_TAG, SIO_TAG_LEN, (void *)(in + n)) != 1)
		return false;
	if (EVP_CipherFinal_ex(s->x, out + (n ? l : 0), &l) != 1)
		return false;
	return !enc || EVP_CIPHER_CTX_ctrl(s->x, EVP_CTRL_AEAD_GET_TAG, SIO_TAG_LEN, out + n) == 1;
}

static int sio_init(struct sio *s, enum madmin_aead id, const uint8_t key[MADMIN_KEY_LEN],
		    const uint8_t nonce[MADMIN_NONCE_LEN])
{
	memset(s, 0, sizeof *s);
	if (id == MADMIN_ARGON2ID_AES_GCM || id == MADMIN_PBKDF2_AES_GCM)
		s->cipher = EVP_aes_256_gcm();
	else if (id == MADMIN_ARGON2ID_CHACHA20_POLY1305)
		s->cipher = EVP_chacha20_poly1305();
	else
		return -EPROTONOSUPPORT;
	if (!(s->x = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	memcpy(s->key, key, MADMIN_KEY_LEN);
	memcpy(s->nonce, nonce, MADMIN_NONCE_LEN);
	/* T: an empty message sealed as fragment 0 (no caller associated data). */
	if (!sio_fragment(s, true, 0, NULL, 0, NULL, 0, s->ad + 1))
		return -EIO;
	return 0;
}

static void sio_done(struct sio *s)
{
	EVP_CIPHER_CTX_free(s->x);
	sodium_memzero(s, sizeof *s);
}

int sio_seal(enum madmin_aead id, const uint8_t key[MADMIN_KEY_LEN], const uint8_t nonce[MADMIN_NONCE_LEN],
	     const void *data, size_t len, struct buf *out)
{
	if (len > MADMIN_MAX_PLAINTEXT)
		return -EFBIG;
	struct sio s;
	int r = sio_init(&s, id, key, nonce);
	const uint8_t *p = data;
	size_t off = 0;
	/* As sio's EncWriter: full fragments while more than one fragment's
	 * worth is left, then the rest (1..16384 bytes, 0 for no data) as last. */
	for (uint32_t seq = 1; r == 0; seq++) {
		bool last = len - off <= SIO_BUF_SIZE;
		size_t n = last ? len - off : SIO_BUF_SIZE;
		buf_reserve(out, n + SIO_TAG_LEN);
		s.ad[0] = last ? 0x80 : 0x00;
		if (!sio_fragment(&s, true, seq, s.ad, sizeof s.ad, p + off, n, (uint8_t *)out->data + out->len))
			r = -EIO;
		else {
			out->len += n + SIO_TAG_LEN;
			out->data[out->len] = '\0';
		}
		off += n;
		if (last)
			break;
	}
	sio_done(&s);
	return r;
}

int sio_open(enum madmin_aead id, const uint8_t key[MADMIN_KEY_LEN], const uint8_t nonce[MADMIN_NONCE_LEN],
	     const void *data, size_t len, struct buf *out)
{
	if (len > MADMIN_MAX_PLAINTEXT + (MADMIN_MAX_PLAINTEXT / SIO_BUF_SIZE + 1) * SIO_TAG_LEN)
		return -EFBIG;
	struct sio s;
	int r = sio_init(&s, id, key, nonce);
	if (r < 0) {
		sio_done(&s);
		return r;
	}
	/* Plaintext goes to a scratch buffer first: nothing reaches out unless
	 * every fragment, the last one included, is authentic. */
	struct buf plain;
	buf_init(&plain);
	const uint8_t *p = data;
	size_t off = 0;
	for (uint32_t seq = 1;; seq++) {
		/* A full fragment followed by more bytes is not the last one (sio
		 * reads one byte ahead); whatever remains is. */
		bool last = len - off <= SIO_BUF_SIZE + SIO_TAG_LEN;
		size_t n = last ? len - off : SIO_BUF_SIZE + SIO_TAG_LEN;
		if (n < SIO_TAG_LEN) {
			r = -EBADMSG;
			break;
		}
		buf_reserve(&plain, n);
		s.ad[0] = last ? 0x80 : 0x00;
		if (!sio_fragment(&s, false, seq, s.ad, sizeof s.ad, p + off, n - SIO_TAG_LEN,
				  (uint8_t *)plain.data + plain.len)) {
			r = -EBADMSG;
			break;
		}
		plain.len += n - SIO_TAG_LEN;
		off += n;
		if (last)
			break;
	}
	sio_done(&s);
	if (r == 0)
		buf_append(out, plain.data ? plain.data : "", plain.len);
	buf_wipe(&plain);
	return r;
}

int madmin_encrypt_with(const char *password, enum madmin_aead id, const uint8_t salt[MADMIN_SALT_LEN],
			const uint8_t nonce[MADMIN_NONCE_LEN], const void *data, size_t len, struct buf *out)
{
	if ((unsigned)id > MADMIN_PBKDF2_AES_GCM)
		return -EINVAL;
	if (len > MADMIN_MAX_PLAINTEXT)
		return -EFBIG;
	uint8_t key[MADMIN_KEY_LEN];
	int r = madmin_derive_key(password, id, salt, key);
	if (r == 0) {
		size_t start = out->len;
		buf_append(out, salt, MADMIN_SALT_LEN);
		buf_putc(out, (char)id);
		buf_append(out, nonce, MADMIN_NONCE_LEN);
		r = sio_seal(id, key, nonce, data, len, out);
		if (r < 0)
			out->len = start;
	}
	sodium_memzero(key, sizeof key);
	return r;
}

int madmin_encrypt(const char *password, enum madmin_aead id, const void *data, size_t len, struct buf *out)
{
	uint8_t salt[MADMIN_SALT_LEN], nonce[MADMIN_NONCE_LEN];
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	return madmin_encrypt_with(password, id, salt, nonce, data, len, out);
}

int madmin_decrypt(const char *password, const void *data, size_t len, struct buf *out)
{
	const uint8_t *p = data;
	if (len < MADMIN_HEADER_LEN)
		return -EBADMSG;
	enum madmin_aead id = p[MADMIN_SALT_LEN];
	if ((unsigned)id > MADMIN_PBKDF2_AES_GCM)
		return -EPROTONOSUPPORT;
	uint8_t key[MADMIN_KEY_LEN];
	int r = madmin_derive_key(password, id, p, key);
	if (r == 0)
		r = sio_open(id, key, p + MADMIN_SALT_LEN + 1, p + MADMIN_HEADER_LEN, len - MADMIN_HEADER_LEN, out);
	sodium_memzero(key, sizeof key);
	return r;
}
