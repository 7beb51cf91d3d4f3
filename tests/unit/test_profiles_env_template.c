/* profiles/env_template.c: references, the |url filter (checked with
 * libcurl's URL parser as the oracle), unknown filters at FILE:LINE:COLUMN,
 * and which templates can render several lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "profiles/env_template.h"
#include "profiles/profile.h"

static const char *const targets[] = { "raw", "esxi", "ec2", "iso", NULL };

/* The secret every test hands out; tests set it. */
static const char *the_secret;

static const char *secret_cb(void *ud, const char *name)
{
	(void)ud;
	return !strcmp(name, "tls_key") ? "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n" : the_secret;
}

static int setup(void **state)
{
	struct model *m = calloc(1, sizeof *m);
	struct diags d = { 0 };
	int r = profile_load_file("profiles/examples/onprem.yaml", targets, m, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	model_free(*state);
	free(*state);
	return 0;
}

static char *expand(const struct model *m, const char *tmpl, int want)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(env_template_expand(m, tmpl, secret_cb, NULL, &b), want);
	return b.data ? b.data : calloc(1, 1);
}

static void expect_expanded(const struct model *m, const char *tmpl, const char *want)
{
	char *s = expand(m, tmpl, 0);
	assert_string_equal(s, want);
	free(s);
}

static void test_url_encoding(void **state)
{
	const struct model *m = *state;
	the_secret = "p@ss:w/rd %+?#&=~._-Az09";
	expect_expanded(m, "${secret.mysql_app_password|url}", "p%40ss%3Aw%2Frd%20%25%2B%3F%23%26%3D~._-Az09");
	the_secret = "caf\xc3\xa9\n\"'\\$";
	expect_expanded(m, "x${secret.mysql_app_password|url}y", "xcaf%C3%A9%0A%22%27%5C%24y");
	/* every byte: unreserved ones stay, the rest are %XX in upper case */
	struct buf b;
	buf_init(&b);
	char all[256];
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	env_url_encode(&b, all, 255);
	size_t plain = 0, pct = 0;
	for (size_t i = 0; i < b.len; i++) {
		if (b.data[i] == '%') {
			assert_true(strchr("0123456789ABCDEF", b.data[i + 1]) && strchr("0123456789ABCDEF", b.data[i + 2]));
			pct++;
			i += 2;
		} else {
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", b.data[i]));
			plain++;
		}
	}
	assert_int_equal(plain, 66);
	assert_int_equal(pct, 255 - 66);
	buf_free(&b);
}

/* Other sources take the filter too; filters chain left to right. */
static void test_filter_sources_and_chain(void **state)
{
	const struct model *m = *state;
	expect_expanded(m, "${host.db1|url}/${deployment.name|url}/${mysql.user|url}/${role.minio|url}",
			"192.168.40.210/acme/app/192.168.40.215");
	the_secret = "a b";
	expect_expanded(m, "${secret.minio_app_secret_key|url|url}", "a%2520b");
	the_secret = NULL;   /* a known secret the seed lacks */
	free(expand(m, "${secret.minio_app_secret_key|url}", -ENOKEY));
}

/* libcurl's URL parser decodes the userinfo back to the generated value,
 * for random passwords of every printable byte and all of 0x80-0xff (its
 * decoder refuses control characters), in the two shapes apps take. */
static void test_url_roundtrip_libcurl(void **state)
{
	const struct model *m = *state;
	static const char *const shapes[] = {
		"mysql://${mysql.user}:${secret.mysql_app_password|url}@${host.db1}:3306/${mysql.database}",
		"s3://${secret.mysql_app_password|url}:${secret.mysql_app_password|url}@${role.minio}:9000/uploads",
	};
	for (int round = 0; round < 200; round++) {
		unsigned char raw[48];
		randombytes_buf(raw, sizeof raw);
		char pw[49];
		for (size_t i = 0; i < sizeof raw; i++)
			pw[i] = (char)(0x20 + raw[i] % 0xe0);
		pw[48] = 0;
		the_secret = pw;
		for (size_t k = 0; k < 2; k++) {
			char *url = expand(m, shapes[k], 0);
			CURLU *u = curl_url();
			assert_int_equal(curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME), CURLUE_OK);
			char *got = NULL, *host = NULL;
			assert_int_equal(curl_url_get(u, CURLUPART_PASSWORD, &got, CURLU_URLDECODE), CURLUE_OK);
			assert_string_equal(got, pw);
			assert_int_equal(curl_url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
			assert_string_equal(host, k ? "192.168.40.215" : "192.168.40.210");
			if (k) {
				char *user = NULL;
				assert_int_equal(curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE), CURLUE_OK);
				assert_string_equal(user, pw);
				curl_free(user);
			}
			curl_free(got);
			curl_free(host);
			curl_url_cleanup(u);
			free(url);
		}
	}
}

