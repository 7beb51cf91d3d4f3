/* Strict base64 (standard alphabet, '=' padding: what minisign writes) and
 * the URL-safe unpadded variant, on top of libsodium's codec. */
#ifndef KILN_B64_H
#define KILN_B64_H
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

/* Append base64 (standard, padded) of data to out; no newline. */
void b64_append(struct buf *out, const void *data, size_t len);
/* Decode text of exactly the length that encodes n bytes into out[n]:
 * 0, or -EBADMSG for a wrong length, a bad character, bad padding or
 * non-zero trailing bits. */
int b64_decode_exact(const char *text, size_t len, uint8_t *out, size_t n);
/* Decode any-length padded base64 into a malloc'd buffer; -EBADMSG as above. */
int b64_decode_alloc(const char *text, size_t len, uint8_t **out, size_t *out_len);
/* URL-safe, no padding (passwords). */
void b64url_append(struct buf *out, const void *data, size_t len);
#endif
