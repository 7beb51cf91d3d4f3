/* targets/build.c, the build pipeline, driven with fake targets defined
 * here and small given images (as `kiln package` gives them, so no
 * mmdebstrap): which callback runs for which role and host, in what order,
 * the seed limits, what is written and what is refused before any work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "lib/appliance.h"
#include "lib/fileio.h"
#include "profiles/profile.h"
#include "targets/build.h"
#include "tests/unit/image_util.h"
#include <dirent.h>

static const char profile[] =
	"kiln: 1\n"
	"deployment: {name: demo, domain: demo.internal}\n"
	"subnets:\n"
	"  - {name: lan, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n"
	"hosts:\n"
	"  - {name: app1, role: app, subnet: lan, address: 10.0.0.10}\n"
	"  - {name: db1, role: mysql, subnet: lan, address: 10.0.0.20}\n"
	"  - {name: db2, role: mysql, subnet: lan, address: 10.0.0.21}\n"
	"  - {name: s3, role: minio, subnet: lan, address: 10.0.0.30}\n"
	"roles:\n"
	"  app:\n"
	"    service: {type: systemd, exec: /bin/true, port: 8000}\n";

/* What the fakes saw, in order: "fake:app", "fake:readme", "seed:db1" ... */
static struct buf calls;
static size_t seed_bytes;     /* how big the fake seed maker makes seeds */
static int fail_role = -1;    /* package_role fails for this role */

static int fake_package(const struct target_ctx *c, enum role r, const struct role_images *img, char **out)
{
	/* the pipeline stamps the product version and, from SOURCE_DATE_EPOCH, member times */
	assert_string_equal(c->po->version, KILN_VERSION);
	assert_int_equal(c->po->mtime, 1700000000);
	buf_printf(&calls, "fake:%s=%s ", role_name(r), img->os_raw);
	if ((int)r == fail_role)
		return -EIO;
	char *path = xasprintf("%s/%s-%s.fake", c->out_dir, c->m->name, role_name(r));
	assert_int_equal(write_file_atomic(path, "x", 1, 0644), 0);
	*out = path;
	return 0;
}

static void fake_readme(const struct target_ctx *c, struct buf *b)
{
	buf_puts(&calls, "fake:readme ");
	buf_printf(b, "# %s\n", c->m->name);
	for (int r = 0; r < ROLE__COUNT; r++)
		if (c->want[r])
			buf_printf(b, "- %s\n", role_name((enum role)r));
}

static int other_package(const struct target_ctx *c, enum role r, const struct role_images *img, char **out)
{
	(void)img;
	buf_printf(&calls, "other:%s ", role_name(r));
	*out = xasprintf("%s/%s.other", c->out_dir, role_name(r));
	return 0;
}

static const struct kiln_target fake = {
	.name = "fake", .summary = "test", .seed_max = 300, .seed_carrier = "a fake label", .seed_owner = "Fake",
	.seed_field = "label",
	.host_seeds = true, .package_role = fake_package, .readme = fake_readme,
};
static const struct kiln_target other = { .name = "other", .summary = "test", .package_role = other_package };
static const struct kiln_target seedless = { .name = "seedless", .summary = "test", .package_role = other_package };

static int fake_prepare(void *ud, const bool want[ROLE__COUNT])
{
	(void)ud;
	(void)want;
	buf_puts(&calls, "prepare ");
	return 0;
}

static int fake_seed(void *ud, const struct host *h, struct buf *out)
{
	(void)ud;
	buf_printf(&calls, "seed:%s ", h->name);
	for (size_t i = 0; i < seed_bytes; i++)
		buf_putc(out, 's');
	return 0;
}

struct fx {
	char *dir, *out;
	struct model m;
	struct role_images img[ROLE__COUNT];
	char *os, *data;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->dir = make_tmpdir();
	f->out = path_join(f->dir, "out");
	assert_int_equal(mkdir(f->out, 0755), 0);
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", profile, strlen(profile), target_profile_names(), &f->m, &d), 0);
	f->os = path_join(f->dir, "os.raw");
	f->data = path_join(f->dir, "data.raw");
	make_sparse(f->os, 1 << 20);
	make_sparse(f->data, 1 << 20);
	/* app and mysql given, minio not: s3 is not delivered */
	f->img[ROLE_APP].os_raw = f->os;
	f->img[ROLE_MYSQL].os_raw = f->os;
	f->img[ROLE_MYSQL].data_raw = f->data;
	buf_init(&calls);
	buf_puts(&calls, "");
	seed_bytes = 100;
	fail_role = -1;
	capture_log();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	log_set_sink(NULL, NULL);
	model_free(&f->m);
	rm_rf(f->dir);
	free(f->dir);
	free(f->out);
	free(f->os);
	free(f->data);
	buf_free(&calls);
	free(f);
	return 0;
}

static struct build_request given(struct fx *f, const struct kiln_target *const *targets)
{
	return (struct build_request){
		.profile = "p.yaml", .m = &f->m, .targets = targets, .out_dir = f->out, .given = f->img,
		.source_date_epoch = 1700000000, .make_seed = fake_seed,
	};
}

