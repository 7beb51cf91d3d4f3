/* profiles/syntax_systemd.c: the app's ExecStart= command line and the
 * container image, as systemd and podman would read them. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"
#include <stdlib.h>

static void test_exec(void **state)
{
	(void)state;
	char *max = malloc(SYNTAX_EXEC_MAX + 2);
	max[0] = '/';
	memset(max + 1, 'a', SYNTAX_EXEC_MAX);
	max[SYNTAX_EXEC_MAX + 1] = '\0';
	SYNTAX_CASES(syntax_systemd_exec,
		     { "/usr/bin/python3 /opt/kiln-demo/app.py", NULL },
		     { "/opt/corp/bin/server --listen 127.0.0.1:9090", NULL },
		     { "/bin/sh -c 'exec /opt/app --port $PORT'", NULL },
		     { "/bin/echo \"a b\" 'c d' \\; 100%%", NULL },
		     { "/bin/app ${DATABASE_URL}", NULL },
		     { "/bin/app\nUser=root", "must be one line without control characters" },
		     { "/bin/app\rUser=root", "must be one line without control characters" },
		     { "/bin/app\tx", "must be one line without control characters" },
		     { "", "must not be empty" },
		     { "+/bin/sh", "must start with the program's absolute path" },
		     { "!/bin/sh", "must start with the program's absolute path" },
		     { "-/bin/sh", "must start with the program's absolute path" },
		     { "@/bin/sh sh", "must start with the program's absolute path" },
		     { ":/bin/sh", "must start with the program's absolute path" },
		     { "|/bin/sh", "must start with the program's absolute path" },
		     { " /bin/sh", "must start with the program's absolute path" },
		     { "python3 app.py", "must start with the program's absolute path" },
		     { "/bin/app \\", "must not end with '\\'" },
		     { "/bin/app 'x\\", "must not end with '\\'" },
		     { "/bin/app 'unterminated", "has an unterminated quote" },
		     { "/bin/app \"a' b", "has an unterminated quote" },
		     { "/bin/app 100%", "must write '%' as '%%'" },
		     { "/bin/app %n", "must write '%' as '%%'" },
		     { "/bin/true ; /bin/sh", "must be one command" },
		     { "/bin/true ;", "must be one command" },
		     { max + 1, "must start with the program's absolute path" },
		     { max, "must be at most 4096 characters" });
	max[SYNTAX_EXEC_MAX] = '\0';
	assert_null(syntax_systemd_exec(max));   /* exactly the limit */
	free(max);
}

static void test_image(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_container_image,
		     { "registry.example.com/shop/web:1.4.2", NULL },
		     { "nginx", NULL },
		     { "registry.example.com:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL },
		     { "oci-archive:/srv/app.tar", NULL },
		     { "docker://quay.io/x/y:latest", NULL },
		     { "", "must be an image reference" },
		     { "--privileged", "must be an image reference" },
		     { "-v/:/host", "must be an image reference" },
		     { "/srv/app.tar", "must be an image reference" },
		     { "web --privileged", "must be an image reference" },
		     { "web\nExecStartPre=+/bin/sh", "must be an image reference" },
		     { "web%n", "must be an image reference" },
		     { "web$HOME", "must be an image reference" },
		     { "web'x", "must be an image reference" });
	char long_ref[600];
	memset(long_ref, 'a', sizeof long_ref - 1);
	long_ref[sizeof long_ref - 1] = '\0';
	assert_non_null(syntax_container_image(long_ref));
	long_ref[512] = '\0';
	assert_null(syntax_container_image(long_ref));
}

/* systemd itself as the oracle: a unit holding an allowed command line
 * loads without a word of complaint; the refused ones it cannot load. */
static int analyze(const char *exec, char **out)
{
	char *unit = xasprintf("[Unit]\nDescription=kiln app service\n\n[Service]\nExecStart=%s\nDynamicUser=yes\n", exec);
	int rc = oracle("systemd-analyze --version >/dev/null 2>&1", "kiln-app.service", unit, "systemd-analyze verify %s",
			out);
	free(unit);
	return rc;
}

static void test_exec_with_systemd_analyze(void **state)
{
	(void)state;
	static const struct { const char *exec; bool loads; } cases[] = {
		{ "/bin/echo \"a b\" 'c d' \\; 100%%", true }, { "/bin/sh -c 'exec /bin/true $PORT'", true },
		{ "/bin/true", true }, { "/bin/echo 'unterminated", false }, { "/bin/true ; /bin/false", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *out = NULL;
		int rc = analyze(cases[i].exec, &out);
		if (rc < 0)
			return;
		assert_true(!syntax_systemd_exec(cases[i].exec) == cases[i].loads);
		if (cases[i].loads != (rc == 0 && !*out))
			print_error("systemd-analyze on '%s' (rc %d): %s\n", cases[i].exec, rc, out);
		assert_true(cases[i].loads == (rc == 0 && !*out));
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_exec_with_systemd_analyze),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
