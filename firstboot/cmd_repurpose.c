/* kiln-firstboot repurpose --host NAME: the one deliberate way to make this
 * host another host of its deployment. At its first seed the host pinned
 * who it is (firstboot/pin.h) and it refuses seeds for any other host; this
 * re-pins it to NAME, so that NAME's next seed is accepted. That seed must
 * still be newer than the last one applied here (a fresh `kiln seed`), and
 * being newer it owes every step: the host is configured as NAME in full. */
#include "firstboot/commands.h"
#include "firstboot/pin.h"
#include "lib/appliance.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/names.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fb_cmd_repurpose(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *host = NULL, *root = "";
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'r': root = strcmp(optarg, "/") ? optarg : ""; break;
		case 'h':
			printf("Usage: kiln-firstboot repurpose --host NAME [--root DIR]\n\n"
			       "Make this host become host NAME of its deployment. A host keeps who it is\n"
			       "from its first seed (/var/lib/kiln/identity) and refuses a seed for any\n"
			       "other host; after this it accepts NAME's seed instead (and no longer its\n"
			       "own). Then give it a fresh seed for NAME (kiln seed PROFILE --host NAME,\n"
			       "newer than the last seed applied here) and reboot or run\n"
			       "'kiln-firstboot run': every step is applied again as NAME. Data on the\n"
			       "data disk is kept. --root DIR acts on DIR/var/lib/kiln (tests).\n");
			return 0;
		default:
			return 2;
		}
	}
	const char *bad = host ? name_check_simple(host, PIN_NAME_MAX) : "is required";
	if (bad || optind != argc) {
		log_error("usage: kiln-firstboot repurpose --host NAME: %s", bad ? bad : "no other arguments");
		return 2;
	}
	char *path = xasprintf("%s/var/lib/kiln/" PIN_FILE, root);
	struct pin pin;
	int r = pin_load(path, &pin), rc = 1;
	if (r == -ENOENT)
		log_error("this host has not applied a seed yet, so it is nobody yet: its first seed decides "
			  "which host it is (nothing to re-purpose)");
	else if (r < 0)
		log_error(KILN_STATE_DIR "/" PIN_FILE " %s", r == -EBADMSG ? "is corrupt" : input_strerror(r));
	else if (!strcmp(pin.host, host)) {
		fprintf(stderr, "kiln-firstboot: this host already is %s of deployment %s\n", pin.host, pin.deployment);
		rc = 0;
	} else {
		char old[sizeof pin.host];
		memcpy(old, pin.host, sizeof old);
		if ((r = pin_set(&pin, pin.deployment, host)) == 0)
			r = pin_save(path, &pin);
		if (r < 0)
			log_error_errno(r, "writing %s", path);
		else {
			fprintf(stderr, "kiln-firstboot: this host was %s and will become %s of deployment %s at its "
					"next seed: give it a fresh seed for %s, then reboot or run 'kiln-firstboot run'\n",
				old, host, pin.deployment, host);
			rc = 0;
		}
	}
	free(path);
	return rc;
}
