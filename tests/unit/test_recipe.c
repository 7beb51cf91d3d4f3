/* images/recipe.c (strict recipe parser) and the rootfs cache key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "images/recipe.h"
#include "images/rootfs.h"
#include "lib/buf.h"
#include "lib/log.h"

static struct buf logged;

static void sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl;
	(void)ud;
	buf_puts(&logged, msg);
	buf_putc(&logged, '\n');
}

static int setup(void **state)
{
	(void)state;
	buf_init(&logged);
	log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	buf_free(&logged);
	return 0;
}

/* Parse text; expect failure with `want` (substring) in the log. */
static void expect_error(const char *text, const char *want)
{
	struct recipe r = { 0 };
	logged.len = 0;
	if (logged.data)
		logged.data[0] = 0;
	int e = recipe_load_buffer("t.yaml", "/rec", text, strlen(text), &r);
	if (e != -EINVAL || !logged.data || !strstr(logged.data, want))
		fail_msg("for:\n%s\nwanted error containing '%s', got %d: %s", text, want, e,
			 logged.data ? logged.data : "(nothing)");
	recipe_free(&r);
}

static void test_shipped_recipes_load(void **state)
{
	(void)state;
	const char *roles[] = { "base", "app", "mysql", "minio" };
	for (size_t i = 0; i < 4; i++) {
		struct recipe r = { 0 };
		assert_int_equal(recipe_load_role("images/roles", roles[i], &r), 0);
		bool has_kernel = false, has_networkd = false;
		for (size_t j = 0; j < r.n_packages; j++)
			has_kernel |= !strcmp(r.packages[j], "linux-image-amd64");
		for (size_t j = 0; j < r.n_enable; j++)
			has_networkd |= !strcmp(r.enable[j], "systemd-networkd.service");
		assert_true(has_kernel);
		assert_true(has_networkd);
		assert_true(r.n_initramfs_modules >= 7);
		if (!strcmp(roles[i], "mysql")) {
			bool maria = false;
			for (size_t j = 0; j < r.n_packages; j++)
				maria |= !strcmp(r.packages[j], "mariadb-server");
			assert_true(maria);
		}
		if (!strcmp(roles[i], "minio")) {
			assert_int_equal(r.n_artifacts, 1);
			assert_string_equal(r.artifacts[0].name, "minio");
			assert_true(r.artifacts[0].install_deb);
			assert_true(recipe_has_artifact(&r, "minio"));
			/* MinIO publishes no binaries: nothing to download, the operator supplies it */
			assert_null(r.artifacts[0].url);
			assert_null(r.artifacts[0].sha256);
			assert_non_null(strstr(r.artifacts[0].local_only, "MinIO publishes no binaries"));
		}
		assert_int_equal(r.n_sources, strcmp(roles[i], "base") ? 2 : 1);
		recipe_free(&r);
	}
}

/* A container app's image adds podman and the system bus its runtime needs:
 * app-container.yaml on top of app. */
static void test_variant(void **state)
{
	(void)state;
	struct recipe r = { 0 }, plain = { 0 };
	assert_int_equal(recipe_load_role_variant("images/roles", "app", "container", &r), 0);
	assert_int_equal(recipe_load_role("images/roles", "app", &plain), 0);
	assert_int_equal(r.n_sources, 3);
	assert_non_null(strstr(r.sources[2], "app-container.yaml"));
	bool podman = false, dbus = false, nginx = false;
	for (size_t j = 0; j < r.n_packages; j++) {
		podman |= !strcmp(r.packages[j], "podman");
		dbus |= !strcmp(r.packages[j], "dbus");
		nginx |= !strcmp(r.packages[j], "nginx");
	}
	assert_true(podman && dbus && nginx);
	for (size_t j = 0; j < plain.n_packages; j++)
		assert_string_not_equal(plain.packages[j], "podman");
	recipe_free(&r);
	recipe_free(&plain);
	struct recipe x = { 0 };
	assert_int_equal(recipe_load_role_variant("images/roles", "app", "nosuch", &x), -ENOENT);
	recipe_free(&x);
	struct recipe y = { 0 };
	assert_int_equal(recipe_load_role_variant("images/roles", "app", "../x", &y), -EINVAL);
	recipe_free(&y);
}

static void test_unknown_role(void **state)
{
	(void)state;
	struct recipe r = { 0 };
	assert_int_equal(recipe_load_role("images/roles", "postgres", &r), -ENOENT);
	assert_non_null(strstr(logged.data, "no recipe for role 'postgres'"));
	recipe_free(&r);
	assert_int_equal(recipe_load_role("images/roles", "../etc", &r), -EINVAL);
	recipe_free(&r);
}

