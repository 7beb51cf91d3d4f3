/* Typed accessors over the YAML tree for the profile loader (schema.h). */
#include "profiles/schema.h"
#include "lib/buf.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void err_at(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	diags_add(c->d, c->file, n ? n->line : 1, n ? n->col : 1, "%s", msg);
	free(msg);
}

struct src_pos pos_of(struct ctx *c, const struct ynode *n)
{
	return (struct src_pos){ .file = c->file, .line = n ? n->line : 0, .col = n ? n->col : 0 };
}

bool is_null(const struct ynode *n)
{
	return !n || (n->type == YN_SCALAR && n->plain &&
		      (!*n->value || !strcmp(n->value, "~") || !strcmp(n->value, "null")));
}

/* Edit distance, for "did you mean" on unknown keys; long strings are not compared. */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	unsigned row[33];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

bool expect_map(struct ctx *c, const struct ynode *n, const char *what, const char *const *allowed)
{
	if (n->type != YN_MAP) {
		err_at(c, n, "%s must be a mapping, not %s", what, ynode_type_name(n));
		return false;
	}
	for (size_t i = 0; i < n->n; i++) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = !strcmp(*a, n->keys[i]->value);
		if (known)
			continue;
		struct buf b;
		buf_init(&b);
		const char *near = NULL;
		unsigned best = 3;   /* suggest only close matches: a typo, not a different key */
		for (const char *const *a = allowed; *a; a++) {
			buf_printf(&b, "%s%s", a == allowed ? "" : ", ", *a);
			unsigned dist = edit_distance(n->keys[i]->value, *a);
			if (dist < best) {
				best = dist;
				near = *a;
			}
		}
		err_at(c, n->keys[i], "unknown key '%s' in %s (expected one of: %s)%s%s%s", n->keys[i]->value,
		       what, b.data ? b.data : "", near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
		buf_free(&b);
	}
	return true;
}

bool expect_seq(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type != YN_SEQ) {
		err_at(c, n, "%s must be a list, not %s", what, ynode_type_name(n));
		return false;
	}
	if (n->n > PROFILE_MAX_ITEMS) {
		err_at(c, n, "%s has %zu entries, more than the %d a profile may have", what, n->n, PROFILE_MAX_ITEMS);
		return false;
	}
	return true;
}

bool expect_dict(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type != YN_MAP) {
		err_at(c, n, "%s must be a mapping, not %s", what, ynode_type_name(n));
		return false;
	}
	if (n->n > PROFILE_MAX_ITEMS) {
		err_at(c, n, "%s has %zu entries, more than the %d a profile may have", what, n->n, PROFILE_MAX_ITEMS);
		return false;
	}
	return true;
}

bool require(struct ctx *c, const struct ynode *map, const char *key, const char *what)
{
	if (!is_null(ytree_get(map, key)))
		return true;
	err_at(c, map, "%s: missing required key '%s'", what, key);
	return false;
}

bool scalar_str(struct ctx *c, const struct ynode *n, const char *what, char **out)
{
	if (n->type != YN_SCALAR || is_null(n)) {
		err_at(c, n, "'%s' must be a string, not %s", what, ynode_type_name(n));
		return false;
	}
	free(*out);
	*out = xstrdup(n->value);
	return true;
}

bool scalar_uint(struct ctx *c, const struct ynode *n, const char *what, unsigned min, unsigned max, unsigned *out)
{
	const char *s = n->value;
	uint64_t v = 0;
	int r = n->type == YN_SCALAR && n->plain ? parse_u64(s, min, max, &v) : -EINVAL;
	if (r == -EINVAL) {
		err_at(c, n, "'%s' must be an integer, not %s%s%s%s", what,
		       n->type == YN_SCALAR && !is_null(n) ? "'" : "",
		       n->type == YN_SCALAR && !is_null(n) ? s : ynode_type_name(n),
		       n->type == YN_SCALAR && !is_null(n) ? "'" : "",
		       n->type == YN_SCALAR && !n->plain ? " (quoted)" : "");
		return false;
	}
	if (r < 0) {
		err_at(c, n, "'%s' is %s, out of range (expected %u..%u)", what, s, min, max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool get_str(struct ctx *c, const struct ynode *map, const char *key, char **out)
{
	const struct ynode *n = ytree_get(map, key);
	return n && scalar_str(c, n, key, out);
}

bool get_uint(struct ctx *c, const struct ynode *map, const char *key, unsigned min, unsigned max, unsigned *out)
{
	const struct ynode *n = ytree_get(map, key);
	return n && scalar_uint(c, n, key, min, max, out);
}

bool get_bool(struct ctx *c, const struct ynode *map, const char *key, bool *out)
{
	const struct ynode *n = ytree_get(map, key);
	if (!n)
		return false;
	if (n->type == YN_SCALAR && n->plain && (!strcmp(n->value, "true") || !strcmp(n->value, "false"))) {
		*out = n->value[0] == 't';
		return true;
	}
	err_at(c, n, "'%s' must be true or false, not %s%s%s", key, n->type == YN_SCALAR && !is_null(n) ? "'" : "",
	       n->type == YN_SCALAR && !is_null(n) ? n->value : ynode_type_name(n),
	       n->type == YN_SCALAR && !is_null(n) ? "'" : "");
	return false;
}

bool get_strv(struct ctx *c, const struct ynode *map, const char *key, char ***out, size_t *n_out)
{
	const struct ynode *n = ytree_get(map, key);
	if (!n)
		return false;
	if (!expect_seq(c, n, key))
		return false;
	char **v = xcalloc(n->n + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n->n; i++)
		if (scalar_str(c, n->items[i], key, &v[k]))
			k++;
	*out = v;
	*n_out = k;
	return k == n->n;
}
