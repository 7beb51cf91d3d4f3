/* A role's root filesystem as a tar, built by mmdebstrap and cached:
 *   <cache>/rootfs/<inputs>-<state>.tar   finished tars
 *   <cache>/rootfs/<inputs>-<state>.meta  what was recorded (images/rootfs_meta.h)
 *   <cache>/debs/                         .deb files kept between runs (sync-in/out)
 *   <cache>/artifacts/<sha256>            pinned downloads
 * <inputs> is the sha256 of every input but the archives' state (the recipe
 * for the suite, the archives, kiln's version, SOURCE_DATE_EPOCH, ...,
 * rootfs_key_text); <state> the sha256 of the archives' state: each
 * archive's InRelease hash, fetched with libcurl before deciding (one small
 * GET per archive per run), or the pinned snapshot. A build after an archive
 * moved therefore rebuilds; with --offline, or when no archive answers, the
 * newest cached tree with the same <inputs> is used, with a warning saying
 * how old its packages are. <cache> is $KILN_CACHE_DIR, else
 * $XDG_CACHE_HOME/kiln, else ~/.cache/kiln. */
#ifndef KILN_ROOTFS_H
#define KILN_ROOTFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "images/recipe.h"
#include "images/rootfs_meta.h"
#include "profiles/debian.h"

struct artifact_override {
	const char *name;               /* recipe artifact name */
	const char *path;               /* local file to use */
};

struct rootfs_opts {
	const char *role;               /* for messages */
	const struct recipe *recipe;    /* base + role, merged; its suites: blocks are applied here */
	const struct debian_settings *debian;   /* the suite and its archives, resolved */
	const char *cache_dir;          /* NULL = rootfs_cache_dir() */
	const struct artifact_override *overrides;
	size_t n_overrides;
	int64_t source_date_epoch;      /* <0: unset (mmdebstrap uses the newest package date) */
	bool refresh;                   /* rebuild even if cached */
	bool offline;                   /* contact no archive: the newest cached tree for these inputs */
};

/* Does the recipe pin an artifact of this name? (Overrides naming no
 * artifact of the recipe are ignored by rootfs_build; callers check.) */
bool recipe_has_artifact(const struct recipe *r, const char *name);

/* Returns malloc'd default cache directory. */
char *rootfs_cache_dir(void);

struct rootfs_result {
	char *tar;                      /* malloc'd path */
	bool cached;                    /* taken from the cache: mmdebstrap did not run */
	bool stale;                     /* the archives' state was not known (offline or unreachable) */
	struct rootfs_meta meta;        /* what the cache recorded about the tree */
};

/* Build (or find in the cache) the rootfs tar. Logs once on failure;
 * nothing is left under the final name on failure. Logs the tree's
 * security updates (rootfs_meta_summary) either way. */
int rootfs_build_ex(const struct rootfs_opts *o, struct rootfs_result *res);
void rootfs_result_free(struct rootfs_result *res);
/* The same when only the tar matters: *tar_out malloc'd. */
int rootfs_build(const struct rootfs_opts *o, char **tar_out, bool *cached);

/* The cache key's inputs and their hash, exposed for tests and `kiln rootfs
 * --print-key`: every input that can change the tree except the archives'
 * state. `artifact_sha` holds one hex sha256 per recipe artifact (NULL: a
 * supplied file's (o->overrides), as the build takes it, else the pin). */
char *rootfs_key_text(const struct rootfs_opts *o, char *const *artifact_sha);
int rootfs_key(const struct rootfs_opts *o, char *const *artifact_sha, char hex[65]);
/* The archives' state: "inrelease SUITE SHA256 URI" per archive (fetched
 * now), or "snapshot STAMP" when pinned. 0, or archive_state_fetch's
 * -EHOSTUNREACH / -ENOENT / -errno with `why`. Does not log. */
int rootfs_state_text(const struct rootfs_opts *o, char **text, char *why, size_t why_len);
#endif
