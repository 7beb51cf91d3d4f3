/* What the seed unit tests and the seed fuzzer (tests/fuzz/fuzz_seed.c)
 * share: the topology of a small deployment "demo", loading a topology into
 * a model, and operator and role keys that are the same on every run (the
 * fuzzer's corpus seed was signed with operator key 1 and sealed to role
 * key 2, so these must not change). */
#ifndef KILN_TEST_SEED_FIXTURE_H
#define KILN_TEST_SEED_FIXTURE_H
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/minisign.h"
#include "lib/rolekey.h"
#include "profiles/profile.h"

/* The deployment up to its first host, app1; more hosts may follow. */
#define SEED_FX_TOPO_HEAD                                                    \
	"kiln: 1\n"                                                          \
	"deployment: {name: demo, domain: demo.internal}\n"                  \
	"subnets:\n"                                                         \
	"  - {name: lan, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n"            \
	"hosts:\n"                                                           \
	"  - {name: app1, role: app, subnet: lan, address: 10.0.0.10}\n"
/* The app role, after the hosts. */
#define SEED_FX_TOPO_APP_ROLE                                                \
	"roles:\n"                                                           \
	"  app:\n"                                                           \
	"    service: {type: systemd, exec: /bin/true, port: 8000}\n"

/* Parses a topology into m; on failure prints why and returns < 0. */
static inline int seed_fx_model(const char *name, const char *text, struct model *m)
{
	struct diags d = { 0 };
	int r = profile_load_buffer(name, text, strlen(text), NULL, m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	return r;
}

/* An operator key made from 32 bytes of `fill` (key id "kilnfuzz"), and
 * its public half in *pub. Free with minisign_key_free. */
static inline struct minisign_key *seed_fx_operator_key(uint8_t fill, struct minisign_pub *pub)
{
	uint8_t seed[32], pk[32];
	if (sodium_init() < 0)
		abort();
	memset(seed, fill, sizeof seed);
	struct minisign_key *k = sodium_malloc(sizeof *k);
	if (!k)
		abort();
	memcpy(k->keynum, "kilnfuzz", 8);
	crypto_sign_seed_keypair(pk, k->sk, seed);
	minisign_key_public(k, pub);
	return k;
}

/* A role key pair made from 32 bytes of `fill`. Free with role_keypair_free. */
static inline struct role_keypair *seed_fx_role_key(uint8_t fill)
{
	uint8_t seed[32];
	if (sodium_init() < 0)
		abort();
	memset(seed, fill, sizeof seed);
	struct role_keypair *k = sodium_malloc(sizeof *k);
	if (!k)
		abort();
	crypto_box_seed_keypair(k->pk, k->sk, seed);
	return k;
}
#endif
