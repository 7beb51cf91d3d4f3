/* Role recipes: what goes into a role's root filesystem.
 *
 * A recipe is a small YAML file (images/roles/<role>.yaml, docs/build.md has
 * the format). Every role recipe implicitly starts from base.yaml; loading a
 * role merges base and role lists in that order. Parsing is strict: an
 * unknown key, a wrong type or a bad value is an error with
 * file:line:column, logged once. */
#ifndef KILN_RECIPE_H
#define KILN_RECIPE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RECIPE_MAX_BYTES (256u * 1024)

/* A file put into the rootfs. Exactly one of content/source is set; source is
 * resolved relative to the recipe file's directory at load time. */
struct recipe_file {
	char *path;                 /* absolute path in the rootfs */
	mode_t mode;                /* permission bits, default 0644 */
	char *content;              /* inline text, or NULL */
	char *source;               /* host path, or NULL */
};

/* A third-party apt repository: installed as
 * /etc/apt/sources.list.d/kiln-<name>.list with signed-by=
 * /etc/apt/keyrings/kiln-<name>.gpg (the key file copied from `key`). */
struct recipe_apt_repo {
	char *name;                 /* [a-z0-9-] */
	char *uri;                  /* http(s)://... */
	char *suite;
	char **components; size_t n_components;
	char *key;                  /* host path of the binary OpenPGP keyring, resolved */
	char *fingerprint;          /* the one primary key `key` must hold (40 upper-case hex), or NULL */
};

/* A pinned download. Fetched with libcurl into the artifact cache by
 * sha256, or taken from a local path (offline builds; still checked); or,
 * local_only, a file only the operator has (`--artifact NAME=PATH`). */
struct recipe_artifact {
	char *name;                 /* [a-z0-9-], the key for `--artifact NAME=PATH` */
	char *url;                  /* http(s):// or file:// */
	char *sha256;               /* 64 lowercase hex digits; NULL with local_only */
	char *path;                 /* local file instead of url, resolved; or NULL */
	char *local_only;           /* why there is no download ("MinIO publishes no binaries"), or NULL */
	bool install_deb;           /* `install: deb` -> installed into the rootfs */
};

struct recipe_suite;

struct recipe {
	char **packages; size_t n_packages;
	char **enable; size_t n_enable;          /* systemd units */
	char **disable; size_t n_disable;
	char **initramfs_modules; size_t n_initramfs_modules;
	struct recipe_file *files; size_t n_files;
	char **remove; size_t n_remove;          /* paths/globs deleted at the end (e.g. ssh host keys) */
	struct recipe_apt_repo *repos; size_t n_repos;
	struct recipe_artifact *artifacts; size_t n_artifacts;
	char **sources; size_t n_sources;        /* recipe files loaded, in order */
	/* `suites:` blocks: what only a build of that Debian suite adds (e.g.
	 * libssl3 on bookworm, libssl3t64 on trixie). recipe_for_suite()
	 * applies them; the builder only ever sees the result. */
	struct recipe_suite *suites; size_t n_suites;
};

struct recipe_suite {
	char *name;                 /* a suite profiles/debian.h supports */
	struct recipe *add;         /* packages, units, files, remove, initramfs_modules, apt_repositories */
};

void recipe_free(struct recipe *r);

/* Parse one recipe file and append its contents to *r (which must be
 * zero-initialised or the result of an earlier load). */
int recipe_load_file(const char *path, struct recipe *r);
/* A recipe's `drop:` (packages, units) removes names the recipes loaded
 * before it listed, their `suites:` blocks included: how a variant replaces
 * part of its role (mysql-mysql.yaml: MySQL's server for MariaDB's). Each
 * name must be there to drop (else file:line:column). */
/* Same from memory; `name` is used for error positions and `dir` for
 * resolving relative source/key/path entries. */
int recipe_load_buffer(const char *name, const char *dir, const char *data, size_t len,
		       struct recipe *r);

/* Adds what the profile asks of a role's image beyond its recipe (the
 * packages and disabled units monitoring: implies, profiles/monitoring.h):
 * each name checked, none twice. Part of the rootfs cache key like the
 * recipe's own lists. -EINVAL (logged) for a bad name, r unchanged. */
int recipe_add(struct recipe *r, const char *const *packages, size_t n_packages, const char *const *disable,
	       size_t n_disable);

/* Load <dir>/base.yaml then <dir>/<role>.yaml (role "base" loads just the
 * first). Fails with -ENOENT (logged) for a role without a recipe. */
int recipe_load_role(const char *dir, const char *role, struct recipe *r);
/* The same, then <dir>/<role>-<variant>.yaml when variant is not NULL: what
 * a profile's use of the role adds (app-container.yaml: podman, for a
 * container app). Its contents enter the rootfs cache key like any recipe's. */
int recipe_load_role_variant(const char *dir, const char *role, const char *variant, struct recipe *r);

/* The recipe a build of `suite` uses: r's lists, then the lists of every
 * `suites:` block for that suite (in load order, duplicates dropped); out
 * has no suites of its own. A deep copy: free both. */
void recipe_for_suite(const struct recipe *r, const char *suite, struct recipe *out);
/* Append src's lists to dst (copies; list duplicates dropped; src's suites
 * are not copied). */
void recipe_merge(struct recipe *dst, const struct recipe *src);

/* Where recipes live: $KILN_RECIPES, else <dir of the kiln binary>/../images/roles
 * (a source tree), else /usr/share/kiln/roles. Returns a malloc'd path. */
char *recipe_default_dir(void);

/* Name checks shared with the builder (they end up inside hook scripts). */
bool recipe_valid_package(const char *s);
bool recipe_valid_unit(const char *s);
bool recipe_valid_path(const char *s);
bool recipe_valid_name(const char *s);
/* A path as above whose last component may contain '*' (for `remove:`). */
bool recipe_valid_glob(const char *s);
#endif
