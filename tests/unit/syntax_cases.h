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
#include <string.h>

struct syntax_case {
	const char *value;
	const char *why;       /* NULL: allowed; else a substring of the reason */
};

#define SYNTAX_CASES(fn, ...) \
	run_syntax_cases(#fn, fn, (const struct syntax_case[]){ __VA_ARGS__, { NULL, NULL } })

static void run_syntax_cases(const char *name, const char *(*fn)(const char *), const struct syntax_case *c)
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
#endif
