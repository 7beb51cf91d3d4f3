/* firstboot/s3.c against scripted answers (tests/fuzz/fake_curl.h stands in
 * for libcurl, as in fuzz_s3). Found by fuzz_s3: the <Code> of an error body
 * was copied into the failure reason as it came, control characters and all,
 * and that reason is printed on the console and in /etc/issue. */
#include "tests/fuzz/fake_curl.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include "firstboot/s3.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct s3_conn conn = { .endpoint = "http://192.0.2.10:9000", .access_key = "AK", .secret_key = "SK",
				     .timeout_ms = 1 };

static void answer(long code, const char *body)
{
	fake_q[0] = (struct fake_response){ code, NULL, 0, body, strlen(body) };
	fake_n = 1;
	fake_next = 0;
}

static void test_outcomes(void **state)
{
	(void)state;
	char why[300] = "";
	bool en = false;
	answer(200, "");
	assert_int_equal(s3_head_bucket(&conn, "data", why, sizeof why), 0);
	answer(409, "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>");
	assert_int_equal(s3_create_bucket(&conn, "data", why, sizeof why), 0);
	answer(200, "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
	assert_int_equal(s3_get_versioning(&conn, "data", &en, why, sizeof why), 0);
	assert_true(en);
	answer(403, "<Error><Code>AccessDenied</Code></Error>");
	assert_int_equal(s3_create_bucket(&conn, "data", why, sizeof why), -EACCES);
	assert_string_equal(why, "HTTP 403 AccessDenied");
	answer(404, "");
	assert_int_equal(s3_head_bucket(&conn, "data", why, sizeof why), -ENOENT);
	assert_string_equal(why, "HTTP 404");
}

/* The backup bucket: made with x-amz-bucket-object-lock-enabled; one that
 * exists already is no failure (it keeps what it has). */
static void test_create_locked(void **state)
{
	(void)state;
	char why[300] = "";
	answer(200, "");
	fake_logged = 0;
	assert_int_equal(s3_create_bucket_locked(&conn, "bak", why, sizeof why), 0);
	assert_string_equal(fake_log[0].method, "PUT");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak");
	assert_non_null(strstr(fake_log[0].headers, "x-amz-bucket-object-lock-enabled: true\n"));
	answer(409, "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>");
	assert_int_equal(s3_create_bucket_locked(&conn, "bak", why, sizeof why), 0);
	answer(403, "<Error><Code>AccessDenied</Code></Error>");
	assert_int_equal(s3_create_bucket_locked(&conn, "bak", why, sizeof why), -EACCES);
	fake_logged = 0;
	answer(200, "");
	assert_int_equal(s3_create_bucket(&conn, "data", why, sizeof why), 0);
	assert_null(strstr(fake_log[0].headers, "object-lock"));
}

static void test_reason_is_printable(void **state)
{
	(void)state;
	char why[300];
	answer(500, "<Error><Code>Internal\x1b[2J\r\nError\xc3\xa9</Code></Error>");
	assert_int_equal(s3_set_versioning(&conn, "data", true, why, sizeof why), -EPROTO);
	assert_string_equal(why, "HTTP 500 Internal?[2J??Error??");
	char longcode[200];
	snprintf(longcode, sizeof longcode, "<Code>%0100d</Code>", 0);
	answer(400, longcode);
	assert_int_equal(s3_head_bucket(&conn, "data", why, sizeof why), -EPROTO);
	assert_string_equal(why, "HTTP 400");   /* a 100-character code is not quoted at all */
}

/* Scripted answers, several in a row; the request log emptied. */
static void script(size_t n, const struct fake_response *rs)
{
	for (size_t i = 0; i < n; i++)
		fake_q[i] = rs[i];
	fake_n = n;
	fake_next = fake_logged = 0;
	memset(fake_log, 0, sizeof fake_log);
}
#define OK(body) { 200, NULL, 0, body, sizeof body - 1 }
#define ETAG(tag) { 200, "ETag: " tag "\n", sizeof "ETag: " tag "\n" - 1, "", 0 }

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* An object within one part: one PutObject with all of it, no multipart. */
static void test_upload_small_is_one_put(void **state)
{
	(void)state;
	const struct fake_response rs[] = { OK("") };
	script(1, rs);
	struct s3_upload *u;
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "db1/full/x.kbk", NULL, 1024), 0);
	uint8_t d[1024];
	fill(d, sizeof d, 1);
	assert_int_equal(s3_upload_write(u, d, 1000), 0);
	assert_int_equal(s3_upload_write(u, d + 1000, 24), 0);   /* exactly one part: still one PUT */
	unsigned long long n = 0;
	assert_int_equal(s3_upload_finish(u, &n), 0);
	assert_int_equal(n, 1024);
	s3_upload_free(u);
	assert_int_equal(fake_logged, 1);
	assert_string_equal(fake_log[0].method, "PUT");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak/db1/full/x.kbk");
	assert_int_equal(fake_log[0].body_len, 1024);
	assert_memory_equal(fake_log[0].body, d, 1024);
}

