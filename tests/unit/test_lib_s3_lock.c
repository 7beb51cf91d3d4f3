/* lib/s3_lock.c: the lock configuration's body and its parser (every
 * answer that is no configuration refused), its description, Content-MD5
 * (RFC 1321's vectors), and which refusals are the lock's (MinIO's and AWS
 * S3's wording; others are not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "lib/s3_lock.h"

static int parse(const char *xml, struct s3_lock_conf *c)
{
	return s3_lock_conf_parse(xml, strlen(xml), c);
}

static void test_body(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(s3_lock_conf_xml(S3_LOCK_COMPLIANCE, 7, &b), 0);
	assert_string_equal(b.data, "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				    "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
				    "<Mode>COMPLIANCE</Mode><Days>7</Days></DefaultRetention></Rule></ObjectLockConfiguration>");
	/* what it writes reads back */
	struct s3_lock_conf c;
	assert_int_equal(s3_lock_conf_parse(b.data, b.len, &c), 0);
	assert_true(c.enabled);
	assert_int_equal(c.mode, S3_LOCK_COMPLIANCE);
	assert_int_equal(c.days, 7);
	buf_free(&b);
	buf_init(&b);
	assert_int_equal(s3_lock_conf_xml(S3_LOCK_NONE, 7, &b), -EINVAL);
	assert_int_equal(s3_lock_conf_xml(S3_LOCK_GOVERNANCE, 0, &b), -EINVAL);
	assert_int_equal(s3_lock_conf_xml(S3_LOCK_GOVERNANCE, S3_LOCK_MAX_DAYS + 1, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(s3_lock_conf_xml(S3_LOCK_GOVERNANCE, S3_LOCK_MAX_DAYS, &b), 0);
	buf_free(&b);
}

static void test_parse(void **state)
{
	(void)state;
	struct s3_lock_conf c;
	assert_int_equal(parse("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
			       "</ObjectLockConfiguration>", &c), 0);
	assert_true(c.enabled);
	assert_int_equal(c.mode, S3_LOCK_NONE);
	assert_int_equal(parse("<?xml version=\"1.0\"?><ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			       "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode>"
			       "<Years>2</Years></DefaultRetention></Rule></ObjectLockConfiguration>", &c), 0);
	assert_int_equal(c.mode, S3_LOCK_GOVERNANCE);
	assert_int_equal(c.years, 2);
	assert_int_equal(c.days, 0);
	static const char *const bad[] = {
		"", "not xml", "<Error><Code>AccessDenied</Code></Error>",
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>WORM</Mode><Days>1</Days></DefaultRetention></Rule>"
		"</ObjectLockConfiguration>",
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule>"
		"</ObjectLockConfiguration>",
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"
		"</DefaultRetention></Rule></ObjectLockConfiguration>",
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention>"
		"</Rule></ObjectLockConfiguration>",
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>-1</Days></DefaultRetention>"
		"</Rule></ObjectLockConfiguration>",
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>99999999999</Days>"
		"</DefaultRetention></Rule></ObjectLockConfiguration>",
		"<ObjectLockConfiguration><Rule></Rule></ObjectLockConfiguration>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		c.enabled = true;
		assert_int_equal(parse(bad[i], &c), -EBADMSG);
		assert_false(c.enabled);   /* nothing half-parsed left */
	}
}

static void test_describe(void **state)
{
	(void)state;
	char s[96];
	s3_lock_conf_describe(&(struct s3_lock_conf){ 0 }, s, sizeof s);
	assert_string_equal(s, "none");
	s3_lock_conf_describe(&(struct s3_lock_conf){ .enabled = true }, s, sizeof s);
	assert_string_equal(s, "enabled, no default retention");
	s3_lock_conf_describe(&(struct s3_lock_conf){ true, S3_LOCK_COMPLIANCE, 7, 0 }, s, sizeof s);
	assert_string_equal(s, "COMPLIANCE, 7 days");
	s3_lock_conf_describe(&(struct s3_lock_conf){ true, S3_LOCK_GOVERNANCE, 0, 1 }, s, sizeof s);
	assert_string_equal(s, "GOVERNANCE, 1 year");
}

static void test_md5(void **state)
{
	(void)state;
	char m[S3_MD5_B64_LEN];
	s3_content_md5("", 0, m);
	assert_string_equal(m, "1B2M2Y8AsgTpgAmY7PhCfg==");   /* d41d8cd98f00b204e9800998ecf8427e */
	s3_content_md5("abc", 3, m);
	assert_string_equal(m, "kAFQmDzST7DWlj99KOF/cg==");   /* 900150983cd24fb0d6963f7d28e17f72 */
}

static void test_refusals(void **state)
{
	(void)state;
	assert_true(s3_lock_refused("HTTP 400 InvalidRequest: Object is WORM protected and cannot be overwritten."));
	assert_true(s3_lock_refused("HTTP 403 AccessDenied: Access Denied because object protected by object lock."));
	assert_false(s3_lock_refused("HTTP 403 AccessDenied: Access Denied."));       /* a policy's refusal */
	assert_false(s3_lock_refused("HTTP 400 InvalidRequest: Bucket is missing Object Lock Configuration."));
	assert_false(s3_lock_refused("HTTP 500 InternalError: WORM protected"));
	assert_false(s3_lock_refused("Failed to connect"));
	assert_false(s3_lock_refused(""));
	assert_false(s3_lock_refused(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_md5),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
