/* Seed build/parse/open. Format: docs/seed-format.md. */
#include "lib/seed.h"
#include "lib/b64.h"
#include "lib/xalloc.h"
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define NAME_MAX_LEN 63
#define FILE_NAME_MAX 64
#define SECRET_NAME_MAX 64

static bool valid_chars(const char *s, size_t n, size_t max, const char *extra)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(extra, c))))
			return false;
	}
	return true;
}

static bool valid_name(const char *s, size_t n) { return valid_chars(s, n, NAME_MAX_LEN, "-"); }
static bool valid_secret_name(const char *s, size_t n) { return valid_chars(s, n, SECRET_NAME_MAX, "_"); }
static bool valid_file_name(const char *s, size_t n)
{
	return valid_chars(s, n, FILE_NAME_MAX, "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-") && s[0] != '.';
}

static char *trusted_comment(const char *deployment, const char *host, uint64_t serial)
{
	return xasprintf("deployment=%s host=%s serial=%" PRIu64, deployment, host, serial);
}

/* ---------------------------------------------------------------- build */

static int compress_text(const char *text, size_t len, struct buf *out)
{
	uLongf cap = compressBound(len);
	uint8_t *z = xmalloc(cap);
	if (compress2(z, &cap, (const Bytef *)text, len, 9) != Z_OK) {
		free(z);
		return -EIO;
	}
	b64_append(out, z, cap);
	free(z);
	return 0;
}

int seed_sign_body(const struct minisign_key *op, const char *deployment, const char *host,
		   uint64_t serial, struct buf *body)
{
	uint8_t h[MINISIGN_HASH_BYTES];
	struct minisign_sig s;
	minisign_hash_buffer(body->data, body->len, h);
	char *tc = trusted_comment(deployment, host, serial);
	int r = minisign_sign_raw(op, h, tc, &s);
	free(tc);
	if (r < 0)
		return r;
	uint8_t raw[2 + MINISIGN_KEYNUM_BYTES + 64];
	memcpy(raw, s.alg, 2);
	memcpy(raw + 2, s.keynum, MINISIGN_KEYNUM_BYTES);
	memcpy(raw + 2 + MINISIGN_KEYNUM_BYTES, s.sig, 64);
	buf_puts(body, "sig=");
	b64_append(body, raw, sizeof raw);
	buf_printf(body, ";trusted=%s;global-sig=", s.trusted_comment);
	b64_append(body, s.global_sig, 64);
	buf_putc(body, '\n');
	minisign_sig_free(&s);
	return 0;
}

/* The sealed plaintext: "<name>=<len>:<value>\n" per secret. */
static uint8_t *secrets_plaintext(const struct seed_secret *s, size_t n, size_t *len)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(s[i].name) + 1 + 20 + 1 + s[i].len + 1;
	uint8_t *p = sodium_malloc(total + 1);
	if (!p)
		abort();
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf((char *)p + o, total + 1 - o, "%s=%zu:", s[i].name, s[i].len);
		memcpy(p + o, s[i].value, s[i].len);
		o += s[i].len;
		p[o++] = '\n';
	}
	*len = o;
	return p;
}

int seed_build(const struct seed_params *p, const uint8_t role_pk[32], const struct minisign_key *op,
	       struct buf *out)
{
	if (!valid_name(p->deployment, strlen(p->deployment)) || !valid_name(p->host, strlen(p->host)) ||
	    (unsigned)p->role >= ROLE__COUNT)
		return -EINVAL;
	for (size_t i = 0; i < p->n_secrets; i++) {
		if (!valid_secret_name(p->secrets[i].name, strlen(p->secrets[i].name)))
			return -EINVAL;
		if (p->may_carry && !p->may_carry(p->may_carry_ud, p->secrets[i].name))
			return -EPERM;
	}
	for (size_t i = 0; i < p->n_files; i++)
		if (!valid_file_name(p->files[i].name, strlen(p->files[i].name)))
			return -EINVAL;

	struct buf b;
	buf_init(&b);
	buf_printf(&b, SEED_MAGIC "%d;deployment=%s;host=%s;role=%s;serial=%" PRIu64 ";created=%" PRId64
		   ";role-key=", SEED_FORMAT_VERSION, p->deployment, p->host, role_name(p->role), p->serial,
		   p->created);
	b64_append(&b, role_pk, 32);
	buf_puts(&b, ";topology=");
	int r = compress_text(p->topology, p->topology_len, &b);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	for (size_t i = 0; i < p->n_files; i++) {
		buf_printf(&b, ";file=%s:", p->files[i].name);
		b64_append(&b, p->files[i].data, p->files[i].len);
	}
	buf_puts(&b, ";secrets=");
	for (size_t i = 0; i < p->n_secrets; i++)
		buf_printf(&b, "%s%s", i ? "," : "", p->secrets[i].name);

