/* Table-driven tests for the validators in profiles/syntax.h: each value is
 * either allowed (NULL) or refused with a reason containing `why`. */
#ifndef KILN_TEST_SYNTAX_CASES_H
#define KILN_TEST_SYNTAX_CASES_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/fileio.h"
#include "lib/xalloc.h"

struct syntax_case {
	const char *value;
	const char *why;       /* NULL: allowed; else a substring of the reason */
};

#define SYNTAX_CASES(fn, ...) \
	run_syntax_cases(#fn, fn, (const struct syntax_case[]){ __VA_ARGS__, { NULL, NULL } })

static inline void run_syntax_cases(const char *name, const char *(*fn)(const char *), const struct syntax_case *c)
{
	size_t bad = 0;
	for (; c->value; c++) {
		const char *got = fn(c->value);
		bool ok = c->why ? got && strstr(got, c->why) : !got;
		if (!ok) {
			print_error("%s(\"%s\"): wanted %s%s%s, got %s\n", name, c->value, c->why ? "'" : "allowed",
				    c->why ? c->why : "", c->why ? "'" : "", got ? got : "allowed");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}
/* Real tools as oracles: `text` is written to a scratch file, `cmd` (with
 * one %s for that file's path) runs with its output captured; the exit
 * status is returned and the output put in *out (malloc'd). Returns -1
 * without running anything when `probe` (a command) fails: the tool is not
 * installed, and the caller skips. */
static inline int oracle(const char *probe, const char *name, const char *text, const char *cmd, char **out)
{
	if (system(probe) != 0) {
		print_message("%s: not installed, skipped\n", probe);
		return -1;
	}
	char dir[] = "/tmp/kiln-oracle-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *file = path_join(dir, name), *log = path_join(dir, "out");
	assert_int_equal(write_file_atomic(file, text, strlen(text), 0600), 0);
	char *run = xasprintf(cmd, file), *full = xasprintf("%s >%s 2>&1", run, log);
	int rc = system(full);
	assert_int_equal(read_file(log, 1 << 16, out, NULL), 0);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(full);
	free(run);
	free(log);
	free(file);
	return rc;
}
#endif
