/* Strict recipe parser on libyaml's document API: every node carries its
 * start mark, so each error names file:line:column. */
#include "images/recipe.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include "profiles/debian.h"
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

struct ctx {
	const char *name;
	const char *dir;
	yaml_document_t *doc;
};

static int bad(const struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(const struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_error("%s:%zu:%zu: %s", c->name, n ? n->start_mark.line + 1 : 1,
		  n ? n->start_mark.column + 1 : 1, msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool recipe_valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* Debian package names: [a-z0-9][a-z0-9+.-]+ (policy 5.6.1). */
bool recipe_valid_package(const char *s)
{
	if (!s || strlen(s) < 2 || strlen(s) > 128 || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("+.-", *s))
			return false;
	return true;
}

/* Kernel module names: [a-z0-9_-]. */
static bool valid_module(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("_-", *s))
			return false;
	return true;
}

bool recipe_valid_unit(const char *s)
{
	if (!s || !*s || strlen(s) > 255 || !strchr(s, '.'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("@._:-\\", *s))
			return false;
	return true;
}

/* Absolute, no "..", no "//", only characters safe inside a quoted hook. */
bool recipe_valid_path(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) > 1024 || strstr(s, "//") || strstr(s, "/../") ||
	    strstr(s, "/./"))
		return false;
	size_t n = strlen(s);
	if (n > 1 && s[n - 1] == '/')
		return false;
	if ((n >= 3 && !strcmp(s + n - 3, "/..")) || (n >= 2 && !strcmp(s + n - 2, "/.")))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/._+@:-", *s))
			return false;
	return true;
}

bool recipe_valid_glob(const char *s)
{
	if (!s || s[0] != '/')
		return false;
	const char *slash = strrchr(s, '/');
	if (strchr(s, '*') && strchr(s, '*') < slash)
		return false;
	char *copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if (*p == '*')
			*p = 'x';
	bool ok = recipe_valid_path(copy);
	free(copy);
	return ok;
}

static bool valid_sha256(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

static char *resolve(const struct ctx *c, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return path_join(c->dir, p);
}

static void push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

static bool contains(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

int recipe_add(struct recipe *r, const char *const *packages, size_t n_packages, const char *const *disable,
	       size_t n_disable)
{
	for (size_t i = 0; i < n_packages; i++)
		if (!recipe_valid_package(packages[i]))
			return log_error_errno(EINVAL, "invalid package name '%s'", packages[i]);
	for (size_t i = 0; i < n_disable; i++)
		if (!recipe_valid_unit(disable[i]))
			return log_error_errno(EINVAL, "invalid unit name '%s'", disable[i]);
	for (size_t i = 0; i < n_packages; i++)
		if (!contains(r->packages, r->n_packages, packages[i]))
			push(&r->packages, &r->n_packages, packages[i]);
	for (size_t i = 0; i < n_disable; i++)
		if (!contains(r->disable, r->n_disable, disable[i]))
			push(&r->disable, &r->n_disable, disable[i]);
	return 0;
}

typedef bool (*validator)(const char *);

/* A sequence of scalars, each checked, then handed to `each`. */
typedef int (*entry_fn)(const struct ctx *c, yaml_node_t *e, const char *s, void *ud);

static int each_entry(const struct ctx *c, yaml_node_t *n, const char *what, validator ok, entry_fn each,
		      void *ud)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(c, n, "%s must be a list", what);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		const char *s = scalar(e);
		if (!s)
			return bad(c, e, "%s entries must be strings", what);
		if (!ok(s))
			return bad(c, e, "invalid %s entry '%s'", what, s);
		int r = each(c, e, s, ud);
		if (r < 0)
			return r;
	}
	return 0;
}

struct list_ref {
	char ***v;
	size_t *count;
};

static int append_new(const struct ctx *c, yaml_node_t *e, const char *s, void *ud)
{
	struct list_ref *l = ud;
	if (!contains(*l->v, *l->count, s))
		push(l->v, l->count, s);
	return 0;
}

/* A sequence of scalars, each checked, appended without duplicates. */
static int string_list(const struct ctx *c, yaml_node_t *n, const char *what, validator ok,
		       char ***v, size_t *count)
{
	struct list_ref l = { v, count };
	return each_entry(c, n, what, ok, append_new, &l);
}

/* Iterate a mapping's key and value nodes. */
#define FOR_PAIRS(c, map, k, v)                                                              \
	for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start;                          \
	     p_ < (map)->data.mapping.pairs.top; p_++)                                        \
		for (yaml_node_t *k = yaml_document_get_node((c)->doc, p_->key),               \
				 *v = yaml_document_get_node((c)->doc, p_->value), *once_ = k; \
		     once_; once_ = NULL)

