/* kiln rootfs ROLE: build (or fetch from the cache) a role's root
 * filesystem tar and print its path. `kiln build` does this for every role
 * of a profile; this command is the step on its own, for debugging recipes,
 * warming the cache and reading what the cache recorded about a tree. */
#include "images/recipe.h"
#include "images/rootfs.h"
#include "installer/commands.h"
#include "installer/build_opts.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "installer/profile_state.h"
#include "profiles/syntax.h"
#include "targets/role_image.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f, "Usage: kiln rootfs ROLE [OPTIONS]\n\n"
		   "Build the root filesystem tar of ROLE (base, app, mysql, minio, lb) with mmdebstrap,\n"
		   "or take it from the cache, and print the tar's path. The Debian suite and archives\n"
		   "come from --profile, else from --suite and --mirror (with <suite>-updates and\n"
		   "<suite>-security). With --profile, ROLE (other than base) must be a role the\n"
		   "profile has hosts of, and the tree is the one kiln build builds for it: the\n"
		   "profile's variant and the packages its monitoring:, backup: and galera cluster add\n"
		   "(the same cache key, so it warms the cache for kiln build --offline).\n\n"
		   "Options:\n"
		   "  --profile PROFILE      the profile's debian: section and ROLE's recipe (docs/build.md)\n"
		   "  --variant NAME         add the recipe ROLE-NAME.yaml (app --variant container: the\n"
		   "                         app role of a profile whose app is a container; mysql\n"
		   "                         --variant mysql: Oracle's MySQL 8.4, roles.mysql.engine: mysql);\n"
		   "                         with --profile only the variant the profile implies\n"
		   "  --suite SUITE          Debian suite (default " DEBIAN_DEFAULT_SUITE ")\n"
		   "  --mirror URL           Debian mirror (default " DEBIAN_DEFAULT_MIRROR ")\n"
		   "  --recipes DIR          recipe directory (default: $KILN_RECIPES or the installed set)\n"
		   "  --artifact NAME=PATH   use a local file for the recipe artifact NAME\n"
		   "  --refresh              rebuild even when the cache has this rootfs\n"
		   "  --offline              contact no archive: the newest cached tree for these inputs\n"
		   "  --print-key            print the cache key's inputs and the archives' state, and exit\n"
		   "  --json                 print the tar, whether it was cached, and the cache's record\n"
		   "                         (archives, security updates) as JSON\n"
		   "  -h, --help             show this help\n\n"
		   "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

struct rootfs_args {
	const char *profile, *suite, *mirror, *role, *variant;
	char *recipes;
	struct build_overrides ov;
	bool refresh, offline, print_key, json, help;
};

/* 0 (help printed: a->help), or 2 after a usage error (logged). */
static int parse(int argc, char **argv, struct rootfs_args *a)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "suite", required_argument, NULL, 's' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "recipes", required_argument, NULL, 'r' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "refresh", no_argument, NULL, 'R' },
		{ "offline", no_argument, NULL, 'O' },
		{ "print-key", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "variant", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;
	const char *why;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->profile = optarg; break;
		case 's':
			if (!debian_suite_find(optarg)) {
				char *known = debian_suites_list();
				log_error("unsupported --suite '%s' (supported: %s)", optarg, known);
				free(known);
				return 2;
			}
			a->suite = optarg;
			break;
		case 'm':
			if ((why = syntax_apt_uri(optarg))) {
				log_error("--mirror '%s' %s", optarg, why);
				return 2;
			}
			a->mirror = optarg;
			break;
		case 'r': free(a->recipes); a->recipes = xstrdup(optarg); break;
		case 'a':
			if (build_overrides_add(&a->ov, optarg) < 0)
				return 2;
			break;
		case 'R': a->refresh = true; break;
		case 'O': a->offline = true; break;
		case 'k': a->print_key = true; break;
		case 'j': a->json = true; break;
		case 'v': a->variant = optarg; break;
		case 'h': help(stdout); a->help = true; return 0;
		default: help(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		log_error("kiln rootfs needs exactly one ROLE (see --help)");
		return 2;
	}
	if (a->profile && (a->suite || a->mirror)) {
		log_error("--profile gives the suite and mirror: not with --suite or --mirror");
		return 2;
	}
	if (a->refresh && a->offline) {
		log_error("--refresh rebuilds from the archives: not with --offline");
		return 2;
	}
	a->role = argv[optind];
	return 0;
}

