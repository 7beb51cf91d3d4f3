/* Allocation that aborts on exhaustion: kiln's tools are short-lived and an
 * out-of-memory mid-way has no sensible recovery; outputs are written to a
 * temporary name and renamed, so an abort never leaves a half-written file. */
#ifndef KILN_XALLOC_H
#define KILN_XALLOC_H
#include <stddef.h>
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of elements of `size` to hold at least `need`; updates *cap. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
