/* firstboot/s3.c against scripted answers (tests/fuzz/fake_curl.h stands in
 * for libcurl, as in fuzz_s3). Found by fuzz_s3: the <Code> of an error body
 * was copied into the failure reason as it came, control characters and all,
 * and that reason is printed on the console and in /etc/issue. */
#include "tests/fuzz/fake_curl.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include "firstboot/s3.h"

static const struct s3_conn conn = { .endpoint = "http://192.0.2.10:9000", .access_key = "AK", .secret_key = "SK",
				     .timeout_ms = 1 };

static void answer(long code, const char *body)
{
	fake_q[0] = (struct fake_response){ code, NULL, 0, body, strlen(body) };
	fake_n = 1;
	fake_next = 0;
}

static void test_outcomes(void **state)
{
	(void)state;
	char why[300] = "";
	bool en = false;
	answer(200, "");
	assert_int_equal(s3_head_bucket(&conn, "data", why, sizeof why), 0);
	answer(409, "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>");
	assert_int_equal(s3_create_bucket(&conn, "data", why, sizeof why), 0);
	answer(200, "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
	assert_int_equal(s3_get_versioning(&conn, "data", &en, why, sizeof why), 0);
	assert_true(en);
	answer(403, "<Error><Code>AccessDenied</Code></Error>");
	assert_int_equal(s3_create_bucket(&conn, "data", why, sizeof why), -EACCES);
	assert_string_equal(why, "HTTP 403 AccessDenied");
	answer(404, "");
	assert_int_equal(s3_head_bucket(&conn, "data", why, sizeof why), -ENOENT);
	assert_string_equal(why, "HTTP 404");
}

static void test_reason_is_printable(void **state)
{
	(void)state;
	char why[300];
	answer(500, "<Error><Code>Internal\x1b[2J\r\nError\xc3\xa9</Code></Error>");
	assert_int_equal(s3_set_versioning(&conn, "data", true, why, sizeof why), -EPROTO);
	assert_string_equal(why, "HTTP 500 Internal?[2J??Error??");
	char longcode[200];
	snprintf(longcode, sizeof longcode, "<Code>%0100d</Code>", 0);
	answer(400, longcode);
	assert_int_equal(s3_head_bucket(&conn, "data", why, sizeof why), -EPROTO);
	assert_string_equal(why, "HTTP 400");   /* a 100-character code is not quoted at all */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_reason_is_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
