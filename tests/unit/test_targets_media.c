/* targets/media.c with images/bootkit.c and images/initramfs.c: installer
 * media built from a mini role image and a synthetic rootfs tar (a kernel,
 * modules.dep with dependencies and a built-in, the build machine's libc and
 * loader behind merged-/usr links, /bin/true standing in for kiln-installer).
 * Oracles: sgdisk -v and sfdisk for the USB image's GPT (with the BIOS
 * boot partition), GRUB's boot.img and diskboot.img (the build machine's
 * grub-pc-bin, which the synthetic rootfs carries) for its MBR and core.img,
 * fsck.fat for its ESP, xorriso -report_el_torito (a BIOS and a UEFI boot
 * image) / -report_system_area (GRUB's hybrid MBR) / -find / -extract
 * for the ISO, fsck.fat for the ISO's appended ESP, mcopy for the ESPs'
 * files (Debian's shim and GRUB, grub.cfg checked by grub-script-check,
 * on the USB image also the kernel, initramfs and marker file; on the ISO
 * those are in the ISO 9660 tree), libarchive reading the initramfs back,
 * and bm_install from the payload; two builds are byte-identical. A
 * per-role medium carries each host's seed, in profile order, and the
 * network drivers when a rule names a MAC; a host without install.machine
 * cannot go on one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include "baremetal/install.h"
#include "baremetal/payload.h"
#include "images/bootchain.h"
#include "images/bootkit.h"
#include "images/gpt.h"
#include "lib/fileio.h"
#include "medium/find.h"
#include "profiles/profile.h"
#include "targets/media.h"
#include "image_util.h"
#include "mini_image.h"
#include "sign_fixture.h"

static struct mini_dir md;
static char *tar, *tar_noshim, *tar_biggrub, *tar_nopc, *state, *out;
static struct model m;

static void add_link(struct archive *a, const char *path, const char *target)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_perm(e, 0777);
	archive_entry_set_symlink(e, target);
	archive_entry_set_mtime(e, MINI_EPOCH, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		abort();
	archive_entry_free(e);
}

static void add_host_file(struct archive *a, const char *path, const char *host)
{
	char *d;
	size_t n;
	assert_int_equal(read_file(host, 64u << 20, &d, &n), 0);
	mini_add(a, path, 0, d, n);
	free(d);
}

#define KV "6.1.0-9-amd64"
#define MODDIR "./usr/lib/modules/" KV "/"

/* The parts of a rootfs the media take: merged /usr (lib -> usr/lib,
 * lib64 -> usr/lib64, the loader behind a relative link), libc, a kernel,
 * modules (ahci needs libahci needs libata; sd_mod is built in), unless
 * grub is NULL shim and GRUB, and with grub_pc GRUB's i386-pc directory
 * (this machine's grub-pc-bin). */
