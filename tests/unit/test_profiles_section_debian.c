/* profiles/section_debian.c and profiles/debian.c: the debian: section
 * (suite, archives, opt-outs, snapshot), each refusal at its line:column,
 * and the defaults it resolves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "profiles/debian.h"
#include "profiles/profile.h"
#include "tests/unit/profile_fixture.h"

#define BASE PROFILE_BASE

static int load(const char *yaml, struct model *m, struct diags *d)
{
	return profile_load_text(yaml, NULL, m, d);
}

struct reject {
	const char *yaml;
	unsigned line, col;
	const char *msg;
};

static const struct reject rejects[] = {
	{ BASE "debian: {suite: sid}\n", 7, 17, "unsupported Debian suite 'sid' (supported: bookworm, trixie)" },
	{ BASE "debian: {suite: Trixie}\n", 7, 17, "unsupported Debian suite 'Trixie'" },
	{ BASE "debian:\n  suite: trixie\n  mirror: deb.debian.org\n", 9, 11,
	  "mirror 'deb.debian.org' must be an http://, https:// or file:/ URL" },
	{ BASE "debian: {mirror: \"http://deb.debian.org/debian trixie main\"}\n", 7, 18,
	  "must be one URL without spaces" },
	{ BASE "debian: {security_mirror: \"http://x/[y]\"}\n", 7, 27, "security_mirror 'http://x/[y]' must use only the URL" },
	{ BASE "debian: {security_mirror: \"http://x/a#b\"}\n", 7, 27, "security_mirror 'http://x/a#b' must not contain '#'" },
	{ BASE "debian: {snapshot: 20261101T000000Z, snapshot_mirror: \"ftp://s/archive\"}\n", 7, 55,
	  "snapshot_mirror 'ftp://s/archive' must be an http://, https:// or file:/ URL" },
	{ BASE "debian: {updates: no}\n", 7, 19, "'updates' must be true or false, not 'no'" },
	{ BASE "debian: {security: 1}\n", 7, 20, "'security' must be true or false, not '1'" },
	{ BASE "debian:\n  security: false\n  security_mirror: http://s/debian-security\n", 9, 20,
	  "security_mirror names an archive the profile opts out of (security: false)" },
	{ BASE "debian: {snapshot: 2026-11-01}\n", 7, 20,
	  "snapshot '2026-11-01' must be a UTC time stamp YYYYMMDDTHHMMSSZ" },
	{ BASE "debian: {snapshot: 20261101T000000}\n", 7, 20, "must be a UTC time stamp" },
	{ BASE "debian: {snapshot: 20261301T000000Z}\n", 7, 20, "snapshot '20261301T000000Z' names no real date" },
	{ BASE "debian: {snapshot: 20250229T000000Z}\n", 7, 20, "names no real date" },
	{ BASE "debian: {snapshot: 20261101T240000Z}\n", 7, 20, "names no real time of day" },
	{ BASE "debian: {snapshot: \"2026110lT000000Z\"}\n", 7, 20, "must be a UTC time stamp" },
	{ BASE "debian: {snapshot_mirror: http://127.0.0.1/archive}\n", 7, 27, "snapshot_mirror needs a snapshot to pin" },
	{ BASE "debian: {snapshot: [20261101T000000Z]}\n", 7, 20, "'snapshot' must be a string" },
	{ BASE "debian: {suites: trixie}\n", 7, 10, "unknown key 'suites' in debian" },
	{ BASE "debian: [trixie]\n", 7, 9, "debian must be a mapping" },
};

static void test_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rejects / sizeof *rejects; i++) {
		const struct reject *c = &rejects[i];
		struct model m;
		struct diags d;
		assert_int_equal(load(c->yaml, &m, &d), -EINVAL);
		bool found = false;
		for (size_t j = 0; j < d.n && !found; j++)
			found = d.v[j].line == c->line && d.v[j].col == c->col && strstr(d.v[j].msg, c->msg);
		if (!found) {
			print_error("case %zu: wanted %u:%u '%s', got:\n", i, c->line, c->col, c->msg);
			for (size_t j = 0; j < d.n; j++)
				print_error("  %u:%u %s\n", d.v[j].line, d.v[j].col, d.v[j].msg);
		}
		diags_free(&d);
		assert_true(found);
	}
}

static void test_defaults(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE, &m, &d), 0);
	const struct debian_settings *s = &m.debian;
	assert_string_equal(s->suite, "bookworm");
	assert_string_equal(s->mirror, "http://deb.debian.org/debian");
	assert_true(s->updates);
	assert_true(s->security);
	assert_string_equal(s->security_mirror, "http://deb.debian.org/debian-security");
	assert_null(s->snapshot);
	assert_null(s->snapshot_mirror);
	model_free(&m);
	diags_free(&d);
}

static void test_all_keys(void **state)
{
	(void)state;
	const char *y = BASE "debian:\n  suite: trixie\n  mirror: http://mirror.example/debian/\n"
			     "  updates: false\n  security: true\n"
			     "  security_mirror: https://security.example/debian-security\n"
			     "  snapshot: 20240229T235959Z\n  snapshot_mirror: http://127.0.0.1:8080/archive\n";
	struct model m;
	struct diags d;
	assert_int_equal(load(y, &m, &d), 0);
	const struct debian_settings *s = &m.debian;
	assert_string_equal(s->suite, "trixie");
	assert_false(s->updates);
	assert_string_equal(s->security_mirror, "https://security.example/debian-security");
	assert_string_equal(s->snapshot, "20240229T235959Z");
	assert_string_equal(s->snapshot_mirror, "http://127.0.0.1:8080/archive");
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"debian\":{\"suite\":\"trixie\",\"mirror\":\"http://mirror.example/debian/\","
				       "\"updates\":false,\"security\":true,"
				       "\"security_mirror\":\"https://security.example/debian-security\","
				       "\"snapshot\":\"20240229T235959Z\","
				       "\"snapshot_mirror\":\"http://127.0.0.1:8080/archive\"}"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);

	/* Opting out of security leaves no security mirror; a snapshot gets the default service. */
	y = BASE "debian: {security: false, snapshot: 20261101T000000Z}\n";
	assert_int_equal(load(y, &m, &d), 0);
	assert_false(m.debian.security);
	assert_null(m.debian.security_mirror);
	assert_string_equal(m.debian.snapshot_mirror, DEBIAN_DEFAULT_SNAPSHOT_MIRROR);
	model_free(&m);
	diags_free(&d);
}

