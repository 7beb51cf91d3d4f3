#include "lib/rolekey.h"
#include "lib/b64.h"
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "untrusted comment: "

static struct role_keypair *alloc_kp(void)
{
	struct role_keypair *k = sodium_malloc(sizeof *k);
	if (!k)
		abort();
	return k;
}

struct role_keypair *role_keypair_new(void)
{
	struct role_keypair *k = alloc_kp();
	crypto_box_keypair(k->pk, k->sk);
	return k;
}

void role_keypair_free(struct role_keypair *k)
{
	if (k)
		sodium_free(k);
}

/* The two kinds of X25519 key file: tag and the words of their comment. */
#define ROLE_TAG "KX"
#define BACKUP_TAG "KB"

static void pub_format(const char *tag, const char *what, const char *who, const uint8_t pk[32], struct buf *out)
{
	uint8_t raw[34];
	memcpy(raw, tag, 2);
	memcpy(raw + 2, pk, 32);
	buf_printf(out, PREFIX "kiln %s public key %s\n", what, who);
	b64_append(out, raw, sizeof raw);
	buf_putc(out, '\n');
}

static void key_format(const char *tag, const char *what, const char *who, const struct role_keypair *k,
		       struct buf *out)
{
	uint8_t *raw = sodium_malloc(66);
	if (!raw)
		abort();
	memcpy(raw, tag, 2);
	memcpy(raw + 2, k->pk, 32);
	memcpy(raw + 34, k->sk, 32);
	buf_printf(out, PREFIX "kiln %s secret key %s\n", what, who);
	b64_append(out, raw, 66);
	buf_putc(out, '\n');
	sodium_free(raw);
}

void role_pub_format(const char *role, const uint8_t pk[32], struct buf *out)
{
	pub_format(ROLE_TAG, "role", role, pk, out);
}

void role_key_format(const char *role, const struct role_keypair *k, struct buf *out)
{
	key_format(ROLE_TAG, "role", role, k, out);
}

void backup_pub_format(const char *deployment, const uint8_t pk[32], struct buf *out)
{
	pub_format(BACKUP_TAG, "backup", deployment, pk, out);
}

void backup_key_format(const char *deployment, const struct role_keypair *k, struct buf *out)
{
	key_format(BACKUP_TAG, "backup", deployment, k, out);
}

/* Two lines: the comment, the base64 of n bytes starting with tag; LF or CRLF. */
static int parse2(const char *text, size_t len, const char *tag, uint8_t *raw, size_t n)
{
	const char *end = text + len, *nl = memchr(text, '\n', len);
	size_t pl = strlen(PREFIX);
	if (!nl || (size_t)(nl - text) < pl || memcmp(text, PREFIX, pl) != 0)
		return -EBADMSG;
	for (const char *c = text; c < nl; c++)
		if ((unsigned char)*c < 0x20 && !(*c == '\r' && c + 1 == nl))
			return -EBADMSG;
	const char *l = nl + 1, *le = memchr(l, '\n', (size_t)(end - l));
	if (!le)
		le = end;
	else if (le + 1 != end)
		return -EBADMSG;
	if (le > l && le[-1] == '\r')
		le--;
	if (b64_decode_exact(l, (size_t)(le - l), raw, n) < 0 || memcmp(raw, tag, 2) != 0)
		return -EBADMSG;
	return 0;
}

static int pub_parse(const char *tag, const char *text, size_t len, uint8_t pk[32])
{
	uint8_t raw[34];
	int r = parse2(text, len, tag, raw, sizeof raw);
	if (r < 0)
		return r;
	memcpy(pk, raw + 2, 32);
	return 0;
}

static int key_parse(const char *tag, const char *text, size_t len, struct role_keypair **out)
{
	uint8_t *raw = sodium_malloc(66);
	if (!raw)
		abort();
	struct role_keypair *k = NULL;
	int r = parse2(text, len, tag, raw, 66);
	if (r == 0) {
		k = alloc_kp();
		memcpy(k->pk, raw + 2, 32);
		memcpy(k->sk, raw + 34, 32);
		uint8_t pk[32];
		crypto_scalarmult_base(pk, k->sk);
		if (sodium_memcmp(pk, k->pk, 32) != 0) {
			role_keypair_free(k);
			k = NULL;
			r = -EBADMSG;
		}
	}
	sodium_free(raw);
	if (r == 0)
		*out = k;
	return r;
}

int role_pub_parse(const char *text, size_t len, uint8_t pk[32])
{
	return pub_parse(ROLE_TAG, text, len, pk);
}

int role_key_parse(const char *text, size_t len, struct role_keypair **out)
{
	return key_parse(ROLE_TAG, text, len, out);
}

int backup_pub_parse(const char *text, size_t len, uint8_t pk[32])
{
	return pub_parse(BACKUP_TAG, text, len, pk);
}

int backup_key_parse(const char *text, size_t len, struct role_keypair **out)
{
	return key_parse(BACKUP_TAG, text, len, out);
}
