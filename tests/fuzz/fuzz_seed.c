/* libFuzzer: seed_open and seed_inspect on arbitrary bytes, with a fixed
 * operator key and app role key (so corpus seeds made with them reach the
 * unseal and topology paths). Build with -DMAKE_CORPUS and a main() is
 * compiled instead that prints a valid seed for tests/fuzz/corpus/seed/:
 *   clang -DMAKE_CORPUS -I. tests/fuzz/fuzz_seed.c <lib sources> $(LIBS) */
#include "lib/seed.h"
#include "profiles/seed_topology.h"
#include "tests/unit/seed_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct minisign_key *op;
static struct minisign_pub op_pub;
static struct role_keypair *role;

static void fixed_keys(void)
{
	if (op)
		return;
	op = seed_fx_operator_key(1, &op_pub);
	role = seed_fx_role_key(2);
}

#ifdef MAKE_CORPUS
static const char topo[] = SEED_FX_TOPO_HEAD SEED_FX_TOPO_APP_ROLE;

int main(void)
{
	fixed_keys();
	struct model m;
	if (seed_fx_model("t", topo, &m) < 0)
		return 1;
	struct seed_secret s[] = { { "mysql_app_password", "pw", 2 } };
	struct seed_file f[] = { { "ca.pem", (uint8_t *)"CA", 2 } };
	struct seed_params p = { .topology = topo, .topology_len = strlen(topo), .host = "app1",
				 .serial = 1, .created = 1700000000, .files = f, .n_files = 1 };
	(void)s;
	struct buf b;
	buf_init(&b);
	if (seed_build_for_host(&m, &p, role->pk, op, &b) < 0)
		return 1;
	fwrite(b.data, 1, b.len, stdout);
	return 0;
}
#else
/* An opened seed's topology through the profile loader, as the agent does. */
static void open_and_load(const char *data, size_t size, const char *deployment)
{
	struct seed s;
	struct model m;
	if (seed_open(data, size, &op_pub, role, deployment, 0, &s) != 0)
		return;
	if (seed_topology_load(&s, &m) == 0)
		model_free(&m);
	seed_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fixed_keys();
	struct seed s;
	int sig;
	open_and_load((const char *)data, size, "demo");
	if (seed_inspect((const char *)data, size, &op_pub, &s, &sig) != 0)
		return 0;
	/* Structurally valid: re-sign the (mutated) body with the fixed key so the
	 * unseal, plaintext and topology-parser paths are reached too. */
	const char *sigf = memmem(data, size, ";sig=", 5);
	struct buf body;
	buf_init(&body);
	if (sigf) {
		buf_append(&body, data, (size_t)(sigf - (const char *)data) + 1);
		if (seed_sign_body(op, s.deployment, s.host, s.serial, &body) == 0)
			open_and_load(body.data, body.len, s.deployment);
	}
	buf_free(&body);
	seed_free(&s);
	return 0;
}
#endif
