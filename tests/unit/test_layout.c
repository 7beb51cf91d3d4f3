/* images/layout.c end to end: a synthetic rootfs tar -> a disk image checked
 * with sgdisk, sfdisk, fsck.fat, e2fsck, debugfs and mtools as oracles;
 * reproducibility; every refusal leaves nothing under the final name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include "images/gpt.h"
#include "images/layout.h"
#include "lib/fileio.h"
#include "image_util.h"
#include "mini_image.h"

#define MiB (1024 * 1024ULL)
#define EPOCH 1700000000

enum { WITH_KERNEL = 1, WITH_INITRD = 2, WITH_SHIM = 4, WITH_BIG = 8, WITH_GRUB = 16, WITH_GRUB_PC = 32,
       FULL = WITH_KERNEL | WITH_INITRD | WITH_SHIM | WITH_GRUB | WITH_GRUB_PC };

static char *dir;

static void add(struct archive *a, const char *path, mode_t type, mode_t perm,
		const void *data, size_t len, const char *link)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, EPOCH - 100, 0);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (link)
		archive_entry_set_symlink(e, link);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

/* A small Debian-shaped rootfs tar, as mmdebstrap writes it ("./" paths). */
static char *make_tar(const char *name, int what)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
	const char *dirs[] = { "./", "./boot/", "./etc/", "./usr/", "./usr/bin/", "./usr/lib/",
			       "./usr/lib/shim/", "./var/", "./tmp/" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		add(a, dirs[i], AE_IFDIR, 0755, NULL, 0, NULL);
	add(a, "./etc/hostname", AE_IFREG, 0644, "kiln\n", 5, NULL);
	add(a, "./etc/fstab", AE_IFREG, 0644, "# UNCONFIGURED FSTAB\n", 21, NULL);
	add(a, "./usr/bin/hello", AE_IFREG, 0755, "#!/bin/sh\necho hi\n", 18, NULL);
	add(a, "./bin", AE_IFLNK, 0777, NULL, 0, "usr/bin");
	if (what & WITH_KERNEL) {
		/* 6.1.0-10 > 6.1.0-9 by version, not by string order. */
		add(a, "./boot/vmlinuz-6.1.0-9-cloud-amd64", AE_IFREG, 0644, "kernel-9", 8, NULL);
		add(a, "./boot/vmlinuz-6.1.0-10-cloud-amd64", AE_IFREG, 0644, "kernel-10", 9, NULL);
		add(a, "./vmlinuz", AE_IFLNK, 0777, NULL, 0, "boot/vmlinuz-6.1.0-10-cloud-amd64");
	}
	if (what & WITH_INITRD) {
		add(a, "./boot/initrd.img-6.1.0-9-cloud-amd64", AE_IFREG, 0644, "initrd-9", 8, NULL);
		add(a, "./boot/initrd.img-6.1.0-10-cloud-amd64", AE_IFREG, 0644, "initrd-10", 9, NULL);
	}
	/* Stand-ins: the layout copies them, the e2e tier boots the real ones. */
	if (what & WITH_SHIM)
		add(a, "./usr/lib/shim/shimx64.efi.signed", AE_IFREG, 0644, "MZ-shim", 7, NULL);
	if (what & WITH_GRUB_PC)
		mini_add_grub_pc(a);   /* also makes ./usr/lib/grub/ */
	else
		add(a, "./usr/lib/grub/", AE_IFDIR, 0755, NULL, 0, NULL);
	add(a, "./usr/lib/grub/x86_64-efi-signed/", AE_IFDIR, 0755, NULL, 0, NULL);
	if (what & WITH_GRUB)
		add(a, "./usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", AE_IFREG, 0644, "MZ-grub", 7, NULL);
	if (what & WITH_BIG) {
		/* 48 MiB that does not fit a 32 MiB root. */
		size_t n = 48 * MiB;
		unsigned char *d = xmalloc(n);
		uint32_t x = 1;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			d[i] = (unsigned char)(x >> 24);
		}
		add(a, "./var/big", AE_IFREG, 0644, d, n, NULL);
		free(d);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return p;
}

