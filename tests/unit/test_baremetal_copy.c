/* baremetal/copy.c with file targets: ranges written (and, with read_back,
 * read back), holes
 * zeroed, the first and last MiB held back; and its faults, each a real
 * kernel error: a range whose SHA-256 is wrong, a write past RLIMIT_FSIZE
 * (EFBIG), a read back that differs (an O_APPEND descriptor writes
 * elsewhere; without read_back nothing notices), an image shorter than its map, an interruption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include "baremetal/copy.h"
#include "baremetal/gpt_move.h"
#include "lib/fileio.h"
#include "image_util.h"

#define MiB (1024 * 1024ULL)
#define SIZE (24 * MiB)

static char *dir, *img, *tgt;
static struct bm_map map;
static int src;

/* A 24 MiB image: data in the first MiB, across the 1 MiB boundary, a
 * 10 MiB run (more than one chunk) and in the last MiB. */
static int setup(void **state)
{
	(void)state;
	dir = make_tmpdir();
	img = xasprintf("%s/img.raw", dir);
	tgt = xasprintf("%s/target.raw", dir);
	make_sparse(img, SIZE);
	fill_at(img, 0, 8192, 1);
	fill_at(img, MiB - 4096, 12288, 2);
	fill_at(img, 4 * MiB, 10 * MiB, 3);
	fill_at(img, SIZE - 64 * 1024, 4096, 4);
	src = open(img, O_RDONLY);
	assert_int_equal(bm_map_scan(src, SIZE, 4096, NULL, NULL, &map), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(src);
	bm_map_free(&map);
	rm_rf(dir);
	free(dir);
	free(img);
	free(tgt);
	return 0;
}

/* A target larger than the image, full of 0xAA. */
static int garbage_target(uint64_t size)
{
	int fd = open(tgt, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char *b = xmalloc(MiB);
	memset(b, 0xAA, MiB);
	for (uint64_t o = 0; o < size; o += MiB)
		assert_int_equal(pwrite(fd, b, MiB, (off_t)o), (ssize_t)MiB);
	free(b);
	return fd;
}

static uint64_t last_done, last_total;
static int calls;
static void progress(void *ud, enum bm_phase ph, uint64_t done, uint64_t total)
{
	(void)ud;
	assert_int_equal(ph, BM_PHASE_WRITE);
	assert_true(done >= last_done || calls == 0);
	assert_true(done <= total);
	last_done = done;
	last_total = total;
	calls++;
}

static struct bm_copy copy_to(int fd, int dfd, bool fresh)
{
	struct bm_copy c = { .src_fd = src, .map = &map, .fd = fd, .dfd = dfd, .fresh = fresh,
			     .watch = { .progress = progress }, .head = xmalloc(BM_MIB), .tail = xmalloc(BM_MIB) };
	calls = 0;
	last_done = last_total = 0;
	return c;
}

static void free_copy(struct bm_copy *c)
{
	free(c->head);
	free(c->tail);
}

/* target == image between the first and last MiB, garbage outside them. */
static void check_target(const struct bm_copy *c, bool garbage_edges)
{
	char *a, *b;
	size_t na, nb;
	assert_int_equal(read_file(img, 2 * SIZE, &a, &na), 0);
	assert_int_equal(read_file(tgt, 2 * SIZE, &b, &nb), 0);
	assert_true(nb >= SIZE);
	assert_memory_equal(a + MiB, b + MiB, SIZE - 2 * MiB);
	assert_memory_equal(c->head, a, MiB);
	assert_memory_equal(c->tail, a + SIZE - MiB, MiB);
	if (garbage_edges) {
		for (size_t i = 0; i < MiB; i += 4096) {
			assert_int_equal((unsigned char)b[i], 0xAA);
			assert_int_equal((unsigned char)b[SIZE - MiB + i], 0xAA);
		}
	}
	free(a);
	free(b);
}

static void test_copy_direct_and_buffered(void **state)
{
	(void)state;
	for (int mode = 0; mode < 4; mode++) {
		bool direct = mode & 1, read_back = mode & 2;
		int fd = garbage_target(SIZE + 4 * MiB);
		int dfd = direct ? open(tgt, O_RDWR | O_DIRECT) : -1;
		if (direct)
			assert_true(dfd >= 0);
		struct bm_copy c = copy_to(fd, dfd, false);
		c.read_back = read_back;
		assert_int_equal(bm_copy_run(&c), 0);
		check_target(&c, true);
		/* data between the held-back MiBs: 4 KiB after the boundary + 10 MiB */
		assert_int_equal(c.written, 8192 + 10 * MiB);
		assert_true(c.zeroed > 0);
		assert_true(calls >= 3);
		assert_int_equal(last_done, last_total);
		assert_int_equal(last_total, c.written);
		free_copy(&c);
		if (dfd >= 0)
			close(dfd);
		close(fd);
	}
}

static void test_fresh_file(void **state)
{
	(void)state;
	int fd = open(tgt, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	struct bm_copy c = copy_to(fd, -1, true);
	assert_int_equal(bm_copy_run(&c), 0);
	assert_int_equal(c.zeroed, 0);   /* nothing to punch in a file just made */
	check_target(&c, false);
	free_copy(&c);
	close(fd);
}

static void test_bad_checksum(void **state)
{
	(void)state;
	int fd = garbage_target(SIZE);
	map.v[2].sha256[0] ^= 1;
	struct bm_copy c = copy_to(fd, -1, false);
	assert_int_equal(bm_copy_run(&c), -EBADMSG);
	assert_int_equal(c.fail_offset, map.v[2].offset);
	assert_non_null(strstr(c.fail_step, "SHA-256"));
	map.v[2].sha256[0] ^= 1;
	free_copy(&c);
	close(fd);
}

static void test_cancel(void **state)
{
	(void)state;
	int fd = garbage_target(SIZE);
	volatile sig_atomic_t stop = 1;
	struct bm_copy c = copy_to(fd, -1, false);
	c.watch.cancel = &stop;
	assert_int_equal(bm_copy_run(&c), -ECANCELED);
	free_copy(&c);
	close(fd);
}

static void test_write_error(void **state)
{
	(void)state;
	int fd = garbage_target(SIZE);
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 5 * MiB;   /* the 10 MiB run at 4 MiB crosses it */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct bm_copy c = copy_to(fd, -1, false);
	int r = bm_copy_run(&c);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -EFBIG);
	assert_string_equal(c.fail_step, "writing");
	assert_true(c.fail_offset >= 4 * MiB && c.fail_offset < 14 * MiB);
	free_copy(&c);
	close(fd);
}

/* O_APPEND: every pwrite lands at the end of the file, not where asked. */
static int appending_target(void)
{
	close(garbage_target(SIZE));
	return open(tgt, O_RDWR | O_APPEND);
}

static void test_read_back_differs(void **state)
{
	(void)state;
	int fd = appending_target();
	struct bm_copy c = copy_to(fd, -1, false);
	c.read_back = true;
	assert_int_equal(bm_copy_run(&c), -EIO);
	assert_non_null(strstr(c.fail_step, "comparing"));
	free_copy(&c);
	close(fd);
}

/* Without read_back nothing reads the target: the same misplaced writes
 * go unnoticed (the range's SHA-256 is of what was read, and matches). */
static void test_no_read_back_does_not_read(void **state)
{
	(void)state;
	int fd = appending_target();
	struct bm_copy c = copy_to(fd, -1, false);
	assert_false(c.read_back);
	assert_int_equal(bm_copy_run(&c), 0);
	assert_null(c.fail_step);
	assert_int_equal(c.written, 8192 + 10 * MiB);
	free_copy(&c);
	close(fd);
}

static void test_image_shorter_than_map(void **state)
{
	(void)state;
	char *copy = xasprintf("%s/short.raw", dir);
	int st;
	char *out = run_cmd(&st, "cp --sparse=always '%s' '%s' && truncate -s 6M '%s'", img, copy, copy);
	assert_int_equal(st, 0);
	free(out);
	int s = open(copy, O_RDONLY), fd = garbage_target(SIZE);
	struct bm_copy c = copy_to(fd, -1, false);
	c.src_fd = s;
	assert_int_equal(bm_copy_run(&c), -EIO);
	assert_string_equal(c.fail_step, "reading the image");
	free_copy(&c);
	close(fd);
	close(s);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_direct_and_buffered),
		cmocka_unit_test(test_fresh_file),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_read_back_differs),
		cmocka_unit_test(test_no_read_back_does_not_read),
		cmocka_unit_test(test_image_shorter_than_map),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
