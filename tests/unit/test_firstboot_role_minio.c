/* firstboot/role_minio.c's environment file: four or more minio hosts run
 * as one distributed set, every host's file the same (MINIO_VOLUMES listing
 * every host's data directory in profile order, one listen address for
 * all); fewer stay separate single-drive servers bound to their address;
 * a missing secret is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "firstboot/role_minio.h"
#include "lib/buf.h"
#include "profiles/render.h"
#include "tests/unit/profile_fixture.h"

#define HEAD \
	"kiln: 1\n" \
	"deployment: {name: t, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"hosts:\n" \
	"  - {name: s3-b, role: minio, subnet: a, address: 10.0.0.22}\n" \
	"  - {name: s3-a, role: minio, subnet: a, address: 10.0.0.21}\n" \
	"  - {name: s3-c, role: minio, subnet: a, address: 10.0.0.23}\n"
#define FOURTH "  - {name: s3-d, role: minio, subnet: a, address: 10.0.0.24}\n"
#define FIFTH "  - {name: s3-e, role: minio, subnet: a, address: dhcp}\n"

static const char *secret(void *ud, const char *name)
{
	(void)ud;
	return !strcmp(name, "minio_root_user") ? "ROOTUSER0123456789AB" : !strcmp(name, "minio_root_password") ? "pw-1" : NULL;
}

static const char *no_password(void *ud, const char *name)
{
	(void)ud;
	return !strcmp(name, "minio_root_user") ? "ROOTUSER0123456789AB" : NULL;
}

static void load_ok(const char *yaml, struct model *m)
{
	struct diags d;
	int r = profile_load_text(yaml, NULL, m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

static char *env_of(const struct model *m, const char *host)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(minio_render_env(m, model_find_host(m, host), secret, NULL, &b), 0);
	return b.data;
}

static void test_distributed_identical(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD FOURTH FIFTH, &m);
	assert_true(minio_distributed(&m));
	char *first = env_of(&m, "s3-b");
	assert_string_equal(first, "# Written by kiln-firstboot from the seed; root-only (0600).\n"
				   "MINIO_ROOT_USER=ROOTUSER0123456789AB\nMINIO_ROOT_PASSWORD=pw-1\n"
				   "MINIO_VOLUMES=\"http://s3-b.t.lan:9000/var/lib/minio/data "
				   "http://s3-a.t.lan:9000/var/lib/minio/data http://s3-c.t.lan:9000/var/lib/minio/data "
				   "http://s3-d.t.lan:9000/var/lib/minio/data http://s3-e.t.lan:9000/var/lib/minio/data\"\n"
				   "MINIO_OPTS=\"--address :9000\"\n");
	/* every host, static or DHCP, gets exactly the same file */
	const char *others[] = { "s3-a", "s3-c", "s3-d", "s3-e" };
	for (size_t i = 0; i < 4; i++) {
		char *e = env_of(&m, others[i]);
		assert_string_equal(e, first);
		free(e);
	}
	free(first);
	model_free(&m);
}

static void test_fewer_stay_separate(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD, &m);
	assert_false(minio_distributed(&m));
	char *a = env_of(&m, "s3-a"), *c = env_of(&m, "s3-c");
	assert_non_null(strstr(a, "MINIO_VOLUMES=\"/var/lib/minio/data\"\nMINIO_OPTS=\"--address 10.0.0.21:9000\"\n"));
	assert_non_null(strstr(c, "MINIO_VOLUMES=\"/var/lib/minio/data\"\nMINIO_OPTS=\"--address 10.0.0.23:9000\"\n"));
	assert_null(strstr(a, "http://"));
	free(a);
	free(c);
	model_free(&m);
}

static void test_missing_secret(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD FOURTH, &m);
	struct buf b;
	buf_init(&b);
	assert_int_equal(minio_render_env(&m, model_find_host(&m, "s3-a"), no_password, NULL, &b), -ENOKEY);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	model_free(&m);
}

/* The set's own flow is implied: each minio host reaches the others' 9000. */
static void test_firewall(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD FOURTH FIFTH, &m);
	struct buf b;
	buf_init(&b);
	assert_int_equal(render_nftables(&m, model_find_host(&m, "s3-a"), &b), 0);
	/* the DHCP host by its subnet, which covers the others */
	assert_non_null(strstr(b.data, "set tcp_9000_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
				       "\t\telements = { 10.0.0.0/24 }\n"));
	assert_non_null(strstr(b.data, "tcp dport 9000 ip saddr @tcp_9000_from"));
	buf_free(&b);
	model_free(&m);

	load_ok(HEAD FOURTH, &m);
	buf_init(&b);
	assert_int_equal(render_nftables(&m, model_find_host(&m, "s3-a"), &b), 0);
	assert_non_null(strstr(b.data, "elements = { 10.0.0.22, 10.0.0.23, 10.0.0.24 }\n"));   /* not itself */
	buf_free(&b);
	model_free(&m);

	load_ok(HEAD, &m);   /* separate servers: no flow between them */
	buf_init(&b);
	assert_int_equal(render_nftables(&m, model_find_host(&m, "s3-a"), &b), 0);
	assert_null(strstr(b.data, "9000"));
	buf_free(&b);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distributed_identical),
		cmocka_unit_test(test_fewer_stay_separate),
		cmocka_unit_test(test_missing_secret),
		cmocka_unit_test(test_firewall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
