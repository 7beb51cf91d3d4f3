/* baremetal/record.c: the install record in a disk's first MiB, its strict
 * parser, and the carried signature proving the version a disk holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "baremetal/record.h"
#include "lib/xalloc.h"
#include "sign_fixture.h"

static int setup(void **state)
{
	(void)state;
	return keys_make();
}

static int teardown(void **state)
{
	(void)state;
	keys_free();
	return 0;
}

/* A signature over hash with kiln's trusted comment (or `comment`). */
static char *sign(const uint8_t hash[64], uint64_t version, const char *comment)
{
	char *c = comment ? xstrdup(comment) : minisign_kiln_comment(1700000000, "acme-app.raw.bmap", "acme", version);
	struct buf b;
	buf_init(&b);
	assert_int_equal(minisign_sign_hash(key, hash, c, NULL, &b), 0);
	free(c);
	return buf_steal(&b);
}

static struct bm_record sample(uint8_t hash[64], char *sig)
{
	struct bm_record r = { .state = BM_RECORD_COMPLETE, .time = 1700000001, .image = "acme-app.raw",
			       .deployment = "acme", .version = 7, .has_carried = sig != NULL, .carried_sig = sig };
	if (sig)
		memcpy(r.carried_hash, hash, 64);
	return r;
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint8_t h[64], *blk = xmalloc(BM_RECORD_SIZE);
	randombytes_buf(h, sizeof h);
	char *sig = sign(h, 7, NULL);
	struct bm_record r = sample(h, sig), back;
	assert_int_equal(bm_record_format(&r, blk), 0);
	assert_memory_equal(blk, "kiln-install-record 1\nstate complete\ntime 1700000001\nimage acme-app.raw\n",
			    strlen("kiln-install-record 1\nstate complete\ntime 1700000001\nimage acme-app.raw\n"));
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &back), 0);
	assert_int_equal(back.state, BM_RECORD_COMPLETE);
	assert_int_equal(back.time, 1700000001);
	assert_string_equal(back.image, "acme-app.raw");
	assert_string_equal(back.deployment, "acme");
	assert_int_equal(back.version, 7);
	assert_true(back.has_carried);
	assert_memory_equal(back.carried_hash, h, 64);
	assert_string_equal(back.carried_sig, sig);

	char *dep;
	uint64_t v;
	int64_t when;
	assert_int_equal(bm_record_carried(&back, &pub, &dep, &v, &when), 0);
	assert_string_equal(dep, "acme");
	assert_int_equal(v, 7);
	assert_int_equal(when, 1700000000);
	free(dep);
	/* another key: not proven */
	assert_int_equal(bm_record_carried(&back, &other_pub, &dep, &v, &when), -ENOKEY);
	/* a changed hash: the signature does not cover it */
	back.carried_hash[3] ^= 1;
	assert_int_equal(bm_record_carried(&back, &pub, &dep, &v, &when), -EKEYREJECTED);
	bm_record_free(&back);

	/* in progress, nothing carried */
	r = sample(h, NULL);
	r.state = BM_RECORD_IN_PROGRESS;
	assert_int_equal(bm_record_format(&r, blk), 0);
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &back), 0);
	assert_int_equal(back.state, BM_RECORD_IN_PROGRESS);
	assert_false(back.has_carried);
	assert_int_equal(bm_record_carried(&back, &pub, &dep, &v, &when), -ENOENT);
	bm_record_free(&back);
	free(sig);
	free(blk);
}

static void test_carried_needs_kiln_comment(void **state)
{
	(void)state;
	uint8_t h[64] = { 1 }, *blk = xmalloc(BM_RECORD_SIZE);
	char *sig = sign(h, 0, "made by minisign");
	struct bm_record r = sample(h, sig), back;
	assert_int_equal(bm_record_format(&r, blk), 0);
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &back), 0);
	char *dep;
	uint64_t v;
	assert_int_equal(bm_record_carried(&back, &pub, &dep, &v, NULL), -EBADMSG);
	bm_record_free(&back);
	free(sig);
	free(blk);
}

static void test_format_refuses(void **state)
{
	(void)state;
	uint8_t h[64] = { 0 }, *blk = xmalloc(BM_RECORD_SIZE);
	struct bm_record r = sample(h, NULL);
	r.image = "two words";
	assert_int_equal(bm_record_format(&r, blk), -EINVAL);
	r.image = "a.raw";
	r.deployment = "ac\nme";
	assert_int_equal(bm_record_format(&r, blk), -EINVAL);
	r.deployment = "";
	assert_int_equal(bm_record_format(&r, blk), -EINVAL);
	r.deployment = "acm\xc3\xa9";   /* shown on a terminal as it is: ASCII only */
	assert_int_equal(bm_record_format(&r, blk), -EINVAL);
	r.deployment = "acme";
	char *big = xmalloc(70000);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	r.has_carried = true;
	r.carried_sig = big;
	assert_int_equal(bm_record_format(&r, blk), -EINVAL);
	free(big);
	free(blk);
}

/* Every damaged form is refused, and the absence of the magic is not damage. */
static void test_parse_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"kiln-install-record 1\n",
		"kiln-install-record 1\nstate done\ntime 1\nimage a\ndeployment d\nversion 1\nend\n",
		"kiln-install-record 1\nstate complete\ntime -1\nimage a\ndeployment d\nversion 1\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a b\ndeployment d\nversion 1\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 99999999999999999999\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 1\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 1\nend\nX",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 1\ncarried-hash 00\ncarried-sig eA==\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 1\ncarried-hash "
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n"
		"carried-sig !!!!\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 1\ncarried-hash "
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n"
		"end\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\nversion 1\ndeployment d\nend\n",
		"kiln-install-record 1\nstate  complete\ntime 1\nimage a\ndeployment d\nversion 1\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage \x1b[2J\ndeployment d\nversion 1\nend\n",
		"kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment \x9b" "2J\nversion 1\nend\n",
	};
	uint8_t *blk = xcalloc(1, BM_RECORD_SIZE);
	struct bm_record r;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(blk, 0, BM_RECORD_SIZE);
		memcpy(blk, bad[i], strlen(bad[i]));
		int e = bm_record_parse(blk, BM_RECORD_SIZE, &r);
		if (e != -EBADMSG)
			fail_msg("case %zu parsed (%d)", i, e);
	}
	memset(blk, 0, BM_RECORD_SIZE);
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &r), -ENOENT);
	memcpy(blk, "kiln-install-record 2\n", 22);
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &r), -ENOENT);
	assert_int_equal(bm_record_parse(blk, 10, &r), -ENOENT);
	/* a NUL in a value (found by fuzz_install_record): not the end of the line */
	memset(blk, 0, BM_RECORD_SIZE);
	const char *cut = "kiln-install-record 1\nstate complete\ntime 1\nimage a\0b\ndeployment d\nversion 1\nend\n";
	memcpy(blk, cut, 80);
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &r), -EBADMSG);
	/* a NUL inside the carried signature */
	memset(blk, 0, BM_RECORD_SIZE);
	const char *nul = "kiln-install-record 1\nstate complete\ntime 1\nimage a\ndeployment d\nversion 1\ncarried-hash "
			  "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n"
			  "carried-sig YQBi\nend\n";
	memcpy(blk, nul, strlen(nul));
	assert_int_equal(bm_record_parse(blk, BM_RECORD_SIZE, &r), -EBADMSG);
	free(blk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_carried_needs_kiln_comment),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_parse_refuses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
