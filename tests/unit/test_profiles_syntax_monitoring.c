/* profiles/syntax_monitoring.c: receivers and SMTP settings written into
 * Alertmanager's YAML, the app's health path in the agent's probe URL. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"

static void test_http_url(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_http_url,
		     { "https://alerts.example.com/kiln", NULL },
		     { "http://192.168.40.1:9099/alerts", NULL },
		     { "https://hooks.example.com:8443/a/b?x=1&y=%2F#frag", NULL },
		     { "https://h.example.com", NULL },
		     { "ftp://h.example.com/", "must be an http:// or https:// URL" },
		     { "https://", "must name a host" },
		     { "https:///path", "must name a host" },
		     { "https://Hooks.Example.com/", "lower-case DNS name or an IPv4 address" },
		     { "https://h.example.com:0/", "port of 1 to 65535" },
		     { "https://h.example.com:65536/", "port of 1 to 65535" },
		     { "https://h.example.com:/", "port of 1 to 65535" },
		     { "https://user:pw@h.example.com/", "must not carry credentials" },
		     { "https://h.example.com/a b", "no spaces, quotes or brackets" },
		     { "https://h.example.com/'x'", "no spaces, quotes or brackets" },
		     { "https://h.example.com/\nx", "no spaces, quotes or brackets" },
		     { "https://h.example.com/%zz", "'%' only in a %XX escape" },
		     { "https://h.example.com/%2", "'%' only in a %XX escape" });
}

static void test_email(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_email,
		     { "ops@example.com", NULL },
		     { "Ops.Team+kiln@mail.example.com", NULL },
		     { "ops", "LOCAL@DOMAIN" },
		     { "@example.com", "LOCAL@DOMAIN" },
		     { "a@b@example.com", "LOCAL@DOMAIN" },
		     { ".ops@example.com", "begins or ends with '.'" },
		     { "ops.@example.com", "begins or ends with '.'" },
		     { "o..ps@example.com", "holds '..'" },
		     { "o'ps@example.com", "local part of A-Z" },
		     { "ops@localhost", "DNS domain with a dot" },
		     { "ops@Example.com", "DNS domain with a dot" },
		     { "ops@example.com\n", "DNS domain with a dot" },
		     { "12345678901234567890123456789012345678901234567890123456789012345@example.com",
		       "at most 64 characters" });
}

static void test_smarthost(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_smarthost,
		     { "mail.example.com:587", NULL },
		     { "10.0.0.25:25", NULL },
		     { "mail.example.com", "must be HOST:PORT" },
		     { "mail.example.com:", "HOST:PORT with a lower-case DNS name" },
		     { "mail.example.com:70000", "HOST:PORT with a lower-case DNS name" },
		     { ":25", "HOST:PORT with a lower-case DNS name" },
		     { "mail example.com:25", "HOST:PORT with a lower-case DNS name" });
}

static void test_url_path(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_url_path,
		     { "/healthz", NULL },
		     { "/api/v1/health-check_2.json", NULL },
		     { "/", NULL },
		     { "", "must be a URL path" },
		     { "healthz", "must be a URL path" },
		     { "/health?x=1", "no query, spaces or quotes" },
		     { "/a b", "no query, spaces or quotes" },
		     { "/a\"b", "no query, spaces or quotes" });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_url),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_smarthost),
		cmocka_unit_test(test_url_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