static void make_tar(const char *path, const void *grub, size_t grub_len, bool grub_pc)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		abort();
	if (grub) {   /* Debian's signed shim and GRUB, stand-ins */
		mini_add(a, "./" BOOTCHAIN_SHIM, 0, "the shim", 8);
		mini_add(a, "./" BOOTCHAIN_GRUB_EFI, 0, grub, grub_len);
	}
	if (grub_pc) {
		int rc;
		char *names = run_cmd(&rc, "ls /usr/lib/grub/i386-pc");
		assert_int_equal(rc, 0);
		for (char *save = NULL, *t = strtok_r(names, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
			char *in = xasprintf("./" BOOTCHAIN_GRUB_PC_DIR "%s", t), *host = xasprintf("/usr/lib/grub/i386-pc/%s", t);
			add_host_file(a, in, host);
			free(in);
			free(host);
		}
		free(names);
		mini_add(a, "./" BOOTCHAIN_GRUB_PC_DIR "sub/x.mod", 0, "x", 1);   /* not one of GRUB's */
	}
	mini_add(a, "./boot/", 1, NULL, 0);
	mini_add(a, "./boot/vmlinuz-6.1.0-2-amd64", 0, "old kernel", 10);
	mini_add(a, "./boot/vmlinuz-" KV, 0, "the kernel", 10);
	add_link(a, "./lib", "usr/lib");
	add_link(a, "./lib64", "usr/lib64");
	mini_add(a, "./usr/lib64/", 1, NULL, 0);
	add_link(a, "./usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	add_host_file(a, "./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	add_host_file(a, "./usr/lib/x86_64-linux-gnu/libc.so.6.real", "/lib/x86_64-linux-gnu/libc.so.6");
	add_link(a, "./usr/lib/x86_64-linux-gnu/libc.so.6", "libc.so.6.real");
	const char *dep = "kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko kernel/drivers/ata/libata.ko\n"
			  "kernel/drivers/ata/libahci.ko: kernel/drivers/ata/libata.ko\n"
			  "kernel/drivers/ata/libata.ko:\n"
			  "kernel/drivers/usb/storage/usb-storage.ko: kernel/drivers/usb/core/usbcore.ko\n"
			  "kernel/drivers/usb/core/usbcore.ko:\n"
			  "kernel/drivers/net/virtio_net.ko:\n";
	mini_add(a, MODDIR "modules.dep", 0, dep, strlen(dep));
	const char *builtin = "kernel/drivers/scsi/sd_mod.ko\n";
	mini_add(a, MODDIR "modules.builtin", 0, builtin, strlen(builtin));
	static const char *const mods[] = { "ata/ahci", "ata/libahci", "ata/libata", "usb/storage/usb-storage",
					    "usb/core/usbcore", "net/virtio_net" };
	for (size_t i = 0; i < 6; i++) {
		char *p = xasprintf(MODDIR "kernel/drivers/%s.ko", mods[i]);
		mini_add(a, p, 0, mods[i], strlen(mods[i]));
		free(p);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
}

static int test_sign(void *ud, const char *name, const void *data, size_t len, uint64_t version, struct buf *sig)
{
	(void)ud;
	uint8_t h[64];
	minisign_hash_buffer(data, len, h);
	char *c = minisign_kiln_comment(MINI_EPOCH, name, "acme", version);
	int r = minisign_sign_hash(key, h, c, NULL, sig);
	free(c);
	return r;
}

static int setup(void **state_)
{
	(void)state_;
	if (keys_make() < 0)
		return -1;
	mini_dir_make(&md, 128, "mysql", 6, 5);
	tar = xasprintf("%s/rootfs.tar", md.dir);
	tar_noshim = xasprintf("%s/rootfs-noshim.tar", md.dir);
	tar_biggrub = xasprintf("%s/rootfs-biggrub.tar", md.dir);
	tar_nopc = xasprintf("%s/rootfs-nopc.tar", md.dir);
	state = xasprintf("%s/state", md.dir);
	out = xasprintf("%s/out", md.dir);
	make_tar(tar, "the grub", 8, true);
	make_tar(tar_noshim, NULL, 0, true);
	make_tar(tar_nopc, "the grub", 8, false);
	char *big = xcalloc(1, 33u << 20);   /* a GRUB no El Torito image can hold */
	make_tar(tar_biggrub, big, 33u << 20, true);
	free(big);
	assert_int_equal(mkdir_p(out, 0755), 0);
	assert_int_equal(mkdir_p(state, 0700), 0);
	struct buf b;
	buf_init(&b);
	minisign_pub_format(&pub, &b);
	char *p = xasprintf("%s/operator.pub", state);
	assert_int_equal(write_file_atomic(p, b.data, b.len, 0644), 0);
	free(p);
	buf_free(&b);
	const char *y = "kiln: 1\ndeployment: {name: acme, domain: acme.internal}\n"
			"subnets:\n  - {name: lan, cidr: 10.0.0.0/24}\n"
			"hosts:\n  - {name: db1, role: mysql, subnet: lan, address: 10.0.0.10}\n"
			"  - name: db2\n    role: mysql\n    subnet: lan\n    address: 10.0.0.11\n"
			"    install: {machine: {mac: \"52:54:00:00:00:02\"}}\n"
			"  - name: db3\n    role: mysql\n    subnet: lan\n    address: 10.0.0.12\n"
			"    install: {machine: {dmi_serial: \"S3\"}}\n";
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), NULL, &m, &d), 0);
	diags_free(&d);
	return 0;
}

static int teardown(void **state_)
{
	(void)state_;
	model_free(&m);
	mini_dir_done(&md);
	free(tar);
	free(tar_noshim);
	free(tar_biggrub);
	free(tar_nopc);
	free(state);
	free(out);
	keys_free();
	return 0;
}

/* Hosts [first, first + n) of the profile with seeds "kiln-seed:HOST"; per
 * role when n > 1. */
struct set_fixture {
	struct host_set hs;
	const struct host *hosts[3];
	struct buf bufs[3];
	const struct buf *seeds[3];
};

static void set_make(struct set_fixture *f, size_t first, size_t n)
{
	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < n; i++) {
		f->hosts[i] = &m.hosts[first + i];
		buf_init(&f->bufs[i]);
		buf_printf(&f->bufs[i], "kiln-seed:%s", f->hosts[i]->name);
		f->seeds[i] = &f->bufs[i];
	}
	f->hs = (struct host_set){ ROLE_MYSQL, n > 1 ? "mysql" : f->hosts[0]->name, f->hosts, f->seeds, n, n > 1 };
}

