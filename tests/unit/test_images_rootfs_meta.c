/* images/rootfs_meta.c: the record kept beside a cached tree (written,
 * read back, refused when damaged), the security updates found from a
 * dpkg status, a security Packages index and the .deb files, and how they
 * are reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "images/rootfs_meta.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/tmpdir_fixture.h"

static char *put(const char *name, const char *text)
{
	char *p = path_join(tmpdir, name);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	return p;
}

/* A .deb as far as the date goes: an ar archive whose first member has mtime t. */
static void deb(const char *name, time_t t)
{
	char *dir = path_join(tmpdir, "debs"), *p = path_join(dir, name);
	assert_int_equal(mkdir_p(dir, 0755), 0);
	struct archive *a = archive_write_new();
	archive_write_set_format_ar_svr4(a);
	assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "debian-binary");
	archive_entry_set_size(e, 4);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, t, 0);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "2.0\n", 4), 4);
	archive_entry_free(e);
	archive_write_free(a);
	free(p);
	free(dir);
}

/* name in tmpdir, text compressed with libarchive's filter `filter` (an
 * ARCHIVE_FILTER_* code), raw: what apt keeps with KeepCompressedAs. */
static char *put_compressed(const char *name, const char *text, int filter)
{
	char *p = path_join(tmpdir, name);
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
	archive_entry_free(e);
	archive_write_free(a);
	return p;
}

static const char status[] =
	"Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.5.9-1~deb13u1\n\n"
	"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.41-12\n\n"
	"Package: login\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:4.16.0-2+deb13u1\n\n"
	"Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2026a-0+deb13u1\n\n"
	/* Removed: its config files stay, it is not in the tree. */
	"Package: curl\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 8.14.1-2+deb13u7\n";
static const char index_main[] =
	"Package: openssl\nVersion: 3.5.9-1~deb13u1\nArchitecture: amd64\n\n"
	"Package: libc6\nVersion: 2.41-12+deb13u1\nArchitecture: amd64\n\n"   /* newer than installed */
	"Package: curl\nVersion: 8.14.1-2+deb13u7\nArchitecture: amd64\n\n"
	"Package: login\nVersion: 1:4.16.0-2+deb13u1\nArchitecture: amd64\n";
static const char index_contrib[] = "Package: tzdata\nVersion: 2026a-0+deb13u1\nArchitecture: all\n";

