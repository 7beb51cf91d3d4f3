/* libFuzzer: every minisign-format parser (public key, secret key, signature),
 * the role key parsers and the kiln trusted-comment parser, plus
 * verification of whatever signature parses against a fixed key. */
#include "lib/minisign.h"
#include "lib/rolekey.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct minisign_pub fixed;
	static int init;
	if (!init) {
		if (sodium_init() < 0)
			abort();
		uint8_t seed[32], sk[64];
		memset(seed, 1, sizeof seed);
		crypto_sign_seed_keypair(fixed.pk, sk, seed);
		memcpy(fixed.keynum, "kilnfuzz", 8);
		init = 1;
	}
	const char *t = (const char *)data;
	struct minisign_pub p;
	struct minisign_key *k;
	struct minisign_sig s;
	struct role_keypair *rk;
	uint8_t pk[32];
	minisign_pub_parse(t, size, &p);
	if (minisign_key_parse(t, size, &k) == 0)
		minisign_key_free(k);
	if (minisign_sig_parse(t, size, &s) == 0) {
		minisign_verify_buffer(&fixed, &s, data, size);
		char *dep;
		uint64_t v;
		if (minisign_kiln_comment_parse(s.trusted_comment, &dep, &v, NULL) == 0)
			free(dep);
	}
	minisign_sig_free(&s);
	role_pub_parse(t, size, pk);
	if (role_key_parse(t, size, &rk) == 0)
		role_keypair_free(rk);
	return 0;
}
