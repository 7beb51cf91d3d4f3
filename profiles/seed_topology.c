/* Seeds and the profile model; see seed_topology.h. */
#include "profiles/seed_topology.h"
#include "profiles/profile.h"
#include "profiles/secrets_catalog.h"
#include <errno.h>
#include <string.h>

_Static_assert(SEED_TOPOLOGY_MAX == PROFILE_MAX_BYTES, "a seed's topology is a whole profile");

int seed_topology_load(const struct seed *s, struct model *out)
{
	struct diags d = { 0 };
	/* No target names: the agent builds no outputs (kiln checked them). */
	int r = profile_load_buffer("seed-topology", s->topology, s->topology_len, NULL, out, &d);
	diags_free(&d);
	if (r < 0)
		return SEED_E_MALFORMED;
	const struct host *h = model_find_host(out, s->host);
	if (strcmp(out->name, s->deployment) != 0)
		r = SEED_E_MALFORMED;
	else if (!h || strcmp(role_name(h->role), s->role) != 0)
		r = SEED_E_UNKNOWN_HOST;
	if (r < 0) {
		model_free(out);
		memset(out, 0, sizeof *out);
	}
	return r;
}

struct carrier {
	const struct model *m;
	const struct host *h;
};

static bool host_may_carry(const void *ud, const char *secret)
{
	const struct carrier *c = ud;
	return host_needs_secret(c->m, c->h, secret);
}

int seed_build_for_host(const struct model *m, const struct seed_params *p, const uint8_t role_pk[32],
			const struct minisign_key *op, struct buf *out)
{
	const struct host *h = model_find_host(m, p->host);
	if (!h)
		return -ENOENT;
	struct carrier c = { m, h };
	struct seed_params q = *p;
	q.deployment = m->name;
	q.role = h->role;
	q.may_carry = host_may_carry;
	q.may_carry_ud = &c;
	return seed_build(&q, role_pk, op, out);
}