static bool exists(const struct fx *f, const char *name)
{
	char *p = path_join(f->out, name);
	bool e = access(p, F_OK) == 0;
	free(p);
	return e;
}

static size_t entries(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_given_images_through_a_fake_target(void **state)
{
	struct fx *f = *state;
	const struct kiln_target *targets[] = { &fake, NULL };
	struct build_request req = given(f, targets);
	struct build_result res;
	assert_int_equal(kiln_build(&req, &res), 0);
	/* seeds first, one per host of a delivered role; then each role in
	 * role order with its own images; then the README */
	char *want = xasprintf("seed:app1 seed:db1 seed:db2 fake:app=%s fake:mysql=%s fake:readme ", f->os, f->os);
	assert_string_equal(calls.data, want);
	free(want);
	assert_int_equal(res.n_outputs, 2);
	assert_non_null(strstr(res.outputs[0], "/demo-app.fake"));
	assert_non_null(strstr(res.outputs[1], "/demo-mysql.fake"));
	assert_int_equal(res.n_seeds, 3);
	assert_true(exists(f, "app1.seed") && exists(f, "db1.seed") && exists(f, "db2.seed"));
	assert_false(exists(f, "s3.seed"));
	char *readme, *p = path_join(f->out, "demo-fake-README.md");
	size_t len;
	assert_int_equal(read_file(p, 4096, &readme, &len), 0);
	assert_string_equal(readme, "# demo\n- app\n- mysql\n");
	free(readme);
	free(p);
	build_result_free(&res);
}

static void test_targets_run_in_request_order(void **state)
{
	struct fx *f = *state;
	const struct kiln_target *targets[] = { &other, &fake, NULL };
	struct build_request req = given(f, targets);
	req.make_seed = NULL;   /* kiln package --no-seeds */
	struct build_result res;
	assert_int_equal(kiln_build(&req, &res), 0);
	char *want = xasprintf("other:app other:mysql fake:app=%s fake:mysql=%s fake:readme ", f->os, f->os);
	assert_string_equal(calls.data, want);
	free(want);
	assert_int_equal(res.n_outputs, 4);
	assert_int_equal(res.n_seeds, 0);
	assert_false(exists(f, "app1.seed"));
	build_result_free(&res);
}

/* Seeds only where a requested target hands them out. */
static void test_no_seeds_without_a_target_that_ships_them(void **state)
{
	struct fx *f = *state;
	const struct kiln_target *targets[] = { &seedless, NULL };
	struct build_request req = given(f, targets);
	struct build_result res;
	assert_int_equal(kiln_build(&req, &res), 0);
	assert_string_equal(calls.data, "other:app other:mysql ");
	assert_int_equal(res.n_seeds, 0);
	build_result_free(&res);
}

/* A seed over the requested target's limit stops everything before any
 * packaging, and nothing is left in OUT. */
static void test_seed_over_the_target_limit(void **state)
{
	struct fx *f = *state;
	const struct kiln_target *targets[] = { &fake, NULL };
	struct build_request req = given(f, targets);
	seed_bytes = 301;
	struct build_result res;
	assert_int_equal(kiln_build(&req, &res), -EFBIG);
	assert_string_equal(calls.data, "seed:app1 ");
	assert_string_equal(last_error, "seed for app1 is 301 bytes, over Fake's 300 byte label limit; shrink the "
					"profile (comments, unused sections) or the app certificate: File too large");
	assert_int_equal(res.n_outputs, 0);
	assert_int_equal(entries(f->out), 0);
	build_result_free(&res);
	/* at the limit it goes */
	seed_bytes = 300;
	buf_free(&calls);
	buf_puts(&calls, "");
	assert_int_equal(kiln_build(&req, &res), 0);
	build_result_free(&res);
}

/* The profile's targets: bound seeds too, even when another target is
 * requested: ec2 (16384 bytes) named by the profile, fake requested. */
static void test_seed_over_a_limit_the_profile_targets(void **state)
{
	struct fx *f = *state;
	char *y = xasprintf("%stargets: [raw, ec2]\n", profile);
	struct model m;
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), target_profile_names(), &m, &d), 0);
	const struct kiln_target *targets[] = { &seedless, &other, NULL };
	struct build_request req = given(f, targets);
	req.m = &m;
	struct kiln_target shipping = seedless;
	shipping.host_seeds = true;
	targets[0] = &shipping;
	seed_bytes = 16385;
	struct build_result res;
	assert_int_equal(kiln_build(&req, &res), -EFBIG);
	assert_non_null(strstr(last_error, "seed for app1 is 16385 bytes, over EC2's 16384 byte user-data limit "
					   "(the profile targets ec2)"));
	assert_int_equal(entries(f->out), 0);
	build_result_free(&res);
	model_free(&m);
	free(y);
}

