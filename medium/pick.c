/* The host a per-role medium installs (pick.h). */
#include "medium/pick.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "profiles/machine_rule.h"
#include <stdlib.h>
#include <string.h>

void media_pick_host(const struct media_candidate *v, size_t n, const struct machine_facts *f,
		     struct media_pick *out)
{
	memset(out, 0, sizeof *out);
	out->pick = -1;
	out->n = n;
	out->notes = xcalloc(n ? n : 1, sizeof *out->notes);
	if (n == 1 && !v[0].rule->set) {
		out->notes[0] = xstrdup("-> the medium's only host; no install.machine rule, so any machine");
		out->pick = 0;
		return;
	}
	size_t matched = 0;
	char why[256];
	for (size_t i = 0; i < n; i++) {
		if (!v[i].rule->set)
			out->notes[i] = xstrdup("no install.machine rule: a medium with several hosts installs only a "
						"host whose rule matches");
		else if (!machine_rule_match(v[i].rule, f, why, sizeof why))
			out->notes[i] = xstrdup(why);
		else if (!matched++)
			out->pick = (ssize_t)i;
	}
	if (matched == 1) {
		out->notes[out->pick] = xasprintf("-> this machine: %s is installed", v[out->pick].host);
		return;
	}
	if (!matched) {
		out->stop = xstrdup(n == 1 ? "this machine does not match the host's install.machine rule"
					   : "this machine matches no host's install.machine rule");
		return;
	}
	struct buf names;
	buf_init(&names);
	for (size_t i = 0; i < n; i++)
		if (!out->notes[i]) {
			out->notes[i] = xstrdup("matches, as does another host's rule");
			buf_printf(&names, "%s%s", names.len ? ", " : "", v[i].host);
		}
	out->stop = xasprintf("this machine matches the install.machine rules of %zu hosts (%s): kiln never "
			      "guesses; make the rules tell them apart", matched, names.data);
	buf_free(&names);
	out->pick = -1;
}

void media_pick_free(struct media_pick *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p->stop);
	memset(p, 0, sizeof *p);
	p->pick = -1;
}

void media_pick_print(const struct media_pick *p, const struct media_candidate *v, const struct machine_facts *f,
		      FILE *out)
{
	char *facts = machine_facts_text(f);
	fprintf(out, "  this machine: %s\n", facts);
	free(facts);
	for (size_t i = 0; i < p->n; i++) {
		char *rule = v[i].rule->set ? machine_rule_text(v[i].rule) : xstrdup("none");
		fprintf(out, "  %-16s install.machine: %s\n  %-16s %s\n", v[i].host, rule, "", p->notes[i]);
		free(rule);
	}
}
