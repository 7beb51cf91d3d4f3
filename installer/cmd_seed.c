/* kiln seed PROFILE --host NAME --out FILE: the host's signed, sealed seed.
 * kiln seed --inspect FILE: its public part and whether the signature holds. */
#include "installer/commands.h"
#include "installer/host_seed.h"
#include "installer/keystore.h"
#include "installer/profile_state.h"
#include "installer/state.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/seed.h"
#include "lib/xalloc.h"
#include "profiles/secrets_catalog.h"
#include "targets/target.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void seed_usage(FILE *f)
{
	fprintf(f, "Usage: kiln seed PROFILE --host NAME --out FILE [--state DIR]\n"
		   "       kiln seed --inspect FILE [--state DIR]\n\n"
		   "Build a host's seed: the profile (public topology), the public CA/TLS\n"
		   "certificates and the secrets that host needs, sealed to its role key and\n"
		   "signed by the operator key, with a new serial (DIR/serial). The seed is one\n"
		   "line of text, safe to share (EC2 user data, OVF property, git).\n\n"
		   "  --host NAME     host of the profile\n"
		   "  --out FILE      where to write the seed (atomically)\n"
		   "  --state DIR     state directory (default <profile dir>/.kiln/<deployment>/)\n"
		   "  --inspect FILE  show a seed's public part and secret names (never values);\n"
		   "                  with --state, check its signature against DIR/operator.pub\n");
}

static int build(const char *profile, const char *host_name, const char *out, const char *state_opt)
{
	struct stat pst;
	int r;
	if (stat(profile, &pst) == 0 && (r = output_is_input(out, &pst)) != 0) {
		if (r > 0)
			log_error("--out %s is the profile %s itself (or a link to it): refusing to replace it", out, profile);
		else
			log_error_errno(r, "cannot examine %s", out);
		return 1;
	}
	/* The same bytes are parsed here and put in the seed, so the host rebuilds this model. */
	struct opened_profile p;
	if (profile_open(profile, &p) < 0)
		return 1;
	struct buf sbuf;
	buf_init(&sbuf);
	char *state = NULL;
	int ret = 1;
	const struct host *h = model_find_host(&p.m, host_name);
	if (!h) {
		log_error("host '%s' is not in %s", host_name, profile);
		goto done;
	}
	state = state_dir_resolve(state_opt, profile, p.m.name);
	struct host_seed_info info;
	if (host_seed_build(profile, &p.m, p.text, p.len, state, host_name, &sbuf, &info) < 0 ||
	    target_seed_check(&p.m, NULL, host_name, sbuf.len) < 0)
		goto done;
	r = write_file_atomic(out, sbuf.data, sbuf.len, 0644);
	if (r < 0) {
		log_error_errno(r, "cannot write %s", out);
		goto done;
	}
	fprintf(stderr, "kiln: seed for %s (%s, serial %" PRIu64 ", %zu secret%s) written to %s, %zu bytes\n",
		host_name, role_name(h->role), info.serial, info.n_secrets, info.n_secrets == 1 ? "" : "s", out,
		sbuf.len);
	ret = 0;
done:
	buf_free(&sbuf);
	profile_close(&p);
	free(state);
	return ret;
}

static int inspect(const char *file, const char *state)
{
	char *text;
	size_t len;
	int r = read_file(file, SEED_MAX_BYTES, &text, &len);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", file), 1;
	struct minisign_pub pub;
	bool check = state != NULL;
	if (check && keystore_load_operator_pub(state, &pub) < 0) {
		free(text);
		return 1;
	}
	struct seed s;
	int sig = 0;
	r = seed_inspect(text, len, check ? &pub : NULL, &s, &sig);
	free(text);
	if (r < 0) {
		log_error("%s: %s", file, seed_strerror(r));
		return 1;
	}
	char id[17], when[64];
	time_t t = (time_t)s.created;
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	minisign_keyid(s.keynum, id);
	printf("format: %u\ndeployment: %s\nhost: %s\nrole: %s\nserial: %" PRIu64 "\ncreated: %s\n",
	       s.version, s.deployment, s.host, s.role, s.serial, when);
	printf("topology: %zu bytes of profile YAML\n", s.topology_len);
	for (size_t i = 0; i < s.n_files; i++)
		printf("file: %s (%zu bytes)\n", s.files[i].name, s.files[i].len);
	printf("secrets (sealed, values not shown):");
	for (size_t i = 0; i < s.n_secret_names; i++)
		printf(" %s", s.secret_names[i]);
	printf("\nsigned by: %s\ntrusted comment: %s\n", id, s.trusted_comment);
	int ret = 0;
	if (!check)
		printf("signature: not checked (give --state DIR to check it)\n");
	else if (sig == 0)
		printf("signature: verified with %s/operator.pub\n", state);
	else {
		printf("signature: NOT VALID (%s)\n", seed_strerror(sig));
		log_error("%s: %s", file, seed_strerror(sig));
		ret = 1;
	}
	seed_free(&s);
	return ret;
}

int cmd_seed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "inspect", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL, *out = NULL, *state = NULL, *insp = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'o': out = optarg; break;
		case 's': state = optarg; break;
		case 'i': insp = optarg; break;
		case 'h': seed_usage(stdout); return 0;
		default: seed_usage(stderr); return 2;
		}
	}
	if (insp) {
		if (optind != argc || host || out) {
			seed_usage(stderr);
			return 2;
		}
		return inspect(insp, state);
	}
	if (argc - optind != 1 || !host || !out) {
		seed_usage(stderr);
		return 2;
	}
	return build(argv[optind], host, out, state);
}
