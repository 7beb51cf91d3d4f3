/* firstboot/role_app.c: `podman pull` retried under its policy (a fake
 * podman first in PATH: fails, then succeeds; always fails; hangs), each
 * failed try in the step's status, the last one the reason; and the units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "firstboot/role_app.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "tests/unit/tmpdir_fixture.h"

static char *old_path;

/* A fake podman (a shell script body) first in PATH; it may keep a count
 * in tmpdir/count and its arguments in tmpdir/argv. */
static void fake_script(const char *body)
{
	char *bin = path_join(tmpdir, "bin"), *p = path_join(bin, "podman");
	mkdir(bin, 0755);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nn=$(cat %s/count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > %s/count\n"
		   "echo \"$@\" >> %s/argv\n%s", tmpdir, tmpdir, tmpdir, body);
	fclose(f);
	chmod(p, 0755);
	char *path = xasprintf("%s:%s", bin, old_path);
	setenv("PATH", path, 1);
	char *count = path_join(tmpdir, "count"), *argv = path_join(tmpdir, "argv");
	unlink(count);
	unlink(argv);
	free(count);
	free(argv);
	free(path);
	free(p);
	free(bin);
}

/* Fails (exit 125, a registry error on stderr) until it has run `fails`
 * times, then succeeds; `hang` seconds of sleep first. */
static void fake_podman(int fails, int hang)
{
	char body[300];
	snprintf(body, sizeof body, "sleep %d\nif [ $n -le %d ]; then echo 'Error: initializing source docker://x: "
		 "connection refused' >&2; exit 125; fi\n", hang, fails);
	fake_script(body);
}

static int runs(void)
{
	char *p = path_join(tmpdir, "count"), *t = NULL;
	size_t n;
	int v = read_file(p, 64, &t, &n) == 0 ? atoi(t) : 0;
	free(t);
	free(p);
	return v;
}


/* An agent rooted in the scratch directory; its root string is kept in *root. */
static void agent_in(struct agent *a, char **root)
{
	*root = path_join(tmpdir, "root");
	assert_int_equal(agent_init(a, *root), 0);
}

static void test_pull_retries_then_succeeds(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_in(&a, &root);
	fake_podman(2, 0);
	const struct app_pull_policy p = { .attempts = 5, .delay_s = 0, .timeout_s = 30 };
	char why[400] = "";
	assert_int_equal(app_image_pull(&a, "registry.example.com/team/app:1", &p, why, sizeof why), 0);
	assert_int_equal(runs(), 3);
	const struct step *st = status_step(&a.status, "role");
	assert_non_null(st);
	assert_non_null(strstr(st->reason, "pulling registry.example.com/team/app:1: attempt 2 of 5 failed, next in 0 s: "
					   "podman pull exited 125: Error: initializing source"));
	char *argv = path_join(tmpdir, "argv"), *text = NULL;
	size_t n;
	assert_int_equal(read_file(argv, 4096, &text, &n), 0);
	assert_non_null(strstr(text, "pull --quiet registry.example.com/team/app:1\n"));
	free(text);
	free(argv);
	agent_free(&a);
	free(root);
}

static void test_pull_gives_up(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_in(&a, &root);
	fake_podman(100, 0);
	const struct app_pull_policy p = { .attempts = 3, .delay_s = 0, .timeout_s = 30 };
	char why[400] = "";
	assert_true(app_image_pull(&a, "registry.example.com/team/app:1", &p, why, sizeof why) < 0);
	assert_int_equal(runs(), 3);
	assert_string_equal(why, "pulling registry.example.com/team/app:1 failed after 3 attempts: podman pull exited 125: "
				 "Error: initializing source docker://x: connection refused");
	agent_free(&a);
	free(root);
}

static void test_pull_timeout(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_in(&a, &root);
	fake_podman(0, 5);
	const struct app_pull_policy p = { .attempts = 1, .delay_s = 0, .timeout_s = 1 };
	char why[400] = "";
	assert_true(app_image_pull(&a, "registry.example.com/team/app:1", &p, why, sizeof why) < 0);
	assert_string_equal(why, "pulling registry.example.com/team/app:1 failed after 1 attempt: "
				 "podman pull did not finish within 1 s");
	agent_free(&a);
	free(root);
}

static void load(const char *service, struct model *m);

