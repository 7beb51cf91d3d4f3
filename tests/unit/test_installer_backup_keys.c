/* installer/backup_keys.c: the backup key pair made once in a deployment's
 * state directory, never overwritten or half-made, and loaded only whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "installer/backup_keys.h"
#include "lib/backup_object.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/state_fixture.h"

static int set_up(void **state)
{
	char *d = fx_dir();
	if (!d || fx_put(d, "deployment", "acme\n", 0644) < 0)
		return -1;
	*state = d;
	return 0;
}

static int tear_down(void **state)
{
	return fx_cleanup(*state);
}

static char *slurp(const char *d, const char *name)
{
	char *p = path_join(d, name), *t = NULL;
	size_t n;
	assert_int_equal(read_file(p, 4096, &t, &n), 0);
	free(p);
	return t;
}

static mode_t mode_of(const char *d, const char *name)
{
	char *p = path_join(d, name);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

static void test_init(void **state)
{
	const char *d = *state;
	assert_int_equal(backup_keys_init(d, "p.yaml", "acme"), 0);
	assert_int_equal(mode_of(d, "backup.key"), 0600);
	assert_int_equal(mode_of(d, "backup.pub"), 0644);
	char *key = slurp(d, "backup.key"), *pub = slurp(d, "backup.pub");
	assert_non_null(strstr(pub, "kiln backup public key acme\n"));
	struct role_keypair *k = NULL;
	uint8_t pk[32];
	assert_int_equal(backup_key_parse(key, strlen(key), &k), 0);
	assert_int_equal(backup_pub_parse(pub, strlen(pub), pk), 0);
	assert_memory_equal(pk, k->pk, 32);
	role_keypair_free(k);
	char *txn = path_join(d, ".txn");
	assert_int_not_equal(access(txn, F_OK), 0);
	free(txn);

	/* never again: the same pair stays */
	assert_int_equal(backup_keys_init(d, "p.yaml", "acme"), -EEXIST);
	assert_non_null(strstr(fx_logged, "already holds a backup key"));
	assert_int_equal(backup_keys_init(d, NULL, NULL), -EEXIST);   /* --state alone: the directory's deployment */
	char *again = slurp(d, "backup.key");
	assert_string_equal(again, key);
	free(again);
	free(key);
	free(pub);
}

static void test_init_refusals(void **state)
{
	const char *d = *state;
	/* another deployment's directory */
	assert_int_equal(backup_keys_init(d, "o.yaml", "other"), -EXDEV);
	assert_non_null(strstr(fx_logged, "another deployment"));
	/* a half of a pair, either one */
	assert_int_equal(fx_put(d, "backup.pub", "x\n", 0644), 0);
	fx_logged[0] = '\0';
	assert_int_equal(backup_keys_init(d, "p.yaml", "acme"), -EBADMSG);
	assert_non_null(strstr(fx_logged, "backup.pub exists without"));
	assert_non_null(strstr(fx_logged, "refusing to touch a partial backup key pair"));
	char *p = path_join(d, "backup.pub");
	unlink(p);
	free(p);
	assert_int_equal(fx_put(d, "backup.key", "x\n", 0600), 0);
	assert_int_equal(backup_keys_init(d, "p.yaml", "acme"), -EBADMSG);
	char *k = path_join(d, "backup.key");
	unlink(k);
	free(k);
	/* a directory open to others, a missing one, one of no deployment */
	chmod(d, 0755);
	assert_int_equal(backup_keys_init(d, "p.yaml", "acme"), -EPERM);
	chmod(d, 0700);
	char *missing = path_join(d, "missing");
	assert_int_equal(backup_keys_init(missing, "p.yaml", "acme"), -ENOENT);
	assert_int_equal(mkdir(missing, 0700), 0);
	assert_int_equal(backup_keys_init(missing, NULL, NULL), -ENOENT);
	assert_int_equal(backup_keys_init(missing, "p.yaml", "acme"), -ENOENT);
	assert_non_null(strstr(fx_logged, "holds no deployment's keys"));
	free(missing);
}

static void test_load(void **state)
{
	const char *d = *state;
	struct role_keypair *k = NULL;
	assert_int_equal(backup_key_load_state(d, "p.yaml", "acme", &k), -ENOENT);
	assert_null(k);
	assert_non_null(strstr(fx_logged, "holds no backup key"));
	assert_non_null(strstr(fx_logged, "run 'kiln backup keys init p.yaml'"));
	fx_logged[0] = '\0';
	assert_int_equal(backup_key_load_state(d, NULL, NULL, &k), -ENOENT);
	assert_non_null(strstr(fx_logged, "run 'kiln backup keys init --state "));
	assert_int_equal(backup_keys_init(d, "p.yaml", "acme"), 0);
	assert_int_equal(backup_key_load_state(d, "p.yaml", "acme", &k), 0);
	char *pub = slurp(d, "backup.pub");
	uint8_t pk[32];
	assert_int_equal(backup_pub_parse(pub, strlen(pub), pk), 0);
	assert_memory_equal(pk, k->pk, 32);
	role_keypair_free(k);
	k = NULL;
	assert_int_equal(backup_key_load_state(d, "o.yaml", "other", &k), -EXDEV);

	/* the public half: missing, another key's, not a key */
	char *pp = path_join(d, "backup.pub");
	unlink(pp);
	fx_logged[0] = '\0';
	assert_int_equal(backup_key_load_state(d, "p.yaml", "acme", &k), -EBADMSG);
	assert_null(k);
	assert_non_null(strstr(fx_logged, "exists without"));
	struct role_keypair *other = role_keypair_new();
	struct buf b;
	buf_init(&b);
	backup_pub_format("acme", other->pk, &b);
	assert_int_equal(fx_put(d, "backup.pub", b.data, 0644), 0);
	buf_free(&b);
	role_keypair_free(other);
	assert_int_equal(backup_key_load_state(d, "p.yaml", "acme", &k), -EBADMSG);
	assert_non_null(strstr(fx_logged, "backup.pub does not match"));
	assert_int_equal(fx_put(d, "backup.pub", "untrusted comment: x\nAAAA\n", 0644), 0);
	assert_int_equal(backup_key_load_state(d, "p.yaml", "acme", &k), -EBADMSG);
	assert_non_null(strstr(fx_logged, "is not a kiln backup public key"));
	assert_int_equal(fx_put(d, "backup.pub", pub, 0644), 0);
	free(pub);
	free(pp);

	/* the key file: open to others, a role key, fine by --key */
	char *kp = path_join(d, "backup.key");
	chmod(kp, 0644);
	assert_int_equal(backup_key_load_file(kp, &k), -EPERM);
	chmod(kp, 0600);
	assert_int_equal(backup_key_load_file(kp, &k), 0);
	role_keypair_free(k);
	struct role_keypair *rk = role_keypair_new();
	buf_init(&b);
	role_key_format("mysql", rk, &b);
	assert_int_equal(fx_put(d, "mysql.key", b.data, 0600), 0);
	buf_wipe(&b);
	role_keypair_free(rk);
	char *mk = path_join(d, "mysql.key");
	fx_logged[0] = '\0';
	assert_int_equal(backup_key_load_file(mk, &k), -EBADMSG);
	assert_non_null(strstr(fx_logged, "mysql.key is not a kiln backup secret key"));
	free(mk);
	free(kp);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_init_refusals, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_load, set_up, tear_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
