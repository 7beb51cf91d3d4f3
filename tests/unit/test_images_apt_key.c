/* images/apt_key.c: a third-party repository's key before any long work.
 * Real keys made by gpg (the oracle kiln reads keyrings with): the pinned
 * key alone passes; a missing, empty, armoured or unreadable file, another
 * key, or the pinned key with a second one are refused with one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "images/apt_key.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "tests/unit/tmpdir_fixture.h"

static struct buf logged;

static void sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl;
	(void)ud;
	buf_puts(&logged, msg);
	buf_putc(&logged, '\n');
}

static char fpr_a[41], fpr_b[41];

static void gpg(const char *home, const char *const *args, struct buf *out)
{
	const char *argv[16] = { "gpg", "--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback",
				 "--passphrase", "" };
	size_t n = 9;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct buf err;
	buf_init(&err);
	int st = spawn_capture(argv, out, &err, 0);
	if (st != 0)
		fail_msg("gpg %s: exit %d: %s", args[0], st, err.data ? err.data : "");
	buf_free(&err);
}

/* A signing key in its own home; its fingerprint into fpr. */
static void make_key(const char *name, char fpr[41])
{
	char *home = xasprintf("%s/home-%s", tmpdir, name), *uid = xasprintf("%s <%s@kiln.invalid>", name, name);
	assert_int_equal(mkdir_p(home, 0700), 0);
	struct buf out;
	buf_init(&out);
	gpg(home, (const char *[]){ "--quick-gen-key", uid, "ed25519", "sign", "never", NULL }, &out);
	buf_free(&out);
	buf_init(&out);
	gpg(home, (const char *[]){ "--with-colons", "--list-keys", NULL }, &out);
	const char *f = strstr(out.data, "\nfpr:::::::::");
	assert_non_null(f);
	memcpy(fpr, f + 13, 40);
	fpr[40] = 0;
	buf_free(&out);
	free(uid);
	free(home);
}

/* The key(s) of the named homes exported to tmpdir/file. */
static char *export_keys(const char *file, bool armor, const char *name1, const char *name2)
{
	char *path = path_join(tmpdir, file);
	struct buf all;
	buf_init(&all);
	const char *names[] = { name1, name2 };
	for (size_t i = 0; i < 2 && names[i]; i++) {
		char *home = xasprintf("%s/home-%s", tmpdir, names[i]);
		gpg(home, (const char *[]){ "--export", armor ? "--armor" : "--no-armor", NULL }, &all);
		free(home);
	}
	assert_int_equal(write_file_atomic(path, all.data, all.len, 0644), 0);
	buf_free(&all);
	return path;
}

static int group_setup(void **state)
{
	if (tmpdir_setup(state) < 0)
		return -1;
	buf_init(&logged);
	log_set_sink(sink, NULL);
	make_key("a", fpr_a);
	make_key("b", fpr_b);
	return 0;
}

static int group_teardown(void **state)
{
	/* gpg may have started an agent per home: none outlives the test. */
	const char *names[] = { "a", "b" };
	for (size_t i = 0; i < 2; i++) {
		char *home = xasprintf("%s/home-%s", tmpdir, names[i]);
		const char *argv[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };
		spawn_capture(argv, NULL, NULL, 0);
		free(home);
	}
	buf_free(&logged);
	return tmpdir_teardown(state);
}

static int check(const char *key, const char *fpr)
{
	struct recipe_apt_repo a = { .name = (char *)"vendor", .key = (char *)key, .fingerprint = (char *)fpr };
	logged.len = 0;
	if (logged.data)
		logged.data[0] = 0;
	return apt_repo_key_check("mysql", &a);
}

static void expect_refused(const char *key, const char *fpr, int want, const char *msg)
{
	int e = check(key, fpr);
	if (e != want || !logged.data || !strstr(logged.data, msg))
		fail_msg("key %s: wanted %d and '%s', got %d: %s", key, want, msg, e, logged.data ? logged.data : "");
	/* one line, naming the role, the repository and where to read on */
	assert_non_null(strstr(logged.data, "[mysql] apt repository 'vendor': "));
	assert_non_null(strchr(logged.data, '\n'));
	assert_null(strchr(strchr(logged.data, '\n') + 1, '\n'));
}

static void test_pinned_key_passes(void **state)
{
	(void)state;
	char *k = export_keys("a.gpg", false, "a", NULL);
	assert_int_equal(check(k, fpr_a), 0);
	assert_int_equal(check(k, NULL), 0);   /* no pin: the file only */
	free(k);
}

static void test_missing_and_bad_files(void **state)
{
	(void)state;
	char *none = path_join(tmpdir, "none.gpg");
	expect_refused(none, fpr_a, -ENOENT, "key file");
	assert_non_null(strstr(logged.data, none));
	assert_non_null(strstr(logged.data, fpr_a));
	assert_non_null(strstr(logged.data, "docs/build.md"));
	assert_null(strstr(logged.data, "No such file"));   /* said once, in kiln's words */
	expect_refused(none, NULL, -ENOENT, "is missing");
	free(none);
	char *empty = path_join(tmpdir, "empty.gpg");
	assert_int_equal(write_file_atomic(empty, "", 0, 0644), 0);
	expect_refused(empty, fpr_a, -ENODATA, "is empty");
	free(empty);
	expect_refused(tmpdir, fpr_a, -EISDIR, "key file");
	char *asc = export_keys("a.asc", true, "a", NULL);
	expect_refused(asc, fpr_a, -EINVAL, "is ASCII-armoured; apt wants a binary keyring: gpg --dearmor");
	free(asc);
	char *junk = path_join(tmpdir, "junk.gpg");
	assert_int_equal(write_file_atomic(junk, "\x99\x01junk that is no key", 20, 0644), 0);
	expect_refused(junk, fpr_a, -EINVAL, "holds no OpenPGP key gpg can read");
	free(junk);
}

static void test_other_or_extra_keys(void **state)
{
	(void)state;
	char *b = export_keys("b.gpg", false, "b", NULL);
	expect_refused(b, fpr_a, -EPERM, "holds another key, not only the pinned key");
	assert_non_null(strstr(logged.data, fpr_a));
	free(b);
	char *ab = export_keys("ab.gpg", false, "a", "b");
	expect_refused(ab, fpr_a, -EPERM, "holds more than one key");
	assert_int_equal(check(ab, NULL), 0);   /* unpinned: kiln cannot tell */
	free(ab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned_key_passes),
		cmocka_unit_test(test_missing_and_bad_files),
		cmocka_unit_test(test_other_or_extra_keys),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
