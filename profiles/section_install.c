/* install: how the installer media put a host on its disks (docs/profile.md).
 * The top-level install: is every host's default; a host's own install:
 * replaces the keys it gives (a rule is replaced whole). */
#include "lib/machineinfo.h"
#include "profiles/disk_rule.h"
#include "profiles/machine_rule.h"
#include "profiles/schema.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GLOB_MAX 128
#define SIZE_GIB_MAX 1048576   /* 1 PiB */
#define SERIAL_MAX 64           /* SMBIOS strings are short; the kernel shows at most 64 */

static const char *const install_keys[] = { "machine", "disk", "data_disk", "unattended", "wipe", NULL };
static const char *const machine_keys[] = { "mac", "dmi_serial", "dmi_uuid", NULL };
/* What firmware reports when nobody set a serial (SMBIOS leaves it to the
 * vendor): a rule naming one would match every such machine. */
static const char *const placeholder_serials[] = { "To Be Filled By O.E.M.", "Default string",
	"System Serial Number", "Not Specified", "Not Applicable", "None", "0", "0123456789", NULL };
static const char *const rule_keys[] = { "size_gib", "model", "serial", "by_path", "rotational", NULL };

/* A glob the installer and the agent hand to fnmatch(3): one line of
 * printable ASCII. */
static void get_glob(struct ctx *c, const struct ynode *map, const char *key, const char *what, char **out)
{
	const struct ynode *n = ytree_get(map, key);
	if (!n || !scalar_str(c, n, key, out))
		return;
	size_t len = strlen(*out);
	bool printable = true;
	for (const char *p = *out; *p; p++)
		printable &= *p >= 0x20 && *p < 0x7f;
	if (!len || len > GLOB_MAX || !printable) {
		err_at(c, n, "%s.%s must be a glob of 1-%d printable ASCII characters", what, key, GLOB_MAX);
		free(*out);
		*out = NULL;
	}
}

static void get_size(struct ctx *c, const struct ynode *map, const char *what, struct disk_rule *r)
{
	const struct ynode *n = ytree_get(map, "size_gib");
	if (!n)
		return;
	if (n->type != YN_SEQ || n->n != 2) {
		err_at(c, n, "%s.size_gib must be a list of two integers [MIN, MAX] (GiB, inclusive)", what);
		return;
	}
	unsigned lo, hi;
	if (!scalar_uint(c, n->items[0], "size_gib", 1, SIZE_GIB_MAX, &lo) ||
	    !scalar_uint(c, n->items[1], "size_gib", 1, SIZE_GIB_MAX, &hi))
		return;
	if (lo > hi) {
		err_at(c, n, "%s.size_gib [%u, %u]: the minimum is larger than the maximum", what, lo, hi);
		return;
	}
	r->has_size = true;
	r->size_min_gib = lo;
	r->size_max_gib = hi;
}

static void parse_rule(struct ctx *c, const struct ynode *n, const char *what, struct disk_rule *r)
{
	disk_rule_free(r);
	r->pos = pos_of(c, n);
	if (!expect_map(c, n, what, rule_keys))
		return;
	r->set = true;
	get_size(c, n, what, r);
	get_glob(c, n, "model", what, &r->model);
	get_glob(c, n, "serial", what, &r->serial);
	get_glob(c, n, "by_path", what, &r->by_path);
	bool rot;
	if (get_bool(c, n, "rotational", &rot))
		r->rotational = rot;
}

static char *machine_mac(struct ctx *c, const struct ynode *v, const char *s)
{
	char mac[MAC_TEXT_LEN];
	if (mac_canonical(s, mac) < 0)
		err_at(c, v, "install.machine.mac '%s' is not a MAC address (six hex pairs aa:bb:cc:dd:ee:ff)", s);
	else if (strtoul((char[]){ mac[0], mac[1], 0 }, NULL, 16) & 1)
		err_at(c, v, "install.machine.mac %s is a multicast address: no network card has it", mac);
	else if (!strcmp(mac, "00:00:00:00:00:00"))
		err_at(c, v, "install.machine.mac 00:00:00:00:00:00 is no network card's address");
	else
		return xstrdup(mac);
	return NULL;
}

static char *machine_serial(struct ctx *c, const struct ynode *v, const char *s)
{
	size_t len = strlen(s);
	bool printable = true;
	for (const char *p = s; *p; p++)
		printable &= *p >= 0x20 && *p < 0x7f;
	if (!len || len > SERIAL_MAX || !printable || s[0] == ' ' || s[len - 1] == ' ') {
		err_at(c, v, "install.machine.dmi_serial must be 1-%d printable ASCII characters without leading "
		       "or trailing spaces", SERIAL_MAX);
		return NULL;
	}
	for (size_t i = 0; placeholder_serials[i]; i++)
		if (!strcasecmp(s, placeholder_serials[i])) {
			err_at(c, v, "install.machine.dmi_serial \"%s\" is what firmware says when no serial was set: it "
			       "would match every such machine (use mac or dmi_uuid)", s);
			return NULL;
		}
	return xstrdup(s);
}

static char *machine_uuid(struct ctx *c, const struct ynode *v, const char *s)
{
	char u[UUID_TEXT_LEN];
	if (uuid_canonical(s, u) < 0)
		err_at(c, v, "install.machine.dmi_uuid '%s' is not a UUID (8-4-4-4-12 hex digits)", s);
	else if (!strcmp(u, "00000000-0000-0000-0000-000000000000") || !strcmp(u, "ffffffff-ffff-ffff-ffff-ffffffffffff"))
		err_at(c, v, "install.machine.dmi_uuid %s is SMBIOS's \"not set\" or \"not present\" value", u);
	else
		return xstrdup(u);
	return NULL;
}

