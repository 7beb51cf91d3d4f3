/* images/ext4_edit.c: one file read from and written into the root ext4 of
 * a real kiln image in place; e2fsck -fn and debugfs are the oracles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include "images/ext4_edit.h"
#include "images/gpt.h"
#include "lib/fileio.h"
#include "image_util.h"
#include "mini_image.h"

#define MiB (1024 * 1024ULL)

static struct mini_dir md;
static char *dir, *img;
static uint64_t root_off, root_size;

static int setup(void **state)
{
	(void)state;
	mini_dir_make(&md, 128, "minio", 2, 5);
	dir = md.dir;
	img = md.img;
	struct gpt_layout g;
	assert_int_equal(gpt_plan(128 * MiB, 40 * MiB, "test/minio", &g), 0);
	root_off = g.root_offset;
	root_size = g.root_size;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mini_dir_done(&md);
	return 0;
}

/* The root filesystem extracted, for e2fsck and debugfs. */
static char *extract(void)
{
	char *p = xasprintf("%s/root.ext4", dir);
	int st;
	char *out = run_cmd(&st, "dd if='%s' of='%s' bs=1M skip=%llu count=%llu status=none", img, p,
			    (unsigned long long)(root_off / MiB), (unsigned long long)(root_size / MiB));
	assert_int_equal(st, 0);
	free(out);
	return p;
}

static void test_read(void **state)
{
	(void)state;
	char *t;
	size_t n;
	assert_int_equal(ext4_read_file_at(img, root_off, "/etc/kiln/role", 64, &t, &n), 0);
	assert_string_equal(t, "minio\n");
	assert_int_equal(n, 6);
	free(t);
	capture_log();
	assert_int_equal(ext4_read_file_at(img, root_off, "/etc/kiln/nope", 64, &t, &n), -ENOENT);
	assert_int_equal(ext4_read_file_at(img, root_off, "/nodir/x", 64, &t, &n), -ENOENT);
	assert_int_equal(ext4_read_file_at(img, root_off, "/var/data", 64, &t, &n), -EFBIG);
	assert_int_equal(ext4_read_file_at(img, root_off, "/etc/kiln", 64, &t, &n), -EINVAL);
	assert_int_equal(ext4_read_file_at(img, root_off, "relative", 64, &t, &n), -EINVAL);
	/* the ESP is no ext4 */
	assert_int_equal(ext4_read_file_at(img, MiB, "/etc/kiln/role", 64, &t, &n), -EMEDIUMTYPE);
	assert_non_null(strstr(last_error, "no ext4 filesystem at byte 1048576"));
	log_set_sink(NULL, NULL);
}

static void test_put_new_and_replace(void **state)
{
	(void)state;
	const char *seed = "kiln-seed:v=1;example\n";
	assert_int_equal(ext4_put_file_at(img, root_off, "/etc/kiln/seed", seed, strlen(seed), 0600, 0, 0,
					  1700000000), 0);
	char *t;
	size_t n;
	assert_int_equal(ext4_read_file_at(img, root_off, "/etc/kiln/seed", 4096, &t, &n), 0);
	assert_string_equal(t, seed);
	free(t);
	char *root = extract();
	int st;
	char *out = run_cmd(&st, "e2fsck -fn '%s'", root);
	if (st != 0)
		fail_msg("e2fsck: %s", out);
	free(out);
	out = run_cmd(&st, "debugfs -R 'stat /etc/kiln/seed' '%s'", root);
	assert_non_null(strstr(out, "Mode:  0600"));
	assert_non_null(strstr(out, "User:     0   Group:     0"));
	free(out);
	free(root);

	/* replaced by a longer, then a shorter content (its old blocks freed) */
	char *big = xmalloc(100000);
	memset(big, 'b', 100000);
	assert_int_equal(ext4_put_file_at(img, root_off, "/etc/kiln/seed", big, 100000, 0640, 1000, 1000, 1), 0);
	assert_int_equal(ext4_put_file_at(img, root_off, "/etc/kiln/seed", "x\n", 2, 0600, 0, 0, 2), 0);
	assert_int_equal(ext4_read_file_at(img, root_off, "/etc/kiln/seed", 4096, &t, &n), 0);
	assert_string_equal(t, "x\n");
	free(t);
	free(big);
	root = extract();
	out = run_cmd(&st, "e2fsck -fn '%s'", root);
	if (st != 0)
		fail_msg("e2fsck after replacing: %s", out);
	free(out);
	free(root);
}

static void test_put_refuses(void **state)
{
	(void)state;
	capture_log();
	assert_int_equal(ext4_put_file_at(img, root_off, "/nodir/seed", "x", 1, 0600, 0, 0, 1), -ENOENT);
	assert_non_null(strstr(last_error, "has no directory for /nodir/seed"));
	assert_int_equal(ext4_put_file_at(img, root_off, "/etc/kiln", "x", 1, 0600, 0, 0, 1), -EEXIST);
	assert_non_null(strstr(last_error, "is not a plain file"));
	assert_int_equal(ext4_put_file_at(img, MiB, "/etc/kiln/seed", "x", 1, 0600, 0, 0, 1), -EMEDIUMTYPE);
	assert_int_equal(ext4_put_file_at("/nonexistent.img", root_off, "/etc/kiln/seed", "x", 1, 0600, 0, 0, 1) < 0, 1);
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_put_new_and_replace),
		cmocka_unit_test(test_put_refuses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
