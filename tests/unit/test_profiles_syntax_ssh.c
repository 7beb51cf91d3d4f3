/* profiles/syntax_ssh.c: one bare public key per authorized_keys line;
 * ssh-keygen as the oracle that the allowed keys are keys. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <stdlib.h>

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0WbqVm1vXxgkYc6r3XyvNV7lwVYtZ2C4s6fbg2n5G"
#define ECDSA "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="

static void test_authorized_key(void **state)
{
	(void)state;
	SYNTAX_CASES(syntax_authorized_key,
		     { ED25519 " ops@acme", NULL },
		     { ED25519, NULL },
		     { ED25519 " comment with spaces and caf\xc3\xa9", NULL },
		     { ECDSA " x", NULL },
		     { "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t x", NULL },
		     { "hunter2", "must be one public key line" },
		     { "command=\"/bin/sh\" " ED25519, "must be one public key line" },
		     { "from=\"*\" " ED25519, "must be one public key line" },
		     { ED25519 " a\n" ED25519 " b", "must be one public key line" },
		     { ED25519 " a\rb", "must be one public key line" },
		     { "ssh-ed25519", "must be one public key line" },
		     { "ssh-ed25519 AAAA", "must be one public key line" },
		     { "ssh-ed25519  AAAAC3NzaC1lZDI1NTE5AAAAIBz0", "must be one public key line" },
		     { "ssh-ed25519 AAAAC3Nza\"C1lZDI1NTE5AAAAIBz0", "must be one public key line" },
		     { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0===", "must be one public key line" },
		     { "ssh-ed25519\t" ED25519, "must be one public key line" });
}

/* The allowed lines are keys ssh-keygen can read (it fingerprints each). */
static void test_with_ssh_keygen(void **state)
{
	(void)state;
	if (system("ssh-keygen -? >/dev/null 2>&1; command -v ssh-keygen >/dev/null") != 0) {
		print_message("ssh-keygen not installed: skipped\n");
		return;
	}
	char dir[] = "/tmp/kiln-ssh-XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const keys[] = { ED25519 " ops@acme", ECDSA };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		assert_null(syntax_authorized_key(keys[i]));
		char *p = xasprintf("%s/k.pub", dir), *line = xasprintf("%s\n", keys[i]);
		assert_int_equal(write_file_atomic(p, line, strlen(line), 0600), 0);
		char *cmd = xasprintf("ssh-keygen -l -f %s >/dev/null 2>&1", p);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		free(line);
		free(p);
	}
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authorized_key),
		cmocka_unit_test(test_with_ssh_keygen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
