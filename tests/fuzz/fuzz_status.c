/* libFuzzer: /var/lib/kiln/status.json (firstboot/status.c) is the agent's
 * own record, read back after every reboot, crash or power loss. Any bytes
 * load or are refused with -EBADMSG, never a crash, leak or hang. What
 * loads prints, summarises, and survives save + load unchanged. And since
 * step reasons quote other programs and peers, a status whose reason holds
 * the input's bytes must save to a file that loads again: the agent must
 * never write a record it cannot read. */
#include "firstboot/status.h"
#include "tests/fuzz/fuzz_file.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *saved;

static bool same(const struct status *a, const struct status *b)
{
	if (a->n != b->n || a->seed_serial != b->seed_serial || !a->datasource != !b->datasource ||
	    (a->datasource && strcmp(a->datasource, b->datasource)))
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct step *x = &a->steps[i], *y = &b->steps[i];
		if (strcmp(x->name, y->name) || x->state != y->state || x->updated != y->updated ||
		    !x->reason != !y->reason || (x->reason && strcmp(x->reason, y->reason)) ||
		    x->started_ms != y->started_ms || x->ms != y->ms || x->n_phases != y->n_phases)
			return false;
		for (size_t k = 0; k < x->n_phases; k++)
			if (strcmp(x->phases[k].name, y->phases[k].name) || x->phases[k].ms != y->phases[k].ms)
				return false;
	}
	return true;
}

/* RFC 3629 UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF), written here independently of lib/json.c. */
static bool utf8_valid(const unsigned char *p)
{
	while (*p) {
		unsigned n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : 9;
		if (n == 9)
			return false;
		uint32_t c = n ? *p & (0x3f >> n) : *p;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* Save and load back: the agent can always read what it wrote; and unless
 * the text was not UTF-8 to begin with (the writer then replaces the bad
 * bytes), it reads back exactly what it wrote. */
static void round_trip(const struct status *s, bool exact)
{
	struct status t;
	if (status_save(saved, s) < 0)
		abort();
	if (status_load(saved, &t) < 0 || (exact && !same(s, &t)))
		abort();
	status_free(&t);
	unlink(saved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!saved)
		saved = fuzz_path("status.json");
	/* A real file: the agent opens its status without following links. */
	char *in = fuzz_file("in.json", data, size);
	struct status s;
	int r = status_load(in, &s);
	unlink(in);
	free(in);
	if (r == 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		status_print(&s, f, false);
		status_print(&s, f, true);
		fclose(f);
		free(text);
		char line[256];
		status_summary(&s, line, sizeof line);
		round_trip(&s, true);   /* libyaml hands out valid UTF-8 only */
		status_free(&s);
	} else if (r != -EBADMSG)
		abort();

	/* A reason (and datasource) made of the input's bytes, up to a NUL. */
	struct status w = { 0 };
	char *reason = xstrndup((const char *)data, size);
	status_set(&w, "join", STEP_FAILED, "%s", reason);
	w.datasource = reason;
	round_trip(&w, utf8_valid((const unsigned char *)reason));
	status_free(&w);
	return 0;
}
