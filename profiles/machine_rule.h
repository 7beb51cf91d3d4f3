/* A host's machine rule (struct machine_rule, model.h: install.machine)
 * against the facts of the machine the installer runs on
 * (lib/machineinfo.h). A per-role installer medium carries the seeds of
 * several hosts and installs the one host whose rule matches; kiln check
 * refuses rules two hosts of a role could share. */
#ifndef KILN_MACHINE_RULE_H
#define KILN_MACHINE_RULE_H
#include "lib/machineinfo.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <stddef.h>

/* Does the machine satisfy r (every key given)? When it does not, why (may
 * be NULL) says which key failed first: "no network card has MAC
 * 52:54:00:00:00:01", "its DMI serial \"X\" is not \"Y\"". */
bool machine_rule_match(const struct machine_rule *r, const struct machine_facts *f, char *why, size_t why_len);

/* The rule as one line of YAML flow ("{mac: \"52:54:00:12:34:56\"}"), malloc'd. */
char *machine_rule_text(const struct machine_rule *r);

/* The facts as one line ("NICs enp1s0 52:54:00:12:34:56; DMI serial \"S1\";
 * DMI UUID ..."), malloc'd. */
char *machine_facts_text(const struct machine_facts *f);

/* A value two rules both name (a MAC, serial or UUID identifies one
 * machine, so two hosts naming it could be the same machine): the key's
 * name ("mac") and the value in *value, or NULL when none is shared. */
const char *machine_rule_shared(const struct machine_rule *a, const struct machine_rule *b, const char **value);

void machine_rule_copy(struct machine_rule *dst, const struct machine_rule *src);
void machine_rule_free(struct machine_rule *r);
#endif
