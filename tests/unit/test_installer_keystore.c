/* installer/keystore.c: each unit of the state directory checked whole
 * (pairs, secrets, the CA and the app certificate), the ownership check, and
 * the messages naming the command that repairs a unit. */
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
#include <time.h>
#include <unistd.h>
#include "installer/keystore.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/secret_gen.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "tests/unit/state_fixture.h"

#define YEAR (365LL * 86400)

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	assert_int_equal(fx_put(dir, name, text, mode), 0);
}

static void cp(const char *dir, const char *from, const char *to)
{
	char *p = path_join(dir, from), *t;
	size_t n;
	assert_int_equal(read_file(p, 1 << 20, &t, &n), 0);
	put(dir, to, t, 0600);
	free(t);
	free(p);
}

static void rm(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	assert_int_equal(unlink(p), 0);
	free(p);
}

static void put_operator(const char *d, const char *key_name, const char *pub_name)
{
	struct minisign_key *k = minisign_keygen();
	struct minisign_pub p;
	struct buf key, pub;
	buf_init(&key);
	buf_init(&pub);
	minisign_key_public(k, &p);
	minisign_key_format(k, &key);
	minisign_pub_format(&p, &pub);
	put(d, key_name, key.data, 0600);
	put(d, pub_name, pub.data, 0644);
	buf_wipe(&key);
	buf_free(&pub);
	minisign_key_free(k);
}

static void put_role(const char *d, const char *role, const char *key_name, const char *pub_name)
{
	struct role_keypair *k = role_keypair_new();
	struct buf key, pub;
	buf_init(&key);
	buf_init(&pub);
	role_key_format(role, k, &key);
	role_pub_format(role, k->pk, &pub);
	put(d, key_name, key.data, 0600);
	put(d, pub_name, pub.data, 0644);
	buf_wipe(&key);
	buf_free(&pub);
	role_keypair_free(k);
}

/* ca.pem/ca.key and tls_cert.pem/secrets/tls_key (from that CA), under names. */
static void put_tls(const char *d, const char *ca_name, const char *cak_name, const char *cert_name,
		    const char *key_name)
{
	char *ca, *cak, *cert, *key;
	const char *dns[] = { "app1.acme.internal" };
	assert_int_equal(tls_ca_create("kiln acme deployment CA", &ca, &cak), 0);
	assert_int_equal(tls_server_cert(ca, cak, dns, 1, NULL, 0, &cert, &key), 0);
	put(d, ca_name, ca, 0644);
	put(d, cak_name, cak, 0600);
	put(d, cert_name, cert, 0644);
	put(d, key_name, key, 0600);
	free(ca);
	free(cert);
	tls_free_secret(cak);
	tls_free_secret(key);
}

/* A whole state directory of deployment acme, and spare units beside it. */
static int set_up(void **state)
{
	char *d = fx_dir();
	if (!d)
		return -1;
	char *roles = path_join(d, "roles"), *secrets = path_join(d, "secrets");
	mkdir(roles, 0700);
	mkdir(secrets, 0700);
	free(roles);
	free(secrets);
	put(d, "deployment", "acme\n", 0644);
	put_operator(d, "operator.key", "operator.pub");
	put_operator(d, "spare-operator.key", "spare-operator.pub");
	put_role(d, "app", "roles/app.key", "roles/app.pub");
	put_role(d, "app", "spare-app.key", "spare-app.pub");
	put_tls(d, "ca.pem", "ca.key", "tls_cert.pem", "secrets/tls_key");
	put_tls(d, "spare-ca.pem", "spare-ca.key", "spare-cert.pem", "spare-tls.key");
	char *pw = secret_gen_password(), *ak = secret_gen_access_key();
	put(d, "secrets/mysql_root_password", pw, 0600);
	put(d, "secrets/minio_root_user", ak, 0600);
	secret_value_free(pw);
	secret_value_free(ak);
	*state = d;
	return 0;
}

static int tear_down(void **state)
{
	return fx_cleanup(*state);
}

