/* esxi/: VMDK header, marker and descriptor encoding, grain compression,
 * the grain pool, and the stream writer's stats and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "esxi/grain_compress.h"
#include "esxi/grain_pool.h"
#include "esxi/vmdk_format.h"
#include "esxi/vmdk_stream.h"

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_header_fields(void **state)
{
	(void)state;
	uint8_t h[VMDK_SECTOR];
	struct vmdk_header hdr = { .capacity = 204801, .descriptor_size = 1, .gd_offset = VMDK_GD_AT_END };
	vmdk_header_encode(&hdr, h);
	assert_memory_equal(h, "KDMV", 4);
	assert_int_equal(le(h + 4, 4), 3);
	assert_int_equal(le(h + 8, 4), 0x30001);
	assert_int_equal(le(h + 12, 8), 204801);
	assert_int_equal(le(h + 20, 8), 128);
	assert_int_equal(le(h + 28, 8), 1);
	assert_int_equal(le(h + 36, 8), 1);
	assert_int_equal(le(h + 44, 4), 512);
	assert_int_equal(le(h + 48, 8), 0);
	assert_true(le(h + 56, 8) == UINT64_MAX);
	assert_int_equal(le(h + 64, 8), 128);
	assert_int_equal(h[72], 0);
	assert_memory_equal(h + 73, "\n \r\n", 4);
	assert_int_equal(le(h + 77, 2), 1);
	for (size_t i = 79; i < VMDK_SECTOR; i++)
		assert_int_equal(h[i], 0);

	hdr.gd_offset = 0x1234;            /* the footer copy */
	vmdk_header_encode(&hdr, h);
	assert_int_equal(le(h + 56, 8), 0x1234);
}

static void test_markers(void **state)
{
	(void)state;
	uint8_t m[VMDK_SECTOR];
	vmdk_marker_encode(VMDK_MARKER_GT, 4, m);
	assert_int_equal(le(m, 8), 4);
	assert_int_equal(le(m + 8, 4), 0);
	assert_int_equal(le(m + 12, 4), 1);
	for (size_t i = 16; i < VMDK_SECTOR; i++)
		assert_int_equal(m[i], 0);
	vmdk_marker_encode(VMDK_MARKER_GD, 3, m);
	assert_int_equal(le(m, 8), 3);
	assert_int_equal(le(m + 12, 4), 2);
	vmdk_marker_encode(VMDK_MARKER_FOOTER, 1, m);
	assert_int_equal(le(m, 8), 1);
	assert_int_equal(le(m + 12, 4), 3);
	memset(m, 0xaa, sizeof(m));
	vmdk_marker_encode(VMDK_MARKER_EOS, 0, m);
	for (size_t i = 0; i < VMDK_SECTOR; i++)
		assert_int_equal(m[i], 0);

	uint8_t g[VMDK_GRAIN_MARKER_HDR];
	vmdk_grain_marker_encode(UINT64_C(0x0102030405060708), 0x0a0b0c0d, g);
	assert_memory_equal(g, "\x08\x07\x06\x05\x04\x03\x02\x01\x0d\x0c\x0b\x0a", 12);
	assert_int_equal(VMDK_GT_SECTORS, 4);
	assert_int_equal(vmdk_capacity_for(1), 1);
	assert_int_equal(vmdk_capacity_for(512), 1);
	assert_int_equal(vmdk_capacity_for(513), 2);
}

