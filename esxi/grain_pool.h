/* A pool of threads that turns a raw disk image into VMDK grain records, in
 * LBA order: each record is the grain marker, the zlib stream and zero
 * padding to a sector. The walk skips the file's holes (SEEK_DATA/SEEK_HOLE);
 * grains that read as all zeros come back with len 0. The consumer calls
 * grain_pool_next() from one thread; a ring of slots bounds memory and lets
 * the workers run ahead of it. */
#ifndef KILN_GRAIN_POOL_H
#define KILN_GRAIN_POOL_H
#include "esxi/grain_compress.h"
#include <stddef.h>
#include <stdint.h>

#define GRAIN_DIGEST_BYTES 16

struct grain_pool;

struct grain_record {
	uint64_t grain;             /* grain index (virtual sector / 128) */
	const uint8_t *data;        /* marker + zlib stream + padding */
	size_t len;                 /* a multiple of 512; 0 = all zeros, store nothing */
	const uint8_t *digest;      /* BLAKE2b-128 of data (when len > 0) */
};

/* disk_bytes: the virtual disk size (capacity * 512); reads past the end of
 * in_fd read as zeros. threads >= 1. Returns 0 or a negative errno. */
int grain_pool_start(int in_fd, uint64_t disk_bytes, enum grain_codec codec, int level,
		     unsigned threads, struct grain_pool **out);

/* The next record in LBA order: 1 and *rec (valid until the next call), 0
 * when all grains are done, or a negative errno (read or compress error). */
int grain_pool_next(struct grain_pool *p, struct grain_record *rec);

/* Stop the workers (early, if the consumer gave up) and free everything. */
void grain_pool_stop(struct grain_pool *p);
#endif
