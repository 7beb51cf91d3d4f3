/* lib/backup_object.c: round trips of every size shape, and every change an
 * object store could make refused: one flipped byte anywhere, a cut at any
 * length, bytes appended, chunks reordered or spliced from another object,
 * another key, another name; the same for compressed objects (version 2),
 * whose sealed zstd stream must also decompress whole (objects sealed here
 * by hand, as a faulty or forged writer could). Also the backup key files
 * (lib/rolekey.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "lib/backup_object.h"
#include "tests/unit/mem_source.h"
#include "lib/buf.h"
#include "lib/rolekey.h"
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_getFrameHeader */
#include <zstd.h>

#define CHUNK 1024u

static struct role_keypair *key_a, *key_b;

static int sink_buf(void *ud, const void *data, size_t len)
{
	buf_append(ud, data, len);
	return 0;
}


static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n + 1);
	for (size_t j = 0; j < n; j++)
		p[j] = (uint8_t)(j * 31 + 7);
	return p;
}

static struct backup_meta meta_of(const char *name, uint32_t chunk)
{
	struct backup_meta m;
	memset(&m, 0, sizeof m);
	strcpy(m.kind, "mariadb-full");
	strcpy(m.name, name);
	m.created = 1796313600;   /* 2026-12-03 */
	m.chunk_size = chunk;
	return m;
}

/* An object of n pattern bytes written in pieces of `piece`. */
static void make_object(const uint8_t *pk, const char *name, uint32_t chunk, const uint8_t *data, size_t n,
			size_t piece, struct buf *out)
{
	struct backup_meta m = meta_of(name, chunk);
	struct backup_writer *w;
	buf_init(out);
	assert_int_equal(backup_writer_init(&w, pk, &m, sink_buf, out), 0);
	for (size_t o = 0; o < n; o += piece)
		assert_int_equal(backup_writer_write(w, data + o, n - o < piece ? n - o : piece), 0);
	assert_int_equal(backup_writer_finish(w), 0);
	backup_writer_free(w);
}

/* The same compressed (version 2) at level 3 with workers threads. */
static void make_zobject(const uint8_t *pk, const char *name, uint32_t chunk, const uint8_t *data, size_t n,
			 size_t piece, unsigned workers, struct buf *out)
{
	struct backup_meta m = meta_of(name, chunk);
	m.zstd_level = 3;
	m.zstd_workers = workers;
	struct backup_writer *w;
	buf_init(out);
	assert_int_equal(backup_writer_init(&w, pk, &m, sink_buf, out), 0);
	for (size_t o = 0; o < n; o += piece)
		assert_int_equal(backup_writer_write(w, data + o, n - o < piece ? n - o : piece), 0);
	assert_int_equal(backup_writer_finish(w), 0);
	backup_writer_free(w);
}

/* Reads the whole object: 0 and the plaintext in *plain, or the first refusal. */
static int read_object(const struct role_keypair *k, const char *name, const void *obj, size_t len, size_t step,
		       struct buf *plain, struct backup_meta *m)
{
	struct mem src = { obj, len, 0, step };
	struct backup_reader *r;
	struct backup_meta scratch;
	buf_init(plain);
	int e = backup_reader_open(&r, k, name, source_mem, &src, m ? m : &scratch);
	if (e < 0) {
		assert_null(r);
		return e;
	}
	uint8_t b[333];
	ssize_t got;
	while ((got = backup_reader_read(r, b, sizeof b)) > 0)
		buf_append(plain, b, (size_t)got);
	e = got < 0 ? (int)got : backup_reader_finish(r);
	backup_reader_free(r);
	return e;
}

static int check(const struct role_keypair *k, const char *name, const void *obj, size_t len)
{
	struct buf plain;
	int e = read_object(k, name, obj, len, 0, &plain, NULL);
	buf_free(&plain);
	return e;
}

static void test_round_trip(void **state)
{
	(void)state;
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5, 10 * CHUNK + 999 };
	static const size_t pieces[] = { 1, 7, CHUNK, 5000 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		uint8_t *data = pattern(n);
		for (size_t j = 0; j < sizeof pieces / sizeof *pieces; j++) {
			struct buf obj, plain;
			struct backup_meta m;
			make_object(key_a->pk, "db1/full/a.kbk", CHUNK, data, n, pieces[j], &obj);
			size_t hl = BACKUP_FIXED_HEADER + strlen("mariadb-full") + strlen("db1/full/a.kbk");
			/* full chunks and one shorter final one */
			assert_int_equal(obj.len, hl + n / CHUNK * (CHUNK + 17) + n % CHUNK + 17);
			assert_int_equal(read_object(key_a, "db1/full/a.kbk", obj.data, obj.len, pieces[j] * 3, &plain, &m), 0);
			assert_int_equal(plain.len, n);
			assert_true(n == 0 || memcmp(plain.data, data, n) == 0);
			assert_string_equal(m.kind, "mariadb-full");
			assert_string_equal(m.name, "db1/full/a.kbk");
			assert_int_equal(m.created, 1796313600);
			assert_int_equal(m.chunk_size, CHUNK);
			assert_int_equal(m.header_len, hl);
			assert_int_equal(m.version, 1);
			uint64_t ps;
			assert_int_equal(backup_plain_size(&m, obj.len, &ps), 0);
			assert_int_equal(ps, n);
			buf_free(&obj);
			buf_free(&plain);
		}
		free(data);
	}
}

