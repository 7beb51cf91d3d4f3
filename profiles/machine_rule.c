/* Machine rules (machine_rule.h). */
#include "profiles/machine_rule.h"
#include "profiles/disk_rule.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool machine_rule_match(const struct machine_rule *r, const struct machine_facts *f, char *why, size_t why_len)
{
	char tmp[8];
	if (!why) {
		why = tmp;
		why_len = sizeof tmp;
	}
	if (r->mac) {
		bool found = false;
		for (size_t i = 0; i < f->n_nics && !found; i++)
			found = !strcmp(f->nics[i].mac, r->mac);
		if (!found) {
			snprintf(why, why_len, "no network card has MAC %s", r->mac);
			return false;
		}
	}
	if (r->dmi_serial && !f->dmi_serial) {
		snprintf(why, why_len, "it reports no DMI serial, the rule wants \"%s\"", r->dmi_serial);
		return false;
	}
	if (r->dmi_serial && strcmp(f->dmi_serial, r->dmi_serial)) {
		snprintf(why, why_len, "its DMI serial \"%s\" is not \"%s\"", f->dmi_serial, r->dmi_serial);
		return false;
	}
	if (r->dmi_uuid && !f->dmi_uuid) {
		snprintf(why, why_len, "it reports no DMI UUID, the rule wants %s", r->dmi_uuid);
		return false;
	}
	if (r->dmi_uuid && strcmp(f->dmi_uuid, r->dmi_uuid)) {
		snprintf(why, why_len, "its DMI UUID %s is not %s", f->dmi_uuid, r->dmi_uuid);
		return false;
	}
	return true;
}

char *machine_rule_text(const struct machine_rule *r)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{");
	static const char *const names[] = { "mac", "dmi_serial", "dmi_uuid" };
	const char *const vals[] = { r->mac, r->dmi_serial, r->dmi_uuid };
	const char *sep = "";
	for (size_t i = 0; i < 3; i++)
		if (vals[i]) {
			buf_printf(&b, "%s%s: ", sep, names[i]);
			rule_quote(&b, vals[i]);
			sep = ", ";
		}
	buf_puts(&b, "}");
	return buf_steal(&b);
}

char *machine_facts_text(const struct machine_facts *f)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, f->n_nics ? "NICs" : "no network card");
	for (size_t i = 0; i < f->n_nics; i++)
		buf_printf(&b, "%s %s %s", i ? "," : "", f->nics[i].name, f->nics[i].mac);
	buf_puts(&b, "; DMI serial ");
	if (f->dmi_serial)
		rule_quote(&b, f->dmi_serial);
	else
		buf_puts(&b, "none");
	buf_printf(&b, "; DMI UUID %s", f->dmi_uuid ? f->dmi_uuid : "none");
	return buf_steal(&b);
}

const char *machine_rule_shared(const struct machine_rule *a, const struct machine_rule *b, const char **value)
{
	static const char *const names[] = { "mac", "dmi_serial", "dmi_uuid" };
	const char *const va[] = { a->mac, a->dmi_serial, a->dmi_uuid };
	const char *const vb[] = { b->mac, b->dmi_serial, b->dmi_uuid };
	for (size_t i = 0; i < 3; i++)
		if (va[i] && vb[i] && !strcmp(va[i], vb[i])) {
			*value = va[i];
			return names[i];
		}
	*value = NULL;
	return NULL;
}

void machine_rule_copy(struct machine_rule *dst, const struct machine_rule *src)
{
	*dst = *src;
	dst->mac = src->mac ? xstrdup(src->mac) : NULL;
	dst->dmi_serial = src->dmi_serial ? xstrdup(src->dmi_serial) : NULL;
	dst->dmi_uuid = src->dmi_uuid ? xstrdup(src->dmi_uuid) : NULL;
}

void machine_rule_free(struct machine_rule *r)
{
	free(r->mac);
	free(r->dmi_serial);
	free(r->dmi_uuid);
	memset(r, 0, sizeof *r);
}
