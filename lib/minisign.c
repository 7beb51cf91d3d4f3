/* minisign file formats; byte facts in /work/shared/docs/formats.md §6 and
 * docs/keys-and-seeds.md. Written from the format description, not from
 * minisign's source. */
#include "lib/minisign.h"
#include "lib/input.h"
#include "lib/b64.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define PUB_BYTES (2 + MINISIGN_KEYNUM_BYTES + 32)                      /* 42 */
#define SIG_BYTES (2 + MINISIGN_KEYNUM_BYTES + 64)                      /* 74 */
/* alg kdf chk salt ops mem | keynum sk chk */
#define SK_BYTES (2 + 2 + 2 + 32 + 8 + 8 + MINISIGN_KEYNUM_BYTES + 64 + 32)  /* 158 */

struct minisign_key *minisign_keygen(void)
{
	struct minisign_key *k = sodium_malloc(sizeof *k);
	if (!k)
		abort();
	uint8_t pk[32];
	randombytes_buf(k->keynum, sizeof k->keynum);
	crypto_sign_keypair(pk, k->sk);
	return k;
}

void minisign_key_free(struct minisign_key *k)
{
	if (k)
		sodium_free(k);   /* sodium_free wipes */
}

void minisign_key_public(const struct minisign_key *k, struct minisign_pub *out)
{
	memcpy(out->keynum, k->keynum, sizeof out->keynum);
	crypto_sign_ed25519_sk_to_pk(out->pk, k->sk);
}

void minisign_keyid(const uint8_t keynum[MINISIGN_KEYNUM_BYTES], char out[17])
{
	uint64_t v = 0;
	for (int i = MINISIGN_KEYNUM_BYTES - 1; i >= 0; i--)
		v = (v << 8) | keynum[i];
	snprintf(out, 17, "%016" PRIX64, v);
}

void minisign_pub_format(const struct minisign_pub *p, struct buf *out)
{
	uint8_t raw[PUB_BYTES];
	char id[17];
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, p->keynum, MINISIGN_KEYNUM_BYTES);
	memcpy(raw + 2 + MINISIGN_KEYNUM_BYTES, p->pk, 32);
	minisign_keyid(p->keynum, id);
	buf_printf(out, UNTRUSTED_PREFIX "minisign public key %s\n", id);
	b64_append(out, raw, sizeof raw);
	buf_putc(out, '\n');
}

/* minisign's checksum: BLAKE2b-256(sig_alg || keynum || sk). */
static void sk_checksum(const struct minisign_key *k, uint8_t out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&st, k->keynum, MINISIGN_KEYNUM_BYTES);
	crypto_generichash_update(&st, k->sk, 64);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

void minisign_key_format(const struct minisign_key *k, struct buf *out)
{
	uint8_t *raw = sodium_malloc(SK_BYTES);
	if (!raw)
		abort();
	memset(raw, 0, SK_BYTES);
	memcpy(raw, "Ed", 2);
	/* kdf "\0\0" (none), salt/opslimit/memlimit zero */
	memcpy(raw + 4, "B2", 2);
	uint8_t *ks = raw + 2 + 2 + 2 + 32 + 8 + 8;
	memcpy(ks, k->keynum, MINISIGN_KEYNUM_BYTES);
	memcpy(ks + MINISIGN_KEYNUM_BYTES, k->sk, 64);
	sk_checksum(k, ks + MINISIGN_KEYNUM_BYTES + 64);
	buf_puts(out, UNTRUSTED_PREFIX "minisign secret key (kiln, not encrypted)\n");
	b64_append(out, raw, SK_BYTES);
	buf_putc(out, '\n');
	sodium_free(raw);
}

