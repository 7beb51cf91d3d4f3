/* Growable byte buffer, used by renderers and serialisers.
 * Allocation failure aborts (the tools are short-lived CLIs; see xalloc.h).
 * buf_wipe() zeroes before freeing: use it for anything that held a secret. */
#ifndef KILN_BUF_H
#define KILN_BUF_H
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;     /* always NUL-terminated when len > 0 or after buf_printf */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_wipe(struct buf *b);            /* sodium_memzero then free */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_u32le(struct buf *b, uint32_t v);
void buf_u64le(struct buf *b, uint64_t v);
char *buf_steal(struct buf *b);          /* returns data (NUL-terminated), resets b */
/* s as XML/HTML character data or attribute value: & < > " ' escaped (NULL: nothing) */
void buf_put_markup(struct buf *b, const char *s);

#endif
