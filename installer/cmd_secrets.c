/* kiln secrets init PROFILE: every secret the deployment has, one per file
 * in <state>/secrets/ (0600), generated once and kept afterwards; plus the
 * deployment's TLS CA and the app server certificate. All checked (content,
 * CA/certificate/key consistency, validity), made or --repair'ed in one
 * transaction under the state lock (installer/state_init.h,
 * installer/secrets_init.c). Values are never printed: only names and
 * "generated"/"kept"/"copied"/"repaired". */
#include "installer/commands.h"
#include "installer/profile_state.h"
#include "installer/state_init.h"
#include "lib/cleanup.h"
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void secrets_usage(FILE *f)
{
	fprintf(f, "Usage: kiln secrets init PROFILE [--state DIR] [--repair]\n\n"
		   "Generate every secret the deployment needs into DIR/secrets/NAME (0600), keeping\n"
		   "the ones that exist. For the app's TLS key it creates a deployment CA (ca.pem,\n"
		   "ca.key) and the server certificate tls_cert.pem, unless roles.app.tls names\n"
		   "operator-supplied cert/key files. Prints names only, never values. A secret\n"
		   "or CA/certificate set that is partial, inconsistent, expired or of bad content\n"
		   "is refused until --repair.\n\n"
		   "  --state DIR   state directory (default <profile dir>/.kiln/<deployment>/)\n"
		   "  --repair      replace what is broken: a bad secret gets a new value, a broken\n"
		   "                app certificate a new one from the CA, a broken CA a new CA and\n"
		   "                certificate (hosts take the new values with their next seed)\n");
}

static int secrets_init(const char *profile, const char *state_opt, bool repair)
{
	struct model m;
	if (profile_load_reported(profile, &m) < 0)
		return 1;
	_cleanup_free_ char *state = state_dir_resolve(state_opt, profile, m.name);
	struct state_init s = { .profile = profile, .state = state, .m = &m, .what = STATE_INIT_SECRETS,
				.repair = repair };
	int ret = state_init_run(&s) == 0 ? 0 : 1;
	if (ret == 0)
		fwrite(s.out.data, 1, s.out.len, stdout);
	buf_free(&s.out);
	model_free(&m);
	return ret;
}

int cmd_secrets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	bool repair = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'r': repair = true; break;
		case 'h': secrets_usage(stdout); return 0;
		default: secrets_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "init") != 0) {
		secrets_usage(stderr);
		return 2;
	}
	return secrets_init(argv[optind + 1], state, repair);
}
