/* Where a deployment's keys and secrets live on the operator's machine.
 * Default: .kiln/<deployment>/ beside the profile; --state DIR overrides.
 * The directory is 0700 and every key/secret file 0600; kiln refuses to
 * read a key or secret file that group or others can read. */
#ifndef KILN_STATE_H
#define KILN_STATE_H
/* Returns a malloc'd path: state_opt if given, else <dir of profile>/.kiln/<deployment>. */
char *state_dir_resolve(const char *state_opt, const char *profile_path, const char *deployment);
#endif