static int need_mapping(const struct ctx *c, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return bad(c, n, "%s must be a mapping", what);
	return 0;
}

/* Whether a mapping must have a key: KEY_ONE_OF keys form one group of
 * which at least one must be given (artifacts: 'url' or 'path'). */
enum key_need { KEY_OPTIONAL, KEY_REQUIRED, KEY_ONE_OF };

struct key_rule;
/* Stores one value into obj. `s` is the value's text when the rule is
 * `scalar` (the walker has checked it is a string), else NULL. */
typedef int (*key_handler)(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
			   const char *s, void *obj);

struct key_rule {
	const char *key;
	enum key_need need;
	bool scalar;
	key_handler set;
	/* For the generic handlers: set_string/set_path store into the char *
	 * at obj + field, set_checked too once ok accepts the value (else:
	 * "invalid <label> '<value>' (<hint>)"); set_list appends to the
	 * char ** at obj + field and counts at obj + count, checking entries
	 * with ok, naming the list `label` (else `key`) in errors. */
	size_t field, count;
	validator ok;
	const char *label, *hint;
};

/* A set_list rule for the list T.NAME with its count T.n_NAME. */
#define LIST_OF(T, NAME) .set = set_list, .field = offsetof(T, NAME), .count = offsetof(T, n_##NAME)

/* One kind of mapping in a recipe: its keys and how errors name it. */
struct mapping_kind {
	const char *what;           /* "files entry" */
	bool top_level;             /* the root: unknown keys are not "in <what>" */
	const char *missing;        /* message when a needed key is absent; NULL: "<what> needs ..." */
	const struct key_rule *rules;
	size_t n_rules;             /* at most 32 (a bit each in walk_mapping) */
};

#define MAPPING_KIND(what_, top_, missing_, rules_) \
	{ .what = (what_), .top_level = (top_), .missing = (missing_), .rules = (rules_), \
	  .n_rules = sizeof(rules_) / sizeof(rules_)[0] }

static char **field_of(const struct key_rule *rule, void *obj)
{
	return (char **)((char *)obj + rule->field);
}

static int set_string(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		      const char *s, void *obj)
{
	char **p = field_of(rule, obj);
	free(*p);
	*p = xstrdup(s);
	return 0;
}

static int set_checked(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		       const char *s, void *obj)
{
	if (!rule->ok(s))
		return bad(c, v, "invalid %s '%s' (%s)", rule->label, s, rule->hint);
	return set_string(c, rule, v, s, obj);
}

/* A host path, resolved against the recipe's directory. */
static int set_path(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		    const char *s, void *obj)
{
	char **p = field_of(rule, obj);
	free(*p);
	*p = resolve(c, s);
	return 0;
}

static int set_list(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		    const char *s, void *obj)
{
	char ***list = (char ***)((char *)obj + rule->field);
	size_t *count = (size_t *)((char *)obj + rule->count);
	return string_list(c, v, rule->label ? rule->label : rule->key, rule->ok, list, count);
}

/* "'a', 'b' and 'c' or 'd'": the keys a mapping of `kind` needs, the
 * KEY_ONE_OF group last. */
static void needed_keys(const struct mapping_kind *kind, struct buf *out)
{
	struct buf group;
	size_t n = 0, left = 0;
	buf_init(&group);
	for (size_t i = 0; i < kind->n_rules; i++) {
		const struct key_rule *r = &kind->rules[i];
		if (r->need == KEY_REQUIRED)
			left++;
		else if (r->need == KEY_ONE_OF)
			buf_printf(&group, "%s'%s'", group.len ? " or " : "", r->key);
	}
	if (group.len)
		left++;   /* the group is the last item */
	/* ", " between items, " and " before the last; `left` counts down. */
	for (size_t i = 0; i < kind->n_rules; i++)
		if (kind->rules[i].need == KEY_REQUIRED)
			buf_printf(out, "%s'%s'", !n++ ? "" : --left > 1 ? ", " : " and ",
				   kind->rules[i].key);
	if (group.len)
		buf_printf(out, "%s%s", n ? " and " : "", group.data);
	buf_free(&group);
}

