/* The install record in the first MiB (format in record.h). */
#include "baremetal/record.h"
#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "kiln-install-record 1\n"
#define HASH_HEX (2 * MINISIGN_HASH_BYTES)
/* minisign's limits for the four lines of a signature file. */
#define SIG_TEXT_MAX (MINISIGN_COMMENT_MAX + MINISIGN_TRUSTED_COMMENT_MAX + 512)

static const char *const states[] = { "in-progress", "complete" };

/* What a value may hold: printable ASCII, no space (a disk's record is
 * shown on a terminal as it is). */
static int word_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static int word_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 255)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!word_char(*p))
			return 0;
	return 1;
}

int bm_record_format(const struct bm_record *r, uint8_t *out)
{
	if (!word_ok(r->image) || !word_ok(r->deployment) || (unsigned)r->state > BM_RECORD_COMPLETE ||
	    (r->has_carried && (!r->carried_sig || strlen(r->carried_sig) > SIG_TEXT_MAX)))
		return -EINVAL;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, MAGIC "state %s\ntime %" PRId64 "\nimage %s\ndeployment %s\nversion %" PRIu64 "\n",
		   states[r->state], r->time, r->image, r->deployment, r->version);
	if (r->has_carried) {
		char h[HASH_HEX + 1];
		sodium_bin2hex(h, sizeof h, r->carried_hash, MINISIGN_HASH_BYTES);
		buf_printf(&b, "carried-hash %s\ncarried-sig ", h);
		b64_append(&b, r->carried_sig, strlen(r->carried_sig));
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "end\n");
	int e = 0;
	if (b.len > BM_RECORD_SIZE)
		e = -E2BIG;
	else {
		memset(out, 0, BM_RECORD_SIZE);
		memcpy(out, b.data, b.len);
	}
	buf_free(&b);
	return e;
}

void bm_record_free(struct bm_record *r)
{
	free(r->image);
	free(r->deployment);
	free(r->carried_sig);
	memset(r, 0, sizeof *r);
}

/* The next line "KEY VALUE" of the record; *value points into the block and
 * is NUL-terminated in place (the block is a private copy). */
static int take(char **p, char *end, const char *key, char **value)
{
	char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t kl = strlen(key);
	if (!nl || (size_t)(nl - *p) <= kl + 1 || memcmp(*p, key, kl) != 0 || (*p)[kl] != ' ')
		return -EBADMSG;
	*nl = '\0';
	*value = *p + kl + 1;
	*p = nl + 1;
	/* printable to the newline: no NUL cuts the value short */
	for (const unsigned char *c = (const unsigned char *)*value; c < (const unsigned char *)nl; c++)
		if (!word_char(*c))
			return -EBADMSG;
	return 0;
}

static int number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 20)
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse(char *p, char *end, struct bm_record *r)
{
	char *v;
	uint64_t t;
	if (take(&p, end, "state", &v) < 0)
		return -EBADMSG;
	if (!strcmp(v, states[0]))
		r->state = BM_RECORD_IN_PROGRESS;
	else if (!strcmp(v, states[1]))
		r->state = BM_RECORD_COMPLETE;
	else
		return -EBADMSG;
	if (take(&p, end, "time", &v) < 0 || number(v, INT64_MAX, &t) < 0)
		return -EBADMSG;
	r->time = (int64_t)t;
	if (take(&p, end, "image", &v) < 0)
		return -EBADMSG;
	r->image = xstrdup(v);
	if (take(&p, end, "deployment", &v) < 0)
		return -EBADMSG;
	r->deployment = xstrdup(v);
	if (take(&p, end, "version", &v) < 0 || number(v, UINT64_MAX, &r->version) < 0)
		return -EBADMSG;
	if (end - p >= 13 && !memcmp(p, "carried-hash ", 13)) {
		size_t n;
		uint8_t *sig;
		if (take(&p, end, "carried-hash", &v) < 0 || strlen(v) != HASH_HEX ||
		    sodium_hex2bin(r->carried_hash, MINISIGN_HASH_BYTES, v, HASH_HEX, NULL, &n, NULL) != 0 ||
		    n != MINISIGN_HASH_BYTES)
			return -EBADMSG;
		if (take(&p, end, "carried-sig", &v) < 0 || b64_decode_alloc(v, strlen(v), &sig, &n) < 0)
			return -EBADMSG;
		r->carried_sig = xstrndup((const char *)sig, n);
		int nul_inside = strlen(r->carried_sig) != n;
		free(sig);
		if (nul_inside || n > SIG_TEXT_MAX)
			return -EBADMSG;
		r->has_carried = true;
	}
	if (end - p < 4 || memcmp(p, "end\n", 4) != 0)
		return -EBADMSG;
	for (p += 4; p < end; p++)
		if (*p)
			return -EBADMSG;
	return 0;
}

int bm_record_parse(const uint8_t *block, size_t len, struct bm_record *out)
{
	memset(out, 0, sizeof *out);
	if (len < strlen(MAGIC) || memcmp(block, MAGIC, strlen(MAGIC)) != 0)
		return -ENOENT;
	char *copy = xmalloc(len);
	memcpy(copy, block, len);
	int r = parse(copy + strlen(MAGIC), copy + len, out);
	free(copy);
	if (r < 0)
		bm_record_free(out);
	return r;
}

int bm_record_carried(const struct bm_record *r, const struct minisign_pub *pub,
		      char **deployment, uint64_t *version, int64_t *signed_at)
{
	if (!r->has_carried)
		return -ENOENT;
	struct minisign_sig sig;
	int e = minisign_sig_parse(r->carried_sig, strlen(r->carried_sig), &sig);
	if (e < 0)
		return e;
	e = minisign_verify_hash(pub, &sig, r->carried_hash);
	if (e == 0)
		e = minisign_kiln_comment_parse(sig.trusted_comment, deployment, version, signed_at);
	minisign_sig_free(&sig);
	return e;
}