/* One line of a minisign file: up to LF, one CR before it tolerated, no
 * other control bytes. The final line may lack its LF. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
	if (*p >= end)
		return -EBADMSG;
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	if (e > s && e[-1] == '\r')
		e--;
	for (const char *c = s; c < e; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return -EBADMSG;
	*line = s;
	*len = (size_t)(e - s);
	return 0;
}

static int comment_line(const char **p, const char *end, const char *prefix, size_t max,
			const char **text, size_t *text_len)
{
	const char *l;
	size_t n, pl = strlen(prefix);
	if (next_line(p, end, &l, &n) < 0 || n < pl || memcmp(l, prefix, pl) != 0 || n - pl >= max)
		return -EBADMSG;
	*text = l + pl;
	*text_len = n - pl;
	return 0;
}

static int b64_line(const char **p, const char *end, uint8_t *out, size_t n)
{
	const char *l;
	size_t len;
	if (next_line(p, end, &l, &len) < 0)
		return -EBADMSG;
	return b64_decode_exact(l, len, out, n);
}

static int at_end(const char *p, const char *end)
{
	return p == end ? 0 : -EBADMSG;
}

int minisign_pub_parse(const char *text, size_t len, struct minisign_pub *out)
{
	const char *p = text, *end = text + len, *c;
	size_t cn;
	uint8_t raw[PUB_BYTES];
	if (comment_line(&p, end, UNTRUSTED_PREFIX, MINISIGN_COMMENT_MAX, &c, &cn) < 0 ||
	    b64_line(&p, end, raw, sizeof raw) < 0 || at_end(p, end) < 0)
		return -EBADMSG;
	if (memcmp(raw, "Ed", 2) != 0)
		return -EPROTONOSUPPORT;
	memcpy(out->keynum, raw + 2, MINISIGN_KEYNUM_BYTES);
	memcpy(out->pk, raw + 2 + MINISIGN_KEYNUM_BYTES, 32);
	return 0;
}

int minisign_key_parse(const char *text, size_t len, struct minisign_key **out)
{
	const char *p = text, *end = text + len, *c;
	size_t cn;
	int r = -EBADMSG;
	uint8_t *raw = sodium_malloc(SK_BYTES);
	struct minisign_key *k = sodium_malloc(sizeof *k);
	if (!raw || !k)
		abort();
	if (comment_line(&p, end, UNTRUSTED_PREFIX, MINISIGN_COMMENT_MAX, &c, &cn) < 0 ||
	    b64_line(&p, end, raw, SK_BYTES) < 0 || at_end(p, end) < 0)
		goto out;
	if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0)
		goto out;
	if (memcmp(raw + 2, "\0\0", 2) != 0) {
		r = -EPROTONOSUPPORT;   /* "Sc": password-encrypted; kiln keys are not */
		goto out;
	}
	const uint8_t *ks = raw + 2 + 2 + 2 + 32 + 8 + 8;
	memcpy(k->keynum, ks, MINISIGN_KEYNUM_BYTES);
	memcpy(k->sk, ks + MINISIGN_KEYNUM_BYTES, 64);
	const uint8_t *chk = ks + MINISIGN_KEYNUM_BYTES + 64;
	uint8_t want[32], zero[32] = { 0 };
	sk_checksum(k, want);
	/* minisign 0.11 `-G -W` leaves the checksum zero; accept that, but then
	 * the public half must still match the seed. */
	if (sodium_memcmp(chk, want, 32) != 0 && sodium_memcmp(chk, zero, 32) != 0)
		goto out;
	uint8_t pk[32], sk2[64];
	crypto_sign_seed_keypair(pk, sk2, k->sk);
	int same = sodium_memcmp(sk2, k->sk, 64) == 0;
	sodium_memzero(sk2, sizeof sk2);
	if (!same)
		goto out;
	*out = k;
	k = NULL;
	r = 0;
out:
	sodium_free(raw);
	if (k)
		sodium_free(k);
	return r;
}

int minisign_hash_buffer(const void *data, size_t len, uint8_t out[MINISIGN_HASH_BYTES])
{
	crypto_generichash(out, MINISIGN_HASH_BYTES, data, len, NULL, 0);
	return 0;
}

int minisign_hash_file(const char *path, uint8_t out[MINISIGN_HASH_BYTES])
{
	int fd = open_input(path, 0, SIZE_MAX);
	if (fd < 0)
		return fd;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, MINISIGN_HASH_BYTES);
	size_t bs = 1u << 20;
	uint8_t *b = xmalloc(bs);
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, b, bs);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, b, (size_t)n);
	}
	close(fd);
	free(b);
	if (r == 0)
		crypto_generichash_final(&st, out, MINISIGN_HASH_BYTES);
	return r;
}