static struct layout_opts opts(const char *tar, const char *out, uint64_t size)
{
	return (struct layout_opts){ .tar_path = tar, .out_path = out, .disk_size = size,
				     .cmdline_extra = "console=ttyS0", .source_date_epoch = EPOCH,
				     .identity = "acme/mysql" };
}

/* Number of directory entries whose name starts with prefix. */
static int count_prefix(const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	dir = make_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	free(dir);
	log_set_sink(NULL, NULL);
	return 0;
}

static void test_build_passes_oracles(void **state)
{
	(void)state;
	char *tar = make_tar("root.tar", FULL);
	char *img = xasprintf("%s/disk.img", dir);
	struct layout_opts o = opts(tar, img, 400 * MiB);
	assert_int_equal(layout_build(&o), 0);
	assert_int_equal(count_prefix("disk.img.tmp"), 0);
	struct stat st;
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, 400 * MiB);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true((uint64_t)st.st_blocks * 512 < 64 * MiB);   /* sparse */

	struct gpt_layout g;
	assert_int_equal(gpt_plan(400 * MiB, 0, "acme/mysql", &g), 0);
	char root_uuid[GUID_STR_LEN + 1];
	for (int i = 0; i <= GUID_STR_LEN; i++)
		root_uuid[i] = (char)tolower((unsigned char)g.root_partuuid[i]);

	int rc;
	char *out = run_cmd(&rc, "sgdisk -v '%s'", img);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "No problems found"));
	free(out);
	out = run_cmd(&rc, "sfdisk --json '%s'", img);
	assert_non_null(strstr(out, "\"attrs\": \"GUID:59\""));
	assert_non_null(strstr(out, g.root_partuuid));
	free(out);
	out = run_cmd(&rc, "sfdisk -d '%s' | sed 's/^[^ ]*img//' | tr -s ' '", img);
	assert_non_null(strstr(out, "first-lba: 34\n"));
	assert_non_null(strstr(out, "\n1 : start= 2048, size= 524288, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"));
	assert_non_null(strstr(out, "\n3 : start= 34, size= 2014, type=21686148-6449-6E6F-744E-656564454649"));
	assert_non_null(strstr(out, "name=\"BIOS boot\""));
	free(out);
	/* GRUB's boot code in the MBR points at core.img in partition 3 */
	out = run_cmd(&rc, "od -An -tu8 -j 92 -N8 '%s' | tr -d ' '; od -An -tu8 -j %d -N8 '%s' | tr -d ' '", img,
		      34 * 512 + 0x1f4, img);
	assert_string_equal(out, "34\n35\n");
	free(out);

	out = run_cmd(&rc, "dd if='%s' of='%s/esp' bs=1M skip=1 count=256 status=none && "
		      "fsck.fat -n '%s/esp'", img, dir, dir);
	assert_int_equal(rc, 0);
	free(out);
	out = run_cmd(&rc, "dd if='%s' of='%s/root' bs=1M skip=257 count=%llu status=none && "
		      "e2fsck -fn '%s/root'", img, dir, (unsigned long long)(g.root_size / MiB), dir);
	assert_int_equal(rc, 0);
	free(out);

	out = run_cmd(&rc, "mtype -i '%s@@1M' ::/EFI/debian/grub.cfg", img);
	char *want = xasprintf("\tlinux /kiln/vmlinuz 'root=PARTUUID=%s' 'rw' 'console=ttyS0'\n"
			       "\tinitrd /kiln/initrd.img\n}\n", root_uuid);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "menuentry 'Debian GNU/Linux (kiln acme/mysql, 6.1.0-10-cloud-amd64)' {\n"));
	free(want);
	free(out);
	/* GRUB finds the ESP by its FAT volume id, as blkid spells it */
	out = run_cmd(&rc, "blkid -p -O %llu -o value -s UUID '%s' | tr A-F a-f", 1 * MiB, img);
	assert_int_equal(rc, 0);
	char *cfg = run_cmd(&rc, "mtype -i '%s@@1M' ::/EFI/debian/grub.cfg", img);
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(strlen(out), 9);
	want = xasprintf("search --no-floppy --fs-uuid --set=root %s\n", out);
	assert_non_null(strstr(cfg, want));
	free(want);
	free(cfg);
	free(out);
	out = run_cmd(&rc, "mtype -i '%s@@1M' ::/kiln/vmlinuz", img);
	assert_string_equal(out, "kernel-10");
	free(out);
	out = run_cmd(&rc, "mtype -i '%s@@1M' ::/kiln/initrd.img", img);
	assert_string_equal(out, "initrd-10");
	free(out);
	out = run_cmd(&rc, "mtype -i '%s@@1M' ::/EFI/BOOT/BOOTX64.EFI", img);
	assert_string_equal(out, "MZ-shim");
	free(out);
	out = run_cmd(&rc, "mtype -i '%s@@1M' ::/EFI/BOOT/grubx64.efi", img);
	assert_string_equal(out, "MZ-grub");
	free(out);
	/* only what the chain needs: no fallback loader, no systemd-boot */
	out = run_cmd(&rc, "mdir -b -/ -i '%s@@1M' ::/ | grep -v /$ | sort", img);
	assert_string_equal(out, "::/EFI/BOOT/BOOTX64.EFI\n::/EFI/BOOT/grubx64.efi\n::/EFI/debian/grub.cfg\n"
				 "::/kiln/initrd.img\n::/kiln/vmlinuz\n");
	free(out);

	/* The root filesystem: tar contents plus the growth configuration. */
	out = run_cmd(&rc, "debugfs -R 'cat /etc/fstab' '%s/root'", dir);
	want = xasprintf("PARTUUID=%s\t/\text4\trw,errors=remount-ro,x-systemd.growfs", root_uuid);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "/boot/efi\tvfat"));
	free(want);
	free(out);
	out = run_cmd(&rc, "debugfs -R 'cat /usr/lib/repart.d/50-root.conf' '%s/root'", dir);
	assert_non_null(strstr(out, "[Partition]\nType=root\nGrowFileSystem=yes\n"));
	free(out);
	out = run_cmd(&rc, "debugfs -R 'cat /etc/hostname' '%s/root'", dir);
	assert_non_null(strstr(out, "kiln\n"));
	free(out);
	out = run_cmd(&rc, "debugfs -R 'stat /boot/efi' '%s/root'", dir);
	assert_non_null(strstr(out, "Type: directory"));
	free(out);

	free(img);
	free(tar);
}

