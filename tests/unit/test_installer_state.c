/* installer/state.c: the state directory's lock and its transactions, with
 * crashes (a child that _exits mid-way) before and after the commit point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "installer/state.h"
#include "tests/unit/state_fixture.h"

static int set_up(void **state)
{
	*state = fx_dir();
	return *state ? 0 : -1;
}

static int tear_down(void **state)
{
	return fx_cleanup(*state);
}

static char *slurp(const char *dir, const char *name)
{
	char *p = path_join(dir, name), *t = NULL;
	int r = read_file(p, 1 << 20, &t, NULL);
	free(p);
	return r == 0 ? t : NULL;
}

static void expect_file(const char *dir, const char *name, const char *text)
{
	char *t = slurp(dir, name);
	assert_non_null(t);
	assert_string_equal(t, text);
	free(t);
}

static void spit(const char *dir, const char *name, const char *text)
{
	assert_int_equal(fx_put(dir, name, text, 0600), 0);
}

static bool present(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static mode_t mode_of(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

static void test_lock_excludes_and_names_the_holder(void **state)
{
	const char *d = *state;
	int fd = state_lock(d, 1000);
	assert_true(fd >= 0);
	char want[48];
	snprintf(want, sizeof want, "%ld\n", (long)getpid());
	expect_file(d, "lock", want);
	assert_int_equal(mode_of(d, "lock"), 0600);
	/* a second lock (another open file description) waits, says why, gives up */
	assert_int_equal(state_lock(d, 700), -ETIMEDOUT);
	snprintf(want, sizeof want, "another kiln command (pid %ld)", (long)getpid());
	assert_non_null(strstr(fx_logged, "waiting for "));
	assert_non_null(strstr(fx_logged, want));
	assert_non_null(strstr(fx_logged, "is still held by"));
	state_unlock(fd);
	expect_file(d, "lock", "");   /* no stale pid */
	fd = state_lock(d, 0);
	assert_true(fd >= 0);
	state_unlock(fd);
	assert_true(state_lock("/nonexistent/kiln-state", 0) < 0);
}

static void test_commit_writes_every_file(void **state)
{
	const char *d = *state;
	spit(d, "ca.pem", "old");
	struct state_txn t;
	int fd = state_lock(d, 0);
	assert_int_equal(state_txn_begin(&t, d), 0);
	assert_int_equal(state_txn_put(&t, "ca.pem", "new ca", 6, 0644), 0);
	assert_int_equal(state_txn_put(&t, "roles/app.key", "key", 3, 0600), 0);
	assert_true(state_txn_has(&t, "roles/app.key"));
	assert_false(state_txn_has(&t, "roles/app.pub"));
	expect_file(d, "ca.pem", "old");   /* nothing is in place before the commit */
	assert_false(present(d, "roles/app.key"));
	assert_int_equal(state_txn_commit(&t), 0);
	expect_file(d, "ca.pem", "new ca");
	expect_file(d, "roles/app.key", "key");
	assert_int_equal(mode_of(d, "ca.pem"), 0644);
	assert_int_equal(mode_of(d, "roles/app.key"), 0600);
	assert_int_equal(mode_of(d, "roles"), 0700);
	assert_false(present(d, ".txn"));
	/* abort: nothing lands, nothing stays */
	assert_int_equal(state_txn_begin(&t, d), 0);
	assert_int_equal(state_txn_put(&t, "ca.pem", "aborted", 7, 0644), 0);
	state_txn_abort(&t);
	expect_file(d, "ca.pem", "new ca");
	assert_false(present(d, ".txn"));
	state_unlock(fd);
	/* a transaction that cannot begin refuses to stage */
	assert_true(state_txn_begin(&t, "/nonexistent/kiln-state") < 0);
	assert_true(state_txn_put(&t, "x", "x", 1, 0600) < 0);
	assert_true(state_txn_commit(&t) < 0);
}

/* A child stages ca.pem and ca.key, seals the transaction or not, and dies. */
static void crash_after(const char *d, bool seal)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct state_txn t;
		int ok = state_txn_begin(&t, d) == 0 && state_txn_put(&t, "ca.pem", "new ca", 6, 0644) == 0 &&
			 state_txn_put(&t, "ca.key", "new key", 7, 0600) == 0 && (!seal || state_txn_seal(&t) == 0);
		_exit(ok ? 0 : 1);   /* no clean-up: a crash */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_crash_before_commit_point_keeps_the_old_set(void **state)
{
	const char *d = *state;
	spit(d, "ca.pem", "old ca");
	spit(d, "ca.key", "old key");
	crash_after(d, false);
	assert_true(present(d, ".txn/0"));
	int fd = state_lock(d, 0);   /* drops the unsealed transaction */
	assert_true(fd >= 0);
	expect_file(d, "ca.pem", "old ca");
	expect_file(d, "ca.key", "old key");
	assert_false(present(d, ".txn"));
	state_unlock(fd);
}

static void test_crash_after_commit_point_completes_the_set(void **state)
{
	const char *d = *state;
	spit(d, "ca.pem", "old ca");
	crash_after(d, true);
	expect_file(d, "ca.pem", "old ca");   /* sealed, not applied */
	/* even a replay interrupted after its first rename completes */
	char *src = path_join(d, ".txn/0"), *dst = path_join(d, "ca.pem");
	assert_int_equal(rename(src, dst), 0);
	free(src);
	free(dst);
	int fd = state_lock(d, 0);
	assert_true(fd >= 0);
	expect_file(d, "ca.pem", "new ca");
	expect_file(d, "ca.key", "new key");
	assert_int_equal(mode_of(d, "ca.key"), 0600);
	assert_false(present(d, ".txn"));
	state_unlock(fd);
}

static void test_malformed_commit_is_refused(void **state)
{
	const char *d = *state;
	static const char *const bad[] = {
		"0 ../escape\n", "0 /etc/escape\n", "0 .txn/x\n", "0 roles/../../escape\n", "x ca.pem\n",
		"0ca.pem\n", "0 ca.pem", "0 \n", "0 roles/\n", "0 ca pem\n",
	};
	char *txn = path_join(d, ".txn");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		mkdir(txn, 0700);
		spit(d, ".txn/0", "staged");
		spit(d, ".txn/COMMIT", bad[i]);
		fx_logged[0] = '\0';
		assert_int_equal(state_lock(d, 0), -EBADMSG);
		assert_non_null(strstr(fx_logged, "COMMIT is malformed; remove"));
		expect_file(d, ".txn/0", "staged");   /* moved nowhere */
	}
	free(txn);
	assert_false(present(d, "../escape"));
	assert_false(present(d, "escape"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_excludes_and_names_the_holder, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_commit_writes_every_file, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_crash_before_commit_point_keeps_the_old_set, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_crash_after_commit_point_completes_the_set, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_malformed_commit_is_refused, set_up, tear_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
