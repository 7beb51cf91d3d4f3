/* baremetal/install.c + source.c end to end with file targets: signatures
 * (bmap and whole image; every way a signature is refused is in
 * test_baremetal_source.c) checked before a byte is written, refusals that
 * need the image (too small, the image itself, not blank, damaged record,
 * downgrade), the write order (a failed or interrupted install leaves no
 * partition table and a rerun finishes it), the GPT moved on a larger disk.
 * sgdisk, sfdisk, blkid and cmp are the oracles. Seeds are covered by
 * tests/cli/install.sh, which makes real ones with kiln seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdint.h>
#include "baremetal/install.h"
#include "lib/fileio.h"
#include "image_util.h"
#include "mini_image.h"
#include "sign_fixture.h"

#define MiB (1024 * 1024ULL)
#define IMG (128 * MiB)

static struct mini_dir md;
static char *dir, *img, *tgt;

static int setup(void **state)
{
	(void)state;
	mini_dir_make(&md, 128, "mysql", 6, 9);
	dir = md.dir;
	img = md.img;
	tgt = xasprintf("%s/disk.raw", dir);
	return keys_make();
}

static int teardown(void **state)
{
	(void)state;
	mini_dir_done(&md);
	free(tgt);
	keys_free();
	return 0;
}

static int each_setup(void **state)
{
	(void)state;
	unlink(tgt);
	sign_image(img, true, key, "acme", 5);
	capture_log();
	return 0;
}

static int each_teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	return 0;
}

static struct bm_install_opts opts(void)
{
	return (struct bm_install_opts){ .disk = tgt, .source = { .image = img, .pub = &pub, .deployment = "acme" } };
}

static int install(const struct bm_install_opts *o)
{
	struct bm_install_result res;
	int r = bm_install(o, &res);
	bm_install_result_free(&res);
	return r;
}

static int sh(const char *fmt, const char *a)
{
	int st;
	char *out = run_cmd(&st, fmt, a);
	free(out);
	return st;
}

/* The target's middle equals the image; it has a valid GPT. */
static void check_installed(void)
{
	int st;
	char *out = run_cmd(&st, "cmp -i 1048576 -n %llu '%s' '%s'", (unsigned long long)(IMG - 2 * MiB), img, tgt);
	if (st != 0)
		fail_msg("target differs from the image: %s", out);
	free(out);
	out = run_cmd(&st, "sgdisk -v '%s'", tgt);
	if (st != 0 || !strstr(out, "No problems found"))
		fail_msg("sgdisk -v: %s", out);
	free(out);
}

/* No partition table, nothing any prober recognises. */
static void check_not_bootable(void)
{
	assert_int_not_equal(sh("sfdisk --json '%s'", tgt), 0);
	assert_int_not_equal(sh("blkid -p '%s'", tgt), 0);
	uint8_t b[512];
	read_at(tgt, 0, b, 512);
	static const uint8_t zero[512];
	assert_memory_equal(b, zero, 512);
}

static struct bm_record read_record(void)
{
	uint8_t *b = xmalloc(BM_RECORD_SIZE);
	read_at(tgt, BM_RECORD_OFFSET, b, BM_RECORD_SIZE);
	struct bm_record r;
	assert_int_equal(bm_record_parse(b, BM_RECORD_SIZE, &r), 0);
	free(b);
	return r;
}

