/* Backup objects: a backup stream (a database backup, a binary log, any
 * bytes) encrypted and authenticated for the operator's backup key before it
 * leaves the host, so the object store holds nothing it can read or
 * undetectably change. Byte format: docs/backup.md.
 *
 *   header   magic, version, kind, name, created, chunk size, the key id of
 *            the recipient, a fresh 32-byte object key sealed to the
 *            recipient's X25519 public key (crypto_box_seal), and the
 *            secretstream header
 *   chunks   crypto_secretstream_xchacha20poly1305: every full chunk holds
 *            chunk-size bytes (TAG_MESSAGE), the last one fewer (TAG_FINAL,
 *            possibly empty); each chunk's associated data is the BLAKE2b-256
 *            of the whole header, so the name, kind and time cannot be edited,
 *            and a stream cut at any point or spliced with another refuses
 *
 * Version 1 seals the stream as it is; version 2 (the writer's choice, a
 * zstd level in the meta) seals a zstd stream of it: the chunks carry
 * compressed bytes, the reader hands out the decompressed plaintext. The
 * version byte is in the header every chunk authenticates, so it cannot be
 * changed either. Readers take both.
 *
 * Streaming in constant memory (two buffers of one chunk, and zstd's
 * contexts: a window of at most 2^BACKUP_ZSTD_WINDOW_LOG_MAX bytes). The writer is for
 * the host that makes a backup; the reader for whoever holds the secret key
 * (the operator's `kiln backup`, later a host restoring). The reader hands out
 * plaintext a chunk at a time, each chunk authenticated, but the object as a
 * whole is proven only when backup_reader_finish returns 0: a consumer keeps
 * what it read provisional until then (a restore writes a temporary file and
 * renames it after finish).
 *
 * Refusals, each its own code (backup_strerror explains):
 *   BACKUP_E_MALFORMED  not a kiln backup object, or a bad header field
 *   BACKUP_E_VERSION    a format version this code does not know
 *   BACKUP_E_NAME       the object carries another name than the one it is
 *                       stored under (moved or swapped)
 *   BACKUP_E_WRONG_KEY  sealed to another backup key
 *   BACKUP_E_TAMPERED   a chunk (or the sealed key) does not authenticate:
 *                       changed, spliced or cut inside a chunk
 *   BACKUP_E_TRUNCATED  ends (cleanly) before its final chunk
 *   BACKUP_E_CORRUPT    authenticates, but its compressed stream does not
 *                       decompress (a faulty or forged writer: anyone with
 *                       the public key can seal)
 * Source and sink errors are passed up as they are. Does not log. */
#ifndef KILN_BACKUP_OBJECT_H
#define KILN_BACKUP_OBJECT_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/rolekey.h"

#define BACKUP_FORMAT_VERSION 2                 /* the newest; 1 is still read (and written uncompressed) */
#define BACKUP_FORMAT_PLAIN 1                   /* the chunks carry the stream as it is */
#define BACKUP_FORMAT_ZSTD 2                    /* the chunks carry a zstd stream of it */
#define BACKUP_ZSTD_LEVEL_MAX 19
#define BACKUP_ZSTD_WINDOW_LOG_MAX 24           /* the reader's bound on a frame's window (16 MiB) */
#define BACKUP_MAGIC "KILNBKUP"                 /* 8 bytes, no NUL */
#define BACKUP_KIND_MAX 32                      /* [a-z0-9-] */
#define BACKUP_NAME_MAX 1024                    /* an S3 key's limit */
#define BACKUP_CHUNK_DEFAULT (256u << 10)
#define BACKUP_CHUNK_MIN 1024u
#define BACKUP_CHUNK_MAX (4u << 20)
#define BACKUP_KEY_ID_BYTES 8
#define BACKUP_FIXED_HEADER 136                 /* header bytes before kind and name */
#define BACKUP_CHUNK_OVERHEAD 17                /* crypto_secretstream_xchacha20poly1305_ABYTES */

#define BACKUP_E_MALFORMED (-EBADMSG)
#define BACKUP_E_VERSION   (-EPROTONOSUPPORT)
#define BACKUP_E_NAME      (-EXDEV)
#define BACKUP_E_WRONG_KEY (-ENOKEY)
#define BACKUP_E_TAMPERED  (-EBADE)
#define BACKUP_E_TRUNCATED (-ENODATA)
#define BACKUP_E_CORRUPT   (-EILSEQ)