static int unknown_key(const struct ctx *c, yaml_node_t *k, const struct mapping_kind *kind,
		       const char *key)
{
	struct buf keys;
	buf_init(&keys);
	for (size_t i = 0; i < kind->n_rules; i++)
		buf_printf(&keys, "%s%s", i ? ", " : "", kind->rules[i].key);
	int e = kind->top_level
		? bad(c, k, "unknown key '%s' (expected one of: %s)", key, keys.data)
		: bad(c, k, "unknown key '%s' in %s (expected one of: %s)", key, kind->what, keys.data);
	buf_free(&keys);
	return e;
}

static int missing_keys(const struct ctx *c, yaml_node_t *n, const struct mapping_kind *kind)
{
	if (kind->missing)
		return bad(c, n, "%s", kind->missing);
	struct buf keys;
	buf_init(&keys);
	needed_keys(kind, &keys);
	int e = bad(c, n, "%s needs %s", kind->what, keys.data);
	buf_free(&keys);
	return e;
}

/* Walk mapping n with the rules of `kind`, storing into obj: keys must be
 * strings, known and given once, and the needed ones present. */
static int walk_mapping(const struct ctx *c, yaml_node_t *n, const struct mapping_kind *kind,
			void *obj)
{
	int e = need_mapping(c, n, kind->what);
	if (e < 0)
		return e;
	uint32_t seen = 0;
	FOR_PAIRS(c, n, k, v) {
		const char *key = scalar(k), *s = NULL;
		if (!key)
			return bad(c, k, "keys must be strings");
		size_t i = 0;
		while (i < kind->n_rules && strcmp(kind->rules[i].key, key))
			i++;
		if (i == kind->n_rules)
			return unknown_key(c, k, kind, key);
		if (seen & (UINT32_C(1) << i))
			return bad(c, k, "duplicate key '%s'", key);
		seen |= UINT32_C(1) << i;
		const struct key_rule *rule = &kind->rules[i];
		if (rule->scalar && !(s = scalar(v)))
			return bad(c, v, "'%s' must be a string", key);
		if ((e = rule->set(c, rule, v, s, obj)) < 0)
			return e;
	}
	bool group = false, group_seen = false;
	for (size_t i = 0; i < kind->n_rules; i++) {
		bool given = seen & (UINT32_C(1) << i);
		if (kind->rules[i].need == KEY_REQUIRED && !given)
			return missing_keys(c, n, kind);
		if (kind->rules[i].need == KEY_ONE_OF) {
			group = true;
			group_seen |= given;
		}
	}
	if (group && !group_seen)
		return missing_keys(c, n, kind);
	return 0;
}

/* units: */

static const struct key_rule unit_rules[] = {
	{ .key = "enable", LIST_OF(struct recipe, enable),
	  .ok = recipe_valid_unit, .label = "units.enable" },
	{ .key = "disable", LIST_OF(struct recipe, disable),
	  .ok = recipe_valid_unit, .label = "units.disable" },
};
static const struct mapping_kind units_kind = MAPPING_KIND("units", false, NULL, unit_rules);

/* files: entries */

static int set_mode(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		    const char *s, void *obj)
{
	struct recipe_file *f = obj;
	uint64_t m;
	if (parse_u64_base(s, 8, 0, 07777, &m) < 0)
		return bad(c, v, "invalid mode '%s' (octal, e.g. \"0644\")", s);
	f->mode = (mode_t)m;
	return 0;
}

static const struct key_rule file_rules[] = {
	{ .key = "path", .need = KEY_REQUIRED, .scalar = true, .set = set_checked,
	  .field = offsetof(struct recipe_file, path), .ok = recipe_valid_path,
	  .label = "path", .hint = "absolute, no '..', characters [A-Za-z0-9/._+@:-]" },
	{ .key = "mode", .scalar = true, .set = set_mode },
	{ .key = "content", .scalar = true, .set = set_string,
	  .field = offsetof(struct recipe_file, content) },
	{ .key = "source", .scalar = true, .set = set_path,
	  .field = offsetof(struct recipe_file, source) },
};
static const struct mapping_kind file_kind = MAPPING_KIND("files entry", false, NULL, file_rules);

