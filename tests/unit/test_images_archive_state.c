/* images/archive_state.c: an archive's state from its InRelease (or
 * Release), fetched with libcurl from file:// mirrors in a scratch
 * directory; what an unreachable and a missing archive return. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "images/archive_state.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/tmpdir_fixture.h"

#define RELEASE "Origin: Debian\nDate: Sat, 10 May 2025 09:32:46 UTC\n"
/* sha256 of RELEASE */
static char release_sha[65];

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", tmpdir, rel), *dir = xstrdup(p);
	*strrchr(dir, '/') = 0;
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(dir);
	free(p);
}

static struct apt_archive archive(const char *uri, const char *suite)
{
	return (struct apt_archive){ .uri = (char *)uri, .image_uri = (char *)uri, .suite = (char *)suite };
}

static void test_inrelease(void **state)
{
	(void)state;
	struct archive_state want;
	archive_state_of(RELEASE, strlen(RELEASE), &want);
	snprintf(release_sha, sizeof release_sha, "%s", want.sha256);
	assert_int_equal(want.date, 1746869566);

	put("m1/debian/dists/trixie/InRelease", RELEASE);
	char *uri = xasprintf("file://%s/m1/debian", tmpdir), why[256] = "";
	struct apt_archive a = archive(uri, "trixie");
	struct archive_state st;
	assert_int_equal(archive_state_fetch(&a, &st, why, sizeof why), 0);
	assert_string_equal(st.sha256, release_sha);
	assert_int_equal(st.date, 1746869566);
	/* Asked again in the same process: the first answer, even if the file moved. */
	put("m1/debian/dists/trixie/InRelease", "Origin: Debian\nDate: Sun, 11 May 2025 09:32:46 UTC\n");
	assert_int_equal(archive_state_fetch(&a, &st, why, sizeof why), 0);
	assert_string_equal(st.sha256, release_sha);
	free(uri);

	/* "file:/path" mirrors, as a profile may write them. */
	put("m2/debian/dists/trixie-updates/InRelease", "Origin: Debian\n");
	uri = xasprintf("file:%s/m2/debian", tmpdir);
	a = archive(uri, "trixie-updates");
	assert_int_equal(archive_state_fetch(&a, &st, why, sizeof why), 0);
	assert_int_equal(st.date, -1);   /* no Date: */
	free(uri);
}

static void test_release_fallback(void **state)
{
	(void)state;
	put("m3/debian/dists/bookworm/Release", RELEASE);
	char *uri = xasprintf("file://%s/m3/debian", tmpdir), why[256] = "";
	struct apt_archive a = archive(uri, "bookworm");
	struct archive_state st;
	assert_int_equal(archive_state_fetch(&a, &st, why, sizeof why), 0);
	assert_string_equal(st.sha256, release_sha);
	/* Neither InRelease nor Release: the mirror answered, the suite is not there. */
	a = archive(uri, "bookworm-updates");
	assert_int_equal(archive_state_fetch(&a, &st, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "dists/bookworm-updates/"));
	free(uri);
}

static void test_unreachable(void **state)
{
	(void)state;
	/* Port 9 (discard) on loopback: nothing listens, the connection is refused. */
	struct apt_archive a = archive("http://127.0.0.1:9/debian", "trixie");
	struct archive_state st;
	char why[256] = "";
	assert_int_equal(archive_state_fetch(&a, &st, why, sizeof why), -EHOSTUNREACH);
	assert_non_null(strstr(why, "http://127.0.0.1:9/debian/dists/trixie/InRelease"));
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inrelease),
		cmocka_unit_test(test_release_fallback),
		cmocka_unit_test(test_unreachable),
	};
	int r = cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
	curl_global_cleanup();
	return r;
}