static void set_free(struct set_fixture *f)
{
	for (size_t i = 0; i < 3; i++)
		buf_free(&f->bufs[i]);
}

static char *build_set(enum media_kind kind, const char *dir, size_t first, size_t n)
{
	assert_int_equal(mkdir_p(dir, 0755), 0);
	bool want[ROLE__COUNT] = { [ROLE_MYSQL] = true };
	struct package_opts po = { 0 };
	struct media_inputs mi = { .state = state, .installer = "/bin/true", .version = 4, .sign = test_sign };
	struct target_ctx c = { .m = &m, .want = want, .per_role = n > 1, .out_dir = dir, .po = &po, .media = &mi,
				.source_date_epoch = MINI_EPOCH };
	struct role_images img = { .os_raw = md.img, .rootfs_tar = tar };
	struct set_fixture f;
	set_make(&f, first, n);
	char *path = NULL;
	capture_log();
	assert_int_equal(media_build(&c, &f.hs, &img, kind, &path), 0);
	log_set_sink(NULL, NULL);
	set_free(&f);
	return path;
}

static char *build(enum media_kind kind, const char *dir)
{
	return build_set(kind, dir, 0, 1);
}

static void test_bootkit(void **state_)
{
	(void)state_;
	static const char *const want[] = { "ahci", "usb-storage", "sd_mod", "nosuch", NULL };
	struct initramfs f = { 0 };
	struct bootkit k;
	assert_int_equal(bootkit_collect(tar, want, "/bin/true", "init", &f, &k), 0);
	assert_string_equal(k.kver, KV);   /* the newest kernel */
	assert_int_equal(k.kernel_len, 10);
	assert_memory_equal(k.kernel, "the kernel", 10);
	assert_int_equal(k.shim_len, 8);   /* Debian's signed loaders, for the ESP */
	assert_memory_equal(k.shim, "the shim", 8);
	assert_int_equal(k.grub_len, 8);
	assert_memory_equal(k.grub, "the grub", 8);
	/* GRUB's i386-pc directory for BIOS: each file once, named without the
	 * directory (a subdirectory's files are not GRUB's modules) */
	int rc;
	char *count = run_cmd(&rc, "find /usr/lib/grub/i386-pc -maxdepth 1 -type f | wc -l");
	assert_int_equal(k.n_grub_pc, strtoul(count, NULL, 10));
	free(count);
	bool boot_img = false;
	for (size_t i = 0; i < k.n_grub_pc; i++) {
		assert_null(strchr(k.grub_pc[i].name, '/'));
		if (!strcmp(k.grub_pc[i].name, "boot.img"))
			boot_img = k.grub_pc[i].len == 512;
	}
	assert_true(boot_img);
	/* dependencies first, each once */
	assert_int_equal(k.n_modules, 5);
	assert_string_equal(k.modules[0], "usr/lib/modules/" KV "/kernel/drivers/ata/libata.ko");
	assert_string_equal(k.modules[1], "usr/lib/modules/" KV "/kernel/drivers/ata/libahci.ko");
	assert_string_equal(k.modules[2], "usr/lib/modules/" KV "/kernel/drivers/ata/ahci.ko");
	assert_string_equal(k.modules[3], "usr/lib/modules/" KV "/kernel/drivers/usb/core/usbcore.ko");
	assert_string_equal(k.modules[4], "usr/lib/modules/" KV "/kernel/drivers/usb/storage/usb-storage.ko");
	assert_int_equal(k.n_builtin, 1);
	assert_string_equal(k.builtin[0], "sd_mod");
	assert_int_equal(k.n_missing, 1);
	assert_string_equal(k.missing[0], "nosuch");
	/* the program, libc behind two links, the loader at the PT_INTERP path */
	assert_true(initramfs_has(&f, "init"));
	assert_true(initramfs_has(&f, "usr/lib/x86_64-linux-gnu/libc.so.6"));
	assert_true(initramfs_has(&f, "lib64/ld-linux-x86-64.so.2"));
	assert_true(initramfs_has(&f, "lib"));
	bootkit_free(&k);
	initramfs_free(&f);

	/* not an ELF program; a library the rootfs lacks */
	capture_log();
	assert_int_equal(bootkit_collect(tar, want, "/etc/hostname", "init", &f, &k), -ENOEXEC);
	initramfs_free(&f);
	char **need, *interp;
	size_t n;
	assert_int_equal(elf_needs("\x7f" "ELF", 4, &need, &n, &interp), -ENOEXEC);
	char *prog;
	size_t plen;
	assert_int_equal(read_file("/bin/true", 1 << 24, &prog, &plen), 0);
	assert_int_equal(elf_needs(prog, plen, &need, &n, &interp), 0);
	assert_int_equal(n, 1);
	assert_string_equal(need[0], "libc.so.6");
	assert_string_equal(interp, "/lib64/ld-linux-x86-64.so.2");
	free(need[0]);
	free(need);
	free(interp);
	free(prog);
	log_set_sink(NULL, NULL);
}

