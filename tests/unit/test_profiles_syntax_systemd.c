/* profiles/syntax_systemd.c: the app's ExecStart= command line and the
 * container image, as systemd and podman would read them. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
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
static int analyze(const char *dir, const char *exec, char **out)
{
	char *unit = xasprintf("%s/kiln-app.service", dir), *log = xasprintf("%s/log", dir);
	FILE *f = fopen(unit, "w");
	assert_non_null(f);
	fprintf(f, "[Unit]\nDescription=kiln app service\n\n[Service]\nExecStart=%s\nDynamicUser=yes\n", exec);
	fclose(f);
	char *cmd = xasprintf("systemd-analyze verify %s >%s 2>&1", unit, log);
	int rc = system(cmd);
	assert_int_equal(read_file(log, 1 << 16, out, NULL), 0);
	free(cmd);
	free(unit);
	free(log);
	return rc;
}

static void test_exec_with_systemd_analyze(void **state)
{
	(void)state;
	if (system("systemd-analyze --version >/dev/null 2>&1") != 0) {
		print_message("systemd-analyze not installed: skipped\n");
		return;
	}
	char dir[] = "/tmp/kiln-syntax-XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const good[] = { "/bin/echo \"a b\" 'c d' \\; 100%%", "/bin/sh -c 'exec /bin/true $PORT'",
					    "/bin/true" };
	static const char *const bad[] = { "/bin/echo 'unterminated", "/bin/true ; /bin/false" };
	char *out;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		assert_null(syntax_systemd_exec(good[i]));
		int rc = analyze(dir, good[i], &out);
		if (rc != 0 || *out)
			print_error("systemd-analyze on '%s' (rc %d): %s\n", good[i], rc, out);
		assert_true(rc == 0 && !*out);
		free(out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_non_null(syntax_systemd_exec(bad[i]));
		assert_int_not_equal(analyze(dir, bad[i], &out), 0);
		free(out);
	}
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
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