static void test_build_reproducible(void **state)
{
	(void)state;
	char *tar = make_tar("root.tar", FULL);
	char *a = xasprintf("%s/a.img", dir), *b = xasprintf("%s/b.img", dir);
	struct layout_opts o = opts(tar, a, 300 * MiB);
	assert_int_equal(layout_build(&o), 0);
	sleep(2);   /* FAT and ext4 would show a wall-clock leak */
	o.out_path = b;
	assert_int_equal(layout_build(&o), 0);
	int rc;
	char *out = run_cmd(&rc, "cmp '%s' '%s'", a, b);
	assert_int_equal(rc, 0);
	free(out);
	free(a);
	free(b);
	free(tar);
}

/* layout_build fails with errno, an error matching msg, and no image. */
static void refuse(struct layout_opts *o, int err, const char *msg)
{
	capture_log();
	assert_int_equal(layout_build(o), err);
	if (!strstr(last_error, msg))
		fail_msg("error \"%s\" lacks \"%s\"", last_error, msg);
	assert_int_equal(access(o->out_path, F_OK), -1);
	assert_int_equal(count_prefix("disk.img"), 0);
	log_set_sink(NULL, NULL);
}

/* Without shim, signed GRUB or GRUB's BIOS files there is no boot chain. */
static void test_refuses_without_chain(void **state)
{
	(void)state;
	static const struct { int missing; const char *msg; } cases[] = {
		{ WITH_SHIM, "no /usr/lib/shim/shimx64.efi.signed (install shim-signed" },
		{ WITH_GRUB, "x86_64-efi-signed/grubx64.efi.signed (install grub-efi-amd64-signed" },
		{ WITH_GRUB_PC, "install grub-pc-bin" },
	};
	char *img = xasprintf("%s/disk.img", dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *tar = make_tar("partial.tar", FULL & ~cases[i].missing);
		struct layout_opts o = opts(tar, img, 300 * MiB);
		refuse(&o, -ENOENT, cases[i].msg);
		free(tar);
	}
	free(img);
}

