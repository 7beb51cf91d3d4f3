/* installer/mon_certs.c: the monitoring certificate units of the state
 * directory, each checked whole (missing, partial, another CA's, the key of
 * another, made for another use, naming the host as it no longer is, key
 * open to others) and issued for its use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "installer/mon_certs.h"
#include "lib/tls_ca.h"
#include "profiles/profile.h"
#include "tests/unit/state_fixture.h"

#define PROFILE(addr) \
	"kiln: 1\ndeployment: {name: acme, domain: acme.internal}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n" \
	"hosts:\n  - {name: db1, role: mysql, subnet: a, address: " addr "}\n" \
	"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\nmonitoring: {host: s3}\n"

struct fx {
	char *dir, *ca, *ca_key, *ca2, *ca2_key;
	struct model m, moved;
};

static void load(const char *text, struct model *m)
{
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", text, strlen(text), NULL, m, &d), 0);
	diags_free(&d);
}

static int set_up(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = fx_dir();
	if (!f->dir || tls_ca_create("kiln acme deployment CA", &f->ca, &f->ca_key) < 0 ||
	    tls_ca_create("kiln acme deployment CA", &f->ca2, &f->ca2_key) < 0)
		return -1;
	load(PROFILE("10.0.0.10"), &f->m);
	load(PROFILE("10.0.0.12"), &f->moved);
	*state = f;
	return 0;
}

static int tear_down(void **state)
{
	struct fx *f = *state;
	free(f->ca);
	free(f->ca2);
	tls_free_secret(f->ca_key);
	tls_free_secret(f->ca2_key);
	model_free(&f->m);
	model_free(&f->moved);
	int r = fx_cleanup(f->dir);
	free(f);
	return r;
}

/* Issue a unit of kind k (from the given CA) into the state directory. */
static void put(struct fx *f, enum mon_cert k, const struct host *h, const char *ca, const char *ca_key)
{
	char *pem, *key, *pp = mon_cert_path(k, h, false), *kp = mon_cert_path(k, h, true);
	assert_int_equal(mon_cert_issue(&f->m, k, h, ca, ca_key, &pem, &key), 0);
	char *dir = xasprintf("%s/monitoring/hosts", f->dir);
	assert_int_equal(mkdir_p(dir, 0700), 0);
	assert_int_equal(fx_put(f->dir, pp, pem, 0644), 0);
	assert_int_equal(fx_put(f->dir, kp, key, 0600), 0);
	free(dir);
	free(pem);
	tls_free_secret(key);
	free(pp);
	free(kp);
}

static int check(struct fx *f, const struct model *m, enum mon_cert k, const struct host *h, struct ks_problem *pb)
{
	return mon_cert_check(f->dir, m, k, h, f->ca, (int64_t)time(NULL), NULL, NULL, pb);
}

static void test_units(void **state)
{
	struct fx *f = *state;
	struct ks_problem pb = { 0 };
	const struct host *db1 = &f->m.hosts[0];
	assert_true(deployment_has_ca(&f->m));
	char *p = mon_cert_path(MON_CERT_HOST, db1, true);
	assert_string_equal(p, "monitoring/hosts/db1.key");
	free(p);
	p = mon_cert_path(MON_CERT_SCRAPE, NULL, false);
	assert_string_equal(p, "monitoring/scrape.pem");
	free(p);

	assert_int_equal(check(f, &f->m, MON_CERT_HOST, db1, &pb), KS_MISSING);
	put(f, MON_CERT_HOST, db1, f->ca, f->ca_key);
	put(f, MON_CERT_SCRAPE, NULL, f->ca, f->ca_key);
	put(f, MON_CERT_OPERATOR, NULL, f->ca, f->ca_key);
	assert_int_equal(check(f, &f->m, MON_CERT_HOST, db1, &pb), KS_OK);
	assert_int_equal(check(f, &f->m, MON_CERT_SCRAPE, NULL, &pb), KS_OK);
	assert_int_equal(check(f, &f->m, MON_CERT_OPERATOR, NULL, &pb), KS_OK);
	char *pem = NULL, *key = NULL;
	assert_int_equal(mon_cert_check(f->dir, &f->m, MON_CERT_HOST, db1, f->ca, time(NULL), &pem, &key, &pb), KS_OK);
	assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(key, "PRIVATE KEY"));
	free(pem);
	keystore_free_private(key);

	/* the profile moved db1: its certificate names the old address */
	assert_int_equal(check(f, &f->moved, MON_CERT_HOST, &f->moved.hosts[0], &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "monitoring/hosts/db1.pem: the certificate does not name the host's address"));
	assert_non_null(strstr(pb.repair, "new certificate for the host"));
	ks_problem_free(&pb);
	/* another CA (same name) */
	assert_int_equal(mon_cert_check(f->dir, &f->m, MON_CERT_HOST, db1, f->ca2, time(NULL), NULL, NULL, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "not signed by the CA"));
	ks_problem_free(&pb);
	/* expired */
	assert_int_equal(mon_cert_check(f->dir, &f->m, MON_CERT_SCRAPE, NULL, f->ca, time(NULL) + 11 * 365 * 86400LL, NULL,
					NULL, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "expired"));
	ks_problem_free(&pb);
	/* a host certificate where Prometheus' client certificate belongs: not made for client use */
	char *hp = xasprintf("%s/monitoring/hosts/db1.pem", f->dir), *hk = xasprintf("%s/monitoring/hosts/db1.key", f->dir);
	char *sp = xasprintf("%s/monitoring/scrape.pem", f->dir), *sk = xasprintf("%s/monitoring/scrape.key", f->dir);
	char *text;
	assert_int_equal(read_file(hp, 1 << 16, &text, NULL), 0);
	assert_int_equal(write_file_atomic(sp, text, strlen(text), 0644), 0);
	free(text);
	assert_int_equal(read_file(hk, 1 << 16, &text, NULL), 0);
	assert_int_equal(write_file_atomic(sk, text, strlen(text), 0600), 0);
	free(text);
	assert_int_equal(check(f, &f->m, MON_CERT_SCRAPE, NULL, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "not made for client use"));
	ks_problem_free(&pb);
	/* the key of another unit */
	put(f, MON_CERT_OPERATOR, NULL, f->ca, f->ca_key);
	assert_int_equal(read_file(hk, 1 << 16, &text, NULL), 0);
	char *ok = xasprintf("%s/monitoring/operator.key", f->dir);
	assert_int_equal(write_file_atomic(ok, text, strlen(text), 0600), 0);
	free(text);
	assert_int_equal(check(f, &f->m, MON_CERT_OPERATOR, NULL, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "not the certificate's key"));
	ks_problem_free(&pb);
	/* partial: the key alone */
	assert_int_equal(unlink(hp), 0);
	assert_int_equal(check(f, &f->m, MON_CERT_HOST, db1, &pb), KS_BAD);
	assert_non_null(strstr(pb.why, "exists without"));
	ks_problem_free(&pb);
	/* a key others may read is refused outright, not "repaired" */
	put(f, MON_CERT_HOST, db1, f->ca, f->ca_key);
	assert_int_equal(chmod(hk, 0644), 0);
	assert_int_equal(check(f, &f->m, MON_CERT_HOST, db1, &pb), -EPERM);
	assert_non_null(strstr(fx_logged, "chmod 600"));
	free(hp);
	free(hk);
	free(sp);
	free(sk);
	free(ok);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = { cmocka_unit_test_setup_teardown(test_units, set_up, tear_down) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
