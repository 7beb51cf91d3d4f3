/* Backup objects: see backup_object.h; byte format in docs/backup.md. */
#include "lib/backup_object.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include <sodium.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_customMem: zstd's buffers are wiped when freed */
#include <zstd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SEALED_KEY_BYTES (crypto_secretstream_xchacha20poly1305_KEYBYTES + crypto_box_SEALBYTES)
#define SS_HEADER_BYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define AD_BYTES 32

/* Offsets in the fixed part of the header. */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 8,
	OFF_KIND_LEN = 9,
	OFF_NAME_LEN = 10,
	OFF_CREATED = 12,
	OFF_CHUNK = 20,
	OFF_KEY_ID = 24,
	OFF_SEALED = 32,
	OFF_SS_HEADER = OFF_SEALED + SEALED_KEY_BYTES,
	FIXED = OFF_SS_HEADER + SS_HEADER_BYTES,
};
_Static_assert(FIXED == BACKUP_FIXED_HEADER, "docs/backup.md's header layout");
_Static_assert(BACKUP_CHUNK_OVERHEAD == crypto_secretstream_xchacha20poly1305_ABYTES, "chunk overhead");

/* ---------------------------------------------------------------- shared */

int backup_fd_sink(void *ud, const void *data, size_t len)
{
	int fd = *(int *)ud;
	const uint8_t *p = data;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

ssize_t backup_fd_source(void *ud, void *data, size_t len)
{
	for (;;) {
		ssize_t k = read(*(int *)ud, data, len);
		if (k >= 0)
			return k;
		if (errno != EINTR)
			return -errno;
	}
}

/* Exactly n bytes unless the source ends first: the count read, or -errno. */
static ssize_t read_full(backup_source_fn src, void *ud, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = src(ud, (uint8_t *)buf + got, n - got);
		if (k < 0)
			return k;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static bool seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-';
}

bool backup_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > BACKUP_NAME_MAX)
		return false;
	const char *seg = name;
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t l = (size_t)(p - seg);
			if (l == 0 || (l == 1 && seg[0] == '.') || (l == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
		} else if (!seg_char(*p))
			return false;
	}
}

bool backup_kind_valid(const char *kind)
{
	size_t n = strlen(kind);
	if (n == 0 || n > BACKUP_KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((kind[i] >= 'a' && kind[i] <= 'z') || (kind[i] >= '0' && kind[i] <= '9') || kind[i] == '-'))
			return false;
	return true;
}

void backup_key_id(const uint8_t pk[32], uint8_t id[BACKUP_KEY_ID_BYTES])
{
	crypto_generichash(id, BACKUP_KEY_ID_BYTES, pk, 32, NULL, 0);
}

