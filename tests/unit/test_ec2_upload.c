/* kiln ec2 upload's library parts: SigV4 signing (AWS's published S3
 * example), the LINEAR checksum aggregation, volume sizing, the EC2 query
 * encoding, XML answers, the credentials file reader, retry classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/aws_creds.h"
#include "lib/aws_request.h"
#include "lib/aws_sigv4.h"
#include "ec2/ebs_upload.h"
#include "ec2/ec2_kit.h"
#include "ec2/ec2_register.h"
#include "lib/buf.h"
#include "lib/log.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* AWS S3 API reference, "Signature Calculations for the Authorization
 * Header", GET Object example. */
static void test_sigv4_aws_example(void **state)
{
	(void)state;
	const char *hdrs[] = { "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
			       "x-amz-content-sha256: " EMPTY_SHA256, "x-amz-date: 20130524T000000Z", NULL };
	struct aws_sigv4 s = { .method = "GET", .path = "/test.txt", .region = "us-east-1", .service = "s3",
			       .access_key = "AKIAIOSFODNN7EXAMPLE",
			       .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", .amz_date = "20130524T000000Z",
			       .payload_sha256 = EMPTY_SHA256, .headers = hdrs };
	struct buf b;
	buf_init(&b);
	assert_int_equal(aws_sigv4_authorization(&s, &b), 0);
	assert_string_equal(b.data, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
				    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
				    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	buf_free(&b);
}

static void sign(const char *const *hdrs, struct buf *b)
{
	struct aws_sigv4 s = { .method = "PUT", .path = "/snapshots/snap-1/blocks/0", .region = "eu-west-1",
			       .service = "ebs", .access_key = "AK", .secret_key = "SK",
			       .amz_date = "20261122T000000Z", .payload_sha256 = "UNSIGNED-PAYLOAD", .headers = hdrs };
	b->len = 0;
	assert_int_equal(aws_sigv4_authorization(&s, b), 0);
}

/* Sorted by header name (x-amz-checksum before x-amz-checksum-algorithm,
 * which libcurl 7.88 gets wrong); names lower-cased; values trimmed with
 * inner runs of blanks collapsed. */
static void test_sigv4_canonical_headers(void **state)
{
	(void)state;
	const char *a[] = { "Host: ebs.eu-west-1.amazonaws.com", "x-amz-Checksum-Algorithm: SHA256",
			    "X-Amz-Checksum: abc=", "x-amz-date: 20261122T000000Z", "Content-Type:  a   b  ", NULL };
	const char *b_[] = { "x-amz-checksum: abc=", "content-type: a b", "x-amz-date: 20261122T000000Z",
			     "host: ebs.eu-west-1.amazonaws.com", "x-amz-checksum-algorithm: SHA256", NULL };
	const char *c[] = { "x-amz-checksum: abd=", "content-type: a b", "x-amz-date: 20261122T000000Z",
			    "host: ebs.eu-west-1.amazonaws.com", "x-amz-checksum-algorithm: SHA256", NULL };
	struct buf x, y, z;
	buf_init(&x);
	buf_init(&y);
	buf_init(&z);
	sign(a, &x);
	sign(b_, &y);
	sign(c, &z);
	assert_non_null(strstr(x.data, "SignedHeaders=content-type;host;x-amz-checksum;x-amz-checksum-algorithm;"
				       "x-amz-date, "));
	assert_string_equal(x.data, y.data);
	assert_string_not_equal(y.data, z.data);   /* a signed header's value counts */
	const char *bad[] = { "no colon", NULL };
	struct aws_sigv4 s = { .method = "PUT", .path = "/", .region = "r", .service = "ebs", .access_key = "AK",
			       .secret_key = "SK", .amz_date = "20261122T000000Z", .payload_sha256 = "x", .headers = bad };
	assert_int_equal(aws_sigv4_authorization(&s, &z), -EINVAL);
	buf_free(&x);
	buf_free(&y);
	buf_free(&z);
	char d[17];
	aws_amz_date(0, d);
	assert_string_equal(d, "19700101T000000Z");
}

/* Expected values from Python's hashlib/base64. */
static void test_checksum_linear(void **state)
{
	(void)state;
	uint8_t d[2][32] = {
		{ 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		  0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad },  /* "abc" */
		{ 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		  0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 },  /* "" */
	};
	char out[45];
	ebs_checksum_linear((const uint8_t (*)[32])d, 2, out);
	assert_string_equal(out, "bxKQiW7oGgNJF00Z9Ec9JnoQKJxASAhh1cQq//+9efk=");
	uint8_t r[2][32];
	memcpy(r[0], d[1], 32);
	memcpy(r[1], d[0], 32);
	ebs_checksum_linear((const uint8_t (*)[32])r, 2, out);   /* order matters */
	assert_string_equal(out, "vdvffp3wL5Au5d1hsrUT11ZqIRL/l9t9w7bRhKQ+8OM=");
	ebs_checksum_linear(NULL, 0, out);
	assert_string_equal(out, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

static void test_volume_gib(void **state)
{
	(void)state;
	const uint64_t G = UINT64_C(1) << 30;
	assert_int_equal(ebs_volume_gib(0), 1);
	assert_int_equal(ebs_volume_gib(1), 1);
	assert_int_equal(ebs_volume_gib(G), 1);
	assert_int_equal(ebs_volume_gib(G + 1), 2);
	assert_int_equal(ebs_volume_gib(65536 * G), 65536);
	assert_int_equal(ebs_volume_gib(65536 * G + 1), 65537);
}

static void test_uri_encode(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	aws_uri_encode(&b, "a b/c~d*e_f-g.h+\xc3\xa9=&");
	assert_string_equal(b.data, "a%20b%2Fc~d%2Ae_f-g.h%2B%C3%A9%3D%26");
	buf_free(&b);
}

static void test_register_query(void **state)
{
	(void)state;
	struct ec2_kit k = { "acme", "mysql", "0.1.0", "-", 10, 50 };
	struct ec2_ami a;
	assert_int_equal(ec2_ami_describe(&k, "snap-0123456789abcdef0", NULL, &a), 0);
	struct buf b;
	buf_init(&b);
	ec2_register_query(&a, &b);
	assert_string_equal(b.data,
		"Action=RegisterImage&Version=2016-11-15&Name=kiln-acme-mysql-0.1.0"
		"&Description=kiln%20mysql%20appliance%20for%20deployment%20acme%20%28UEFI%20or%20BIOS%2C%20IMDSv2%3B%20seed%20in%20user%20data%29"
		"&Architecture=x86_64&RootDeviceName=%2Fdev%2Fxvda"
		"&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.SnapshotId=snap-0123456789abcdef0"
		"&BlockDeviceMapping.1.Ebs.VolumeSize=10&BlockDeviceMapping.1.Ebs.VolumeType=gp3"
		"&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true"
		"&BlockDeviceMapping.2.DeviceName=%2Fdev%2Fsdf&BlockDeviceMapping.2.Ebs.VolumeSize=50"
		"&BlockDeviceMapping.2.Ebs.VolumeType=gp3&BlockDeviceMapping.2.Ebs.DeleteOnTermination=false"
		"&VirtualizationType=hvm&EnaSupport=true&SriovNetSupport=simple&BootMode=uefi-preferred&ImdsSupport=v2.0");
	ec2_ami_free(&a);
	/* app: no data volume; --name overrides the AMI name */
	struct ec2_kit k2 = { "acme", "app", "0.1.0", "-", 4, 0 };
	assert_int_equal(ec2_ami_describe(&k2, "snap-1", "my-ami", &a), 0);
	assert_int_equal(a.n_disks, 1);
	b.len = 0;
	ec2_register_query(&a, &b);
	assert_non_null(strstr(b.data, "&Name=my-ami&"));
	assert_null(strstr(b.data, "BlockDeviceMapping.2"));
	ec2_ami_free(&a);
	assert_int_equal(ec2_ami_describe(&k2, "snap-1", "bad name", &a), -EINVAL);
	buf_free(&b);
}

static void test_xml_find(void **state)
{
	(void)state;
	const char *ok = "<?xml version=\"1.0\"?><RegisterImageResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
			 "<requestId>r</requestId><imageId>ami-0abc</imageId></RegisterImageResponse>";
	char out[64];
	assert_int_equal(ec2_xml_find(ok, strlen(ok), "imageId", out, sizeof out), 0);
	assert_string_equal(out, "ami-0abc");
	const char *err = "<Response><Errors><Error><Code>AuthFailure</Code></Error></Errors></Response>";
	assert_int_equal(ec2_xml_find(err, strlen(err), "imageId", out, sizeof out), -ENOENT);
	assert_int_equal(ec2_xml_find("not xml", 7, "imageId", out, sizeof out), -EBADMSG);
}

static char logged[4096];
static void capture(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl;
	(void)ud;
	strncat(logged, msg, sizeof logged - strlen(logged) - 1);
	strncat(logged, "\n", sizeof logged - strlen(logged) - 1);
}

static void test_creds_file(void **state)
{
	(void)state;
	log_set_sink(capture, NULL);
	const char *text = "# comment\n[default]\naws_access_key_id = AKDEF\naws_secret_access_key=SKDEF\n\n"
			   "[ci]\r\n ; another\r\naws_access_key_id=AKCI \r\naws_secret_access_key = SKCI\r\n"
			   "aws_session_token = TOK\r\nregion = eu-west-1\r\n[half]\naws_access_key_id = X\n";
	struct aws_creds c;
	assert_int_equal(aws_creds_parse("f", text, "default", &c), 0);
	assert_string_equal(c.access_key, "AKDEF");
	assert_string_equal(c.secret_key, "SKDEF");
	assert_null(c.session_token);
	aws_creds_free(&c);
	assert_int_equal(aws_creds_parse("f", text, "ci", &c), 0);
	assert_string_equal(c.access_key, "AKCI");
	assert_string_equal(c.secret_key, "SKCI");
	assert_string_equal(c.session_token, "TOK");
	assert_string_equal(c.source, "f [ci]");
	aws_creds_free(&c);
	assert_int_equal(aws_creds_parse("f", text, "nope", &c), -ENOENT);
	logged[0] = 0;
	assert_int_equal(aws_creds_parse("f", text, "half", &c), -ENOKEY);
	assert_non_null(strstr(logged, "lacks aws_secret_access_key"));
	logged[0] = 0;
	assert_int_equal(aws_creds_parse("f", "[default]\nbroken line\n", "default", &c), -EINVAL);
	assert_non_null(strstr(logged, "f:2: expected KEY = VALUE"));
	logged[0] = 0;
	assert_int_equal(aws_creds_parse("f", "[default\n", "default", &c), -EINVAL);
	assert_non_null(strstr(logged, "f:1: malformed section header"));
	logged[0] = 0;
	/* A bad value is reported by its key, never echoed. */
	assert_int_equal(aws_creds_parse("f", "[default]\naws_access_key_id=A\naws_secret_access_key=sec ret-XYZ\n",
					 "default", &c), -EINVAL);
	assert_non_null(strstr(logged, "f:3: aws_secret_access_key is empty or holds spaces"));
	assert_null(strstr(logged, "XYZ"));
	log_set_sink(NULL, NULL);
}

static void test_retry_classes(void **state)
{
	(void)state;
	assert_true(aws_is_throttling("ThrottlingException"));
	assert_true(aws_is_throttling("RequestThrottledException"));
	assert_true(aws_is_throttling("RequestLimitExceeded"));
	assert_false(aws_is_throttling("ValidationException"));
	assert_false(aws_is_throttling(NULL));
	for (unsigned a = 2; a < 20; a++) {
		unsigned ms = aws_backoff_ms(a);
		assert_true(ms >= 100 && ms <= 10000);
	}
	assert_true(aws_backoff_ms(2) <= 200);
	assert_true(aws_backoff_ms(12) >= 5000);
}

/* aws_max_attempts: 8 unless AWS_MAX_ATTEMPTS says 1..20 (the AWS CLI's
 * variable); anything else is ignored with one warning */
static void test_max_attempts(void **state)
{
	(void)state;
	unsetenv("AWS_MAX_ATTEMPTS");
	assert_int_equal(aws_max_attempts(), AWS_MAX_ATTEMPTS);
	setenv("AWS_MAX_ATTEMPTS", "", 1);
	assert_int_equal(aws_max_attempts(), AWS_MAX_ATTEMPTS);
	static const struct { const char *v; unsigned want; } cases[] = {
		{ "1", 1 }, { "3", 3 }, { "20", 20 }, { "0", AWS_MAX_ATTEMPTS }, { "21", AWS_MAX_ATTEMPTS },
		{ "-1", AWS_MAX_ATTEMPTS }, { "2x", AWS_MAX_ATTEMPTS }, { " 2", AWS_MAX_ATTEMPTS },
		{ "99999999999999999999", AWS_MAX_ATTEMPTS },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		setenv("AWS_MAX_ATTEMPTS", cases[i].v, 1);
		assert_int_equal(aws_max_attempts(), cases[i].want);
	}
	unsetenv("AWS_MAX_ATTEMPTS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_aws_example),
		cmocka_unit_test(test_sigv4_canonical_headers),
		cmocka_unit_test(test_checksum_linear),
		cmocka_unit_test(test_volume_gib),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_register_query),
		cmocka_unit_test(test_xml_find),
		cmocka_unit_test(test_creds_file),
		cmocka_unit_test(test_retry_classes),
		cmocka_unit_test(test_max_attempts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