/* What a header says. The reader fills it; the writer takes kind, name,
 * created, chunk_size (0: BACKUP_CHUNK_DEFAULT), zstd_level and zstd_workers
 * and ignores the rest. */
struct backup_meta {
	unsigned version;                          /* BACKUP_FORMAT_PLAIN or _ZSTD */
	char kind[BACKUP_KIND_MAX + 1];            /* "mariadb-full", "binlog", ... */
	char name[BACKUP_NAME_MAX + 1];            /* the object's key in its store */
	int64_t created;                           /* unix seconds */
	uint32_t chunk_size;
	uint8_t key_id[BACKUP_KEY_ID_BYTES];       /* whose key it is sealed to */
	size_t header_len;                         /* bytes before the first chunk */
	int zstd_level;                            /* writer: 0 seals the stream as it is (version 1),
						      1..BACKUP_ZSTD_LEVEL_MAX compresses it (version 2) */
	unsigned zstd_workers;                     /* writer: zstd's threads (0: in the caller's) */
};

/* Where the writer puts bytes (0 or -errno) and where the reader takes them
 * (bytes read, 0 at the end, or -errno). backup_fd_sink/source use an fd
 * given as ud (an int *), retrying EINTR and short writes. */
typedef int (*backup_sink_fn)(void *ud, const void *data, size_t len);
typedef ssize_t (*backup_source_fn)(void *ud, void *data, size_t len);
int backup_fd_sink(void *ud, const void *data, size_t len);
ssize_t backup_fd_source(void *ud, void *data, size_t len);

/* Names: 1..BACKUP_NAME_MAX bytes, '/'-separated segments of
 * [A-Za-z0-9._-], none empty, "." or "..". Kinds: 1..BACKUP_KIND_MAX of [a-z0-9-]. */
bool backup_name_valid(const char *name);
bool backup_kind_valid(const char *kind);

/* The key id a header records: BLAKE2b-64 of the public key. As text: 16
 * upper-case hex digits plus NUL. */
void backup_key_id(const uint8_t pk[32], uint8_t id[BACKUP_KEY_ID_BYTES]);
void backup_key_id_hex(const uint8_t id[BACKUP_KEY_ID_BYTES], char hex[2 * BACKUP_KEY_ID_BYTES + 1]);

struct backup_writer;
/* Writes the header to sink. -EINVAL for a bad kind, name, chunk size or
 * zstd level; -ENOMEM if zstd's context cannot be made. */
int backup_writer_init(struct backup_writer **w, const uint8_t recipient_pk[32], const struct backup_meta *meta,
		       backup_sink_fn sink, void *ud);
int backup_writer_write(struct backup_writer *w, const void *data, size_t len);
/* Writes the final chunk: the object is whole only after this returns 0. */
int backup_writer_finish(struct backup_writer *w);
/* Frees (and wipes) w; one freed without finish is an object readers refuse. */
void backup_writer_free(struct backup_writer *w);

struct backup_reader;
/* Reads and checks the header and opens the object key. expected_name is the
 * name the object is stored under (its S3 key, its path below the backup
 * directory); another name in the header is BACKUP_E_NAME. */
int backup_reader_open(struct backup_reader **r, const struct role_keypair *key, const char *expected_name,
		       backup_source_fn src, void *ud, struct backup_meta *meta);
/* Up to cap bytes of plaintext, 0 once the final chunk was read, or a refusal. */
ssize_t backup_reader_read(struct backup_reader *r, void *buf, size_t cap);
/* Reads (and authenticates) whatever the caller left unread: 0 only if the
 * whole object, to its final chunk and nothing after, authenticated. */
int backup_reader_finish(struct backup_reader *r);
void backup_reader_free(struct backup_reader *r);   /* wipes */

/* The header alone, no key: what `kiln backup list` shows. Not authenticated
 * (only a reader with the key proves it). */
int backup_header_read(backup_source_fn src, void *ud, struct backup_meta *meta);
/* The bytes the chunks of an object of object_bytes with this header hold
 * (the plaintext for version 1, the compressed stream for version 2);
 * BACKUP_E_TRUNCATED if no whole object has that size. */
int backup_plain_size(const struct backup_meta *meta, uint64_t object_bytes, uint64_t *plain);

const char *backup_strerror(int r);

static inline void backup_writer_freep(struct backup_writer **w) { backup_writer_free(*w); }
static inline void backup_reader_freep(struct backup_reader **r) { backup_reader_free(*r); }
#endif
