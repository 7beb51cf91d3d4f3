/* baremetal/bmap.c: the range list of a sparse image (SEEK_DATA scan, a
 * SHA-256 per range), bmaptool's XML both ways with bmaptool itself as the
 * oracle, and every malformed bmap refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/sha.h>
#include <stdint.h>
#include "baremetal/bmap.h"
#include "lib/fileio.h"
#include "image_util.h"

#define MiB (1024 * 1024ULL)

static char *dir, *img;

/* 16 MiB: data at 0 (10 bytes), 1 MiB + 100 (5000 bytes, crosses a block),
 * 8 MiB (2 MiB) and the last 4 KiB. */
static int setup(void **state)
{
	(void)state;
	dir = make_tmpdir();
	img = xasprintf("%s/img.raw", dir);
	make_sparse(img, 16 * MiB);
	fill_at(img, 0, 10, 0x11);
	fill_at(img, MiB + 100, 5000, 0x22);
	fill_at(img, 8 * MiB, 2 * MiB, 0x33);
	fill_at(img, 16 * MiB - 4096, 4096, 0x44);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	free(dir);
	free(img);
	return 0;
}

static void sha_of(const char *path, uint64_t off, uint64_t len, uint8_t out[32])
{
	unsigned char *b = xmalloc(len);
	read_at(path, off, b, len);
	SHA256(b, len, out);
	free(b);
}

static void test_scan(void **state)
{
	(void)state;
	int fd = open(img, O_RDONLY);
	struct bm_map m;
	crypto_generichash_state whole;
	crypto_generichash_init(&whole, NULL, 0, 64);
	assert_int_equal(bm_map_scan(fd, 16 * MiB, 4096, &whole, NULL, &m), 0);
	close(fd);
	/* the filesystem's allocation unit may round further, never less */
	assert_true(m.n >= 3 && m.n <= 4);
	assert_int_equal(m.v[0].offset, 0);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(m.v[i].offset % 4096, 0);
		uint8_t want[32];
		sha_of(img, m.v[i].offset, m.v[i].length, want);
		assert_memory_equal(m.v[i].sha256, want, 32);
	}
	assert_int_equal(m.v[m.n - 1].offset + m.v[m.n - 1].length, 16 * MiB);
	/* the prehash covers every byte, holes as zeros: BLAKE2b of the whole file */
	uint8_t got[64], want[64];
	crypto_generichash_final(&whole, got, 64);
	char *data;
	size_t n;
	assert_int_equal(read_file(img, 32 * MiB, &data, &n), 0);
	crypto_generichash(want, 64, (const uint8_t *)data, n, NULL, 0);
	assert_memory_equal(got, want, 64);
	free(data);
	bm_map_free(&m);
}

static void test_scan_stops(void **state)
{
	(void)state;
	volatile sig_atomic_t stop = 1;
	struct bm_watch w = { .cancel = &stop };
	struct bm_map m;
	int fd = open(img, O_RDONLY);
	assert_int_equal(bm_map_scan(fd, 16 * MiB, 4096, NULL, &w, &m), -ECANCELED);
	assert_null(m.v);
	close(fd);
}

static void test_bmaptool_reads_ours(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(bm_map_of_file(img, &b), 0);
	char *bmap = xasprintf("%s/img.bmap", dir);
	assert_int_equal(write_file_atomic(bmap, b.data, b.len, 0644), 0);
	int st;
	char *out = run_cmd(&st, "bmaptool copy --bmap '%s' '%s' '%s/copy.raw' && cmp '%s' '%s/copy.raw'", bmap, img,
			    dir, img, dir);
	if (st != 0)
		fail_msg("bmaptool refused kiln's bmap: %s", out);
	free(out);
	/* and ours parses back to the same ranges */
	struct bm_map m;
	char why[200];
	assert_int_equal(bm_map_parse(b.data, b.len, &m, why, sizeof why), 0);
	assert_int_equal(m.image_size, 16 * MiB);
	assert_int_equal(m.block_size, 4096);
	int fd = open(img, O_RDONLY);
	struct bm_map s;
	assert_int_equal(bm_map_scan(fd, 16 * MiB, 4096, NULL, NULL, &s), 0);
	close(fd);
	assert_int_equal(m.n, s.n);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(m.v[i].offset, s.v[i].offset);
		assert_int_equal(m.v[i].length, s.v[i].length);
		assert_memory_equal(m.v[i].sha256, s.v[i].sha256, 32);
	}
	bm_map_free(&m);
	bm_map_free(&s);
	buf_free(&b);
	free(bmap);
}

/* A data run longer than BMAP_RANGE_MAX becomes ranges of at most that,
 * adjacent, each with the SHA-256 of its own bytes; bmaptool copies with them. */
