/* Between images/rootfs.c (the cache) and images/rootfs_mmdebstrap.c (one
 * mmdebstrap run and its hooks). */
#ifndef KILN_ROOTFS_INTERNAL_H
#define KILN_ROOTFS_INTERNAL_H
#include "images/apt_sources.h"
#include "images/rootfs.h"

/* What the build's customize hook copies out of the tree before
 * mmdebstrap's cleanup, under <stage>/capture/: dpkg's status, and apt's
 * lists: every InRelease/Release and the security archive's Packages
 * indexes, compressed or not (apt names its list files ..._dists_<suite>_...). */
#define ROOTFS_CAPTURE "capture"

struct rootfs_run {
	const struct rootfs_opts *o;
	const struct recipe *recipe;            /* for the suite */
	const struct apt_archives *archives;
	const char *cache, *stage, *tmp_tar;
	char *const *artifact_path;             /* one per recipe artifact */
};

/* Run mmdebstrap into run->tmp_tar. Logs; 0 or -errno. */
int rootfs_mmdebstrap(const struct rootfs_run *run);
#endif
