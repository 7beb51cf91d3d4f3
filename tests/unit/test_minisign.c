/* lib/minisign.c, lib/rolekey.c, lib/b64.c: formats, strict parsing, verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/b64.h"
#include "lib/fileio.h"
#include "lib/minisign.h"
#include "lib/rolekey.h"

/* A public key and signature made by minisign 0.11 (`minisign -G -W`,
 * `echo hi > f; minisign -S -s k.key -m f`): interoperability fixture. */
static const char ms_pub[] =
	"untrusted comment: minisign public key 73138C45A64823EE\n"
	"RWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\n";
static const char ms_sig[] =
	"untrusted comment: signature from minisign secret key\n"
	"RUTuI0imRYwTcxgQAlBa1pztQPDdHAW0ArGvfHTbIgOZqB991M7MI85+m7196m4ukFy0DuqR5jsZ5a4yCwCk1h9tN9C6yYJC7g4=\n"
	"trusted comment: timestamp:1795323433\tfile:f\thashed\n"
	"6K6tr1vzzsHUJrcfXridUxs8F11uHzOVBz2t6yqZZUXqTyLEtY6MRjgKJyrkybx/3DQ+HHLjXAWeOrV/QtsVAg==\n";
/* Its secret key file as minisign 0.11 -W wrote it (checksum left zero). */
static const char ms_key[] =
	"untrusted comment: minisign encrypted secret key\n"
	"RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA7iNIpkWME3NlxfpwfiNJQWUZ"
	"//Li0wM3M43AO5QYHJLwzhAfjCWNyAT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4XAAAAAAAAAAAAAAAAAAAAAAAA"
	"AAAAAAAAAAAAAAAAAAA=\n";

static void test_minisign_fixture_verifies(void **state)
{
	(void)state;
	struct minisign_pub p;
	struct minisign_sig s;
	char id[17];
	assert_int_equal(minisign_pub_parse(ms_pub, strlen(ms_pub), &p), 0);
	minisign_keyid(p.keynum, id);
	assert_string_equal(id, "73138C45A64823EE");
	struct buf again;
	buf_init(&again);
	minisign_pub_format(&p, &again);   /* byte-identical to minisign's file */
	assert_string_equal(again.data, ms_pub);
	buf_free(&again);
	assert_int_equal(minisign_sig_parse(ms_sig, strlen(ms_sig), &s), 0);
	assert_string_equal(s.trusted_comment, "timestamp:1795323433\tfile:f\thashed");
	assert_int_equal(minisign_verify_buffer(&p, &s, "hi\n", 3), 0);
	assert_int_equal(minisign_verify_buffer(&p, &s, "hI\n", 3), -EKEYREJECTED);
	/* trusted comment changed: the global signature fails */
	free(s.trusted_comment);
	s.trusted_comment = strdup("timestamp:1795323434\tfile:f\thashed");
	assert_int_equal(minisign_verify_buffer(&p, &s, "hi\n", 3), -EKEYREJECTED);
	minisign_sig_free(&s);

	struct minisign_key *k;
	assert_int_equal(minisign_key_parse(ms_key, strlen(ms_key), &k), 0);
	struct minisign_pub p2;
	minisign_key_public(k, &p2);
	assert_memory_equal(&p, &p2, sizeof p);
	minisign_key_free(k);
}

