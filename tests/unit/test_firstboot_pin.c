/* firstboot/pin: who this host is, kept root-only, read back strictly. */
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
#include "firstboot/pin.h"
#include "lib/fileio.h"
#include "tmpdir_fixture.h"

static void test_save_load_roundtrip_root_only(void **state)
{
	(void)state;
	char *p = path_join(tmpdir, PIN_FILE);
	struct pin pin, back;
	assert_int_equal(pin_set(&pin, "acme", "db2"), 0);
	assert_int_equal(pin_save(p, &pin), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(pin_load(p, &back), 0);
	assert_string_equal(back.deployment, "acme");
	assert_string_equal(back.host, "db2");
	assert_true(pin_matches(&back, "acme", "db2"));
	assert_false(pin_matches(&back, "acme", "db1"));    /* the primary's seed on the replica */
	assert_false(pin_matches(&back, "acme2", "db2"));   /* same name, other deployment */
	assert_false(pin_matches(&back, "acme", "db"));     /* no prefix matches */
	free(p);
}

static void test_names_must_be_seed_names(void **state)
{
	(void)state;
	struct pin pin;
	static const char *const bad[] = { "", "DB1", "db_1", "db1\n", "a b", "../x",
		"a234567890123456789012345678901234567890123456789012345678901234" /* 64 */ };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(pin_set(&pin, "acme", bad[i]), -EINVAL);
		assert_int_equal(pin_set(&pin, bad[i], "db1"), -EINVAL);
	}
	assert_int_equal(pin_set(&pin, NULL, "db1"), -EINVAL);
	/* A pin renamed from its own fields (repurpose keeps the deployment). */
	assert_int_equal(pin_set(&pin, "acme", "db2"), 0);
	assert_int_equal(pin_set(&pin, pin.deployment, "db1"), 0);
	assert_string_equal(pin.deployment, "acme");
	assert_string_equal(pin.host, "db1");
	struct pin bad_pin = { .deployment = "acme", .host = "DB" };
	char *p = path_join(tmpdir, "never");
	assert_int_equal(pin_save(p, &bad_pin), -EINVAL);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
}

static void test_load_refuses_anything_but_a_pin(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"deployment=acme\nhost=db1",                 /* torn: no final newline */
		"deployment=acme\n",                         /* no host */
		"host=db1\ndeployment=acme\n",               /* order */
		"deployment=acme\nhost=db1\nhost=db2\n",     /* more */
		"deployment=acme\nhost=DB1\n",               /* not a name */
		"deployment=acme\n\nhost=db1\n",             /* blank line */
		"deployment= acme\nhost=db1\n",              /* blank */
		"deployment=acme\nhost=db1\n\n",             /* trailing line */
		"",
	};
	char *p = path_join(tmpdir, "bad");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(write_file_atomic(p, bad[i], strlen(bad[i]), 0600), 0);
		struct pin pin;
		assert_int_equal(pin_load(p, &pin), -EBADMSG);
	}
	free(p);
}

static void test_load_checks_the_file_itself(void **state)
{
	(void)state;
	char *p = path_join(tmpdir, "checked"), *link = path_join(tmpdir, "link");
	struct pin pin;
	assert_int_equal(pin_load(p, &pin), -ENOENT);   /* not pinned yet */
	assert_int_equal(pin_set(&pin, "acme", "db1"), 0);
	assert_int_equal(pin_save(p, &pin), 0);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(pin_load(p, &pin), -EPERM);    /* must be root-only */
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(pin_load(link, &pin), -ELOOP);
	assert_int_equal(pin_load(tmpdir, &pin), -EISDIR);
	free(p);
	free(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_load_roundtrip_root_only),
		cmocka_unit_test(test_names_must_be_seed_names),
		cmocka_unit_test(test_load_refuses_anything_but_a_pin),
		cmocka_unit_test(test_load_checks_the_file_itself),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
