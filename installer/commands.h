/* Every `kiln` subcommand: int cmd_X(int argc, char **argv), argv[0] = "X".
 * Each lives in installer/cmd_X.c, parses its own options (getopt_long, so
 * options may come in any position), prints its own --help, and returns the
 * process exit code: 0 ok, 1 failure (already logged), 2 usage error. */
#ifndef KILN_COMMANDS_H
#define KILN_COMMANDS_H

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct command kiln_commands[];

int cmd_version(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_secrets(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_rootfs(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_ec2(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_backup(int argc, char **argv);
#endif