	size_t plen;
	uint8_t *plain = secrets_plaintext(p->secrets, p->n_secrets, &plen);
	uint8_t *sealed = xmalloc(plen + crypto_box_SEALBYTES);
	crypto_box_seal(sealed, plain, plen, role_pk);
	sodium_free(plain);
	buf_puts(&b, ";sealed=");
	b64_append(&b, sealed, plen + crypto_box_SEALBYTES);
	free(sealed);
	buf_putc(&b, ';');

	r = seed_sign_body(op, p->deployment, p->host, p->serial, &b);
	if (r == 0)
		buf_append(out, b.data, b.len);
	buf_free(&b);
	return r;
}

/* ---------------------------------------------------------------- parse */

struct span { const char *p; size_t n; };

struct parsed {
	struct span sealed;
	size_t signed_len;            /* bytes covered by the signature */
	struct minisign_sig sig;
};

static char *span_dup(struct span s) { return xstrndup(s.p, s.n); }

static int parse_u64(struct span s, uint64_t *out)
{
	if (s.n == 0 || s.n > 20 || (s.n > 1 && s.p[0] == '0'))
		return SEED_E_MALFORMED;
	uint64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return SEED_E_MALFORMED;
		uint64_t d = (uint64_t)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return SEED_E_MALFORMED;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Next ';'-terminated field that must start with key (e.g. "host="). */
static bool take(const char **p, const char *end, const char *key, struct span *val)
{
	size_t kl = strlen(key);
	if ((size_t)(end - *p) < kl || memcmp(*p, key, kl) != 0)
		return false;
	const char *v = *p + kl, *semi = memchr(v, ';', (size_t)(end - v));
	const char *e = semi ? semi : end;
	val->p = v;
	val->n = (size_t)(e - v);
	*p = semi ? semi + 1 : end;
	return true;
}

static int inflate_text(const uint8_t *z, size_t zlen, char **out, size_t *out_len)
{
	z_stream st;
	memset(&st, 0, sizeof st);
	if (inflateInit(&st) != Z_OK)
		return -ENOMEM;
	size_t cap = SEED_TOPOLOGY_MAX;
	char *t = xmalloc(cap + 1);
	st.next_in = (Bytef *)z;
	st.avail_in = (uInt)zlen;
	st.next_out = (Bytef *)t;
	st.avail_out = (uInt)cap;
	int zr = inflate(&st, Z_FINISH);
	size_t n = st.total_out;
	bool whole = zr == Z_STREAM_END && st.avail_in == 0;
	inflateEnd(&st);
	if (!whole) {
		free(t);
		return SEED_E_MALFORMED;
	}
	t[n] = '\0';
	if (memchr(t, '\0', n)) {
		free(t);
		return SEED_E_MALFORMED;
	}
	*out = t;
	*out_len = n;
	return 0;
}

static int parse_secret_names(struct span s, struct seed *out)
{
	if (s.n == 0)
		return 0;
	const char *p = s.p, *end = s.p + s.n;
	size_t cap = 0;
	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c ? c : end;
		if (!valid_secret_name(p, (size_t)(e - p)))
			return SEED_E_MALFORMED;
		char *name = xstrndup(p, (size_t)(e - p));
		for (size_t i = 0; i < out->n_secret_names; i++)
			if (!strcmp(out->secret_names[i], name)) {
				free(name);
				return SEED_E_MALFORMED;
			}
		out->secret_names = xgrow(out->secret_names, &cap, out->n_secret_names + 1, sizeof(char *));
		out->secret_names[out->n_secret_names++] = name;
		if (!c)
			return 0;
		p = c + 1;
	}
}

static int parse_file(struct span s, struct seed *out, size_t *cap)
{
	const char *colon = memchr(s.p, ':', s.n);
	if (!colon || !valid_file_name(s.p, (size_t)(colon - s.p)))
		return SEED_E_MALFORMED;
	struct seed_file f;
	f.name = xstrndup(s.p, (size_t)(colon - s.p));
	if (b64_decode_alloc(colon + 1, s.n - (size_t)(colon + 1 - s.p), &f.data, &f.len) < 0) {
		free(f.name);
		return SEED_E_MALFORMED;
	}
	out->files = xgrow(out->files, cap, out->n_files + 1, sizeof f);
	out->files[out->n_files++] = f;
	return 0;
}

