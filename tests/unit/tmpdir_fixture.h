/* A scratch directory for one test binary: pass tmpdir_setup and
 * tmpdir_teardown to cmocka_run_group_tests; tmpdir is its path. */
#ifndef KILN_TEST_TMPDIR_FIXTURE_H
#define KILN_TEST_TMPDIR_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>

static char tmpdir[] = "/tmp/kiln-unit-XXXXXX";

static int tmpdir_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmpdir_teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}
#endif
