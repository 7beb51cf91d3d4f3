/* What the state directory unit tests (test_installer_state.c,
 * test_installer_keystore.c) share: a fresh temporary directory per test,
 * the log captured in fx_logged, and files put into the directory. */
#ifndef KILN_TEST_STATE_FIXTURE_H
#define KILN_TEST_STATE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static char fx_logged[8192];

static void fx_sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl, (void)ud;
	size_t n = strlen(fx_logged);
	snprintf(fx_logged + n, sizeof fx_logged - n, "%s\n", msg);
}

/* A new private directory (malloc'd path), or NULL; the log goes to fx_logged. */
static char *fx_dir(void)
{
	char *d = xstrdup("/tmp/kiln-state-test.XXXXXX");
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	fx_logged[0] = '\0';
	log_set_sink(fx_sink, NULL);
	return d;
}

/* Removes the directory, frees its path, gives the log back to stderr. */
static int fx_cleanup(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	int r = system(cmd);
	free(cmd);
	free(d);
	log_set_sink(NULL, NULL);
	return r == 0 ? 0 : -1;
}

static int fx_put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *p = path_join(dir, name);
	int r = write_file_atomic(p, text, strlen(text), mode);
	free(p);
	return r;
}
#endif
