/* Diagnostics collected while loading a profile (profiles/profile.h). */
#include "profiles/profile.h"
#include "lib/xalloc.h"
#include <stdarg.h>
#include <stdlib.h>

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
	va_start(ap, fmt);
	if (vasprintf(&g->msg, fmt, ap) < 0)
		abort();
	va_end(ap);
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