static int parse_file(const struct ctx *c, yaml_node_t *n, struct recipe_file *f)
{
	f->mode = 0644;
	int e = walk_mapping(c, n, &file_kind, f);
	if (e < 0)
		return e;
	if (!!f->content == !!f->source)
		return bad(c, n, "files entry '%s' needs exactly one of 'content' or 'source'", f->path);
	return 0;
}

/* apt_repositories: entries */

/* "deb URI SUITE COMPONENT..." without [options]: kiln adds signed-by. */
static int set_deb(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		   const char *s, void *obj)
{
	struct recipe_apt_repo *a = obj;
	char *copy = xstrdup(s), *save = NULL;
	char *w = strtok_r(copy, " \t", &save);
	if (!w || strcmp(w, "deb")) {
		free(copy);
		return bad(c, v, "'deb' must look like \"deb URI SUITE COMPONENT...\"");
	}
	while ((w = strtok_r(NULL, " \t", &save))) {
		bool safe = true;
		for (const char *q = w; *q; q++)
			if (!isalnum((unsigned char)*q) && !strchr("/._+@:~-", *q))
				safe = false;
		if (!safe) {
			int e = bad(c, v, "unsupported character in deb line word '%s' (options like [signed-by=] are added by kiln)", w);
			free(copy);
			return e;
		}
		if (!a->uri) {
			if (strncmp(w, "http://", 7) && strncmp(w, "https://", 8) && strncmp(w, "file:/", 6)) {
				free(copy);
				return bad(c, v, "repository URI must be http://, https:// or file:");
			}
			a->uri = xstrdup(w);
		} else if (!a->suite)
			a->suite = xstrdup(w);
		else
			push(&a->components, &a->n_components, w);
	}
	free(copy);
	if (!a->n_components)
		return bad(c, v, "'deb' must look like \"deb URI SUITE COMPONENT...\"");
	return 0;
}

/* 40 hex digits (an OpenPGP v4 fingerprint), spaces allowed as printed by
 * gpg; stored upper-case without spaces. */
static int set_fingerprint(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
			   const char *s, void *obj)
{
	struct recipe_apt_repo *a = obj;
	char fpr[41];
	size_t n = 0;
	for (const char *p = s; *p; p++) {
		if (*p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 40)
			return bad(c, v, "fingerprint must be 40 hex digits (an OpenPGP v4 key's, as gpg prints it)");
		fpr[n++] = (char)toupper((unsigned char)*p);
	}
	if (n != 40)
		return bad(c, v, "fingerprint must be 40 hex digits (an OpenPGP v4 key's, as gpg prints it)");
	fpr[n] = 0;
	free(a->fingerprint);
	a->fingerprint = xstrdup(fpr);
	return 0;
}

static const struct key_rule repo_rules[] = {
	{ .key = "name", .need = KEY_REQUIRED, .scalar = true, .set = set_checked,
	  .field = offsetof(struct recipe_apt_repo, name), .ok = recipe_valid_name,
	  .label = "repository name", .hint = "use [a-z0-9-]" },
	{ .key = "deb", .need = KEY_REQUIRED, .scalar = true, .set = set_deb },
	{ .key = "key", .need = KEY_REQUIRED, .scalar = true, .set = set_path,
	  .field = offsetof(struct recipe_apt_repo, key) },
	{ .key = "fingerprint", .scalar = true, .set = set_fingerprint },
};
static const struct mapping_kind repo_kind =
	MAPPING_KIND("apt_repositories entry", false, NULL, repo_rules);

static int parse_repo(const struct ctx *c, yaml_node_t *n, struct recipe_apt_repo *a)
{
	return walk_mapping(c, n, &repo_kind, a);
}

/* artifacts: entries */

static int set_url(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		   const char *s, void *obj)
{
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7) && strncmp(s, "file://", 7))
		return bad(c, v, "artifact url must be https://, http:// or file://");
	return set_string(c, rule, v, s, obj);
}

static int set_sha256(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		      const char *s, void *obj)
{
	if (!valid_sha256(s))
		return bad(c, v, "sha256 must be 64 lowercase hex digits");
	return set_string(c, rule, v, s, obj);
}

