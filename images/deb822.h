/* Reading Debian control data (deb822: dpkg's status file, an archive's
 * Packages index, its InRelease): paragraphs separated by blank lines,
 * "Field: value" lines, continuation lines starting with a space or tab.
 * Only what kiln needs: single-line field values and the archive date. */
#ifndef KILN_DEB822_H
#define KILN_DEB822_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deb822_para {
	const char *p;             /* points into the text */
	size_t len;
};

/* The next paragraph at or after *pos (updated); false at the end. */
bool deb822_next(const char *text, size_t len, size_t *pos, struct deb822_para *out);
/* The first line of field `name` (case-insensitive, as deb822 says),
 * without surrounding white space; malloc'd, or NULL when absent. */
char *deb822_field(const struct deb822_para *p, const char *name);
/* An archive's "Date:" (RFC 2822, "Sat, 10 May 2025 09:32:46 UTC") as
 * seconds since 1970; -1 when it is not one. */
int64_t deb822_date(const char *value);
/* The Date: field of a Release or InRelease text (the first paragraph
 * that has one: an InRelease starts with the OpenPGP armour header), -1
 * when absent or unreadable. */
int64_t deb822_release_date(const char *text, size_t len);
#endif
