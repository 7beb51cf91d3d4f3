/* A seed's topology is a profile: lib/seed.c verifies and opens a seed
 * without knowing profiles, and these put the profile model back in.
 * seed_topology_load rebuilds the deployment a seed describes (the agent
 * does after seed_open); seed_build_for_host builds a host's seed from the
 * operator's model, refusing a host the model lacks and a secret the host
 * must not get. Neither logs. */
#ifndef KILN_SEED_TOPOLOGY_H
#define KILN_SEED_TOPOLOGY_H
#include "lib/seed.h"
#include "profiles/model.h"

/* s: a seed seed_open accepted. Parses its topology into *out (model_free
 * it) and checks that the seed's host is in it with the seed's role.
 * Returns 0; SEED_E_MALFORMED when the topology is no valid profile or names
 * another deployment; SEED_E_UNKNOWN_HOST when the host is missing or has
 * another role. *out is empty on failure. */
int seed_topology_load(const struct seed *s, struct model *out);

/* seed_build for the host p->host of m: the deployment and role come from m
 * (p->deployment and p->role are ignored), and every secret is checked with
 * host_needs_secret. -ENOENT when m has no such host, -EPERM for a secret
 * the host must not get, else as seed_build. */
int seed_build_for_host(const struct model *m, const struct seed_params *p, const uint8_t role_pk[32],
			const struct minisign_key *op, struct buf *out);
#endif
