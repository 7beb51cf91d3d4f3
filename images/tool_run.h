/* Running an external tool (mkfs.fat, mcopy, ...) without a shell:
 * posix_spawnp, stdout to /dev/null, stderr captured for the error message,
 * exit status checked. Never put a secret on argv. */
#ifndef KILN_TOOL_RUN_H
#define KILN_TOOL_RUN_H

/* argv: NULL-terminated, argv[0] looked up in PATH. env_set: NULL or a
 * NULL-terminated list of "NAME=value" added to (or replacing in) the
 * current environment. package: the Debian package that ships the tool,
 * named in the error if it is missing.
 * Returns 0 on exit status 0. Otherwise logs one error naming the tool, its
 * exit status and its stderr, and returns -ENOENT (not installed) or -EIO. */
int tool_run(const char *const *argv, const char *const *env_set, const char *package);
#endif