static void test_default_chunk_and_header_only(void **state)
{
	(void)state;
	size_t n = BACKUP_CHUNK_DEFAULT + 10;
	uint8_t *data = pattern(n);
	struct buf obj, plain;
	make_object(key_a->pk, "x.kbk", 0, data, n, 65536, &obj);
	struct backup_meta m;
	struct mem src = { (const uint8_t *)obj.data, obj.len, 0, 0 };
	assert_int_equal(backup_header_read(source_mem, &src, &m), 0);
	assert_int_equal(m.chunk_size, BACKUP_CHUNK_DEFAULT);
	uint8_t id[BACKUP_KEY_ID_BYTES];
	backup_key_id(key_a->pk, id);
	assert_memory_equal(m.key_id, id, sizeof id);
	char hex[17];
	backup_key_id_hex(id, hex);
	assert_int_equal(strlen(hex), 16);
	assert_int_equal(strspn(hex, "0123456789ABCDEF"), 16);
	assert_int_equal(read_object(key_a, "x.kbk", obj.data, obj.len, 0, &plain, NULL), 0);
	assert_int_equal(plain.len, n);
	assert_memory_equal(plain.data, data, n);
	buf_free(&obj);
	buf_free(&plain);
	free(data);
}

static void test_empty_stream(void **state)
{
	(void)state;
	struct buf obj, plain;
	make_object(key_a->pk, "e.kbk", CHUNK, NULL, 0, 1, &obj);
	struct backup_meta m;
	assert_int_equal(read_object(key_a, "e.kbk", obj.data, obj.len, 0, &plain, &m), 0);
	assert_int_equal(plain.len, 0);
	assert_int_equal(obj.len, m.header_len + 17);
	/* the header alone (no final chunk) is not an empty object */
	assert_int_equal(check(key_a, "e.kbk", obj.data, m.header_len), BACKUP_E_TRUNCATED);
	uint64_t ps;
	assert_int_equal(backup_plain_size(&m, m.header_len, &ps), BACKUP_E_TRUNCATED);
	buf_free(&obj);
	buf_free(&plain);
}

/* Every byte of a three-and-a-bit chunk object, flipped in its low and
 * high bit: refused, whichever part of the header or chunks it is in. */
static void test_flipped_byte_anywhere(void **state)
{
	(void)state;
	size_t n = 3 * CHUNK + 100;
	uint8_t *data = pattern(n);
	struct buf obj;
	make_object(key_a->pk, "db1/full/a.kbk", CHUNK, data, n, 4096, &obj);
	uint8_t *c = malloc(obj.len);
	for (size_t i = 0; i < obj.len; i++)
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(c, obj.data, obj.len);
			c[i] ^= (uint8_t)(1u << bit);
			int e = check(key_a, "db1/full/a.kbk", c, obj.len);
			if (e == 0)
				fail_msg("byte %zu bit %d flipped: accepted", i, bit);
			assert_true(e == BACKUP_E_TAMPERED || e == BACKUP_E_MALFORMED || e == BACKUP_E_VERSION ||
				    e == BACKUP_E_NAME || e == BACKUP_E_WRONG_KEY || e == BACKUP_E_TRUNCATED);
		}
	/* where it lands decides the word: a chunk or the sealed key is "tampered" */
	memcpy(c, obj.data, obj.len);
	c[obj.len - 1] ^= 1;
	assert_int_equal(check(key_a, "db1/full/a.kbk", c, obj.len), BACKUP_E_TAMPERED);
	memcpy(c, obj.data, obj.len);
	c[40] ^= 1;   /* inside the sealed object key */
	assert_int_equal(check(key_a, "db1/full/a.kbk", c, obj.len), BACKUP_E_TAMPERED);
	memcpy(c, obj.data, obj.len);
	c[14] ^= 1;   /* the creation time: not readable from the header alone, refused at the first chunk */
	assert_int_equal(check(key_a, "db1/full/a.kbk", c, obj.len), BACKUP_E_TAMPERED);
	memcpy(c, obj.data, obj.len);
	c[0] ^= 1;
	assert_int_equal(check(key_a, "db1/full/a.kbk", c, obj.len), BACKUP_E_MALFORMED);
	memcpy(c, obj.data, obj.len);
	c[8] = 3;
	assert_int_equal(check(key_a, "db1/full/a.kbk", c, obj.len), BACKUP_E_VERSION);
	/* an uncompressed object relabelled as compressed: the header every chunk authenticates */
	memcpy(c, obj.data, obj.len);
	c[8] = BACKUP_FORMAT_ZSTD;
	assert_int_equal(check(key_a, "db1/full/a.kbk", c, obj.len), BACKUP_E_TAMPERED);
	free(c);
	buf_free(&obj);
	free(data);
}