static void test_full_recipe(void **state)
{
	(void)state;
	const char *t =
		"kiln-recipe: 1\n"
		"packages: [nginx, python3, nginx]\n"
		"units: {enable: [a.service], disable: [b.timer]}\n"
		"files:\n"
		"  - path: /etc/x.conf\n"
		"    mode: \"0600\"\n"
		"    content: hi\n"
		"  - path: /usr/local/bin/y\n"
		"    source: files/y\n"
		"remove: [/etc/ssh/ssh_host_*]\n"
		"initramfs_modules: [vmw_pvscsi]\n"
		"apt_repositories:\n"
		"  - name: mysql\n"
		"    deb: deb http://repo.mysql.com/apt/debian bookworm mysql-8.0 mysql-tools\n"
		"    key: keys/mysql.gpg\n"
		"artifacts:\n"
		"  - name: minio\n"
		"    url: https://example.invalid/minio.deb\n"
		"    sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"    install: deb\n";
	struct recipe r = { 0 };
	assert_int_equal(recipe_load_buffer("t.yaml", "/rec", t, strlen(t), &r), 0);
	assert_int_equal(r.n_packages, 2);   /* duplicates folded */
	assert_string_equal(r.enable[0], "a.service");
	assert_string_equal(r.disable[0], "b.timer");
	assert_int_equal(r.n_files, 2);
	assert_int_equal(r.files[0].mode, 0600);
	assert_string_equal(r.files[0].content, "hi");
	assert_int_equal(r.files[1].mode, 0644);
	assert_string_equal(r.files[1].source, "/rec/files/y");
	assert_string_equal(r.remove[0], "/etc/ssh/ssh_host_*");
	assert_string_equal(r.repos[0].uri, "http://repo.mysql.com/apt/debian");
	assert_string_equal(r.repos[0].suite, "bookworm");
	assert_int_equal(r.repos[0].n_components, 2);
	assert_string_equal(r.repos[0].key, "/rec/keys/mysql.gpg");
	assert_true(r.artifacts[0].install_deb);
	recipe_free(&r);
}

static void test_errors_have_positions(void **state)
{
	(void)state;
	expect_error("kiln-recipe: 1\npackges: [a]\n", "t.yaml:2:1: unknown key 'packges'");
	expect_error("packages: [nginx]\n", "missing 'kiln-recipe: 1'");
	expect_error("kiln-recipe: 2\n", "t.yaml:1:14: unsupported recipe version");
	expect_error("kiln-recipe: 1\npackages: nginx\n", "t.yaml:2:11: packages must be a list");
	expect_error("kiln-recipe: 1\npackages: [nginx, 'Bad Name']\n", "t.yaml:2:19: invalid packages entry");
	expect_error("kiln-recipe: 1\npackages: [[a]]\n", "entries must be strings");
	expect_error("kiln-recipe: 1\nunits: {start: [a.service]}\n", "t.yaml:2:9: unknown key 'start' in units");
	expect_error("kiln-recipe: 1\nunits: {enable: ['a;reboot']}\n", "invalid units.enable entry");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, source: y}]\n", "exactly one of 'content' or 'source'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a}]\n", "exactly one of 'content' or 'source'");
	expect_error("kiln-recipe: 1\nfiles: [{content: x}]\n", "needs 'path'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /etc/../x, content: x}]\n", "invalid path");
	expect_error("kiln-recipe: 1\nfiles: [{path: relative, content: x}]\n", "invalid path");
	expect_error("kiln-recipe: 1\nfiles: [{path: \"/a b\", content: x}]\n", "invalid path");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, mode: \"0999\"}]\n", "invalid mode");
	/* Modes are parsed strictly (lib/numparse.c): no sign, space or prefix. */
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, mode: \" 644\"}]\n", "t.yaml:2:38: invalid mode ' 644'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, mode: \"+644\"}]\n", "invalid mode '+644'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, mode: \"-1\"}]\n", "invalid mode '-1'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, mode: \"\"}]\n", "invalid mode ''");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, mode: \"17777\"}]\n", "invalid mode '17777'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, content: x, owner: root}]\n", "unknown key 'owner' in files entry");
	expect_error("kiln-recipe: 1\nremove: [/etc/*/x]\n", "invalid remove entry");
	expect_error("kiln-recipe: 1\nremove: ['/etc/$(reboot)']\n", "invalid remove entry");
	expect_error("kiln-recipe: 1\ninitramfs_modules: ['a b']\n", "invalid initramfs_modules entry");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, url: 'ftp://x', sha256: x}]\n", "url must be");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, url: 'https://x', sha256: ABC}]\n", "sha256 must be 64");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}]\n",
		     "needs 'name' and 'url' or 'path' or 'local_only'");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, url: 'https://x'}]\n",
		     "t.yaml:2:13: artifacts entry 'm' needs 'sha256' (the pin its file is checked against)");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, url: 'https://x', local_only: none to download}]\n",
		     "artifacts entry 'm' needs exactly one of 'url', 'path' or 'local_only'");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, local_only: why, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}]\n",
		     "'local_only' takes no 'sha256' (the file comes from --artifact m=PATH)");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, local_only: ''}]\n", "'local_only' says why there is no download");
	expect_error("kiln-recipe: 1\nartifacts: [{name: m, url: 'https://x', sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef, install: rpm}]\n",
		     "unknown install method 'rpm'");
	expect_error("kiln-recipe: 1\napt_repositories: [{name: m, deb: 'deb [trusted=yes] http://x s c', key: k}]\n",
		     "unsupported character");
	expect_error("kiln-recipe: 1\napt_repositories: [{name: m, deb: 'deb-src http://x s c', key: k}]\n", "must look like");
	expect_error("kiln-recipe: 1\napt_repositories: [{name: m, deb: 'deb http://x s', key: k}]\n", "must look like");
	expect_error("kiln-recipe: 1\napt_repositories: [{name: m, deb: 'deb http://x s c'}]\n", "needs 'name', 'deb' and 'key'");
	expect_error("kiln-recipe: 1\npackages: [vim]\npackages: [git]\n", "t.yaml:3:1: duplicate key 'packages'");
	expect_error("kiln-recipe: 1\nfiles: [{path: /a, path: /b, content: x}]\n", "t.yaml:2:20: duplicate key 'path'");
	expect_error("kiln-recipe: 1\napt_repositories: [{name: m, deb: 'deb http://x s c', deb: 'deb http://y s c', key: k}]\n",
		     "duplicate key 'deb'");
	expect_error("kiln-recipe: 1\n---\nkiln-recipe: 1\n", "only one YAML document");
	expect_error("kiln-recipe: 1\npackages: [a\n", "t.yaml:3:1:");
	expect_error("- a\n", "must be a mapping");
}

