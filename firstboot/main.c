/* kiln-firstboot — the agent that runs on the appliance at first boot.
 * This file is the entry point; the stages live beside it. */
#include "lib/log.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: kiln-firstboot COMMAND\n\n"
		   "Configure this appliance from its signed, sealed seed.\n\n"
		   "Commands:\n"
		   "  version    print the version\n");
}

int main(int argc, char **argv)
{
	log_set_prefix("kiln-firstboot");
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("kiln-firstboot %s\n", KILN_VERSION);
		return 0;
	}
	log_error("unknown command '%s' (see 'kiln-firstboot --help')", argv[1]);
	return 2;
}