static void test_truncation(void **state)
{
	(void)state;
	size_t n = 3 * CHUNK + 100;
	uint8_t *data = pattern(n);
	struct buf obj;
	make_object(key_a->pk, "t.kbk", CHUNK, data, n, 4096, &obj);
	for (size_t len = 0; len < obj.len; len++) {
		int e = check(key_a, "t.kbk", obj.data, len);
		if (e == 0)
			fail_msg("cut to %zu of %zu bytes: accepted", len, obj.len);
	}
	/* cut at a chunk boundary: every chunk there authenticates, the end is missing */
	size_t hl = BACKUP_FIXED_HEADER + strlen("mariadb-full") + strlen("t.kbk");
	assert_int_equal(check(key_a, "t.kbk", obj.data, hl + 2 * (CHUNK + 17)), BACKUP_E_TRUNCATED);
	assert_int_equal(check(key_a, "t.kbk", obj.data, hl + 3 * (CHUNK + 17)), BACKUP_E_TRUNCATED);
	/* inside a chunk */
	assert_int_equal(check(key_a, "t.kbk", obj.data, obj.len - 1), BACKUP_E_TAMPERED);
	struct backup_meta m;
	struct mem src = { (const uint8_t *)obj.data, obj.len, 0, 0 };
	uint64_t ps;
	assert_int_equal(backup_header_read(source_mem, &src, &m), 0);
	assert_int_equal(backup_plain_size(&m, hl + 2 * (CHUNK + 17), &ps), BACKUP_E_TRUNCATED);
	/* a header cut short */
	assert_int_equal(check(key_a, "t.kbk", obj.data, 20), BACKUP_E_MALFORMED);
	assert_int_equal(check(key_a, "t.kbk", obj.data, hl - 1), BACKUP_E_MALFORMED);
	assert_int_equal(check(key_a, "t.kbk", obj.data, 0), BACKUP_E_MALFORMED);
	buf_free(&obj);
	free(data);
}

static void test_appended_bytes(void **state)
{
	(void)state;
	size_t n = 2 * CHUNK + 3;
	uint8_t *data = pattern(n);
	struct buf obj;
	make_object(key_a->pk, "t.kbk", CHUNK, data, n, 4096, &obj);
	size_t len = obj.len;
	static const size_t extra[] = { 1, 16, 17, CHUNK, CHUNK + 17, 3 * CHUNK };
	uint8_t *more = pattern(3 * CHUNK);
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
		obj.len = len;
		buf_append(&obj, more, extra[i]);
		assert_int_not_equal(check(key_a, "t.kbk", obj.data, obj.len), 0);
	}
	/* a second whole object after the first */
	obj.len = len;
	uint8_t *copy = malloc(len);
	memcpy(copy, obj.data, len);
	buf_append(&obj, copy, len);
	free(copy);
	assert_int_not_equal(check(key_a, "t.kbk", obj.data, obj.len), 0);
	free(more);
	buf_free(&obj);
	free(data);
}

static void test_reordered_and_spliced(void **state)
{
	(void)state;
	size_t n = 3 * CHUNK + 100;
	uint8_t *data = pattern(n);
	struct buf a, b;
	make_object(key_a->pk, "s.kbk", CHUNK, data, n, 4096, &a);
	make_object(key_a->pk, "s.kbk", CHUNK, data, n, 4096, &b);   /* same name, key and content */
	size_t hl = BACKUP_FIXED_HEADER + strlen("mariadb-full") + strlen("s.kbk"), full = CHUNK + 17;
	uint8_t *c = malloc(a.len);
	/* chunks 1 and 2 swapped */
	memcpy(c, a.data, a.len);
	memcpy(c + hl + full, a.data + hl + 2 * full, full);
	memcpy(c + hl + 2 * full, a.data + hl + full, full);
	assert_int_equal(check(key_a, "s.kbk", c, a.len), BACKUP_E_TAMPERED);
	/* a's header with b's chunks */
	memcpy(c, a.data, hl);
	memcpy(c + hl, b.data + hl, a.len - hl);
	assert_int_equal(check(key_a, "s.kbk", c, a.len), BACKUP_E_TAMPERED);
	/* a's first chunks, b's last */
	memcpy(c, a.data, a.len);
	memcpy(c + hl + 3 * full, b.data + hl + 3 * full, a.len - hl - 3 * full);
	assert_int_equal(check(key_a, "s.kbk", c, a.len), BACKUP_E_TAMPERED);
	/* a chunk dropped from the middle */
	memcpy(c, a.data, hl + full);
	memcpy(c + hl + full, a.data + hl + 2 * full, a.len - hl - 2 * full);
	assert_int_equal(check(key_a, "s.kbk", c, a.len - full), BACKUP_E_TAMPERED);
	free(c);
	buf_free(&a);
	buf_free(&b);
	free(data);
}

