/* lib/s3_objects.c's listing parser: ListObjectsV2 pages (keys, the
 * continuation token), and every answer that is no listing of backup
 * object names refused. The requests themselves run against the S3
 * stand-in in tests/cli/firstboot_restore.sh and backup_prune.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/s3_objects.h"

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
		"<ListBucketResult><Contents><Key>a b</Key></Contents></ListBucketResult>",          /* a blank */
		"<ListBucketResult><Contents><Key>a?x</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>\xc3\xa9</Key></Contents></ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",              /* truncated, no token */
		"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken></ListBucketResult>",
		"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ListBucketResult><Contents><Key>&e;</Key></Contents></ListBucketResult>",
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
