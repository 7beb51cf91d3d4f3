/* profiles/syntax_apt.c: the Debian mirror, one URL in an apt source line. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"

static void test_apt_uri(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_apt_uri,
		     { "http://deb.debian.org/debian", NULL },
		     { "https://mirror.example.com:8443/debian/", NULL },
		     { "http://127.0.0.1:9/debian", NULL },
		     { "http://user@mirror/debian?x=1&y=%2F", NULL },
		     { "file:/srv/mirror", NULL },
		     { "file:///srv/mirror", NULL },
		     { "ftp.debian.org", "must be an http://, https:// or file:/ URL" },
		     { "file:relative", "must be an http://, https:// or file:/ URL" },
		     { "HTTP://deb.debian.org/debian", "must be an http://, https:// or file:/ URL" },
		     { "http://deb.debian.org/debian bookworm main", "must be one URL without spaces" },
		     { "http://m/debian\ndeb http://evil/ x main", "must be one URL without spaces or control" },
		     { "http://m/debian\tx", "must be one URL without spaces or control" },
		     { "http://m/debian#x", "must not contain '#'" },
		     { "http://m/$(ARCH)", "must use only the URL characters" },
		     { "http://m/\"x\"", "must use only the URL characters" },
		     { "http://[::1]/debian", "must use only the URL characters" },
		     { "http://m/a%zz", "must use '%' only in a %XX escape" },
		     { "http://m/a%4", "must use '%' only in a %XX escape" },
		     { "http://", "must name a host" },
		     { "https:///debian", "must name a host" },
		     { "http://:80/debian", "must name a host" });
	char long_uri[SYNTAX_URI_MAX + 2];
	memcpy(long_uri, "http://m/", 9);
	memset(long_uri + 9, 'a', sizeof long_uri - 10);
	long_uri[sizeof long_uri - 1] = '\0';
	assert_non_null(strstr(syntax_apt_uri(long_uri), "at most 1024"));
	long_uri[SYNTAX_URI_MAX] = '\0';
	assert_null(syntax_apt_uri(long_uri));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_apt_uri) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
