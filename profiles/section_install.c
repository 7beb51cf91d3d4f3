/* install: how the installer media put a host on its disks (docs/profile.md).
 * The top-level install: is every host's default; a host's own install:
 * replaces the keys it gives (a rule is replaced whole). */
#include "profiles/disk_rule.h"
#include "profiles/schema.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

#define GLOB_MAX 128
#define SIZE_GIB_MAX 1048576   /* 1 PiB */

static const char *const install_keys[] = { "disk", "data_disk", "unattended", "wipe", NULL };
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

/* n's keys into s, over what s holds. */
static void parse_install_into(struct ctx *c, const struct ynode *n, struct install_settings *s)
{
	if (!expect_map(c, n, "install", install_keys))
		return;
	s->pos = pos_of(c, n);
	const struct ynode *v;
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
	if (n)
		parse_install_into(c, n, &c->m->install);
}

void parse_install_host(struct ctx *c, const struct ynode *n, struct host *h)
{
	install_settings_copy(&h->install, &c->m->install);
	const struct ynode *own = ytree_get(n, "install");
	if (own)
		parse_install_into(c, own, &h->install);
	struct disk_rule *d = &h->install.data_disk;
	if (h->role == ROLE_APP && d->set) {
		if (own && ytree_get(own, "data_disk"))
			err_at(c, ytree_get(own, "data_disk"), "install.data_disk: host '%s' has role app, which keeps "
			       "no data disk", h->name ? h->name : "?");
		disk_rule_free(d);   /* the top-level rule is for the roles that keep data */
	}
}

/* After every host is known: the OS disk rule must admit a disk that holds
 * the role's image, which is as large as the role's largest os_disk_gib. */
void check_install(struct ctx *c)
{
	const struct model *m = c->m;
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