static int comment_ok(const char *c, size_t max)
{
	size_t n = strlen(c);
	if (n >= max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] < 0x20 && c[i] != '\t')
			return 0;
	return 1;
}

static void global_message(const uint8_t sig[64], const char *tc, size_t tcl, struct buf *m)
{
	buf_append(m, sig, 64);
	buf_append(m, tc, tcl);
}

int minisign_sign_raw(const struct minisign_key *k, const uint8_t hash[MINISIGN_HASH_BYTES],
		      const char *trusted_comment, struct minisign_sig *out)
{
	if (!comment_ok(trusted_comment, MINISIGN_TRUSTED_COMMENT_MAX))
		return -EINVAL;
	memcpy(out->alg, "ED", 2);
	memcpy(out->keynum, k->keynum, MINISIGN_KEYNUM_BYTES);
	crypto_sign_detached(out->sig, NULL, hash, MINISIGN_HASH_BYTES, k->sk);
	struct buf m;
	buf_init(&m);
	global_message(out->sig, trusted_comment, strlen(trusted_comment), &m);
	crypto_sign_detached(out->global_sig, NULL, (const uint8_t *)m.data, m.len, k->sk);
	buf_free(&m);
	out->trusted_comment = xstrdup(trusted_comment);
	return 0;
}

int minisign_sign_hash(const struct minisign_key *k, const uint8_t hash[MINISIGN_HASH_BYTES],
		       const char *trusted_comment, const char *untrusted, struct buf *out)
{
	if (!untrusted)
		untrusted = "signature from kiln secret key";
	if (!comment_ok(untrusted, MINISIGN_COMMENT_MAX))
		return -EINVAL;
	struct minisign_sig s;
	int r = minisign_sign_raw(k, hash, trusted_comment, &s);
	if (r < 0)
		return r;
	uint8_t raw[SIG_BYTES];
	memcpy(raw, s.alg, 2);
	memcpy(raw + 2, s.keynum, MINISIGN_KEYNUM_BYTES);
	memcpy(raw + 2 + MINISIGN_KEYNUM_BYTES, s.sig, 64);
	buf_printf(out, UNTRUSTED_PREFIX "%s\n", untrusted);
	b64_append(out, raw, sizeof raw);
	buf_printf(out, "\n" TRUSTED_PREFIX "%s\n", s.trusted_comment);
	b64_append(out, s.global_sig, 64);
	buf_putc(out, '\n');
	minisign_sig_free(&s);
	return 0;
}

int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *out)
{
	const char *p = text, *end = text + len, *c, *tc;
	size_t cn, tcn;
	uint8_t raw[SIG_BYTES];
	memset(out, 0, sizeof *out);
	if (comment_line(&p, end, UNTRUSTED_PREFIX, MINISIGN_COMMENT_MAX, &c, &cn) < 0 ||
	    b64_line(&p, end, raw, sizeof raw) < 0 ||
	    comment_line(&p, end, TRUSTED_PREFIX, MINISIGN_TRUSTED_COMMENT_MAX, &tc, &tcn) < 0 ||
	    b64_line(&p, end, out->global_sig, 64) < 0 || at_end(p, end) < 0)
		return -EBADMSG;
	if (memcmp(raw, "ED", 2) != 0 && memcmp(raw, "Ed", 2) != 0)
		return -EPROTONOSUPPORT;
	memcpy(out->alg, raw, 2);
	memcpy(out->keynum, raw + 2, MINISIGN_KEYNUM_BYTES);
	memcpy(out->sig, raw + 2 + MINISIGN_KEYNUM_BYTES, 64);
	out->trusted_comment = xstrndup(tc, tcn);
	return 0;
}

void minisign_sig_free(struct minisign_sig *s)
{
	free(s->trusted_comment);
	s->trusted_comment = NULL;
}

