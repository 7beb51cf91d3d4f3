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
#include "lib/xalloc.h"

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
	const char *roles[] = { "base", "app", "mysql", "minio", "lb" };
	for (size_t i = 0; i < 5; i++) {
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
		if (!strcmp(roles[i], "lb")) {
			bool haproxy = false, keepalived = false, off = false;
			for (size_t j = 0; j < r.n_packages; j++) {
				haproxy |= !strcmp(r.packages[j], "haproxy");
				keepalived |= !strcmp(r.packages[j], "keepalived");
			}
			for (size_t j = 0; j < r.n_disable; j++)
				off |= !strcmp(r.disable[j], "haproxy.service");
			assert_true(haproxy && keepalived && off);
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

/* roles.mysql.engine: mysql: MySQL's server from Oracle's repository in
 * place of MariaDB's (mysql-mysql.yaml drops mariadb-server and its socket
 * unit), the repository per suite with its pinned key. */
static void test_variant_mysql(void **state)
{
	(void)state;
	struct recipe r = { 0 };
	assert_int_equal(recipe_load_role_variant("images/roles", "mysql", "mysql", &r), 0);
	assert_int_equal(r.n_sources, 3);
	for (size_t j = 0; j < r.n_packages; j++)
		assert_string_not_equal(r.packages[j], "mariadb-server");
	for (size_t j = 0; j < r.n_disable; j++)
		assert_string_not_equal(r.disable[j], "mariadb.socket");
	bool server = false;
	for (size_t j = 0; j < r.n_packages; j++)
		server |= !strcmp(r.packages[j], "mysql-community-server");
	assert_true(server);
	assert_int_equal(r.n_repos, 0);   /* per suite */
	const char *suites[] = { "bookworm", "trixie" };
	for (size_t i = 0; i < 2; i++) {
		struct recipe s;
		recipe_for_suite(&r, suites[i], &s);
		assert_int_equal(s.n_repos, 1);
		assert_string_equal(s.repos[0].uri, "http://repo.mysql.com/apt/debian");
		assert_string_equal(s.repos[0].suite, suites[i]);
		assert_int_equal(s.repos[0].n_components, 1);
		assert_string_equal(s.repos[0].components[0], "mysql-8.4-lts");
		assert_string_equal(s.repos[0].key, "/etc/kiln/apt-keys/mysql.gpg");
		assert_string_equal(s.repos[0].fingerprint, "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C");
		for (size_t j = 0; j < s.n_packages; j++)
			assert_string_not_equal(s.packages[j], "mariadb-server");
		recipe_free(&s);
	}
	recipe_free(&r);
}

/* drop: removes what earlier recipes listed, suites blocks included; a name
 * that is nowhere is an error at its position; a failed drop list is no
 * half-applied surprise to the caller (the load fails). */
static void test_drop(void **state)
{
	(void)state;
	static const char base[] = "kiln-recipe: 1\npackages: [aa, bb, cc]\nunits: {enable: [x.service], disable: [y.socket]}\n"
				   "suites:\n  trixie: {packages: [bb, t64]}\n";
	struct recipe r = { 0 };
	assert_int_equal(recipe_load_buffer("base.yaml", "/rec", base, strlen(base), &r), 0);
	static const char drop[] = "kiln-recipe: 1\ndrop:\n  packages: [bb, t64]\n  units: [y.socket, x.service]\npackages: [dd]\n";
	assert_int_equal(recipe_load_buffer("v.yaml", "/rec", drop, strlen(drop), &r), 0);
	assert_int_equal(r.n_packages, 3);
	assert_string_equal(r.packages[0], "aa");
	assert_string_equal(r.packages[1], "cc");
	assert_string_equal(r.packages[2], "dd");
	assert_int_equal(r.n_enable, 0);
	assert_int_equal(r.n_disable, 0);
	struct recipe s;
	recipe_for_suite(&r, "trixie", &s);
	assert_int_equal(s.n_packages, 3);   /* bb and t64 gone from the suite's block too */
	recipe_free(&s);
	recipe_free(&r);

	expect_error("kiln-recipe: 1\ndrop: {packages: [mariadb-server]}\n",
		     "t.yaml:2:19: drop.packages: 'mariadb-server' is in none of the recipes loaded before this one");
	expect_error("kiln-recipe: 1\ndrop: {units: [a.socket]}\n", "t.yaml:2:16: drop.units: 'a.socket' is in none");
	expect_error("kiln-recipe: 1\ndrop: {packages: ['Bad Name']}\n", "t.yaml:2:19: invalid drop.packages entry");
	expect_error("kiln-recipe: 1\ndrop: {packages: x}\n", "t.yaml:2:18: drop.packages must be a list");
	expect_error("kiln-recipe: 1\ndrop: {files: [/a]}\n", "t.yaml:2:8: unknown key 'files' in drop");
	expect_error("kiln-recipe: 1\ndrop: [a]\n", "t.yaml:2:7: drop must be a mapping");
}

static void test_fingerprint(void **state)
{
	(void)state;
	static const char ok[] = "kiln-recipe: 1\napt_repositories:\n  - {name: v, deb: deb http://h/d s c, key: k.gpg,"
				 " fingerprint: 'bca4 3417 c3b4 85dd 128e  c6d4 b7b3 b788 a8d3 785c'}\n";
	struct recipe r = { 0 };
	assert_int_equal(recipe_load_buffer("t.yaml", "/rec", ok, strlen(ok), &r), 0);
	assert_string_equal(r.repos[0].fingerprint, "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C");
	struct recipe m = { 0 };
	recipe_merge(&m, &r);
	assert_string_equal(m.repos[0].fingerprint, "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C");
	recipe_free(&m);
	recipe_free(&r);
	expect_error("kiln-recipe: 1\napt_repositories:\n  - {name: v, deb: deb http://h/d s c, key: k, fingerprint: ABCD}\n",
		     "t.yaml:3:61: fingerprint must be 40 hex digits");
	expect_error("kiln-recipe: 1\napt_repositories:\n  - {name: v, deb: deb http://h/d s c, key: k, fingerprint: "
		     "BCA43417C3B485DD128EC6D4B7B3B788A8D3785G}\n", "fingerprint must be 40 hex digits");
	expect_error("kiln-recipe: 1\napt_repositories:\n  - {name: v, deb: deb http://h/d s c, key: k, fingerprint: "
		     "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C00}\n", "fingerprint must be 40 hex digits");
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
	const char *t4 = "kiln-recipe: 1\npackages: [aa, bb, cc]\nsuites:\n  trixie: {packages: [dd]}\n";
	struct recipe r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, r4 = { 0 };
	assert_int_equal(recipe_load_buffer("1", "/", t1, strlen(t1), &r1), 0);
	assert_int_equal(recipe_load_buffer("2", "/", t2, strlen(t2), &r2), 0);
	assert_int_equal(recipe_load_buffer("3", "/", t3, strlen(t3), &r3), 0);
	assert_int_equal(recipe_load_buffer("4", "/", t4, strlen(t4), &r4), 0);
	struct debian_settings d = { .suite = xstrdup("bookworm"), .updates = true, .security = true };
	debian_settings_resolve(&d);
	struct rootfs_opts o = { .role = "x", .recipe = &r1, .debian = &d, .source_date_epoch = -1 };
	char k[10][65];
	rootfs_key(&o, NULL, k[0]);
	o.recipe = &r2;
	rootfs_key(&o, NULL, k[1]);
	o.recipe = &r3;
	rootfs_key(&o, NULL, k[2]);
	o.recipe = &r4;
	rootfs_key(&o, NULL, k[3]);
	free(d.mirror);
	d.mirror = xstrdup("http://127.0.0.1:9/debian");
	rootfs_key(&o, NULL, k[4]);
	o.source_date_epoch = 1700000000;
	rootfs_key(&o, NULL, k[5]);
	d.updates = false;
	rootfs_key(&o, NULL, k[6]);
	free(d.security_mirror);
	d.security_mirror = xstrdup("http://security.example/debian-security");
	rootfs_key(&o, NULL, k[7]);
	d.snapshot = xstrdup("20261101T000000Z");
	debian_settings_resolve(&d);
	rootfs_key(&o, NULL, k[8]);
	free(d.suite);
	d.suite = xstrdup("trixie");
	rootfs_key(&o, NULL, k[9]);
	assert_string_equal(k[0], k[1]);        /* package order does not matter */
	assert_string_not_equal(k[0], k[2]);    /* the package set does */
	assert_string_equal(k[2], k[3]);        /* a trixie block does not change a bookworm build */
	for (int i = 3; i < 9; i++)             /* mirror, SOURCE_DATE_EPOCH, updates, security mirror, */
		assert_string_not_equal(k[i], k[i + 1]);   /* snapshot and suite do */
	char *text = rootfs_key_text(&o, NULL);
	assert_non_null(strstr(text, "kiln " KILN_VERSION "\n"));
	assert_non_null(strstr(text, "\npackage dd\n"));   /* the trixie block applies to trixie */
	assert_non_null(strstr(text, "\narchive http://snapshot.debian.org/archive/debian-security/20261101T000000Z "
				     "trixie-security main image http://security.example/debian-security\n"));
	free(text);
	debian_settings_free(&d);
	recipe_free(&r1);
	recipe_free(&r2);
	recipe_free(&r3);
	recipe_free(&r4);
}

static bool has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* suites: blocks add to a build of that suite only, in load order. */
static void test_suites(void **state)
{
	(void)state;
	const char *base = "kiln-recipe: 1\npackages: [aa]\nsuites:\n"
			   "  bookworm:\n    packages: [libssl3]\n"
			   "  trixie:\n    packages: [libssl3t64, aa]\n    units: {enable: [t.service]}\n"
			   "    files:\n      - {path: /etc/t, content: x}\n    remove: [/etc/r]\n"
			   "    initramfs_modules: [m]\n";
	const char *role = "kiln-recipe: 1\npackages: [bb]\nsuites:\n  trixie: {packages: [cc]}\n";
	struct recipe r = { 0 }, bw, tx;
	assert_int_equal(recipe_load_buffer("base", "/", base, strlen(base), &r), 0);
	assert_int_equal(recipe_load_buffer("role", "/", role, strlen(role), &r), 0);
	assert_int_equal(r.n_suites, 3);
	recipe_for_suite(&r, "bookworm", &bw);
	recipe_for_suite(&r, "trixie", &tx);
	assert_int_equal(bw.n_packages, 3);
	assert_true(has(bw.packages, bw.n_packages, "libssl3") && !has(bw.packages, bw.n_packages, "libssl3t64"));
	assert_int_equal(bw.n_files + bw.n_enable + bw.n_remove + bw.n_initramfs_modules + bw.n_suites, 0);
	assert_int_equal(tx.n_packages, 4);   /* aa, bb, libssl3t64, cc: 'aa' once */
	assert_string_equal(tx.packages[2], "libssl3t64");
	assert_string_equal(tx.packages[3], "cc");
	assert_false(has(tx.packages, tx.n_packages, "libssl3"));
	assert_string_equal(tx.enable[0], "t.service");
	assert_string_equal(tx.files[0].content, "x");
	assert_string_equal(tx.remove[0], "/etc/r");
	assert_string_equal(tx.initramfs_modules[0], "m");
	assert_int_equal(tx.n_suites, 0);
	recipe_free(&bw);
	recipe_free(&tx);
	recipe_free(&r);

	expect_error("kiln-recipe: 1\nsuites:\n  trixy: {packages: [aa]}\n",
		     "t.yaml:3:3: unknown suite 'trixy' in suites (kiln builds: bookworm, trixie)");
	expect_error("kiln-recipe: 1\nsuites:\n  trixie: {artifacts: []}\n",
		     "t.yaml:3:12: unknown key 'artifacts' in a suites entry (expected one of: packages, units,");
	expect_error("kiln-recipe: 1\nsuites: [trixie]\n", "t.yaml:2:9: suites must be a mapping");
	expect_error("kiln-recipe: 1\nsuites:\n  trixie: {packages: [A]}\n", "t.yaml:3:23: invalid packages entry 'A'");
	expect_error("kiln-recipe: 1\nsuites:\n  trixie: {}\n  trixie: {}\n", "t.yaml:4:3: duplicate key 'trixie'");
	expect_error("kiln-recipe: 1\nsuites:\n  trixie: [aa]\n", "t.yaml:3:11: a suites entry must be a mapping");
}

/* The shipped base installs kiln-firstboot's libraries under each suite's names. */
static void test_shipped_suites(void **state)
{
	(void)state;
	struct recipe r = { 0 }, bw, tx;
	assert_int_equal(recipe_load_role("images/roles", "base", &r), 0);
	recipe_for_suite(&r, "bookworm", &bw);
	recipe_for_suite(&r, "trixie", &tx);
	const char *libs[] = { "libarchive13", "libext2fs2", "libcurl4", "libssl3" };
	for (size_t i = 0; i < 4; i++) {
		char t64[32];
		snprintf(t64, sizeof t64, "%st64", libs[i]);
		assert_true(has(bw.packages, bw.n_packages, libs[i]));
		assert_false(has(bw.packages, bw.n_packages, t64));
		assert_true(has(tx.packages, tx.n_packages, t64));
		assert_false(has(tx.packages, tx.n_packages, libs[i]));
	}
	/* trixie split systemd-repart out of systemd: the root grows only with it */
	assert_true(has(tx.packages, tx.n_packages, "systemd-repart"));
	recipe_free(&bw);
	recipe_free(&tx);
	recipe_free(&r);
}

/* The shipped minio recipe's artifact has no download (local_only, no sha256):
 * taking a suite's recipe keeps it as it is (it once crashed on the NULL sha256). */
static void test_suite_keeps_local_only(void **state)
{
	(void)state;
	struct recipe r = { 0 }, tx;
	assert_int_equal(recipe_load_role("images/roles", "minio", &r), 0);
	recipe_for_suite(&r, "trixie", &tx);
	assert_int_equal(tx.n_artifacts, r.n_artifacts);
	assert_true(tx.n_artifacts > 0);
	assert_non_null(tx.artifacts[0].local_only);
	assert_string_equal(tx.artifacts[0].local_only, r.artifacts[0].local_only);
	assert_null(tx.artifacts[0].sha256);
	recipe_free(&tx);
	recipe_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_recipes_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_variant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_variant_mysql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
		cmocka_unit_test(test_suite_keeps_local_only),
		cmocka_unit_test_setup_teardown(test_unknown_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_recipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_have_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_globs_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_suites, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
