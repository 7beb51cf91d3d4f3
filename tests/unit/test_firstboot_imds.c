/* firstboot/imds.c against scripted answers (tests/fuzz/fake_curl.h stands
 * in for libcurl, as in fuzz_imds). Found by fuzz_imds: a session token
 * holding a line break was sent back in the X-aws-ec2-metadata-token
 * header, where it would have become more headers. */
#include "tests/fuzz/fake_curl.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include "firstboot/imds.h"
#include "lib/log.h"

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static void answers(const struct fake_response *r, size_t n)
{
	memcpy(fake_q, r, n * sizeof *r);
	fake_n = n;
	fake_next = 0;
}

static int fetch(struct buf *out)
{
	struct imds_opts o = { .base_url = "http://169.254.169.254", .deadline_ms = 1, .request_timeout_ms = 1 };
	struct imds *m;
	int r = imds_open(&m, &o);
	if (r < 0)
		return r;
	r = imds_get(m, "user-data", out);
	imds_close(m);
	return r;
}

static void test_user_data(void **state)
{
	(void)state;
	struct buf out;
	buf_init(&out);
	const struct fake_response ok[] = { { 200, NULL, 0, "AQAEAFUx==", 10 }, { 200, NULL, 0, "seed", 4 } };
	answers(ok, 2);
	assert_int_equal(fetch(&out), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "seed", 4);
	buf_free(&out);
	/* An expired token (401) is renewed once. */
	const struct fake_response renew[] = { { 200, NULL, 0, "tok1", 4 }, { 401, NULL, 0, "", 0 },
					       { 200, NULL, 0, "tok2", 4 }, { 200, NULL, 0, "seed", 4 } };
	answers(renew, 4);
	buf_init(&out);
	assert_int_equal(fetch(&out), 0);
	assert_int_equal(fake_next, 4);
	buf_free(&out);
	const struct fake_response none[] = { { 200, NULL, 0, "tok", 3 }, { 404, NULL, 0, "", 0 } };
	answers(none, 2);
	buf_init(&out);
	assert_int_equal(fetch(&out), -ENOENT);
	buf_free(&out);
}

static void test_token_must_be_one_header_value(void **state)
{
	(void)state;
	log_set_sink(quiet, NULL);
	static const char *const bad[] = { "tok\r\nX-Injected: 1", "tok\n", "two words", "", "caf\xc3\xa9" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct fake_response r[] = { { 200, NULL, 0, bad[i], strlen(bad[i]) }, { 200, NULL, 0, "seed", 4 } };
		answers(r, 2);
		struct buf out;
		buf_init(&out);
		assert_int_equal(fetch(&out), -EPROTO);   /* fake_curl aborts if the token reaches a header */
		assert_int_equal(fake_next, 1);           /* nothing asked with it */
		buf_free(&out);
	}
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_data),
		cmocka_unit_test(test_token_must_be_one_header_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
