/* Commands that take a PROFILE and --state DIR: load the profile (printing
 * its diagnostics) and find the state directory. */
#ifndef KILN_PROFILE_STATE_H
#define KILN_PROFILE_STATE_H
#include "profiles/model.h"

/* 0 or -EINVAL/-errno after printing every diagnostic as file:line:col. */
int profile_load_reported(const char *path, struct model *m);
/* state = --state or <profile dir>/.kiln/<deployment>; deployment from the
 * profile (NULL if no profile was given). Both malloc'd. */
int profile_state_resolve(const char *profile, const char *state_opt, char **state, char **deployment);
#endif
