/* firstboot/minio_admin.c and the minio role's registration logic
 * (role_minio.c): the app's canned policy, picking the users an earlier
 * app key left behind from a list-users answer, MinIO's JSON error codes
 * in failure reasons, and missing secrets refused before any request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "firstboot/minio_admin.h"
#include "firstboot/role_minio.h"
#include "lib/aws_request.h"

static void test_policy_for_the_buckets(void **state)
{
	(void)state;
	struct bucket b[] = { { .name = "uploads" }, { .name = "backups.2024", .versioning = true } };
	struct model m = { 0 };
	m.roles.minio.buckets = b;
	m.roles.minio.n_buckets = 2;
	struct buf out;
	buf_init(&out);
	minio_render_app_policy(&m, &out);
	assert_string_equal(out.data,
		"{\"Version\":\"2012-10-17\",\"Statement\":["
		"{\"Effect\":\"Allow\",\"Action\":[\"s3:GetBucketLocation\",\"s3:ListBucket\",\"s3:ListBucketMultipartUploads\","
		"\"s3:ListBucketVersions\"],\"Resource\":[\"arn:aws:s3:::uploads\",\"arn:aws:s3:::backups.2024\"]},"
		"{\"Effect\":\"Allow\",\"Action\":[\"s3:AbortMultipartUpload\",\"s3:DeleteObject\",\"s3:DeleteObjectVersion\","
		"\"s3:GetObject\",\"s3:GetObjectVersion\",\"s3:ListMultipartUploadParts\",\"s3:PutObject\"],"
		"\"Resource\":[\"arn:aws:s3:::uploads/*\",\"arn:aws:s3:::backups.2024/*\"]}]}");
	buf_free(&out);
}

static void test_policy_without_buckets_denies_all(void **state)
{
	(void)state;
	struct model m = { 0 };
	struct buf out;
	buf_init(&out);
	minio_render_app_policy(&m, &out);
	assert_string_equal(out.data, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
				      "\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3:::*\"]}]}");
	buf_free(&out);
}

static void test_users_left_by_an_earlier_key(void **state)
{
	(void)state;
	/* As MinIO's ListUsers marshals map[string]madmin.UserInfo. */
	const char *json = "{\"NEWKEY\":{\"policyName\":\"kiln-app\",\"status\":\"enabled\",\"updatedAt\":\"2024-09-13T20:26:02Z\"},"
			   "\"OLDKEY\":{\"policyName\":\"kiln-app\",\"status\":\"enabled\"},"
			   "\"OPERATOR\":{\"policyName\":\"readwrite\",\"status\":\"enabled\"},"
			   "\"BOTH\":{\"policyName\":\"kiln-app,readwrite\",\"status\":\"enabled\"},"
			   "\"NONE\":{\"status\":\"disabled\",\"memberOf\":[\"g1\"]}}";
	char **users = NULL;
	assert_int_equal(minio_admin_users_with_policy(json, strlen(json), "kiln-app", "NEWKEY", &users), 0);
	assert_non_null(users);
	assert_string_equal(users[0], "OLDKEY");
	assert_null(users[1]);
	minio_admin_free_names(users);

	assert_int_equal(minio_admin_users_with_policy("{}", 2, "kiln-app", "K", &users), 0);
	assert_null(users[0]);
	minio_admin_free_names(users);

	static const char *const bad[] = { "[]", "\"text\"", "{\"A\":1}", "{\"A\":[1]}", "{\"A\":{", "", "\x01\x02" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		users = (char **)&users;
		assert_int_equal(minio_admin_users_with_policy(bad[i], strlen(bad[i]), "kiln-app", "K", &users), -EBADMSG);
		assert_null(users);
	}
}

/* MinIO's admin API answers errors as JSON: the code is in the reason. */
static void test_admin_error_reason(void **state)
{
	(void)state;
	struct aws_call c = { 0 };
	buf_init(&c.resp);
	buf_puts(&c.resp, "{\"Code\":\"XMinioAdminNoSuchUser\",\"Message\":\"The specified user does not exist.\","
			  "\"Resource\":\"/minio/admin/v3/set-user-or-group-policy\",\"RequestId\":\"1\",\"HostId\":\"\"}");
	char why[256];
	aws_call_reason(&c, CURLE_OK, 404, why, sizeof why);
	assert_string_equal(why, "HTTP 404 XMinioAdminNoSuchUser: The specified user does not exist.");
	buf_free(&c.resp);
}

static const char *only_root(void *ud, const char *name)
{
	(void)ud;
	if (!strcmp(name, "minio_root_user"))
		return "ROOTUSER";
	if (!strcmp(name, "minio_root_password"))
		return "root-password-123";
	return NULL;
}

static const char *no_secrets(void *ud, const char *name)
{
	(void)ud;
	(void)name;
	return NULL;
}

/* A missing secret is refused before any request (the endpoint is never reached). */
static void test_missing_secrets(void **state)
{
	(void)state;
	struct model m = { 0 };
	struct minio_admin a = { .endpoint = "http://127.0.0.1:1", .root_user = "ROOTUSER", .root_password = "root-password-123" };
	char why[256] = "";
	assert_int_equal(minio_register_app(&m, &a, only_root, NULL, why, sizeof why), -ENOKEY);
	assert_string_equal(why, "the seed lacks secret minio_app_access_key");
	assert_int_equal(minio_setup(&m, "http://127.0.0.1:1", no_secrets, NULL, why, sizeof why), -ENOKEY);
	assert_string_equal(why, "the seed lacks secret minio_root_user");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_for_the_buckets),
		cmocka_unit_test(test_policy_without_buckets_denies_all),
		cmocka_unit_test(test_users_left_by_an_earlier_key),
		cmocka_unit_test(test_admin_error_reason),
		cmocka_unit_test(test_missing_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