static int sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd;
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	int st;
	char *o = run_cmd(&st, "%s", cmd);
	if (st)
		print_error("%s:\n%s\n", cmd, o);
	free(o);
	free(cmd);
	return st;
}

/* The files of the FAT at offset of image, copied into dir (mtools). */
static void esp_copy(const char *image, uint64_t off, const char *dir)
{
	assert_int_equal(sh("rm -rf '%s' && mkdir '%s' && MTOOLS_SKIP_CHECK=1 mcopy -s -i '%s@@%llu' ::/EFI ::/kiln "
			    "'%s/' 2>/dev/null; test -d '%s/EFI'", dir, dir, image, (unsigned long long)off, dir, dir), 0);
}

/* Where GRUB boots the installer from (dir: the ESP's files, or the ISO
 * 9660 tree's): grub.cfg (GRUB's own parser accepts it) finds the medium
 * by the marker file beside the kernel and initramfs; the kernel is the
 * rootfs's newest; the initramfs is read back with libarchive. cfg_dir
 * holds the ESP's grub.cfg, the one GRUB reads first. Returns the marker's
 * path (malloc'd). */
static char *check_boot(const char *cfg_dir, const char *dir, bool nic)
{
	char *cp = xasprintf("%s/EFI/debian/grub.cfg", cfg_dir), *cfg;
	size_t n;
	assert_int_equal(read_file(cp, 4096, &cfg, &n), 0);
	assert_int_equal(sh("grub-script-check '%s'", cp), 0);
	const char *s = strstr(cfg, "search --no-floppy --file --set=root /kiln/medium-");
	assert_non_null(s);
	char *marker = strndup(s + 37, 29);   /* "/kiln/medium-" + 16 hex */
	assert_int_equal(s[37 + 29], '\n');
	assert_non_null(strstr(cfg, "\tlinux /kiln/vmlinuz 'console=tty0' 'console=ttyS0,115200' 'quiet'\n"
				    "\tinitrd /kiln/installer.img\n}\n"));
	assert_null(strstr(cfg, "root="));
	assert_int_equal(sh("grep -q '^kiln installer medium: deployment acme, ' '%s%s'", dir, marker), 0);
	char *kp = xasprintf("%s/kiln/vmlinuz", dir), *kernel;
	assert_int_equal(read_file(kp, 4096, &kernel, &n), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(kernel, "the kernel", 10);
	free(kernel);
	free(kp);
	free(cfg);
	free(cp);
	char *ip = xasprintf("%s/kiln/installer.img", dir);
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_filename(a, ip, 65536), ARCHIVE_OK);
	assert_int_equal(archive_filter_code(a, 0), ARCHIVE_FILTER_ZSTD);
	struct archive_entry *e;
	bool init = false, console = false, modules = false, pub_ok = false, has_nic = false;
	char last[512] = "";
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		assert_true(strcmp(last, p) < 0);   /* sorted: parents first, reproducible */
		snprintf(last, sizeof last, "%s", p);
		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_mtime(e), MINI_EPOCH);
		if (!strcmp(p, "init"))
			init = archive_entry_filetype(e) == AE_IFREG && (archive_entry_perm(e) & 0111);
		if (!strcmp(p, "dev/console"))
			console = archive_entry_filetype(e) == AE_IFCHR && archive_entry_rdevmajor(e) == 5 &&
				  archive_entry_rdevminor(e) == 1;
		if (!strcmp(p, "etc/kiln/modules") || !strcmp(p, "etc/kiln/operator.pub")) {
			char buf[4096] = "";
			la_ssize_t k = archive_read_data(a, buf, sizeof buf - 1);
			assert_true(k > 0);
			if (!strcmp(p, "etc/kiln/modules")) {
				modules = strstr(buf, "ata/libata.ko\nusr/lib/modules/") != NULL;
				has_nic = strstr(buf, "net/virtio_net.ko") != NULL;
			}
			else
				pub_ok = !strncmp(buf, "untrusted comment:", 18);
		}
	}
	archive_read_free(a);
	assert_true(init);
	assert_true(console);
	assert_true(modules);
	assert_true(pub_ok);
	assert_true(has_nic == nic);   /* network drivers only where a rule names a MAC */
	free(ip);
	return marker;
}

