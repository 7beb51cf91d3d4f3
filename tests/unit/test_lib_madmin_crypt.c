/* lib/madmin_crypt.c: madmin EncryptData/DecryptData against known-answer
 * vectors from the Go reference (madmin_vectors.h), and every tampering
 * and truncation refused with nothing written out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "lib/madmin_crypt.h"
#include "tests/unit/madmin_vectors.h"

#define N_VECTORS (sizeof madmin_vectors / sizeof madmin_vectors[0])

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t got = 0;
	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n + 1);
	for (size_t j = 0; j < n; j++)
		p[j] = (uint8_t)(j * 31 + 7);
	return p;
}

static void assert_sha256(const struct buf *b, const char *want_hex)
{
	uint8_t d[32];
	char hex[65];
	crypto_hash_sha256(d, (const uint8_t *)b->data, b->len);
	sodium_bin2hex(hex, sizeof hex, d, sizeof d);
	assert_string_equal(hex, want_hex);
}

/* Header + sio stream built from the vector's key (one KDF per vector). */
static void build(const struct madmin_vector *v, const uint8_t *plain, struct buf *ct, uint8_t key[32])
{
	uint8_t salt[32], nonce[8], want_key[32];
	unhex(v->salt, salt, 32);
	unhex(v->nonce, nonce, 8);
	unhex(v->key, want_key, 32);
	assert_int_equal(madmin_derive_key(v->password, v->id, salt, key), 0);
	assert_memory_equal(key, want_key, 32);
	buf_append(ct, salt, 32);
	buf_putc(ct, (char)v->id);
	buf_append(ct, nonce, 8);
	assert_int_equal(sio_seal(v->id, key, nonce, plain, v->len, ct), 0);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct madmin_vector *v = &madmin_vectors[i];
		uint8_t key[32], *plain = pattern(v->len);
		struct buf ct, back;
		buf_init(&ct);
		buf_init(&back);
		build(v, plain, &ct, key);
		size_t frags = v->len ? (v->len + SIO_BUF_SIZE - 1) / SIO_BUF_SIZE : 1;
		assert_int_equal(ct.len, MADMIN_HEADER_LEN + v->len + frags * SIO_TAG_LEN);
		assert_sha256(&ct, v->ct_sha256);
		char head[129];
		sodium_bin2hex(head, sizeof head, (const uint8_t *)ct.data, ct.len < 64 ? ct.len : 64);
		assert_string_equal(head, v->ct_head);
		/* Our encryption is byte-identical to Go's, so opening it opens Go's. */
		assert_int_equal(sio_open(v->id, key, (const uint8_t *)ct.data + 33, ct.data + MADMIN_HEADER_LEN,
					  ct.len - MADMIN_HEADER_LEN, &back), 0);
		assert_int_equal(back.len, v->len);
		if (v->len)
			assert_memory_equal(back.data, plain, v->len);
		buf_free(&ct);
		buf_free(&back);
		free(plain);
	}
}

/* The whole EncryptData/DecryptData path (KDF included) for one vector of
 * each AEAD id. */
static void test_full_path(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct madmin_vector *v = &madmin_vectors[i];
		if (v->len != 100 || strcmp(v->password, madmin_vectors[0].password))
			continue;
		uint8_t salt[32], nonce[8], *plain = pattern(v->len);
		unhex(v->salt, salt, 32);
		unhex(v->nonce, nonce, 8);
		struct buf ct, back;
		buf_init(&ct);
		buf_init(&back);
		assert_int_equal(madmin_encrypt_with(v->password, v->id, salt, nonce, plain, v->len, &ct), 0);
		assert_sha256(&ct, v->ct_sha256);
		assert_int_equal(madmin_decrypt(v->password, ct.data, ct.len, &back), 0);
		assert_int_equal(back.len, v->len);
		assert_memory_equal(back.data, plain, v->len);
		/* The wrong password derives another key: not authentic. */
		assert_int_equal(madmin_decrypt("not the password", ct.data, ct.len, &back), -EBADMSG);
		assert_int_equal(back.len, v->len);
		buf_free(&ct);
		buf_free(&back);
		free(plain);
	}
}

static void test_random_salt_and_nonce(void **state)
{
	(void)state;
	/* every id, with the caller's choice in the header */
	static const enum madmin_aead ids[] = { MADMIN_ARGON2ID_AES_GCM, MADMIN_PBKDF2_AES_GCM };
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		struct buf a, b, back;
		buf_init(&a);
		buf_init(&b);
		buf_init(&back);
		assert_int_equal(madmin_encrypt("pw-123456789", ids[i], "{\"secretKey\":\"s\"}", 17, &a), 0);
		assert_int_equal(madmin_encrypt("pw-123456789", ids[i], "{\"secretKey\":\"s\"}", 17, &b), 0);
		assert_int_equal(a.len, MADMIN_HEADER_LEN + 17 + SIO_TAG_LEN);
		assert_int_equal(a.data[32], ids[i]);
		assert_memory_not_equal(a.data, b.data, MADMIN_HEADER_LEN);   /* fresh salt and nonce */
		assert_int_equal(madmin_decrypt("pw-123456789", a.data, a.len, &back), 0);
		assert_string_equal(back.data, "{\"secretKey\":\"s\"}");
		buf_free(&a);
		buf_free(&b);
		buf_free(&back);
	}
}

/* Opens a copy of ct changed by fn; returns the result and checks that
 * nothing was appended to the output on failure. */
