/* targets/role_image.c, role_image_recipe: the recipe a profile asks for,
 * for one role (what kiln build and `kiln rootfs ROLE --profile` both take),
 * from the shipped recipes and the profiles of tests/profiles/fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "images/recipe.h"
#include "lib/cleanup.h"
#include "profiles/profile.h"
#include "targets/role_image.h"
#include "tests/unit/image_util.h"
#include "tests/unit/profile_fixture.h"

#define RECIPES "images/roles"

static bool has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void load_text(const char *yaml, struct model *m)
{
	struct diags d;
	int e = profile_load_text(yaml, NULL, m, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(e, 0);
}

/* A fixture with its @SSH_KEY@ placeholders filled in. */
static void load_fixture(const char *name, struct model *m)
{
	static const char ph[] = "@SSH_KEY@";
	_cleanup_free_ char *path = xasprintf("tests/profiles/fixtures/%s", name), *data = NULL;
	size_t len;
	assert_int_equal(read_file(path, 1 << 20, &data, &len), 0);
	struct buf b;
	buf_init(&b);
	const char *p = data, *at;
	while ((at = strstr(p, ph))) {
		buf_append(&b, p, (size_t)(at - p));
		buf_puts(&b, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t");
		p = at + strlen(ph);
	}
	buf_puts(&b, p);
	load_text(b.data, m);
	buf_free(&b);
}

static void plain_profile_plain_recipe(void **state)
{
	(void)state;
	struct model m = { 0 };
	struct recipe r;
	load_text(PROFILE_BASE, &m);
	assert_int_equal(role_image_recipe(RECIPES, &m, ROLE_MYSQL, &r), 0);
	assert_true(has(r.packages, r.n_packages, "mariadb-server"));
	assert_false(has(r.packages, r.n_packages, "prometheus-node-exporter"));
	assert_false(has(r.packages, r.n_packages, "mariadb-backup"));
	/* the same as the role's recipe alone */
	struct recipe plain = { 0 };
	assert_int_equal(recipe_load_role_variant(RECIPES, "mysql", NULL, &plain), 0);
	assert_int_equal(r.n_packages, plain.n_packages);
	assert_int_equal(r.n_disable, plain.n_disable);
	recipe_free(&plain);
	recipe_free(&r);
	model_free(&m);
}

static void sections_add_packages(void **state)
{
	(void)state;
	struct model m = { 0 };
	struct recipe r;
	load_fixture("deployment.yaml", &m);   /* monitoring:, backup:, a container app */
	assert_int_equal(role_image_recipe(RECIPES, &m, ROLE_MYSQL, &r), 0);
	assert_true(has(r.packages, r.n_packages, "mariadb-server"));
	assert_true(has(r.packages, r.n_packages, "prometheus-node-exporter"));
	assert_true(has(r.packages, r.n_packages, "prometheus-mysqld-exporter"));
	assert_true(has(r.packages, r.n_packages, "mariadb-backup"));
	assert_true(has(r.disable, r.n_disable, "prometheus-mysqld-exporter.service"));
	recipe_free(&r);
	assert_int_equal(role_image_recipe(RECIPES, &m, ROLE_APP, &r), 0);
	assert_true(has(r.packages, r.n_packages, "podman"));   /* the container variant */
	assert_true(has(r.packages, r.n_packages, "prometheus-node-exporter"));
	assert_false(has(r.packages, r.n_packages, "mariadb-backup"));
	recipe_free(&r);
	model_free(&m);

	load_fixture("galera.yaml", &m);
	assert_int_equal(role_image_recipe(RECIPES, &m, ROLE_MYSQL, &r), 0);
	assert_true(has(r.packages, r.n_packages, "mariadb-backup"));   /* the SST's tool */
	assert_false(has(r.packages, r.n_packages, "prometheus-node-exporter"));
	recipe_free(&r);
	model_free(&m);
}

static void engine_mysql_variant(void **state)
{
	(void)state;
	struct model m = { 0 };
	struct recipe r;
	load_text(PROFILE_BASE "roles:\n  mysql:\n    engine: mysql\n", &m);
	assert_string_equal(role_image_variant(&m, ROLE_MYSQL), "mysql");
	assert_int_equal(role_image_recipe(RECIPES, &m, ROLE_MYSQL, &r), 0);
	assert_true(has(r.packages, r.n_packages, "mysql-community-server"));
	recipe_free(&r);
	model_free(&m);
}

/* Bad input: no recipes, a recipe set without the profile's variant; the
 * error logged, the recipe left empty. */
static void missing_recipes(void **state)
{
	(void)state;
	struct model m = { 0 };
	struct recipe r;
	capture_log();
	load_text(PROFILE_BASE "roles:\n  mysql:\n    engine: mysql\n", &m);
	assert_true(role_image_recipe("/nonexistent/recipes", &m, ROLE_MYSQL, &r) < 0);
	assert_non_null(strstr(last_error, "/nonexistent/recipes/base.yaml"));
	assert_int_equal(r.n_packages, 0);
	assert_null(r.packages);
	_cleanup_free_ char *dir = make_tmpdir();
	_cleanup_free_ char *cmd = xasprintf("cp " RECIPES "/base.yaml " RECIPES "/mysql.yaml %s", dir);
	assert_int_equal(system(cmd), 0);
	last_error[0] = 0;
	assert_true(role_image_recipe(dir, &m, ROLE_MYSQL, &r) < 0);
	assert_non_null(strstr(last_error, "variant 'mysql'"));
	assert_int_equal(r.n_packages, 0);
	assert_null(r.packages);
	rm_rf(dir);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_profile_plain_recipe),
		cmocka_unit_test(sections_add_packages),
		cmocka_unit_test(engine_mysql_variant),
		cmocka_unit_test(missing_recipes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
