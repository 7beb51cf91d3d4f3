/* kiln keys init PROFILE: the operator's minisign key and one X25519 key per
 * role the profile uses, in the deployment's private state directory; all
 * written in one transaction under the state lock (installer/state_init.h,
 * installer/keys_init.c). */
#include "installer/commands.h"
#include "installer/profile_state.h"
#include "installer/state_init.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void keys_usage(FILE *f)
{
	fprintf(f, "Usage: kiln keys init PROFILE [--state DIR] [--force | --repair]\n\n"
		   "Create the deployment's operator signing key (minisign format) and one X25519\n"
		   "key per role the profile uses, in the state directory (default\n"
		   "<profile dir>/.kiln/<deployment>/, mode 0700; secret keys 0600).\n"
		   "Existing keys are kept; keys missing for newly used roles are added. A broken\n"
		   "pair (a half missing, halves that do not match) is refused until --repair.\n\n"
		   "  --state DIR   state directory\n"
		   "  --force       replace existing keys (images and seeds made with the old\n"
		   "                keys stop working)\n"
		   "  --repair      mend broken pairs: a public half is written again from its\n"
		   "                secret key; a pair whose secret key is lost or unreadable is\n"
		   "                replaced (rebuild that role's image and seeds)\n");
}

static int keys_init(const char *profile, const char *state_opt, bool force, bool repair)
{
	struct model m;
	if (profile_load_reported(profile, &m) < 0)
		return 1;
	_cleanup_free_ char *state = state_dir_resolve(state_opt, profile, m.name);
	struct state_init s = { .profile = profile, .state = state, .m = &m, .what = STATE_INIT_KEYS,
				.force = force, .repair = repair };
	int r = state_init_run(&s), ret = 1;
	if (r == 0 && !s.changed) {
		if (repair) {
			fwrite(s.out.data, 1, s.out.len, stdout);
			printf("nothing to repair in %s\n", state);
			ret = 0;
		} else
			log_error("keys already exist in %s; refusing to overwrite them (--force replaces them)", state);
	} else if (r == 0) {
		fwrite(s.out.data, 1, s.out.len, stdout);
		ret = 0;
	}
	buf_free(&s.out);
	model_free(&m);
	return ret;
}
int cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	bool force = false, repair = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'f': force = true; break;
		case 'r': repair = true; break;
		case 'h': keys_usage(stdout); return 0;
		default: keys_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "init") != 0 || (force && repair)) {
		keys_usage(stderr);
		return 2;
	}
	return keys_init(argv[optind + 1], state, force, repair);
}