static void test_wrong_key(void **state)
{
	(void)state;
	uint8_t *data = pattern(100);
	struct buf obj;
	make_object(key_a->pk, "k.kbk", CHUNK, data, 100, 100, &obj);
	assert_int_equal(check(key_b, "k.kbk", obj.data, obj.len), BACKUP_E_WRONG_KEY);
	/* a key whose id is forged to match still cannot open the sealed key */
	uint8_t id[BACKUP_KEY_ID_BYTES];
	backup_key_id(key_b->pk, id);
	memcpy(obj.data + 24, id, sizeof id);
	assert_int_equal(check(key_b, "k.kbk", obj.data, obj.len), BACKUP_E_TAMPERED);
	buf_free(&obj);
	free(data);
}

static void test_swapped_name(void **state)
{
	(void)state;
	uint8_t *data = pattern(100);
	struct buf a;
	make_object(key_a->pk, "db1/full/1.kbk", CHUNK, data, 100, 100, &a);
	/* stored under another object's name */
	assert_int_equal(check(key_a, "db1/full/2.kbk", a.data, a.len), BACKUP_E_NAME);
	assert_int_equal(check(key_a, "db1/full/1.kbk.kbk", a.data, a.len), BACKUP_E_NAME);
	/* and its header's name edited to match: the chunks refuse it */
	char *at = memmem(a.data, a.len, "db1/full/1.kbk", 14);
	assert_non_null(at);
	at[9] = '2';
	assert_int_equal(check(key_a, "db1/full/2.kbk", a.data, a.len), BACKUP_E_TAMPERED);
	/* the kind edited */
	at[9] = '1';
	at = memmem(a.data, a.len, "mariadb-full", 12);
	memcpy(at, "mariadb-fulx", 12);
	assert_int_equal(check(key_a, "db1/full/1.kbk", a.data, a.len), BACKUP_E_TAMPERED);
	buf_free(&a);
	free(data);
}

static void test_not_an_object(void **state)
{
	(void)state;
	const char *text = "-- MariaDB dump 10.19\nCREATE TABLE t (a int);\n";
	assert_int_equal(check(key_a, "x.kbk", text, strlen(text)), BACKUP_E_MALFORMED);
	uint8_t zeros[4096] = { 0 };
	assert_int_equal(check(key_a, "x.kbk", zeros, sizeof zeros), BACKUP_E_MALFORMED);
	/* a header with bad fields, magic and version right */
	uint8_t *data = pattern(10);
	struct buf obj;
	make_object(key_a->pk, "x.kbk", CHUNK, data, 10, 10, &obj);
	uint8_t *c = malloc(obj.len);
	memcpy(c, obj.data, obj.len);
	c[9] = 0;   /* kind length 0 */
	assert_int_equal(check(key_a, "x.kbk", c, obj.len), BACKUP_E_MALFORMED);
	memcpy(c, obj.data, obj.len);
	c[20] = 0x7f;   /* chunk size over the maximum */
	assert_int_equal(check(key_a, "x.kbk", c, obj.len), BACKUP_E_MALFORMED);
	memcpy(c, obj.data, obj.len);
	c[BACKUP_FIXED_HEADER] = 'A';   /* kind with a character kinds do not have */
	assert_int_equal(check(key_a, "x.kbk", c, obj.len), BACKUP_E_MALFORMED);
	memcpy(c, obj.data, obj.len);
	c[BACKUP_FIXED_HEADER + strlen("mariadb-full") + strlen("x.kbk") - 1] = '\0';   /* a NUL inside the name */
	assert_int_not_equal(check(key_a, "x.kbk", c, obj.len), 0);
	free(c);
	buf_free(&obj);
	free(data);
}

/* n bytes that compress about as database pages do: runs, repeats, some noise. */
static uint8_t *compressible(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n + 1);
	static const char words[] = "alpha bravo charlie delta echo foxtrot golf hotel ";
	for (size_t j = 0; j < n; j++) {
		seed = seed * 1103515245u + 12345u;
		p[j] = (j / 4096) % 3 == 0 ? 0 : (seed >> 24) < 40 ? (uint8_t)(seed >> 16) : (uint8_t)words[j % (sizeof words - 1)];
	}
	return p;
}