static void test_globs_and_names(void **state)
{
	(void)state;
	assert_true(recipe_valid_glob("/etc/ssh/ssh_host_*"));
	assert_true(recipe_valid_glob("/var/log/x.log"));
	assert_false(recipe_valid_glob("/etc/*/x"));
	assert_false(recipe_valid_glob("etc/x"));
	assert_false(recipe_valid_glob("/etc/x;y"));
	assert_true(recipe_valid_unit("serial-getty@ttyS0.service"));
	assert_false(recipe_valid_unit("nodot"));
	assert_true(recipe_valid_package("g++"));
	assert_false(recipe_valid_package("-x"));
	assert_false(recipe_valid_path("/a/"));
	assert_false(recipe_valid_path("/a/.."));
}

static void test_cache_key(void **state)
{
	(void)state;
	const char *t1 = "kiln-recipe: 1\npackages: [bb, aa]\n";
	const char *t2 = "kiln-recipe: 1\npackages: [aa, bb]\n";
	const char *t3 = "kiln-recipe: 1\npackages: [aa, bb, cc]\n";
	struct recipe r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	assert_int_equal(recipe_load_buffer("1", "/", t1, strlen(t1), &r1), 0);
	assert_int_equal(recipe_load_buffer("2", "/", t2, strlen(t2), &r2), 0);
	assert_int_equal(recipe_load_buffer("3", "/", t3, strlen(t3), &r3), 0);
	struct rootfs_opts o = { .role = "x", .recipe = &r1, .suite = "bookworm",
				 .mirror = "http://deb.debian.org/debian", .source_date_epoch = -1 };
	char k1[65], k2[65], k3[65], k4[65], k5[65];
	rootfs_key(&o, NULL, k1);
	o.recipe = &r2;
	rootfs_key(&o, NULL, k2);
	o.recipe = &r3;
	rootfs_key(&o, NULL, k3);
	o.mirror = "http://127.0.0.1:9/debian";
	rootfs_key(&o, NULL, k4);
	o.source_date_epoch = 1700000000;
	rootfs_key(&o, NULL, k5);
	assert_string_equal(k1, k2);        /* package order does not matter */
	assert_string_not_equal(k1, k3);    /* the package set does */
	assert_string_not_equal(k3, k4);    /* so does the mirror */
	assert_string_not_equal(k4, k5);    /* and SOURCE_DATE_EPOCH */
	char *text = rootfs_key_text(&o, NULL);
	assert_non_null(strstr(text, "kiln " KILN_VERSION "\n"));
	free(text);
	recipe_free(&r1);
	recipe_free(&r2);
	recipe_free(&r3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_recipes_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_variant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_recipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_have_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_globs_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