static void test_owner(void **state)
{
	const char *d = *state;
	assert_int_equal(keystore_check_owner(d, "acme", "p.yaml", false), 0);
	assert_int_equal(keystore_check_owner(d, "other", "p.yaml", true), -EXDEV);
	assert_non_null(strstr(fx_logged, "holds the keys of another deployment ('acme'; the profile is 'other')"));
	rm(d, "deployment");
	assert_int_equal(keystore_check_owner(d, "acme", "p.yaml", true), 1);
	fx_logged[0] = '\0';
	assert_int_equal(keystore_check_owner(d, "acme", "p.yaml", false), -ENOENT);
	assert_non_null(strstr(fx_logged, "run 'kiln keys init p.yaml' first"));
	put(d, "deployment", "\n", 0644);
	assert_int_equal(keystore_check_owner(d, "acme", "p.yaml", false), -EBADMSG);
}

static void test_operator_pair(void **state)
{
	const char *d = *state;
	struct minisign_key *k = NULL;
	struct ks_problem pb = { 0 };
	assert_int_equal(keystore_operator_pair(d, &k, &pb), KS_OK);
	assert_non_null(k);
	minisign_key_free(k);
	/* the public half of another key: bad, the secret key still usable for the repair */
	cp(d, "spare-operator.pub", "operator.pub");
	assert_int_equal(keystore_operator_pair(d, &k, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "operator.pub does not match"));
	assert_non_null(strstr(pb.repair, "writes the public half again"));
	assert_non_null(k);
	minisign_key_free(k);
	/* the message names the command */
	assert_int_equal(keystore_require(KS_BAD, &pb, "keys", "site.yaml"), -EBADMSG);
	assert_non_null(strstr(fx_logged, "does not match"));
	assert_non_null(strstr(fx_logged, "; repair with: kiln keys init site.yaml --repair (it writes the public half"));
	assert_null(pb.why);
	put(d, "operator.pub", "untrusted comment: x\nnot base64\n", 0644);
	assert_int_equal(keystore_operator_pair(d, NULL, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "operator.pub is not a valid public key"));
	rm(d, "operator.pub");
	assert_int_equal(keystore_operator_pair(d, &k, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "operator.pub is missing"));
	assert_non_null(k);
	minisign_key_free(k);
	/* no secret key: nothing to rewrite from, a new pair is the repair */
	put(d, "operator.key", "untrusted comment: x\nAAAA\n", 0600);
	assert_int_equal(keystore_operator_pair(d, &k, &pb), KS_BAD);
	assert_null(k);
	assert_non_null(strstr(pb.repair, "new operator key pair"));
	rm(d, "operator.key");
	assert_int_equal(keystore_operator_pair(d, &k, &pb), KS_MISSING);
	cp(d, "spare-operator.pub", "operator.pub");
	assert_int_equal(keystore_operator_pair(d, &k, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "exists without its secret key"));
	/* what --repair cannot mend is an error of its own */
	cp(d, "spare-operator.key", "operator.key");
	char *p = path_join(d, "operator.key");
	chmod(p, 0644);
	fx_logged[0] = '\0';
	assert_int_equal(keystore_operator_pair(d, &k, &pb), -EPERM);
	assert_non_null(strstr(fx_logged, "chmod 600"));
	free(p);
	ks_problem_free(&pb);
}

static void test_role_pair(void **state)
{
	const char *d = *state;
	struct role_keypair *k = NULL;
	struct ks_problem pb = { 0 };
	assert_int_equal(keystore_role_pair(d, "app", &k, &pb), KS_OK);
	role_keypair_free(k);
	assert_int_equal(keystore_role_pair(d, "mysql", &k, &pb), KS_MISSING);
	assert_int_equal(keystore_require(KS_MISSING, &pb, "keys", NULL), -ENOENT);
	assert_non_null(strstr(fx_logged, "roles/mysql.key is missing; run 'kiln keys init PROFILE'"));
	cp(d, "spare-app.pub", "roles/app.pub");
	assert_int_equal(keystore_role_pair(d, "app", &k, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "roles/app.pub does not match"));
	assert_non_null(k);
	role_keypair_free(k);
	/* a .key whose halves disagree is no key */
	put(d, "roles/app.key", "untrusted comment: kiln role secret key app\nAAAA\n", 0600);
	assert_int_equal(keystore_role_pair(d, "app", &k, &pb), KS_BAD);
	assert_null(k);
	assert_non_null(strstr(pb.repair, "new key pair for the role"));
	ks_problem_free(&pb);
}

