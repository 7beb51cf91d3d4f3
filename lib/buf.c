#include "lib/buf.h"
#include "lib/xalloc.h"
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b) { b->data = NULL; b->len = b->cap = 0; }

void buf_free(struct buf *b) { free(b->data); buf_init(b); }

void buf_wipe(struct buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	buf_free(b);
}

void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra + 1)
		ncap *= 2;
	char *n = xmalloc(ncap);
	if (b->data) {
		memcpy(n, b->data, b->len);
		sodium_memzero(b->data, b->cap);   /* a buffer may hold secrets */
		free(b->data);
	}
	b->data = n;
	b->cap = ncap;
	b->data[b->len] = '\0';
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s) { buf_append(b, s, strlen(s)); }
void buf_putc(struct buf *b, char c) { buf_append(b, &c, 1); }

void buf_put_markup(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&apos;"); break;
		default: buf_putc(b, *s);
		}
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

void buf_u32le(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v, v >> 8, v >> 16, v >> 24 };
	buf_append(b, x, 4);
}

void buf_u64le(struct buf *b, uint64_t v)
{
	buf_u32le(b, (uint32_t)v);
	buf_u32le(b, (uint32_t)(v >> 32));
}

char *buf_steal(struct buf *b)
{
	buf_reserve(b, 0);
	char *d = b->data;
	buf_init(b);
	return d;
}
