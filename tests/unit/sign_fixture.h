/* Signing test images the way kiln sign does (IMAGE.bmap + its .minisig,
 * or IMAGE.minisig), with any key, deployment and version; deployment NULL
 * makes a trusted comment that is not kiln's. For the baremetal tests. */
#ifndef KILN_TEST_SIGN_FIXTURE_H
#define KILN_TEST_SIGN_FIXTURE_H
#include <stdbool.h>
#include <stdint.h>
#include "baremetal/bmap.h"
#include "lib/fileio.h"
#include "lib/minisign.h"
#include "lib/xalloc.h"
#include <sodium.h>

/* The operator key the tests sign with, another operator's, their public
 * halves: keys_make() in a group setup, keys_free() in its teardown. */
static struct minisign_key *key, *other;
static struct minisign_pub pub, other_pub;

static inline int keys_make(void)
{
	if (sodium_init() < 0)
		return -1;
	key = minisign_keygen();
	other = minisign_keygen();
	minisign_key_public(key, &pub);
	minisign_key_public(other, &other_pub);
	return 0;
}

static inline void keys_free(void)
{
	minisign_key_free(key);
	minisign_key_free(other);
}

static inline void sign_buffer(const struct minisign_key *k, const void *data, size_t len,
			       const char *sigpath, const char *name, const char *deployment, uint64_t version)
{
	uint8_t h[64];
	minisign_hash_buffer(data, len, h);
	char *c = deployment ? minisign_kiln_comment(1700000000, name, deployment, version) : xstrdup("no fields");
	struct buf b;
	buf_init(&b);
	assert_int_equal(minisign_sign_hash(k, h, c, NULL, &b), 0);
	assert_int_equal(write_file_atomic(sigpath, b.data, b.len, 0644), 0);
	buf_free(&b);
	free(c);
}

/* IMAGE.bmap + IMAGE.bmap.minisig, or without bmap IMAGE.minisig. */
static inline void sign_image(const char *image, bool bmap, const struct minisign_key *k,
			      const char *deployment, uint64_t version)
{
	char *bp = xasprintf("%s.bmap", image), *sp;
	if (bmap) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(bm_map_of_file(image, &b), 0);
		assert_int_equal(write_file_atomic(bp, b.data, b.len, 0644), 0);
		sp = xasprintf("%s.minisig", bp);
		sign_buffer(k, b.data, b.len, sp, "img.raw.bmap", deployment, version);
		buf_free(&b);
	} else {
		unlink(bp);
		char *data;
		size_t n;
		assert_int_equal(read_file(image, 1ull << 31, &data, &n), 0);
		sp = xasprintf("%s.minisig", image);
		sign_buffer(k, data, n, sp, "img.raw", deployment, version);
		free(data);
	}
	free(sp);
	free(bp);
}

#endif
