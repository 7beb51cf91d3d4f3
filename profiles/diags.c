/* Diagnostics collected while loading a profile (profiles/profile.h). */
#include "profiles/profile.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <stdarg.h>
#include <stdlib.h>

/* Messages quote the values they complain about: a line break or an escape
 * sequence in a value must not break the one-line FILE:LINE:COL format. */
static char *escape_controls(const char *s)
{
	struct buf b;
	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			buf_puts(&b, "\\n");
		else if (*p == '\r')
			buf_puts(&b, "\\r");
		else if (*p == '\t')
			buf_puts(&b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(&b, "\\x%02x", *p);
		else
			buf_putc(&b, (char)*p);
	}
	return b.data ? buf_steal(&b) : xstrdup("");
}

void diags_add(struct diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	if (d->n > PROFILE_MAX_DIAGS)
		return;
	d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof *d->v);
	struct diag *g = &d->v[d->n++];
	g->file = xstrdup(file ? file : "<input>");
	g->line = line;
	g->col = col;
	if (d->n > PROFILE_MAX_DIAGS) {
		g->msg = xasprintf("too many errors (more than %d), stopping", PROFILE_MAX_DIAGS);
		return;
	}
	va_list ap;
	char *raw;
	va_start(ap, fmt);
	if (vasprintf(&raw, fmt, ap) < 0)
		abort();
	va_end(ap);
	g->msg = escape_controls(raw);
	free(raw);
}

void diags_print(const struct diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s:%u:%u: error: %s\n", d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg);
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