void backup_key_id_hex(const uint8_t id[BACKUP_KEY_ID_BYTES], char hex[2 * BACKUP_KEY_ID_BYTES + 1])
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < BACKUP_KEY_ID_BYTES; i++) {
		hex[2 * i] = digits[id[i] >> 4];
		hex[2 * i + 1] = digits[id[i] & 15];
	}
	hex[2 * BACKUP_KEY_ID_BYTES] = '\0';
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void *secret_alloc(size_t n)
{
	void *p = sodium_malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* zstd's own buffers hold plaintext (its window): none of it stays in the
 * heap once zstd frees them. Small ones are wiped; large ones (the window,
 * sized by the frame) are mappings of their own, returned to the kernel
 * whole (which zeroes pages before anyone gets them again): wiping them
 * would touch every page of a window a frame only declared. */
#define Z_HDR 16
#define Z_MAP_MIN (256u << 10)

static void *z_alloc(void *opaque, size_t n)
{
	(void)opaque;
	size_t *p;
	if (n >= Z_MAP_MIN) {
		p = mmap(NULL, n + Z_HDR, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	} else if (!(p = malloc(n + Z_HDR)))
		return NULL;
	p[0] = n;
	return (uint8_t *)p + Z_HDR;
}

static void z_free(void *opaque, void *a)
{
	(void)opaque;
	if (!a)
		return;
	size_t *p = (size_t *)(void *)((uint8_t *)a - Z_HDR), n = p[0];
	if (n >= Z_MAP_MIN) {
		munmap(p, n + Z_HDR);
		return;
	}
	sodium_memzero(p, n + Z_HDR);
	free(p);
}

static const ZSTD_customMem z_mem = { z_alloc, z_free, NULL };

/* ---------------------------------------------------------------- writer */

struct backup_writer {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t ad[AD_BYTES];
	backup_sink_fn sink;
	void *ud;
	uint8_t *plain, *cipher;     /* plain: sodium memory, one chunk */
	size_t chunk, fill;
	ZSTD_CCtx *z;                /* version 2: the stream is compressed first */
	uint8_t *zout;               /* zstd's output (sodium memory) */
	size_t zcap;
	int err;                     /* a failed write poisons the writer */
	bool finished;
};

static int push(struct backup_writer *w, uint8_t tag)
{
	unsigned long long clen;
	crypto_secretstream_xchacha20poly1305_push(&w->st, w->cipher, &clen, w->plain, w->fill, w->ad, AD_BYTES, tag);
	w->fill = 0;
	int r = w->sink(w->ud, w->cipher, (size_t)clen);
	if (r < 0)
		w->err = r;
	return r;
}

int backup_writer_init(struct backup_writer **out, const uint8_t pk[32], const struct backup_meta *meta,
		       backup_sink_fn sink, void *ud)
{
	*out = NULL;
	uint32_t chunk = meta->chunk_size ? meta->chunk_size : BACKUP_CHUNK_DEFAULT;
	if (!backup_kind_valid(meta->kind) || !backup_name_valid(meta->name) || chunk < BACKUP_CHUNK_MIN ||
	    chunk > BACKUP_CHUNK_MAX || meta->zstd_level < 0 || meta->zstd_level > BACKUP_ZSTD_LEVEL_MAX ||
	    meta->zstd_workers > 64)
		return -EINVAL;
	size_t kl = strlen(meta->kind), nl = strlen(meta->name), hl = FIXED + kl + nl;
	_cleanup_free_ uint8_t *h = xmalloc(hl);
	struct backup_writer *w = secret_alloc(sizeof *w);
	memset(w, 0, sizeof *w);
	if (meta->zstd_level) {
		w->z = ZSTD_createCCtx_advanced(z_mem);
		if (!w->z || ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_compressionLevel, meta->zstd_level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_checksumFlag, 0)) ||
		    (meta->zstd_workers &&
		     ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_nbWorkers, (int)meta->zstd_workers)))) {
			backup_writer_free(w);
			return -ENOMEM;
		}
		w->zcap = ZSTD_CStreamOutSize();
		w->zout = secret_alloc(w->zcap);
	}
	memcpy(h + OFF_MAGIC, BACKUP_MAGIC, 8);
	h[OFF_VERSION] = w->z ? BACKUP_FORMAT_ZSTD : BACKUP_FORMAT_PLAIN;
	h[OFF_KIND_LEN] = (uint8_t)kl;
	put_be(h + OFF_NAME_LEN, nl, 2);
	put_be(h + OFF_CREATED, (uint64_t)meta->created, 8);
	put_be(h + OFF_CHUNK, chunk, 4);
	backup_key_id(pk, h + OFF_KEY_ID);
	uint8_t *key = secret_alloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	crypto_box_seal(h + OFF_SEALED, key, crypto_secretstream_xchacha20poly1305_KEYBYTES, pk);
	crypto_secretstream_xchacha20poly1305_init_push(&w->st, h + OFF_SS_HEADER, key);
	sodium_free(key);
	memcpy(h + FIXED, meta->kind, kl);
	memcpy(h + FIXED + kl, meta->name, nl);
	crypto_generichash(w->ad, AD_BYTES, h, hl, NULL, 0);
	w->sink = sink;
	w->ud = ud;
	w->chunk = chunk;
	w->plain = secret_alloc(chunk);
	w->cipher = xmalloc(chunk + BACKUP_CHUNK_OVERHEAD);
	int r = sink(ud, h, hl);
	if (r < 0) {
		backup_writer_free(w);
		return r;
	}
	*out = w;
	return 0;
}

