/* kiln — the operator's command. Dispatches to installer/cmd_*.c. */
#include "installer/commands.h"
#include "lib/log.h"
#include <sodium.h>
#include <stdio.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

/* Keep sorted by how an operator meets them. */
const struct command kiln_commands[] = {
	{ "check", cmd_check, "validate a deployment profile and summarise it" },
	{ "render", cmd_render, "write one host's network, firewall and identity files" },
	{ "keys", cmd_keys, "create the deployment's operator and role keys (keys init)" },
	{ "secrets", cmd_secrets, "generate the deployment's secrets and TLS CA (secrets init)" },
	{ "seed", cmd_seed, "build a host's signed, sealed seed (or --inspect one)" },
	{ "build", cmd_build, "build the disk images of a profile's roles" },
	{ "rootfs", cmd_rootfs, "build or fetch from cache a role's root filesystem tar" },
	{ "package", cmd_package, "package raw role images as OVAs (esxi) or an EC2 import kit" },
	{ "ec2", cmd_ec2, "upload a raw role image as an EBS snapshot and register an AMI" },
	{ "convert", cmd_convert, "convert a raw disk image (to a streamOptimized VMDK)" },
	{ "install", cmd_install, "write a signed role image to a disk, safely (bare metal)" },
	{ "sign", cmd_sign, "sign a file with the operator key (minisign-compatible)" },
	{ "verify", cmd_verify, "verify a minisign signature and print its trusted comment" },
	{ "backup", cmd_backup, "backup key pair; list, verify and restore encrypted backups" },
	{ "version", cmd_version, "print kiln's version" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kiln COMMAND [OPTIONS] [ARGS]\n\n"
		   "Build Debian appliance images (app, MySQL, MinIO) from one deployment profile.\n\n"
		   "Commands:\n");
	for (const struct command *c = kiln_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'kiln COMMAND --help' for a command's options.\n");
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("kiln %s\n", KILN_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	log_set_prefix("kiln");
	/* UTF-8 path names in tars and ISOs (libarchive converts through the
	 * locale); fall back to C.UTF-8 where the environment sets none. */
	if (!setlocale(LC_CTYPE, "") || !strcmp(setlocale(LC_CTYPE, NULL), "C"))
		setlocale(LC_CTYPE, "C.UTF-8");
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	for (const struct command *c = kiln_commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	log_error("unknown command '%s' (see 'kiln --help')", argv[1]);
	return 2;
}