/* The ESP's UEFI chain: Debian's shim as the removable-media loader, GRUB
 * beside it (no fallback loader), grub.cfg at GRUB's built-in prefix. */
static void check_chain(const char *dir)
{
	assert_int_equal(sh("test \"$(cat '%s/EFI/BOOT/BOOTX64.EFI')\" = 'the shim'", dir), 0);
	assert_int_equal(sh("test \"$(cat '%s/EFI/BOOT/grubx64.efi')\" = 'the grub'", dir), 0);
	assert_int_equal(sh("test \"$(ls '%s/EFI/BOOT' | tr '\\n' ' ')\" = 'BOOTX64.EFI grubx64.efi '", dir), 0);
}

/* The payload of a medium, open (fd: the medium, close it). */
static void open_payload(const char *img, int *fd, struct bm_payload *p)
{
	*fd = open(img, O_RDONLY | O_CLOEXEC);
	uint64_t start, size;
	assert_int_equal(media_payload_part(*fd, &start, &size), 0);
	char why[256];
	assert_int_equal(bm_payload_open(*fd, start, size, img, p, why, sizeof why), 0);
}

static void test_usb(void **state_)
{
	(void)state_;
	char *dir = xasprintf("%s/usb", out);
	char *img = build(MEDIA_USB, dir);
	assert_non_null(strstr(img, "/acme-db1.img"));
	struct stat st;
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);   /* it holds the role key */
	assert_int_equal(sh("sgdisk -v '%s' | grep -q 'No problems found'", img), 0);
	assert_int_equal(sh("sfdisk --json '%s' | grep -qi 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'", img), 0);
	assert_int_equal(sh("sfdisk --json '%s' | grep -qi '" BM_PAYLOAD_TYPE_GUID "'", img), 0);
	/* BIOS: the BIOS boot partition in the gap before the ESP (partition 3,
	 * as on the role images), GRUB's boot.img in the MBR pointing at it,
	 * core.img there (diskboot.img pointing at its next sector) */
	assert_int_equal(sh("sfdisk --json '%s' | python3 -c 'import json,sys; "
			    "p=json.load(sys.stdin)[\"partitiontable\"][\"partitions\"]; "
			    "sys.exit(not (len(p) == 3 and p[2][\"start\"] == 34 and p[2][\"size\"] == 2014 and "
			    "p[2][\"type\"] == \"" GPT_TYPE_BIOS "\" and p[0][\"start\"] == 2048))'", img), 0);
	assert_int_equal(sh("cmp -n 336 -i 104:104 '%s' /usr/lib/grub/i386-pc/boot.img && "
			    "test \"$(od -An -tu8 -j 92 -N 8 '%s' | tr -d ' ')\" = 34 && "
			    "cmp -n 500 -i 17408:0 '%s' /usr/lib/grub/i386-pc/diskboot.img && "
			    "test \"$(od -An -tu8 -j 17908 -N 8 '%s' | tr -d ' ')\" = 35", img, img, img, img), 0);
	/* the ESP: a sound FAT16 holding the chain and, as it is no El Torito
	 * image, the kernel, initramfs and marker too */
	assert_int_equal(sh("set -e; eval $(sfdisk --json '%s' | python3 -c 'import json,sys; "
			    "p=json.load(sys.stdin)[\"partitiontable\"][\"partitions\"][0]; "
			    "print(\"s=%%d n=%%d\" %% (p[\"start\"], p[\"size\"]))'); test $s = 2048; "
			    "dd if='%s' of='%s/esp' bs=512 skip=$s count=$n status=none; fsck.fat -n '%s/esp' >/dev/null; "
			    "file -s '%s/esp' | grep -q 'FAT (16 bit)'", img, img, md.dir, md.dir, md.dir), 0);
	char *ed = xasprintf("%s/usb-esp", md.dir);
	esp_copy(img, 1 << 20, ed);
	check_chain(ed);
	free(check_boot(ed, ed, false));
	free(ed);
	/* the payload installs the image */
	int fd;
	struct bm_payload p;
	open_payload(img, &fd, &p);
	assert_int_equal(p.n_seeds, 1);
	assert_string_equal(p.seeds[0].text, "kiln-seed:db1");
	char *tgt = xasprintf("%s/disk.raw", md.dir);
	struct bm_install_opts o = { .disk = tgt, .source = { .payload = &p, .pub = &pub, .deployment = "acme" } };
	struct bm_install_result res;
	capture_log();
	assert_int_equal(bm_install(&o, &res), 0);
	log_set_sink(NULL, NULL);
	assert_int_equal(res.version, 4);
	bm_install_result_free(&res);
	bm_payload_free(&p);
	close(fd);
	assert_int_equal(sh("cmp -i 1048576 -n %llu '%s' '%s'", (unsigned long long)(126ull << 20), md.img, tgt), 0);
	/* reproducible: a second build is the same bytes */
	char *dir2 = xasprintf("%s/usb2", out);
	char *img2 = build(MEDIA_USB, dir2);
	assert_int_equal(sh("cmp '%s' '%s'", img, img2), 0);
	free(img2);
	free(dir2);
	free(tgt);
	free(img);
	free(dir);
}

