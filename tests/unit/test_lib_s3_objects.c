/* lib/s3_objects.c: the listing parser (ListObjectsV2 pages, the
 * continuation token, every answer that is no listing of backup object
 * names refused), and the requests against scripted answers
 * (tests/fuzz/fake_curl.h stands in for libcurl): paging with the token
 * encoded into a canonical query, a download written whole (an error body
 * never lands in the file, a retried one starts the file again), delete.
 * Against the S3 stand-in: tests/cli/firstboot_restore.sh, backup_prune.sh. */
#include "tests/fuzz/fake_curl.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/s3_objects.h"
#include <fcntl.h>
#include <unistd.h>

static const struct s3_target tgt = { .endpoint = "http://192.0.2.10:9000", .access_key = "AK", .secret_key = "SK",
				      .bucket = "bak" };

static void script(const struct fake_response *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fake_q[i] = r[i];
	fake_n = n;
	fake_next = 0;
	fake_logged = 0;
}

#define BODY(s) s, sizeof s - 1

static void test_list_requests(void **state)
{
	(void)state;
	static const char p1[] = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>db1/a.kbk</Key></Contents>"
				 "<Contents><Key>db1/b.kbk</Key></Contents><NextContinuationToken>a+b/c=</NextContinuationToken>"
				 "</ListBucketResult>";
	static const char p2[] = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>db1/c.kbk</Key></Contents>"
				 "</ListBucketResult>";
	const struct fake_response r[] = { { 200, NULL, 0, BODY(p1) }, { 200, NULL, 0, BODY(p2) } };
	script(r, 2);
	char **keys = NULL, why[256] = "";
	size_t n = 0;
	assert_int_equal(s3_list_keys(&tgt, "db1/", &keys, &n, why, sizeof why), 0);
	assert_int_equal(n, 3);
	assert_string_equal(keys[2], "db1/c.kbk");
	assert_int_equal(fake_logged, 2);
	assert_string_equal(fake_log[0].method, "GET");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak?list-type=2&max-keys=100&prefix=db1%2F");
	assert_string_equal(fake_log[1].url,
			    "http://192.0.2.10:9000/bak?continuation-token=a%2Bb%2Fc%3D&list-type=2&max-keys=100&prefix=db1%2F");
	s3_keys_free(keys, n);

	const struct fake_response denied[] = { { 403, NULL, 0, BODY("<Error><Code>AccessDenied</Code></Error>") } };
	script(denied, 1);
	assert_int_equal(s3_list_keys(&tgt, "db1/", &keys, &n, why, sizeof why), -EACCES);
	assert_non_null(strstr(why, "403"));
	assert_null(keys);
	assert_int_equal(n, 0);
	const struct fake_response junk[] = { { 200, NULL, 0, BODY("<html>hello</html>") } };
	script(junk, 1);
	assert_int_equal(s3_list_keys(&tgt, "db1/", &keys, &n, why, sizeof why), -EBADMSG);
	assert_string_equal(why, "ListObjectsV2: the answer is not an S3 listing of backup object names");
	assert_null(keys);
}

