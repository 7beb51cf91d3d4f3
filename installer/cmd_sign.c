/* kiln sign FILE: a minisign-compatible FILE.minisig made with the
 * deployment's operator key, trusted comment
 *   timestamp:<t>\tfile:<basename>\tdeployment:<name>\tversion:<N>  */
#include "installer/commands.h"
#include "installer/keystore.h"
#include "installer/profile_state.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/minisign.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sign_usage(FILE *f)
{
	fprintf(f, "Usage: kiln sign FILE [--state DIR | --profile PROFILE] [--version N]\n\n"
		   "Write FILE.minisig, a minisign signature (prehashed, `minisign -V` checks it)\n"
		   "made with the deployment's operator key. The trusted comment records the time,\n"
		   "file name, deployment and version N (default 0) so installers can refuse downgrades.\n\n"
		   "  --state DIR        the deployment's state directory\n"
		   "  --profile PROFILE  find the state directory from the profile (.kiln/<deployment>/)\n"
		   "  --version N        artifact version recorded in the trusted comment\n");
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "version", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_opt = NULL, *profile = NULL;
	uint64_t version = 0;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state_opt = optarg; break;
		case 'p': profile = optarg; break;
		case 'V':
			if (option_u64("--version", optarg, 0, UINT64_MAX, &version) < 0)
				return 2;
			break;
		case 'h': sign_usage(stdout); return 0;
		default: sign_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || (!state_opt && !profile)) {
		sign_usage(stderr);
		return 2;
	}
	const char *file = argv[optind];
	char *state = NULL, *deployment = NULL, *sigpath = NULL, *comment = NULL, *copy = NULL;
	struct minisign_key *k = NULL;
	struct buf out;
	buf_init(&out);
	int ret = 1, r;
	if (profile_state_resolve(profile, state_opt, &state, &deployment) < 0 ||
	    keystore_check_dir(state) < 0 || keystore_load_operator_key(state, &k) < 0)
		goto done;
	if (!deployment && keystore_deployment(state, &deployment) < 0)
		goto done;
	sigpath = xasprintf("%s.minisig", file);
	struct stat in;
	if (stat(file, &in) == 0 && (r = output_is_input(sigpath, &in)) != 0) {
		if (r > 0)
			log_error("%s is %s itself (or a link to it): refusing to replace the file with its signature",
				  sigpath, file);
		else
			log_error_errno(r, "cannot examine %s", sigpath);
		goto done;
	}
	uint8_t h[MINISIGN_HASH_BYTES];
	fprintf(stderr, "kiln: hashing %s\n", file);
	r = minisign_hash_file(file, h);
	if (r < 0) {
		log_error("%s %s", file, input_strerror(r));
		goto done;
	}
	copy = xstrdup(file);
	comment = minisign_kiln_comment((int64_t)time(NULL), basename(copy), deployment, version);
	r = comment ? minisign_sign_hash(k, h, comment, NULL, &out) : -EINVAL;
	if (r < 0) {
		log_error("cannot sign %s: the file name or deployment holds a tab or control character", file);
		goto done;
	}
	r = write_file_atomic(sigpath, out.data, out.len, 0644);
	if (r < 0) {
		log_error_errno(r, "cannot write %s", sigpath);
		goto done;
	}
	fprintf(stderr, "kiln: wrote %s\n", sigpath);
	ret = 0;
done:
	minisign_key_free(k);
	buf_free(&out);
	free(state);
	free(deployment);
	free(sigpath);
	free(comment);
	free(copy);
	return ret;
}