static void test_iso(void **state_)
{
	(void)state_;
	char *dir = xasprintf("%s/iso", out);
	char *iso = build(MEDIA_ISO, dir);
	assert_non_null(strstr(iso, "/acme-db1.iso"));
	/* two El Torito images: GRUB's for BIOS (no emulation, 4 sectors
	 * loaded, patched as grub-mkrescue has xorriso do), the UEFI one with
	 * its load size set (under 32 MiB); GRUB's hybrid boot code in the MBR */
	assert_int_equal(sh("xorriso -indev '%s' -report_el_torito plain -report_system_area plain >'%s/eltorito.txt' "
			    "2>/dev/null", iso, md.dir), 0);
	assert_int_equal(sh("grep -Eq 'El Torito boot img : +1 +BIOS +y +none +0x0000 +0x00 +4 ' '%s/eltorito.txt' && "
			    "grep -q 'El Torito img path :   1  /kiln/bios.img' '%s/eltorito.txt' && "
			    "grep -q 'El Torito img opts :   1  boot-info-table grub2-boot-info' '%s/eltorito.txt' && "
			    "grep -Eq 'El Torito boot img : +2 +UEFI +y +none +0x0000 +0x00 +[1-9][0-9]* ' '%s/eltorito.txt' && "
			    "grep -q 'System area summary: MBR protective-msdos-label grub2-mbr .*GPT' '%s/eltorito.txt'",
			    md.dir, md.dir, md.dir, md.dir, md.dir), 0);
	/* the MBR's code is boot_hybrid.img's up to the block address xorriso patches at 0x1b0 */
	assert_int_equal(sh("cmp -n 328 -i 104:104 '%s' /usr/lib/grub/i386-pc/boot_hybrid.img", iso), 0);
	/* GPT: the ESP and the payload as appended partitions */
	assert_int_equal(sh("xorriso -indev '%s' -report_system_area plain 2>/dev/null | "
			    "grep -q 'GPT type GUID      :   2  28732ac11ff8d211ba4b00a0c93ec93b'", iso), 0);
	assert_int_equal(sh("xorriso -indev '%s' -find / -type f 2>/dev/null | grep -q README.txt", iso), 0);
	/* the appended ESP is a sound FAT, and holds the installer */
	char *esp = xasprintf("%s/iso-esp", md.dir);
	assert_int_equal(sh("set -e; eval $(sfdisk --json '%s' 2>/dev/null | python3 -c 'import json,sys; "
			    "p=[x for x in json.load(sys.stdin)[\"partitiontable\"][\"partitions\"] "
			    "if x[\"type\"].upper()==\"C12A7328-F81F-11D2-BA4B-00A0C93EC93B\"][0]; "
			    "print(\"s=%%d n=%%d\" %% (p[\"start\"], p[\"size\"]))'); "
			    "dd if='%s' of='%s' bs=512 skip=$s count=$n status=none; fsck.fat -n '%s' >/dev/null",
			    iso, iso, esp, esp), 0);
	/* the ESP (the El Torito image) carries the chain alone; the kernel,
	 * the initramfs and the marker are in the ISO 9660 tree, with a copy
	 * of grub.cfg at the ESP's path */
	char *ed = xasprintf("%s/iso-espdir", md.dir), *td = xasprintf("%s/iso-tree", md.dir);
	esp_copy(esp, 0, ed);
	check_chain(ed);
	assert_int_equal(sh("test ! -e '%s/kiln' && test \"$(find '%s' -type f | wc -l)\" = 3", ed, ed), 0);
	assert_int_equal(sh("rm -rf '%s' && xorriso -osirrox on -indev '%s' -extract / '%s' >/dev/null 2>&1 && "
			    "cmp '%s/EFI/debian/grub.cfg' '%s/EFI/debian/grub.cfg' && test ! -e '%s/EFI/BOOT'",
			    td, iso, td, ed, td, td), 0);
	assert_int_equal(sh("test \"$(xorriso -indev '%s' -find / -type d -exec lsdl 2>/dev/null | cut -c1-10 | "
			    "sort -u)\" = drwxr-xr-x", iso), 0);   /* readable by anyone who mounts it */
	/* the BIOS boot image is GRUB's cdboot.img and core.img */
	assert_int_equal(sh("cmp -n 8 '%s/kiln/bios.img' /usr/lib/grub/i386-pc/cdboot.img && "
			    "cmp -n 500 -i 2048:0 '%s/kiln/bios.img' /usr/lib/grub/i386-pc/diskboot.img", td, td), 0);
	char *marker = check_boot(ed, td, false);
	/* the marker file is the medium's own: the ESP does not have it */
	assert_int_equal(sh("test ! -e '%s%s' && test -f '%s%s'", ed, marker, td, marker), 0);
	free(marker);
	free(ed);
	free(td);
	/* the installer's own search finds the payload on it */
	int fd;
	struct bm_payload p;
	open_payload(iso, &fd, &p);
	bm_payload_free(&p);
	close(fd);
	char *dir2 = xasprintf("%s/iso2", out);
	char *iso2 = build(MEDIA_ISO, dir2);
	assert_int_equal(sh("cmp '%s' '%s'", iso, iso2), 0);
	free(iso2);
	free(dir2);
	free(esp);
	free(iso);
	free(dir);
}

