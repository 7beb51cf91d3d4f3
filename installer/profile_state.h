/* The one way kiln's commands open a PROFILE: read its bytes once (they are
 * also every seed's topology), load them with the names of kiln's targets,
 * print every diagnostic as file:line:col and one summary line. And, for
 * commands that take --state DIR, where the state directory is. */
#ifndef KILN_PROFILE_STATE_H
#define KILN_PROFILE_STATE_H
#include "profiles/model.h"
#include <stddef.h>

struct opened_profile {
	struct model m;
	char *text;                /* the bytes m was parsed from */
	size_t len;
};

/* 0, or -errno after the reason was printed (unreadable file, or the
 * diagnostics and "PATH: N errors in profile"). On success close it with
 * profile_close. */
int profile_open(const char *path, struct opened_profile *p);
void profile_close(struct opened_profile *p);

/* profile_open without keeping the text. */
int profile_load_reported(const char *path, struct model *m);
/* state = --state or <profile dir>/.kiln/<deployment>; deployment from the
 * profile (NULL if no profile was given). Both malloc'd. */
int profile_state_resolve(const char *profile, const char *state_opt, char **state, char **deployment);
#endif
