/* debian: the suite and the archives images are built from (profiles/debian.h). */
#include "profiles/debian.h"
#include "profiles/schema.h"
#include "profiles/syntax.h"
#include <stdlib.h>

/* A URL key: reported at its value when apt could not use it. */
static void get_url(struct ctx *c, const struct ynode *deb, const char *key, char **out)
{
	const char *why;
	if (get_str(c, deb, key, out) && (why = syntax_apt_uri(*out)))
		err_at(c, ytree_get(deb, key), "%s '%s' %s", key, *out, why);
}

void parse_debian(struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "suite", "mirror", "updates", "security", "security_mirror",
					    "snapshot", "snapshot_mirror", NULL };
	struct debian_settings *d = &c->m->debian;
	const char *why;
	d->updates = d->security = true;
	const struct ynode *deb = ytree_get(root, "debian");
	if (deb && expect_map(c, deb, "debian", keys)) {
		if (get_str(c, deb, "suite", &d->suite) && !debian_suite_find(d->suite)) {
			char *known = debian_suites_list();
			err_at(c, ytree_get(deb, "suite"), "unsupported Debian suite '%s' (supported: %s)", d->suite,
			       known);
			free(known);
		}
		get_url(c, deb, "mirror", &d->mirror);
		get_bool(c, deb, "updates", &d->updates);
		get_bool(c, deb, "security", &d->security);
		get_url(c, deb, "security_mirror", &d->security_mirror);
		if (d->security_mirror && !d->security)
			err_at(c, ytree_get(deb, "security_mirror"),
			       "security_mirror names an archive the profile opts out of (security: false)");
		if (get_str(c, deb, "snapshot", &d->snapshot) && (why = debian_snapshot_check(d->snapshot)))
			err_at(c, ytree_get(deb, "snapshot"), "snapshot '%s' %s", d->snapshot, why);
		get_url(c, deb, "snapshot_mirror", &d->snapshot_mirror);
		if (d->snapshot_mirror && !ytree_get(deb, "snapshot"))
			err_at(c, ytree_get(deb, "snapshot_mirror"), "snapshot_mirror needs a snapshot to pin");
	}
	debian_settings_resolve(d);
}
