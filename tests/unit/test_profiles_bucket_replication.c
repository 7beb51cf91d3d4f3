/* profiles/bucket_replication.c: roles.minio.buckets[].replicate_to, every
 * refusal at its FILE:LINE:COL (versioning required, the endpoint, bucket and
 * region rules, one endpoint and region for all, no remote bucket twice),
 * the defaults, and the remote's keys in the secrets catalog: the operator's,
 * on the minio hosts only, and only with replicate_to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profiles/bucket_replication.h"
#include "profiles/profile.h"
#include "profiles/secrets_catalog.h"
#include "tests/unit/profile_rejects.h"

/* Lines 1..10; a bucket list follows from line 11. */
#define HEAD \
	"kiln: 1\n" \
	"deployment: {name: t, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"hosts:\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n" \
	"  - {name: minio1, role: minio, subnet: a, address: 10.0.0.30}\n" \
	"roles:\n" \
	"  app: {service: {exec: /bin/true}}\n" \
	"  minio:\n" \
	"    buckets:\n"
#define B1(rt) "      - {name: uploads, versioning: true, replicate_to: " rt "}\n"
#define DR "{endpoint: 'https://dr.example.com', bucket: uploads-dr}"

static const struct reject rejects[] = {
	{ "replicate_to without versioning", HEAD "      - {name: uploads, replicate_to: " DR "}\n", 12, 39,
	  "bucket 'uploads': replicate_to needs versioning: true" },
	{ "replicate_to with versioning false", HEAD "      - {name: uploads, versioning: false, replicate_to: " DR "}\n",
	  12, 58, "replicate_to needs versioning: true" },
	{ "no endpoint", HEAD B1("{bucket: uploads-dr}"), 12, 57, "replicate_to needs endpoint" },
	{ "endpoint with a path", HEAD B1("{endpoint: 'https://dr.example.com/b', bucket: x-dr}"), 12, 68,
	  "replicate_to.endpoint 'https://dr.example.com/b' must be http(s)://HOST[:PORT]" },
	{ "endpoint without a scheme", HEAD B1("{endpoint: dr.example.com, bucket: x-dr}"), 12, 68,
	  "must be http(s)://HOST[:PORT]" },
	{ "no bucket", HEAD B1("{endpoint: 'https://dr.example.com'}"), 12, 57, "replicate_to needs bucket" },
	{ "bad bucket name", HEAD B1("{endpoint: 'https://dr.example.com', bucket: A_B}"), 12, 102,
	  "bucket name 'A_B'" },
	{ "bad region", HEAD B1("{endpoint: 'https://dr.example.com', bucket: x-dr, region: EU}"), 12, 116,
	  "replicate_to.region 'EU' must be 1-32 of a-z 0-9 -" },
	{ "credentials in the profile", HEAD B1("{endpoint: 'https://dr.example.com', bucket: x-dr, secret_key: s}"), 12, 108,
	  "unknown key 'secret_key'" },
	{ "not a mapping", HEAD B1("yes"), 12, 57, "replicate_to" },
	{ "two endpoints", HEAD B1(DR) "      - {name: media, versioning: true, replicate_to: "
	  "{endpoint: 'https://other.example.com', bucket: media-dr}}\n", 13, 55,
	  "every replicated bucket goes to the same endpoint and region as bucket 'uploads''s (https://dr.example.com, us-east-1)" },
	{ "two regions", HEAD B1(DR) "      - {name: media, versioning: true, replicate_to: "
	  "{endpoint: 'https://dr.example.com', bucket: media-dr, region: eu-west-1}}\n", 13, 55,
	  "same endpoint and region" },
	{ "one remote bucket twice", HEAD B1(DR) "      - {name: media, versioning: true, replicate_to: " DR "}\n", 13, 100,
	  "remote bucket 'uploads-dr' is already bucket 'uploads''s replica" },
};

static void test_parsed(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(HEAD B1(DR) "      - {name: media, versioning: true}\n"
			      "      - {name: logs, versioning: true, replicate_to: "
			      "{endpoint: 'https://dr.example.com', bucket: logs-dr, region: us-east-1}}\n", &m, &d), 0);
	assert_int_equal(m.roles.minio.n_buckets, 3);
	const struct bucket_replica *r = m.roles.minio.buckets[0].replicate_to;
	assert_non_null(r);
	assert_string_equal(r->endpoint, "https://dr.example.com");
	assert_string_equal(r->bucket, "uploads-dr");
	assert_string_equal(r->region, "us-east-1");   /* the default */
	assert_null(m.roles.minio.buckets[1].replicate_to);
	assert_string_equal(m.roles.minio.buckets[2].replicate_to->bucket, "logs-dr");
	assert_true(replication_on(&m));
	/* the remote's keys: the operator's, on the minio host only */
	assert_true(secret_known(&m, REPLICATION_ACCESS_KEY));
	assert_int_equal(secret_kind_of(&m, REPLICATION_SECRET_KEY), SECRET_EXTERNAL);
	assert_true(host_needs_secret(&m, model_find_host(&m, "minio1"), REPLICATION_ACCESS_KEY));
	assert_true(host_needs_secret(&m, model_find_host(&m, "minio1"), REPLICATION_SECRET_KEY));
	assert_false(host_needs_secret(&m, model_find_host(&m, "app1"), REPLICATION_SECRET_KEY));
	const char *key, *doc;
	secret_external_for(REPLICATION_ACCESS_KEY, &key, &doc);
	assert_string_equal(key, "replicate_to");
	assert_string_equal(doc, "docs/profile.md");
	secret_external_for("backup_s3_access_key", &key, &doc);
	assert_string_equal(key, "backup.s3");
	assert_string_equal(doc, "docs/backup.md");
	model_free(&m);
	diags_free(&d);

	/* without replicate_to: no such secrets */
	assert_int_equal(load(HEAD "      - {name: uploads, versioning: true}\n", &m, &d), 0);
	assert_false(replication_on(&m));
	assert_false(secret_known(&m, REPLICATION_ACCESS_KEY));
	assert_false(host_needs_secret(&m, model_find_host(&m, "minio1"), REPLICATION_ACCESS_KEY));
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	struct CMUnitTest tests[sizeof rejects / sizeof rejects[0] + 1];
	size_t n = add_rejects(tests, rejects, sizeof rejects / sizeof rejects[0]);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_parsed);
	return _cmocka_run_group_tests("profiles_bucket_replication", tests, n, NULL, NULL);
}
