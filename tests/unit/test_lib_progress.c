/* lib/progress.c: the bar on a terminal, the plain lines elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/progress.h"

#define MiB (1024 * 1024ULL)

static char *text(FILE *f)
{
	fflush(f);
	long n = ftell(f);
	char *b = calloc(1, (size_t)n + 1);
	rewind(f);
	if (fread(b, 1, (size_t)n, f) != (size_t)n)
		abort();
	return b;
}

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_plain_lines(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct progress_bar p;
	progress_bar_init(&p, "writing", f);
	assert_false(p.tty);
	progress_bar_update(&p, 0, 100 * MiB, false);
	progress_bar_update(&p, 10 * MiB, 100 * MiB, false);   /* within the interval: quiet */
	progress_bar_update(&p, 100 * MiB, 100 * MiB, true);
	progress_bar_update(&p, 100 * MiB, 100 * MiB, true);   /* the end is said once */
	char *t = text(f);
	assert_int_equal(count(t, "\n"), 2);
	assert_int_equal(count(t, "\r"), 0);
	assert_non_null(strstr(t, "kiln: writing: 0% (0 of 100 MiB), 0.0 MiB/s, ETA --:--\n"));
	assert_non_null(strstr(t, "kiln: writing: 100% (100 of 100 MiB)"));
	free(t);
	fclose(f);
}

static void test_bar(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct progress_bar p;
	progress_bar_init(&p, "hashing", f);
	p.tty = true;
	progress_bar_update(&p, 0, 4 * MiB, false);
	p.start -= 2.0;                 /* two seconds in: 1 MiB done => 0.5 MiB/s */
	p.last -= 1.0;
	progress_bar_update(&p, MiB, 4 * MiB, false);
	assert_true(p.open_line);
	progress_bar_break(&p);
	assert_false(p.open_line);
	progress_bar_update(&p, 4 * MiB, 4 * MiB, true);
	char *t = text(f);
	assert_non_null(strstr(t, "\rkiln: hashing [######..................]  25%  1/4 MiB  0.5 MiB/s  ETA 0:06"));
	assert_non_null(strstr(t, "[########################] 100%"));
	assert_int_equal(t[strlen(t) - 1], '\n');
	free(t);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_bar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
