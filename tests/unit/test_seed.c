/* lib/seed.c: round trip and every refusal of seed_open, with the topology
 * check and the model-based build of profiles/seed_topology.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/seed.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "profiles/seed_topology.h"
#include "tests/unit/seed_fixture.h"

static const char topo[] =
	SEED_FX_TOPO_HEAD
	"  - {name: db1, role: mysql, subnet: lan, address: 10.0.0.20}\n"
	SEED_FX_TOPO_APP_ROLE
	"targets: [raw, ec2]\n";

/* The same deployment with one more app host: a model whose host the topology lacks. */
static const char topo_app2[] =
	SEED_FX_TOPO_HEAD
	"  - {name: app2, role: app, subnet: lan, address: 10.0.0.11}\n"
	"  - {name: db1, role: mysql, subnet: lan, address: 10.0.0.20}\n"
	SEED_FX_TOPO_APP_ROLE
	"targets: [raw, ec2]\n";

static const char tls_pem[] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";

struct fx {
	struct model m;
	struct minisign_key *op;
	struct minisign_pub op_pub;
	struct role_keypair *app, *mysql;
	struct buf seed;
};

static void load(const char *text, struct model *m)
{
	assert_int_equal(seed_fx_model("t.yaml", text, m), 0);
}

static int build_for(struct fx *f, const struct model *m, const char *topology, const char *host,
		     const struct role_keypair *rk, uint64_t serial, struct buf *out)
{
	struct seed_secret secrets[] = {
		{ "mysql_app_password", "pw-123", 6 },
		{ "tls_key", (char *)tls_pem, sizeof tls_pem - 1 },
	};
	struct seed_file files[] = { { "ca.pem", (uint8_t *)"CA\n", 3 } };
	struct seed_params p = {
		.topology = topology, .topology_len = strlen(topology), .host = host,
		.serial = serial, .created = 1700000000, .files = files, .n_files = 1,
		.secrets = secrets, .n_secrets = strcmp(host, "db1") ? 2 : 1,
	};
	return seed_build_for_host(m, &p, rk->pk, f->op, out);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	load(topo, &f->m);
	f->op = seed_fx_operator_key(1, &f->op_pub);
	f->app = seed_fx_role_key(2);
	f->mysql = seed_fx_role_key(3);
	buf_init(&f->seed);
	assert_int_equal(build_for(f, &f->m, topo, "app1", f->app, 5, &f->seed), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	model_free(&f->m);
	minisign_key_free(f->op);
	role_keypair_free(f->app);
	role_keypair_free(f->mysql);
	buf_free(&f->seed);
	free(f);
	return 0;
}

static int open_with(struct fx *f, const char *data, size_t len, const struct minisign_pub *pub,
		     const struct role_keypair *rk, const char *dep, uint64_t min_serial)
{
	struct seed s;
	struct model m;
	int r = seed_open(data, len, pub, rk, dep, min_serial, &s);
	if (r == 0) {
		r = seed_topology_load(&s, &m);
		if (r == 0)
			model_free(&m);
		seed_free(&s);
	}
	return r;
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct seed s;
	assert_int_equal(f->seed.data[f->seed.len - 1], '\n');
	assert_null(memchr(f->seed.data, '\n', f->seed.len - 1));   /* one line */
	assert_null(strstr(f->seed.data, "pw-123"));
	assert_int_equal(seed_open(f->seed.data, f->seed.len, &f->op_pub, f->app, "demo", 5, &s), 0);
	assert_string_equal(s.deployment, "demo");
	assert_string_equal(s.host, "app1");
	assert_string_equal(s.role, "app");
	assert_int_equal(s.serial, 5);
	assert_int_equal(s.created, 1700000000);
	assert_int_equal(s.topology_len, strlen(topo));
	assert_memory_equal(s.topology, topo, s.topology_len);
	assert_int_equal(s.n_files, 1);
	assert_string_equal(s.files[0].name, "ca.pem");
	assert_int_equal(s.n_secrets, 2);
	assert_string_equal(s.secrets[0].name, "mysql_app_password");
	assert_string_equal(s.secrets[0].value, "pw-123");
	assert_string_equal(s.secrets[1].name, "tls_key");
	assert_string_equal(s.secrets[1].value, tls_pem);
	assert_string_equal(s.trusted_comment, "deployment=demo host=app1 serial=5");
	struct model m;
	assert_int_equal(seed_topology_load(&s, &m), 0);
	assert_non_null(model_find_host(&m, "db1"));
	model_free(&m);
	seed_free(&s);
	/* CRLF ending (e.g. pasted through Windows) is fine */
	struct buf crlf;
	buf_init(&crlf);
	buf_append(&crlf, f->seed.data, f->seed.len - 1);
	buf_puts(&crlf, "\r\n");
	assert_int_equal(open_with(f, crlf.data, crlf.len, &f->op_pub, f->app, "demo", 0), 0);
	buf_free(&crlf);
	/* a mysql host gets its own seed with only its secret */
	struct buf b;
	buf_init(&b);
	assert_int_equal(build_for(f, &f->m, topo, "db1", f->mysql, 6, &b), 0);
	assert_int_equal(seed_open(b.data, b.len, &f->op_pub, f->mysql, "demo", 0, &s), 0);
	assert_int_equal(s.n_secrets, 1);
	assert_string_equal(s.role, "mysql");
	seed_free(&s);
	buf_free(&b);
}

static void test_build_refusals(void **state)
{
	struct fx *f = *state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(build_for(f, &f->m, topo, "nosuch", f->app, 1, &b), -ENOENT);
	/* the app host must not get the MySQL root password */
	struct seed_secret bad[] = { { "mysql_root_password", "x", 1 } };
	struct seed_params p = { .topology = topo, .topology_len = strlen(topo), .host = "app1",
				 .serial = 1, .secrets = bad, .n_secrets = 1 };
	assert_int_equal(seed_build_for_host(&f->m, &p, f->app->pk, f->op, &b), -EPERM);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	const char *s = f->seed.data;
	size_t n = f->seed.len;
	/* wrong signing key (another key id) */
	struct minisign_key *other = minisign_keygen();
	struct minisign_pub other_pub;
	minisign_key_public(other, &other_pub);
	assert_int_equal(open_with(f, s, n, &other_pub, f->app, "demo", 0), SEED_E_WRONG_SIGNER);
	/* same key id, other key: the signature fails */
	memcpy(other_pub.keynum, f->op_pub.keynum, MINISIGN_KEYNUM_BYTES);
	assert_int_equal(open_with(f, s, n, &other_pub, f->app, "demo", 0), SEED_E_BAD_SIG);
	minisign_key_free(other);
	/* wrong role key */
	assert_int_equal(open_with(f, s, n, &f->op_pub, f->mysql, "demo", 0), SEED_E_WRONG_ROLE);
	/* serial lower than the last applied */
	assert_int_equal(open_with(f, s, n, &f->op_pub, f->app, "demo", 6), SEED_E_OLD_SERIAL);
	/* another deployment */
	assert_int_equal(open_with(f, s, n, &f->op_pub, f->app, "other", 0), SEED_E_DEPLOYMENT);

	/* edited field: signature fails */
	char *e = xstrndup(s, n);
	memcpy(strstr(e, "serial=5"), "serial=9", 8);
	assert_int_equal(open_with(f, e, n, &f->op_pub, f->app, "demo", 0), SEED_E_BAD_SIG);
	free(e);
	/* edited trusted comment: global signature fails */
	e = xstrndup(s, n);
	memcpy(strstr(e, "trusted=deployment=demo host=app1 serial=5") + 39, "6", 1);
	assert_int_equal(open_with(f, e, n, &f->op_pub, f->app, "demo", 0), SEED_E_BAD_SIG);
	free(e);
	/* unknown format version */
	e = xstrndup(s, n);
	memcpy(e, "kiln-seed:2;", 12);
	assert_int_equal(open_with(f, e, n, &f->op_pub, f->app, "demo", 0), SEED_E_VERSION);
	free(e);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	/* every truncation is malformed, never a crash or a success */
	for (size_t len = 0; len + 1 < f->seed.len; len += (len < 64 ? 1 : 37))
		assert_int_equal(open_with(f, f->seed.data, len, &f->op_pub, f->app, "demo", 0), SEED_E_MALFORMED);
	const char *bad[] = {
		"", "\n", "hello", "kiln-seed:", "kiln-seed:x;", "kiln-seed:1", "kiln-seed:01;deployment=demo",
		"kiln-seed:1;deployment=Demo;host=a",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(open_with(f, bad[i], strlen(bad[i]), &f->op_pub, f->app, "demo", 0), SEED_E_MALFORMED);
	/* trailing data, embedded newline, bad base64 */
	struct buf b;
	buf_init(&b);
	buf_append(&b, f->seed.data, f->seed.len);
	buf_puts(&b, "x");
	assert_int_equal(open_with(f, b.data, b.len, &f->op_pub, f->app, "demo", 0), SEED_E_MALFORMED);
	b.data[20] = '\n';
	assert_int_equal(open_with(f, b.data, b.len - 1, &f->op_pub, f->app, "demo", 0), SEED_E_MALFORMED);
	buf_free(&b);
	char *e = xstrndup(f->seed.data, f->seed.len);
	strstr(e, "role-key=")[9] = '*';
	assert_int_equal(open_with(f, e, f->seed.len, &f->op_pub, f->app, "demo", 0), SEED_E_MALFORMED);
	free(e);
}

/* Re-sign a body whose sealed part was changed: signature good, seal bad. */
static void test_tampered_ciphertext(void **state)
{
	struct fx *f = *state;
	char *sig = strstr(f->seed.data, ";sig=");
	struct buf body;
	buf_init(&body);
	buf_append(&body, f->seed.data, (size_t)(sig - f->seed.data) + 1);
	char *c = strstr(body.data, ";sealed=") + 8 + 70;   /* inside the ciphertext */
	*c = *c == 'A' ? 'B' : 'A';
	assert_int_equal(seed_sign_body(f->op, "demo", "app1", 5, &body), 0);
	assert_int_equal(open_with(f, body.data, body.len, &f->op_pub, f->app, "demo", 0), SEED_E_TAMPERED);
	/* and a signed trusted comment that disagrees with the header is refused */
	buf_free(&body);
	buf_append(&body, f->seed.data, (size_t)(sig - f->seed.data) + 1);
	assert_int_equal(seed_sign_body(f->op, "demo", "db1", 5, &body), 0);
	assert_int_equal(open_with(f, body.data, body.len, &f->op_pub, f->app, "demo", 0), SEED_E_MALFORMED);
	buf_free(&body);
}

static void test_host_not_in_topology(void **state)
{
	struct fx *f = *state;
	struct model m2;
	load(topo_app2, &m2);
	struct buf b;
	buf_init(&b);
	/* operator's model has app2 but the topology shipped is the older one */
	assert_int_equal(build_for(f, &m2, topo, "app2", f->app, 7, &b), 0);
	assert_int_equal(open_with(f, b.data, b.len, &f->op_pub, f->app, "demo", 0), SEED_E_UNKNOWN_HOST);
	buf_free(&b);
	model_free(&m2);
}

static void test_inspect(void **state)
{
	struct fx *f = *state;
	struct seed s;
	int sig = 1;
	assert_int_equal(seed_inspect(f->seed.data, f->seed.len, &f->op_pub, &s, &sig), 0);
	assert_int_equal(sig, 0);
	assert_int_equal(s.n_secret_names, 2);
	assert_int_equal(s.n_secrets, 0);   /* nothing unsealed */
	seed_free(&s);
	struct minisign_key *other = minisign_keygen();
	struct minisign_pub op2;
	minisign_key_public(other, &op2);
	assert_int_equal(seed_inspect(f->seed.data, f->seed.len, &op2, &s, &sig), 0);
	assert_int_equal(sig, SEED_E_WRONG_SIGNER);
	seed_free(&s);
	minisign_key_free(other);
	assert_string_equal(seed_strerror(SEED_E_TAMPERED), "sealed secrets do not open (ciphertext tampered)");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_ciphertext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_not_in_topology, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
