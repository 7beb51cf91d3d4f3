/* installer/state_init.c: the state directory made whole in one run (what
 * kiln keys init, kiln secrets init and kiln build share): made when
 * missing, kept when whole, and nothing written when a unit is refused or
 * the directory is another deployment's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "installer/state_init.h"
#include "profiles/profile.h"
#include "tests/unit/state_fixture.h"

static const char *const targets[] = { "raw", "esxi", "ec2", "iso", "usb", NULL };

struct fx {
	char *dir;
	struct model m;
};

static int set_up(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct diags d = { 0 };
	int r = profile_load_file("profiles/examples/onprem.yaml", targets, &f->m, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	f->dir = fx_dir();
	*state = f;
	return r == 0 && f->dir ? 0 : -1;
}

static int tear_down(void **state)
{
	struct fx *f = *state;
	int r = fx_cleanup(f->dir);
	model_free(&f->m);
	free(f);
	return r;
}

static bool present(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static int run(struct fx *f, unsigned what, char **out, int *changed)
{
	struct state_init s = { .profile = "onprem.yaml", .state = f->dir, .m = &f->m, .what = what };
	int r = state_init_run(&s);
	*out = xstrndup(s.out.data ? s.out.data : "", s.out.len);
	*changed = s.changed;
	buf_free(&s.out);
	return r;
}

static const char *const made[] = {
	"deployment", "operator.key", "operator.pub", "roles/app.key", "roles/app.pub", "roles/mysql.key",
	"roles/minio.key", "ca.pem", "ca.key", "tls_cert.pem", "secrets/tls_key", "secrets/mysql_app_password",
	"secrets/minio_app_secret_key",
};

static void test_made_then_kept(void **state)
{
	struct fx *f = *state;
	char *out;
	int changed;
	assert_int_equal(run(f, STATE_INIT_KEYS | STATE_INIT_SECRETS, &out, &changed), 0);
	for (size_t i = 0; i < sizeof made / sizeof *made; i++)
		if (!present(f->dir, made[i]))
			fail_msg("%s was not made", made[i]);
	assert_true(changed > 0);
	assert_non_null(strstr(out, "ca: generated\n"));
	assert_non_null(strstr(out, "mysql_app_password: generated\n"));
	assert_false(present(f->dir, ".txn"));
	free(out);
	/* whole: a second run keeps everything and changes nothing */
	assert_int_equal(run(f, STATE_INIT_KEYS | STATE_INIT_SECRETS, &out, &changed), 0);
	assert_int_equal(changed, 0);
	assert_non_null(strstr(out, "mysql_app_password: kept\n"));
	assert_null(strstr(out, "generated"));
	free(out);
}

static void test_keys_only(void **state)
{
	struct fx *f = *state;
	char *out;
	int changed;
	assert_int_equal(run(f, STATE_INIT_KEYS, &out, &changed), 0);
	free(out);
	assert_true(present(f->dir, "operator.key"));
	assert_false(present(f->dir, "secrets"));
	assert_false(present(f->dir, "ca.pem"));
}

/* A broken unit is refused with its repair, and the run writes nothing:
 * not even the secret that was only missing. */
static void test_refused_unit_writes_nothing(void **state)
{
	struct fx *f = *state;
	char *out;
	int changed;
	assert_int_equal(run(f, STATE_INIT_KEYS | STATE_INIT_SECRETS, &out, &changed), 0);
	free(out);
	char *key = path_join(f->dir, "roles/mysql.key"), *pw = path_join(f->dir, "secrets/mysql_app_password");
	assert_int_equal(unlink(key), 0);
	assert_int_equal(unlink(pw), 0);
	fx_logged[0] = '\0';
	assert_int_equal(run(f, STATE_INIT_KEYS | STATE_INIT_SECRETS, &out, &changed), -EBADMSG);
	free(out);
	assert_non_null(strstr(fx_logged, "roles/mysql.pub exists without its secret key"));
	assert_non_null(strstr(fx_logged, "--repair"));
	assert_false(present(f->dir, "roles/mysql.key"));
	assert_false(present(f->dir, "secrets/mysql_app_password"));
	assert_false(present(f->dir, ".txn"));
	free(key);
	free(pw);
}

static void test_other_deployment_refused(void **state)
{
	struct fx *f = *state;
	assert_int_equal(fx_put(f->dir, "deployment", "other", 0644), 0);
	char *out;
	int changed;
	fx_logged[0] = '\0';
	assert_true(run(f, STATE_INIT_KEYS | STATE_INIT_SECRETS, &out, &changed) < 0);
	free(out);
	assert_non_null(strstr(fx_logged, "holds the keys of another deployment ('other'"));
	assert_false(present(f->dir, "operator.key"));
	assert_false(present(f->dir, "secrets"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_made_then_kept, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_keys_only, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_refused_unit_writes_nothing, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_other_deployment_refused, set_up, tear_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
