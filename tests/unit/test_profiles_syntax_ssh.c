/* profiles/syntax_ssh.c: one bare public key per authorized_keys line;
 * ssh-keygen as the oracle that the allowed keys are keys. */
#include "tests/unit/syntax_cases.h"
#include "profiles/syntax.h"
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
	static const char *const keys[] = { ED25519 " ops@acme", ECDSA };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		assert_null(syntax_authorized_key(keys[i]));
		char *line = xasprintf("%s\n", keys[i]), *out;
		int rc = oracle("command -v ssh-keygen >/dev/null", "k.pub", line, "ssh-keygen -l -f %s", &out);
		free(line);
		if (rc < 0)
			return;
		assert_int_equal(rc, 0);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authorized_key),
		cmocka_unit_test(test_with_ssh_keygen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
