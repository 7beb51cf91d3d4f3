/* kiln verify FILE: check FILE.minisig (a kiln or minisign signature). */
#include "installer/commands.h"
#include "installer/keystore.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/minisign.h"
#include "lib/xalloc.h"
#include <getopt.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LEGACY_MAX (256u << 20)

static void verify_usage(FILE *f)
{
	fprintf(f, "Usage: kiln verify FILE (--pubkey PUBKEY | --state DIR) [--sig SIGFILE]\n\n"
		   "Check a minisign signature (default FILE.minisig) against a minisign public key\n"
		   "(or the deployment's operator.pub) and print the verified trusted comment.\n\n"
		   "  --pubkey PUBKEY   minisign public key file\n"
		   "  --state DIR       use DIR/operator.pub\n"
		   "  --sig SIGFILE     signature file\n");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "sig", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pubkey = NULL, *state = NULL, *sigfile = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pubkey = optarg; break;
		case 's': state = optarg; break;
		case 'x': sigfile = optarg; break;
		case 'h': verify_usage(stdout); return 0;
		default: verify_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || (!pubkey && !state)) {
		verify_usage(stderr);
		return 2;
	}
	const char *file = argv[optind];
	char *sp = sigfile ? xstrdup(sigfile) : xasprintf("%s.minisig", file), *text = NULL;
	struct minisign_pub pub;
	struct minisign_sig sig = { 0 };
	size_t n;
	int ret = 1, r;
	r = pubkey ? keystore_load_pub_file(pubkey, &pub) : keystore_load_operator_pub(state, &pub);
	if (r < 0)
		goto done;
	r = read_file(sp, 16384, &text, &n);
	if (r < 0) {
		log_error("signature %s %s", sp, input_strerror(r));
		goto done;
	}
	r = minisign_sig_parse(text, n, &sig);
	if (r < 0) {
		log_error("%s: %s", sp, minisign_strerror(r));
		goto done;
	}
	if (sig.alg[1] == 'd') {
		/* legacy `Ed` (minisign -l): signs the whole file, not a hash */
		char *data;
		size_t dl;
		r = read_file(file, LEGACY_MAX, &data, &dl);
		if (r == 0) {
			r = minisign_verify_buffer(&pub, &sig, data, dl);
			free(data);
		}
	} else {
		r = minisign_verify_file(&pub, &sig, file);
	}
	if (r < 0) {
		if (r == -ENOENT || r == -EACCES || r == -EISDIR || r == -EINVAL)
			log_error("%s %s", file, input_strerror(r));
		else
			log_error("%s: %s", file, minisign_strerror(r));
		goto done;
	}
	printf("Signature and comment signature verified\nTrusted comment: %s\n", sig.trusted_comment);
	ret = 0;
done:
	minisign_sig_free(&sig);
	free(text);
	free(sp);
	return ret;
}