static void test_zstd_round_trip(void **state)
{
	(void)state;
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, 3 * CHUNK + 5, 200 * CHUNK + 999 };
	static const size_t pieces[] = { 1, 7, 5000 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		uint8_t *data = compressible(n, (uint32_t)i);
		for (size_t j = 0; j < sizeof pieces / sizeof *pieces; j++) {
			if (pieces[j] == 1 && n > 10 * CHUNK)
				continue;
			for (unsigned workers = 0; workers <= 2; workers += 2) {
				struct buf obj, plain;
				struct backup_meta m;
				make_zobject(key_a->pk, "db1/full/z.kbk", CHUNK, data, n, pieces[j], workers, &obj);
				assert_int_equal(read_object(key_a, "db1/full/z.kbk", obj.data, obj.len, pieces[j] * 3, &plain, &m), 0);
				assert_int_equal(plain.len, n);
				assert_true(n == 0 || memcmp(plain.data, data, n) == 0);
				assert_int_equal(m.version, BACKUP_FORMAT_ZSTD);
				assert_int_equal(m.header_len, BACKUP_FIXED_HEADER + strlen("mariadb-full") + strlen("db1/full/z.kbk"));
				/* the size `list` shows: the compressed stream's */
				uint64_t ps;
				assert_int_equal(backup_plain_size(&m, obj.len, &ps), 0);
				assert_true(ps > 0);
				if (n > 10 * CHUNK)
					assert_true(ps < n / 2);
				buf_free(&obj);
				buf_free(&plain);
			}
		}
		free(data);
	}
	/* bytes zstd cannot shrink: stored, still whole */
	size_t n = 50 * CHUNK;
	uint8_t *noise = malloc(n);
	randombytes_buf(noise, n);
	struct buf obj, plain;
	make_zobject(key_a->pk, "n.kbk", 0, noise, n, 65536, 1, &obj);
	assert_int_equal(read_object(key_a, "n.kbk", obj.data, obj.len, 0, &plain, NULL), 0);
	assert_int_equal(plain.len, n);
	assert_memory_equal(plain.data, noise, n);
	assert_true(obj.len < n + n / 100 + 512);
	buf_free(&obj);
	buf_free(&plain);
	free(noise);
	/* read a byte at a time, and finish without reading */
	uint8_t *data = compressible(5 * CHUNK, 9);
	make_zobject(key_a->pk, "b.kbk", CHUNK, data, 5 * CHUNK, 5 * CHUNK, 0, &obj);
	struct mem src = { (const uint8_t *)obj.data, obj.len, 0, 0 };
	struct backup_reader *r;
	struct backup_meta m;
	assert_int_equal(backup_reader_open(&r, key_a, "b.kbk", source_mem, &src, &m), 0);
	uint8_t b;
	for (size_t k = 0; k < 5 * CHUNK; k++) {
		assert_int_equal(backup_reader_read(r, &b, 1), 1);
		assert_int_equal(b, data[k]);
	}
	assert_int_equal(backup_reader_read(r, &b, 1), 0);
	assert_int_equal(backup_reader_read(r, &b, 0), -EINVAL);
	assert_int_equal(backup_reader_finish(r), 0);
	backup_reader_free(r);
	src = (struct mem){ (const uint8_t *)obj.data, obj.len, 0, 0 };
	assert_int_equal(backup_reader_open(&r, key_a, "b.kbk", source_mem, &src, &m), 0);
	assert_int_equal(backup_reader_finish(r), 0);
	backup_reader_free(r);
	buf_free(&obj);
	free(data);
}

/* A compressed object changed anywhere, cut anywhere, relabelled as
 * uncompressed: refused like an uncompressed one. */
static void test_zstd_tampered(void **state)
{
	(void)state;
	size_t n = 40 * CHUNK;
	uint8_t *data = compressible(n, 3);
	struct buf obj;
	make_zobject(key_a->pk, "db1/full/z.kbk", CHUNK, data, n, 4096, 0, &obj);
	uint8_t *c = malloc(obj.len);
	for (size_t i = 0; i < obj.len; i++) {
		memcpy(c, obj.data, obj.len);
		c[i] ^= 0x10;
		int e = check(key_a, "db1/full/z.kbk", c, obj.len);
		if (e == 0)
			fail_msg("byte %zu flipped: accepted", i);
		assert_true(e == BACKUP_E_TAMPERED || e == BACKUP_E_MALFORMED || e == BACKUP_E_VERSION ||
			    e == BACKUP_E_NAME || e == BACKUP_E_WRONG_KEY || e == BACKUP_E_TRUNCATED);
	}
	memcpy(c, obj.data, obj.len);
	c[8] = BACKUP_FORMAT_PLAIN;
	assert_int_equal(check(key_a, "db1/full/z.kbk", c, obj.len), BACKUP_E_TAMPERED);
	for (size_t len = 0; len < obj.len; len++)
		if (check(key_a, "db1/full/z.kbk", obj.data, len) == 0)
			fail_msg("cut to %zu of %zu bytes: accepted", len, obj.len);
	size_t hl = BACKUP_FIXED_HEADER + strlen("mariadb-full") + strlen("db1/full/z.kbk");
	if (obj.len > hl + CHUNK + 17)
		assert_int_equal(check(key_a, "db1/full/z.kbk", obj.data, hl + CHUNK + 17), BACKUP_E_TRUNCATED);
	free(c);
	buf_free(&obj);
	free(data);
}

/* A version 2 object sealed by hand (docs/backup.md's layout), as a faulty
 * or forged writer could seal any bytes: chunks of content under a header
 * whose version says zstd. */