static int set_install(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		       const char *s, void *obj)
{
	struct recipe_artifact *a = obj;
	if (strcmp(s, "deb"))
		return bad(c, v, "unknown install method '%s' (expected: deb)", s);
	a->install_deb = true;
	return 0;
}

static const struct key_rule artifact_rules[] = {
	{ .key = "name", .need = KEY_REQUIRED, .scalar = true, .set = set_checked,
	  .field = offsetof(struct recipe_artifact, name), .ok = recipe_valid_name,
	  .label = "artifact name", .hint = "use [a-z0-9-]" },
	{ .key = "url", .need = KEY_ONE_OF, .scalar = true, .set = set_url,
	  .field = offsetof(struct recipe_artifact, url) },
	{ .key = "sha256", .scalar = true, .set = set_sha256,
	  .field = offsetof(struct recipe_artifact, sha256) },
	{ .key = "path", .need = KEY_ONE_OF, .scalar = true, .set = set_path,
	  .field = offsetof(struct recipe_artifact, path) },
	{ .key = "local_only", .need = KEY_ONE_OF, .scalar = true, .set = set_string,
	  .field = offsetof(struct recipe_artifact, local_only) },
	{ .key = "install", .scalar = true, .set = set_install },
};
static const struct mapping_kind artifact_kind =
	MAPPING_KIND("artifacts entry", false, NULL, artifact_rules);

/* One source: a pinned url or path, or local_only (the operator supplies
 * the file; the value says why there is no download). */
static int parse_artifact(const struct ctx *c, yaml_node_t *n, struct recipe_artifact *a)
{
	int e = walk_mapping(c, n, &artifact_kind, a);
	if (e < 0)
		return e;
	if (!!a->url + !!a->path + !!a->local_only > 1)
		return bad(c, n, "artifacts entry '%s' needs exactly one of 'url', 'path' or 'local_only'", a->name);
	if (!a->local_only && !a->sha256)
		return bad(c, n, "artifacts entry '%s' needs 'sha256' (the pin its file is checked against)", a->name);
	if (a->local_only && a->sha256)
		return bad(c, n, "artifacts entry '%s': 'local_only' takes no 'sha256' (the file comes from "
			   "--artifact %s=PATH)", a->name, a->name);
	if (a->local_only && !*a->local_only)
		return bad(c, n, "artifacts entry '%s': 'local_only' says why there is no download; it may not be "
			   "empty", a->name);
	return 0;
}

/* Parse a list of mappings with `one`, appending to an array of structs. */
#define PARSE_LIST(c, node, what, arr, count, one)                                           \
	do {                                                                                 \
		if ((node)->type != YAML_SEQUENCE_NODE)                                      \
			return bad(c, node, what " must be a list");                         \
		for (yaml_node_item_t *it_ = (node)->data.sequence.items.start;              \
		     it_ < (node)->data.sequence.items.top; it_++) {                         \
			(arr) = xrealloc((arr), ((count) + 1) * sizeof *(arr));              \
			memset(&(arr)[count], 0, sizeof *(arr));                             \
			(count)++;                                                           \
			int e_ = one(c, yaml_document_get_node((c)->doc, *it_), &(arr)[(count) - 1]); \
			if (e_ < 0)                                                          \
				return e_;                                                   \
		}                                                                            \
	} while (0)

/* The top level. */

static int set_version(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		       const char *s, void *obj)
{
	if (!scalar(v) || strcmp(scalar(v), "1"))
		return bad(c, v, "unsupported recipe version (expected kiln-recipe: 1)");
	return 0;
}

static int set_units(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		     const char *s, void *obj)
{
	return walk_mapping(c, v, &units_kind, obj);
}

static int set_files(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		     const char *s, void *obj)
{
	struct recipe *r = obj;
	PARSE_LIST(c, v, "files", r->files, r->n_files, parse_file);
	return 0;
}

static int set_repos(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		     const char *s, void *obj)
{
	struct recipe *r = obj;
	PARSE_LIST(c, v, "apt_repositories", r->repos, r->n_repos, parse_repo);
	return 0;
}

static int set_artifacts(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
			 const char *s, void *obj)
{
	struct recipe *r = obj;
	PARSE_LIST(c, v, "artifacts", r->artifacts, r->n_artifacts, parse_artifact);
	return 0;
}

/* drop: names removed from what the recipes loaded before listed. */

static bool drop_from(char **v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i], s)) {
			free(v[i]);
			memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
			(*n)--;
			return true;
		}
	return false;
}