static void test_security_mirror_for(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "http://deb.debian.org/debian", "http://deb.debian.org/debian-security" },
		{ "http://deb.debian.org/debian/", "http://deb.debian.org/debian-security" },
		{ "https://m.example/mirrors/debian", "https://m.example/mirrors/debian-security" },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080/debian-security" },
		{ "http://127.0.0.1:8080/", "http://127.0.0.1:8080/debian-security" },
		{ "file:///srv/mirror/debian", "file:///srv/mirror/debian-security" },
		{ "file:/srv/debian", "file:/srv/debian-security" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *s = debian_security_mirror_for(cases[i][0]);
		assert_string_equal(s, cases[i][1]);
		free(s);
	}
}

static void test_suites(void **state)
{
	(void)state;
	assert_int_equal(debian_suite_find("bookworm")->version, 12);
	assert_int_equal(debian_suite_find("trixie")->version, 13);
	assert_null(debian_suite_find("bullseye"));
	assert_null(debian_suite_find(NULL));
	char *l = debian_suites_list();
	assert_string_equal(l, "bookworm, trixie");
	free(l);
	assert_null(debian_snapshot_check("20000229T000000Z"));   /* 2000 is a leap year */
	assert_non_null(debian_snapshot_check("21000229T000000Z"));   /* 2100 is not */
	assert_non_null(debian_snapshot_check("20261101T000060Z"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_security_mirror_for),
		cmocka_unit_test(test_suites),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
