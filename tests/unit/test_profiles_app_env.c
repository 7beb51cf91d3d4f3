/* profiles/app_env.c: the app's environment file in systemd's syntax (for a
 * systemd service) and podman's (for a container), what each refuses, and
 * that no value reaches a message. tests/cli/app_env.sh reads the files
 * with the real parsers (podman run --env-file, systemd's env-file reader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "profiles/app_env.h"
#include "profiles/profile.h"

static const char *const targets[] = { "raw", NULL };

static char *line(enum app_service_type t, const char *name, const char *value, int want)
{
	struct buf b;
	buf_init(&b);
	const char *why = NULL;
	assert_int_equal(app_env_line(t, &b, name, value, &why), want);
	if (want < 0) {
		assert_non_null(why);
		assert_int_equal(b.len, 0);   /* nothing half-written */
	}
	return b.data ? b.data : calloc(1, 1);
}

static void expect_line(enum app_service_type t, const char *name, const char *value, const char *want)
{
	char *s = line(t, name, value, 0);
	assert_string_equal(s, want);
	free(s);
}

static void test_systemd_syntax(void **state)
{
	(void)state;
	expect_line(APP_SYSTEMD, "A", "plain", "A=\"plain\"\n");
	expect_line(APP_SYSTEMD, "B", "q\"uote \\ back `tick` $HOME ${X} 'single'",
		    "B=\"q\\\"uote \\\\ back \\`tick\\` \\$HOME \\${X} 'single'\"\n");
	/* A line break stays inside the quotes: systemd reads the value across lines. */
	expect_line(APP_SYSTEMD, "K", "-----BEGIN\nMIGH\n-----END\n", "K=\"-----BEGIN\nMIGH\n-----END\n\"\n");
	expect_line(APP_SYSTEMD, "E", "", "E=\"\"\n");
}

static void test_podman_syntax(void **state)
{
	(void)state;
	/* Verbatim: podman keeps quotes, backslashes, spaces and # as they are. */
	expect_line(APP_CONTAINER, "B", "\"q\" \\ $HOME # not a comment  ", "B=\"q\" \\ $HOME # not a comment  \n");
	expect_line(APP_CONTAINER, "E", "", "E=\n");
	free(line(APP_CONTAINER, "K", "two\nlines", -EINVAL));
	free(line(APP_CONTAINER, "K", "cr\rhere", -EINVAL));
	free(line(APP_CONTAINER, "K", "trailing cr\r", -EINVAL));
	/* podman reads lines of at most 65535 bytes: NAME=value up to that. */
	char *big = malloc(APP_ENV_PODMAN_LINE_MAX + 2);
	memset(big, 'x', APP_ENV_PODMAN_LINE_MAX + 1);
	big[APP_ENV_PODMAN_LINE_MAX - 2] = 0;          /* "L=" + 65533 bytes = 65535 */
	char *s = line(APP_CONTAINER, "L", big, 0);
	assert_int_equal(strlen(s), APP_ENV_PODMAN_LINE_MAX + 1);
	free(s);
	big[APP_ENV_PODMAN_LINE_MAX - 2] = 'x';
	big[APP_ENV_PODMAN_LINE_MAX - 1] = 0;          /* one byte more */
	free(line(APP_CONTAINER, "L", big, -EINVAL));
	free(big);
}

static const char *secret_value;
static const char *secret_cb(void *ud, const char *name)
{
	(void)ud;
	(void)name;
	return secret_value;
}

static void load(const char *service, struct model *m)
{
	char yaml[1024];
	snprintf(yaml, sizeof yaml,
		 "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
		 "hosts:\n  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
		 "  - {name: db1, role: mysql, subnet: a, address: 10.0.0.21}\n"
		 "roles:\n  app:\n    service: %s\n    env:\n"
		 "      URL: \"mysql://${mysql.user}:${secret.mysql_app_password|url}@${host.db1}/${mysql.database}\"\n"
		 "      RAW: \"${secret.mysql_app_password}\"\n"
		 "      LIT: 'say \"hi\" for $$5'\n", service);
	struct diags d = { 0 };
	int r = profile_load_buffer("p.yaml", yaml, strlen(yaml), targets, m, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

static void test_render_by_type(void **state)
{
	(void)state;
	struct model m;
	struct buf b;
	char *why = NULL;
	secret_value = "p@ss \"w\"";
	load("{exec: /bin/true}", &m);
	buf_init(&b);
	assert_int_equal(app_env_render(&m, secret_cb, NULL, &b, &why), 0);
	assert_string_equal(b.data, "URL=\"mysql://app:p%40ss%20%22w%22@10.0.0.21/app\"\n"
				    "RAW=\"p@ss \\\"w\\\"\"\n"
				    "LIT=\"say \\\"hi\\\" for \\$5\"\n");
	buf_wipe(&b);
	model_free(&m);

	load("{type: container, image: registry.example.com/a:1}", &m);
	assert_int_equal(app_env_render(&m, secret_cb, NULL, &b, &why), 0);
	assert_string_equal(b.data, "URL=mysql://app:p%40ss%20%22w%22@10.0.0.21/app\n"
				    "RAW=p@ss \"w\"\n"
				    "LIT=say \"hi\" for $5\n");
	buf_wipe(&b);

	/* A value podman cannot take: refused, the message names the variable, not the value. */
	secret_value = "line one\nline two";
	assert_int_equal(app_env_render(&m, secret_cb, NULL, &b, &why), -EINVAL);
	assert_non_null(strstr(why, "environment variable RAW: a line break"));
	assert_null(strstr(why, "line one"));
	free(why);
	buf_wipe(&b);
	/* A secret the seed lacks. */
	secret_value = NULL;
	assert_int_equal(app_env_render(&m, secret_cb, NULL, &b, &why), -ENOKEY);
	assert_string_equal(why, "environment variable URL: a secret it uses is not in the seed");
	free(why);
	buf_wipe(&b);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_syntax),
		cmocka_unit_test(test_podman_syntax),
		cmocka_unit_test(test_render_by_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
