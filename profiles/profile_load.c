/* profile_load_*: read, size-check, parse to a strict YAML tree, then build
 * and validate the model section by section (profiles/section_*.c). */
#include "profiles/profile.h"
#include "profiles/names.h"
#include "profiles/schema.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = { "kiln", "deployment", "debian", "subnets", "hosts", "sizes",
	"dns", "ntp", "ssh", "flows", "roles", "targets", "esxi", "install", "monitoring", "backup", NULL };

void parse_header(struct ctx *c, const struct ynode *root)
{
	const struct ynode *v = ytree_get(root, "kiln");
	unsigned schema = 0;
	if (!v)
		err_at(c, root, "missing 'kiln: %d' (the profile schema version) at the top", KILN_SCHEMA_VERSION);
	else if (scalar_uint(c, v, "kiln", 0, 1000000, &schema) && schema != KILN_SCHEMA_VERSION)
		err_at(c, v, "unsupported profile schema version %u (this kiln reads version %d)", schema,
		       KILN_SCHEMA_VERSION);
	c->m->schema = KILN_SCHEMA_VERSION;

	static const char *const dep_keys[] = { "name", "domain", NULL };
	const struct ynode *dep = ytree_get(root, "deployment");
	const char *why;
	if (!dep)
		err_at(c, root, "missing required section 'deployment' (with name and domain)");
	else if (expect_map(c, dep, "deployment", dep_keys)) {
		if (require(c, dep, "name", "deployment") && get_str(c, dep, "name", &c->m->name) &&
		    (why = name_check_simple(c->m->name, 32)))
			err_at(c, ytree_get(dep, "name"), "deployment name '%s' %s", c->m->name, why);
		if (require(c, dep, "domain", "deployment") && get_str(c, dep, "domain", &c->m->domain) &&
		    (why = name_check_domain(c->m->domain)))
			err_at(c, ytree_get(dep, "domain"), "domain '%s' %s", c->m->domain, why);
	}
}

/* Report in file order (sections are checked in dependency order). Stable. */
static void diags_sort(struct diags *d, size_t from)
{
	for (size_t i = from + 1; i < d->n; i++) {
		struct diag x = d->v[i];
		size_t j = i;
		while (j > from && (d->v[j - 1].line > x.line || (d->v[j - 1].line == x.line && d->v[j - 1].col > x.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}

int profile_load_buffer(const char *name, const char *data, size_t len, const char *const *targets,
			struct model *out, struct diags *d)
{
	size_t nd0 = d->n;
	memset(out, 0, sizeof *out);
	out->source_name = xstrdup(name ? name : "<input>");
	struct ctx c = { .m = out, .d = d, .file = out->source_name, .src = data, .src_len = len,
			 .targets = targets };

	if (len > PROFILE_MAX_BYTES) {
		diags_add(d, c.file, 1, 1, "profile is %zu bytes, larger than the %u byte limit; refusing to parse it",
			  len, PROFILE_MAX_BYTES);
		model_free(out);
		return -EINVAL;
	}
	struct ynode *root;
	if (ytree_parse(c.file, data, len, &root, d) < 0) {
		model_free(out);
		return -EINVAL;
	}
	if (!root || is_null(root)) {
		diags_add(d, c.file, 1, 1, "empty profile (expected a mapping starting with 'kiln: %d')",
			  KILN_SCHEMA_VERSION);
	} else if (expect_map(&c, root, "the profile", top_keys)) {
		parse_header(&c, root);
		parse_debian(&c, root);
		parse_subnets(&c, root);
		parse_sizes(&c, root);
		parse_hosts(&c, root);
		parse_services(&c, root);
		parse_roles(&c, root);
		parse_flows(&c, root);
		parse_targets(&c, root);
		parse_monitoring(&c, root);
		parse_backup(&c, root);
	}
	ytree_free(root);
	if (d->n > nd0) {
		/* The "too many errors" marker, if any, stays last. */
		size_t end = d->n > PROFILE_MAX_DIAGS ? d->n - 1 : d->n, n = d->n;
		d->n = end;
		diags_sort(d, nd0);
		d->n = n;
		model_free(out);
		return -EINVAL;
	}
	return 0;
}

int profile_load_file_text(const char *path, const char *const *targets, char **text, size_t *text_len,
			   struct model *out, struct diags *d)
{
	char *data;
	size_t len;
	memset(out, 0, sizeof *out);
	/* read_file refuses oversized regular files from their size, before reading. */
	int r = read_file(path, PROFILE_MAX_BYTES, &data, &len);
	if (r == -EFBIG) {
		diags_add(d, path, 1, 1, "profile is larger than the %u byte limit; refusing to parse it",
			  PROFILE_MAX_BYTES);
		return -EINVAL;
	}
	if (r < 0) {
		diags_add(d, path, 1, 1, "the profile %s", input_strerror(r));
		return r;
	}
	r = profile_load_buffer(path, data, len, targets, out, d);
	if (r == 0 && text) {
		*text = data;
		*text_len = len;
	} else
		free(data);
	return r;
}

int profile_load_file(const char *path, const char *const *targets, struct model *out, struct diags *d)
{
	return profile_load_file_text(path, targets, NULL, NULL, out, d);
}