static int open_changed(const uint8_t key[32], const struct buf *ct, void (*fn)(struct buf *))
{
	struct buf c, out;
	buf_init(&c);
	buf_init(&out);
	buf_append(&c, ct->data, ct->len);
	fn(&c);
	buf_puts(&out, "keep");
	int r = c.len >= MADMIN_HEADER_LEN
		? sio_open(c.data[32], key, (const uint8_t *)c.data + 33, c.data + MADMIN_HEADER_LEN, c.len - MADMIN_HEADER_LEN, &out)
		: -EBADMSG;
	if (r < 0)
		assert_string_equal(out.data, "keep");
	buf_free(&c);
	buf_free(&out);
	return r;
}

static void same(struct buf *c) { (void)c; }
static void flip_body(struct buf *c) { c->data[MADMIN_HEADER_LEN + 5] ^= 1; }
static void flip_last_tag(struct buf *c) { c->data[c->len - 1] ^= 0x80; }
static void flip_nonce(struct buf *c) { c->data[33] ^= 1; }
static void other_aead(struct buf *c) { c->data[32] = MADMIN_ARGON2ID_CHACHA20_POLY1305; }
static void drop_byte(struct buf *c) { c->len--; }
static void add_byte(struct buf *c) { buf_putc(c, 0); }
/* Cut after the first fragment: it is then read as the last one, but was
 * sealed with the "more follows" flag. */
static void drop_last_fragment(struct buf *c) { c->len = MADMIN_HEADER_LEN + SIO_BUF_SIZE + SIO_TAG_LEN; }
static void drop_first_fragment(struct buf *c)
{
	size_t f = SIO_BUF_SIZE + SIO_TAG_LEN;
	memmove(c->data + MADMIN_HEADER_LEN, c->data + MADMIN_HEADER_LEN + f, c->len - MADMIN_HEADER_LEN - f);
	c->len -= f;
}
static void swap_fragments(struct buf *c)
{
	size_t f = SIO_BUF_SIZE + SIO_TAG_LEN;
	char *a = c->data + MADMIN_HEADER_LEN, *tmp = malloc(f);
	memcpy(tmp, a, f);
	memcpy(a, a + f, f);
	memcpy(a + f, tmp, f);
	free(tmp);
}
static void tag_only_short(struct buf *c) { c->len = MADMIN_HEADER_LEN + SIO_TAG_LEN - 1; }

static void test_tampering_refused(void **state)
{
	(void)state;
	/* The 40000-byte vector: three fragments (16384, 16384, 7232). */
	const struct madmin_vector *v = NULL;
	for (size_t i = 0; i < N_VECTORS; i++)
		if (madmin_vectors[i].len == 40000)
			v = &madmin_vectors[i];
	assert_non_null(v);
	uint8_t key[32], *plain = pattern(v->len);
	struct buf ct;
	buf_init(&ct);
	build(v, plain, &ct, key);
	assert_int_equal(open_changed(key, &ct, same), 0);
	assert_int_equal(open_changed(key, &ct, flip_body), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, flip_last_tag), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, flip_nonce), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, other_aead), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, drop_byte), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, add_byte), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, drop_last_fragment), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, drop_first_fragment), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, swap_fragments), -EBADMSG);
	assert_int_equal(open_changed(key, &ct, tag_only_short), -EBADMSG);

	/* Through DecryptData: the header itself. */
	struct buf out;
	buf_init(&out);
	assert_int_equal(madmin_decrypt(v->password, ct.data, MADMIN_HEADER_LEN - 1, &out), -EBADMSG);
	assert_int_equal(madmin_decrypt(v->password, ct.data, MADMIN_HEADER_LEN, &out), -EBADMSG);
	ct.data[32] = 3;
	assert_int_equal(madmin_decrypt(v->password, ct.data, ct.len, &out), -EPROTONOSUPPORT);
	ct.data[32] = 0;
	ct.data[0] ^= 1;   /* another salt: another key */
	assert_int_equal(madmin_decrypt(v->password, ct.data, ct.len, &out), -EBADMSG);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&ct);
	free(plain);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	uint8_t salt[32] = { 0 }, nonce[8] = { 0 }, key[32] = { 0 };
	struct buf out;
	buf_init(&out);
	assert_int_equal(madmin_encrypt_with("pw", (enum madmin_aead)3, salt, nonce, "x", 1, &out), -EINVAL);
	/* Size limits are checked before anything is read or derived. */
	assert_int_equal(madmin_encrypt("pw", MADMIN_PBKDF2_AES_GCM, "x", MADMIN_MAX_PLAINTEXT + 1, &out), -EFBIG);
	assert_int_equal(madmin_encrypt("pw", (enum madmin_aead)3, "x", 1, &out), -EINVAL);
	assert_int_equal(sio_seal(MADMIN_ARGON2ID_AES_GCM, key, nonce, "x", MADMIN_MAX_PLAINTEXT + 1, &out), -EFBIG);
	assert_int_equal(sio_open(MADMIN_ARGON2ID_AES_GCM, key, nonce, "x", 2u * MADMIN_MAX_PLAINTEXT, &out), -EFBIG);
	assert_int_equal(sio_open((enum madmin_aead)7, key, nonce, "x", 1, &out), -EPROTONOSUPPORT);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_full_path),
		cmocka_unit_test(test_random_salt_and_nonce),
		cmocka_unit_test(test_tampering_refused),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