/* Drop s from the list at `off` of r and of each of r's suites blocks. */
static bool drop_everywhere(struct recipe *r, size_t list_off, size_t count_off, const char *s)
{
	bool found = drop_from(*(char ***)((char *)r + list_off), (size_t *)((char *)r + count_off), s);
	for (size_t i = 0; i < r->n_suites; i++)
		found |= drop_everywhere(r->suites[i].add, list_off, count_off, s);
	return found;
}

static int drop_package(const struct ctx *c, yaml_node_t *e, const char *s, void *ud)
{
	if (!drop_everywhere(ud, offsetof(struct recipe, packages), offsetof(struct recipe, n_packages), s))
		return bad(c, e, "drop.packages: '%s' is in none of the recipes loaded before this one", s);
	return 0;
}

static int drop_unit(const struct ctx *c, yaml_node_t *e, const char *s, void *ud)
{
	bool found = drop_everywhere(ud, offsetof(struct recipe, enable), offsetof(struct recipe, n_enable), s);
	found |= drop_everywhere(ud, offsetof(struct recipe, disable), offsetof(struct recipe, n_disable), s);
	if (!found)
		return bad(c, e, "drop.units: '%s' is in none of the recipes loaded before this one", s);
	return 0;
}

static int set_drop_packages(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
			     const char *s, void *obj)
{
	return each_entry(c, v, "drop.packages", recipe_valid_package, drop_package, obj);
}

static int set_drop_units(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
			  const char *s, void *obj)
{
	return each_entry(c, v, "drop.units", recipe_valid_unit, drop_unit, obj);
}

static const struct key_rule drop_rules[] = {
	{ .key = "packages", .set = set_drop_packages },
	{ .key = "units", .set = set_drop_units },
};
static const struct mapping_kind drop_kind = MAPPING_KIND("drop", false, NULL, drop_rules);

static int set_drop(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		    const char *s, void *obj)
{
	return walk_mapping(c, v, &drop_kind, obj);
}

/* suites: SUITE -> a mapping with the list keys of a recipe. */
static const struct key_rule suite_rules[] = {
	{ .key = "packages", LIST_OF(struct recipe, packages), .ok = recipe_valid_package },
	{ .key = "units", .set = set_units },
	{ .key = "files", .set = set_files },
	{ .key = "remove", LIST_OF(struct recipe, remove), .ok = recipe_valid_glob },
	{ .key = "initramfs_modules", LIST_OF(struct recipe, initramfs_modules), .ok = valid_module },
	{ .key = "apt_repositories", .set = set_repos },
};
static const struct mapping_kind suite_kind = MAPPING_KIND("a suites entry", false, NULL, suite_rules);

static int set_suites(const struct ctx *c, const struct key_rule *rule, yaml_node_t *v,
		      const char *s, void *obj)
{
	struct recipe *r = obj;
	int e = need_mapping(c, v, "suites");
	if (e < 0)
		return e;
	size_t first = r->n_suites;
	FOR_PAIRS(c, v, k, block) {
		const char *name = scalar(k);
		if (!name)
			return bad(c, k, "keys must be strings");
		if (!debian_suite_find(name)) {
			char *known = debian_suites_list();
			e = bad(c, k, "unknown suite '%s' in suites (kiln builds: %s)", name, known);
			free(known);
			return e;
		}
		for (size_t i = first; i < r->n_suites; i++)
			if (!strcmp(r->suites[i].name, name))
				return bad(c, k, "duplicate key '%s'", name);
		r->suites = xrealloc(r->suites, (r->n_suites + 1) * sizeof *r->suites);
		struct recipe_suite *rs = &r->suites[r->n_suites++];
		rs->name = xstrdup(name);
		rs->add = xcalloc(1, sizeof *rs->add);
		if ((e = walk_mapping(c, block, &suite_kind, rs->add)) < 0)
			return e;
	}
	return 0;
}