static void test_upload_empty_object(void **state)
{
	(void)state;
	const struct fake_response rs[] = { OK("") };
	script(1, rs);
	struct s3_upload *u;
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "k", NULL, 1024), 0);
	assert_int_equal(s3_upload_finish(u, NULL), 0);
	s3_upload_free(u);
	assert_int_equal(fake_logged, 1);
	assert_string_equal(fake_log[0].method, "PUT");
	assert_int_equal(fake_log[0].body_len, 0);
}

/* 2.5 parts: create, three parts in order with their bytes, complete naming
 * every part's ETag; the upload id is percent-encoded in the query. */
static void test_upload_multipart(void **state)
{
	(void)state;
	const struct fake_response rs[] = {
		OK("<InitiateMultipartUploadResult><UploadId>id/1+2=</UploadId></InitiateMultipartUploadResult>"),
		ETAG("\"e1\""), ETAG("\"e2\""), ETAG("\"e3\""),
		OK("<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>"),
	};
	script(5, rs);
	struct s3_upload *u;
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "db1/full/x.kbk", NULL, 1024), 0);
	uint8_t d[2560];
	fill(d, sizeof d, 3);
	for (size_t i = 0; i < sizeof d; i += 100)
		assert_int_equal(s3_upload_write(u, d + i, sizeof d - i < 100 ? sizeof d - i : 100), 0);
	unsigned long long n = 0;
	assert_int_equal(s3_upload_finish(u, &n), 0);
	assert_int_equal(n, 2560);
	s3_upload_free(u);   /* finished: nothing aborted */
	assert_int_equal(fake_logged, 5);
	assert_string_equal(fake_log[0].method, "POST");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak/db1/full/x.kbk?uploads=");
	for (int i = 0; i < 3; i++) {
		char url[200];
		snprintf(url, sizeof url, "http://192.0.2.10:9000/bak/db1/full/x.kbk?partNumber=%d&uploadId=id%%2F1%%2B2%%3D", i + 1);
		assert_string_equal(fake_log[1 + i].method, "PUT");
		assert_string_equal(fake_log[1 + i].url, url);
		assert_int_equal(fake_log[1 + i].body_len, i < 2 ? 1024 : 512);
		assert_memory_equal(fake_log[1 + i].body, d + 1024 * i, i < 2 ? 1024 : 512);
	}
	assert_string_equal(fake_log[4].method, "POST");
	assert_string_equal(fake_log[4].url, "http://192.0.2.10:9000/bak/db1/full/x.kbk?uploadId=id%2F1%2B2%3D");
	assert_non_null(strstr(fake_log[4].body, "<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
						 "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part>"
						 "<Part><PartNumber>3</PartNumber><ETag>\"e3\"</ETag></Part>"
						 "</CompleteMultipartUpload>"));
}

/* A part refused: the write fails, every later call says so, and freeing
 * the upload aborts it (DELETE ?uploadId=). */
