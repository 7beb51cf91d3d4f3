#include "lib/json.h"
#include <stdint.h>

/* The code point of the UTF-8 sequence at p (RFC 3629: no overlong forms,
 * no surrogates, at most U+10FFFF), its length in *len; -1 with *len = 1
 * for a byte that does not start a valid sequence. */
static int32_t utf8_next(const unsigned char *p, size_t *len)
{
	int n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		: p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	*len = 1;
	if (!n)
		return -1;
	int32_t c = n == 1 ? p[0] : p[0] & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)   /* also stops at the NUL */
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	static const int32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < min[n] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return -1;
	*len = (size_t)n;
	return c;
}

/* Written as \uXXXX: what JSON requires (controls), and what a YAML 1.1
 * reader (libyaml, which reads kiln's JSON back) would refuse raw or take
 * as a line break (C1 controls, NEL, LS, PS, non-characters). */
static int must_escape(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0xfeff || c == 0xfffe ||
	       c == 0xffff;
}

void json_str(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t len;
		int32_t c = utf8_next(p, &len);
		switch (c) {
		case '"':  buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\f': buf_puts(b, "\\f"); break;
		case -1:   buf_puts(b, "\\ufffd"); break;   /* not UTF-8: the replacement character */
		default:
			if (must_escape(c))
				buf_printf(b, "\\u%04x", (unsigned)c);
			else
				buf_append(b, p, len);
		}
		p += len;
	}
	buf_putc(b, '"');
}