static void test_secrets(void **state)
{
	const char *d = *state;
	struct ks_problem pb = { 0 };
	char *v = NULL;
	size_t n = 0;
	assert_int_equal(keystore_secret(d, SECRET_PASSWORD, "mysql_root_password", &v, &n, &pb), KS_OK);
	assert_int_equal(n, 43);
	keystore_free_private(v);
	assert_int_equal(keystore_secret(d, SECRET_ACCESS_KEY, "minio_root_user", NULL, NULL, &pb), KS_OK);
	/* kinds are checked as their own */
	assert_int_equal(keystore_secret(d, SECRET_ACCESS_KEY, "mysql_root_password", NULL, NULL, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "an access key must be"));
	assert_int_equal(keystore_secret(d, SECRET_PASSWORD, "nope", NULL, NULL, &pb), KS_MISSING);
	assert_int_equal(keystore_require(KS_MISSING, &pb, "secrets", "p.yaml"), -ENOENT);
	assert_non_null(strstr(fx_logged, "secret nope is missing"));
	assert_non_null(strstr(fx_logged, "run 'kiln secrets init p.yaml'"));
	put(d, "secrets/mysql_root_password", "", 0600);
	v = NULL;
	assert_int_equal(keystore_secret(d, SECRET_PASSWORD, "mysql_root_password", &v, &n, &pb), KS_BAD);
	assert_null(v);
	assert_non_null(strstr(pb.why, "secrets/mysql_root_password: it is empty"));
	fx_logged[0] = '\0';
	assert_int_equal(keystore_require(KS_BAD, &pb, "secrets", "p.yaml"), -EBADMSG);
	assert_non_null(strstr(fx_logged, "repair with: kiln secrets init p.yaml --repair (it makes a new value"));
	/* a tls_key is checked with its certificate, not as a password */
	assert_int_equal(keystore_secret(d, SECRET_TLS_KEY, "tls_key", NULL, NULL, &pb), KS_OK);
	put(d, "secrets/minio_root_user", "ABCDEFGHIJ0123456789", 0640);
	assert_int_equal(keystore_secret(d, SECRET_ACCESS_KEY, "minio_root_user", NULL, NULL, &pb), -EPERM);
	/* the operator's keys of an external S3 endpoint: never made by kiln, so
	 * the message says what to put where, not which command to run */
	fx_logged[0] = '\0';
	assert_int_equal(keystore_secret(d, SECRET_EXTERNAL, "backup_s3_secret_key", NULL, NULL, &pb), KS_MISSING);
	assert_int_equal(keystore_require(KS_MISSING, &pb, "secrets", "p.yaml"), -ENOENT);
	assert_non_null(strstr(fx_logged, "secret backup_s3_secret_key is missing: put the key your S3 provider gave you "
					  "for backup.s3 into "));
	assert_null(strstr(fx_logged, "kiln secrets init"));
	put(d, "secrets/backup_s3_secret_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", 0600);
	fx_logged[0] = '\0';
	assert_int_equal(keystore_secret(d, SECRET_EXTERNAL, "backup_s3_secret_key", NULL, NULL, &pb), KS_BAD);
	assert_int_equal(keystore_require(KS_BAD, &pb, "secrets", "p.yaml"), -EBADMSG);
	assert_non_null(strstr(fx_logged, "secrets/backup_s3_secret_key: a key given by the S3 provider must be"));
	assert_null(strstr(fx_logged, "--repair"));
	assert_null(strstr(fx_logged, "EXAMPLEKEY"));
	put(d, "secrets/backup_s3_secret_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 0600);
	v = NULL;
	assert_int_equal(keystore_secret(d, SECRET_EXTERNAL, "backup_s3_secret_key", &v, &n, &pb), KS_OK);
	assert_int_equal(n, 40);
	keystore_free_private(v);
	ks_problem_free(&pb);
}

static void test_tls(void **state)
{
	const char *d = *state;
	int64_t now = time(NULL);
	struct ks_tls t;
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.ca, KS_OK);
	assert_int_equal(t.cert, KS_OK);
	assert_non_null(t.ca_pem);
	assert_non_null(t.ca_key);
	keystore_tls_free(&t);
	/* ten years on, the CA has expired; the certificate goes with it */
	assert_int_equal(keystore_tls(d, true, now + 11 * YEAR, &t), 0);
	assert_int_equal(t.ca, KS_BAD);
	assert_non_null(strstr(t.ca_pb.why, "ca.pem: the certificate has expired"));
	assert_null(t.ca_pem);
	assert_int_equal(t.cert, KS_BAD);
	assert_non_null(strstr(t.cert_pb.why, "is broken"));
	keystore_tls_free(&t);
	/* a certificate from another CA */
	cp(d, "spare-cert.pem", "tls_cert.pem");
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.ca, KS_OK);
	assert_int_equal(t.cert, KS_BAD);
	assert_non_null(strstr(t.cert_pb.why, "tls_cert.pem: the certificate is not signed by the CA"));
	assert_non_null(strstr(t.cert_pb.repair, "new app certificate and key from the CA"));
	keystore_tls_free(&t);
	/* ... which is a whole pair when the operator brings it (no CA) */
	cp(d, "spare-tls.key", "secrets/tls_key");
	assert_int_equal(keystore_tls(d, false, now, &t), 0);
	assert_int_equal(t.ca, KS_MISSING);
	assert_int_equal(t.cert, KS_OK);
	keystore_tls_free(&t);
	/* a key that is not the certificate's */
	cp(d, "ca.key", "secrets/tls_key");
	assert_int_equal(keystore_tls(d, false, now, &t), 0);
	assert_int_equal(t.cert, KS_BAD);
	assert_non_null(strstr(t.cert_pb.why, "the private key is not the certificate's key"));
	assert_non_null(strstr(t.cert_pb.repair, "copies the roles.app.tls"));
	keystore_tls_free(&t);
	/* a CA key of another CA */
	cp(d, "spare-ca.key", "ca.key");
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.ca, KS_BAD);
	assert_non_null(strstr(t.ca_pb.why, "ca.pem: the private key is not the certificate's key"));
	assert_non_null(strstr(t.ca_pb.repair, "new CA and app certificate"));
	keystore_tls_free(&t);
	/* partial sets */
	rm(d, "ca.pem");
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.ca, KS_BAD);
	assert_non_null(strstr(t.ca_pb.why, "ca.key exists without"));
	assert_int_equal(t.cert, KS_BAD);
	keystore_tls_free(&t);
	rm(d, "ca.key");
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.ca, KS_MISSING);
	assert_int_equal(t.cert, KS_BAD);
	assert_non_null(strstr(t.cert_pb.why, "is missing"));
	keystore_tls_free(&t);
	rm(d, "tls_cert.pem");
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.cert, KS_BAD);
	assert_non_null(strstr(t.cert_pb.why, "secrets/tls_key exists without"));
	keystore_tls_free(&t);
	rm(d, "secrets/tls_key");
	assert_int_equal(keystore_tls(d, true, now, &t), 0);
	assert_int_equal(t.ca, KS_MISSING);
	assert_int_equal(t.cert, KS_MISSING);
	keystore_tls_free(&t);
	/* an open ca.key is an error --repair does not mend */
	put(d, "ca.key", "x", 0644);
	put(d, "ca.pem", "x", 0644);
	assert_int_equal(keystore_tls(d, true, now, &t), -EPERM);
}

