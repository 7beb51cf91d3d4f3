/* images/rootfs.c: what is refused before mmdebstrap runs: an archive URI
 * that would not be one apt source URL (the profile loader and `kiln rootfs
 * --mirror` refuse it first; this is the second line of defence), and
 * recipe host files or artifacts that are not regular files (a FIFO would
 * hang the hash or the hook's cat). An mmdebstrap first in PATH records
 * whether it was run. */
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
#include "images/artifact.h"
#include "images/rootfs.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static char dir[] = "/tmp/kiln-rootfs-XXXXXX";
static char *ran, *fifo;

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	char *fake = xasprintf("%s/mmdebstrap", dir);
	ran = xasprintf("%s/ran", dir);
	fifo = xasprintf("%s/fifo", dir);
	FILE *f = fopen(fake, "w");
	if (!f || mkfifo(fifo, 0600) < 0)
		return -1;
	fprintf(f, "#!/bin/sh\ntouch %s\nexit 1\n", ran);
	fclose(f);
	chmod(fake, 0755);
	char *path = xasprintf("%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	free(path);
	free(fake);
	log_set_sink(quiet, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	char *rm = xasprintf("rm -rf %s", dir);
	int r = system(rm);
	free(rm);
	free(ran);
	free(fifo);
	return r;
}

static int build(const struct recipe *r, const char *mirror, const struct artifact_override *ov, size_t n_ov)
{
	/* Pinned to a snapshot: the archives' state is the time stamp, so no
	 * InRelease is fetched and nothing leaves the machine. The image's
	 * sources still name the mirror, so a bad one is refused. */
	struct debian_settings d = { .suite = "bookworm", .mirror = (char *)mirror, .updates = true,
				     .security = true, .security_mirror = "http://deb.debian.org/debian-security",
				     .snapshot = "20261101T000000Z", .snapshot_mirror = "http://127.0.0.1:9/archive" };
	struct rootfs_opts o = { .role = "base", .recipe = r, .debian = &d, .cache_dir = dir, .overrides = ov, .n_overrides = n_ov, .source_date_epoch = -1,
				 .refresh = true };
	char *tar = NULL;
	bool cached;
	unlink(ran);
	alarm(10);   /* a FIFO opened for reading would block here */
	int e = rootfs_build(&o, &tar, &cached);
	alarm(0);
	assert_null(tar);
	return e;
}

static void test_bad_mirror_refused_before_mmdebstrap(void **state)
{
	(void)state;
	struct recipe r = { 0 };
	static const char *const bad[] = { "http://deb.debian.org/debian\ndeb http://evil/ x main",
					   "http://deb.debian.org/debian bookworm main", "ftp://deb.debian.org/debian" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(build(&r, bad[i], NULL, 0), -EINVAL);
		assert_int_not_equal(access(ran, F_OK), 0);
	}
	/* A good mirror gets as far as (the fake) mmdebstrap. */
	assert_int_equal(build(&r, "http://deb.debian.org/debian", NULL, 0), -EIO);
	assert_int_equal(access(ran, F_OK), 0);
}

static void test_host_files_must_be_regular(void **state)
{
	(void)state;
	const char *mirror = "http://deb.debian.org/debian";
	struct recipe_file file = { .path = "/etc/x", .mode = 0644, .source = fifo };
	struct recipe r = { .files = &file, .n_files = 1 };
	assert_int_equal(build(&r, mirror, NULL, 0), -EINVAL);
	file.source = "/dev/zero";
	assert_int_equal(build(&r, mirror, NULL, 0), -EINVAL);
	char *missing = xasprintf("%s/missing", dir);
	file.source = missing;
	assert_int_equal(build(&r, mirror, NULL, 0), -ENOENT);
	assert_int_not_equal(access(ran, F_OK), 0);

	char *comps[] = { "main" };
	struct recipe_apt_repo repo = { .name = "x", .uri = "http://x/", .suite = "s", .components = comps,
					.n_components = 1, .key = fifo };
	struct recipe r2 = { .repos = &repo, .n_repos = 1 };
	assert_int_equal(build(&r2, mirror, NULL, 0), -EINVAL);
	assert_int_not_equal(access(ran, F_OK), 0);

	/* --artifact NAME=FIFO: hashed through open_input, refused. */
	struct recipe_artifact art = { .name = "minio", .sha256 = "1111111111111111111111111111111111111111111111111111111111111111" };
	struct recipe r3 = { .artifacts = &art, .n_artifacts = 1 };
	struct artifact_override ov = { "minio", fifo };
	assert_int_equal(build(&r3, mirror, &ov, 1), -EINVAL);
	assert_int_not_equal(access(ran, F_OK), 0);
	char hex[65];
	assert_int_equal(sha256_file(fifo, hex), -EINVAL);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_mirror_refused_before_mmdebstrap),
		cmocka_unit_test(test_host_files_must_be_regular),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