static void test_install_new_file(void **state)
{
	(void)state;
	struct bm_install_opts o = opts();
	struct bm_install_result res;
	assert_int_equal(bm_install(&o, &res), 0);
	assert_true(res.verified);
	assert_false(res.read_back);   /* the default: SHA-256 of every range, no read back */
	assert_true(res.via_bmap);
	assert_false(res.gpt_moved);
	assert_int_equal(res.image_size, IMG);
	assert_int_equal(res.disk_size, IMG);
	assert_string_equal(res.deployment, "acme");
	assert_int_equal(res.version, 5);
	assert_true(res.bytes_written > 6 * MiB);
	assert_null(res.seed_host);
	bm_install_result_free(&res);
	check_installed();
	struct stat st;
	assert_int_equal(stat(tgt, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);   /* the image holds a role key */
	struct bm_record r = read_record();
	assert_int_equal(r.state, BM_RECORD_COMPLETE);
	assert_int_equal(r.version, 5);
	assert_string_equal(r.image, "img.raw");
	char *dep;
	uint64_t v;
	assert_int_equal(bm_record_carried(&r, &pub, &dep, &v, NULL), 0);
	assert_int_equal(v, 5);
	free(dep);
	bm_record_free(&r);

	/* again: the disk is not blank now */
	assert_int_equal(install(&o), -EPERM);
	assert_non_null(strstr(last_error, "is not blank"));
	o.wipe = true;
	assert_int_equal(install(&o), 0);
	check_installed();
}

static void test_whole_image_signature(void **state)
{
	(void)state;
	sign_image(img, false, key, "acme", 3);
	struct bm_install_opts o = opts();
	struct bm_install_result res;
	assert_int_equal(bm_install(&o, &res), 0);
	assert_false(res.via_bmap);
	assert_int_equal(res.version, 3);
	bm_install_result_free(&res);
	check_installed();
	/* a changed image is refused before the target is even created */
	unlink(tgt);
	int fd = open(img, O_WRONLY);
	assert_int_equal(pwrite(fd, "X", 1, 100 * MiB), 1);
	assert_int_equal(install(&o), -EKEYREJECTED);
	assert_non_null(strstr(last_error, "signature verification failed"));
	assert_int_not_equal(access(tgt, F_OK), 0);
	assert_int_equal(pwrite(fd, "\0", 1, 100 * MiB), 1);
	close(fd);
	sign_image(img, true, key, "acme", 5);
}

static void test_not_a_kiln_image(void **state)
{
	(void)state;
	char *raw = xasprintf("%s/plain.raw", dir);
	make_sparse(raw, 8 * MiB);
	sign_image(raw, true, key, "acme", 1);
	struct bm_install_opts o = opts();
	o.source.image = raw;
	assert_int_equal(install(&o), -EMEDIUMTYPE);
	assert_non_null(strstr(last_error, "no valid GPT"));
	/* a GPT image with data where kiln keeps its record */
	int st;
	char *out = run_cmd(&st, "cp --sparse=always '%s' '%s' && printf x | dd of='%s' bs=1 seek=%u conv=notrunc status=none",
			    img, raw, raw, BM_RECORD_OFFSET + 10);
	free(out);
	sign_image(raw, true, key, "acme", 1);
	assert_int_equal(install(&o), -EINVAL);
	assert_non_null(strstr(last_error, "where kiln install keeps its record"));
	assert_int_not_equal(access(tgt, F_OK), 0);
	free(raw);
}

static void test_larger_disk_moves_gpt(void **state)
{
	(void)state;
	make_sparse(tgt, 200 * MiB + 3 * 512);
	struct bm_install_opts o = opts();
	o.read_back = true;   /* a larger disk, every chunk read back */
	struct bm_install_result res;
	assert_int_equal(bm_install(&o, &res), 0);
	assert_true(res.read_back);
	assert_true(res.gpt_moved);
	assert_int_equal(res.disk_size, 200 * MiB + 3 * 512);
	bm_install_result_free(&res);
	check_installed();
	int st;
	char *out = run_cmd(&st, "sfdisk -d '%s'", tgt);
	char want[64];
	snprintf(want, sizeof want, "last-lba: %llu", (unsigned long long)((200 * MiB + 3 * 512) / 512 - 34));
	assert_non_null(strstr(out, want));
	free(out);
}

/* A range that no longer matches the signed bmap: found while copying,
 * after the first MiB was cleared: the disk does not boot; with the image
 * repaired, a rerun needs no --wipe. */
static void test_changed_image_fails_safe(void **state)
{
	(void)state;
	struct bm_install_opts o = opts();
	assert_int_equal(install(&o), 0);   /* a working install first */
	int fd = open(img, O_RDWR);
	uint8_t orig;
	uint64_t at = 50 * MiB;
	char *text;
	size_t n;
	char *bmap = xasprintf("%s.bmap", img);
	assert_int_equal(read_file(bmap, BMAP_MAX_BYTES, &text, &n), 0);
	struct bm_map m;
	assert_int_equal(bm_map_parse(text, n, &m, NULL, 0), 0);
	at = m.v[m.n / 2].offset + 10;    /* inside a mapped range */
	bm_map_free(&m);
	free(text);
	assert_int_equal(pread(fd, &orig, 1, (off_t)at), 1);
	uint8_t x = (uint8_t)(orig ^ 0xff);
	assert_int_equal(pwrite(fd, &x, 1, (off_t)at), 1);
	o.wipe = true;
	assert_int_equal(install(&o), -EBADMSG);
	assert_non_null(strstr(last_error, "does not match its signed SHA-256"));
	check_not_bootable();
	struct bm_record r = read_record();
	assert_int_equal(r.state, BM_RECORD_IN_PROGRESS);
	assert_true(r.has_carried);   /* the version it had is still proven */
	bm_record_free(&r);
	assert_int_equal(pwrite(fd, &orig, 1, (off_t)at), 1);
	close(fd);
	o.wipe = false;
	assert_int_equal(install(&o), 0);
	check_installed();
	free(bmap);
}

static volatile sig_atomic_t stop;
static void stop_midway(void *ud, enum bm_phase ph, uint64_t done, uint64_t total)
{
	(void)ud;
	(void)ph;
	if (done > 0 && done < total)
		stop = 1;
}

static void test_downgrade_and_interruption(void **state)
{
	(void)state;
	struct bm_install_opts o = opts();
	assert_int_equal(install(&o), 0);            /* the disk carries 5 */
	sign_image(img, true, key, "acme", 4);
	o.wipe = true;
	assert_int_equal(install(&o), -EPERM);
	assert_non_null(strstr(last_error, "carries version 5 of deployment acme"));
	assert_non_null(strstr(last_error, "a downgrade"));
	/* an upgrade to 6, interrupted: no partition table, still proven to carry 5 */
	sign_image(img, true, key, "acme", 6);
	stop = 0;
	o.watch = (struct bm_watch){ .progress = stop_midway, .cancel = &stop };
	assert_int_equal(install(&o), -ECANCELED);
	assert_non_null(strstr(last_error, "interrupted"));
	check_not_bootable();
	o.watch = (struct bm_watch){ 0 };
	o.wipe = false;
	sign_image(img, true, key, "acme", 4);
	assert_int_equal(install(&o), -EPERM);       /* 4 < 5, even half-written */
	o.force = true;
	assert_int_equal(install(&o), 0);            /* forced; no --wipe for kiln's own half-written disk */
	check_installed();
	/* an install signed by another key carries nothing comparable */
	o.force = false;
	o.wipe = true;
	sign_image(img, true, other, "acme", 1);
	o.source.pub = &other_pub;
	assert_int_equal(install(&o), 0);
}

static void test_check_refusals(void **state)
{
	(void)state;
	struct bm_source src = { .image = img, .size = IMG, .deployment = "acme", .version = 1, .fd = -1 };
	struct stat st;
	assert_int_equal(stat(img, &st), 0);
	src.st_dev = st.st_dev;
	src.st_ino = st.st_ino;
	/* a disk smaller than the image */
	struct bm_disk d = { .path = xstrdup("/dev/fake"), .kind = BM_TARGET_BLOCK, .size = 64 * MiB,
			     .record_state = -ENOENT };
	bm_check(&d, &bm_roots_host, &src, &pub, false, false);
	assert_true(bm_disk_refused(&d, BM_REFUSE_TOO_SMALL));
	assert_string_equal(d.refusals[0].why, "it has 64 MiB, the image needs 128 MiB");
	bm_disk_free(&d);
	/* the image itself */
	assert_int_equal(bm_disk_probe(&bm_roots_host, img, &d), 0);
	bm_check(&d, &bm_roots_host, &src, &pub, true, false);
	assert_true(bm_disk_refused(&d, BM_REFUSE_SAME_AS_IMAGE));
	bm_disk_free(&d);
	/* a damaged record: only --wipe */
	make_sparse(tgt, IMG);
	int fd = open(tgt, O_WRONLY);
	assert_int_equal(pwrite(fd, "kiln-install-record 1\nbroken\n", 29, BM_RECORD_OFFSET), 29);
	close(fd);
	assert_int_equal(bm_disk_probe(&bm_roots_host, tgt, &d), 0);
	bm_check(&d, &bm_roots_host, &src, &pub, false, false);
	assert_true(bm_disk_refused(&d, BM_REFUSE_DAMAGED_RECORD));
	assert_false(bm_disk_refused(&d, BM_REFUSE_NOT_BLANK));
	bm_disk_free(&d);
	assert_int_equal(bm_disk_probe(&bm_roots_host, tgt, &d), 0);
	bm_check(&d, &bm_roots_host, &src, &pub, true, false);
	assert_int_equal(d.n_refusals, 0);
	bm_disk_free(&d);
	/* data without a signature */
	make_sparse(tgt, IMG);
	fd = open(tgt, O_WRONLY);
	assert_int_equal(pwrite(fd, "notes", 5, 0), 5);
	close(fd);
	struct bm_install_opts o = opts();
	assert_int_equal(install(&o), -EPERM);
	assert_non_null(strstr(last_error, "it holds data"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_install_new_file, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_whole_image_signature, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_kiln_image, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_larger_disk_moves_gpt, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_changed_image_fails_safe, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_downgrade_and_interruption, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_check_refusals, each_setup, each_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