/* Bytes into the chunks: a full chunk goes out at once, so the final one is
 * always shorter. */
static int chunk_in(struct backup_writer *w, const uint8_t *p, size_t len)
{
	while (len) {
		size_t k = w->chunk - w->fill < len ? w->chunk - w->fill : len;
		memcpy(w->plain + w->fill, p, k);
		w->fill += k;
		p += k;
		len -= k;
		if (w->fill == w->chunk) {
			int r = push(w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Compresses in (all of it) with op, the output into the chunks; for
 * ZSTD_e_end until the frame is whole. */
static int z_push(struct backup_writer *w, const void *data, size_t len, ZSTD_EndDirective op)
{
	ZSTD_inBuffer in = { data, len, 0 };
	for (;;) {
		ZSTD_outBuffer o = { w->zout, w->zcap, 0 };
		size_t left = ZSTD_compressStream2(w->z, &o, &in, op);
		if (ZSTD_isError(left))
			return w->err = -ENOMEM;   /* its only failures with valid parameters: memory */
		int r = chunk_in(w, w->zout, o.pos);
		if (r < 0)
			return r;
		if (op == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

int backup_writer_write(struct backup_writer *w, const void *data, size_t len)
{
	if (w->err || w->finished)
		return w->err ? w->err : -EINVAL;
	if (!len)
		return 0;
	return w->z ? z_push(w, data, len, ZSTD_e_continue) : chunk_in(w, data, len);
}

int backup_writer_finish(struct backup_writer *w)
{
	if (w->err || w->finished)
		return w->err ? w->err : -EINVAL;
	int r = w->z ? z_push(w, NULL, 0, ZSTD_e_end) : 0;
	if (r == 0)
		r = push(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	w->finished = r == 0;
	return r;
}

void backup_writer_free(struct backup_writer *w)
{
	if (!w)
		return;
	sodium_free(w->plain);
	free(w->cipher);
	ZSTD_freeCCtx(w->z);
	if (w->zout)
		sodium_free(w->zout);
	sodium_free(w);   /* wipes the stream state */
}

/* ---------------------------------------------------------------- header */

/* Reads the header into m (and, if h is given, its bytes, malloc'd). */
static int read_header(backup_source_fn src, void *ud, struct backup_meta *m, uint8_t **h_out)
{
	uint8_t f[FIXED];
	memset(m, 0, sizeof *m);
	ssize_t k = read_full(src, ud, f, FIXED);
	if (k < 0)
		return (int)k;
	if ((size_t)k < OFF_VERSION + 1 || memcmp(f, BACKUP_MAGIC, 8) != 0)
		return BACKUP_E_MALFORMED;
	if (f[OFF_VERSION] != BACKUP_FORMAT_PLAIN && f[OFF_VERSION] != BACKUP_FORMAT_ZSTD)
		return BACKUP_E_VERSION;
	if ((size_t)k < FIXED)
		return BACKUP_E_MALFORMED;
	size_t kl = f[OFF_KIND_LEN], nl = (size_t)get_be(f + OFF_NAME_LEN, 2);
	m->version = f[OFF_VERSION];
	m->created = (int64_t)get_be(f + OFF_CREATED, 8);
	m->chunk_size = (uint32_t)get_be(f + OFF_CHUNK, 4);
	memcpy(m->key_id, f + OFF_KEY_ID, BACKUP_KEY_ID_BYTES);
	m->header_len = FIXED + kl + nl;
	if (kl == 0 || kl > BACKUP_KIND_MAX || nl == 0 || nl > BACKUP_NAME_MAX || m->chunk_size < BACKUP_CHUNK_MIN ||
	    m->chunk_size > BACKUP_CHUNK_MAX)
		return BACKUP_E_MALFORMED;
	_cleanup_free_ uint8_t *h = xmalloc(m->header_len + 1);
	memcpy(h, f, FIXED);
	k = read_full(src, ud, h + FIXED, kl + nl);
	if (k < 0)
		return (int)k;
	if ((size_t)k < kl + nl)
		return BACKUP_E_MALFORMED;
	memcpy(m->kind, h + FIXED, kl);
	memcpy(m->name, h + FIXED + kl, nl);
	if (strlen(m->kind) != kl || strlen(m->name) != nl || !backup_kind_valid(m->kind) || !backup_name_valid(m->name))
		return BACKUP_E_MALFORMED;
	if (h_out)
		*h_out = TAKE_PTR(h);
	return 0;
}

int backup_header_read(backup_source_fn src, void *ud, struct backup_meta *meta)
{
	return read_header(src, ud, meta, NULL);
}

int backup_plain_size(const struct backup_meta *m, uint64_t object_bytes, uint64_t *plain)
{
	uint64_t full = (uint64_t)m->chunk_size + BACKUP_CHUNK_OVERHEAD;
	if (object_bytes < m->header_len + BACKUP_CHUNK_OVERHEAD)
		return BACKUP_E_TRUNCATED;
	uint64_t body = object_bytes - m->header_len, rem = body % full;
	if (rem < BACKUP_CHUNK_OVERHEAD)
		return BACKUP_E_TRUNCATED;
	*plain = body / full * m->chunk_size + (rem - BACKUP_CHUNK_OVERHEAD);
	return 0;
}

/* ---------------------------------------------------------------- reader */

struct backup_reader {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t ad[AD_BYTES];
	backup_source_fn src;
	void *ud;
	uint8_t *plain, *cipher;
	size_t chunk, have, pos;     /* plaintext chunk: have bytes, pos handed out */
	ZSTD_DCtx *z;                /* version 2: the chunks' bytes are decompressed */
	size_t zleft;                /* zstd's last hint: 0 at the end of a frame */
	int err;                     /* a refusal is final */
	bool done;                   /* the final chunk authenticated */
};

/* The next chunk into r->plain. */
static int next_chunk(struct backup_reader *r)
{
	size_t full = r->chunk + BACKUP_CHUNK_OVERHEAD;
	ssize_t k = read_full(r->src, r->ud, r->cipher, full);
	if (k < 0)
		return r->err = (int)k;
	if ((size_t)k < BACKUP_CHUNK_OVERHEAD)
		return r->err = BACKUP_E_TRUNCATED;
	unsigned long long mlen;
	uint8_t tag;
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain, &mlen, &tag, r->cipher, (unsigned long long)k,
						       r->ad, AD_BYTES) != 0)
		return r->err = BACKUP_E_TAMPERED;
	/* a full chunk must go on, a short one must end the stream: the writer
	 * never makes anything else, so another tag is a forged layout */
	bool last = (size_t)k < full;
	if (last != (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) ||
	    (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL && tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE))
		return r->err = BACKUP_E_MALFORMED;
	r->have = (size_t)mlen;
	r->pos = 0;
	r->done = last;
	return 0;
}

int backup_reader_open(struct backup_reader **out, const struct role_keypair *key, const char *expected_name,
		       backup_source_fn src, void *ud, struct backup_meta *m)
{
	*out = NULL;
	_cleanup_free_ uint8_t *h = NULL;
	int r = read_header(src, ud, m, &h);
	if (r < 0)
		return r;
	if (strcmp(m->name, expected_name) != 0)
		return BACKUP_E_NAME;
	uint8_t id[BACKUP_KEY_ID_BYTES];
	backup_key_id(key->pk, id);
	if (memcmp(id, m->key_id, sizeof id) != 0)
		return BACKUP_E_WRONG_KEY;
	uint8_t *okey = secret_alloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	struct backup_reader *rd = secret_alloc(sizeof *rd);
	memset(rd, 0, sizeof *rd);
	if (crypto_box_seal_open(okey, h + OFF_SEALED, SEALED_KEY_BYTES, key->pk, key->sk) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&rd->st, h + OFF_SS_HEADER, okey) != 0) {
		sodium_free(okey);
		sodium_free(rd);
		return BACKUP_E_TAMPERED;
	}
	sodium_free(okey);
	crypto_generichash(rd->ad, AD_BYTES, h, m->header_len, NULL, 0);
	rd->src = src;
	rd->ud = ud;
	rd->chunk = m->chunk_size;
	rd->plain = secret_alloc(rd->chunk);
	rd->cipher = xmalloc(rd->chunk + BACKUP_CHUNK_OVERHEAD);
	if (m->version == BACKUP_FORMAT_ZSTD) {
		rd->z = ZSTD_createDCtx_advanced(z_mem);
		if (!rd->z || ZSTD_isError(ZSTD_DCtx_setParameter(rd->z, ZSTD_d_windowLogMax, BACKUP_ZSTD_WINDOW_LOG_MAX))) {
			backup_reader_free(rd);
			return -ENOMEM;
		}
		rd->zleft = 1;   /* no frame yet: an empty stream is no object */
	}
	/* the first chunk now: a header edited in any byte is refused here */
	if ((r = next_chunk(rd)) < 0) {
		backup_reader_free(rd);
		return r;
	}
	*out = rd;
	return 0;
}

/* Version 1: the chunks' bytes as they are. */
static ssize_t raw_read(struct backup_reader *r, void *buf, size_t cap)
{
	while (r->pos == r->have) {
		if (r->done)
			return 0;
		int e = next_chunk(r);
		if (e < 0)
			return e;
	}
	size_t k = r->have - r->pos < cap ? r->have - r->pos : cap;
	memcpy(buf, r->plain + r->pos, k);
	r->pos += k;
	return (ssize_t)k;
}

/* Version 2: the chunks' bytes decompressed. The stream must end with a
 * whole frame exactly at the final chunk. */
static ssize_t z_read(struct backup_reader *r, void *buf, size_t cap)
{
	ZSTD_outBuffer o = { buf, cap, 0 };
	for (;;) {
		ZSTD_inBuffer in = { r->plain + r->pos, r->have - r->pos, 0 };
		size_t left = ZSTD_decompressStream(r->z, &o, &in);
		r->pos += in.pos;
		if (ZSTD_isError(left))
			return r->err = BACKUP_E_CORRUPT;
		if (in.pos || o.pos)
			r->zleft = left;   /* a call without progress only hints at the next frame's header */
		if (o.pos)
			return (ssize_t)o.pos;
		if (r->pos < r->have) {
			if (in.pos == 0)
				return r->err = BACKUP_E_CORRUPT;   /* no progress: never from zstd, but never a loop */
			continue;
		}
		if (r->done)
			return r->zleft == 0 ? 0 : (r->err = BACKUP_E_CORRUPT);
		int e = next_chunk(r);
		if (e < 0)
			return e;
	}
}

ssize_t backup_reader_read(struct backup_reader *r, void *buf, size_t cap)
{
	if (r->err)
		return r->err;
	if (!cap)
		return -EINVAL;
	return r->z ? z_read(r, buf, cap) : raw_read(r, buf, cap);
}

int backup_reader_finish(struct backup_reader *r)
{
	if (r->err)
		return r->err;
	if (r->z) {
		/* the compressed stream is proven whole only by decompressing it */
		uint8_t *scratch = secret_alloc(1u << 16);
		ssize_t k;
		while ((k = z_read(r, scratch, 1u << 16)) > 0)
			;
		sodium_free(scratch);
		return k < 0 ? (int)k : 0;
	}
	while (!r->done) {
		int e = next_chunk(r);
		if (e < 0)
			return e;
	}
	r->pos = r->have;
	return 0;
}

void backup_reader_free(struct backup_reader *r)
{
	if (!r)
		return;
	sodium_free(r->plain);
	free(r->cipher);
	ZSTD_freeDCtx(r->z);
	sodium_free(r);
}

const char *backup_strerror(int r)
{
	switch (r) {
	case 0: return "ok";
	case BACKUP_E_MALFORMED: return "not a kiln backup object, or its header is malformed";
	case BACKUP_E_VERSION: return "unknown backup format version";
	case BACKUP_E_NAME: return "the object carries another name (moved or swapped)";
	case BACKUP_E_WRONG_KEY: return "sealed to another backup key";
	case BACKUP_E_TAMPERED: return "does not authenticate (changed, or cut inside a chunk)";
	case BACKUP_E_TRUNCATED: return "ends before its final chunk (truncated)";
	case BACKUP_E_CORRUPT: return "authenticates, but its compressed contents do not decompress (a faulty or forged writer)";
	default: return strerror(-r);
	}
}
