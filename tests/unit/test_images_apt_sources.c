/* images/apt_sources.c: the archives of a build from the debian: settings,
 * mmdebstrap's lines, the image's deb822 sources, the URLs kiln fetches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "images/apt_sources.h"
#include "lib/xalloc.h"

static void settings(struct debian_settings *d, const char *suite, const char *mirror)
{
	memset(d, 0, sizeof *d);
	d->suite = xstrdup(suite);
	d->mirror = xstrdup(mirror);
	d->updates = d->security = true;
}

static void test_default_archives(void **state)
{
	(void)state;
	struct debian_settings d;
	struct apt_archives a;
	settings(&d, "trixie", "http://deb.debian.org/debian");
	debian_settings_resolve(&d);
	apt_archives_for(&d, &a);
	assert_int_equal(a.n, 3);
	assert_null(a.snapshot);
	const char *suites[] = { "trixie", "trixie-updates", "trixie-security" };
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(a.v[i].suite, suites[i]);
		assert_string_equal(a.v[i].uri, a.v[i].image_uri);
		assert_int_equal(a.v[i].security, i == 2);
	}
	assert_string_equal(a.v[2].uri, "http://deb.debian.org/debian-security");
	char *l = apt_archive_deb_line(&a, 2);
	assert_string_equal(l, "deb http://deb.debian.org/debian-security trixie-security main");
	free(l);
	char *s = apt_archives_deb822(&a);
	assert_non_null(strstr(s, "\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\n"
				  "Components: main\n"));
	assert_non_null(strstr(s, "\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: trixie-security\n"
				  "Components: main\n"));
	free(s);
	char *u = apt_archive_url(&a.v[1], "InRelease");
	assert_string_equal(u, "http://deb.debian.org/debian/dists/trixie-updates/InRelease");
	free(u);
	apt_archives_free(&a);
	debian_settings_free(&d);
}

static void test_opt_outs(void **state)
{
	(void)state;
	struct debian_settings d;
	struct apt_archives a;
	settings(&d, "bookworm", "file:/srv/mirror/debian/");
	d.updates = d.security = false;
	debian_settings_resolve(&d);
	apt_archives_for(&d, &a);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].suite, "bookworm");
	char *u = apt_archive_url(&a.v[0], "Release");
	assert_string_equal(u, "file:///srv/mirror/debian/dists/bookworm/Release");
	free(u);
	char *s = apt_archives_deb822(&a);
	assert_null(strstr(s, "security"));
	assert_null(strstr(s, "updates"));
	free(s);
	apt_archives_free(&a);
	debian_settings_free(&d);

	settings(&d, "bookworm", "http://m/debian");
	d.updates = false;
	d.security_mirror = xstrdup("https://sec.example/debian-security");
	debian_settings_resolve(&d);
	apt_archives_for(&d, &a);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[1].suite, "bookworm-security");
	assert_string_equal(a.v[1].uri, "https://sec.example/debian-security");
	apt_archives_free(&a);
	debian_settings_free(&d);
}

/* A pinned snapshot: the build reads snapshot.debian.org's layout, the
 * image names the live archives. */
static void test_snapshot(void **state)
{
	(void)state;
	struct debian_settings d;
	struct apt_archives a;
	settings(&d, "trixie", "http://deb.debian.org/debian");
	d.snapshot = xstrdup("20261101T000000Z");
	d.snapshot_mirror = xstrdup("http://127.0.0.1:8080/archive/");
	debian_settings_resolve(&d);
	apt_archives_for(&d, &a);
	assert_string_equal(a.snapshot, "20261101T000000Z");
	assert_string_equal(a.v[0].uri, "http://127.0.0.1:8080/archive/debian/20261101T000000Z");
	assert_string_equal(a.v[1].uri, "http://127.0.0.1:8080/archive/debian/20261101T000000Z");
	assert_string_equal(a.v[2].uri, "http://127.0.0.1:8080/archive/debian-security/20261101T000000Z");
	assert_string_equal(a.v[2].image_uri, "http://deb.debian.org/debian-security");
	char *l = apt_archive_deb_line(&a, 0);
	assert_string_equal(l, "deb [check-valid-until=no] http://127.0.0.1:8080/archive/debian/20261101T000000Z trixie main");
	free(l);
	char *s = apt_archives_deb822(&a);
	assert_null(strstr(s, "127.0.0.1"));
	assert_non_null(strstr(s, "URIs: http://deb.debian.org/debian\n"));
	free(s);
	char *u = apt_archive_url(&a.v[2], "InRelease");
	assert_string_equal(u, "http://127.0.0.1:8080/archive/debian-security/20261101T000000Z/dists/trixie-security/InRelease");
	free(u);
	apt_archives_free(&a);
	debian_settings_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_archives),
		cmocka_unit_test(test_opt_outs),
		cmocka_unit_test(test_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