/* A target that fails stops the run; what was written before is reported. */
static void test_package_failure(void **state)
{
	struct fx *f = *state;
	const struct kiln_target *targets[] = { &fake, &other, NULL };
	struct build_request req = given(f, targets);
	fail_role = ROLE_MYSQL;
	struct build_result res;
	assert_int_equal(kiln_build(&req, &res), -EIO);
	assert_int_equal(res.n_outputs, 1);   /* demo-app.fake */
	assert_null(strstr(calls.data, "other:"));
	assert_null(strstr(calls.data, "readme"));
	build_result_free(&res);
}

/* Building images: the refusals that come before any long work. */
static void test_build_refusals_before_work(void **state)
{
	struct fx *f = *state;
	const struct kiln_target *targets[] = { &fake, NULL };
	char *state_dir = path_join(f->dir, "state"), *out = path_join(f->dir, "images");
	struct build_request req = {
		.profile = "p.yaml", .m = &f->m, .targets = targets, .out_dir = out, .state = state_dir,
		.source_date_epoch = -1, .make_seed = fake_seed,
	};
	struct build_result res;
	/* a role no host has */
	struct model m;
	struct diags d = { 0 };
	const char *nominio = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n"
			      "  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n  - {name: h1, role: mysql, subnet: a, "
			      "address: 10.0.0.10}\n";
	assert_int_equal(profile_load_buffer("t.yaml", nominio, strlen(nominio), NULL, &m, &d), 0);
	req.m = &m;
	req.roles[ROLE_MINIO] = true;
	assert_int_equal(kiln_build(&req, &res), -EINVAL);
	assert_string_equal(last_error, "role 'minio' is not used by any host in p.yaml");
	build_result_free(&res);
	model_free(&m);
	/* MinIO has no download: without --artifact minio=PATH the build stops
	 * first, with one line naming the option and why; nothing is made */
	req.m = &f->m;
	req.roles[ROLE_MINIO] = false;
	req.recipes = "images/roles";
	req.prepare_state = fake_prepare;
	buf_free(&calls);
	buf_puts(&calls, "");
	assert_int_equal(kiln_build(&req, &res), -ENOENT);
	assert_string_equal(last_error, "artifact 'minio' has no download (MinIO publishes no binaries to download): "
					"pass the file you have with --artifact minio=PATH");
	assert_string_equal(calls.data, "");   /* the state was not touched */
	assert_int_equal(access(out, F_OK), -1);
	build_result_free(&res);
	/* ... nor with a --artifact that is not a regular file */
	struct artifact_override mv = { "minio", f->dir };
	req.overrides = &mv;
	req.n_overrides = 1;
	assert_int_equal(kiln_build(&req, &res), -EISDIR);
	assert_string_equal(calls.data, "");
	build_result_free(&res);
	/* no keys: the caller may make the state (after the checks above), then
	 * the keys are checked */
	mv.path = f->os;
	assert_int_equal(kiln_build(&req, &res), -ENOENT);
	assert_string_equal(calls.data, "prepare ");
	assert_non_null(strstr(last_error, "missing operator public key"));
	build_result_free(&res);
	req.prepare_state = NULL;
	/* keys, agent and units present: a seed over the limit still stops the
	 * build before any rootfs work (no mmdebstrap runs here) */
	assert_int_equal(mkdir(state_dir, 0700), 0);
	char *roles = path_join(state_dir, "roles");
	assert_int_equal(mkdir(roles, 0700), 0);
	char *op = path_join(state_dir, "operator.pub");
	assert_int_equal(write_file_atomic(op, "pub\n", 4, 0644), 0);
	for (int r = 0; r < ROLE__COUNT; r++) {
		char *k = xasprintf("%s/%s.key", roles, role_name((enum role)r));
		assert_int_equal(write_file_atomic(k, "key\n", 4, 0600), 0);
		free(k);
	}
	char *units = path_join(f->dir, "units");
	assert_int_equal(mkdir(units, 0755), 0);
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		char *u = path_join(units, kiln_units[i].name);
		assert_int_equal(write_file_atomic(u, "[Unit]\n", 7, 0644), 0);
		free(u);
	}
	req.firstboot = op;   /* any readable file stands in for the agent */
	req.units_dir = units;
	req.recipes = "images/roles";
	seed_bytes = 301;
	buf_free(&calls);
	buf_puts(&calls, "");
	assert_int_equal(kiln_build(&req, &res), -EFBIG);
	assert_string_equal(calls.data, "seed:app1 ");
	assert_int_equal(res.n_outputs, 0);
	assert_int_equal(entries(out), 0);   /* created, and empty */
	build_result_free(&res);
	/* an --artifact no recipe of the profile's roles has */
	struct artifact_override ov[] = { { "minio", f->os }, { "nosuch", "/dev/null" } };
	req.overrides = ov;
	req.n_overrides = 2;
	assert_int_equal(kiln_build(&req, &res), -EINVAL);
	assert_string_equal(last_error, "--artifact nosuch: no recipe of the profile's roles has an artifact of that name");
	build_result_free(&res);
	free(units);
	free(op);
	free(roles);
	free(state_dir);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_given_images_through_a_fake_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_targets_run_in_request_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_seeds_without_a_target_that_ships_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_over_the_target_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_over_a_limit_the_profile_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_refusals_before_work, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
