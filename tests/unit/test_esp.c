/* images/esp.c + images/tool_run.c: the FAT32 ESP, checked with fsck.fat
 * and mtools as oracles; determinism across builds made at different times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include "images/esp.h"
#include "images/tool_run.h"
#include "image_util.h"

#define MiB (1024 * 1024ULL)
#define EPOCH 1700000000   /* 2023-11-14 22:13:20 UTC */

static const char loader[] = "timeout 0\neditor no\n";
static const char entry[] = "title kiln\nlinux /kiln/vmlinuz\n";
static const struct esp_file files[] = {
	{ "/EFI/BOOT/BOOTX64.EFI", "MZ-fake-efi", 11 },
	{ "/loader/loader.conf", loader, sizeof loader - 1 },
	{ "/loader/entries/kiln.conf", entry, sizeof entry - 1 },
	{ "/kiln/vmlinuz", "kernel", 6 },
	{ "/kiln/initrd.img", "initrd", 6 },
};
#define N_FILES (sizeof files / sizeof files[0])

/* An image with 1 MiB of "partition table" space and a 64 MiB ESP after it. */
static char *build(const char *dir, const char *name, int64_t mtime)
{
	char *p = xasprintf("%s/%s", dir, name);
	make_sparse(p, 66 * MiB);
	assert_int_equal(esp_build(p, MiB, 64 * MiB, 0x1234ABCD, mtime, files, N_FILES), 0);
	return p;
}

static void test_cluster_size(void **state)
{
	(void)state;
	assert_int_equal(esp_sectors_per_cluster(36 * MiB), 1);
	assert_int_equal(esp_sectors_per_cluster(64 * MiB), 1);
	assert_int_equal(esp_sectors_per_cluster(256 * MiB), 4);
	assert_int_equal(esp_sectors_per_cluster(1024 * MiB), 8);
}

static void test_esp_contents(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *img = build(dir, "a.img", EPOCH);
	int st;
	char *out = run_cmd(&st, "dd if='%s' of='%s/esp' bs=1M skip=1 count=64 status=none && "
			    "fsck.fat -n '%s/esp'", img, dir, dir);
	assert_int_equal(st, 0);
	free(out);
	out = run_cmd(&st, "mdir -i '%s@@1M' ::/", img);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "Volume in drive : is ESP"));
	assert_non_null(strstr(out, "Volume Serial Number is 1234-ABCD"));
	free(out);
	out = run_cmd(&st, "mtype -i '%s@@1M' ::/loader/loader.conf", img);
	assert_int_equal(st, 0);
	assert_string_equal(out, loader);
	free(out);
	out = run_cmd(&st, "mtype -i '%s@@1M' ::/EFI/BOOT/BOOTX64.EFI", img);
	assert_string_equal(out, "MZ-fake-efi");
	free(out);
	out = run_cmd(&st, "mtype -i '%s@@1M' ::/loader/entries/kiln.conf", img);
	assert_string_equal(out, entry);
	free(out);
	/* Files and directories carry SOURCE_DATE_EPOCH (FAT: 2 s resolution). */
	out = run_cmd(&st, "mdir -i '%s@@1M' -/ ::/", img);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "BOOTX64  EFI        11 2023-11-14  22:13"));
	assert_non_null(strstr(out, "loader       <DIR>     2023-11-14  22:13"));
	assert_non_null(strstr(out, "entries      <DIR>     2023-11-14  22:13"));
	/* Directory order is the caller's order (dirs first), not readdir's. */
	char *vml = strstr(out, "vmlinuz");
	assert_non_null(vml);
	assert_non_null(strstr(vml, "initrd"));
	char *ent = strstr(out, "entries      <DIR>");
	assert_non_null(strstr(ent, "loader.conf"));
	free(out);
	/* Only the ESP region was written: the first MiB is untouched. */
	out = run_cmd(&st, "cmp -n 1048576 '%s' /dev/zero", img);
	assert_int_equal(st, 0);
	free(out);
	free(img);
	rm_rf(dir);
	free(dir);
}

static void test_esp_reproducible(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *a = build(dir, "a.img", EPOCH);
	sleep(2);   /* FAT times have 2 s resolution: a wall-clock leak would show */
	/* Staging on another filesystem (tmpfs lists directories in another
	 * order than ext4) must not change the result. */
	struct stat shm;
	const char *old = getenv("TMPDIR");
	char *saved = old ? xstrdup(old) : NULL;
	setenv("TMPDIR", stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) ? "/dev/shm" : dir, 1);
	char *b = build(dir, "b.img", EPOCH);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	int st;
	char *out = run_cmd(&st, "cmp '%s' '%s'", a, b);
	assert_int_equal(st, 0);
	free(out);
	free(a);
	free(b);
	rm_rf(dir);
	free(dir);
}

static void test_esp_refusals(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *p = xasprintf("%s/x.img", dir);
	make_sparse(p, 66 * MiB);
	capture_log();
	assert_int_equal(esp_build(p, 100, 64 * MiB, 1, EPOCH, files, 1), -EINVAL);
	assert_non_null(strstr(last_error, "not sector aligned"));
	const char *bad_paths[] = { "/EFI/../../etc/passwd", "/", "/EFI//x", "/EFI/./x", "/EFI/", "/.." };
	for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
		struct esp_file bad = { bad_paths[i], "x", 1 };
		last_error[0] = '\0';
		assert_int_equal(esp_build(p, MiB, 64 * MiB, 1, EPOCH, &bad, 1), -EINVAL);
		assert_non_null(strstr(last_error, "bad file path"));
	}
	/* A file larger than the ESP: mcopy's complaint reaches the error. */
	size_t big = 40 * MiB;
	char *data = xcalloc(1, big);
	struct esp_file huge = { "/kiln/vmlinuz", data, big };
	assert_int_equal(esp_build(p, MiB, 36 * MiB, 1, EPOCH, &huge, 1), -EIO);
	assert_non_null(strstr(last_error, "mcopy failed"));
	free(data);
	/* mkfs.fat only warns about too few clusters: esp_build refuses. */
	assert_int_equal(esp_build(p, MiB, 4 * MiB, 1, EPOCH, files, 1), -EINVAL);
	assert_non_null(strstr(last_error, "FAT32 minimum"));
	/* mkfs.fat's own complaint reaches the error message. */
	assert_int_equal(esp_build(dir, MiB, 64 * MiB, 1, EPOCH, files, 1), -EIO);
	assert_non_null(strstr(last_error, "mkfs.fat failed (exit 1)"));
	assert_non_null(strstr(last_error, "Is a directory"));
	const char *argv[] = { "kiln-no-such-tool", NULL };
	assert_int_equal(tool_run(argv, NULL, "kiln-pkg"), -ENOENT);
	assert_non_null(strstr(last_error, "install package kiln-pkg"));
	log_set_sink(NULL, NULL);
	free(p);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_size),
		cmocka_unit_test(test_esp_contents),
		cmocka_unit_test(test_esp_reproducible),
		cmocka_unit_test(test_esp_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
