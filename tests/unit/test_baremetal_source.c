/* baremetal/source.c: an image is opened only once its signature verifies
 * with the operator key -- the signed bmap (fast) or the whole image -- and
 * every way it is refused: another key, not kiln's trusted comment, another
 * deployment, a changed bmap or image, no signature, a legacy signature
 * (made by minisign itself), a bmap for another image size, a malformed
 * signed bmap, an image that is not whole MiB, interrupted hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdint.h>
#include "baremetal/source.h"
#include <sys/stat.h>
#include "image_util.h"
#include "mini_image.h"
#include "sign_fixture.h"

#define MiB (1024 * 1024ULL)

static struct mini_dir md;
static char *img, *bmap, *sig;

static int setup(void **state)
{
	(void)state;
	mini_dir_make(&md, 96, "app", 2, 4);
	img = md.img;
	bmap = xasprintf("%s.bmap", img);
	sig = xasprintf("%s.bmap.minisig", img);
	return keys_make();
}

static int teardown(void **state)
{
	(void)state;
	mini_dir_done(&md);
	free(bmap);
	free(sig);
	keys_free();
	return 0;
}

static int each_setup(void **state)
{
	(void)state;
	sign_image(img, true, key, "acme", 5);
	capture_log();
	return 0;
}

static int each_teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	return 0;
}

static int open_src(const char *image, const char *deployment, struct bm_source *s)
{
	struct bm_source_opts o = { .image = image, .pub = &pub, .deployment = deployment };
	return bm_source_open(&o, s);
}

static int try_open(const char *deployment)
{
	struct bm_source s;
	int r = open_src(img, deployment, &s);
	bm_source_close(&s);
	return r;
}

static void blake2b_of(const char *path, uint8_t out[64])
{
	char *d;
	size_t n;
	assert_int_equal(read_file(path, 1u << 30, &d, &n), 0);
	crypto_generichash(out, 64, (const uint8_t *)d, n, NULL, 0);
	free(d);
}

static void test_bmap(void **state)
{
	(void)state;
	struct bm_source s;
	assert_int_equal(open_src(img, "acme", &s), 0);
	assert_true(s.via_bmap);
	assert_string_equal(s.signed_path, bmap);
	assert_string_equal(s.deployment, "acme");
	assert_int_equal(s.version, 5);
	assert_int_equal(s.signed_at, 1700000000);
	assert_int_equal(s.size, 96 * MiB);
	assert_true(s.map.n >= 3);
	assert_non_null(strstr(s.sig_text, "trusted comment: "));
	uint8_t h[64];
	blake2b_of(bmap, h);
	assert_memory_equal(s.prehash, h, 64);
	bm_source_close(&s);
	/* no deployment asked for: the key alone is the anchor */
	assert_int_equal(try_open(NULL), 0);
}

static void test_whole_image(void **state)
{
	(void)state;
	sign_image(img, false, key, "acme", 2);   /* removes IMAGE.bmap */
	struct bm_source s;
	assert_int_equal(open_src(img, "acme", &s), 0);
	assert_false(s.via_bmap);
	assert_int_equal(s.version, 2);
	uint8_t h[64];
	blake2b_of(img, h);
	assert_memory_equal(s.prehash, h, 64);
	/* the ranges it will copy carry the SHA-256 of what was hashed */
	struct bm_map m;
	assert_int_equal(bm_map_scan(s.fd, s.size, BMAP_BLOCK_SIZE, NULL, NULL, &m), 0);
	assert_int_equal(m.n, s.map.n);
	for (size_t i = 0; i < m.n; i++)
		assert_memory_equal(m.v[i].sha256, s.map.v[i].sha256, 32);
	bm_map_free(&m);
	bm_source_close(&s);
	/* one changed byte anywhere, holes included */
	write_at(img, 30 * MiB, "X", 1);
	assert_int_equal(try_open("acme"), -EKEYREJECTED);
	assert_non_null(strstr(last_error, "signature verification failed"));
	write_at(img, 30 * MiB, "\0", 1);
	/* interrupted while hashing */
	volatile sig_atomic_t stop = 1;
	struct bm_source_opts o = { .image = img, .pub = &pub, .watch = { .cancel = &stop } };
	assert_int_equal(bm_source_open(&o, &s), -ECANCELED);
	assert_non_null(strstr(last_error, "nothing was written"));
	bm_source_close(&s);
}