static void test_long_run_split(void **state)
{
	(void)state;
	char *big = xasprintf("%s/big.raw", dir);
	make_sparse(big, 96 * MiB);
	fill_at(big, 4 * MiB, 70 * MiB + 4096, 0x55);
	int fd = open(big, O_RDONLY);
	struct bm_map m;
	assert_int_equal(bm_map_scan(fd, 96 * MiB, 4096, NULL, NULL, &m), 0);
	close(fd);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.mapped_bytes, 70 * MiB + 4096);
	for (size_t i = 0; i < m.n; i++) {
		assert_true(m.v[i].length <= BMAP_RANGE_MAX);
		assert_int_equal(m.v[i].offset, 4 * MiB + i * BMAP_RANGE_MAX);
		uint8_t want[32];
		sha_of(big, m.v[i].offset, m.v[i].length, want);
		assert_memory_equal(m.v[i].sha256, want, 32);
	}
	assert_int_equal(m.v[2].length, 70 * MiB + 4096 - 2 * BMAP_RANGE_MAX);
	struct buf b;
	buf_init(&b);
	bm_map_format(&m, &b);
	char *bmap = xasprintf("%s/big.bmap", dir);
	assert_int_equal(write_file_atomic(bmap, b.data, b.len, 0644), 0);
	int st;
	char *out = run_cmd(&st, "bmaptool copy --bmap '%s' '%s' '%s/bigcopy.raw' && cmp '%s' '%s/bigcopy.raw'", bmap,
			    big, dir, big, dir);
	if (st != 0)
		fail_msg("bmaptool refused the split ranges: %s", out);
	free(out);
	free(bmap);
	buf_free(&b);
	bm_map_free(&m);
	free(big);
}

static void test_we_read_bmaptools(void **state)
{
	(void)state;
	int st;
	char *out = run_cmd(&st, "bmaptool create -o '%s/bt.bmap' '%s'", dir, img);
	assert_int_equal(st, 0);
	free(out);
	char *p = xasprintf("%s/bt.bmap", dir), *text, why[200] = "";
	size_t n;
	assert_int_equal(read_file(p, BMAP_MAX_BYTES, &text, &n), 0);
	struct bm_map m;
	if (bm_map_parse(text, n, &m, why, sizeof why) != 0)
		fail_msg("bmaptool's bmap refused: %s", why);
	uint64_t total = 0;
	for (size_t i = 0; i < m.n; i++) {
		uint8_t want[32];
		sha_of(img, m.v[i].offset, m.v[i].length, want);
		assert_memory_equal(m.v[i].sha256, want, 32);
		total += m.v[i].length;
	}
	assert_int_equal(total, m.mapped_bytes);
	bm_map_free(&m);
	free(text);
	free(p);
}

/* A bmap document with the file checksum made right for whatever it holds. */
static char *doc(const char *version, const char *fields, const char *ranges)
{
	char *t = xasprintf("<?xml version=\"1.0\"?>\n<bmap version=\"%s\">\n%s"
			    "<BmapFileChecksum> %064d </BmapFileChecksum>\n<BlockMap>\n%s</BlockMap>\n</bmap>\n",
			    version, fields, 0, ranges);
	uint8_t h[32];
	SHA256((const uint8_t *)t, strlen(t), h);
	char *z = strstr(t, "<BmapFileChecksum> ") + strlen("<BmapFileChecksum> ");
	for (int i = 0; i < 32; i++) {
		char two[3];
		snprintf(two, sizeof two, "%02x", h[i]);
		memcpy(z + 2 * i, two, 2);
	}
	return t;
}

#define SUM "chksum=\"0000000000000000000000000000000000000000000000000000000000000000\""
#define FIELDS(size, bs, blocks, mapped, type)                                                        \
	"<ImageSize> " size " </ImageSize>\n<BlockSize> " bs " </BlockSize>\n<BlocksCount> " blocks   \
	" </BlocksCount>\n<MappedBlocksCount> " mapped " </MappedBlocksCount>\n<ChecksumType> " type  \
	" </ChecksumType>\n"
#define GOOD FIELDS("16384", "4096", "4", "3", "sha256")

static void expect_bad(const char *text, const char *reason)
{
	struct bm_map m;
	char why[300] = "";
	int r = bm_map_parse(text, strlen(text), &m, why, sizeof why);
	if (r != -EBADMSG || !strstr(why, reason))
		fail_msg("wanted -EBADMSG /%s/, got %d \"%s\" for:\n%s", reason, r, why, text);
}