static void test_adapters(void **state)
{
	(void)state;
	const char *good[] = { "ide", "buslogic", "lsilogic", "legacyESX", "lsilogicsas", "pvscsi" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(vmdk_adapter_check(good[i]), 0);
	assert_int_equal(vmdk_adapter_check("virtio"), -EINVAL);
	assert_int_equal(vmdk_adapter_check("LSILOGIC"), -EINVAL);
	assert_int_equal(vmdk_adapter_check(""), -EINVAL);
}

static void test_descriptor(void **state)
{
	(void)state;
	uint8_t id[16];
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(0xa0 + i);
	char *d = vmdk_descriptor_render(4194304, "lsilogic", "disk-1.vmdk", 0xabcdef01, id);
	assert_non_null(strstr(d, "# Disk DescriptorFile\nversion=1\n"));
	assert_non_null(strstr(d, "\nCID=abcdef01\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n"));
	assert_non_null(strstr(d, "\nRW 4194304 SPARSE \"disk-1.vmdk\"\n"));
	assert_non_null(strstr(d, "ddb.longContentID = \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"\n"));
	assert_non_null(strstr(d, "ddb.geometry.cylinders = \"262\"\n"));   /* ceil(4194304/16065) */
	assert_non_null(strstr(d, "ddb.geometry.heads = \"255\"\n"));
	assert_non_null(strstr(d, "ddb.adapterType = \"lsilogic\"\n"));
	assert_null(strchr(d, '\r'));
	free(d);

	/* IDE geometry, cylinder saturation, unsafe name characters. */
	d = vmdk_descriptor_render(UINT64_C(1) << 32, "ide", "a\"b\\c\xc3\xa9\n.vmdk", 1, id);
	assert_non_null(strstr(d, "ddb.geometry.heads = \"16\"\n"));
	assert_non_null(strstr(d, "ddb.geometry.cylinders = \"65535\"\n"));
	assert_non_null(strstr(d, "SPARSE \"a_b_c___.vmdk\"\n"));
	for (const char *p = d; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	free(d);
}

static void roundtrip(enum grain_codec codec, int level)
{
	struct grain_compressor *c;
	assert_int_equal(grain_compressor_new(codec, level, &c), 0);
	uint8_t *in = malloc(VMDK_GRAIN_BYTES), *back = malloc(VMDK_GRAIN_BYTES);
	for (size_t i = 0; i < VMDK_GRAIN_BYTES; i++)
		in[i] = (uint8_t)(i % 251 < 100 ? i / 7 : (i * 2654435761u) >> 13);
	size_t cap = grain_compress_bound(c, VMDK_GRAIN_BYTES);
	assert_true(cap >= VMDK_GRAIN_BYTES);
	uint8_t *out = malloc(cap);
	for (size_t n = 1000; n <= VMDK_GRAIN_BYTES; n += VMDK_GRAIN_BYTES - 1000) {
		long z = grain_compress(c, in, n, out, cap);
		assert_true(z > 2);
		/* zlib framing (RFC 1950): CM = 8, header checksum. */
		assert_int_equal(out[0] & 0x0f, 8);
		assert_int_equal((out[0] << 8 | out[1]) % 31, 0);
		uLongf blen = VMDK_GRAIN_BYTES;
		assert_int_equal(uncompress(back, &blen, out, (uLong)z), Z_OK);
		assert_int_equal(blen, n);
		assert_memory_equal(back, in, n);
	}
	assert_int_equal(grain_compress(c, in, VMDK_GRAIN_BYTES, out, 10), -ENOBUFS);
	grain_compressor_free(c);
	free(in);
	free(back);
	free(out);
}

static void test_compress_roundtrip(void **state)
{
	(void)state;
	roundtrip(GRAIN_CODEC_LIBDEFLATE, 1);
	roundtrip(GRAIN_CODEC_LIBDEFLATE, 12);
	roundtrip(GRAIN_CODEC_ZLIB, 1);
	roundtrip(GRAIN_CODEC_ZLIB, 9);
}

static void test_codec_parse_and_levels(void **state)
{
	(void)state;
	enum grain_codec c;
	assert_int_equal(grain_codec_parse("zlib", &c), 0);
	assert_int_equal(c, GRAIN_CODEC_ZLIB);
	assert_string_equal(grain_codec_name(c), "zlib");
	assert_int_equal(grain_codec_parse("libdeflate", &c), 0);
	assert_int_equal(c, GRAIN_CODEC_LIBDEFLATE);
	assert_int_equal(grain_codec_parse("gzip", &c), -EINVAL);
	assert_int_equal(grain_level_check(GRAIN_CODEC_ZLIB, 9), 0);
	assert_int_equal(grain_level_check(GRAIN_CODEC_ZLIB, 10), -EINVAL);
	assert_int_equal(grain_level_check(GRAIN_CODEC_LIBDEFLATE, 12), 0);
	assert_int_equal(grain_level_check(GRAIN_CODEC_LIBDEFLATE, 0), -EINVAL);
	struct grain_compressor *gc = NULL;
	assert_int_equal(grain_compressor_new(GRAIN_CODEC_ZLIB, 11, &gc), -EINVAL);
	assert_null(gc);
}

static int tmpfile_fd(void)
{
	char p[] = "/tmp/kiln-unit-vmdk-XXXXXX";
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	unlink(p);
	return fd;
}

static void test_stream_stats_and_tail(void **state)
{
	(void)state;
	/* 200 KiB + 100 bytes: grain 0 data, grain 1 written zeros, grain 2
	 * hole, grain 3 a short final grain with data. */
	int in = tmpfile_fd(), out = tmpfile_fd();
	uint8_t blk[VMDK_GRAIN_BYTES];
	memset(blk, 'x', sizeof(blk));
	assert_int_equal(pwrite(in, blk, sizeof(blk), 0), (ssize_t)sizeof(blk));
	memset(blk, 0, sizeof(blk));
	assert_int_equal(pwrite(in, blk, sizeof(blk), VMDK_GRAIN_BYTES), (ssize_t)sizeof(blk));
	uint64_t size = 3 * VMDK_GRAIN_BYTES + 100;
	assert_int_equal(pwrite(in, "tail", 4, size - 4), 4);

	struct vmdk_stream_opts o;
	vmdk_stream_opts_init(&o);
	o.threads = 3;
	struct vmdk_stream_stats st;
	assert_int_equal(vmdk_stream_write(in, size, out, &o, &st), 0);
	assert_int_equal(st.capacity_bytes, 3 * VMDK_GRAIN_BYTES + 512);
	assert_int_equal(st.grains_stored, 2);
	assert_int_equal(st.grains_zero, 1);
	assert_int_equal(st.populated_bytes, VMDK_GRAIN_BYTES + 512);
	off_t end = lseek(out, 0, SEEK_END);
	assert_int_equal((uint64_t)end, st.file_bytes);
	assert_int_equal(end % VMDK_SECTOR, 0);

	uint8_t tail[3 * VMDK_SECTOR];
	assert_int_equal(pread(out, tail, sizeof(tail), end - (off_t)sizeof(tail)), (ssize_t)sizeof(tail));
	assert_int_equal(le(tail + 12, 4), VMDK_MARKER_FOOTER);
	assert_memory_equal(tail + VMDK_SECTOR, "KDMV", 4);
	uint64_t gd = le(tail + VMDK_SECTOR + 56, 8);
	assert_true(gd > VMDK_OVERHEAD && gd < (uint64_t)end / VMDK_SECTOR);
	for (size_t i = 2 * VMDK_SECTOR; i < sizeof(tail); i++)
		assert_int_equal(tail[i], 0);

	/* GD[0] points at GT 0, whose entries 0 and 3 point at grain markers. */
	uint8_t sec[VMDK_SECTOR];
	assert_int_equal(pread(out, sec, 4, (off_t)gd * VMDK_SECTOR), 4);
	uint64_t gt = le(sec, 4);
	uint8_t gtb[2048];
	assert_int_equal(pread(out, gtb, sizeof(gtb), (off_t)gt * VMDK_SECTOR), (ssize_t)sizeof(gtb));
	assert_int_equal(le(gtb, 4), VMDK_OVERHEAD);
	assert_int_equal(le(gtb + 4, 4), 0);
	assert_int_equal(le(gtb + 8, 4), 0);
	uint64_t g3 = le(gtb + 12, 4);
	assert_int_equal(pread(out, sec, 12, (off_t)g3 * VMDK_SECTOR), 12);
	assert_int_equal(le(sec, 8), 3 * VMDK_GRAIN_SECTORS);
	close(in);
	close(out);
}

/* An fd without a sparse map (lseek ignores SEEK_DATA) is read in full; its
 * zero grains are still dropped. */
static void test_stream_without_sparse_map(void **state)
{
	(void)state;
	int in = open("/dev/zero", O_RDONLY), out = tmpfile_fd();
	assert_true(in >= 0);
	struct vmdk_stream_opts o;
	vmdk_stream_opts_init(&o);
	struct vmdk_stream_stats st;
	assert_int_equal(vmdk_stream_write(in, 40 * VMDK_GRAIN_BYTES + 7, out, &o, &st), 0);
	assert_int_equal(st.grains_stored, 0);
	assert_int_equal(st.grains_zero, 41);
	close(in);
	close(out);
}

/* The pool hands back grains in LBA order, flags zero grains, and
 * reports a read error (here: an fd opened write-only) instead of data. */
static void test_grain_pool_order_and_errors(void **state)
{
	(void)state;
	int in = tmpfile_fd();
	uint8_t blk[VMDK_GRAIN_BYTES];
	for (int g = 0; g < 64; g += 3) {       /* data in every third grain, zeros in every 6th */
		memset(blk, g % 6 ? 'a' + g : 0, sizeof(blk));
		assert_int_equal(pwrite(in, blk, sizeof(blk), (off_t)g * VMDK_GRAIN_BYTES), (ssize_t)sizeof(blk));
	}
	struct grain_pool *p;
	assert_int_equal(grain_pool_start(in, 64 * VMDK_GRAIN_BYTES, GRAIN_CODEC_LIBDEFLATE, 6, 4, &p), 0);
	struct grain_record rec;
	int n = 0, r;
	uint64_t last = 0;
	while ((r = grain_pool_next(p, &rec)) == 1) {
		assert_true(n == 0 || rec.grain > last);
		last = rec.grain;
		assert_int_equal(rec.grain % 3, 0);
		assert_int_equal(rec.len == 0, rec.grain % 6 == 0);
		assert_int_equal(rec.len % VMDK_SECTOR, 0);
		n++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 22);
	grain_pool_stop(p);

	char path[] = "/tmp/kiln-unit-vmdk-XXXXXX";
	int wo = mkstemp(path);
	assert_true(wo >= 0);
	assert_int_equal(pwrite(wo, blk, sizeof(blk), 0), (ssize_t)sizeof(blk));
	close(wo);
	wo = open(path, O_WRONLY);
	unlink(path);
	assert_int_equal(grain_pool_start(wo, VMDK_GRAIN_BYTES, GRAIN_CODEC_ZLIB, 6, 2, &p), 0);
	assert_int_equal(grain_pool_next(p, &rec), -EBADF);
	grain_pool_stop(p);
	struct vmdk_stream_opts o;
	vmdk_stream_opts_init(&o);
	int out = tmpfile_fd();
	assert_int_equal(vmdk_stream_write(wo, VMDK_GRAIN_BYTES, out, &o, NULL), -EBADF);
	close(out);
	close(wo);
	close(in);
}

static void test_stream_refusals(void **state)
{
	(void)state;
	int in = tmpfile_fd(), out = tmpfile_fd();
	assert_int_equal(pwrite(in, "x", 1, 0), 1);
	struct vmdk_stream_opts o;
	vmdk_stream_opts_init(&o);
	assert_int_equal(vmdk_stream_write(in, 0, out, &o, NULL), -EINVAL);
	assert_int_equal(vmdk_stream_write(in, VMDK_MAX_DISK_BYTES + 1, out, &o, NULL), -EFBIG);
	o.adapter = "virtio";
	assert_int_equal(vmdk_stream_write(in, 1, out, &o, NULL), -EINVAL);
	o.adapter = NULL;
	o.codec = GRAIN_CODEC_ZLIB;
	o.level = 12;
	assert_int_equal(vmdk_stream_write(in, 1, out, &o, NULL), -EINVAL);
	vmdk_stream_opts_init(&o);
	char name[400];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	o.extent_name = name;       /* still fits in 127 descriptor sectors */
	assert_int_equal(vmdk_stream_write(in, 1, out, &o, NULL), 0);
	close(in);
	close(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_adapters),
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test(test_compress_roundtrip),
		cmocka_unit_test(test_codec_parse_and_levels),
		cmocka_unit_test(test_stream_stats_and_tail),
		cmocka_unit_test(test_stream_without_sparse_map),
		cmocka_unit_test(test_grain_pool_order_and_errors),
		cmocka_unit_test(test_stream_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