static const struct key_rule root_rules[] = {
	{ .key = "kiln-recipe", .need = KEY_REQUIRED, .set = set_version },
	{ .key = "packages", LIST_OF(struct recipe, packages), .ok = recipe_valid_package },
	{ .key = "units", .set = set_units },
	{ .key = "files", .set = set_files },
	{ .key = "remove", LIST_OF(struct recipe, remove), .ok = recipe_valid_glob },
	{ .key = "initramfs_modules", LIST_OF(struct recipe, initramfs_modules),
	  .ok = valid_module },
	{ .key = "apt_repositories", .set = set_repos },
	{ .key = "artifacts", .set = set_artifacts },
	{ .key = "suites", .set = set_suites },
	{ .key = "drop", .set = set_drop },
};
static const struct mapping_kind root_kind =
	MAPPING_KIND("a recipe", true, "missing 'kiln-recipe: 1'", root_rules);

static int parse_root(const struct ctx *c, yaml_node_t *root, struct recipe *r)
{
	if (!root)
		return 0;   /* empty file: nothing to add */
	return walk_mapping(c, root, &root_kind, r);
}

int recipe_load_buffer(const char *name, const char *dir, const char *data, size_t len,
		       struct recipe *r)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int e;

	if (!yaml_parser_initialize(&parser))
		return log_error_errno(ENOMEM, "%s: cannot initialise YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		log_error("%s:%zu:%zu: %s", name, parser.problem_mark.line + 1,
			  parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	struct ctx c = { .name = name, .dir = dir, .doc = &doc };
	e = parse_root(&c, yaml_document_get_root_node(&doc), r);
	if (e == 0) {
		/* A second document in the stream is almost certainly a mistake. */
		yaml_document_t extra;
		if (yaml_parser_load(&parser, &extra)) {
			yaml_node_t *n = yaml_document_get_root_node(&extra);
			if (n)
				e = bad(&c, n, "only one YAML document is allowed");
			yaml_document_delete(&extra);
		}
	}
	if (e == 0)
		push(&r->sources, &r->n_sources, name);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return e;
}

int recipe_load_file(const char *path, struct recipe *r)
{
	char *data = NULL;
	size_t len = 0;
	int e = read_file(path, RECIPE_MAX_BYTES, &data, &len);
	if (e < 0) {
		log_error("recipe %s %s", path, input_strerror(e));
		return e;
	}
	char *copy = xstrdup(path);
	e = recipe_load_buffer(path, dirname(copy), data, len, r);
	free(copy);
	free(data);
	return e;
}

/* <dir>/<name>.yaml, which must exist (what = "role 'app'" for the message). */
static int load_named(const char *dir, const char *name, const char *what, struct recipe *r)
{
	_cleanup_free_ char *file = xasprintf("%s.yaml", name);
	_cleanup_free_ char *p = path_join(dir, file);
	if (access(p, F_OK) < 0)
		return log_error_errno(ENOENT, "no recipe for %s (%s)", what, p);
	return recipe_load_file(p, r);
}

int recipe_load_role_variant(const char *dir, const char *role, const char *variant, struct recipe *r)
{
	if (!recipe_valid_name(role))
		return log_error_errno(EINVAL, "invalid role name '%s'", role);
	if (variant && !recipe_valid_name(variant))
		return log_error_errno(EINVAL, "invalid recipe variant '%s'", variant);
	_cleanup_free_ char *base = path_join(dir, "base.yaml");
	int e = recipe_load_file(base, r);
	if (e < 0 || !strcmp(role, "base"))
		return e;
	_cleanup_free_ char *what = xasprintf("role '%s'", role);
	if ((e = load_named(dir, role, what, r)) < 0 || !variant)
		return e;
	_cleanup_free_ char *name = xasprintf("%s-%s", role, variant);
	_cleanup_free_ char *vwhat = xasprintf("role '%s' with variant '%s'", role, variant);
	return load_named(dir, name, vwhat, r);
}

int recipe_load_role(const char *dir, const char *role, struct recipe *r)
{
	return recipe_load_role_variant(dir, role, NULL, r);
}

char *recipe_default_dir(void)
{
	const char *env = getenv("KILN_RECIPES");
	if (env && *env)
		return xstrdup(env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *d = dirname(exe);
		char *cand = xasprintf("%s/../images/roles", d);
		char *base = path_join(cand, "base.yaml");
		bool ok = access(base, R_OK) == 0;
		free(base);
		if (ok)
			return cand;
		free(cand);
		cand = xasprintf("%s/../share/kiln/roles", d);
		if (access(cand, R_OK) == 0)
			return cand;
		free(cand);
	}
	return xstrdup("/usr/share/kiln/roles");
}