static void test_per_role(void **state_)
{
	(void)state_;
	char *dir = xasprintf("%s/role", out);
	char *img = build_set(MEDIA_USB, dir, 1, 2);
	assert_non_null(strstr(img, "/acme-mysql.img"));
	assert_int_equal(sh("sgdisk -v '%s' | grep -q 'No problems found'", img), 0);
	char *ed = xasprintf("%s/role-esp", md.dir);
	esp_copy(img, 1 << 20, ed);
	char *marker = check_boot(ed, ed, true);
	/* a role's medium and a host's have markers of their own */
	char *ed1 = xasprintf("%s/usb1-esp", md.dir), *img1 = xasprintf("%s/usb/acme-db1.img", out);
	esp_copy(img1, 1 << 20, ed1);
	char *marker1 = check_boot(ed1, ed1, false);
	assert_string_not_equal(marker, marker1);
	free(marker1);
	free(img1);
	free(ed1);
	free(marker);
	free(ed);
	int fd;
	struct bm_payload p;
	open_payload(img, &fd, &p);
	assert_int_equal(p.n_seeds, 2);
	assert_string_equal(p.seeds[0].text, "kiln-seed:db2");
	assert_string_equal(p.seeds[1].text, "kiln-seed:db3");
	bm_payload_free(&p);
	close(fd);
	/* the README names the medium's hosts with their rules */
	char *iso = build_set(MEDIA_ISO, dir, 1, 2);
	assert_non_null(strstr(iso, "/acme-mysql.iso"));
	assert_int_equal(sh("xorriso -indev '%s' -osirrox on -extract /README.txt '%s/README.txt' >/dev/null 2>&1 && "
			    "grep -q 'db2 .*{mac: \"52:54:00:00:00:02\"}' '%s/README.txt' && "
			    "grep -q 'db3 .*{dmi_serial: \"S3\"}' '%s/README.txt'", iso, md.dir, md.dir, md.dir), 0);
	/* a per-role medium and the per-host ones never share partition GUIDs */
	assert_int_equal(sh("test \"$(sfdisk --disk-id '%s')\" != \"$(sfdisk --disk-id '%s/usb/acme-db1.img')\"", img,
			    out), 0);
	free(iso);
	free(img);
	free(dir);
}