/* The debian settings: the profile's, or the options' (resolved). */
static int settings(const struct rootfs_args *a, struct model *m, struct debian_settings *d)
{
	if (a->profile) {
		int e = profile_load_reported(a->profile, m);
		if (e < 0)
			return e;
		*d = m->debian;
		memset(&m->debian, 0, sizeof m->debian);
		return 0;
	}
	d->suite = xstrdup(a->suite ? a->suite : DEBIAN_DEFAULT_SUITE);
	d->mirror = xstrdup(a->mirror ? a->mirror : DEBIAN_DEFAULT_MIRROR);
	d->updates = d->security = true;
	debian_settings_resolve(d);
	return 0;
}

/* ROLE's recipe: with --profile and a role of hosts, the one kiln build
 * takes for that profile (role_image_recipe: its variant and the packages
 * its sections add); else ROLE's recipe with --variant. 0, 1 after a
 * failure or 2 after a usage error (logged). */
static int role_recipe(const struct rootfs_args *a, const struct model *m, struct recipe *r)
{
	int role = a->profile ? role_from_name(a->role) : -EINVAL;
	if (role < 0)
		return recipe_load_role_variant(a->recipes, a->role, a->variant, r) < 0 ? 1 : 0;
	if (!model_has_role(m, (enum role)role)) {
		log_error("%s has no hosts of role %s: kiln build builds no %s image for it", a->profile, a->role,
			  a->role);
		return 2;
	}
	const char *v = role_image_variant(m, (enum role)role);
	if (a->variant && (!v || strcmp(a->variant, v))) {
		if (v)
			log_error("--variant %s: the profile's %s role takes the variant %s", a->variant, a->role, v);
		else
			log_error("--variant %s: the profile's %s role takes no variant", a->variant, a->role);
		return 2;
	}
	return role_image_recipe(a->recipes, m, (enum role)role, r) < 0 ? 1 : 0;
}

static void print_key(const struct rootfs_opts *o)
{
	char *t = rootfs_key_text(o, NULL), *state = NULL, why[512] = "";
	fputs(t, stdout);
	free(t);
	if (o->offline)
		return;
	if (rootfs_state_text(o, &state, why, sizeof why) == 0)
		fputs(state, stdout);
	else
		log_warn("the archives' state is unknown: %s", why);
	free(state);
}

static void print_json(const char *role, const struct rootfs_result *res)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{\"role\":");
	json_str(&b, role);
	buf_puts(&b, ",\"tar\":");
	json_str(&b, res->tar);
	buf_printf(&b, ",\"cached\":%s,\"stale\":%s,\"record\":", res->cached ? "true" : "false",
		   res->stale ? "true" : "false");
	rootfs_meta_json(&res->meta, &b);
	buf_puts(&b, "}\n");
	fputs(b.data, stdout);
	buf_free(&b);
}

int cmd_rootfs(int argc, char **argv)
{
	struct rootfs_args a = { 0 };
	struct model m = { 0 };
	struct debian_settings d = { 0 };
	struct recipe r = { 0 };
	int ret = parse(argc, argv, &a);
	if (ret || a.help)
		goto out;
	ret = 1;
	if (settings(&a, &m, &d) < 0)
		goto out;
	if (!a.recipes)
		a.recipes = recipe_default_dir();
	if ((ret = role_recipe(&a, &m, &r)) != 0)
		goto out;
	ret = 1;
	for (size_t i = 0; i < a.ov.n; i++)
		if (!recipe_has_artifact(&r, a.ov.v[i].name)) {
			log_error("--artifact %s: the %s recipe has no artifact of that name", a.ov.v[i].name, a.role);
			goto out;
		}
	struct rootfs_opts o = {
		.role = a.role, .recipe = &r, .debian = &d, .overrides = a.ov.v, .n_overrides = a.ov.n,
		.source_date_epoch = build_source_date_epoch(), .refresh = a.refresh, .offline = a.offline,
	};
	if (a.print_key) {
		print_key(&o);
		ret = 0;
		goto out;
	}
	struct rootfs_result res;
	if (rootfs_build_ex(&o, &res) == 0) {
		if (a.json)
			print_json(a.role, &res);
		else
			printf("%s\n", res.tar);
		rootfs_result_free(&res);
		ret = 0;
	}
out:
	recipe_free(&r);
	debian_settings_free(&d);
	if (a.profile)
		model_free(&m);
	build_overrides_free(&a.ov);
	free(a.recipes);
	return ret;
}