static void test_security(void **state)
{
	(void)state;
	/* One index plain, one lz4-compressed as apt keeps it on some hosts. */
	char *st = put("status", status), *i1 = put("i1", index_main);
	char *i2 = put_compressed("i2.lz4", index_contrib, ARCHIVE_FILTER_LZ4);
	deb("openssl_3.5.9-1~deb13u1_amd64.deb", 1790000000);
	deb("login_1%3a4.16.0-2+deb13u1_amd64.deb", 1795000000);   /* an epoch's ':' as apt names it */
	/* tzdata's .deb is not kept: its date is unknown */
	char *debs = path_join(tmpdir, "debs");
	char *idx[] = { i1, i2 };
	struct rootfs_meta m = { .built = 1796000000, .security_suite = xstrdup("trixie-security") };
	assert_int_equal(rootfs_meta_security(&m, st, idx, 2, debs), 0);
	assert_true(m.security_known);
	assert_int_equal(m.n_security, 3);   /* not libc6 (other version), not curl (removed) */
	assert_string_equal(m.security[0].name, "login");   /* sorted by name */
	assert_string_equal(m.security[0].version, "1:4.16.0-2+deb13u1");
	assert_int_equal(m.security[0].date, 1795000000);
	assert_string_equal(m.security[1].name, "openssl");
	assert_int_equal(m.security[1].date, 1790000000);
	assert_string_equal(m.security[2].name, "tzdata");
	assert_int_equal(m.security[2].date, -1);
	assert_string_equal(rootfs_meta_newest(&m)->name, "login");

	rootfs_meta_add_archive(&m, "http://deb.debian.org/debian", "trixie",
				"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1795500000);
	rootfs_meta_add_archive(&m, "http://deb.debian.org/debian-security", "trixie-security", NULL, -1);
	assert_int_equal(rootfs_meta_packages_date(&m), 1795500000);

	struct buf b;
	buf_init(&b);
	rootfs_meta_summary(&m, &b);
	assert_string_equal(b.data, "3 installed packages at a trixie-security version, newest login "
				    "1:4.16.0-2+deb13u1 (built 2026-11-18); packages as of 2026-11-24");
	b.len = 0;
	rootfs_meta_json(&m, &b);
	assert_non_null(strstr(b.data, "\"security\":{\"suite\":\"trixie-security\",\"packages\":3,"
				       "\"newest\":{\"package\":\"login\",\"version\":\"1:4.16.0-2+deb13u1\","
				       "\"date\":\"2026-11-18T11:06:40Z\"}"));
	assert_non_null(strstr(b.data, "{\"suite\":\"trixie-security\",\"uri\":\"http://deb.debian.org/debian-security\","
				       "\"inrelease_sha256\":null,\"date\":null}"));
	assert_non_null(strstr(b.data, "{\"package\":\"tzdata\",\"version\":\"2026a-0+deb13u1\",\"date\":null}"));

	/* Round trip through the file. */
	char *path = path_join(tmpdir, "x.meta");
	assert_int_equal(rootfs_meta_write(path, &m), 0);
	struct rootfs_meta r;
	assert_int_equal(rootfs_meta_read(path, &r), 0);
	assert_int_equal(r.built, 1796000000);
	assert_int_equal(r.n_archives, 2);
	assert_string_equal(r.archives[0].sha256, m.archives[0].sha256);
	assert_string_equal(r.archives[1].sha256, "");
	assert_int_equal(r.archives[1].date, -1);
	assert_string_equal(r.archives[1].uri, "http://deb.debian.org/debian-security");
	assert_string_equal(r.security_suite, "trixie-security");
	assert_true(r.security_known);
	assert_int_equal(r.n_security, 3);
	assert_int_equal(r.security[2].date, -1);
	buf_free(&b);
	buf_init(&b);
	struct buf b2;
	buf_init(&b2);
	rootfs_meta_json(&m, &b);
	rootfs_meta_json(&r, &b2);
	assert_string_equal(b.data, b2.data);
	buf_free(&b);
	buf_free(&b2);
	rootfs_meta_free(&r);
	rootfs_meta_free(&m);

	/* gzip too; a file that is not an index adds nothing. */
	char *gz = put_compressed("i3.gz", index_main, ARCHIVE_FILTER_GZIP), *junk = put("junk", "\x01\x02 not an index");
	char *idx2[] = { gz, junk };
	struct rootfs_meta g = { 0 };
	assert_int_equal(rootfs_meta_security(&g, st, idx2, 2, debs), 0);
	assert_int_equal(g.n_security, 2);   /* login, openssl */
	rootfs_meta_free(&g);
	/* No match at all: known, and none (found by fuzz_deb822: no qsort of NULL). */
	char *idx4[] = { junk };
	struct rootfs_meta z = { 0 };
	assert_int_equal(rootfs_meta_security(&z, st, idx4, 1, debs), 0);
	assert_true(z.security_known);
	assert_int_equal(z.n_security, 0);
	assert_null(z.security);
	rootfs_meta_free(&z);
	free(gz);
	free(junk);

	/* An index that is no regular file is refused, not waited on. */
	char *fifo = path_join(tmpdir, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	char *idx3[] = { i1, fifo };
	struct rootfs_meta f = { 0 };
	assert_int_equal(rootfs_meta_security(&f, st, idx3, 2, debs), -EINVAL);
	assert_false(f.security_known);
	rootfs_meta_free(&f);
	free(fifo);

	/* A status file that cannot be read is an error, not "no updates". */
	struct rootfs_meta n = { 0 };
	char *missing = path_join(tmpdir, "nope");
	assert_int_equal(rootfs_meta_security(&n, missing, idx, 2, debs), -ENOENT);
	assert_false(n.security_known);
	rootfs_meta_free(&n);
	free(missing);
	free(path);
	free(debs);
	free(st);
	free(i1);
	free(i2);
}

static void test_summaries(void **state)
{
	(void)state;
	struct rootfs_meta m = { .built = 1796000000, .snapshot = xstrdup("20261101T000000Z") };
	struct buf b;
	buf_init(&b);
	rootfs_meta_summary(&m, &b);
	assert_string_equal(b.data, "no security archive (the profile opts out: debian.security: false); "
				    "packages as of 2026-11-30, snapshot 20261101T000000Z");
	b.len = 0;
	rootfs_meta_json(&m, &b);
	assert_non_null(strstr(b.data, "\"snapshot\":\"20261101T000000Z\",\"archives\":[],\"security\":null}"));
	m.security_suite = xstrdup("bookworm-security");
	b.len = 0;
	rootfs_meta_summary(&m, &b);
	assert_non_null(strstr(b.data, "security updates unknown (bookworm-security's index was not captured)"));
	b.len = 0;
	rootfs_meta_json(&m, &b);
	assert_non_null(strstr(b.data, "\"packages\":null"));
	m.security_known = true;
	b.len = 0;
	rootfs_meta_summary(&m, &b);
	assert_non_null(strstr(b.data, "no installed package is at a bookworm-security version"));
	buf_free(&b);
	rootfs_meta_free(&m);
}

static void test_damaged(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",                                              /* no header */
		"kiln-rootfs-meta 2\nbuilt 1\n",                 /* another format */
		"kiln-rootfs-meta 1\n",                          /* no build time */
		"kiln-rootfs-meta 1\nbuilt -1\n",
		"kiln-rootfs-meta 1\nbuilt 1\nbuilt x\n",
		"kiln-rootfs-meta 1\nbuilt 1\narchive xyz - trixie http://x\n",     /* not a sha256 */
		"kiln-rootfs-meta 1\nbuilt 1\narchive - - trixie http://x y\n",     /* a word too many */
		"kiln-rootfs-meta 1\nbuilt 1\narchive - - trixie\n",                /* one too few */
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity 5 openssl\n",
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity-index yes\n",
		"kiln-rootfs-meta 1\nbuilt 1\nwhatever 1\n",
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity-suite s\nsecurity  5 a b\n", /* an empty word */
		"kiln-rootfs-meta 1\nbuilt 1",                   /* cut off: no final newline */
		"kiln-rootfs-meta 1\n\nbuilt 1\n",               /* an empty line */
		"kiln-rootfs-meta 1\nbuilt 1\nbuilt 2\n",        /* twice */
		"kiln-rootfs-meta 1\nbuilt 1\nsnapshot a\nsnapshot b\n",
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity-suite s\nsecurity-suite t\n",
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity-suite s\nsecurity-index 1\nsecurity-index 0\n",
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity-index 1\n",                /* before its suite */
		"kiln-rootfs-meta 1\nbuilt 1\nsecurity 5 openssl 3\n",
		"kiln-rootfs-meta 1\r\nbuilt 1\r\n",
	};
	char *p = path_join(tmpdir, "bad.meta");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(write_file_atomic(p, bad[i], strlen(bad[i]), 0644), 0);
		struct rootfs_meta m;
		if (rootfs_meta_read(p, &m) != -EBADMSG)
			fail_msg("case %zu was accepted", i);
		assert_int_equal(m.n_archives + m.n_security, 0);   /* nothing half-read */
	}
	assert_int_equal(write_file_atomic(p, "kiln-rootfs-meta 1\nbuilt 1\0x\n", 29, 0644), 0);
	struct rootfs_meta m;
	assert_int_equal(rootfs_meta_read(p, &m), -EBADMSG);
	char *none = path_join(tmpdir, "none.meta");
	assert_int_equal(rootfs_meta_read(none, &m), -ENOENT);
	/* What rootfs_meta_text writes is read back. */
	static const char good[] = "kiln-rootfs-meta 1\nbuilt 1\nsnapshot 20261101T000000Z\n"
				   "archive - - trixie http://x/debian\nsecurity-suite trixie-security\n"
				   "security-index 1\nsecurity - openssl 3.5.9-1~deb13u1\n";
	assert_int_equal(rootfs_meta_parse(good, strlen(good), &m), 0);
	char *t = rootfs_meta_text(&m);
	assert_string_equal(t, good);
	free(t);
	rootfs_meta_free(&m);
	free(none);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security),
		cmocka_unit_test(test_summaries),
		cmocka_unit_test(test_damaged),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
