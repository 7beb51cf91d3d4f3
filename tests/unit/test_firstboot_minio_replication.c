/* firstboot/minio_replication.c and the requests it builds: the
 * set-remote-target body (madmin.BucketTarget's JSON, before encryption),
 * the ARN read from MinIO's answer (anything else refused: it goes into
 * XML), PutBucketReplication's XML, the remote's keys refused before any
 * request when the seed lacks them, and the redaction of a word the server
 * echoes (lib/aws_request). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "firstboot/minio_admin.h"
#include "firstboot/minio_replication.h"
#include "firstboot/s3.h"
#include "lib/aws_request.h"
#include "profiles/bucket_replication.h"

static void test_target_json(void **state)
{
	(void)state;
	struct minio_remote_target t = { .source_bucket = "uploads", .endpoint = "https://dr.example.com:9443",
					  .bucket = "uploads-dr", .region = "eu-west-1", .access_key = "AK",
					  .secret_key = "s\"e\\c" };
	struct buf b;
	buf_init(&b);
	assert_int_equal(minio_remote_target_json(&t, &b), 0);
	assert_string_equal(b.data, "{\"sourcebucket\":\"uploads\",\"endpoint\":\"dr.example.com:9443\","
				    "\"credentials\":{\"accessKey\":\"AK\",\"secretKey\":\"s\\\"e\\\\c\"},"
				    "\"targetbucket\":\"uploads-dr\",\"secure\":true,\"type\":\"replication\","
				    "\"region\":\"eu-west-1\",\"replicationSync\":false,\"disableProxy\":false}");
	buf_wipe(&b);

	t.endpoint = "http://127.0.0.1:9000";
	t.region = NULL;
	buf_init(&b);
	assert_int_equal(minio_remote_target_json(&t, &b), 0);
	assert_non_null(strstr(b.data, "\"endpoint\":\"127.0.0.1:9000\""));
	assert_non_null(strstr(b.data, "\"secure\":false"));
	assert_null(strstr(b.data, "region"));
	buf_wipe(&b);

	static const char *const bad[] = { "ftp://x", "https://", "http://h/path", "http://u@h", "h:9000", "http://h?x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t.endpoint = bad[i];
		buf_init(&b);
		assert_int_equal(minio_remote_target_json(&t, &b), -EINVAL);
		buf_wipe(&b);
	}
}

static void test_parse_arn(void **state)
{
	(void)state;
	char arn[128];
	const char *ok = "\"arn:minio:replication:us-east-1:0f6f4b6c-7d0a-4d5e-9b61-1b2c3d4e5f60:uploads-dr\"\n";
	assert_int_equal(minio_admin_parse_arn(ok, strlen(ok), arn, sizeof arn), 0);
	assert_string_equal(arn, "arn:minio:replication:us-east-1:0f6f4b6c-7d0a-4d5e-9b61-1b2c3d4e5f60:uploads-dr");
	const char *noregion = "\"arn:minio:replication::id:b.dr\"";
	assert_int_equal(minio_admin_parse_arn(noregion, strlen(noregion), arn, sizeof arn), 0);
	assert_string_equal(arn, "arn:minio:replication::id:b.dr");

	static const char *const bad[] = {
		"arn:minio:replication::id:b",           /* not a JSON string */
		"\"arn:aws:s3:::b\"",                     /* not MinIO's */
		"\"arn:minio:ilm::id:b\"",                /* another type */
		"\"arn:minio:replication::id\"",          /* no bucket */
		"\"arn:minio:replication:::b\"",          /* no id */
		"\"arn:minio:replication::id:\"",         /* empty bucket */
		"\"arn:minio:replication::id:b:c\"",      /* too many parts */
		"\"arn:minio:replication::id:<b>\"",      /* markup: it goes into XML */
		"\"arn:minio:replication::i d:b\"",
		"\"\"", "\"", "",
		"{\"Code\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(minio_admin_parse_arn(bad[i], strlen(bad[i]), arn, sizeof arn), -EBADMSG);
	char small[16];
	assert_int_equal(minio_admin_parse_arn(ok, strlen(ok), small, sizeof small), -EBADMSG);
}

static void test_replication_xml(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	s3_replication_xml("uploads", "arn:minio:replication::id:uploads-dr", &b);
	assert_string_equal(b.data,
		"<ReplicationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Role></Role><Rule>"
		"<ID>kiln-uploads</ID><Status>Enabled</Status><Priority>1</Priority>"
		"<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>"
		"<DeleteReplication><Status>Disabled</Status></DeleteReplication>"
		"<Filter><Prefix></Prefix></Filter><Destination><Bucket>arn:minio:replication::id:uploads-dr</Bucket>"
		"</Destination><ExistingObjectReplication><Status>Enabled</Status></ExistingObjectReplication>"
		"</Rule></ReplicationConfiguration>");
	buf_free(&b);
}

static const char *no_remote_keys(void *ud, const char *name)
{
	(void)ud;
	return strcmp(name, REPLICATION_SECRET_KEY) ? NULL : "secret";
}

static const char *no_secret_key(void *ud, const char *name)
{
	(void)ud;
	return strcmp(name, REPLICATION_ACCESS_KEY) ? NULL : "AK";
}

static void test_missing_keys(void **state)
{
	(void)state;
	struct bucket_replica rt = { .endpoint = "http://127.0.0.1:1", .bucket = "b-dr", .region = "us-east-1" };
	struct bucket b[] = { { .name = "plain", .versioning = true }, { .name = "b", .versioning = true, .replicate_to = &rt } };
	struct model m = { 0 };
	struct s3_conn c = { .endpoint = "http://127.0.0.1:1" };
	struct minio_admin a = { .endpoint = "http://127.0.0.1:1", .root_user = "R", .root_password = "root-password" };
	char why[256] = "";
	/* nothing replicated: nothing asked, nothing sent */
	m.roles.minio.buckets = b;
	m.roles.minio.n_buckets = 1;
	assert_int_equal(minio_setup_replication(&m, &c, &a, no_remote_keys, NULL, why, sizeof why), 0);
	m.roles.minio.n_buckets = 2;
	assert_int_equal(minio_setup_replication(&m, &c, &a, no_remote_keys, NULL, why, sizeof why), -ENOKEY);
	assert_string_equal(why, "the seed lacks secret minio_replication_access_key");
	assert_int_equal(minio_setup_replication(&m, &c, &a, no_secret_key, NULL, why, sizeof why), -ENOKEY);
	assert_string_equal(why, "the seed lacks secret minio_replication_secret_key");
}

static void test_redact(void **state)
{
	(void)state;
	char s[] = "credentials: AKIA1 invalid (AKIA1)";
	aws_redact(s, "AKIA1");
	assert_string_equal(s, "credentials: ***** invalid (*****)");
	aws_redact(s, NULL);
	aws_redact(s, "");
	assert_string_equal(s, "credentials: ***** invalid (*****)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_json),
		cmocka_unit_test(test_parse_arn),
		cmocka_unit_test(test_replication_xml),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
