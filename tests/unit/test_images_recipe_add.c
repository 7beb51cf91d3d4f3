/* images/recipe.c recipe_add(): what a profile adds to a role's recipe (the
 * packages and disabled units of monitoring:, profiles/monitoring.h) is
 * checked name by name, never doubled, and part of the rootfs cache key, so
 * an image with monitoring never comes from a tree built without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "images/recipe.h"
#include "images/rootfs.h"
#include "lib/log.h"
#include "profiles/monitoring.h"
#include "profiles/profile.h"

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static char *key_text(const struct recipe *r)
{
	struct debian_settings deb = { 0 };
	debian_settings_resolve(&deb);   /* the default suite and mirror */
	struct rootfs_opts o = { .role = "mysql", .recipe = r, .debian = &deb, .source_date_epoch = -1 };
	char *text = rootfs_key_text(&o, NULL);
	debian_settings_free(&deb);
	return text;
}

static void test_add(void **state)
{
	(void)state;
	static const char text[] =
		"kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		"hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
		"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\nmonitoring: {host: s3}\n";
	struct model m;
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", text, strlen(text), NULL, &m, &d), 0);
	struct recipe r = { 0 };
	static const char recipe[] = "kiln-recipe: 1\npackages: [mariadb-server]\n";
	assert_int_equal(recipe_load_buffer("mysql.yaml", "/tmp", recipe, strlen(recipe), &r), 0);
	char *before = key_text(&r);
	const char *pk[MON_PACKAGES_MAX], *un[MON_PACKAGES_MAX];
	size_t np = monitoring_packages(&m, ROLE_MYSQL, pk, MON_PACKAGES_MAX);
	size_t nu = monitoring_disabled_units(&m, ROLE_MYSQL, un, MON_PACKAGES_MAX);
	assert_int_equal(recipe_add(&r, pk, np, un, nu), 0);
	assert_int_equal(recipe_add(&r, pk, np, un, nu), 0);   /* twice: nothing doubled */
	assert_int_equal(r.n_packages, 1 + 3);
	assert_int_equal(r.n_disable, 2);
	char *after = key_text(&r);
	assert_non_null(strstr(after, "prometheus-mysqld-exporter"));
	assert_non_null(strstr(after, "prometheus-node-exporter.service"));
	assert_string_not_equal(before, after);
	/* bad names are refused, and nothing is added */
	log_set_sink(quiet, NULL);
	const char *bad_pk[] = { "ok-package", "bad package; rm -rf /" }, *bad_un[] = { "x.service\nExecStart=/bin/sh" };
	assert_int_equal(recipe_add(&r, bad_pk, 2, NULL, 0), -EINVAL);
	assert_int_equal(recipe_add(&r, NULL, 0, bad_un, 1), -EINVAL);
	log_set_sink(NULL, NULL);
	assert_int_equal(r.n_packages, 4);
	assert_int_equal(r.n_disable, 2);
	free(before);
	free(after);
	recipe_free(&r);
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_add) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