static int tmpfile_fd(char *path)
{
	strcpy(path, "/tmp/kiln-s3get.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

static void contents(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t k = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(k >= 0);
	buf[k] = '\0';
	assert_string_equal(buf, want);
}

static void test_get_and_delete(void **state)
{
	(void)state;
	char path[64], why[256] = "";
	uint64_t bytes = 0;
	int fd = tmpfile_fd(path);
	const struct fake_response ok[] = { { 200, NULL, 0, BODY("sealed bytes") } };
	script(ok, 1);
	assert_int_equal(s3_get_to_fd(&tgt, "db1/full/x.kbk", fd, &bytes, why, sizeof why), 0);
	assert_int_equal(bytes, 12);
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak/db1/full/x.kbk");
	contents(path, "sealed bytes");
	/* a 404: its error body is not the object */
	const struct fake_response missing[] = { { 404, NULL, 0, BODY("<Error><Code>NoSuchKey</Code></Error>") } };
	script(missing, 1);
	assert_int_equal(s3_get_to_fd(&tgt, "db1/full/x.kbk", fd, &bytes, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "GetObject db1/full/x.kbk: "));
	assert_non_null(strstr(why, "404"));
	contents(path, "");
	/* a 503 half-way, then the whole object: the file holds it once */
	const struct fake_response retry[] = { { 503, NULL, 0, BODY("<Error><Code>SlowDown</Code></Error>") },
					       { 200, NULL, 0, BODY("whole") } };
	script(retry, 2);
	assert_int_equal(s3_get_to_fd(&tgt, "db1/full/x.kbk", fd, &bytes, why, sizeof why), 0);
	assert_int_equal(fake_logged, 2);
	contents(path, "whole");
	/* a key that is no backup name: no request */
	script(ok, 1);
	assert_int_equal(s3_get_to_fd(&tgt, "db1/a b", fd, &bytes, why, sizeof why), -EINVAL);
	assert_int_equal(fake_logged, 0);
	close(fd);
	unlink(path);

	const struct fake_response gone[] = { { 204, NULL, 0, BODY("") } };
	script(gone, 1);
	assert_int_equal(s3_delete_key(&tgt, "db1/full/x.kbk", why, sizeof why), 0);
	assert_string_equal(fake_log[0].method, "DELETE");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak/db1/full/x.kbk");
	const struct fake_response refused[] = { { 403, NULL, 0, BODY("<Error><Code>AccessDenied</Code></Error>") } };
	script(refused, 1);
	assert_int_equal(s3_delete_key(&tgt, "db1/full/x.kbk", why, sizeof why), -EACCES);
	assert_int_equal(s3_delete_key(&tgt, "db1/../x", why, sizeof why), -EINVAL);
	assert_int_equal(s3_delete_key(&tgt, "db1/x?y", why, sizeof why), -EINVAL);
}

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static int parse(const char *xml, char ***keys, size_t *n, size_t *cap, char **next)
{
	return s3_list_page_parse(xml, strlen(xml), keys, n, cap, next);
}

static void test_pages(void **state)
{
	(void)state;
	char **keys = NULL, *next = NULL;
	size_t n = 0, cap = 0;
	const char *p1 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult " NS "><Name>b</Name><Prefix>db1/</Prefix>"
			 "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
			 "<Contents><Key>db1/full/20261203T180000Z.kbk</Key><Size>9</Size></Contents>"
			 "<Contents><Size>9</Size><Key>db1/binlog/20261203T180500Z-mysql-bin.000002.kbk</Key></Contents>"
			 "<NextContinuationToken>a+b/c=</NextContinuationToken></ListBucketResult>";
	assert_int_equal(parse(p1, &keys, &n, &cap, &next), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "db1/full/20261203T180000Z.kbk");
	assert_string_equal(keys[1], "db1/binlog/20261203T180500Z-mysql-bin.000002.kbk");
	assert_string_equal(next, "a+b/c=");
	free(next);
	const char *p2 = "<ListBucketResult " NS "><IsTruncated>false</IsTruncated>"
			 "<Contents><Key>db1/x.kbk</Key></Contents></ListBucketResult>";
	assert_int_equal(parse(p2, &keys, &n, &cap, &next), 0);
	assert_int_equal(n, 3);
	assert_null(next);
	/* an empty bucket */
	assert_int_equal(parse("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>", &keys, &n, &cap, &next), 0);
	assert_int_equal(n, 3);
	s3_keys_free(keys, n);
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"not xml",
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",           /* no key */
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",              /* truncated, no token */
		"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken></ListBucketResult>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char **keys = NULL, *next = NULL;
		size_t n = 0, cap = 0;
		int r = parse(bad[i], &keys, &n, &cap, &next);
		if (r != -EBADMSG)
			print_error("case %zu: %d\n", i, r);
		assert_int_equal(r, -EBADMSG);
		assert_null(next);
		s3_keys_free(keys, n);
	}
}

/* Keys that are no backup names are skipped, not taken and not fatal:
 * whoever may put objects cannot stop a restore by naming one oddly. */
static void test_odd_keys_skipped(void **state)
{
	(void)state;
	const char *xml = "<ListBucketResult><Contents><Key>a b</Key></Contents><Contents><Key>a?x</Key></Contents>"
			  "<Contents><Key></Key></Contents><Contents><Key>\xc3\xa9</Key></Contents>"
			  "<Contents><Key>db1/../x.kbk</Key></Contents><Contents><Key>/db1/x.kbk</Key></Contents>"
			  "<Contents><Key>db1//x.kbk</Key></Contents><Contents><Key>db1/./x.kbk</Key></Contents>"
			  "<Contents><Key>db1/full/20261203T180000Z.kbk</Key></Contents></ListBucketResult>";
	char **keys = NULL, *next = NULL;
	size_t n = 0, cap = 0;
	assert_int_equal(parse(xml, &keys, &n, &cap, &next), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0], "db1/full/20261203T180000Z.kbk");
	s3_keys_free(keys, n);
	/* an entity is not expanded (no file read, no network) */
	const char *xxe = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/hostname\">]><ListBucketResult>"
			  "<Contents><Key>&e;</Key></Contents></ListBucketResult>";
	keys = NULL;
	n = cap = 0;
	int r = parse(xxe, &keys, &n, &cap, &next);
	assert_true(r == 0 || r == -EBADMSG);
	assert_int_equal(n, 0);
	s3_keys_free(keys, n);
}