static void seal_raw(const uint8_t *pk, const char *name, const uint8_t *content, size_t n, struct buf *out)
{
	const char *kind = "mariadb-full";
	size_t kl = strlen(kind), nl = strlen(name), hl = BACKUP_FIXED_HEADER + kl + nl;
	uint8_t h[BACKUP_FIXED_HEADER + 64] = { 0 };
	memcpy(h, BACKUP_MAGIC, 8);
	h[8] = BACKUP_FORMAT_ZSTD;
	h[9] = (uint8_t)kl;
	h[11] = (uint8_t)nl;
	h[22] = CHUNK >> 8;   /* chunk size, big-endian at 20 */
	backup_key_id(pk, h + 24);
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_keygen(key);
	crypto_box_seal(h + 32, key, sizeof key, pk);
	crypto_secretstream_xchacha20poly1305_state st;
	crypto_secretstream_xchacha20poly1305_init_push(&st, h + 112, key);
	memcpy(h + BACKUP_FIXED_HEADER, kind, kl);
	memcpy(h + BACKUP_FIXED_HEADER + kl, name, nl);
	uint8_t ad[32];
	crypto_generichash(ad, sizeof ad, h, hl, NULL, 0);
	buf_init(out);
	buf_append(out, h, hl);
	uint8_t cbuf[CHUNK + 17];
	for (size_t off = 0;; off += CHUNK) {
		size_t k = n - off < CHUNK ? n - off : CHUNK;
		bool last = k < CHUNK;
		unsigned long long clen;
		crypto_secretstream_xchacha20poly1305_push(&st, cbuf, &clen, content + off, k, ad, sizeof ad,
							  last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
							       : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		buf_append(out, cbuf, (size_t)clen);
		if (last)
			break;
	}
}

static int check_raw(const uint8_t *content, size_t n)
{
	struct buf obj;
	seal_raw(key_a->pk, "r.kbk", content, n, &obj);
	int e = check(key_a, "r.kbk", obj.data, obj.len);
	buf_free(&obj);
	return e;
}

static void test_zstd_corrupt(void **state)
{
	(void)state;
	size_t n = 20 * CHUNK;
	uint8_t *data = compressible(n, 5);
	size_t cap = ZSTD_compressBound(n) * 2 + 64;
	uint8_t *frame = malloc(cap);
	size_t fl = ZSTD_compress(frame, cap, data, n, 3);
	assert_false(ZSTD_isError(fl));
	/* the layout is right: a whole frame reads */
	assert_int_equal(check_raw(frame, fl), 0);
	/* two frames, and a skippable frame, as zstd's own tools accept */
	memcpy(frame + fl, frame, fl);
	assert_int_equal(check_raw(frame, 2 * fl), 0);
	static const uint8_t skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 'h', 'i' };
	memcpy(frame + fl, skippable, sizeof skippable);
	assert_int_equal(check_raw(frame, fl + sizeof skippable), 0);
	/* a frame cut short, a frame and part of another, nothing, not zstd */
	assert_int_equal(check_raw(frame, fl - 1), BACKUP_E_CORRUPT);
	assert_int_equal(check_raw(frame, fl / 2), BACKUP_E_CORRUPT);
	memcpy(frame + fl, frame, fl);
	assert_int_equal(check_raw(frame, fl + 7), BACKUP_E_CORRUPT);
	assert_int_equal(check_raw(frame, 0), BACKUP_E_CORRUPT);
	assert_int_equal(check_raw(data, n), BACKUP_E_CORRUPT);
	/* a byte of the compressed data changed before sealing: the seal proves
	 * only what was sealed, so this decodes to other bytes or is refused,
	 * never more (frames carry no checksum of their own: the AEAD is it) */
	fl = ZSTD_compress(frame, cap, data, n, 3);
	frame[fl / 2] ^= 0xff;
	int e = check_raw(frame, fl);
	assert_true(e == 0 || e == BACKUP_E_CORRUPT);
	/* a window over the reader's bound: refused, not allocated */
	ZSTD_CCtx *z = ZSTD_createCCtx();
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_windowLog, BACKUP_ZSTD_WINDOW_LOG_MAX + 1)));
	ZSTD_outBuffer o = { frame, cap, 0 };
	ZSTD_inBuffer in = { data, n, 0 };
	/* streamed, so the size is not known up front and the window stays as asked */
	assert_false(ZSTD_isError(ZSTD_compressStream2(z, &o, &in, ZSTD_e_continue)));
	ZSTD_inBuffer none = { NULL, 0, 0 };
	assert_int_equal(ZSTD_compressStream2(z, &o, &none, ZSTD_e_end), 0);
	ZSTD_frameHeader fh;
	assert_int_equal(ZSTD_getFrameHeader(&fh, frame, o.pos), 0);
	assert_true(fh.windowSize > (1ull << BACKUP_ZSTD_WINDOW_LOG_MAX));
	ZSTD_freeCCtx(z);
	assert_int_equal(check_raw(frame, o.pos), BACKUP_E_CORRUPT);
	/* the refusal sticks and has its own words */
	assert_non_null(strstr(backup_strerror(BACKUP_E_CORRUPT), "compressed"));
	free(frame);
	free(data);
}

