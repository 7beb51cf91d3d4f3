/* images/deb822.c: paragraphs and fields of Debian control data, and the
 * Date: of an archive's (In)Release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "images/deb822.h"

static void test_paragraphs(void **state)
{
	(void)state;
	const char *t = "\n\nPackage: a\nVersion: 1.0\nDescription: x\n more text\n\t.\n"
			"\n \n"
			"package: b\nVERSION:2:3.1-1~deb13u1  \nStatus: install ok installed\n"
			"\n";
	size_t pos = 0;
	struct deb822_para p;
	assert_true(deb822_next(t, strlen(t), &pos, &p));
	char *v = deb822_field(&p, "Version");
	assert_string_equal(v, "1.0");
	free(v);
	v = deb822_field(&p, "Description");
	assert_string_equal(v, "x");   /* first line only */
	free(v);
	assert_null(deb822_field(&p, "Status"));
	assert_null(deb822_field(&p, "Vers"));   /* a prefix is not the field */
	assert_true(deb822_next(t, strlen(t), &pos, &p));
	v = deb822_field(&p, "Package");   /* names are case-insensitive */
	assert_string_equal(v, "b");
	free(v);
	v = deb822_field(&p, "version");
	assert_string_equal(v, "2:3.1-1~deb13u1");
	free(v);
	assert_false(deb822_next(t, strlen(t), &pos, &p));
	pos = 0;
	assert_false(deb822_next("", 0, &pos, &p));
	/* Without a final newline. */
	pos = 0;
	assert_true(deb822_next("Package: c", 10, &pos, &p));
	v = deb822_field(&p, "Package");
	assert_string_equal(v, "c");
	free(v);
}

static void test_dates(void **state)
{
	(void)state;
	assert_int_equal(deb822_date("Sat, 10 May 2025 09:32:46 UTC"), 1746869566);
	assert_int_equal(deb822_date("Thu, 01 Jan 1970 00:00:00 UTC"), 0);
	assert_int_equal(deb822_date("Sat, 10 May 2025 11:32:46 +0200"), 1746869566);
	assert_int_equal(deb822_date("Sat, 10 May 2025 04:32:46 -0500"), 1746869566);
	assert_int_equal(deb822_date("Sat, 10 May 2025 09:32:46 GMT"), 1746869566);
	const char *bad[] = { "", "10 May 2025 09:32:46 UTC", "Sat, 10 Mai 2025 09:32:46 UTC",
			      "Sat, 31 Feb 2025 09:32:46 UTC", "Sat, 10 May 2025 25:32:46 UTC",
			      "Sat, 10 May 2025 09:32:46 CEST", "Sat, 10 May 2025 09:32:46 UTC x",
			      "Sat, 10 May 1969 09:32:46 UTC", "Sat, 10 May 2025 09:32:46 +02" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(deb822_date(bad[i]), -1);
}

static void test_release_date(void **state)
{
	(void)state;
	const char *inrelease = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
				"Origin: Debian\nSuite: stable\nCodename: trixie\n"
				"Date: Sat, 10 May 2025 09:32:46 UTC\nSHA256:\n abc 1 main/x\n"
				"-----BEGIN PGP SIGNATURE-----\n\nwsBc\n-----END PGP SIGNATURE-----\n";
	assert_int_equal(deb822_release_date(inrelease, strlen(inrelease)), 1746869566);
	const char *none = "Origin: Debian\nSuite: stable\n";
	assert_int_equal(deb822_release_date(none, strlen(none)), -1);
	const char *broken = "Origin: Debian\nDate: yesterday\n";
	assert_int_equal(deb822_release_date(broken, strlen(broken)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paragraphs),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_release_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
