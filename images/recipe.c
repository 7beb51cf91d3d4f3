/* Strict recipe parser on libyaml's document API: every node carries its
 * start mark, so each error names file:line:column. */
#include "images/recipe.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
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

typedef bool (*validator)(const char *);

/* A sequence of scalars, each checked, appended without duplicates. */
static int string_list(const struct ctx *c, yaml_node_t *n, const char *what, validator ok,
		       char ***v, size_t *count)
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
		if (!contains(*v, *count, s))
			push(v, count, s);
	}
	return 0;
}

/* Iterate a mapping: calls fn for each key; unknown keys are the callee's error. */
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

static int need_scalar(const struct ctx *c, yaml_node_t *k, yaml_node_t *v, const char **out)
{
	*out = scalar(v);
	if (!*out)
		return bad(c, v, "'%s' must be a string", scalar(k));
	return 0;
}

static int parse_units(const struct ctx *c, yaml_node_t *n, struct recipe *r)
{
	int e = need_mapping(c, n, "units");
	if (e < 0)
		return e;
	FOR_PAIRS(c, n, k, v) {
		const char *key = scalar(k);
		if (key && !strcmp(key, "enable"))
			e = string_list(c, v, "units.enable", recipe_valid_unit, &r->enable, &r->n_enable);
		else if (key && !strcmp(key, "disable"))
			e = string_list(c, v, "units.disable", recipe_valid_unit, &r->disable, &r->n_disable);
		else
			e = bad(c, k, "unknown key '%s' in units (expected one of: enable, disable)",
				key ? key : "?");
		if (e < 0)
			return e;
	}
	return 0;
}

static int parse_file(const struct ctx *c, yaml_node_t *n, struct recipe_file *f)
{
	int e = need_mapping(c, n, "files entry");
	if (e < 0)
		return e;
	f->mode = 0644;
	FOR_PAIRS(c, n, k, v) {
		const char *key = scalar(k), *s;
		if (!key)
			return bad(c, k, "keys must be strings");
		if ((e = need_scalar(c, k, v, &s)) < 0)
			return e;
		if (!strcmp(key, "path")) {
			if (!recipe_valid_path(s))
				return bad(c, v, "invalid path '%s' (absolute, no '..', characters [A-Za-z0-9/._+@:-])", s);
			free(f->path);
			f->path = xstrdup(s);
		} else if (!strcmp(key, "mode")) {
			char *end;
			errno = 0;
			unsigned long m = strtoul(s, &end, 8);
			if (!*s || *end || errno || m > 07777)
				return bad(c, v, "invalid mode '%s' (octal, e.g. \"0644\")", s);
			f->mode = (mode_t)m;
		} else if (!strcmp(key, "content")) {
			free(f->content);
			f->content = xstrdup(s);
		} else if (!strcmp(key, "source")) {
			free(f->source);
			f->source = resolve(c, s);
		} else
			return bad(c, k, "unknown key '%s' in files entry (expected one of: path, mode, content, source)", key);
	}
	if (!f->path)
		return bad(c, n, "files entry needs 'path'");
	if (!!f->content == !!f->source)
		return bad(c, n, "files entry '%s' needs exactly one of 'content' or 'source'", f->path);
	return 0;
}

static int parse_repo(const struct ctx *c, yaml_node_t *n, struct recipe_apt_repo *a)
{
	int e = need_mapping(c, n, "apt_repositories entry");
	if (e < 0)
		return e;
	FOR_PAIRS(c, n, k, v) {
		const char *key = scalar(k), *s;
		if (!key)
			return bad(c, k, "keys must be strings");
		if ((e = need_scalar(c, k, v, &s)) < 0)
			return e;
		if (!strcmp(key, "name")) {
			if (!recipe_valid_name(s))
				return bad(c, v, "invalid repository name '%s' (use [a-z0-9-])", s);
			free(a->name);
			a->name = xstrdup(s);
		} else if (!strcmp(key, "deb")) {
			if (a->uri)
				return bad(c, k, "duplicate key 'deb'");
			/* "deb URI SUITE COMPONENT..." without [options]: kiln adds signed-by. */
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
					int e2 = bad(c, v, "unsupported character in deb line word '%s' (options like [signed-by=] are added by kiln)", w);
					free(copy);
					return e2;
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
		} else if (!strcmp(key, "key")) {
			free(a->key);
			a->key = resolve(c, s);
		} else
			return bad(c, k, "unknown key '%s' in apt_repositories entry (expected one of: name, deb, key)", key);
	}
	if (!a->name || !a->uri || !a->key)
		return bad(c, n, "apt_repositories entry needs 'name', 'deb' and 'key'");
	return 0;
}

