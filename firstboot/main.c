/* kiln-firstboot — the agent that runs on the appliance at first boot. */
#include "firstboot/commands.h"
#include "lib/appliance.h"
#include "lib/log.h"
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
	{ "run", fb_cmd_run, "configure this host from its seed (the first-boot work itself)" },
	{ "status", fb_cmd_status, "print every first-boot step with its state (--json)" },
	{ "detect", fb_cmd_detect, "say which platform this is and why (EC2, VMware, other)" },
	{ "fetch-seed", fb_cmd_fetch_seed, "fetch this host's seed from its datasource to a file" },
	{ "repurpose", fb_cmd_repurpose, "make this host another host of its deployment (--host NAME)" },
	{ "metrics", fb_cmd_metrics, "write this host's kiln metrics for Prometheus (monitoring: on)" },
	{ "archive-drops", fb_cmd_archive_drops, "archive a day's denied traffic to the bucket (monitoring host)" },
	{ "backup", fb_cmd_backup, "seal and upload a full backup or the binary logs, or restore (MySQL host, backup:)" },
	{ "galera", fb_cmd_galera, "galera recover: after a whole-cluster loss, the seqno and who may bootstrap" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kiln-firstboot COMMAND [OPTIONS]\n\n"
		   "Configure this appliance from its signed, sealed seed.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-13s %s\n", "version", "print the version");
	fprintf(f, "\nRun 'kiln-firstboot COMMAND --help' for a command's options.\n");
}

const char *fb_state_dir(void)
{
	const char *d = getenv("KILN_STATE_DIR");
	return d && *d ? d : KILN_STATE_DIR;
}

int main(int argc, char **argv)
{
	log_set_prefix("kiln-firstboot");
	signal(SIGPIPE, SIG_IGN);   /* a helper exiting early must not kill us mid-write */
	/* libcurl, libxml2 and libarchive (with the locale libarchive needs)
	 * are loaded and initialised when first used: firstboot/lazy_libs.c */
	if (sodium_init() < 0) {
		log_error("library initialisation failed");
		return 1;
	}
	int rc = 2;
	if (argc < 2)
		usage(stderr);
	else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		rc = 0;
	} else if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("kiln-firstboot %s\n", KILN_VERSION);
		rc = 0;
	} else {
		size_t i;
		for (i = 0; i < sizeof commands / sizeof *commands; i++)
			if (!strcmp(argv[1], commands[i].name))
				break;
		if (i < sizeof commands / sizeof *commands)
			rc = commands[i].run(argc - 1, argv + 1);
		else
			log_error("unknown command '%s' (see 'kiln-firstboot --help')", argv[1]);
	}
	curl_global_cleanup();   /* nothing unless a command loaded libcurl */
	return rc;
}