/* install.machine: a host's own, naming the machine (docs/profile.md). */
static void parse_machine(struct ctx *c, const struct ynode *n, struct machine_rule *r)
{
	machine_rule_free(r);
	r->pos = pos_of(c, n);
	if (!expect_map(c, n, "install.machine", machine_keys))
		return;
	if (!n->n) {
		err_at(c, n, "install.machine needs at least one of mac, dmi_serial, dmi_uuid");
		return;
	}
	r->set = true;
	static char *(*const check[])(struct ctx *, const struct ynode *, const char *) = {
		machine_mac, machine_serial, machine_uuid,
	};
	char **const out[] = { &r->mac, &r->dmi_serial, &r->dmi_uuid };
	for (size_t i = 0; i < 3; i++) {
		const struct ynode *v = ytree_get(n, machine_keys[i]);
		char *s = NULL;
		if (v && scalar_str(c, v, machine_keys[i], &s))
			*out[i] = check[i](c, v, s);
		free(s);
	}
}

/* n's keys into s, over what s holds. */
static void parse_install_into(struct ctx *c, const struct ynode *n, struct install_settings *s)
{
	if (!expect_map(c, n, "install", install_keys))
		return;
	s->pos = pos_of(c, n);
	const struct ynode *v;
	if ((v = ytree_get(n, "machine")))
		parse_machine(c, v, &s->machine);
	if ((v = ytree_get(n, "disk")))
		parse_rule(c, v, "install.disk", &s->disk);
	if ((v = ytree_get(n, "data_disk")))
		parse_rule(c, v, "install.data_disk", &s->data_disk);
	get_bool(c, n, "unattended", &s->unattended);
	get_bool(c, n, "wipe", &s->wipe);
}

void install_defaults(struct install_settings *s)
{
	memset(s, 0, sizeof *s);
	s->disk.rotational = s->data_disk.rotational = -1;
}

void parse_install_top(struct ctx *c, const struct ynode *root)
{
	install_defaults(&c->m->install);
	const struct ynode *n = ytree_get(root, "install");
	if (!n)
		return;
	parse_install_into(c, n, &c->m->install);
	const struct ynode *mach = n->type == YN_MAP ? ytree_get(n, "machine") : NULL;
	if (mach) {
		err_at(c, mach, "install.machine names one machine: give it in a host's own install:, not the "
		       "top-level one");
		machine_rule_free(&c->m->install.machine);
	}
}

void parse_install_host(struct ctx *c, const struct ynode *n, struct host *h)
{
	install_settings_copy(&h->install, &c->m->install);
	const struct ynode *own = ytree_get(n, "install");
	if (own)
		parse_install_into(c, own, &h->install);
	struct disk_rule *d = &h->install.data_disk;
	if (h->role < ROLE__COUNT && !role_keeps_data(h->role) && d->set) {
		if (own && ytree_get(own, "data_disk"))
			err_at(c, ytree_get(own, "data_disk"), "install.data_disk: host '%s' has role %s, which keeps "
			       "no data disk", h->name ? h->name : "?", role_name(h->role));
		disk_rule_free(d);   /* the top-level rule is for the roles that keep data */
	}
}

/* A MAC, serial or UUID names one machine: two hosts of a role whose rules
 * both name it could be picked on the same machine by their role's medium. */
static void check_machines(struct ctx *c)
{
	const struct model *m = c->m;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *a = &m->hosts[i];
		for (size_t k = 0; a->install.machine.set && k < i; k++) {
			const struct host *b = &m->hosts[k];
			const char *value, *key;
			if (b->role != a->role || !b->install.machine.set ||
			    !(key = machine_rule_shared(&a->install.machine, &b->install.machine, &value)))
				continue;
			const struct src_pos *p = &a->install.machine.pos;
			diags_add(c->d, c->file, p->line ? p->line : 1, p->col ? p->col : 1,
				  "install.machine.%s \"%s\" of host '%s' is also host '%s''s: two %s hosts naming one "
				  "machine could not be told apart by the %s medium", key, value, a->name ? a->name : "?",
				  b->name ? b->name : "?", role_name(a->role), role_name(a->role));
			break;
		}
	}
}

/* After every host is known: the OS disk rule must admit a disk that holds
 * the role's image, which is as large as the role's largest os_disk_gib;
 * no two hosts of a role name one machine. */
void check_install(struct ctx *c)
{
	const struct model *m = c->m;
	check_machines(c);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		const struct disk_rule *os = &h->install.disk;
		if (h->role >= ROLE__COUNT || !os->has_size)
			continue;
		struct role_sizing sz;
		role_sizing(m, h->role, &sz);
		if (os->size_max_gib < sz.os_disk_gib)
			diags_add(c->d, c->file, os->pos.line ? os->pos.line : 1, os->pos.col ? os->pos.col : 1,
				  "install.disk.size_gib allows at most %u GiB, but the %s image host '%s' gets is "
				  "%u GiB (os_disk_gib): no disk the rule accepts can hold it", os->size_max_gib,
				  role_name(h->role), h->name ? h->name : "?", sz.os_disk_gib);
	}
}
