/* images/rootfs.c: which cached tree a build takes (by the archives'
 * state; offline or with the archives unreachable, the newest cached tree
 * for the same inputs, with a warning saying how old it is), and what is
 * refused before mmdebstrap runs: an archive URI
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
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <sodium.h>
#include <utime.h>

static char dir[] = "/tmp/kiln-rootfs-XXXXXX";
static char *ran, *fifo;

/* Every warning and error logged, one a line. */
static struct buf logged;
static void quiet(enum log_level lvl, const char *msg, void *ud)
{
	(void)ud;
	if (lvl <= LOG_LVL_WARN)
		buf_printf(&logged, "%s\n", msg);
}

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
	buf_init(&logged);
	log_set_sink(quiet, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	buf_free(&logged);
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


/* A cache entry <cache>/rootfs/<key>-<state>.tar, with a record whose
 * archive is dated `date` unless date < 0 (then the record is damaged),
 * and the tar's file time `mtime`. */
static void cached_tree(const char *cache, const char *key, char state, int64_t date, time_t mtime)
{
	char *rootfs = xasprintf("%s/rootfs", cache);
	assert_int_equal(mkdir_p(rootfs, 0755), 0);
	char *base = xasprintf("%s/%s-%064d", rootfs, key, state);
	char *tar = xasprintf("%s.tar", base), *meta = xasprintf("%s.meta", base);
	assert_int_equal(write_file_atomic(tar, "", 0, 0644), 0);
	if (date >= 0) {
		struct rootfs_meta m = { .built = 100 };
		rootfs_meta_add_archive(&m, "http://127.0.0.1:1/debian", "bookworm", NULL, date);
		assert_int_equal(rootfs_meta_write(meta, &m), 0);
		rootfs_meta_free(&m);
	} else
		assert_int_equal(write_file_atomic(meta, "damaged\n", 8, 0644), 0);
	struct utimbuf t = { mtime, mtime };
	assert_int_equal(utime(tar, &t), 0);
	free(tar);
	free(meta);
	free(base);
	free(rootfs);
}

/* Port 1 on loopback: nothing listens, the connection is refused at once. */
static struct debian_settings unreachable = {
	.suite = "bookworm", .mirror = "http://127.0.0.1:1/debian", .updates = true, .security = true,
	.security_mirror = "http://127.0.0.1:1/debian-security",
};

static struct recipe empty;

/* The <key> of choose()'s trees. */
static void choose_key(char key[65])
{
	struct rootfs_opts o = { .recipe = &empty, .debian = &unreachable, .source_date_epoch = -1 };
	assert_int_equal(rootfs_key(&o, NULL, key), 0);
}

static int choose(const char *cache, bool offline, bool refresh, struct rootfs_result *res)
{
	struct rootfs_opts o = { .role = "base", .recipe = &empty, .debian = &unreachable, .cache_dir = cache,
				 .source_date_epoch = -1, .offline = offline, .refresh = refresh };
	unlink(ran);
	logged.len = 0;
	if (logged.data)
		logged.data[0] = 0;
	return rootfs_build_ex(&o, res);
}

/* The key text without shas given (kiln rootfs --print-key) names a
 * supplied artifact (--artifact NAME=PATH) by its file's sha256, as the
 * build does, and a file it cannot read as missing; the others by their
 * pins. */
static void test_key_text_names_a_supplied_artifact(void **state)
{
	(void)state;
	struct recipe_artifact art[] = {
		{ .name = "minio", .sha256 = "1111111111111111111111111111111111111111111111111111111111111111" },
		{ .name = "tool", .sha256 = "2222222222222222222222222222222222222222222222222222222222222222" },
	};
	struct recipe r = { .artifacts = art, .n_artifacts = 2 };
	char *deb = xasprintf("%s/supplied.deb", dir), hex[65];
	assert_int_equal(write_file_atomic(deb, "not really a deb\n", 17, 0644), 0);
	assert_int_equal(sha256_file(deb, hex), 0);
	struct artifact_override ov = { "minio", deb };
	struct rootfs_opts o = { .recipe = &r, .debian = &unreachable, .source_date_epoch = -1, .overrides = &ov,
				 .n_overrides = 1 };
	char *t = rootfs_key_text(&o, NULL);
	char *want = xasprintf("artifact minio %s file\n", hex);   /* not install_deb here: "file" */
	assert_non_null(strstr(t, want));
	assert_non_null(strstr(t, "artifact tool 2222222222222222222222222222222222222222222222222222222222222222 file\n"));
	/* the same key as the build's, which passes the shas it resolved */
	char *shas[] = { hex, art[1].sha256 };
	char *t2 = rootfs_key_text(&o, shas);
	assert_string_equal(t, t2);
	free(t2);
	free(t);
	free(want);
	/* unreadable: missing */
	ov.path = "/nonexistent/supplied.deb";
	t = rootfs_key_text(&o, NULL);
	assert_non_null(strstr(t, "artifact minio missing file\n"));
	free(t);
	free(deb);
}

static void test_offline_takes_the_newest_cached_tree(void **state)
{
	(void)state;
	char *cache = xasprintf("%s/offline", dir), key[65];
	choose_key(key);
	struct rootfs_result res;

	/* Nothing cached: an error, and no build. */
	assert_int_equal(choose(cache, true, false, &res), -ENOENT);
	assert_non_null(strstr(logged.data, "--offline, and no root filesystem for these inputs is cached"));
	assert_int_not_equal(access(ran, F_OK), 0);

	cached_tree(cache, key, 1, 1700000000, 1700000000);   /* packages of 2023-11-14 */
	cached_tree(cache, key, 2, 1000000000, 1750000000);   /* built later, older packages */
	char *other = xasprintf("%064d", 7);
	cached_tree(cache, other, 3, 1750000000, 1750000000);   /* other inputs: never taken */
	assert_int_equal(choose(cache, true, false, &res), 0);
	assert_true(res.cached);
	assert_true(res.stale);
	assert_non_null(strstr(res.tar, "-0000000000000000000000000000000000000000000000000000000000000001.tar"));
	assert_int_equal(rootfs_meta_packages_date(&res.meta), 1700000000);
	assert_non_null(strstr(logged.data, "[base] rootfs: --offline: using the newest cached root filesystem "
					    "for these inputs; its packages are those of 2023-11-14, "));
	assert_non_null(strstr(logged.data, " days old (build with the archives reachable for newer ones)"));
	assert_int_not_equal(access(ran, F_OK), 0);
	rootfs_result_free(&res);

	/* A tree whose record is damaged counts by its file time. */
	cached_tree(cache, key, 4, -1, 1720000000);
	assert_int_equal(choose(cache, true, false, &res), 0);
	assert_non_null(strstr(res.tar, "-0000000000000000000000000000000000000000000000000000000000000004.tar"));
	assert_int_equal(res.meta.n_archives, 0);
	assert_int_equal(res.meta.built, 1720000000);
	rootfs_result_free(&res);

	/* --offline with --refresh cannot rebuild. */
	assert_int_equal(choose(cache, true, true, &res), -ENETUNREACH);
	assert_non_null(strstr(logged.data, "--refresh needs the archives: --offline"));
	free(other);
	free(cache);
}

static void test_unreachable_archives_fall_back(void **state)
{
	(void)state;
	char *cache = xasprintf("%s/unreachable", dir), key[65];
	choose_key(key);
	struct rootfs_result res;
	assert_int_equal(choose(cache, false, false, &res), -ENOENT);
	assert_non_null(strstr(logged.data, "cannot reach the archives (http://127.0.0.1:1/debian/dists/bookworm/"
					    "InRelease: "));
	cached_tree(cache, key, 5, 1000000000, 1000000000);
	assert_int_equal(choose(cache, false, false, &res), 0);
	assert_true(res.stale);
	assert_non_null(strstr(logged.data, "using the newest cached root filesystem"));
	rootfs_result_free(&res);
	/* Dated ahead of this machine's clock: no age below zero, and not "unknown". */
	cached_tree(cache, key, 6, 4000000000, 1000000000);
	assert_int_equal(choose(cache, false, false, &res), 0);
	assert_non_null(strstr(logged.data, "its packages are those of 2096-10-02, 0 days old"));
	rootfs_result_free(&res);
	assert_int_equal(choose(cache, false, true, &res), -ENETUNREACH);
	assert_int_not_equal(access(ran, F_OK), 0);
	free(cache);
}

/* A file: mirror with the InRelease of each archive (kept apart per test:
 * archive_state_fetch asks each URL once per process). */
static char *file_mirror(const char *name, bool with_updates)
{
	char *m = xasprintf("%s/%s", dir, name);
	static const char *const suites[] = { "debian/dists/bookworm", "debian/dists/bookworm-updates",
					      "debian-security/dists/bookworm-security" };
	for (size_t i = 0; i < 3; i++) {
		if (i == 1 && !with_updates)
			continue;
		char *d = xasprintf("%s/%s", m, suites[i]), *f = xasprintf("%s/InRelease", d);
		char *text = xasprintf("Origin: Debian\nSuite: %s\nDate: Sat, 01 Nov 2026 09:00:00 UTC\n", suites[i]);
		assert_int_equal(mkdir_p(d, 0755), 0);
		assert_int_equal(write_file_atomic(f, text, strlen(text), 0644), 0);
		free(text);
		free(f);
		free(d);
	}
	return m;
}

static void test_archive_state_names_the_tree(void **state)
{
	(void)state;
	char *m = file_mirror("mirror-a", true), *cache = xasprintf("%s/state", dir);
	char *deb = xasprintf("file:%s/debian", m), *sec = xasprintf("file:%s/debian-security", m);
	struct debian_settings d = { .suite = "bookworm", .mirror = deb, .updates = true, .security = true,
				     .security_mirror = sec };
	struct recipe r = { 0 };
	struct rootfs_opts o = { .role = "base", .recipe = &r, .debian = &d, .cache_dir = cache,
				 .source_date_epoch = -1 };
	char key[65], st[65], *text = NULL, why[256];
	assert_int_equal(rootfs_key(&o, NULL, key), 0);
	assert_int_equal(rootfs_state_text(&o, &text, why, sizeof why), 0);
	assert_non_null(strstr(text, "inrelease bookworm-updates "));
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(st, sizeof st, md, sizeof md);
	/* The tree of this state is taken without mmdebstrap, and is not stale. */
	char *rootfs = xasprintf("%s/rootfs", cache), *tar = xasprintf("%s/%s-%s.tar", rootfs, key, st);
	assert_int_equal(mkdir_p(rootfs, 0755), 0);
	assert_int_equal(write_file_atomic(tar, "", 0, 0644), 0);
	struct rootfs_result res;
	unlink(ran);
	assert_int_equal(rootfs_build_ex(&o, &res), 0);
	assert_string_equal(res.tar, tar);
	assert_true(res.cached);
	assert_false(res.stale);
	assert_int_not_equal(access(ran, F_OK), 0);
	rootfs_result_free(&res);
	/* --refresh rebuilds it (the fake mmdebstrap fails). */
	o.refresh = true;
	assert_int_equal(rootfs_build_ex(&o, &res), -EIO);
	assert_int_equal(access(ran, F_OK), 0);
	assert_int_equal(access(tar, F_OK), 0);   /* the old tree stays */

	/* A mirror that answers without one of the archives: an error, no fallback. */
	char *m2 = file_mirror("mirror-b", false), *deb2 = xasprintf("file:%s/debian", m2);
	d.mirror = deb2;
	o.refresh = false;
	logged.len = 0;
	unlink(ran);
	assert_int_equal(rootfs_build_ex(&o, &res), -ENOENT);
	assert_non_null(strstr(logged.data, "cannot read the state of the archives: "));
	assert_non_null(strstr(logged.data, "bookworm-updates"));
	assert_int_not_equal(access(ran, F_OK), 0);
	free(m2);
	free(deb2);
	free(text);
	free(rootfs);
	free(tar);
	free(deb);
	free(sec);
	free(cache);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_mirror_refused_before_mmdebstrap),
		cmocka_unit_test(test_host_files_must_be_regular),
		cmocka_unit_test(test_key_text_names_a_supplied_artifact),
		cmocka_unit_test(test_offline_takes_the_newest_cached_tree),
		cmocka_unit_test(test_unreachable_archives_fall_back),
		cmocka_unit_test(test_archive_state_names_the_tree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