/* ListObjectVersions: pages by key and version-id marker (canonical query),
 * versions and delete markers in order, others' names skipped, answers that
 * are no listing refused. */
static void test_versions(void **state)
{
	(void)state;
	static const char p1[] = "<ListVersionsResult><IsTruncated>true</IsTruncated>"
				 "<NextKeyMarker>db1/a.kbk</NextKeyMarker><NextVersionIdMarker>v+1</NextVersionIdMarker>"
				 "<DeleteMarker><Key>db1/a.kbk</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest></DeleteMarker>"
				 "<Version><Key>db1/a.kbk</Key><VersionId>v+1</VersionId><IsLatest>false</IsLatest></Version>"
				 "</ListVersionsResult>";
	static const char p2[] = "<ListVersionsResult><IsTruncated>false</IsTruncated>"
				 "<Version><Key>db1/b.kbk</Key><VersionId>null</VersionId><IsLatest>true</IsLatest></Version>"
				 "<Version><Key>db1/../x</Key><VersionId>v9</VersionId><IsLatest>true</IsLatest></Version>"
				 "</ListVersionsResult>";
	const struct fake_response r[] = { { 200, NULL, 0, BODY(p1) }, { 200, NULL, 0, BODY(p2) } };
	script(r, 2);
	struct s3_version *v = NULL;
	size_t n = 0;
	char why[256] = "";
	assert_int_equal(s3_list_versions(&tgt, "db1/", &v, &n, why, sizeof why), 0);
	assert_int_equal(n, 3);
	assert_true(v[0].delete_marker && v[0].latest);
	assert_string_equal(v[1].version_id, "v+1");
	assert_false(v[1].latest || v[1].delete_marker);
	assert_string_equal(v[2].key, "db1/b.kbk");
	assert_string_equal(v[2].version_id, "null");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak?max-keys=100&prefix=db1%2F&versions=");
	assert_string_equal(fake_log[1].url, "http://192.0.2.10:9000/bak?key-marker=db1%2Fa.kbk&max-keys=100&prefix=db1%2F"
					     "&version-id-marker=v%2B1&versions=");
	s3_versions_free(v, n);

	static const char *const bad[] = {
		"<ListBucketResult></ListBucketResult>",
		"<ListVersionsResult><Version><VersionId>v</VersionId></Version></ListVersionsResult>",
		"<ListVersionsResult><Version><Key>db1/a</Key></Version></ListVersionsResult>",
		"<ListVersionsResult><Version><Key>db1/a</Key><VersionId>a b</VersionId></Version></ListVersionsResult>",
		"<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct fake_response one = { 200, NULL, 0, bad[i], strlen(bad[i]) };
		script(&one, 1);
		assert_int_equal(s3_list_versions(&tgt, "db1/", &v, &n, why, sizeof why), -EBADMSG);
		assert_null(v);
		assert_int_equal(n, 0);
	}
}

/* DeleteObject?versionId: the lock's refusal (MinIO's and AWS's) is -EPERM,
 * a policy's -EACCES; bad input sends nothing. */
