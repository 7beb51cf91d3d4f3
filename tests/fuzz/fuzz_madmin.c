/* libFuzzer: what kiln-firstboot reads back from MinIO's admin API. The
 * bytes go through the sio stream opener (lib/madmin_crypt.c) under a
 * fixed key — the Argon2id KDF in front of it would make every run take
 * 64 MiB and a tenth of a second, and adds nothing a fuzzer could reach —
 * with the AEAD picked by the first byte, and through the list-users
 * reader (firstboot/minio_admin.c). Either refuses or succeeds; never a
 * crash, a leak or plaintext written out on refusal. Build with
 * -DMAKE_CORPUS for a main() that prints a valid stream of its argument's
 * bytes (tests/fuzz/corpus/madmin/). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "firstboot/minio_admin.h"
#include "lib/madmin_crypt.h"

static const uint8_t key[MADMIN_KEY_LEN] = "kiln fuzz key: 32 bytes exactly";
static const uint8_t nonce[MADMIN_NONCE_LEN] = "noncenon";

#ifdef MAKE_CORPUS
int main(int argc, char **argv)
{
	const char *text = argc > 1 ? argv[1] : "";
	struct buf b;
	buf_init(&b);
	buf_putc(&b, 0);
	if (sio_seal(MADMIN_ARGON2ID_AES_GCM, key, nonce, text, strlen(text), &b) < 0)
		return 1;
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct buf out;
	buf_init(&out);
	int r = sio_open((enum madmin_aead)(data[0] % 3), key, nonce, data + 1, size - 1, &out);
	if (r < 0 && out.len)
		abort();   /* nothing may be written out unless all of it is authentic */
	buf_free(&out);

	char **users = NULL;
	if (minio_admin_users_with_policy((const char *)data, size, "kiln-app", "KEEP", &users) == 0) {
		for (char **u = users; *u; u++)
			if (!strcmp(*u, "KEEP"))
				abort();
	} else if (users)
		abort();
	minio_admin_free_names(users);
	return 0;
}
#endif