static void test_upload_part_refused_aborts(void **state)
{
	(void)state;
	const struct fake_response rs[] = {
		OK("<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"),
		{ 403, NULL, 0, "<Error><Code>AccessDenied</Code></Error>", 40 },
		{ 204, NULL, 0, "", 0 },
	};
	script(3, rs);
	struct s3_upload *u;
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "k", NULL, 1024), 0);
	uint8_t d[1500] = { 0 };
	assert_int_equal(s3_upload_write(u, d, sizeof d), -EACCES);
	assert_string_equal(s3_upload_why(u), "UploadPart: HTTP 403 AccessDenied");
	assert_int_equal(s3_upload_write(u, d, 1), -EACCES);
	assert_int_equal(s3_upload_finish(u, NULL), -EACCES);
	s3_upload_free(u);
	assert_int_equal(fake_logged, 3);
	assert_string_equal(fake_log[2].method, "DELETE");
	assert_string_equal(fake_log[2].url, "http://192.0.2.10:9000/bak/k?uploadId=u1");
}

/* Answers that are no success: no upload id, no ETag (or one that would
 * break the XML), a completion failed inside a 200, a refused PutObject. */
static void test_upload_bad_answers(void **state)
{
	(void)state;
	struct s3_upload *u;
	uint8_t d[1500] = { 0 };
	const struct fake_response noid[] = { OK("<InitiateMultipartUploadResult></InitiateMultipartUploadResult>") };
	script(1, noid);
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "k", NULL, 1024), 0);
	assert_int_equal(s3_upload_write(u, d, sizeof d), -EPROTO);
	assert_string_equal(s3_upload_why(u), "CreateMultipartUpload: no upload id in the answer");
	s3_upload_free(u);
	assert_int_equal(fake_logged, 1);   /* nothing to abort */

	const struct fake_response noetag[] = { OK("<UploadId>u</UploadId>"), ETAG("\"a<b\""), { 204, NULL, 0, "", 0 } };
	script(3, noetag);
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "k", NULL, 1024), 0);
	assert_int_equal(s3_upload_write(u, d, sizeof d), -EPROTO);
	assert_string_equal(s3_upload_why(u), "UploadPart 1: no ETag in the answer");
	s3_upload_free(u);
	assert_string_equal(fake_log[2].method, "DELETE");

	const struct fake_response inner[] = { OK("<UploadId>u</UploadId>"), ETAG("\"1\""), ETAG("\"2\""),
					       OK("<Error><Code>InternalError</Code></Error>"), { 204, NULL, 0, "", 0 } };
	script(5, inner);
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "k", NULL, 1024), 0);
	assert_int_equal(s3_upload_write(u, d, sizeof d), 0);
	assert_int_equal(s3_upload_finish(u, NULL), -EPROTO);
	assert_string_equal(s3_upload_why(u), "CompleteMultipartUpload: HTTP 200 InternalError");
	s3_upload_free(u);
	assert_int_equal(fake_logged, 5);
	assert_string_equal(fake_log[4].method, "DELETE");

	const struct fake_response put[] = { { 404, NULL, 0, "<Error><Code>NoSuchBucket</Code></Error>", 40 } };
	script(1, put);
	assert_int_equal(s3_upload_begin(&u, &conn, "bak", "k", NULL, 1024), 0);
	assert_int_equal(s3_upload_write(u, d, 10), 0);
	assert_int_equal(s3_upload_finish(u, NULL), -EPROTO);
	assert_string_equal(s3_upload_why(u), "PutObject: HTTP 404 NoSuchBucket");
	assert_int_equal(s3_upload_finish(u, NULL), -EPROTO);
	s3_upload_free(u);
	assert_int_equal(s3_upload_begin(&u, &conn, "", "k", NULL, 0), -EINVAL);
	assert_null(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_create_locked),
		cmocka_unit_test(test_reason_is_printable),
		cmocka_unit_test(test_upload_small_is_one_put),
		cmocka_unit_test(test_upload_empty_object),
		cmocka_unit_test(test_upload_multipart),
		cmocka_unit_test(test_upload_part_refused_aborts),
		cmocka_unit_test(test_upload_bad_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