static int verify_common(const struct minisign_pub *p, const struct minisign_sig *s,
			 const uint8_t *msg, size_t msg_len)
{
	if (memcmp(p->keynum, s->keynum, MINISIGN_KEYNUM_BYTES) != 0)
		return -ENOKEY;
	if (crypto_sign_verify_detached(s->sig, msg, msg_len, p->pk) != 0)
		return -EKEYREJECTED;
	struct buf m;
	buf_init(&m);
	const char *tc = s->trusted_comment ? s->trusted_comment : "";
	global_message(s->sig, tc, strlen(tc), &m);
	int r = crypto_sign_verify_detached(s->global_sig, (const uint8_t *)m.data, m.len, p->pk);
	buf_free(&m);
	return r == 0 ? 0 : -EKEYREJECTED;
}

int minisign_verify_hash(const struct minisign_pub *p, const struct minisign_sig *s,
			 const uint8_t hash[MINISIGN_HASH_BYTES])
{
	if (memcmp(s->alg, "ED", 2) != 0)
		return -EPROTONOSUPPORT;
	return verify_common(p, s, hash, MINISIGN_HASH_BYTES);
}

int minisign_verify_buffer(const struct minisign_pub *p, const struct minisign_sig *s,
			   const void *data, size_t len)
{
	if (memcmp(s->alg, "Ed", 2) == 0)
		return verify_common(p, s, data, len);
	uint8_t h[MINISIGN_HASH_BYTES];
	minisign_hash_buffer(data, len, h);
	return minisign_verify_hash(p, s, h);
}

int minisign_verify_file(const struct minisign_pub *p, const struct minisign_sig *s,
			 const char *path)
{
	if (memcmp(s->alg, "ED", 2) != 0)
		return -EPROTONOSUPPORT;
	if (memcmp(p->keynum, s->keynum, MINISIGN_KEYNUM_BYTES) != 0)
		return -ENOKEY;
	uint8_t h[MINISIGN_HASH_BYTES];
	int r = minisign_hash_file(path, h);
	if (r < 0)
		return r;
	return minisign_verify_hash(p, s, h);
}

const char *minisign_strerror(int r)
{
	switch (r) {
	case 0: return "ok";
	case -EBADMSG: return "malformed minisign file (bad comment prefix, base64 or line structure)";
	case -ENOKEY: return "signed by a different key (key id mismatch)";
	case -EKEYREJECTED: return "signature verification failed (data or trusted comment changed)";
	case -EPROTONOSUPPORT: return "unsupported algorithm (encrypted secret key or unknown signature type)";
	default: return strerror(-r);
	}
}

char *minisign_kiln_comment(int64_t timestamp, const char *file_basename, const char *deployment,
			    uint64_t version)
{
	/* a tab or line break in a value could forge or break fields */
	for (const char *c = file_basename; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return NULL;
	for (const char *c = deployment; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return NULL;
	return xasprintf("timestamp:%" PRId64 "\tfile:%s\tdeployment:%s\tversion:%" PRIu64,
			 timestamp, file_basename, deployment, version);
}

/* Value of "key:" among tab-separated fields; NULL if absent or repeated. */
static char *comment_field(const char *c, const char *key)
{
	size_t kl = strlen(key);
	char *found = NULL;
	for (const char *f = c; f; ) {
		const char *tab = strchr(f, '\t');
		size_t fl = tab ? (size_t)(tab - f) : strlen(f);
		if (fl > kl && memcmp(f, key, kl) == 0 && f[kl] == ':') {
			if (found) {
				free(found);
				return NULL;
			}
			found = xstrndup(f + kl + 1, fl - kl - 1);
		}
		f = tab ? tab + 1 : NULL;
	}
	return found;
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || strlen(s) > 20)
		return -EBADMSG;
	uint64_t v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EBADMSG;
		uint64_t d = (uint64_t)(*c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int minisign_kiln_comment_parse(const char *comment, char **deployment, uint64_t *version,
				int64_t *timestamp)
{
	char *d = comment_field(comment, "deployment");
	char *v = comment_field(comment, "version");
	char *t = comment_field(comment, "timestamp");
	uint64_t vv, tv;
	int r = -EBADMSG;
	if (d && *d && parse_u64(v, &vv) == 0 && parse_u64(t, &tv) == 0 && tv <= INT64_MAX) {
		*deployment = d;
		d = NULL;
		*version = vv;
		if (timestamp)
			*timestamp = (int64_t)tv;
		r = 0;
	}
	free(d);
	free(v);
	free(t);
	return r;
}