static void test_delete_version(void **state)
{
	(void)state;
	char why[512];
	const struct fake_response ok[] = { { 204, NULL, 0, BODY("") } };
	script(ok, 1);
	assert_int_equal(s3_delete_version(&tgt, "db1/a.kbk", "3f2a/b+c", why, sizeof why), 0);
	assert_string_equal(fake_log[0].method, "DELETE");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak/db1/a.kbk?versionId=3f2a%2Fb%2Bc");
	const struct fake_response minio[] = { { 400, NULL, 0, BODY("<Error><Code>InvalidRequest</Code><Message>Object is "
								     "WORM protected and cannot be overwritten.</Message></Error>") } };
	script(minio, 1);
	assert_int_equal(s3_delete_version(&tgt, "db1/a.kbk", "v1", why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "WORM protected"));
	const struct fake_response aws[] = { { 403, NULL, 0, BODY("<Error><Code>AccessDenied</Code><Message>Access Denied "
								   "because object protected by object lock.</Message></Error>") } };
	script(aws, 1);
	assert_int_equal(s3_delete_version(&tgt, "db1/a.kbk", "v1", why, sizeof why), -EPERM);
	const struct fake_response denied[] = { { 403, NULL, 0, BODY("<Error><Code>AccessDenied</Code><Message>Access "
								      "Denied.</Message></Error>") } };
	script(denied, 1);
	assert_int_equal(s3_delete_version(&tgt, "db1/a.kbk", "v1", why, sizeof why), -EACCES);
	script(ok, 1);
	assert_int_equal(s3_delete_version(&tgt, "../a", "v1", why, sizeof why), -EINVAL);
	assert_int_equal(s3_delete_version(&tgt, "db1/a.kbk", "", why, sizeof why), -EINVAL);
	assert_int_equal(s3_delete_version(&tgt, "db1/a.kbk", "a\nb", why, sizeof why), -EINVAL);
	assert_int_equal(fake_logged, 0);
}

/* Get/PutObjectLockConfiguration: no lock is 0 with enabled false; the
 * put carries the body and its Content-MD5. */
static void test_lock_conf(void **state)
{
	(void)state;
	char why[512];
	struct s3_lock_conf c;
	static const char conf[] = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
				   "<DefaultRetention><Mode>COMPLIANCE</Mode><Days>7</Days></DefaultRetention></Rule>"
				   "</ObjectLockConfiguration>";
	const struct fake_response got[] = { { 200, NULL, 0, BODY(conf) } };
	script(got, 1);
	assert_int_equal(s3_lock_conf_get(&tgt, &c, why, sizeof why), 0);
	assert_true(c.enabled);
	assert_int_equal(c.days, 7);
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak?object-lock=");
	const struct fake_response none[] = { { 404, NULL, 0, BODY("<Error><Code>ObjectLockConfigurationNotFoundError</Code>"
								    "<Message>Object Lock configuration does not exist for this "
								    "bucket.</Message></Error>") } };
	script(none, 1);
	assert_int_equal(s3_lock_conf_get(&tgt, &c, why, sizeof why), 0);
	assert_false(c.enabled);
	const struct fake_response nobucket[] = { { 404, NULL, 0, BODY("<Error><Code>NoSuchBucket</Code></Error>") } };
	script(nobucket, 1);
	assert_int_equal(s3_lock_conf_get(&tgt, &c, why, sizeof why), -EPROTO);
	const struct fake_response junk[] = { { 200, NULL, 0, BODY("<html>hello</html>") } };
	script(junk, 1);
	assert_int_equal(s3_lock_conf_get(&tgt, &c, why, sizeof why), -EBADMSG);
	assert_false(c.enabled);

	const struct fake_response ok[] = { { 200, NULL, 0, BODY("") } };
	script(ok, 1);
	assert_int_equal(s3_lock_conf_put(&tgt, S3_LOCK_COMPLIANCE, 7, why, sizeof why), 0);
	assert_string_equal(fake_log[0].method, "PUT");
	assert_string_equal(fake_log[0].url, "http://192.0.2.10:9000/bak?object-lock=");
	assert_non_null(strstr(fake_log[0].body, "<Mode>COMPLIANCE</Mode><Days>7</Days>"));
	char md5[S3_MD5_B64_LEN], want[64];
	s3_content_md5(fake_log[0].body, fake_log[0].body_len, md5);
	snprintf(want, sizeof want, "Content-MD5: %s\n", md5);
	assert_non_null(strstr(fake_log[0].headers, want));
	script(ok, 1);
	assert_int_equal(s3_lock_conf_put(&tgt, S3_LOCK_NONE, 7, why, sizeof why), -EINVAL);
	assert_int_equal(s3_lock_conf_put(&tgt, S3_LOCK_COMPLIANCE, 0, why, sizeof why), -EINVAL);
	assert_int_equal(fake_logged, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_odd_keys_skipped),
		cmocka_unit_test(test_list_requests),
		cmocka_unit_test(test_get_and_delete),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_delete_version),
		cmocka_unit_test(test_lock_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