static void test_refusals(void **state_)
{
	(void)state_;
	bool want[ROLE__COUNT] = { [ROLE_MYSQL] = true };
	struct package_opts po = { 0 };
	struct target_ctx c = { .m = &m, .want = want, .out_dir = out, .po = &po, .source_date_epoch = -1 };
	struct role_images img = { .os_raw = md.img };
	struct set_fixture f;
	set_make(&f, 0, 1);
	char *path = NULL;
	capture_log();
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_ISO, &path), -EINVAL);   /* no media inputs */
	struct media_inputs mi = { .state = state, .installer = "/bin/true", .sign = test_sign };
	c.media = &mi;
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_ISO, &path), -EINVAL);   /* no rootfs tar */
	img.rootfs_tar = tar;
	struct buf none;
	buf_init(&none);
	const struct buf *no_seed[] = { &none };
	struct host_set empty = f.hs;
	empty.seeds = no_seed;
	assert_int_equal(media_build(&c, &empty, &img, MEDIA_USB, &path), -EINVAL);   /* no seed */
	assert_string_equal(last_error, "--target usb: no seed for host db1: Invalid argument");
	empty.n = 0;
	assert_int_equal(media_build(&c, &empty, &img, MEDIA_USB, &path), -EINVAL);   /* no host */
	mi.installer = "/nonexistent/kiln-installer";
	assert_true(media_build(&c, &f.hs, &img, MEDIA_USB, &path) < 0);
	mi.installer = "/bin/true";
	/* a rootfs without Debian's signed loaders cannot boot a medium */
	img.rootfs_tar = tar_noshim;
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_ISO, &path), -ENOENT);
	assert_non_null(strstr(last_error, "rootfs-noshim.tar has no /usr/lib/shim/shimx64.efi.signed (install "
					   "shim-signed in the role's recipe)"));
	/* a rootfs without grub-pc-bin cannot boot a medium under BIOS */
	img.rootfs_tar = tar_nopc;
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_USB, &path), -ENOENT);
	assert_non_null(strstr(last_error, "no GRUB i386-pc boot.img, diskboot.img and kernel.img in the rootfs "
					   "(install grub-pc-bin in the role's recipe)"));
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_ISO, &path), -ENOENT);
	assert_non_null(strstr(last_error, "(install grub-pc-bin in the role's recipe)"));
	/* boot files beyond a UEFI El Torito image's 32 MiB: no ISO; a USB
	 * image's ESP is no El Torito image and holds them */
	img.rootfs_tar = tar_biggrub;
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_ISO, &path), -EFBIG);
	assert_non_null(strstr(last_error, "the installer's boot files take 33"));
	assert_non_null(strstr(last_error, "KiB: a UEFI El Torito boot image holds at most 32 MiB"));
	char *bigdir = xasprintf("%s/big", out);
	assert_int_equal(mkdir_p(bigdir, 0755), 0);
	c.out_dir = bigdir;
	struct buf seed;
	buf_init(&seed);
	buf_puts(&seed, "kiln-seed:db1");
	const struct buf *seeds[] = { &seed };
	struct host_set one = f.hs;
	one.seeds = seeds;
	assert_int_equal(media_build(&c, &one, &img, MEDIA_USB, &path), 0);
	assert_int_equal(sh("sfdisk --json '%s' | python3 -c 'import json,sys; "
			    "p=json.load(sys.stdin)[\"partitiontable\"][\"partitions\"][0]; "
			    "sys.exit(not 33 << 20 < p[\"size\"] * 512 < 40 << 20)'", path), 0);   /* a FAT16 ESP over 32 MiB */
	free(path);
	path = NULL;
	buf_free(&seed);
	c.out_dir = out;
	free(bigdir);
	img.rootfs_tar = tar;
	set_free(&f);
	/* per role: db1 has no install.machine */
	set_make(&f, 0, 3);
	assert_int_equal(media_check(&c, &f.hs), -EINVAL);
	assert_string_equal(last_error, "p.yaml:6:5: host 'db1' has no install.machine rule: a medium per role "
					"(--per-role) picks its host by that rule (docs/profile.md)");
	assert_int_equal(media_build(&c, &f.hs, &img, MEDIA_USB, &path), -EINVAL);
	f.hs.n = 1;
	f.hs.per_role = false;   /* per host, no rule is needed */
	assert_int_equal(media_check(&c, &f.hs), 0);
	set_free(&f);
	set_make(&f, 1, 2);
	assert_int_equal(media_check(&c, &f.hs), 0);
	const struct host *many[BM_PAYLOAD_SEEDS + 1];
	for (size_t i = 0; i <= BM_PAYLOAD_SEEDS; i++)
		many[i] = &m.hosts[1];
	f.hs.hosts = many;
	f.hs.n = BM_PAYLOAD_SEEDS + 1;
	assert_int_equal(media_check(&c, &f.hs), -EFBIG);
	assert_non_null(strstr(last_error, "role mysql has 101 hosts, a medium carries at most 100"));
	f.hs.n = 2;
	set_free(&f);
	log_set_sink(NULL, NULL);
	assert_null(path);
	/* nothing left behind */
	assert_int_equal(sh("test -z \"$(ls -A '%s' | grep -v '^usb\\|^iso\\|^role\\|^big')\"", out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootkit),
		cmocka_unit_test(test_usb),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_per_role),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
