#include "esxi/grain_compress.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct grain_compressor {
	enum grain_codec codec;
	struct libdeflate_compressor *ld;
	z_stream zs;           /* kept across grains: deflateReset is cheaper than init */
};

int grain_codec_parse(const char *name, enum grain_codec *out)
{
	if (!strcmp(name, "libdeflate"))
		*out = GRAIN_CODEC_LIBDEFLATE;
	else if (!strcmp(name, "zlib"))
		*out = GRAIN_CODEC_ZLIB;
	else
		return -EINVAL;
	return 0;
}

const char *grain_codec_name(enum grain_codec codec)
{
	return codec == GRAIN_CODEC_ZLIB ? "zlib" : "libdeflate";
}

int grain_level_check(enum grain_codec codec, int level)
{
	int max = codec == GRAIN_CODEC_ZLIB ? 9 : 12;
	return level >= 1 && level <= max ? 0 : -EINVAL;
}

int grain_compressor_new(enum grain_codec codec, int level, struct grain_compressor **out)
{
	if (grain_level_check(codec, level) < 0)
		return -EINVAL;
	struct grain_compressor *c = xcalloc(1, sizeof(*c));
	c->codec = codec;
	if (codec == GRAIN_CODEC_LIBDEFLATE) {
		c->ld = libdeflate_alloc_compressor(level);
		if (!c->ld) {
			free(c);
			return -ENOMEM;
		}
	} else if (deflateInit(&c->zs, level) != Z_OK) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void grain_compressor_free(struct grain_compressor *c)
{
	if (!c)
		return;
	if (c->codec == GRAIN_CODEC_LIBDEFLATE)
		libdeflate_free_compressor(c->ld);
	else
		deflateEnd(&c->zs);
	free(c);
}

size_t grain_compress_bound(struct grain_compressor *c, size_t n)
{
	if (c->codec == GRAIN_CODEC_LIBDEFLATE)
		return libdeflate_zlib_compress_bound(c->ld, n);
	return deflateBound(&c->zs, (uLong)n);
}

long grain_compress(struct grain_compressor *c, const void *in, size_t n, void *out, size_t cap)
{
	if (c->codec == GRAIN_CODEC_LIBDEFLATE) {
		size_t r = libdeflate_zlib_compress(c->ld, in, n, out, cap);
		return r ? (long)r : -ENOBUFS;
	}
	if (deflateReset(&c->zs) != Z_OK)
		return -EIO;
	c->zs.next_in = (Bytef *)(uintptr_t)in;
	c->zs.avail_in = (uInt)n;
	c->zs.next_out = out;
	c->zs.avail_out = (uInt)cap;
	int r = deflate(&c->zs, Z_FINISH);
	if (r != Z_STREAM_END)
		return r == Z_OK || r == Z_BUF_ERROR ? -ENOBUFS : -EIO;
	return (long)c->zs.total_out;
}
