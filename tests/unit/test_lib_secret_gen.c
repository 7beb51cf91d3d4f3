/* lib/secret_gen.c: value formats, and the content check of stored values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "lib/secret_gen.h"

static void test_password_and_access_key(void **state)
{
	(void)state;
	char *a = secret_gen_password(), *b = secret_gen_password(), *k = secret_gen_access_key();
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(k), 20);
	assert_int_equal(strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 20);
	/* what kiln generates passes its own check */
	assert_null(secret_password_problem(a, strlen(a)));
	assert_null(secret_access_key_problem(k, strlen(k)));
	/* ... and each kind's check is its own: a password is no access key */
	assert_non_null(secret_access_key_problem(a, strlen(a)));
	secret_value_free(a);
	secret_value_free(b);
	secret_value_free(k);
}

static const char *pw(const char *v) { return secret_password_problem(v, strlen(v)); }
static const char *ak(const char *v) { return secret_access_key_problem(v, strlen(v)); }
static const char *ext(const char *v) { return secret_external_problem(v, strlen(v)); }

/* An external S3 provider's keys: printable ASCII, 3-256, no space or newline. */
static void test_external(void **state)
{
	(void)state;
	assert_null(ext("AKIAIOSFODNN7EXAMPLE"));
	assert_null(ext("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
	assert_null(ext("K0039a8c1b2d3e4f5a6b7c8d9e0f1+/="));
	assert_string_equal(ext(""), "it is empty");
	assert_non_null(ext("ab"));
	assert_non_null(ext("AKIA EXAMPLE"));
	assert_non_null(ext("AKIAEXAMPLE\n"));
	assert_non_null(ext("AKIA\x01EXAMPLE"));
	assert_non_null(ext("AKIA\xc3\xa9XAMPLE"));
	char big[258];
	memset(big, 'a', 257);
	big[257] = '\0';
	assert_non_null(ext(big));
	big[256] = '\0';
	assert_null(ext(big));
	assert_null(strstr(ext("x y z"), "x y"));   /* never the value */
}

static void test_stored_value_checks(void **state)
{
	(void)state;
	assert_string_equal(pw(""), "it is empty");
	assert_string_equal(ak(""), "it is empty");
	assert_non_null(strstr(pw("fifteen-chars-x"), "16 to 256"));
	assert_null(pw("sixteen-chars-xy"));
	char big[258];
	memset(big, 'a', 257);
	big[257] = '\0';
	assert_non_null(pw(big));
	big[256] = '\0';
	assert_null(pw(big));
	assert_non_null(pw("0123456789abcdefXYZ\n"));        /* a trailing newline */
	assert_non_null(pw("0123456789abcdef XYZ"));         /* a space */
	assert_non_null(pw("0123456789abcdef+XYZ"));         /* not URL-safe base64 */
	assert_non_null(pw("0123456789abcdef'XYZ"));
	assert_non_null(secret_password_problem("0123456789\0abcdefXYZ", 20));   /* a NUL inside */
	assert_null(ak("ABCDEFGHIJ0123456789"));
	assert_non_null(ak("ABCDEFGHIJ012345678a"));         /* lower case */
	assert_non_null(ak("ABCDEFGHIJ01234"));              /* 15 */
	assert_non_null(ak("ABCDEFGHIJ0123456789\n"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_and_access_key),
		cmocka_unit_test(test_stored_value_checks),
		cmocka_unit_test(test_external),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