static void test_minisign_roundtrip_and_refusals(void **state)
{
	(void)state;
	struct minisign_key *k = minisign_keygen(), *k2 = minisign_keygen(), *k3;
	struct minisign_pub p, p2;
	minisign_key_public(k, &p);
	minisign_key_public(k2, &p2);
	struct buf pub, key, sig;
	buf_init(&pub);
	buf_init(&key);
	buf_init(&sig);
	minisign_pub_format(&p, &pub);
	minisign_key_format(k, &key);
	struct minisign_pub pp;
	assert_int_equal(minisign_pub_parse(pub.data, pub.len, &pp), 0);
	assert_memory_equal(&pp, &p, sizeof p);
	assert_int_equal(minisign_key_parse(key.data, key.len, &k3), 0);
	assert_memory_equal(k3, k, sizeof *k);
	minisign_key_free(k3);

	uint8_t h[64];
	minisign_hash_buffer("data", 4, h);
	assert_int_equal(minisign_sign_hash(k, h, "timestamp:1\tfile:x", NULL, &sig), 0);
	struct minisign_sig s;
	assert_int_equal(minisign_sig_parse(sig.data, sig.len, &s), 0);
	assert_int_equal(minisign_verify_hash(&p, &s, h), 0);
	assert_int_equal(minisign_verify_buffer(&p, &s, "data", 4), 0);
	assert_int_equal(minisign_verify_hash(&p2, &s, h), -ENOKEY);
	memcpy(p2.keynum, p.keynum, 8);   /* same id, other key */
	assert_int_equal(minisign_verify_hash(&p2, &s, h), -EKEYREJECTED);
	minisign_sig_free(&s);
	/* comments with line breaks are refused */
	assert_int_equal(minisign_sign_hash(k, h, "a\nb", NULL, &sig), -EINVAL);
	assert_int_equal(minisign_sign_hash(k, h, "ok", "a\rb", &sig), -EINVAL);

	/* CRLF endings are accepted */
	struct buf crlf;
	buf_init(&crlf);
	for (size_t i = 0; i < sig.len; i++) {
		if (sig.data[i] == '\n')
			buf_putc(&crlf, '\r');
		buf_putc(&crlf, sig.data[i]);
	}
	assert_int_equal(minisign_sig_parse(crlf.data, crlf.len, &s), 0);
	assert_int_equal(minisign_verify_hash(&p, &s, h), 0);
	minisign_sig_free(&s);
	buf_free(&crlf);

	buf_free(&pub);
	buf_wipe(&key);
	buf_free(&sig);
	minisign_key_free(k);
	minisign_key_free(k2);
}

static int sig_parse_rc(const char *text)
{
	struct minisign_sig s;
	int r = minisign_sig_parse(text, strlen(text), &s);
	minisign_sig_free(&s);
	return r;
}

static void test_minisign_strict_parsing(void **state)
{
	(void)state;
	struct minisign_pub p;
	char t[1024];
	/* missing/wrong prefix, short/long base64, trailing garbage, bad padding */
	const char *bad_pubs[] = {
		"RWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\n",
		"untrusted comment minisign\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\n",
		"untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4\n",
		"untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4XAAAA\n",
		"untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\nextra\n",
		"untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\n\n",
		"untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4*\n",
		"untrusted comment: x\r\r\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\n",
		"untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X \n",
		"",
	};
	for (size_t i = 0; i < sizeof bad_pubs / sizeof *bad_pubs; i++)
		assert_int_equal(minisign_pub_parse(bad_pubs[i], strlen(bad_pubs[i]), &p), -EBADMSG);
	/* last line without LF is fine (minisign trims) */
	snprintf(t, sizeof t, "untrusted comment: x\nRWTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X");
	assert_int_equal(minisign_pub_parse(t, strlen(t), &p), 0);
	/* a public key whose algorithm is not Ed */
	const char *other = "untrusted comment: x\nRUTuI0imRYwTcwT2VLauFuBkU3B15AMHcv/oG52rNUQt2wnmHVWHlF4X\n";
	assert_int_equal(minisign_pub_parse(other, strlen(other), &p), -EPROTONOSUPPORT);

	assert_int_equal(sig_parse_rc(ms_sig), 0);
	/* drop the last line; swap the comment prefixes; unknown algorithm */
	snprintf(t, sizeof t, "%.*s", (int)(strrchr(ms_sig, 't') - ms_sig), ms_sig);
	char *lastnl = strstr(ms_sig, "hashed\n") + 7;
	snprintf(t, sizeof t, "%.*s", (int)(lastnl - ms_sig), ms_sig);
	assert_int_equal(sig_parse_rc(t), -EBADMSG);
	char *sw = strdup(ms_sig);
	memcpy(strstr(sw, "trusted comment: t"), "trusted_comment: t", 18);
	assert_int_equal(sig_parse_rc(sw), -EBADMSG);
	free(sw);
	sw = strdup(ms_sig);
	memcpy(strstr(sw, "\nRUT") + 1, "RVT", 3);   /* alg "EU" */
	assert_int_equal(sig_parse_rc(sw), -EPROTONOSUPPORT);
	free(sw);

	/* secret key: encrypted (kdf "Sc") refused; corrupted checksum refused */
	struct minisign_key *k = minisign_keygen(), *k2;
	struct buf key;
	buf_init(&key);
	minisign_key_format(k, &key);
	char *nl = strchr(key.data, '\n') + 1;
	uint8_t raw[158];
	assert_int_equal(b64_decode_exact(nl, strlen(nl) - 1, raw, sizeof raw), 0);
	raw[157] ^= 1;
	struct buf bad;
	buf_init(&bad);
	buf_puts(&bad, "untrusted comment: x\n");
	b64_append(&bad, raw, sizeof raw);
	assert_int_equal(minisign_key_parse(bad.data, bad.len, &k2), -EBADMSG);
	raw[157] ^= 1;
	memcpy(raw + 2, "Sc", 2);
	buf_free(&bad);
	buf_puts(&bad, "untrusted comment: x\n");
	b64_append(&bad, raw, sizeof raw);
	assert_int_equal(minisign_key_parse(bad.data, bad.len, &k2), -EPROTONOSUPPORT);
	buf_wipe(&bad);
	buf_wipe(&key);
	minisign_key_free(k);
}

