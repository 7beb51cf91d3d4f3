/* firstboot/seed_medium: once read, the file or device that carried the
 * seed is root's alone, and for media a udev rule keeps it so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "firstboot/agent.h"
#include "firstboot/seed_medium.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "tmpdir_fixture.h"

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static struct agent a;

static mode_t mode_of(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static void test_a_seed_file_becomes_root_only_and_no_rule_is_written(void **state)
{
	(void)state;
	char *p = path_join(tmpdir, "seed");
	assert_int_equal(write_file_atomic(p, "kiln-seed:1;...\n", 16, 0644), 0);
	seed_medium_conceal(&a, p, false);
	assert_int_equal(mode_of(p), 0600);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, geteuid() == 0 ? 0 : geteuid());
	char *rule = agent_path(&a, SEED_MEDIA_UDEV_RULE);
	assert_int_equal(access(rule, F_OK), -1);
	free(rule);
	free(p);
}

static void test_media_get_a_udev_rule_written_once(void **state)
{
	(void)state;
	char *iso = path_join(tmpdir, "sr0"), *rule = agent_path(&a, SEED_MEDIA_UDEV_RULE), *text;
	assert_int_equal(write_file_atomic(iso, "ISO", 3, 0660), 0);
	seed_medium_conceal(&a, iso, true);
	assert_int_equal(mode_of(iso), 0600);
	assert_int_equal(read_file(rule, 4096, &text, NULL), 0);
	/* Every CD-ROM and every KILN_SEED volume: root:root 0600, final, no seat ACL. */
	assert_non_null(strstr(text, "SUBSYSTEM==\"block\", KERNEL==\"sr[0-9]*\", OWNER:=\"root\", GROUP:=\"root\", "
				     "MODE:=\"0600\", TAG-=\"uaccess\"\n"));
	assert_non_null(strstr(text, "SUBSYSTEM==\"block\", ENV{ID_FS_LABEL}==\"KILN_SEED\", OWNER:=\"root\", "
				     "GROUP:=\"root\", MODE:=\"0600\", TAG-=\"uaccess\"\n"));
	free(text);
	assert_int_equal(mode_of(rule), 0644);
	struct stat before, after;
	assert_int_equal(stat(rule, &before), 0);
	char *log = path_join(a.state_dir, "commands.log"), *cmds;
	assert_int_equal(read_file(log, 4096, &cmds, NULL), 0);
	assert_string_equal(cmds, "udevadm control --reload\n");   /* in force at once */
	free(cmds);
	seed_medium_conceal(&a, iso, true);   /* the next boot: nothing rewritten, nothing reloaded */
	assert_int_equal(stat(rule, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(read_file(log, 4096, &cmds, NULL), 0);
	assert_string_equal(cmds, "udevadm control --reload\n");
	free(cmds);
	free(log);
	free(rule);
	free(iso);
}

static void test_a_fifo_is_not_waited_on(void **state)
{
	(void)state;
	char *fifo = path_join(tmpdir, "fifo");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	alarm(10);
	seed_medium_conceal(&a, fifo, false);   /* a warning, no hang, left alone */
	alarm(0);
	assert_int_equal(mode_of(fifo), 0644);
	free(fifo);
}

static int setup(void **state)
{
	log_set_sink(quiet, NULL);
	if (tmpdir_setup(state) < 0)
		return -1;
	if (agent_init(&a, tmpdir) < 0)
		return -1;
	a.no_services = true;   /* udevadm is recorded, not run */
	return 0;
}

static int teardown(void **state)
{
	agent_free(&a);
	return tmpdir_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_seed_file_becomes_root_only_and_no_rule_is_written),
		cmocka_unit_test(test_media_get_a_udev_rule_written_once),
		cmocka_unit_test(test_a_fifo_is_not_waited_on),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