static void test_refusals(void **state)
{
	(void)state;
	char *img = xasprintf("%s/disk.img", dir);
	char *missing = xasprintf("%s/missing.tar", dir);
	struct layout_opts o = opts(missing, img, 300 * MiB);
	refuse(&o, -ENOENT, "rootfs tar");

	char *tar = make_tar("nokernel.tar", WITH_INITRD | WITH_SHIM | WITH_GRUB);
	o = opts(tar, img, 300 * MiB);
	refuse(&o, -ENOENT, "has no kernel (/boot/vmlinuz-*)");
	free(tar);

	tar = make_tar("noinitrd.tar", WITH_KERNEL | WITH_SHIM | WITH_GRUB);
	o = opts(tar, img, 300 * MiB);
	refuse(&o, -ENOENT, "no initrd for kernel 6.1.0-10-cloud-amd64");

	o = opts(tar, img, 100 * MiB);
	refuse(&o, -ENOSPC, "need at least 290 MiB");
	free(tar);

	tar = make_tar("big.tar", FULL | WITH_BIG);
	o = opts(tar, img, 290 * MiB);
	refuse(&o, -ENOSPC, "make the disk at least the filesystem size above + 258 MiB");
	free(tar);

	o = opts(dir, img, 300 * MiB);
	refuse(&o, -EINVAL, "not a regular file");
	o.identity = NULL;
	refuse(&o, -EINVAL, "identity");
	o = opts(missing, img, 300 * MiB);
	o.cmdline_extra = "quiet\ninitrd /evil";
	refuse(&o, -EINVAL, "kernel command line contains a control character");
	o.cmdline_extra = "quiet foo=\"a b\"";
	refuse(&o, -EINVAL, "GRUB cannot pass a quote or backslash");
	o.cmdline_extra = "quiet foo=a\\b";
	refuse(&o, -EINVAL, "GRUB cannot pass a quote or backslash");
	o = opts(missing, img, 300 * MiB);
	o.identity = "acme\nlinux /evil";
	refuse(&o, -EINVAL, "identity contains a control character");

	/* The output directory does not exist. */
	char *tar2 = make_tar("ok.tar", FULL);
	char *bad = xasprintf("%s/nodir/disk.img", dir);
	o = opts(tar2, bad, 300 * MiB);
	capture_log();
	assert_int_equal(layout_build(&o), -ENOENT);
	assert_non_null(strstr(last_error, "cannot create"));
	free(bad);
	free(tar2);
	free(missing);
	free(img);
}

/* A failed rebuild leaves the previous image in place, untouched. */
static void test_failure_keeps_old_image(void **state)
{
	(void)state;
	char *img = xasprintf("%s/disk.img", dir);
	assert_int_equal(write_file_atomic(img, "old", 3, 0644), 0);
	char *tar = make_tar("nokernel.tar", WITH_INITRD | WITH_SHIM | WITH_GRUB);
	struct layout_opts o = opts(tar, img, 300 * MiB);
	capture_log();
	assert_int_equal(layout_build(&o), -ENOENT);
	log_set_sink(NULL, NULL);
	char *d;
	size_t n;
	assert_int_equal(read_file(img, 100, &d, &n), 0);
	assert_string_equal(d, "old");
	assert_int_equal(count_prefix("disk.img.tmp"), 0);
	free(d);
	free(tar);
	free(img);
}

static void test_data_disk(void **state)
{
	(void)state;
	char *p = xasprintf("%s/data.img", dir);
	assert_int_equal(layout_data_disk(p, 10 * MiB + 1), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 11 * MiB);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(count_prefix("data.img.tmp"), 0);
	capture_log();
	assert_int_equal(layout_data_disk(p, 0), -EINVAL);
	char *bad = xasprintf("%s/nodir/data.img", dir);
	assert_int_equal(layout_data_disk(bad, MiB), -ENOENT);
	log_set_sink(NULL, NULL);
	free(bad);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_passes_oracles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_reproducible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_without_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_old_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_disk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
