/* baremetal/gpt_move.c: the image's GPT read from its first and last MiB,
 * and moved to the end of a larger disk; sgdisk -v and sfdisk are the
 * oracles for the disk the buffers make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include "baremetal/gpt_move.h"
#include "images/gpt.h"
#include "lib/fileio.h"
#include "image_util.h"
#include "mini_image.h"

#define MiB (1024 * 1024ULL)
#define IMG (128 * MiB)

static struct mini_dir md;
static char *dir, *img;
static uint8_t head[BM_MIB], tail[BM_MIB];

static int setup(void **state)
{
	(void)state;
	mini_dir_make(&md, 128, "mysql", 1, 3);
	dir = md.dir;
	img = md.img;
	read_at(img, 0, head, BM_MIB);
	read_at(img, IMG - BM_MIB, tail, BM_MIB);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mini_dir_done(&md);
	return 0;
}

static void test_read(void **state)
{
	(void)state;
	struct bm_gpt g;
	assert_int_equal(bm_gpt_read(head, tail, IMG, &g), 0);
	struct gpt_layout want;
	assert_int_equal(gpt_plan(IMG, 40 * MiB, "test/mysql", &want), 0);
	assert_int_equal(g.esp_offset, want.esp_offset);
	assert_int_equal(g.esp_size, want.esp_size);
	assert_int_equal(g.root_offset, want.root_offset);
	assert_int_equal(g.root_size, want.root_size);
}

static void test_read_refuses(void **state)
{
	(void)state;
	struct bm_gpt g;
	static uint8_t zero[BM_MIB];
	capture_log();
	assert_int_equal(bm_gpt_read(zero, tail, IMG, &g), -EMEDIUMTYPE);
	assert_non_null(strstr(last_error, "not a kiln disk image"));
	/* the backup where a larger image would have it: not this image's end */
	assert_int_equal(bm_gpt_read(head, tail, IMG + 8 * MiB, &g), -EMEDIUMTYPE);
	log_set_sink(NULL, NULL);
}

static void test_move(void **state)
{
	(void)state;
	uint64_t disk = 300 * MiB + 512 * 7;   /* not a whole MiB, as real disks are not */
	static uint8_t nh[BM_MIB], nit[BM_MIB], ndt[BM_MIB];
	assert_int_equal(bm_gpt_move(head, tail, IMG, disk, nh, nit, ndt), 0);
	/* the disk those buffers make, with the image's middle */
	char *d = xasprintf("%s/disk.raw", dir);
	int st;
	char *out = run_cmd(&st, "cp --sparse=always '%s' '%s' && truncate -s %llu '%s'", img, d,
			    (unsigned long long)disk, d);
	assert_int_equal(st, 0);
	free(out);
	write_at(d, IMG - BM_MIB, nit, BM_MIB);
	write_at(d, disk - BM_MIB, ndt, BM_MIB);
	write_at(d, 0, nh, BM_MIB);
	out = run_cmd(&st, "sgdisk -v '%s'", d);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "No problems found"));
	free(out);
	out = run_cmd(&st, "sfdisk -d '%s'", d);
	char want[64];
	snprintf(want, sizeof want, "last-lba: %llu", (unsigned long long)(disk / 512 - 34));
	assert_non_null(strstr(out, want));
	free(out);
	/* the partitions did not move, and the old backup is gone from mid-disk */
	assert_memory_equal(nh + 1024, head + 1024, 32 * 512);
	static const uint8_t zero[33 * 512];
	assert_memory_equal(nit + BM_MIB - sizeof zero, zero, sizeof zero);
	assert_memory_equal(nit, tail, BM_MIB - sizeof zero);
	assert_memory_equal(ndt + BM_MIB - 512, "EFI PART", 8);
	free(d);

	/* same size: nothing moves */
	assert_int_equal(bm_gpt_move(head, tail, IMG, IMG, nh, nit, ndt), 0);
	assert_memory_equal(nh, head, BM_MIB);
	assert_memory_equal(nit, tail, BM_MIB);
	capture_log();
	assert_int_equal(bm_gpt_move(head, tail, IMG, IMG - MiB, nh, nit, ndt), -EINVAL);
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_refuses),
		cmocka_unit_test(test_move),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