static void test_check_keys(void **state)
{
	const char *d = *state;
	bool want[ROLE__COUNT] = { false };
	want[ROLE_APP] = true;
	assert_int_equal(keystore_check_keys(d, "p.yaml", "acme", want), 0);
	assert_int_equal(keystore_check_keys(d, "p.yaml", "other", want), -EXDEV);
	want[ROLE_MYSQL] = true;
	fx_logged[0] = '\0';
	assert_int_equal(keystore_check_keys(d, "p.yaml", "acme", want), -ENOENT);
	assert_non_null(strstr(fx_logged, "roles/mysql.key is missing; run 'kiln keys init p.yaml'"));
	want[ROLE_MYSQL] = false;
	cp(d, "spare-operator.pub", "operator.pub");
	assert_int_equal(keystore_check_keys(d, "p.yaml", "acme", want), -EBADMSG);
	/* kiln sign: the deployment read from the directory, or checked against it */
	struct minisign_key *k = NULL;
	char *dep = NULL;
	assert_int_equal(keystore_signing_key(d, NULL, &dep, &k), -EBADMSG);
	assert_null(k);
	cp(d, "spare-operator.key", "operator.key");
	cp(d, "spare-operator.pub", "operator.pub");
	assert_int_equal(keystore_signing_key(d, NULL, &dep, &k), 0);
	assert_string_equal(dep, "acme");
	assert_non_null(k);
	minisign_key_free(k);
	free(dep);
	dep = xstrdup("other");
	assert_int_equal(keystore_signing_key(d, "o.yaml", &dep, &k), -EXDEV);
	assert_null(k);
	free(dep);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owner, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_operator_pair, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_role_pair, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_secrets, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_tls, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_check_keys, set_up, tear_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
