/* A host's signed, sealed seed (what `kiln seed` writes): the profile text as
 * topology, the public CA/TLS certificates, the secrets that host needs,
 * sealed to its role key, signed by the operator key, with the next serial
 * from the state directory. Shared by `kiln seed`, `kiln build` and
 * `kiln package`. */
#ifndef KILN_HOST_SEED_H
#define KILN_HOST_SEED_H
#include "lib/buf.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* text/tlen: the profile bytes m was parsed from (profile names them in
 * messages). Whether the seed fits where it goes is the caller's check
 * (targets/target.h target_seed_check). Logs its errors; returns 0 or a
 * negative errno. */
struct host_seed_info {
	uint64_t serial;
	size_t n_secrets;
};
int host_seed_build(const char *profile, const struct model *m, const char *text, size_t tlen, const char *state,
		    const char *host, struct buf *out, struct host_seed_info *info);
#endif
