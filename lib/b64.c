#include "lib/b64.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

static void append_variant(struct buf *out, const void *data, size_t len, int variant)
{
	size_t n = sodium_base64_encoded_len(len, variant);   /* includes the NUL */
	buf_reserve(out, n);
	sodium_bin2base64(out->data + out->len, n, data, len, variant);
	out->len += n - 1;
}

void b64_append(struct buf *out, const void *data, size_t len)
{
	append_variant(out, data, len, sodium_base64_VARIANT_ORIGINAL);
}

void b64url_append(struct buf *out, const void *data, size_t len)
{
	append_variant(out, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	const char *end = NULL;
	if (len % 4 != 0)
		return -EBADMSG;
	if (sodium_base642bin(out, cap, text, len, NULL, n, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != text + len)
		return -EBADMSG;
	return 0;
}

int b64_decode_exact(const char *text, size_t len, uint8_t *out, size_t n)
{
	size_t got;
	if (len != sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL) - 1)
		return -EBADMSG;
	if (decode(text, len, out, n, &got) < 0 || got != n)
		return -EBADMSG;
	return 0;
}

int b64_decode_alloc(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
	size_t cap = len / 4 * 3 + 1;
	uint8_t *b = xmalloc(cap);
	if (decode(text, len, b, cap, out_len) < 0) {
		free(b);
		return -EBADMSG;
	}
	*out = b;
	return 0;
}
