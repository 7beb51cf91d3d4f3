/* libFuzzer: the decompressing side of lib/backup_object.h's reader (format
 * version 2). A mutated object never gets past its first chunk's
 * authentication (fuzz_backup.c), so here the input is what a faulty or
 * forged writer could seal as the compressed stream (anyone with backup.pub
 * can seal): it is sealed with a fixed backup key, in the documented layout
 * written by hand (docs/backup.md), then read back through the reader in
 * pieces and reads whose sizes the input's last byte picks. Corpus: zstd
 * frames (tests/fuzz/corpus/backup_zstd/). */
#include "lib/backup_object.h"
#include "tests/unit/mem_source.h"
#include "tests/unit/seed_fixture.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NAME "db1/full/x.kbk"

static struct role_keypair *key;

/* data sealed as the chunks of a version 2 object (docs/backup.md's layout;
 * the chunk size 1024), into out (malloc'd). */
static uint8_t *seal_as_zstd(const uint8_t *data, size_t n, size_t *out_len)
{
	const char *kind = "mariadb-full";
	size_t kl = strlen(kind), nl = strlen(NAME), hl = BACKUP_FIXED_HEADER + kl + nl, c = 1024;
	uint8_t *o = malloc(hl + (n / c + 1) * (c + BACKUP_CHUNK_OVERHEAD));
	memset(o, 0, hl);
	memcpy(o, BACKUP_MAGIC, 8);
	o[8] = BACKUP_FORMAT_ZSTD;
	o[9] = (uint8_t)kl;
	o[11] = (uint8_t)nl;
	o[22] = (uint8_t)(c >> 8);
	backup_key_id(key->pk, o + 24);
	/* one object key, sealed once (crypto_box_seal costs two X25519s) */
	static const uint8_t k[crypto_secretstream_xchacha20poly1305_KEYBYTES] = { 7 };
	static uint8_t sealed[crypto_secretstream_xchacha20poly1305_KEYBYTES + crypto_box_SEALBYTES];
	static int have_sealed;
	if (!have_sealed++)
		crypto_box_seal(sealed, k, sizeof k, key->pk);
	memcpy(o + 32, sealed, sizeof sealed);
	crypto_secretstream_xchacha20poly1305_state st;
	crypto_secretstream_xchacha20poly1305_init_push(&st, o + 112, k);
	memcpy(o + BACKUP_FIXED_HEADER, kind, kl);
	memcpy(o + BACKUP_FIXED_HEADER + kl, NAME, nl);
	uint8_t ad[32];
	crypto_generichash(ad, sizeof ad, o, hl, NULL, 0);
	size_t at = hl;
	for (size_t off = 0;; off += c) {
		size_t len = n - off < c ? n - off : c;
		unsigned long long clen;
		crypto_secretstream_xchacha20poly1305_push(&st, o + at, &clen, data + off, len, ad, sizeof ad,
							  len < c ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
								  : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		at += (size_t)clen;
		if (len < c)
			break;
	}
	*out_len = at;
	return o;
}

static void read_all(const uint8_t *obj, size_t len, size_t step, size_t cap)
{
	struct mem src = { obj, len, 0, step };
	struct backup_meta m;
	struct backup_reader *r;
	if (backup_reader_open(&r, key, NAME, source_mem, &src, &m) == 0) {
		uint8_t b[700];
		while (backup_reader_read(r, b, cap) > 0)
			;
		(void)backup_reader_finish(r);
		backup_reader_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!key)
		key = seed_fx_role_key(3);
	size_t zl, cap = size ? (size_t)(data[size - 1] % 700) + 1 : 1;
	uint8_t *z = seal_as_zstd(data, size, &zl);
	read_all(z, zl, size ? (size_t)data[0] * 16 + 1 : 1, cap);
	free(z);
	return 0;
}
