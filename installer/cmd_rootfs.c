/* kiln rootfs ROLE: build (or fetch from the cache) a role's root
 * filesystem tar and print its path. `kiln build` does this for every role
 * of a profile; this command is the step on its own, for debugging recipes
 * and warming the cache. */
#include "images/recipe.h"
#include "images/rootfs.h"
#include "installer/commands.h"
#include "installer/build_opts.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/syntax.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f, "Usage: kiln rootfs ROLE [OPTIONS]\n\n"
		   "Build the root filesystem tar of ROLE (base, app, mysql, minio) with mmdebstrap,\n"
		   "or take it from the cache, and print the tar's path.\n\n"
		   "Options:\n"
		   "  --variant NAME         add the recipe ROLE-NAME.yaml (app --variant container: the\n"
		   "                         app role of a profile whose app is a container)\n"
		   "  --suite SUITE          Debian suite (default bookworm)\n"
		   "  --mirror URL           Debian mirror (default http://deb.debian.org/debian)\n"
		   "  --recipes DIR          recipe directory (default: $KILN_RECIPES or the installed set)\n"
		   "  --artifact NAME=PATH   use a local file for the recipe artifact NAME\n"
		   "  --refresh              rebuild even when the cache has this rootfs\n"
		   "  --print-key            print the cache key inputs and exit\n"
		   "  -h, --help             show this help\n");
}

int cmd_rootfs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "recipes", required_argument, NULL, 'r' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "refresh", no_argument, NULL, 'R' },
		{ "print-key", no_argument, NULL, 'k' },
		{ "variant", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *suite = "bookworm", *mirror = "http://deb.debian.org/debian", *variant = NULL;
	char *recipes = NULL;
	struct build_overrides ov = { 0 };
	bool refresh = false, print_key = false;
	const char *why;
	int c, ret = 2;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': suite = optarg; break;
		case 'm':
			if ((why = syntax_apt_uri(optarg))) {
				log_error("--mirror '%s' %s", optarg, why);
				goto out;
			}
			mirror = optarg;
			break;
		case 'r': free(recipes); recipes = xstrdup(optarg); break;
		case 'a':
			if (build_overrides_add(&ov, optarg) < 0)
				goto out;
			break;
		case 'R': refresh = true; break;
		case 'k': print_key = true; break;
		case 'v': variant = optarg; break;
		case 'h': help(stdout); ret = 0; goto out;
		default: help(stderr); goto out;
		}
	}
	if (optind != argc - 1) {
		log_error("kiln rootfs needs exactly one ROLE (see --help)");
		goto out;
	}
	if (!recipes)
		recipes = recipe_default_dir();

	ret = 1;
	struct recipe r = { 0 };
	if (recipe_load_role_variant(recipes, argv[optind], variant, &r) < 0) {
		recipe_free(&r);
		goto out;
	}
	for (size_t i = 0; i < ov.n; i++)
		if (!recipe_has_artifact(&r, ov.v[i].name)) {
			log_error("--artifact %s: the %s recipe has no artifact of that name", ov.v[i].name, argv[optind]);
			recipe_free(&r);
			goto out;
		}
	struct rootfs_opts o = {
		.role = argv[optind], .recipe = &r, .suite = suite, .mirror = mirror,
		.overrides = ov.v, .n_overrides = ov.n, .source_date_epoch = build_source_date_epoch(),
		.refresh = refresh,
	};
	if (print_key) {
		char *t = rootfs_key_text(&o, NULL);
		fputs(t, stdout);
		free(t);
		ret = 0;
	} else {
		char *tar = NULL;
		bool cached;
		if (rootfs_build(&o, &tar, &cached) == 0) {
			printf("%s\n", tar);
			ret = 0;
		}
		free(tar);
	}
	recipe_free(&r);
out:
	build_overrides_free(&ov);
	free(recipes);
	return ret;
}