static void test_refusals(void **state)
{
	(void)state;
	sign_image(img, true, other, "acme", 5);
	assert_int_equal(try_open("acme"), -ENOKEY);
	assert_non_null(strstr(last_error, "signed by a different key"));
	sign_image(img, true, key, NULL, 0);
	assert_int_equal(try_open("acme"), -EBADMSG);
	assert_non_null(strstr(last_error, "not a kiln signature"));
	sign_image(img, true, key, "other", 5);
	assert_int_equal(try_open("acme"), -EXDEV);
	assert_non_null(strstr(last_error, "signed for deployment 'other', not 'acme'"));
	/* a bmap changed after signing */
	sign_image(img, true, key, "acme", 5);
	char *text;
	size_t n;
	assert_int_equal(read_file(bmap, BMAP_MAX_BYTES, &text, &n), 0);
	*strstr(text, "<BlockSize> 4096") = ' ';
	assert_int_equal(write_file_atomic(bmap, text, n, 0644), 0);
	free(text);
	assert_int_equal(try_open("acme"), -EKEYREJECTED);
	/* no signature at all */
	unlink(sig);
	assert_int_equal(try_open("acme"), -ENOENT);
	assert_non_null(strstr(last_error, "is not signed"));
	assert_non_null(strstr(last_error, "kiln sign"));
}

static void test_legacy_signature(void **state)
{
	(void)state;
	struct buf kb;
	buf_init(&kb);
	minisign_key_format(key, &kb);
	char *kf = xasprintf("%s/op.key", md.dir);
	assert_int_equal(write_file_atomic(kf, kb.data, kb.len, 0600), 0);
	buf_wipe(&kb);
	int st;
	char *out = run_cmd(&st, "minisign -S -l -s '%s' -m '%s' -x '%s' </dev/null", kf, bmap, sig);
	if (st != 0)
		fail_msg("minisign -S -l: %s", out);
	free(out);
	assert_int_equal(try_open("acme"), -EPROTONOSUPPORT);
	assert_non_null(strstr(last_error, "legacy"));
	free(kf);
}

static void test_bmap_that_does_not_fit(void **state)
{
	(void)state;
	/* a signed bmap that does not parse */
	const char *bad = "<bmap version=\"2.0\"/>";
	assert_int_equal(write_file_atomic(bmap, bad, strlen(bad), 0644), 0);
	sign_buffer(key, bad, strlen(bad), sig, "img.raw.bmap", "acme", 5);
	assert_int_equal(try_open("acme"), -EBADMSG);
	assert_non_null(strstr(last_error, "img.raw.bmap: <ImageSize> is missing"));
	/* a bmap for an image of another size, given by --bmap and --sig */
	sign_image(img, true, key, "acme", 5);
	char *copy = xasprintf("%s/bigger.raw", md.dir);
	int st;
	char *out = run_cmd(&st, "cp --sparse=always '%s' '%s' && truncate -s 98M '%s'", img, copy, copy);
	free(out);
	struct bm_source s;
	struct bm_source_opts o = { .image = copy, .bmap = bmap, .sig = sig, .pub = &pub };
	assert_int_equal(bm_source_open(&o, &s), -EINVAL);
	assert_non_null(strstr(last_error, "describes an image of 100663296 bytes"));
	bm_source_close(&s);
	/* not a whole number of MiB; not a file; not there */
	out = run_cmd(&st, "truncate -s 66000000 '%s'", copy);
	free(out);
	assert_int_equal(bm_source_open(&o, &s), -EINVAL);
	assert_non_null(strstr(last_error, "not a whole number of MiB"));
	bm_source_close(&s);
	o.image = md.dir;
	assert_int_equal(bm_source_open(&o, &s), -EISDIR);
	assert_non_null(strstr(last_error, "is a directory, not a regular file"));
	bm_source_close(&s);
	o.image = "/nonexistent.raw";
	assert_int_equal(bm_source_open(&o, &s), -ENOENT);
	assert_non_null(strstr(last_error, "/nonexistent.raw is missing"));
	bm_source_close(&s);
	/* a FIFO where the image should be: refused at once, not waited on */
	char *fifo = xasprintf("%s/fifo", md.dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	o.image = fifo;
	assert_int_equal(bm_source_open(&o, &s), -EINVAL);
	assert_non_null(strstr(last_error, "is not a regular file (a FIFO"));
	bm_source_close(&s);
	/* and where its signature should be */
	o.image = img;
	o.sig = fifo;
	assert_int_equal(bm_source_open(&o, &s), -EINVAL);
	assert_non_null(strstr(last_error, "signature"));
	bm_source_close(&s);
	free(fifo);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bmap, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_whole_image, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_legacy_signature, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_bmap_that_does_not_fit, each_setup, each_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
