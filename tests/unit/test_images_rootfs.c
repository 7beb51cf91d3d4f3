/* images/rootfs.c: a mirror that would not be one apt source URL is refused
 * before mmdebstrap runs (the profile loader and `kiln rootfs --mirror`
 * refuse it first; this is the second line of defence). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "images/rootfs.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static void test_bad_mirror_refused_before_mmdebstrap(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-rootfs-XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* An mmdebstrap first in PATH that records being run. */
	char *fake = xasprintf("%s/mmdebstrap", dir), *ran = xasprintf("%s/ran", dir);
	FILE *f = fopen(fake, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ntouch %s\nexit 1\n", ran);
	fclose(f);
	assert_int_equal(chmod(fake, 0755), 0);
	char *path = xasprintf("%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);

	struct recipe r = { 0 };
	static const char *const bad[] = { "http://deb.debian.org/debian\ndeb http://evil/ x main",
					   "http://deb.debian.org/debian bookworm main", "ftp://deb.debian.org/debian" };
	log_set_sink(quiet, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct rootfs_opts o = { .role = "base", .recipe = &r, .suite = "bookworm", .mirror = bad[i],
					 .cache_dir = dir, .source_date_epoch = -1, .refresh = true };
		char *tar = NULL;
		bool cached;
		assert_int_equal(rootfs_build(&o, &tar, &cached), -EINVAL);
		assert_null(tar);
	}
	/* A good mirror gets as far as (the fake) mmdebstrap. */
	struct rootfs_opts o = { .role = "base", .recipe = &r, .suite = "bookworm",
				 .mirror = "http://deb.debian.org/debian", .cache_dir = dir, .source_date_epoch = -1,
				 .refresh = true };
	char *tar = NULL;
	bool cached;
	assert_int_not_equal(access(ran, F_OK), 0);
	assert_int_equal(rootfs_build(&o, &tar, &cached), -EIO);
	assert_int_equal(access(ran, F_OK), 0);
	log_set_sink(NULL, NULL);

	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(path);
	free(fake);
	free(ran);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_bad_mirror_refused_before_mmdebstrap) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
