/* libFuzzer: a backup object's reader (lib/backup_object.h) on arbitrary
 * bytes, with a fixed backup key (so a corpus object made with it reaches
 * the chunk paths), read in pieces whose sizes the input's first byte picks,
 * plus the key-less header reader and size check `kiln backup list` uses.
 * The AEAD stops mutated objects at their first chunk: the reader's zstd
 * side (format version 2) has its own harness, fuzz_backup_zstd.c.
 * Build with -DMAKE_CORPUS and a main() is compiled instead that prints a
 * valid object for tests/fuzz/corpus/backup/ (valid.kbk: format version 1;
 * with an argument, a zstd level: version 2, valid-zstd.kbk):
 *   cc -DMAKE_CORPUS -I. tests/fuzz/fuzz_backup.c build/libkiln.a $(LIBS)
 *   ./a.out >valid.kbk; ./a.out 3 >valid-zstd.kbk */
#include "lib/backup_object.h"
#include "tests/unit/mem_source.h"
#include "tests/unit/seed_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "db1/full/x.kbk"

static struct role_keypair *key;


#ifdef MAKE_CORPUS
static int sink_file(void *ud, const void *data, size_t len)
{
	return fwrite(data, 1, len, ud) == len ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	key = seed_fx_role_key(3);
	struct backup_meta m = { .kind = "mariadb-full", .name = NAME, .created = 1796320800, .chunk_size = 1024,
				 .zstd_level = argc > 1 ? atoi(argv[1]) : 0 };
	struct backup_writer *w;
	if (backup_writer_init(&w, key->pk, &m, sink_file, stdout) < 0)
		return 1;
	uint8_t b[2500];
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof b; i++) {
		x = x * 1103515245u + 12345u;
		/* compressed: 16 symbols, so about half the size, two chunks */
		b[i] = m.zstd_level ? (uint8_t)('a' + (x >> 28)) : (uint8_t)i;
	}
	int r = backup_writer_write(w, b, sizeof b);
	if (r == 0)
		r = backup_writer_finish(w);
	backup_writer_free(w);
	return r < 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!key)
		key = seed_fx_role_key(3);
	/* the first byte picks the source's read size; a valid corpus object
	 * starts with 'K' (75): reads of 76 bytes */
	size_t step = size ? (size_t)data[0] + 1 : 1;
	struct mem src = { data, size, 0, step };
	struct backup_meta m;
	struct backup_reader *r;
	if (backup_reader_open(&r, key, NAME, source_mem, &src, &m) == 0) {
		uint8_t b[700];
		ssize_t k;
		while ((k = backup_reader_read(r, b, (size_t)(data[size - 1] % sizeof b) + 1)) > 0)
			;
		(void)backup_reader_finish(r);
		backup_reader_free(r);
	}
	src = (struct mem){ data, size, 0, step };
	uint64_t plain;
	if (backup_header_read(source_mem, &src, &m) == 0)
		(void)backup_plain_size(&m, size, &plain);
	return 0;
}
#endif
