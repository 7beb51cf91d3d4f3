/* firstboot/minio_token.c: the bearer token for MinIO's metrics endpoint,
 * byte for byte what PyJWT (python3-jwt 2.6, an independent implementation)
 * makes for the same claims, and refused for an access key that would bend
 * the claims' JSON. The stand-in checks such tokens as MinIO does
 * (tests/cli/monitoring_minio.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "firstboot/minio_token.h"

static void test_vector(void **state)
{
	(void)state;
	/* /usr/bin/python3 -c 'import jwt; print(jwt.encode({"exp": 1700000000 + 100*365*24*3600, "iss": "prometheus",
	 *   "sub": "METRICSKEY0123456789"}, "metrics-secret-key-0123456789abcdefghijklmnopq", algorithm="HS512"))' */
	static const char want[] =
		"eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQ4NTM2MDAwMDAsImlzcyI6InByb21ldGhldXMiLCJzdWIiOiJNRVRS"
		"SUNTS0VZMDEyMzQ1Njc4OSJ9.gDEc00lXSyGUHSyHl1rQrWeqSsF84ltCgGiQxUA7drrwz5yWDEN0NYYgbFH9OoSFFAuVyI6RmAq-k"
		"N5Zw_HHPw";
	struct buf b;
	buf_init(&b);
	assert_int_equal(minio_token("METRICSKEY0123456789", "metrics-secret-key-0123456789abcdefghijklmnopq", 1700000000, &b), 0);
	assert_string_equal(b.data, want);
	buf_wipe(&b);
	/* another secret, another signature; another time, other claims */
	assert_int_equal(minio_token("METRICSKEY0123456789", "another-secret-key-0123456789abcdefghijklmno", 1700000000, &b), 0);
	assert_true(strncmp(b.data, want, strlen(want)) && !strncmp(b.data, want, strrchr(want, '.') - want));
	buf_wipe(&b);
}

static void test_refused(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(minio_token("", "secret-key-0123456789", 0, &b), -EINVAL);
	assert_int_equal(minio_token("KEY\",\"iss\":\"x", "secret-key-0123456789", 0, &b), -EINVAL);
	assert_int_equal(minio_token("KEY WITH SPACE", "secret-key-0123456789", 0, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_vector), cmocka_unit_test(test_refused) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
