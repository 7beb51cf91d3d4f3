/* The state of an apt archive, for the rootfs cache key: the sha256 and the
 * Date: of its InRelease (or Release, for a mirror without InRelease),
 * fetched with libcurl. An archive moves when it publishes (a point
 * release, an update, a security fix): its InRelease changes, so the key
 * does, and the next build rebuilds the tree. */
#ifndef KILN_ARCHIVE_STATE_H
#define KILN_ARCHIVE_STATE_H
#include <stddef.h>
#include <stdint.h>
#include "images/apt_sources.h"

#define ARCHIVE_RELEASE_MAX (32u << 20)   /* Debian's InRelease is ~150 KB */

struct archive_state {
	char sha256[65];
	int64_t date;              /* its Date:, -1 if unreadable */
};

/* 0 with *st filled; -EHOSTUNREACH when the mirror cannot be reached (no
 * network, name resolution, connection refused, time-out); -ENOENT when it
 * answered but has neither InRelease nor Release for the suite; another
 * -errno otherwise. `why` gets the reason on failure. Does not log. Each
 * URL is fetched once per process (kiln build asks once for all roles). */
int archive_state_fetch(const struct apt_archive *a, struct archive_state *st, char *why, size_t why_len);

/* The same from a Release/InRelease text already in memory. */
void archive_state_of(const char *text, size_t len, struct archive_state *st);
#endif