static void test_kiln_comment(void **state)
{
	(void)state;
	char *c = minisign_kiln_comment(1700000000, "app.ova", "acme", 7), *d;
	uint64_t v;
	int64_t ts;
	assert_string_equal(c, "timestamp:1700000000\tfile:app.ova\tdeployment:acme\tversion:7");
	assert_int_equal(minisign_kiln_comment_parse(c, &d, &v, &ts), 0);
	assert_string_equal(d, "acme");
	assert_int_equal(v, 7);
	assert_int_equal(ts, 1700000000);
	free(d);
	free(c);
	assert_null(minisign_kiln_comment(1, "a\tversion:9", "acme", 1));
	assert_null(minisign_kiln_comment(1, "a\nb", "acme", 1));
	assert_int_equal(minisign_kiln_comment_parse("timestamp:1\tfile:f\thashed", &d, &v, NULL), -EBADMSG);
	assert_int_equal(minisign_kiln_comment_parse("timestamp:1\tdeployment:a\tversion:x", &d, &v, NULL), -EBADMSG);
	assert_int_equal(minisign_kiln_comment_parse("timestamp:1\tdeployment:a\tversion:1\tversion:2", &d, &v, NULL), -EBADMSG);
	assert_int_equal(minisign_kiln_comment_parse("timestamp:1\tdeployment:\tversion:1", &d, &v, NULL), -EBADMSG);
}

static void test_rolekey(void **state)
{
	(void)state;
	struct role_keypair *k = role_keypair_new(), *k2;
	struct buf pub, key;
	buf_init(&pub);
	buf_init(&key);
	role_pub_format("app", k->pk, &pub);
	role_key_format("app", k, &key);
	uint8_t pk[32];
	assert_int_equal(role_pub_parse(pub.data, pub.len, pk), 0);
	assert_memory_equal(pk, k->pk, 32);
	assert_int_equal(role_key_parse(key.data, key.len, &k2), 0);
	assert_memory_equal(k2, k, sizeof *k);
	role_keypair_free(k2);
	/* mismatched halves, truncation, trailing data */
	char *b64 = strchr(key.data, '\n') + 1;
	b64[10] = b64[10] == 'A' ? 'B' : 'A';
	assert_int_equal(role_key_parse(key.data, key.len, &k2), -EBADMSG);
	assert_int_equal(role_pub_parse(pub.data, pub.len - 2, pk), -EBADMSG);
	buf_puts(&pub, "x");
	assert_int_equal(role_pub_parse(pub.data, pub.len, pk), -EBADMSG);
	assert_int_equal(role_pub_parse("", 0, pk), -EBADMSG);
	buf_free(&pub);
	buf_wipe(&key);
	role_keypair_free(k);
}

static void test_hash_file_streams(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *f = path_join(dir, "big");
	size_t n = 3u << 20;
	uint8_t *d = malloc(n);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 7);
	assert_int_equal(write_file_atomic(f, d, n, 0644), 0);
	uint8_t h1[64], h2[64];
	assert_int_equal(minisign_hash_file(f, h1), 0);
	minisign_hash_buffer(d, n, h2);
	assert_memory_equal(h1, h2, 64);
	assert_int_equal(minisign_hash_file("/nonexistent/x", h1), -ENOENT);
	unlink(f);
	rmdir(dir);
	free(f);
	free(d);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minisign_fixture_verifies),
		cmocka_unit_test(test_minisign_roundtrip_and_refusals),
		cmocka_unit_test(test_minisign_strict_parsing),
		cmocka_unit_test(test_kiln_comment),
		cmocka_unit_test(test_rolekey),
		cmocka_unit_test(test_hash_file_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