static int failing_sink(void *ud, const void *data, size_t len)
{
	int *budget = ud;
	if ((size_t)*budget < len)
		return -ENOSPC;
	*budget -= (int)len;
	return 0;
}

static void test_writer_errors(void **state)
{
	(void)state;
	struct backup_writer *w = NULL;
	struct backup_meta m = meta_of("a.kbk", CHUNK);
	int budget = 1 << 20;
	strcpy(m.kind, "Full");
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	assert_null(w);
	m = meta_of("../a.kbk", CHUNK);
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	m = meta_of("a.kbk", BACKUP_CHUNK_MIN - 1);
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	m = meta_of("a.kbk", BACKUP_CHUNK_MAX + 1);
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	m = meta_of("a.kbk", CHUNK);
	m.zstd_level = -1;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	m.zstd_level = BACKUP_ZSTD_LEVEL_MAX + 1;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	m.zstd_level = 3;
	m.zstd_workers = 65;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -EINVAL);
	assert_null(w);
	/* a compressed object's chunk does not fit: the error sticks */
	m.zstd_workers = 0;
	budget = 200 + CHUNK;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), 0);
	uint8_t *noise = malloc(8 * CHUNK);
	randombytes_buf(noise, 8 * CHUNK);
	assert_int_equal(backup_writer_write(w, noise, 8 * CHUNK), 0);   /* zstd holds it until it has a block */
	assert_int_equal(backup_writer_finish(w), -ENOSPC);
	assert_int_equal(backup_writer_write(w, noise, 1), -ENOSPC);
	backup_writer_free(w);
	free(noise);
	/* the header does not fit */
	budget = 10;
	m = meta_of("a.kbk", CHUNK);
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), -ENOSPC);
	assert_null(w);
	/* a chunk does not fit: the error sticks */
	budget = 200 + CHUNK;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, failing_sink, &budget), 0);
	uint8_t *data = pattern(4 * CHUNK);
	assert_int_equal(backup_writer_write(w, data, 4 * CHUNK), -ENOSPC);
	assert_int_equal(backup_writer_write(w, data, 1), -ENOSPC);
	assert_int_equal(backup_writer_finish(w), -ENOSPC);
	backup_writer_free(w);
	/* after finish nothing more */
	struct buf obj;
	buf_init(&obj);
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, sink_buf, &obj), 0);
	assert_int_equal(backup_writer_finish(w), 0);
	assert_int_equal(backup_writer_write(w, data, 1), -EINVAL);
	assert_int_equal(backup_writer_finish(w), -EINVAL);
	backup_writer_free(w);
	backup_writer_free(NULL);
	buf_free(&obj);
	/* a writer freed before finish leaves an object readers refuse */
	buf_init(&obj);
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, sink_buf, &obj), 0);
	assert_int_equal(backup_writer_write(w, data, 2 * CHUNK + 1), 0);
	backup_writer_free(w);
	assert_int_equal(check(key_a, "a.kbk", obj.data, obj.len), BACKUP_E_TRUNCATED);
	buf_free(&obj);
	free(data);
}

static ssize_t failing_source(void *ud, void *data, size_t len)
{
	struct mem *m = ud;
	if (m->off >= m->step)
		return -EIO;
	return source_mem(ud, data, len < m->step - m->off ? len : m->step - m->off);
}

static void test_reader_errors(void **state)
{
	(void)state;
	size_t n = 3 * CHUNK;
	uint8_t *data = pattern(n);
	struct buf obj;
	make_object(key_a->pk, "r.kbk", CHUNK, data, n, n, &obj);
	/* an I/O error of the source is passed up, also by finish after it */
	struct mem src = { (const uint8_t *)obj.data, obj.len, 0, 1500 };
	struct backup_reader *r;
	struct backup_meta m;
	assert_int_equal(backup_reader_open(&r, key_a, "r.kbk", failing_source, &src, &m), 0);
	uint8_t b[4096];
	assert_int_equal(backup_reader_read(r, b, sizeof b), CHUNK);
	assert_int_equal(backup_reader_read(r, b, sizeof b), -EIO);
	assert_int_equal(backup_reader_read(r, b, sizeof b), -EIO);
	assert_int_equal(backup_reader_finish(r), -EIO);
	backup_reader_free(r);
	src = (struct mem){ (const uint8_t *)obj.data, obj.len, 0, 10 };
	assert_int_equal(backup_reader_open(&r, key_a, "r.kbk", failing_source, &src, &m), -EIO);
	/* finish without reading authenticates the rest; then reads return 0 */
	src = (struct mem){ (const uint8_t *)obj.data, obj.len, 0, 0 };
	assert_int_equal(backup_reader_open(&r, key_a, "r.kbk", source_mem, &src, &m), 0);
	assert_int_equal(backup_reader_read(r, b, 10), 10);
	assert_int_equal(backup_reader_finish(r), 0);
	assert_int_equal(backup_reader_read(r, b, sizeof b), 0);
	backup_reader_free(r);
	backup_reader_free(NULL);
	/* a refusal sticks too */
	obj.data[obj.len - 1] ^= 1;
	src = (struct mem){ (const uint8_t *)obj.data, obj.len, 0, 0 };
	assert_int_equal(backup_reader_open(&r, key_a, "r.kbk", source_mem, &src, &m), 0);
	assert_int_equal(backup_reader_finish(r), BACKUP_E_TAMPERED);
	assert_int_equal(backup_reader_read(r, b, sizeof b), BACKUP_E_TAMPERED);
	backup_reader_free(r);
	buf_free(&obj);
	free(data);
}