static int parse_artifact(const struct ctx *c, yaml_node_t *n, struct recipe_artifact *a)
{
	int e = need_mapping(c, n, "artifacts entry");
	if (e < 0)
		return e;
	FOR_PAIRS(c, n, k, v) {
		const char *key = scalar(k), *s;
		if (!key)
			return bad(c, k, "keys must be strings");
		if ((e = need_scalar(c, k, v, &s)) < 0)
			return e;
		if (!strcmp(key, "name")) {
			if (!recipe_valid_name(s))
				return bad(c, v, "invalid artifact name '%s' (use [a-z0-9-])", s);
			free(a->name);
			a->name = xstrdup(s);
		} else if (!strcmp(key, "url")) {
			if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7) && strncmp(s, "file://", 7))
				return bad(c, v, "artifact url must be https://, http:// or file://");
			free(a->url);
			a->url = xstrdup(s);
		} else if (!strcmp(key, "sha256")) {
			if (!valid_sha256(s))
				return bad(c, v, "sha256 must be 64 lowercase hex digits");
			free(a->sha256);
			a->sha256 = xstrdup(s);
		} else if (!strcmp(key, "path")) {
			free(a->path);
			a->path = resolve(c, s);
		} else if (!strcmp(key, "install")) {
			if (strcmp(s, "deb"))
				return bad(c, v, "unknown install method '%s' (expected: deb)", s);
			a->install_deb = true;
		} else
			return bad(c, k, "unknown key '%s' in artifacts entry (expected one of: name, url, sha256, path, install)", key);
	}
	if (!a->name || !a->sha256 || (!a->url && !a->path))
		return bad(c, n, "artifacts entry needs 'name', 'sha256' and 'url' or 'path'");
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

static int parse_root(const struct ctx *c, yaml_node_t *root, struct recipe *r)
{
	int e;
	if (!root)
		return 0;   /* empty file: nothing to add */
	if ((e = need_mapping(c, root, "a recipe")) < 0)
		return e;
	bool seen_version = false;
	FOR_PAIRS(c, root, k, v) {
		const char *key = scalar(k);
		e = 0;
		if (!key)
			return bad(c, k, "keys must be strings");
		if (!strcmp(key, "kiln-recipe")) {
			if (!scalar(v) || strcmp(scalar(v), "1"))
				return bad(c, v, "unsupported recipe version (expected kiln-recipe: 1)");
			seen_version = true;
		} else if (!strcmp(key, "packages"))
			e = string_list(c, v, "packages", recipe_valid_package, &r->packages, &r->n_packages);
		else if (!strcmp(key, "units"))
			e = parse_units(c, v, r);
		else if (!strcmp(key, "initramfs_modules"))
			e = string_list(c, v, "initramfs_modules", valid_module,
					&r->initramfs_modules, &r->n_initramfs_modules);
		else if (!strcmp(key, "remove"))
			e = string_list(c, v, "remove", recipe_valid_glob, &r->remove, &r->n_remove);
		else if (!strcmp(key, "files"))
			PARSE_LIST(c, v, "files", r->files, r->n_files, parse_file);
		else if (!strcmp(key, "apt_repositories"))
			PARSE_LIST(c, v, "apt_repositories", r->repos, r->n_repos, parse_repo);
		else if (!strcmp(key, "artifacts"))
			PARSE_LIST(c, v, "artifacts", r->artifacts, r->n_artifacts, parse_artifact);
		else
			return bad(c, k, "unknown key '%s' (expected one of: kiln-recipe, packages, units, "
				   "files, remove, initramfs_modules, apt_repositories, artifacts)", key);
		if (e < 0)
			return e;
	}
	if (!seen_version)
		return bad(c, root, "missing 'kiln-recipe: 1'");
	return 0;
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
	if (e < 0)
		return log_error_errno(e, "cannot read recipe %s", path);
	char *copy = xstrdup(path);
	e = recipe_load_buffer(path, dirname(copy), data, len, r);
	free(copy);
	free(data);
	return e;
}

int recipe_load_role(const char *dir, const char *role, struct recipe *r)
{
	if (!recipe_valid_name(role))
		return log_error_errno(EINVAL, "invalid role name '%s'", role);
	char *base = path_join(dir, "base.yaml");
	int e = recipe_load_file(base, r);
	free(base);
	if (e < 0 || !strcmp(role, "base"))
		return e;
	char *name = xasprintf("%s.yaml", role);
	char *p = path_join(dir, name);
	free(name);
	if (access(p, F_OK) < 0) {
		e = log_error_errno(ENOENT, "no recipe for role '%s' (%s)", role, p);
		free(p);
		return e;
	}
	e = recipe_load_file(p, r);
	free(p);
	return e;
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
	}
	free(r->repos);
	for (size_t i = 0; i < r->n_artifacts; i++) {
		free(r->artifacts[i].name);
		free(r->artifacts[i].url);
		free(r->artifacts[i].sha256);
		free(r->artifacts[i].path);
	}
	free(r->artifacts);
	free_strv(r->remove, r->n_remove);
	free_strv(r->sources, r->n_sources);
	memset(r, 0, sizeof *r);
}
