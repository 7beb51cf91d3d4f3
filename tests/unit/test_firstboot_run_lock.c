/* firstboot/run_lock: one first-boot run at a time, and status can tell
 * that one is going. flock(2) locks belong to open file descriptions, so a
 * second open in this process sees the first as another run would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "firstboot/run_lock.h"
#include "lib/appliance.h"
#include "lib/fileio.h"
#include "tmpdir_fixture.h"

static char *dir_for(const char *name)
{
	return path_join(tmpdir, name);
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void test_no_run_yet_is_not_running(void **state)
{
	(void)state;
	char *d = dir_for("fresh");
	assert_int_equal(run_lock_held(d), 0);   /* not even the directory */
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(run_lock_held(d), 0);   /* no lock file: no run since the image was built */
	free(d);
}

static void test_held_while_the_run_keeps_it_and_not_after(void **state)
{
	(void)state;
	char *d = dir_for("state/var/lib/kiln");   /* created on the way */
	int fd = run_lock_take(d);
	assert_true(fd >= 0);
	char *p = path_join(d, KILN_RUN_LOCK_NAME);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);   /* status is for everyone; the file holds nothing */
	assert_int_equal(run_lock_held(d), 1);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);   /* no child keeps it past the run */
	close(fd);
	assert_int_equal(run_lock_held(d), 0);
	fd = run_lock_take(d);   /* taken again once free: nothing stale */
	assert_true(fd >= 0);
	close(fd);
	free(p);
	free(d);
}

/* A run that dies holding it leaves no stale lock; a second run waits for the first. */
static void test_a_second_run_waits_for_the_first_to_end(void **state)
{
	(void)state;
	char *d = dir_for("wait");
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = run_lock_take(d);
		char c = fd >= 0 ? 'y' : 'n';
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		usleep(400 * 1000);
		_exit(0);   /* the lock goes with the process, as with a crash */
	}
	char c = 0;
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(run_lock_held(d), 1);
	long t0 = now_ms();
	int fd = run_lock_take(d);
	long waited = now_ms() - t0;
	assert_true(fd >= 0);
	assert_true(waited >= 200);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
	close(go[0]);
	close(go[1]);
	free(d);
}

static void test_a_state_dir_that_cannot_be_made_is_an_error(void **state)
{
	(void)state;
	char *f = dir_for("a-file");
	assert_int_equal(write_file_atomic(f, "x", 1, 0644), 0);
	char *d = path_join(f, "kiln");
	assert_true(run_lock_take(d) < 0);
	assert_int_equal(run_lock_held(d), -ENOTDIR);
	free(d);
	free(f);
}

/* The lock file is opened without following a symlink an attacker may plant. */
static void test_a_symlinked_lock_file_is_refused(void **state)
{
	(void)state;
	char *d = dir_for("link");
	assert_int_equal(mkdir(d, 0755), 0);
	char *p = path_join(d, KILN_RUN_LOCK_NAME);
	char *target = dir_for("elsewhere");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(run_lock_take(d), -ELOOP);
	assert_int_equal(run_lock_held(d), -ELOOP);
	struct stat st;
	assert_int_equal(lstat(target, &st), -1);   /* nothing created through the link */
	free(target);
	free(p);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_run_yet_is_not_running),
		cmocka_unit_test(test_held_while_the_run_keeps_it_and_not_after),
		cmocka_unit_test(test_a_second_run_waits_for_the_first_to_end),
		cmocka_unit_test(test_a_state_dir_that_cannot_be_made_is_an_error),
		cmocka_unit_test(test_a_symlinked_lock_file_is_refused),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