/* Everything but the seal: structure, public fields, signature fields. */
static int parse_seed(const char *data, size_t len, struct seed *out, struct parsed *pr)
{
	memset(out, 0, sizeof *out);
	memset(pr, 0, sizeof *pr);
	if (len > SEED_MAX_BYTES)
		return SEED_E_MALFORMED;
	if (len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && data[len - 1] == '\n')
		len -= 1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] < 0x20 || (unsigned char)data[i] > 0x7e)
			return SEED_E_MALFORMED;
	const char *p = data, *end = data + len;
	struct span v, sig, tc, gsig;
	uint64_t ver;
	size_t ml = strlen(SEED_MAGIC);
	if (len < ml || memcmp(data, SEED_MAGIC, ml) != 0)
		return SEED_E_MALFORMED;
	p += ml;
	const char *semi = memchr(p, ';', (size_t)(end - p));
	if (parse_u64((struct span){ p, (size_t)((semi ? semi : end) - p) }, &ver) < 0)
		return SEED_E_MALFORMED;
	if (ver != SEED_FORMAT_VERSION)
		return SEED_E_VERSION;
	out->version = (unsigned)ver;
	p = semi ? semi + 1 : end;

	if (!take(&p, end, "deployment=", &v) || !valid_name(v.p, v.n))
		return SEED_E_MALFORMED;
	out->deployment = span_dup(v);
	if (!take(&p, end, "host=", &v) || !valid_name(v.p, v.n))
		return SEED_E_MALFORMED;
	out->host = span_dup(v);
	if (!take(&p, end, "role=", &v))
		return SEED_E_MALFORMED;
	out->role = span_dup(v);
	if (role_from_name(out->role) < 0)
		return SEED_E_MALFORMED;
	uint64_t created;
	if (!take(&p, end, "serial=", &v) || parse_u64(v, &out->serial) < 0 ||
	    !take(&p, end, "created=", &v) || parse_u64(v, &created) < 0 || created > INT64_MAX)
		return SEED_E_MALFORMED;
	out->created = (int64_t)created;
	if (!take(&p, end, "role-key=", &v) || b64_decode_exact(v.p, v.n, out->role_pk, 32) < 0)
		return SEED_E_MALFORMED;
	uint8_t *z;
	size_t zlen;
	if (!take(&p, end, "topology=", &v) || b64_decode_alloc(v.p, v.n, &z, &zlen) < 0)
		return SEED_E_MALFORMED;
	int r = inflate_text(z, zlen, &out->topology, &out->topology_len);
	free(z);
	if (r < 0)
		return r;
	size_t fcap = 0;
	while (take(&p, end, "file=", &v))
		if (parse_file(v, out, &fcap) < 0)
			return SEED_E_MALFORMED;
	if (!take(&p, end, "secrets=", &v) || parse_secret_names(v, out) < 0)
		return SEED_E_MALFORMED;
	if (!take(&p, end, "sealed=", &pr->sealed) || pr->sealed.n == 0 || p == end)
		return SEED_E_MALFORMED;
	pr->signed_len = (size_t)(p - data);
	uint8_t raw[2 + MINISIGN_KEYNUM_BYTES + 64];
	if (!take(&p, end, "sig=", &sig) || b64_decode_exact(sig.p, sig.n, raw, sizeof raw) < 0 ||
	    memcmp(raw, "ED", 2) != 0 || !take(&p, end, "trusted=", &tc) || tc.n == 0 ||
	    !take(&p, end, "global-sig=", &gsig) || p != end || gsig.p + gsig.n != end ||
	    b64_decode_exact(gsig.p, gsig.n, pr->sig.global_sig, 64) < 0)
		return SEED_E_MALFORMED;
	memcpy(pr->sig.alg, raw, 2);
	memcpy(pr->sig.keynum, raw + 2, MINISIGN_KEYNUM_BYTES);
	memcpy(pr->sig.sig, raw + 2 + MINISIGN_KEYNUM_BYTES, 64);
	memcpy(out->keynum, pr->sig.keynum, MINISIGN_KEYNUM_BYTES);
	pr->sig.trusted_comment = span_dup(tc);
	out->trusted_comment = span_dup(tc);
	return 0;
}

static int check_signature(const char *data, const struct seed *s, const struct parsed *pr,
			   const struct minisign_pub *op)
{
	uint8_t h[MINISIGN_HASH_BYTES];
	minisign_hash_buffer(data, pr->signed_len, h);
	int r = minisign_verify_hash(op, &pr->sig, h);
	if (r == -ENOKEY)
		return SEED_E_WRONG_SIGNER;
	if (r < 0)
		return SEED_E_BAD_SIG;
	/* Signed, so a mismatch is the signer's bug, not an attack; still refuse. */
	char *want = trusted_comment(s->deployment, s->host, s->serial);
	bool same = !strcmp(want, s->trusted_comment);
	free(want);
	return same ? 0 : SEED_E_MALFORMED;
}

