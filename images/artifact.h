/* Pinned artifacts (recipe `artifacts:`): a file identified by its sha256,
 * kept in <cache>/artifacts/<sha256>. */
#ifndef KILN_ARTIFACT_H
#define KILN_ARTIFACT_H
#include "images/recipe.h"

/* sha256 of a file as 64 lowercase hex digits + NUL. 0 or -errno; no log. */
int sha256_file(const char *path, char hex[65]);

/* Can artifact `a` be had? With an override (`--artifact NAME=PATH`): that
 * file must be a regular file. Without: the recipe must pin it (a sha256
 * that is not the all-zero placeholder) and have a url or path; a
 * local_only artifact needs the override. One line logged when not, naming
 * the option and why; 0 or -errno. */
int artifact_check(const struct recipe_artifact *a, const char *override);

/* Make artifact `a` available and return its local path (malloc'd) and
 * sha256. `override` (from `--artifact NAME=PATH`) replaces the recipe's
 * source: that file is used as given and its own sha256 enters the cache
 * key. Otherwise a recipe `path:` or the cached copy is used, or the URL is
 * downloaded with libcurl into the cache; either way the content must match
 * the pinned sha256. Logs once on failure. */
int artifact_resolve(const struct recipe_artifact *a, const char *override,
		     const char *cache_dir, char **path_out, char hex_out[65]);
#endif