static void merge_strv(char ***dst, size_t *n, char *const *src, size_t m)
{
	for (size_t i = 0; i < m; i++)
		if (!contains(*dst, *n, src[i]))
			push(dst, n, src[i]);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void recipe_merge(struct recipe *dst, const struct recipe *src)
{
	merge_strv(&dst->packages, &dst->n_packages, src->packages, src->n_packages);
	merge_strv(&dst->enable, &dst->n_enable, src->enable, src->n_enable);
	merge_strv(&dst->disable, &dst->n_disable, src->disable, src->n_disable);
	merge_strv(&dst->initramfs_modules, &dst->n_initramfs_modules, src->initramfs_modules,
		   src->n_initramfs_modules);
	merge_strv(&dst->remove, &dst->n_remove, src->remove, src->n_remove);
	for (size_t i = 0; i < src->n_files; i++) {
		const struct recipe_file *f = &src->files[i];
		dst->files = xrealloc(dst->files, (dst->n_files + 1) * sizeof *dst->files);
		dst->files[dst->n_files++] = (struct recipe_file){ .path = xstrdup(f->path), .mode = f->mode,
			.content = dup_or_null(f->content), .source = dup_or_null(f->source) };
	}
	for (size_t i = 0; i < src->n_repos; i++) {
		const struct recipe_apt_repo *a = &src->repos[i];
		dst->repos = xrealloc(dst->repos, (dst->n_repos + 1) * sizeof *dst->repos);
		struct recipe_apt_repo *d = &dst->repos[dst->n_repos++];
		*d = (struct recipe_apt_repo){ .name = xstrdup(a->name), .uri = xstrdup(a->uri),
					       .suite = xstrdup(a->suite), .key = xstrdup(a->key),
					       .fingerprint = dup_or_null(a->fingerprint) };
		for (size_t j = 0; j < a->n_components; j++)
			push(&d->components, &d->n_components, a->components[j]);
	}
	for (size_t i = 0; i < src->n_artifacts; i++) {
		const struct recipe_artifact *a = &src->artifacts[i];
		dst->artifacts = xrealloc(dst->artifacts, (dst->n_artifacts + 1) * sizeof *dst->artifacts);
		dst->artifacts[dst->n_artifacts++] = (struct recipe_artifact){ .name = xstrdup(a->name),
			.url = dup_or_null(a->url), .sha256 = dup_or_null(a->sha256), .path = dup_or_null(a->path),
			.local_only = dup_or_null(a->local_only), .install_deb = a->install_deb };
	}
	for (size_t i = 0; i < src->n_sources; i++)
		push(&dst->sources, &dst->n_sources, src->sources[i]);
}

void recipe_for_suite(const struct recipe *r, const char *suite, struct recipe *out)
{
	memset(out, 0, sizeof *out);
	recipe_merge(out, r);
	for (size_t i = 0; i < r->n_suites; i++)
		if (!strcmp(r->suites[i].name, suite))
			recipe_merge(out, r->suites[i].add);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void recipe_free(struct recipe *r)
{
	free_strv(r->packages, r->n_packages);
	free_strv(r->enable, r->n_enable);
	free_strv(r->disable, r->n_disable);
	free_strv(r->initramfs_modules, r->n_initramfs_modules);
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i].path);
		free(r->files[i].content);
		free(r->files[i].source);
	}
	free(r->files);
	for (size_t i = 0; i < r->n_repos; i++) {
		free(r->repos[i].name);
		free(r->repos[i].uri);
		free(r->repos[i].suite);
		free_strv(r->repos[i].components, r->repos[i].n_components);
		free(r->repos[i].key);
		free(r->repos[i].fingerprint);
	}
	free(r->repos);
	for (size_t i = 0; i < r->n_artifacts; i++) {
		free(r->artifacts[i].name);
		free(r->artifacts[i].url);
		free(r->artifacts[i].sha256);
		free(r->artifacts[i].path);
		free(r->artifacts[i].local_only);
	}
	free(r->artifacts);
	free_strv(r->remove, r->n_remove);
	free_strv(r->sources, r->n_sources);
	for (size_t i = 0; i < r->n_suites; i++) {
		free(r->suites[i].name);
		recipe_free(r->suites[i].add);
		free(r->suites[i].add);
	}
	free(r->suites);
	memset(r, 0, sizeof *r);
}
