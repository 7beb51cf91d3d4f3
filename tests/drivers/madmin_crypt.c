/* Test driver for lib/madmin_crypt.c (tests/cli/madmin.sh runs it against
 * madmin-go itself):
 *   madmin_crypt encrypt [ID]|decrypt   stdin to stdout, password from $MADMIN_PASSWORD;
 *                                       ID the AEAD id to write (0, 1 or 2; 0 if not given)
 * decrypt exits 1 and prints nothing to stdout when the input is refused. */
#include "lib/madmin_crypt.h"
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *pw = getenv("MADMIN_PASSWORD");
	if (argc < 2 || argc > 3 || !pw || sodium_init() < 0)
		return 2;
	struct buf in, out;
	buf_init(&in);
	buf_init(&out);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_append(&in, chunk, n);
	int r = -EINVAL;
	if (!strcmp(argv[1], "encrypt")) {
		long id = argc == 3 ? strtol(argv[2], NULL, 10) : MADMIN_ARGON2ID_AES_GCM;
		r = madmin_encrypt(pw, (enum madmin_aead)id, in.data ? in.data : "", in.len, &out);
	} else if (argc == 2 && !strcmp(argv[1], "decrypt"))
		r = madmin_decrypt(pw, in.data ? in.data : "", in.len, &out);
	if (r == 0)
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
	else
		fprintf(stderr, "madmin_crypt: %s\n", strerror(-r));
	buf_free(&in);
	buf_wipe(&out);
	return r < 0;
}
