/* The Debian release an image is built from and the archives it is built
 * from and configured with: the profile's `debian:` section, resolved.
 *
 * This is the one home of the supported suites: the profile validator, the
 * recipe parser (`suites:` blocks), `kiln rootfs --suite` and the agent's
 * per-suite choices (firstboot/role_mysql.c) all ask debian_suite_find().
 * docs/profile.md describes the keys, docs/build.md what the builder does
 * with them. */
#ifndef KILN_DEBIAN_H
#define KILN_DEBIAN_H
#include <stdbool.h>

#define DEBIAN_DEFAULT_SUITE "bookworm"
#define DEBIAN_DEFAULT_MIRROR "http://deb.debian.org/debian"
/* snapshot.debian.org's URL scheme: <base>/<archive>/<YYYYMMDDTHHMMSSZ>/ */
#define DEBIAN_DEFAULT_SNAPSHOT_MIRROR "http://snapshot.debian.org/archive"
#define DEBIAN_SNAPSHOT_LEN 16   /* "20261101T000000Z" */

struct debian_suite {
	const char *name;          /* "trixie" */
	unsigned version;          /* 13 */
};

/* NULL for a suite kiln does not build. */
const struct debian_suite *debian_suite_find(const char *name);
/* "bookworm, trixie" (malloc'd), for messages. */
char *debian_suites_list(void);

struct debian_settings {
	char *suite;               /* a supported suite */
	char *mirror;              /* the suite and <suite>-updates */
	bool updates;              /* <suite>-updates, default true */
	bool security;             /* <suite>-security, default true */
	char *security_mirror;     /* resolved: named, or derived from mirror; NULL when !security */
	char *snapshot;            /* "YYYYMMDDTHHMMSSZ" or NULL: build from the archives as they are */
	char *snapshot_mirror;     /* resolved when snapshot is set, else NULL */
};

/* Fill what is unset: suite, mirror, the security mirror derived from the
 * mirror, the snapshot mirror. Call after setting what was given. */
void debian_settings_resolve(struct debian_settings *d);
void debian_settings_free(struct debian_settings *d);

/* The debian-security archive on the mirror's host: the mirror's last path
 * segment replaced ("http://deb.debian.org/debian" ->
 * "http://deb.debian.org/debian-security"), or appended when the mirror is
 * a host's root. malloc'd. */
char *debian_security_mirror_for(const char *mirror);

/* NULL when s is a snapshot timestamp YYYYMMDDTHHMMSSZ naming a real UTC
 * date and time, else why not. */
const char *debian_snapshot_check(const char *s);
#endif
