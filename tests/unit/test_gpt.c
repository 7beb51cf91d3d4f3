/* images/gpt.c + images/ident.c: the partition table, checked with sgdisk
 * and sfdisk as oracles and at the byte level (formats.md §5.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include "images/gpt.h"
#include "images/ident.h"
#include "image_util.h"

#define MiB (1024 * 1024ULL)

static void test_ident_deterministic_v4(void **state)
{
	(void)state;
	uint8_t a[16], b[16], c[16];
	ident_guid("acme/mysql", "root", a);
	ident_guid("acme/mysql", "root", b);
	ident_guid("acme/minio", "root", c);
	assert_memory_equal(a, b, 16);
	assert_memory_not_equal(a, c, 16);
	ident_guid("acme/mysql", "esp", c);
	assert_memory_not_equal(a, c, 16);
	char s[GUID_STR_LEN + 1];
	guid_format(a, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(s[8], '-');
	assert_int_equal(s[14], '4');                   /* version 4 */
	assert_non_null(strchr("89AB", s[19]));         /* RFC 4122 variant */
	/* Separator: ("ab","c") and ("a","bc") differ. */
	ident_bytes("ab", "c", a);
	ident_bytes("a", "bc", b);
	assert_memory_not_equal(a, b, 16);
	assert_int_equal(ident_u32("x", "esp"), ident_u32("x", "esp"));
}

static void test_plan_sizes(void **state)
{
	(void)state;
	struct gpt_layout l;
	assert_int_equal(gpt_plan(1024 * MiB, 0, "t", &l), 0);
	assert_int_equal(l.esp_offset, MiB);
	assert_int_equal(l.esp_size, 256 * MiB);
	assert_int_equal(l.root_offset, 257 * MiB);
	assert_int_equal(l.root_size, (1024 - 258) * MiB);
	/* Sizes round up to whole MiB. */
	assert_int_equal(gpt_plan(1024 * MiB + 1, 40 * MiB + 1, "t", &l), 0);
	assert_int_equal(l.esp_size, 41 * MiB);
	assert_int_equal(l.root_offset + l.root_size, 1024 * MiB);
	assert_string_not_equal(l.root_partuuid, l.esp_partuuid);
}

static void test_plan_refuses_small(void **state)
{
	(void)state;
	struct gpt_layout l;
	capture_log();
	assert_int_equal(gpt_plan(200 * MiB, 0, "t", &l), -ENOSPC);
	assert_non_null(strstr(last_error, "need at least 290 MiB"));
	assert_int_equal(gpt_plan(100 * MiB, 16 * MiB, "t", &l), -EINVAL);
	assert_non_null(strstr(last_error, "FAT32 minimum"));
	assert_int_equal(gpt_plan(UINT64_MAX, 0, "t", &l), -EINVAL);
	assert_int_equal(gpt_plan(1024 * MiB, UINT64_MAX - 2 * MiB, "t", &l), -EINVAL);
	assert_non_null(strstr(last_error, "out of range"));
	log_set_sink(NULL, NULL);
}

static char *write_table(const char *dir, const char *name, const char *identity, struct gpt_layout *l)
{
	char *p = xasprintf("%s/%s", dir, name);
	make_sparse(p, 512 * MiB);
	assert_int_equal(gpt_plan(512 * MiB, 0, identity, l), 0);
	assert_int_equal(gpt_write(p, l), 0);
	return p;
}

static void test_write_passes_oracles(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	struct gpt_layout l;
	char *img = write_table(dir, "a.img", "acme/mysql", &l);
	int st;

	char *out = run_cmd(&st, "sgdisk -v '%s'", img);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "No problems found"));
	free(out);

	out = run_cmd(&st, "sfdisk --json '%s'", img);
	assert_int_equal(st, 0);
	char *esp = strstr(out, "\"start\": 2048");
	assert_non_null(esp);
	assert_non_null(strstr(esp, "\"size\": 524288"));
	assert_non_null(strstr(out, "\"type\": \"" GPT_TYPE_ESP "\""));
	assert_non_null(strstr(out, "\"name\": \"ESP\""));
	char *root = strstr(out, "\"type\": \"" GPT_TYPE_ROOT_X64 "\"");
	assert_non_null(root);
	assert_non_null(strstr(root, "\"name\": \"root\""));
	assert_non_null(strstr(root, "\"attrs\": \"GUID:59\""));
	char *want = xasprintf("\"uuid\": \"%s\"", l.root_partuuid);
	assert_non_null(strstr(root, want));
	free(want);
	want = xasprintf("\"id\": \"%s\"", l.disk_guid);
	assert_non_null(strstr(out, want));
	free(want);
	free(out);

	/* Byte level: protective MBR, GPT signature, mixed-endian disk GUID. */
	unsigned char s[1024];
	FILE *f = fopen(img, "rb");
	assert_non_null(f);
	assert_int_equal(fread(s, 1, sizeof s, f), sizeof s);
	fclose(f);
	assert_int_equal(s[0x1C2], 0xEE);
	assert_int_equal(s[510], 0x55);
	assert_int_equal(s[511], 0xAA);
	assert_memory_equal(s + 512, "EFI PART", 8);
	uint8_t g[16];
	ident_guid("acme/mysql", "disk", g);
	const unsigned char *d = s + 512 + 56;
	assert_int_equal(d[0], g[3]);
	assert_int_equal(d[3], g[0]);
	assert_int_equal(d[4], g[5]);
	assert_int_equal(d[6], g[7]);
	assert_memory_equal(d + 8, g + 8, 8);

	/* Same identity => same bytes; other identity => other ids. */
	struct gpt_layout l2;
	char *img2 = write_table(dir, "b.img", "acme/mysql", &l2);
	out = run_cmd(&st, "cmp '%s' '%s'", img, img2);
	assert_int_equal(st, 0);
	free(out);
	free(img2);
	img2 = write_table(dir, "c.img", "acme/minio", &l2);
	assert_string_not_equal(l.root_partuuid, l2.root_partuuid);
	free(img2);

	free(img);
	rm_rf(dir);
	free(dir);
}

static void test_write_missing_file(void **state)
{
	(void)state;
	struct gpt_layout l;
	capture_log();
	assert_int_equal(gpt_plan(512 * MiB, 0, "t", &l), 0);
	assert_true(gpt_write("/nonexistent/kiln.img", &l) < 0);
	assert_non_null(strstr(last_error, "/nonexistent/kiln.img"));
	/* A file of another size than planned is refused, not half-partitioned. */
	char *dir = make_tmpdir();
	char *p = xasprintf("%s/small.img", dir);
	make_sparse(p, 300 * MiB);
	assert_int_equal(gpt_write(p, &l), -EINVAL);
	assert_non_null(strstr(last_error, "does not match"));
	free(p);
	rm_rf(dir);
	free(dir);
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident_deterministic_v4),
		cmocka_unit_test(test_plan_sizes),
		cmocka_unit_test(test_plan_refuses_small),
		cmocka_unit_test(test_write_passes_oracles),
		cmocka_unit_test(test_write_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
