/* The one list of targets; see target.h. */
#include "targets/target.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Every target, one line each, in the order the pipeline runs them; NAME
 * is defined in targets/NAME.c as `const struct kiln_target target_NAME`. */
#define KILN_TARGETS(X) \
	X(raw)          \
	X(esxi)         \
	X(ec2)           \
	X(iso)           \
	X(usb)

#define DECLARE(name) extern const struct kiln_target target_##name;
KILN_TARGETS(DECLARE)
#define ENTRY(name) &target_##name,
static const struct kiln_target *const all[] = { KILN_TARGETS(ENTRY) NULL };

/* Names a profile's targets: may list although no module here builds them
 * yet. kiln check accepts them, so such profiles stay valid; kiln build
 * refuses them. A name leaves this list when its module joins the one
 * above (none now). */
static const char *const planned[] = { NULL };

const struct kiln_target *const *target_all(void)
{
	return all;
}

const struct kiln_target *target_find(const char *name)
{
	for (size_t i = 0; all[i]; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

const char *const *target_profile_names(void)
{
	static const char *names[sizeof all / sizeof *all + sizeof planned / sizeof *planned];
	if (!names[0]) {
		size_t n = 0;
		for (size_t i = 0; all[i]; i++)
			names[n++] = all[i]->name;
		for (size_t i = 0; planned[i]; i++)
			names[n++] = planned[i];
	}
	return names;
}

bool target_packages(const struct kiln_target *t)
{
	return t->package_role != NULL;
}

bool target_per_host(const struct kiln_target *t)
{
	return t->package_hosts != NULL;
}

bool target_signs(const struct kiln_target *t)
{
	return t->signs != NULL;
}

char *target_names_join(bool (*keep)(const struct kiln_target *t), const char *sep, const char *last)
{
	const struct kiln_target *v[sizeof all / sizeof *all];
	size_t n = 0;
	for (size_t i = 0; all[i]; i++)
		if (!keep || keep(all[i]))
			v[n++] = all[i];
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 < n ? sep : last, v[i]->name);
	return b.data;
}

static int refuse(const struct kiln_target *t, const char *host, size_t len, const char *why)
{
	return log_error_errno(EFBIG, "seed for %s is %zu bytes, over %s's %zu byte %s limit%s; shrink the profile "
			       "(comments, unused sections) or the app certificate", host, len, t->seed_owner,
			       t->seed_max, t->seed_field, why);
}

static bool too_big(const struct kiln_target *t, size_t len)
{
	return t && t->seed_max && len > t->seed_max;
}

int target_seed_check(const struct model *m, const struct kiln_target *const *requested, const char *host,
		      size_t len)
{
	for (size_t i = 0; requested && requested[i]; i++)
		if (too_big(requested[i], len))
			return refuse(requested[i], host, len, "");
	for (size_t i = 0; i < m->n_targets; i++) {
		const struct kiln_target *t = target_find(m->targets[i].name);
		if (too_big(t, len)) {
			char *why = xasprintf(" (the profile targets %s)", t->name);
			int r = refuse(t, host, len, why);
			free(why);
			return r;
		}
	}
	for (size_t i = 0; all[i]; i++)
		if (too_big(all[i], len))
			log_warn("seed for %s is %zu bytes: too large for %s (%zu bytes), fine for other targets", host,
				 len, all[i]->seed_carrier, all[i]->seed_max);
	return 0;
}
