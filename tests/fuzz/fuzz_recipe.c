/* libFuzzer: role recipes (images/recipe.c). Any bytes load or are refused
 * with a positioned error, never a crash, leak or hang; the bytes are loaded
 * twice into one recipe, as base.yaml and a role's recipe are merged. What
 * loads keeps the rules the mmdebstrap hooks rely on (images/rootfs.c puts
 * these values into shell commands and apt source lines). */
#include "images/recipe.h"
#include "lib/log.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static void all(char **v, size_t n, bool (*ok)(const char *))
{
	for (size_t i = 0; i < n; i++)
		if (!ok(v[i]))
			abort();
}

static bool word_ok(const char *w)
{
	for (const char *p = w; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    !strchr("/._+@:~-", *p))
			return false;
	return *w != '\0';
}

static void check(const struct recipe *r)
{
	all(r->packages, r->n_packages, recipe_valid_package);
	all(r->enable, r->n_enable, recipe_valid_unit);
	all(r->disable, r->n_disable, recipe_valid_unit);
	all(r->remove, r->n_remove, recipe_valid_glob);
	for (size_t i = 0; i < r->n_files; i++) {
		const struct recipe_file *f = &r->files[i];
		if (!recipe_valid_path(f->path) || f->mode > 07777 || !f->content == !f->source)
			abort();
	}
	for (size_t i = 0; i < r->n_repos; i++) {
		const struct recipe_apt_repo *a = &r->repos[i];
		if (!recipe_valid_name(a->name) || !a->key || !word_ok(a->uri) || !word_ok(a->suite) || !a->n_components)
			abort();
		all(a->components, a->n_components, word_ok);
		/* a pin is 40 upper-case hex digits (images/apt_key.c compares it to gpg's) */
		if (a->fingerprint && (strlen(a->fingerprint) != 40 ||
				       strspn(a->fingerprint, "0123456789ABCDEF") != 40))
			abort();
	}
	for (size_t i = 0; i < r->n_artifacts; i++) {
		const struct recipe_artifact *a = &r->artifacts[i];
		/* one source: a pinned url or path, or local_only saying why there is none */
		if (!recipe_valid_name(a->name) || !!a->url + !!a->path + !!a->local_only != 1)
			abort();
		if (a->local_only ? a->sha256 || !*a->local_only : !a->sha256 || strlen(a->sha256) != 64)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_sink(quiet, NULL);
	struct recipe r = { 0 };
	if (recipe_load_buffer("base.yaml", "/nonexistent", (const char *)data, size, &r) == 0) {
		check(&r);
		if (recipe_load_buffer("role.yaml", "/nonexistent", (const char *)data, size, &r) == 0)
			check(&r);
	}
	recipe_free(&r);
	return 0;
}