/* The baked archive: loaded, then the store must hold service.image. */
static void test_archive_load(void **state)
{
	(void)state;
	struct agent a;
	char *root;
	agent_in(&a, &root);
	struct model m;
	load("{type: container, image: localhost/app:1, archive: app.tar}", &m);
	a.model = &m;
	char note[200] = "";
	/* no archive in the image */
	assert_int_equal(app_image_get(&a, note, sizeof note), -ENOENT);
	assert_non_null(strstr(status_step(&a.status, "role")->reason,
			       "the image carries no /usr/share/kiln/app-image.tar for service.archive"));
	char *dir = path_join(root, "usr/share/kiln"), *ar = path_join(dir, "app-image.tar"),
	     *sha = path_join(dir, "app-image.tar.sha256");
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(ar, "tar", 3, 0600), 0);
	const char *line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  app-image.tar\n";
	assert_int_equal(write_file_atomic(sha, line, strlen(line), 0644), 0);
	/* loaded, and holds the image */
	fake_script("exit 0\n");
	assert_int_equal(app_image_get(&a, note, sizeof note), 0);
	assert_string_equal(note, "; image localhost/app:1 loaded from the image's archive (sha256 0123456789abcdef...)");
	char *argv = path_join(tmpdir, "argv"), *text = NULL;
	size_t n;
	assert_int_equal(read_file(argv, 4096, &text, &n), 0);
	assert_string_equal(text, "load --quiet --input /usr/share/kiln/app-image.tar\nimage exists localhost/app:1\n");
	free(text);
	/* an archive saved under another name */
	fake_script("[ \"$1\" = image ] && exit 1\nexit 0\n");
	assert_true(app_image_get(&a, note, sizeof note) < 0);
	assert_string_equal(status_step(&a.status, "role")->reason,
			    "/usr/share/kiln/app-image.tar (sha256 0123456789abcdef...) holds no image named localhost/app:1: "
			    "name it so when saving the archive, or set service.image to its name");
	/* not an archive podman reads */
	fake_script("echo 'Error: payload does not match any of the supported image formats' >&2\nexit 125\n");
	assert_true(app_image_get(&a, note, sizeof note) < 0);
	assert_string_equal(status_step(&a.status, "role")->reason,
			    "loading /usr/share/kiln/app-image.tar: podman exited 125: Error: payload does not match any "
			    "of the supported image formats");
	a.model = NULL;
	model_free(&m);
	agent_free(&a);
	free(argv);
	free(sha);
	free(ar);
	free(dir);
	free(root);
}

static void load(const char *service, struct model *m)
{
	char yaml[600];
	snprintf(yaml, sizeof yaml, "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n"
		 "  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		 "roles:\n  app:\n    service: %s\n", service);
	struct diags d = { 0 };
	static const char *const targets[] = { "raw", NULL };
	int r = profile_load_buffer("p.yaml", yaml, strlen(yaml), targets, m, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

/* Stored images (archive, registry) never pull at start; a transport:path is podman's to read. */
static void test_units(void **state)
{
	(void)state;
	static const struct { const char *service, *want, *not; } c[] = {
		{ "{type: container, image: localhost/app:1, archive: app.tar, port: 9000}",
		  "--env-file /etc/kiln/app.env --network host --pull never localhost/app:1\n", "EnvironmentFile" },
		{ "{type: container, image: registry.example.com/app:1}", "--pull never registry.example.com/app:1\n", NULL },
		{ "{type: container, image: 'oci-archive:/srv/app.tar'}", "--network host oci-archive:/srv/app.tar\n", "--pull" },
		{ "{exec: /usr/bin/app --serve}", "EnvironmentFile=/etc/kiln/app.env\nExecStart=/usr/bin/app --serve\n", "podman" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct model m;
		load(c[i].service, &m);
		struct buf b;
		buf_init(&b);
		app_unit_render(&m, &b);
		if (!strstr(b.data, c[i].want) || (c[i].not && strstr(b.data, c[i].not)))
			fail_msg("%s:\n%s", c[i].service, b.data);
		assert_non_null(strstr(b.data, "Restart=on-failure\n"));
		buf_free(&b);
		model_free(&m);
	}
}

int main(void)
{
	old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pull_retries_then_succeeds),
		cmocka_unit_test(test_pull_gives_up),
		cmocka_unit_test(test_pull_timeout),
		cmocka_unit_test(test_archive_load),
		cmocka_unit_test(test_units),
	};
	int r = cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
	free(old_path);
	return r;
}
