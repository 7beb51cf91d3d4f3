/* What `kiln build` and `kiln package` share on the command line side of
 * the build pipeline (targets/build.h): the seed maker they hand it (this
 * deployment's key store, installer/host_seed.h) and the checks of the
 * packaging options against the chosen targets. */
#ifndef KILN_BUILD_CLI_H
#define KILN_BUILD_CLI_H
#include "targets/build.h"
#include <stdio.h>

/* build_request.make_seed / .seed_ud: host_seed_build for the profile. */
struct cli_seeds {
	const char *profile;           /* path, for messages */
	const struct model *m;
	const char *text;              /* the bytes m was parsed from: the seed's topology */
	size_t tlen;
	const char *state;
};
int cli_make_seed(void *ud, const struct host *h, struct buf *out);
/* build_request.prepare_state (kiln build): what `kiln keys init` and
 * `kiln secrets init` make, made when missing (installer/state_init.h) and
 * each unit made named on stderr; a broken unit stops the build with its
 * repair. */
int cli_prepare_state(void *ud, const bool want[ROLE__COUNT]);
/* build_request.check_keys: keystore_check_keys for the profile's state. */
int cli_check_keys(void *ud, const bool want[ROLE__COUNT]);

/* build_request.media->sign: the operator key of the state directory (read
 * once, on first use), kiln's trusted comment (as kiln sign writes it). */
struct cli_signer {
	const char *state, *profile;
	const char *deployment;        /* the profile's */
	int64_t timestamp;             /* the trusted comment's (SOURCE_DATE_EPOCH); <0: now */
	struct minisign_key *key;
};
int cli_sign(void *ud, const char *name, const void *data, size_t len, uint64_t version, struct buf *sig);
void cli_signer_free(struct cli_signer *s);

/* The targets `keep` accepts (NULL: all), a line each ("  NAME  summary"),
 * then what their seeds need, for --help. */
void cli_print_targets(FILE *f, bool (*keep)(const struct kiln_target *t));

/* The targets named by names[0..n) (each known to target_find), in the
 * registry's order, NULL-terminated (malloc'd). */
const struct kiln_target **cli_targets(const char *const *names, size_t n);

/* kiln_build, then every path it wrote on stdout, one a line (also after a
 * failure: what exists is reported). The exit code: 0 or 1. */
int cli_run(const struct build_request *req);

/* --sign-key and --sign-cert go together, and only with a target that signs
 * (logs; -EINVAL: a usage error). */
int cli_check_signing(const struct package_opts *po, const struct kiln_target *const *targets);
#endif
