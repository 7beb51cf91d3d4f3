/* Compress one VMDK grain into a zlib stream (RFC 1950 framing, which every
 * VMDK reader expects) with either libdeflate or zlib. One compressor per
 * thread; not thread-safe. The default codec and level were chosen by
 * measurement (bench/vmdk.sh, bench/RESULTS.md). */
#ifndef KILN_GRAIN_COMPRESS_H
#define KILN_GRAIN_COMPRESS_H
#include <stddef.h>

enum grain_codec {
	GRAIN_CODEC_LIBDEFLATE,
	GRAIN_CODEC_ZLIB,
};

#define GRAIN_CODEC_DEFAULT GRAIN_CODEC_LIBDEFLATE
#define GRAIN_LEVEL_DEFAULT 6

struct grain_compressor;

/* "libdeflate" or "zlib"; -EINVAL otherwise. */
int grain_codec_parse(const char *name, enum grain_codec *out);
const char *grain_codec_name(enum grain_codec codec);
/* 0 if level is valid for codec (libdeflate 1..12, zlib 1..9), else -EINVAL. */
int grain_level_check(enum grain_codec codec, int level);

int grain_compressor_new(enum grain_codec codec, int level, struct grain_compressor **out);
void grain_compressor_free(struct grain_compressor *c);

/* Upper bound of the compressed size of n input bytes. */
size_t grain_compress_bound(struct grain_compressor *c, size_t n);

/* Compress in[0..n) into out (cap bytes, at least grain_compress_bound()).
 * Returns the compressed length (> 0) or a negative errno. */
long grain_compress(struct grain_compressor *c, const void *in, size_t n, void *out, size_t cap);
#endif