static void test_parse_good_minimal(void **state)
{
	(void)state;
	char *t = doc("2.0", GOOD, "<Range " SUM "> 0-1 </Range>\n<Range " SUM ">3</Range>\n");
	struct bm_map m;
	char why[200] = "";
	assert_int_equal(bm_map_parse(t, strlen(t), &m, why, sizeof why), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.v[0].offset, 0);
	assert_int_equal(m.v[0].length, 8192);
	assert_int_equal(m.v[1].offset, 12288);
	assert_int_equal(m.v[1].length, 4096);
	bm_map_free(&m);
	free(t);
	/* a short last block: the range ends with the image */
	t = doc("2.1", FIELDS("10000", "4096", "3", "1", "sha256"), "<Range " SUM "> 2 </Range>\n");
	assert_int_equal(bm_map_parse(t, strlen(t), &m, why, sizeof why), 0);
	assert_int_equal(m.v[0].offset, 8192);
	assert_int_equal(m.v[0].length, 10000 - 8192);
	bm_map_free(&m);
	free(t);
}

static void test_parse_refuses(void **state)
{
	(void)state;
	char *t;
#define BAD(version, fields, ranges, reason)              \
	t = doc(version, fields, ranges);                 \
	expect_bad(t, reason);                            \
	free(t);
	BAD("1.4", GOOD, "", "version 1.4 is not supported");
	BAD("3.0", GOOD, "", "version 3.0");
	BAD("2.0", FIELDS("16384", "4096", "4", "3", "sha1"), "", "must be sha256");
	BAD("2.0", FIELDS("16384", "4096", "5", "0", "sha256"), "", "does not match <ImageSize>");
	BAD("2.0", FIELDS("16384", "3000", "6", "0", "sha256"), "", "not a power of two");
	BAD("2.0", FIELDS("0", "4096", "0", "0", "sha256"), "", "out of range");
	BAD("2.0", FIELDS("16384", "4096", "4", "-1", "sha256"), "", "not a number");
	BAD("2.0", FIELDS("99999999999999999999999", "4096", "4", "0", "sha256"), "", "not a number");
	BAD("2.0", GOOD, "<Range " SUM "> 0-3 </Range>\n", "<MappedBlocksCount> 3 does not match");
	BAD("2.0", GOOD, "<Range " SUM "> 2-1 </Range>\n", "outside");
	BAD("2.0", GOOD, "<Range " SUM "> 3-4 </Range>\n", "outside");
	BAD("2.0", GOOD, "<Range " SUM "> 1-2 </Range>\n<Range " SUM "> 2 </Range>\n", "overlap");
	BAD("2.0", GOOD, "<Range " SUM "> 3 </Range>\n<Range " SUM "> 0-1 </Range>\n", "overlap or precede");
	BAD("2.0", GOOD, "<Range chksum=\"abc\"> 0-2 </Range>\n", "not a SHA-256");
	BAD("2.0", GOOD, "<Range> 0-2 </Range>\n", "not a SHA-256");
	BAD("2.0", GOOD, "<Range " SUM " extra=\"1\"> 0-2 </Range>\n", "unexpected attribute");
	BAD("2.0", GOOD, "<Range " SUM "> 0 - 2 </Range>\n", "not FIRST-LAST");
	BAD("2.0", GOOD, "<Range " SUM "> +0-2 </Range>\n", "not FIRST-LAST");
	BAD("2.0", GOOD, "<Range " SUM "></Range>\n", "not FIRST-LAST");
	BAD("2.0", GOOD, "<Range " SUM "><b>1</b></Range>\n", "no block numbers");
	BAD("2.0", GOOD, "<Block " SUM "> 0-2 </Block>\n", "unexpected element <Block>");
	BAD("2.0", GOOD "<Extra/>\n", "", "unknown element <Extra>");
	BAD("2.0", GOOD "<ImageSize> 16384 </ImageSize>\n", "", "appears twice");
	BAD("2.0", FIELDS("16384", "4096", "4", "3", "sha256"), "<Range " SUM "> 0-2 </Range>\ntext\n",
	    "unexpected text");
	BAD("2.0", "<ImageSize> 16384 </ImageSize>\n", "", "is missing");
#undef BAD
	expect_bad("<bmap", "not well-formed");
	expect_bad("<other version=\"2.0\"/>", "root element");
	expect_bad("<?xml version=\"1.0\"?>\n<!DOCTYPE bmap [<!ENTITY x \"y\">]>\n<bmap version=\"2.0\"/>", "DOCTYPE");
	/* a right document with one byte changed: the file checksum catches it */
	t = doc("2.0", GOOD, "<Range " SUM "> 0-2 </Range>\n");
	*strstr(t, "0-2") = '1';
	expect_bad(t, "BmapFileChecksum");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_stops),
		cmocka_unit_test(test_bmaptool_reads_ours),
		cmocka_unit_test(test_long_run_split),
		cmocka_unit_test(test_we_read_bmaptools),
		cmocka_unit_test(test_parse_good_minimal),
		cmocka_unit_test(test_parse_refuses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