static void test_names_and_kinds(void **state)
{
	(void)state;
	static const char *good[] = { "a", "a.kbk", "db1/full/2026-12-03T18.00.00Z.kbk", "A_b-c.d/e", ".hidden/x" };
	static const char *bad[] = { "", "/a", "a/", "a//b", "./a", "a/../b", "..", "a b", "a\\b", "é" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_true(backup_name_valid(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (backup_name_valid(bad[i]))
			fail_msg("name '%s' accepted", bad[i]);
	char longname[BACKUP_NAME_MAX + 2];
	memset(longname, 'a', sizeof longname);
	longname[BACKUP_NAME_MAX] = '\0';
	assert_true(backup_name_valid(longname));
	longname[BACKUP_NAME_MAX] = 'a';
	longname[BACKUP_NAME_MAX + 1] = '\0';
	assert_false(backup_name_valid(longname));
	assert_true(backup_kind_valid("binlog"));
	assert_true(backup_kind_valid("mariadb-full"));
	assert_false(backup_kind_valid(""));
	assert_false(backup_kind_valid("Full"));
	assert_false(backup_kind_valid("a_b"));
	assert_false(backup_kind_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 33 */
	assert_string_equal(backup_strerror(BACKUP_E_NAME), "the object carries another name (moved or swapped)");
	assert_string_equal(backup_strerror(0), "ok");
	assert_string_equal(backup_strerror(-ENOENT), strerror(ENOENT));
}

static void test_key_files(void **state)
{
	(void)state;
	struct buf pub, key;
	buf_init(&pub);
	buf_init(&key);
	backup_pub_format("acme", key_a->pk, &pub);
	backup_key_format("acme", key_a, &key);
	assert_non_null(strstr(pub.data, "untrusted comment: kiln backup public key acme\n"));
	assert_non_null(strstr(key.data, "untrusted comment: kiln backup secret key acme\n"));
	uint8_t pk[32];
	struct role_keypair *k = NULL;
	assert_int_equal(backup_pub_parse(pub.data, pub.len, pk), 0);
	assert_memory_equal(pk, key_a->pk, 32);
	assert_int_equal(backup_key_parse(key.data, key.len, &k), 0);
	assert_memory_equal(k->sk, key_a->sk, 32);
	role_keypair_free(k);
	/* a role key is not a backup key, and the other way round */
	assert_int_equal(role_pub_parse(pub.data, pub.len, pk), -EBADMSG);
	assert_int_equal(role_key_parse(key.data, key.len, &k), -EBADMSG);
	struct buf rpub, rkey;
	buf_init(&rpub);
	buf_init(&rkey);
	role_pub_format("mysql", key_a->pk, &rpub);
	role_key_format("mysql", key_a, &rkey);
	assert_int_equal(backup_pub_parse(rpub.data, rpub.len, pk), -EBADMSG);
	assert_int_equal(backup_key_parse(rkey.data, rkey.len, &k), -EBADMSG);
	assert_int_equal(role_key_parse(rkey.data, rkey.len, &k), 0);
	role_keypair_free(k);
	/* a secret key whose halves disagree */
	struct role_keypair *mixed = role_keypair_new();
	memcpy(mixed->pk, key_b->pk, 32);
	memcpy(mixed->sk, key_a->sk, 32);
	buf_wipe(&key);
	buf_init(&key);
	backup_key_format("acme", mixed, &key);
	assert_int_equal(backup_key_parse(key.data, key.len, &k), -EBADMSG);
	role_keypair_free(mixed);
	buf_free(&pub);
	buf_wipe(&key);
	buf_free(&rpub);
	buf_wipe(&rkey);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	key_a = role_keypair_new();
	key_b = role_keypair_new();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_default_chunk_and_header_only),
		cmocka_unit_test(test_empty_stream),
		cmocka_unit_test(test_flipped_byte_anywhere),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_appended_bytes),
		cmocka_unit_test(test_reordered_and_spliced),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_swapped_name),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_zstd_round_trip),
		cmocka_unit_test(test_zstd_tampered),
		cmocka_unit_test(test_zstd_corrupt),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_names_and_kinds),
		cmocka_unit_test(test_key_files),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	role_keypair_free(key_a);
	role_keypair_free(key_b);
	return r;
}
