/* A role's root filesystem as a tar, built by mmdebstrap and cached by the
 * hash of every input:
 *   <cache>/rootfs/<key>.tar   finished tars (key = sha256, see rootfs_key)
 *   <cache>/debs/              .deb files kept between runs (sync-in/out)
 *   <cache>/artifacts/<sha256> pinned downloads
 * <cache> is $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.
 * A warm build neither runs mmdebstrap nor contacts the mirror. */
#ifndef KILN_ROOTFS_H
#define KILN_ROOTFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "images/recipe.h"

struct artifact_override {
	const char *name;               /* recipe artifact name */
	const char *path;               /* local file to use */
};

struct rootfs_opts {
	const char *role;               /* for messages */
	const struct recipe *recipe;    /* base + role, merged */
	const char *suite;              /* e.g. "bookworm" */
	const char *mirror;             /* e.g. "http://deb.debian.org/debian" */
	const char *cache_dir;          /* NULL = rootfs_cache_dir() */
	const struct artifact_override *overrides;
	size_t n_overrides;
	int64_t source_date_epoch;      /* <0: unset (mmdebstrap uses the newest package date) */
	bool refresh;                   /* rebuild even if cached */
};

/* Does the recipe pin an artifact of this name? (Overrides naming no
 * artifact of the recipe are ignored by rootfs_build; callers check.) */
bool recipe_has_artifact(const struct recipe *r, const char *name);

/* Returns malloc'd default cache directory. */
char *rootfs_cache_dir(void);

/* Build (or find in the cache) the rootfs tar; *tar_out = its malloc'd path.
 * *cached tells whether it came from the cache. Logs once on failure;
 * nothing is left under the final name on failure. */
int rootfs_build(const struct rootfs_opts *o, char **tar_out, bool *cached);

/* The cache key text and its hash, exposed for tests: every input that can
 * change the tree. `artifact_sha` holds one hex sha256 per recipe artifact. */
char *rootfs_key_text(const struct rootfs_opts *o, char *const *artifact_sha);
int rootfs_key(const struct rootfs_opts *o, char *const *artifact_sha, char hex[65]);
#endif
