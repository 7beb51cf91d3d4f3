/* baremetal/payload.c + the packed source (source.c, copy.c, install.c):
 * a payload written from a signed mini image holds only its data ranges;
 * bm_install from it produces the same disk as from the image (cmp,
 * sgdisk); every bad header is refused with a reason; a payload whose data
 * or block map was changed is refused before the disk becomes bootable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <sys/stat.h>
#include "baremetal/install.h"
#include "baremetal/payload.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "image_util.h"
#include "mini_image.h"
#include "sign_fixture.h"

#define MiB (1024 * 1024ULL)
#define IMG (128 * MiB)

static struct mini_dir md;
static char *pay, *tgt;
static struct bm_map map;
static char *bmap_text, *sig_text;
static size_t bmap_len, sig_len;

static void read_whole(const char *path, char **out, size_t *len)
{
	assert_int_equal(read_file(path, 1 << 24, out, len), 0);
}

static int setup(void **state)
{
	(void)state;
	if (keys_make() < 0)
		return -1;
	mini_dir_make(&md, 128, "mysql", 6, 9);
	pay = xasprintf("%s/payload.bin", md.dir);
	tgt = xasprintf("%s/disk.raw", md.dir);
	sign_image(md.img, true, key, "acme", 5);
	char *bp = xasprintf("%s.bmap", md.img), *sp = xasprintf("%s.bmap.minisig", md.img);
	read_whole(bp, &bmap_text, &bmap_len);
	read_whole(sp, &sig_text, &sig_len);
	char why[128];
	assert_int_equal(bm_map_parse(bmap_text, bmap_len, &map, why, sizeof why), 0);
	free(bp);
	free(sp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bm_map_free(&map);
	free(bmap_text);
	free(sig_text);
	mini_dir_done(&md);
	free(pay);
	free(tgt);
	keys_free();
	return 0;
}

static struct bm_payload_text one_seed;

static struct bm_payload_in input(const char *seed)
{
	one_seed = (struct bm_payload_text){ seed, seed ? strlen(seed) : 0 };
	return (struct bm_payload_in){ .image = md.img, .map = &map, .bmap = bmap_text, .bmap_len = bmap_len,
				       .sig = sig_text, .sig_len = sig_len, .seeds = &one_seed, .n_seeds = 1 };
}

/* The payload at byte base of a fresh file (a partition of a medium). */
static uint64_t write_payload(uint64_t base, const char *seed)
{
	unlink(pay);
	int fd = open(pay, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct bm_payload_in in = input(seed);
	assert_int_equal(bm_payload_write(fd, base, &in, NULL, NULL), 0);
	close(fd);
	return bm_payload_size(&in);
}

static void test_size_is_the_data(void **state)
{
	(void)state;
	uint64_t size = write_payload(0, "seed-text");
	struct stat st;
	assert_int_equal(stat(pay, &st), 0);
	/* header, texts and the data rounded to a MiB: far below the image */
	assert_true(size >= map.mapped_bytes && size <= map.mapped_bytes + 3 * MiB);
	assert_true((uint64_t)st.st_size == size);
	assert_true(map.mapped_bytes < IMG / 4);
}

static int install_from(int fd, uint64_t base, uint64_t limit, bool expect_ok)
{
	struct bm_payload p;
	char why[256];
	assert_int_equal(bm_payload_open(fd, base, limit, "medium", &p, why, sizeof why), 0);
	assert_int_equal(p.n_seeds, 1);
	assert_string_equal(p.seeds[0].text, "");
	assert_string_equal(p.image, strrchr(md.img, '/') + 1);
	struct bm_install_opts o = { .disk = tgt, .source = { .payload = &p, .pub = &pub, .deployment = "acme" } };
	struct bm_install_result res;
	unlink(tgt);
	int r = bm_install(&o, &res);
	if (expect_ok) {
		assert_int_equal(r, 0);
		assert_true(res.via_bmap && res.verified);
		assert_int_equal(res.version, 5);
	}
	bm_install_result_free(&res);
	bm_payload_free(&p);
	return r;
}

static void test_install_from_payload(void **state)
{
	(void)state;
	uint64_t base = 3 * MiB;   /* as in a partition */
	uint64_t size = write_payload(base, NULL);
	int fd = open(pay, O_RDONLY | O_CLOEXEC);
	capture_log();
	install_from(fd, base, size, true);
	log_set_sink(NULL, NULL);
	close(fd);
	int st;
	char *out = run_cmd(&st, "cmp -i 1048576 -n %llu '%s' '%s'", (unsigned long long)(IMG - 2 * MiB), md.img, tgt);
	if (st != 0)
		fail_msg("target differs from the image: %s", out);
	free(out);
	out = run_cmd(&st, "sgdisk -v '%s'", tgt);
	if (st != 0 || !strstr(out, "No problems found"))
		fail_msg("sgdisk -v: %s", out);
	free(out);
	/* the partition table too: the first MiB came out of the packed ranges */
	out = run_cmd(&st, "cmp -n 983040 '%s' '%s'", md.img, tgt);
	if (st != 0)
		fail_msg("first MiB differs: %s", out);
	free(out);
}

/* One byte of the packed data changed: refused, the disk never bootable. */
static void test_changed_data_refused(void **state)
{
	(void)state;
	uint64_t size = write_payload(0, NULL);
	struct bm_payload p;
	char why[256];
	int fd = open(pay, O_RDWR | O_CLOEXEC);
	assert_int_equal(bm_payload_open(fd, 0, size, "medium", &p, why, sizeof why), 0);
	uint64_t at = p.data_off + p.data_len / 2;
	bm_payload_free(&p);
	uint8_t b;
	assert_int_equal(pread_full(fd, &b, 1, at), 0);
	b ^= 0x40;
	assert_int_equal(pwrite_full(fd, &b, 1, at), 0);
	capture_log();
	assert_int_equal(install_from(fd, 0, size, false), -EBADMSG);
	log_set_sink(NULL, NULL);
	close(fd);
	int st;
	char *out = run_cmd(&st, "sfdisk --json '%s'", tgt);
	assert_int_not_equal(st, 0);
	free(out);
}

/* The block map edited (a range's hash, its signature no longer matches). */
static void test_changed_bmap_refused(void **state)
{
	(void)state;
	uint64_t size = write_payload(0, NULL);
	int fd = open(pay, O_RDWR | O_CLOEXEC);
	struct bm_payload p;
	char why[256];
	assert_int_equal(bm_payload_open(fd, 0, size, "medium", &p, why, sizeof why), 0);
	char *h = strstr(p.bmap, "chksum=\"");
	assert_non_null(h);
	uint64_t at = p.bmap_off + (uint64_t)(h - p.bmap) + 8;
	char c = p.bmap[h - p.bmap + 8] == 'a' ? 'b' : 'a';
	assert_int_equal(pwrite_full(fd, &c, 1, at), 0);
	bm_payload_free(&p);
	capture_log();
	assert_int_equal(install_from(fd, 0, size, false), -EKEYREJECTED);
	log_set_sink(NULL, NULL);
	close(fd);
	assert_int_equal(access(tgt, F_OK), -1);   /* not even created */
}

static int parse(const char *text, uint64_t limit, char *why)
{
	uint8_t block[BM_PAYLOAD_HEADER] = { 0 };
	memcpy(block, text, strlen(text));
	struct bm_payload p;
	int r = bm_payload_parse_header(block, limit, &p, why, 256);
	if (r == 0)
		bm_payload_free(&p);
	return r;
}

static void test_bad_headers(void **state)
{
	(void)state;
	char why[256];
	const char *good = "kiln-payload 1\nimage a.raw\nimage-size 4194304\nbmap 4096 100\nbmap-sig 8192 50\n"
			   "seed 12288 0\ndata 1048576 2097152\nend\n";
	assert_int_equal(parse(good, 4 * MiB, why), 0);
	static const struct { const char *text; uint64_t limit; const char *why; } cases[] = {
		{ "kiln-payload 2\n", 4 * MiB, "no kiln payload header" },
		{ "kiln-payload 1\nimage a b\n", 4 * MiB, "image line" },
		{ "kiln-payload 1\nimage a.raw\nimage-size -1\n", 4 * MiB, "image-size" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096\n", 4 * MiB, "bmap line" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 67108865\n", 4 * MiB, "over its limit" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 100 10\n", 4 * MiB, "outside the payload" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 4100 10\n", 4 * MiB,
		  "the bmap-sig overlaps the part before it" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 0\n"
		  "data 1048576 18446744073709551615\nend\n", 4 * MiB, "outside the payload" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 0\n"
		  "data 1048576 10\nfin\n", 4 * MiB, "does not end" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 0\n"
		  "data 1048576 10\nend\nmore", 4 * MiB, "bytes after" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 0\n"
		  "data 1048576 0\nend\n", 4 * MiB, "no block map, signature or data" },
		{ "kiln-payload 1\nimage a\x01.raw\n", 4 * MiB, "image line" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\n"
		  "data 1048576 10\nend\n", 4 * MiB, "seed line is missing" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 5000\n"
		  "seed 16384 10\ndata 1048576 10\nend\n", 4 * MiB, "the seed overlaps the part before it" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 10\n"
		  "seed 16384 1048577\ndata 1048576 10\nend\n", 4 * MiB, "the seed is 1048577 bytes, over its limit" },
		{ "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\nseed 12288 10\n"
		  "seed 16384 10\ndata 16000 10\nend\n", 4 * MiB, "the data overlaps the part before it" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (parse(cases[i].text, cases[i].limit, why) != -EBADMSG)
			fail_msg("case %zu accepted", i);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, why, cases[i].why);
	}
	/* a text holding a NUL byte */
	uint64_t size = write_payload(0, "seed");
	int fd = open(pay, O_RDWR | O_CLOEXEC);
	struct bm_payload p;
	assert_int_equal(bm_payload_open(fd, 0, size, "medium", &p, why, sizeof why), 0);
	uint64_t at = p.seeds[0].off + 1;
	bm_payload_free(&p);
	assert_int_equal(pwrite_full(fd, "", 1, at), 0);
	assert_int_equal(bm_payload_open(fd, 0, size, "medium", &p, why, sizeof why), -EBADMSG);
	assert_non_null(strstr(why, "NUL"));
	assert_int_equal(bm_payload_open(fd, 0, 100, "medium", &p, why, sizeof why), -EBADMSG);
	close(fd);
}

/* A per-role medium's payload: several seeds, each read back in order; more
 * than BM_PAYLOAD_SEEDS refused both ways. */
static void test_seeds(void **state)
{
	(void)state;
	struct bm_payload_text seeds[] = { { "seed-of-db1", 11 }, { NULL, 0 }, { "seed-of-db3", 11 } };
	struct bm_payload_in in = input(NULL);
	in.seeds = seeds;
	in.n_seeds = 3;
	unlink(pay);
	int fd = open(pay, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(bm_payload_write(fd, 0, &in, NULL, NULL), 0);
	struct bm_payload p;
	char why[256];
	assert_int_equal(bm_payload_open(fd, 0, bm_payload_size(&in), "medium", &p, why, sizeof why), 0);
	assert_int_equal(p.n_seeds, 3);
	assert_string_equal(p.seeds[0].text, "seed-of-db1");
	assert_string_equal(p.seeds[1].text, "");
	assert_string_equal(p.seeds[2].text, "seed-of-db3");
	assert_true(p.seeds[0].off < p.seeds[1].off && p.seeds[2].off < p.data_off);
	bm_payload_free(&p);

	struct bm_payload_text many[BM_PAYLOAD_SEEDS + 1];
	for (size_t i = 0; i <= BM_PAYLOAD_SEEDS; i++)
		many[i] = (struct bm_payload_text){ "s", 1 };
	in.seeds = many;
	in.n_seeds = BM_PAYLOAD_SEEDS;
	assert_int_equal(bm_payload_write(fd, 0, &in, NULL, NULL), 0);
	assert_int_equal(bm_payload_open(fd, 0, bm_payload_size(&in), "medium", &p, why, sizeof why), 0);
	assert_int_equal(p.n_seeds, BM_PAYLOAD_SEEDS);
	bm_payload_free(&p);
	in.n_seeds = BM_PAYLOAD_SEEDS + 1;
	assert_int_equal(bm_payload_write(fd, 0, &in, NULL, NULL), -EINVAL);
	in.n_seeds = 0;
	assert_int_equal(bm_payload_write(fd, 0, &in, NULL, NULL), -EINVAL);
	close(fd);

	/* a header listing one seed too many */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "kiln-payload 1\nimage a.raw\nimage-size 5\nbmap 4096 10\nbmap-sig 8192 10\n");
	for (unsigned i = 0; i <= BM_PAYLOAD_SEEDS; i++)
		buf_printf(&b, "seed %u 1\n", 12288 + i);
	buf_puts(&b, "data 1048576 10\nend\n");
	assert_true(b.len <= BM_PAYLOAD_HEADER);
	assert_int_equal(parse(b.data, 4 * MiB, why), -EBADMSG);
	assert_string_equal(why, "the header lists more than 100 seeds");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_is_the_data),
		cmocka_unit_test(test_install_from_payload),
		cmocka_unit_test(test_changed_data_refused),
		cmocka_unit_test(test_changed_bmap_refused),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
