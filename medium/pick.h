/* Which of a medium's hosts this machine is. A per-host medium carries one
 * seed; a per-role medium (kiln build --per-role) the seeds of several
 * hosts of one role, each with the install.machine rule its profile gives
 * (profiles/machine_rule.h). The one host whose rule the machine's facts
 * (lib/machineinfo.h: MAC addresses, DMI serial and UUID) match is the
 * one; none or several stop the installer, which prints every host's rule,
 * the facts and why each rule failed. A medium with one host and no rule
 * installs that host on any machine, as before. Nothing is written here. */
#ifndef KILN_MEDIUM_PICK_H
#define KILN_MEDIUM_PICK_H
#include "lib/machineinfo.h"
#include "profiles/model.h"
#include <stdio.h>
#include <sys/types.h>

struct media_candidate {
	const char *host;                 /* the seed's host */
	const struct machine_rule *rule;  /* its install.machine (unset: none) */
};

struct media_pick {
	ssize_t pick;                     /* index into the candidates, or -1 */
	char **notes;                     /* [n]: why each is (not) the one */
	size_t n;
	char *stop;                       /* why the installer stops; NULL: go */
};

void media_pick_host(const struct media_candidate *v, size_t n, const struct machine_facts *f,
		     struct media_pick *out);
void media_pick_free(struct media_pick *p);

/* The machine's facts, then every host with its rule and note, for the console. */
void media_pick_print(const struct media_pick *p, const struct media_candidate *v, const struct machine_facts *f,
		      FILE *out);
#endif
