/* kiln sign FILE: a minisign-compatible FILE.minisig made with the
 * deployment's operator key, trusted comment
 *   timestamp:<t>\tfile:<basename>\tdeployment:<name>\tversion:<N>
 * With --bmap also FILE.bmap (bmaptool's block map, a SHA-256 per data
 * range) and its signature FILE.bmap.minisig, which kiln install checks
 * instead of hashing the whole image. */
#include "baremetal/bmap.h"
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void sign_usage(FILE *f)
{
	fprintf(f, "Usage: kiln sign FILE [--state DIR | --profile PROFILE] [--version N] [--bmap]\n\n"
		   "Write FILE.minisig, a minisign signature (prehashed, `minisign -V` checks it)\n"
		   "made with the deployment's operator key. The trusted comment records the time,\n"
		   "file name, deployment and version N (default 0) so installers can refuse downgrades.\n\n"
		   "  --state DIR        the deployment's state directory\n"
		   "  --profile PROFILE  find the state directory from the profile (.kiln/<deployment>/)\n"
		   "  --version N        artifact version recorded in the trusted comment\n"
		   "  --bmap             also write FILE.bmap (bmaptool's format: the data ranges of a\n"
		   "                     disk image, each with its SHA-256) and sign it as\n"
		   "                     FILE.bmap.minisig: kiln install then checks one small signature\n"
		   "                     instead of hashing the whole image\n");
}

/* Sign the prehash of `file` and write <file>.minisig. */
static int sign_write(const struct minisign_key *k, const uint8_t h[MINISIGN_HASH_BYTES], const char *file,
		      const char *deployment, uint64_t version)
{
	char *copy = xstrdup(file), *sigpath = xasprintf("%s.minisig", file);
	char *comment = minisign_kiln_comment((int64_t)time(NULL), basename(copy), deployment, version);
	struct buf out;
	buf_init(&out);
	struct stat in;
	int r = stat(file, &in) == 0 ? output_is_input(sigpath, &in) : 0;
	if (r != 0) {
		if (r > 0)
			log_error("%s is %s itself (or a link to it): refusing to replace the file with its signature",
				  sigpath, file);
		else
			log_error_errno(r, "cannot examine %s", sigpath);
		r = r > 0 ? -EEXIST : r;
	} else if ((r = comment ? minisign_sign_hash(k, h, comment, NULL, &out) : -EINVAL) < 0)
		log_error("cannot sign %s: the file name or deployment holds a tab or control character", file);
	else if ((r = write_file_atomic(sigpath, out.data, out.len, 0644)) < 0)
		log_error_errno(r, "cannot write %s", sigpath);
	else
		fprintf(stderr, "kiln: wrote %s\n", sigpath);
	buf_free(&out);
	free(comment);
	free(sigpath);
	free(copy);
	return r;
}

/* FILE.bmap and its signature. */
static int sign_bmap(const struct minisign_key *k, const char *file, const char *deployment, uint64_t version)
{
	struct buf b;
	buf_init(&b);
	char *path = xasprintf("%s.bmap", file);
	uint8_t h[MINISIGN_HASH_BYTES];
	int r = bm_map_of_file(file, &b);
	if (r < 0)
		log_error_errno(r, "cannot map the data ranges of %s", file);
	else if ((r = write_file_atomic(path, b.data, b.len, 0644)) < 0)
		log_error_errno(r, "cannot write %s", path);
	else {
		fprintf(stderr, "kiln: wrote %s\n", path);
		minisign_hash_buffer(b.data, b.len, h);
		r = sign_write(k, h, path, deployment, version);
	}
	free(path);
	buf_free(&b);
	return r;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "version", required_argument, NULL, 'V' },
		{ "bmap", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_opt = NULL, *profile = NULL;
	uint64_t version = 0;
	bool bmap = false;
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
		case 'B': bmap = true; break;
		case 'h': sign_usage(stdout); return 0;
		default: sign_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || (!state_opt && !profile)) {
		sign_usage(stderr);
		return 2;
	}
	const char *file = argv[optind];
	char *state = NULL, *deployment = NULL;
	struct minisign_key *k = NULL;
	int ret = 1, r;
	if (profile_state_resolve(profile, state_opt, &state, &deployment) < 0 ||
	    keystore_signing_key(state, profile, &deployment, &k) < 0)
		goto done;
	uint8_t h[MINISIGN_HASH_BYTES];
	fprintf(stderr, "kiln: hashing %s\n", file);
	r = minisign_hash_file(file, h);
	if (r < 0) {
		log_error("%s %s", file, input_strerror(r));
		goto done;
	}
	if (sign_write(k, h, file, deployment, version) < 0 ||
	    (bmap && sign_bmap(k, file, deployment, version) < 0))
		goto done;
	ret = 0;
done:
	minisign_key_free(k);
	free(state);
	free(deployment);
	return ret;
}
