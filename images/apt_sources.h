/* The apt archives of a build, from the profile's debian: settings
 * (profiles/debian.h): the suite, <suite>-updates and <suite>-security, each
 * with the URI the build fetches from (the snapshot's, when the profile pins
 * one) and the URI the image's own apt configuration names (always the live
 * archive, so `apt upgrade` on the appliance sees new fixes). */
#ifndef KILN_APT_SOURCES_H
#define KILN_APT_SOURCES_H
#include <stdbool.h>
#include <stddef.h>
#include "profiles/debian.h"

#define APT_COMPONENT "main"
/* Where the image's sources go (deb822); /etc/apt/sources.list is removed. */
#define APT_SOURCES_PATH "/etc/apt/sources.list.d/debian.sources"

struct apt_archive {
	char *uri;                 /* fetched from while building */
	char *image_uri;           /* named by the image's sources */
	char *suite;               /* "trixie", "trixie-updates", "trixie-security" */
	bool security;             /* the security archive */
};

struct apt_archives {
	struct apt_archive *v;
	size_t n;
	const char *snapshot;      /* the pinned time stamp (points into the settings) or NULL */
};

/* The suite first, then -updates and -security unless opted out. */
void apt_archives_for(const struct debian_settings *d, struct apt_archives *out);
void apt_archives_free(struct apt_archives *a);

/* "deb URI SUITE main" for mmdebstrap (a pinned snapshot's Release files
 * have expired by design: its lines say check-valid-until=no). malloc'd. */
char *apt_archive_deb_line(const struct apt_archives *a, size_t i);
/* The image's /etc/apt/sources.list.d/debian.sources: one deb822 stanza per
 * URI. malloc'd. */
char *apt_archives_deb822(const struct apt_archives *a);
/* <uri>/dists/<suite>/<file> as a URL libcurl fetches (file:/x -> file:///x). */
char *apt_archive_url(const struct apt_archive *a, const char *file);
#endif
