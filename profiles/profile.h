/* Loading a deployment profile: YAML text -> validated struct model.
 * Errors are collected as diagnostics with file:line:column, so `kiln check`
 * can report every problem at once; the functions return 0 or -EINVAL (bad
 * profile, diagnostics say why) or another -errno (I/O). */
#ifndef KILN_PROFILE_H
#define KILN_PROFILE_H
#include <stdio.h>
#include "lib/buf.h"
#include "profiles/model.h"

#define PROFILE_MAX_BYTES (1u << 20)   /* larger inputs are refused before parsing */
#define PROFILE_MAX_DIAGS 50           /* then one "too many errors" line, then silence */

struct diag {
	char *file;
	unsigned line, col;    /* 1-based */
	char *msg;             /* "unknown key 'adress' (expected one of: ...)" */
};
struct diags {
	struct diag *v;
	size_t n, cap;
};

void diags_add(struct diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void diags_print(const struct diags *d, FILE *f);      /* "file:line:col: error: msg\n" each */
void diags_free(struct diags *d);

/* On success *out is a validated model (model_free it); on failure *out is
 * left empty (nothing to free) and d holds at least one diagnostic, sorted by
 * position. path may be "-" for stdin.
 * targets: the output kinds the profile's `targets:` may name, supplied by
 * the caller (profiles/ knows no outputs; kiln passes its target registry's
 * list): NULL-terminated, the first being the default when the profile has
 * no `targets:`; the model lists a profile's targets in this order. NULL: any
 * [a-z0-9-] name is taken as written and there is no default (the agent,
 * which builds no outputs). */
int profile_load_file(const char *path, const char *const *targets, struct model *out, struct diags *d);
/* profile_load_file that also hands back, on success, the bytes the model
 * was parsed from (malloc'd): a seed's topology is exactly these bytes. */
int profile_load_file_text(const char *path, const char *const *targets, char **text, size_t *text_len,
			   struct model *out, struct diags *d);
int profile_load_buffer(const char *name, const char *data, size_t len, const char *const *targets,
			struct model *out, struct diags *d);

/* The resolved model as JSON (kiln check --json). */
void model_to_json(const struct model *m, struct buf *out);
#endif
