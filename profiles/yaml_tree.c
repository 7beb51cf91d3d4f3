#include "profiles/yaml_tree.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct ynode *node_new(enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	n->type = t;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			ytree_free(n->keys[i]);
		ytree_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->value);
	free(n);
}

struct ynode *ytree_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->items[i];
	return NULL;
}

const char *ynode_type_name(const struct ynode *n)
{
	switch (n->type) {
	case YN_SEQ: return "a list";
	case YN_MAP: return "a mapping";
	default: break;
	}
	if (n->plain && (!*n->value || !strcmp(n->value, "~") || !strcmp(n->value, "null")))
		return "nothing (null)";
	return "a scalar";
}

struct builder {
	const char *name;
	struct diags *d;
	struct ynode *root;
	struct ynode *stack[YTREE_MAX_DEPTH];
	size_t depth;
	struct ynode *pending_key;   /* key waiting for its value in the top mapping */
	bool failed;
};

static void fail_at(struct builder *b, const yaml_mark_t *m, const char *msg, const char *why)
{
	diags_add(b->d, b->name, (unsigned)m->line + 1, (unsigned)m->column + 1, "%s%s%s", msg,
		  why ? ": " : "", why ? why : "");
	b->failed = true;
}

/* Attach a finished node (scalar or freshly opened container) to its parent. */
static bool attach(struct builder *b, struct ynode *n)
{
	if (b->depth == 0) {
		b->root = n;
		return true;
	}
	struct ynode *top = b->stack[b->depth - 1];
	if (top->type == YN_SEQ) {
		top->items = xgrow(top->items, &top->cap, top->n + 1, sizeof *top->items);
		top->items[top->n++] = n;
		return true;
	}
	if (!b->pending_key) {
		if (n->type != YN_SCALAR) {
			diags_add(b->d, b->name, n->line, n->col, "mapping keys must be plain strings, not %s",
				  ynode_type_name(n));
			ytree_free(n);
			b->failed = true;
			return false;
		}
		b->pending_key = n;
		return true;
	}
	if (top->n == top->cap) {
		top->cap = top->cap ? top->cap * 2 : 8;
		top->keys = xrealloc(top->keys, top->cap * sizeof *top->keys);
		top->items = xrealloc(top->items, top->cap * sizeof *top->items);
	}
	top->keys[top->n] = b->pending_key;
	top->items[top->n++] = n;
	b->pending_key = NULL;
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a, *y = *(const struct ynode *const *)b;
	int r = strcmp(x->value, y->value);
	if (r)
		return r;
	return x->line != y->line ? (x->line < y->line ? -1 : 1) : (x->col < y->col ? -1 : x->col > y->col);
}

/* Duplicate keys of a finished mapping, found by sorting: O(n log n) even for
 * a 1 MiB mapping. Not fatal: the schema checks still run on the tree. */
static void check_duplicate_keys(struct builder *b, const struct ynode *map)
{
	if (map->n < 2)
		return;
	const struct ynode **v = xmalloc(map->n * sizeof *v);
	memcpy(v, map->keys, map->n * sizeof *v);
	qsort(v, map->n, sizeof *v, key_cmp);
	size_t first = 0;
	for (size_t i = 1; i < map->n; i++) {
		if (strcmp(v[i]->value, v[first]->value) != 0) {
			first = i;
			continue;
		}
		diags_add(b->d, b->name, v[i]->line, v[i]->col, "duplicate key '%s' (first given at line %u, column %u)",
			  v[i]->value, v[first]->line, v[first]->col);
	}
	free(v);
}

static bool push(struct builder *b, struct ynode *n, const yaml_mark_t *m)
{
	if (b->depth >= YTREE_MAX_DEPTH) {
		fail_at(b, m, "nesting too deep", "a profile needs at most a few levels");
		ytree_free(n);
		return false;
	}
	struct ynode *saved_key = b->pending_key;
	bool in_map_key = b->depth > 0 && b->stack[b->depth - 1]->type == YN_MAP && !saved_key;
	if (in_map_key) {
		diags_add(b->d, b->name, n->line, n->col, "mapping keys must be plain strings, not %s",
			  ynode_type_name(n));
		ytree_free(n);
		b->failed = true;
		return false;
	}
	if (!attach(b, n))
		return false;
	b->stack[b->depth++] = n;
	return true;
}

static bool refuse_extras(struct builder *b, const yaml_mark_t *m, const yaml_char_t *anchor,
			  const yaml_char_t *tag, bool implicit_tag)
{
	if (anchor) {
		fail_at(b, m, "YAML anchors are not allowed in a profile",
			"aliases can expand exponentially (\"billion laughs\"); write the value out");
		return false;
	}
	if (tag && !implicit_tag) {
		fail_at(b, m, "YAML tags are not allowed in a profile", "remove the '!' tag");
		return false;
	}
	return true;
}

static bool handle(struct builder *b, yaml_event_t *ev, unsigned *docs)
{
	const yaml_mark_t *m = &ev->start_mark;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1) {
			fail_at(b, m, "more than one YAML document", "a profile is a single document");
			return false;
		}
		return true;
	case YAML_ALIAS_EVENT:
		fail_at(b, m, "YAML aliases are not allowed in a profile",
			"they can expand exponentially (\"billion laughs\"); write the value out");
		return false;
	case YAML_SCALAR_EVENT: {
		if (!refuse_extras(b, m, ev->data.scalar.anchor, ev->data.scalar.tag,
				   ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit))
			return false;
		struct ynode *n = node_new(YN_SCALAR, m);
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->value_len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->start = ev->start_mark.index;
		n->end = ev->end_mark.index;
		if (strlen(n->value) != n->value_len) {
			fail_at(b, m, "NUL character in a value", NULL);
			ytree_free(n);
			return false;
		}
		return attach(b, n);
	}
	case YAML_SEQUENCE_START_EVENT:
		if (!refuse_extras(b, m, ev->data.sequence_start.anchor, ev->data.sequence_start.tag,
				   ev->data.sequence_start.implicit))
			return false;
		return push(b, node_new(YN_SEQ, m), m);
	case YAML_MAPPING_START_EVENT:
		if (!refuse_extras(b, m, ev->data.mapping_start.anchor, ev->data.mapping_start.tag,
				   ev->data.mapping_start.implicit))
			return false;
		return push(b, node_new(YN_MAP, m), m);
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			check_duplicate_keys(b, b->stack[--b->depth]);
		return true;
	case YAML_SEQUENCE_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return true;
	default:
		return true;
	}
}

int ytree_parse(const char *name, const char *data, size_t len, struct ynode **root, struct diags *d)
{
	yaml_parser_t p;
	struct builder b = { .name = name, .d = d };
	unsigned docs = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			const yaml_mark_t *m = &p.problem_mark;
			diags_add(d, name, (unsigned)m->line + 1, (unsigned)m->column + 1, "malformed YAML: %s%s%s",
				  p.problem ? p.problem : "parse error", p.context ? " " : "",
				  p.context ? p.context : "");
			b.failed = true;
			break;
		}
		bool ok = handle(&b, &ev, &docs);
		bool end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (!ok || end)
			break;
	}
	yaml_parser_delete(&p);
	ytree_free(b.pending_key);
	if (b.failed) {
		/* A half-built tree would only produce follow-on noise. Duplicate
		 * keys are not fatal: the schema checks still run on the tree. */
		ytree_free(b.root);
		return -EINVAL;
	}
	*root = b.root;
	return 0;
}