static void test_bad_filters(void **state)
{
	const struct model *m = *state;
	static const struct { const char *tmpl; size_t off; const char *msg; } bad[] = {
		{ "x ${secret.mysql_app_password|bogus}", 2, "${secret.mysql_app_password|bogus}: unknown filter 'bogus' (expected url)" },
		{ "${host.db1|url|URL}", 0, "unknown filter 'URL'" },
		{ "ab${deployment.name|}", 2, "unknown filter ''" },
		{ "${|url}", 0, "unknown template reference ${}" },
		{ "${secret.nope|url}", 0, "this deployment has no secret 'nope'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t off = 99;
		char *msg = NULL;
		assert_int_equal(env_template_check(m, bad[i].tmpl, &off, &msg), -EINVAL);
		assert_int_equal(off, bad[i].off);
		if (!strstr(msg, bad[i].msg))
			fail_msg("%s: got '%s'", bad[i].tmpl, msg);
		free(msg);
		struct buf b;
		buf_init(&b);
		assert_int_equal(env_template_expand(m, bad[i].tmpl, secret_cb, NULL, &b), -EINVAL);
		buf_wipe(&b);
	}
}

static void test_multiline(void **state)
{
	const struct model *m = *state;
	size_t off = 99;
	assert_int_equal(env_template_multiline(m, "key=${secret.tls_key}", &off), 1);
	assert_int_equal(off, 4);
	assert_int_equal(env_template_multiline(m, "${secret.tls_key|url}", &off), 0);
	assert_int_equal(env_template_multiline(m, "${secret.mysql_app_password} ${host.db1}", &off), 0);
	assert_int_equal(env_template_multiline(m, "${secret.tls_key|nope}", &off), -EINVAL);
	char *s = expand(m, "${secret.tls_key|url}", 0);
	assert_null(strchr(s, '\n'));
	assert_non_null(strstr(s, "%0AMIGH%0A"));
	free(s);
}

/* Through the profile loader: an unknown filter is FILE:LINE:COLUMN at its
 * reference; a multi-line value in a container's env is refused there too. */
static void test_profile_positions(void **state)
{
	(void)state;
	static const char head[] =
		"kiln: 1\n"
		"deployment: {name: t, domain: t.lan}\n"
		"subnets:\n"
		"  - {name: a, cidr: 10.0.0.0/24}\n"
		"hosts:\n"
		"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		"roles:\n"
		"  app:\n";
	static const struct { const char *tail; unsigned line, col; const char *msg; } cases[] = {
		{ "    service: {exec: /bin/true}\n    env:\n      A: \"u=${deployment.name|base64}\"\n", 11, 13,
		  "unknown filter 'base64' (expected url)" },
		{ "    service: {type: container, image: registry.example.com/a:1}\n    env:\n      K: ${secret.tls_key}\n",
		  11, 10, "renders several lines, which podman's env file cannot carry" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char yaml[1024];
		snprintf(yaml, sizeof yaml, "%s%s", head, cases[i].tail);
		struct model m;
		struct diags d = { 0 };
		assert_int_equal(profile_load_buffer("p.yaml", yaml, strlen(yaml), targets, &m, &d), -EINVAL);
		bool found = false;
		for (size_t k = 0; k < d.n; k++)
			found |= d.v[k].line == cases[i].line && d.v[k].col == cases[i].col &&
				 strstr(d.v[k].msg, cases[i].msg) != NULL;
		if (!found)
			for (size_t k = 0; k < d.n; k++)
				print_error("  %u:%u %s\n", d.v[k].line, d.v[k].col, d.v[k].msg);
		diags_free(&d);
		assert_true(found);
	}
	/* The same container env with |url, and a systemd app with the PEM as is, load. */
	static const char *const good[] = {
		"    service: {type: container, image: registry.example.com/a:1}\n    env:\n      K: ${secret.tls_key|url}\n",
		"    service: {exec: /bin/true}\n    env:\n      K: ${secret.tls_key}\n",
	};
	for (size_t i = 0; i < 2; i++) {
		char yaml[1024];
		snprintf(yaml, sizeof yaml, "%s%s", head, good[i]);
		struct model m;
		struct diags d = { 0 };
		int r = profile_load_buffer("p.yaml", yaml, strlen(yaml), targets, &m, &d);
		diags_print(&d, stderr);
		diags_free(&d);
		assert_int_equal(r, 0);
		model_free(&m);
	}
}

/* ${role.mysql} is the primary even when a replica comes first in the
 * profile, and the promoted replica once the old primary is gone. */
static void test_role_mysql_is_the_primary(void **state)
{
	(void)state;
	static const char text[] =
		"kiln: 1\ndeployment: {name: t, domain: t.lan}\n"
		"subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		"hosts:\n  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		"  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11%s}\n"
		"%s"
		"roles:\n  app: {service: {exec: /bin/true}}\n";
	for (int promoted = 0; promoted < 2; promoted++) {
		char yaml[1024];
		snprintf(yaml, sizeof yaml, text, promoted ? "" : ", replica_of: db1",
			 promoted ? "" : "  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n");
		struct model m;
		struct diags d = { 0 };
		int r = profile_load_buffer("p.yaml", yaml, strlen(yaml), targets, &m, &d);
		diags_print(&d, stderr);
		diags_free(&d);
		assert_int_equal(r, 0);
		expect_expanded(&m, "${role.mysql}", promoted ? "10.0.0.11" : "10.0.0.10");
		model_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_url_encoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_sources_and_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_url_roundtrip_libcurl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiline, setup, teardown),
		cmocka_unit_test(test_profile_positions),
		cmocka_unit_test(test_role_mysql_is_the_primary),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
