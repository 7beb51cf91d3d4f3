/* What kiln records about a cached root filesystem besides its bytes: when
 * it was built, from which states of which archives, and which installed
 * packages are security updates. Kept beside the tar as <name>.meta (text,
 * one record a line, see rootfs_meta.c); kiln build logs it for every image
 * and `kiln rootfs --json` prints it. */
#ifndef KILN_ROOTFS_META_H
#define KILN_ROOTFS_META_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

struct rootfs_archive_rec {
	char *uri, *suite;
	char sha256[65];           /* of its InRelease as apt used it, "" if unknown */
	int64_t date;              /* its Date:, -1 if unknown */
};

/* An installed package at a version the security archive published. */
struct rootfs_pkg {
	char *name, *version;
	int64_t date;              /* the .deb's build date, -1 if unknown */
};

struct rootfs_meta {
	int64_t built;             /* when mmdebstrap finished */
	char *snapshot;            /* the pinned archive state, or NULL */
	struct rootfs_archive_rec *archives;
	size_t n_archives;
	char *security_suite;      /* "trixie-security", NULL when the profile opts out */
	bool security_known;       /* its Packages index was captured while building */
	struct rootfs_pkg *security;
	size_t n_security;
};

void rootfs_meta_free(struct rootfs_meta *m);
void rootfs_meta_add_archive(struct rootfs_meta *m, const char *uri, const char *suite, const char *sha256,
			     int64_t date);

/* Written atomically; read strictly (-EBADMSG for anything unexpected,
 * and then *m is empty). */
int rootfs_meta_write(const char *path, const struct rootfs_meta *m);
int rootfs_meta_read(const char *path, struct rootfs_meta *m);
int rootfs_meta_parse(const char *data, size_t len, struct rootfs_meta *m);
/* The file's text (what rootfs_meta_write writes); malloc'd. */
char *rootfs_meta_text(const struct rootfs_meta *m);

/* The security updates of a tree from what a build captured: the tree's
 * dpkg status (installed packages), the security archive's Packages
 * indexes, plain or compressed as apt keeps them (a package counts when its installed version is one the security
 * archive published) and the directory of the .deb files apt downloaded
 * (an ar member's time is the package's build date; missing files leave
 * the date unknown). Sets security_known. 0 or -errno (unreadable input). */
int rootfs_meta_security(struct rootfs_meta *m, const char *status_path, char *const *index_paths,
			 size_t n_index, const char *debs_dir);

/* The security update with the newest build date (NULL: none, or no dates). */
const struct rootfs_pkg *rootfs_meta_newest(const struct rootfs_meta *m);
/* The newest Date: of the archives the tree came from, else `built`. */
int64_t rootfs_meta_packages_date(const struct rootfs_meta *m);

/* "2026-05-20" / "2026-05-20T08:12:00Z" in UTC; "unknown" for -1. */
void rootfs_meta_day(int64_t t, char out[32]);
void rootfs_meta_time(int64_t t, char out[32]);

/* A JSON object (kiln rootfs --json). */
void rootfs_meta_json(const struct rootfs_meta *m, struct buf *out);
/* One line for the log: the security updates, the newest, the archives' date. */
void rootfs_meta_summary(const struct rootfs_meta *m, struct buf *out);
#endif
