/* A small, strict YAML tree built from libyaml's event stream: one document,
 * no anchors or aliases, no duplicate mapping keys, bounded nesting. Every
 * node keeps its 1-based line:column so the schema code can point at it. */
#ifndef KILN_YAML_TREE_H
#define KILN_YAML_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include "profiles/profile.h"

#define YTREE_MAX_DEPTH 64

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_type type;
	unsigned line, col;
	char *value;           /* YN_SCALAR: text (NUL-terminated) */
	size_t value_len;
	bool plain;            /* YN_SCALAR: unquoted (so it may be an int/bool) */
	size_t start, end;     /* YN_SCALAR: byte range of its source text (quotes included) */
	/* YN_SEQ: items[i]; YN_MAP: keys[i] (scalars) -> items[i] */
	struct ynode **keys, **items;
	size_t n, cap;
};

/* Parse one YAML document; NULL root for an empty document. Returns 0 or
 * -EINVAL with diagnostics added (file name `name`). */
int ytree_parse(const char *name, const char *data, size_t len, struct ynode **root, struct diags *d);
void ytree_free(struct ynode *n);

/* Value of key in a mapping, or NULL. */
struct ynode *ytree_get(const struct ynode *map, const char *key);
const char *ynode_type_name(const struct ynode *n);   /* "a string", "a list", "a mapping" */
#endif