static int parse_plaintext(const uint8_t *pt, size_t len, struct seed *out)
{
	const char *p = (const char *)pt, *end = p + len;
	out->secrets = xcalloc(out->n_secret_names ? out->n_secret_names : 1, sizeof *out->secrets);
	for (size_t i = 0; i < out->n_secret_names; i++) {
		const char *name = out->secret_names[i];
		size_t nl = strlen(name);
		if ((size_t)(end - p) < nl + 1 || memcmp(p, name, nl) != 0 || p[nl] != '=')
			return SEED_E_MALFORMED;
		p += nl + 1;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		uint64_t vlen;
		if (!colon || parse_u64((struct span){ p, (size_t)(colon - p) }, &vlen) < 0 ||
		    vlen >= (uint64_t)(end - colon - 1) || colon[1 + vlen] != '\n')
			return SEED_E_MALFORMED;
		struct seed_secret *s = &out->secrets[out->n_secrets++];
		s->name = xstrdup(name);
		s->len = (size_t)vlen;
		s->value = sodium_malloc(s->len + 1);
		if (!s->value)
			abort();
		memcpy(s->value, colon + 1, s->len);
		s->value[s->len] = '\0';
		p = colon + 1 + vlen + 1;
	}
	return p == end ? 0 : SEED_E_MALFORMED;
}

static int open_sealed(const struct parsed *pr, const struct role_keypair *rk, struct seed *out)
{
	uint8_t *c;
	size_t clen;
	if (b64_decode_alloc(pr->sealed.p, pr->sealed.n, &c, &clen) < 0)
		return SEED_E_MALFORMED;
	if (clen < crypto_box_SEALBYTES) {
		free(c);
		return SEED_E_MALFORMED;
	}
	size_t plen = clen - crypto_box_SEALBYTES;
	uint8_t *pt = sodium_malloc(plen + 1);
	if (!pt)
		abort();
	int r = crypto_box_seal_open(pt, c, clen, rk->pk, rk->sk) == 0 ? 0 : SEED_E_TAMPERED;
	free(c);
	if (r == 0)
		r = parse_plaintext(pt, plen, out);
	sodium_free(pt);
	return r;
}

int seed_open(const char *data, size_t len, const struct minisign_pub *operator_pub,
	      const struct role_keypair *role_key, const char *expected_deployment,
	      uint64_t min_serial, struct seed *out)
{
	struct parsed pr;
	int r = parse_seed(data, len, out, &pr);
	if (r == 0)
		r = check_signature(data, out, &pr, operator_pub);
	if (r == 0 && strcmp(out->deployment, expected_deployment) != 0)
		r = SEED_E_DEPLOYMENT;
	if (r == 0 && out->serial < min_serial)
		r = SEED_E_OLD_SERIAL;
	if (r == 0 && sodium_memcmp(out->role_pk, role_key->pk, 32) != 0)
		r = SEED_E_WRONG_ROLE;
	if (r == 0)
		r = open_sealed(&pr, role_key, out);
	minisign_sig_free(&pr.sig);
	if (r < 0)
		seed_free(out);
	return r;
}

int seed_inspect(const char *data, size_t len, const struct minisign_pub *operator_pub,
		 struct seed *out, int *sig_result)
{
	struct parsed pr;
	int r = parse_seed(data, len, out, &pr);
	if (r == 0 && operator_pub && sig_result)
		*sig_result = check_signature(data, out, &pr, operator_pub);
	minisign_sig_free(&pr.sig);
	if (r < 0)
		seed_free(out);
	return r;
}

void seed_free(struct seed *s)
{
	free(s->deployment);
	free(s->host);
	free(s->role);
	free(s->topology);
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].name);
		free(s->files[i].data);
	}
	free(s->files);
	for (size_t i = 0; i < s->n_secret_names; i++)
		free(s->secret_names[i]);
	free(s->secret_names);
	for (size_t i = 0; i < s->n_secrets; i++) {
		free(s->secrets[i].name);
		sodium_free(s->secrets[i].value);   /* wipes */
	}
	free(s->secrets);
	free(s->trusted_comment);
	memset(s, 0, sizeof *s);
}

const char *seed_strerror(int r)
{
	switch (r) {
	case 0: return "ok";
	case SEED_E_MALFORMED: return "malformed or truncated seed";
	case SEED_E_VERSION: return "unknown seed format version";
	case SEED_E_WRONG_SIGNER: return "seed signed by a different operator key";
	case SEED_E_BAD_SIG: return "seed signature does not verify (seed was changed)";
	case SEED_E_DEPLOYMENT: return "seed is for another deployment";
	case SEED_E_OLD_SERIAL: return "seed serial is lower than the last one applied";
	case SEED_E_WRONG_ROLE: return "seed is sealed to another role key";
	case SEED_E_TAMPERED: return "sealed secrets do not open (ciphertext tampered)";
	case SEED_E_UNKNOWN_HOST: return "host is not in the seed's topology";
	default: return strerror(-r);
	}
}
