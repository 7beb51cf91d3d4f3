/* images/bootchain.c: the grub.cfg text (the disk images' and the
 * installer media's), checked by GRUB's own parser (grub-script-check) as
 * the oracle, the ESP's chain files, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>
#include "images/bootchain.h"
#include "lib/fileio.h"
#include "image_util.h"
#include "tmpdir_fixture.h"

static const char *const dir = tmpdir;

/* grub-script-check accepts text (exit 0). */
static void grub_parses(const char *text)
{
	char *p = xasprintf("%s/grub.cfg", dir);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	int rc;
	char *out = run_cmd(&rc, "grub-script-check '%s' 2>&1", p);
	if (rc != 0)
		fail_msg("grub-script-check: %s\n%s", out, text);
	free(out);
	free(p);
}

static void test_cfg(void **state)
{
	(void)state;
	struct bootchain_entry e = { .title = "Debian (kiln o'brien/app {x} $y)", .root_partuuid = "0a1b-uuid",
				     .cmdline_extra = "  console=tty0   console=ttyS0,115200 a;b ",
				     .esp_volume_id = 0x0000ABCDu };
	char *cfg = NULL;
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), 0);
	grub_parses(cfg);
	assert_non_null(strstr(cfg, "set timeout=0\n"));
	assert_non_null(strstr(cfg, "search --no-floppy --fs-uuid --set=root 0000-abcd\n"));
	assert_non_null(strstr(cfg, "menuentry 'Debian (kiln o'\\''brien/app {x} $y)' {\n"));
	assert_non_null(strstr(cfg, "\tlinux /kiln/vmlinuz 'root=PARTUUID=0a1b-uuid' 'rw' 'console=tty0' "
				    "'console=ttyS0,115200' 'a;b'\n\tinitrd /kiln/initrd.img\n}\n"));
	free(cfg);

	e.cmdline_extra = NULL;
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), 0);
	grub_parses(cfg);
	assert_non_null(strstr(cfg, "'rw'\n\tinitrd"));
	free(cfg);
}

/* The installer media's entry: the root found by a marker file, no root=. */
static void test_cfg_marker(void **state)
{
	(void)state;
	struct bootchain_entry e = { .title = "kiln installer: acme db1", .cmdline_extra = "console=ttyS0,115200 quiet",
				     .marker = "/kiln/medium-0123abcd", .kernel = "/kiln/vmlinuz",
				     .initrd = "/kiln/installer.img" };
	char *cfg = NULL;
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), 0);
	grub_parses(cfg);
	assert_non_null(strstr(cfg, "search --no-floppy --file --set=root /kiln/medium-0123abcd\n"));
	assert_null(strstr(cfg, "--fs-uuid"));
	assert_null(strstr(cfg, "root=PARTUUID"));
	assert_non_null(strstr(cfg, "\tlinux /kiln/vmlinuz 'console=ttyS0,115200' 'quiet'\n"
				    "\tinitrd /kiln/installer.img\n}\n"));
	free(cfg);

	/* paths GRUB would read as more than one word, or relative */
	static const char *const bad[] = { "kiln/vmlinuz", "/kiln/a b", "/kiln/$x", "/kiln/'", "/kiln/a;b", "" };
	capture_log();
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		for (int which = 0; which < 3; which++) {
			struct bootchain_entry b = e;
			*(which == 0 ? &b.marker : which == 1 ? &b.kernel : &b.initrd) = bad[i];
			assert_int_equal(bootchain_grub_cfg(&b, &cfg), -EINVAL);
			assert_non_null(strstr(last_error, "is not absolute or not made of letters"));
		}
	}
	log_set_sink(NULL, NULL);
}

/* The configuration core.img embeds: the same search command as grub.cfg
 * (bootchain_search_cmd), then the prefix; GRUB's parser accepts it. */
static void test_embed_cfg(void **state)
{
	(void)state;
	char *c = bootchain_bios_embed_cfg(&(struct bootchain_root){ .esp_volume_id = 0xabcd0123u });
	assert_string_equal(c, "search --no-floppy --fs-uuid --set=root abcd-0123\nset prefix=($root)/EFI/debian\n");
	grub_parses(c);
	free(c);
	c = bootchain_bios_embed_cfg(&(struct bootchain_root){ .marker = "/kiln/medium-00ff" });
	assert_string_equal(c, "search --no-floppy --file --set=root /kiln/medium-00ff\nset prefix=($root)/EFI/debian\n");
	grub_parses(c);
	free(c);
	/* grub.cfg's search line is the same text */
	char *cfg = NULL, *search = bootchain_search_cmd(&(struct bootchain_root){ .marker = "/kiln/medium-00ff" });
	assert_int_equal(bootchain_grub_cfg(&(struct bootchain_entry){ .title = "t", .marker = "/kiln/medium-00ff" }, &cfg),
			 0);
	assert_non_null(strstr(cfg, search));
	free(cfg);
	free(search);
	static const char *const bad[] = { "kiln/medium", "/kiln/a b", "/kiln/$x", "/kiln/a;b", "/kiln/'", "" };
	capture_log();
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_null(bootchain_bios_embed_cfg(&(struct bootchain_root){ .marker = bad[i] }));
		assert_non_null(strstr(last_error, "is not absolute or not made of letters"));
	}
	log_set_sink(NULL, NULL);
}

/* The ESP's chain files, the same three for images and media. */
static void test_esp_files(void **state)
{
	(void)state;
	struct bootchain_efi l = { "shim", 4, "grub", 4 };
	struct bootchain_entry e = { .title = "t", .root_partuuid = "u", .esp_volume_id = 1 };
	struct esp_file f[BOOTCHAIN_ESP_FILES];
	char *cfg;
	assert_int_equal(bootchain_esp_files("r.tar", &l, &e, &cfg, f), 0);
	assert_string_equal(f[0].path, "/EFI/BOOT/BOOTX64.EFI");
	assert_memory_equal(f[0].data, "shim", 4);
	assert_string_equal(f[1].path, "/EFI/BOOT/grubx64.efi");
	assert_memory_equal(f[1].data, "grub", 4);
	assert_string_equal(f[2].path, "/EFI/debian/grub.cfg");
	assert_ptr_equal(f[2].data, cfg);
	assert_int_equal(f[2].len, strlen(cfg));
	free(cfg);
	capture_log();
	l.grub = NULL;
	assert_int_equal(bootchain_esp_files("r.tar", &l, &e, &cfg, f), -ENOENT);
	assert_null(cfg);
	assert_string_equal(last_error, "rootfs tar r.tar has no /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed "
					"(install grub-efi-amd64-signed in the role's recipe): No such file or directory");
	l.shim = NULL;
	assert_int_equal(bootchain_esp_files("r.tar", &l, &e, &cfg, f), -ENOENT);
	assert_string_equal(last_error, "rootfs tar r.tar has no /usr/lib/shim/shimx64.efi.signed "
					"(install shim-signed in the role's recipe): No such file or directory");
	l = (struct bootchain_efi){ "shim", 4, "grub", 4 };
	e.cmdline_extra = "a\"b";
	assert_int_equal(bootchain_esp_files("r.tar", &l, &e, &cfg, f), -EINVAL);
	assert_null(cfg);
	log_set_sink(NULL, NULL);
}

static void test_fat_uuid(void **state)
{
	(void)state;
	char u[10];
	bootchain_fat_uuid(0xDEADBEEFu, u);
	assert_string_equal(u, "dead-beef");
	bootchain_fat_uuid(0x12u, u);
	assert_string_equal(u, "0000-0012");
}

static void refuse(const char *extra, const char *title, const char *msg)
{
	struct bootchain_entry e = { .title = title, .root_partuuid = "u", .cmdline_extra = extra };
	char *cfg = NULL;
	capture_log();
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), -EINVAL);
	assert_null(cfg);
	if (!strstr(last_error, msg))
		fail_msg("error \"%s\" lacks \"%s\"", last_error, msg);
	log_set_sink(NULL, NULL);
}

static void test_refusals(void **state)
{
	(void)state;
	refuse("a=\"b c\"", "t", "GRUB cannot pass a quote or backslash");
	refuse("a='b'", "t", "GRUB cannot pass a quote or backslash");
	refuse("a=b\\c", "t", "GRUB cannot pass a quote or backslash");
	refuse("quiet\ninitrd /evil", "t", "control character");
	refuse("quiet\x7f", "t", "control character");
	refuse("quiet", "t\n}\nmenuentry evil {", "title contains a control character");
	assert_int_equal(bootchain_check_cmdline(NULL), 0);
	assert_int_equal(bootchain_check_cmdline("console=ttyS0 $x;{}"), 0);
}

/* ---- BIOS ---- */

static void le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* A protective MBR as libfdisk writes one: zero code, disk signature 0,
 * one 0xEE entry, 55 AA. */
static void protective(uint8_t m[512])
{
	memset(m, 0, 512);
	m[0x1be + 4] = 0xee;
	le(m + 0x1be + 8, 1, 4);
	le(m + 0x1be + 12, 0xffffffffu, 4);
	m[0x10] = 0x42;   /* something in the BPB area, which must survive */
	m[0x1b8] = 0x77;  /* and in the disk signature */
	m[510] = 0x55;
	m[511] = 0xaa;
}

static void test_bios_mbr(void **state)
{
	(void)state;
	char *b;
	size_t n;
	assert_int_equal(read_file("/usr/lib/grub/i386-pc/boot.img", 4096, &b, &n), 0);
	assert_int_equal(n, 512);
	uint8_t m[512], orig[512];
	protective(m);
	memcpy(orig, m, sizeof m);
	assert_int_equal(bootchain_bios_mbr(m, (uint8_t *)b, 34), 0);
	assert_int_equal(rd(m + 0x5c, 8), 34);
	assert_int_equal(m[0x64], 0xff);
	assert_int_equal(m[0x66], 0x90);
	assert_int_equal(m[0x67], 0x90);
	assert_memory_equal(m + 3, orig + 3, 0x5a - 3);             /* BPB area kept */
	assert_memory_equal(m + 0x1b8, orig + 0x1b8, 0x1fe - 0x1b8); /* signature + table kept */
	assert_memory_equal(m, b, 3);                                /* GRUB's code elsewhere */
	assert_memory_equal(m + 0x5a, b + 0x5a, 2);
	assert_memory_equal(m + 0x68, b + 0x68, 0x1b8 - 0x68);
	assert_int_equal(m[510], 0x55);
	assert_int_equal(m[511], 0xaa);

	capture_log();
	protective(m);
	m[0x1be + 4] = 0x83;   /* an MBR partition, not a protective MBR */
	assert_int_equal(bootchain_bios_mbr(m, (uint8_t *)b, 34), -EINVAL);
	assert_non_null(strstr(last_error, "not a protective MBR"));
	protective(m);
	b[511] = 0;
	assert_int_equal(bootchain_bios_mbr(m, (uint8_t *)b, 34), -EINVAL);
	assert_non_null(strstr(last_error, "no 55 AA boot signature"));
	log_set_sink(NULL, NULL);
	free(b);
}

static void test_bios_core(void **state)
{
	(void)state;
	uint8_t core[4 * 512] = { 0 };
	le(core + 0x1fc, 3, 2);
	le(core + 0x1fe, 0x820, 2);
	le(core + 0x1f4, 2, 8);
	assert_int_equal(bootchain_bios_core(core, sizeof core, 34), 0);
	assert_int_equal(rd(core + 0x1f4, 8), 35);
	assert_int_equal(rd(core + 0x1fc, 2), 3);

	capture_log();
	le(core + 0x1fc, 7, 2);   /* says 7 sectors follow, 3 do */
	assert_int_equal(bootchain_bios_core(core, sizeof core, 34), -EPROTO);
	assert_non_null(strstr(last_error, "blocklist says 7 sectors"));
	le(core + 0x1fc, 3, 2);
	le(core + 0x1fe, 0x7c0, 2);
	assert_int_equal(bootchain_bios_core(core, sizeof core, 34), -EPROTO);
	assert_int_equal(bootchain_bios_core(core, 700, 34), -EINVAL);
	assert_int_equal(bootchain_bios_core(core, 512, 34), -EINVAL);
	log_set_sink(NULL, NULL);
}

/* bootchain_bios_install against the build machine's grub-pc-bin files. */
struct pcdir {
	struct bootchain_blob *v;
	char **data;
	size_t n;
};

static void pcdir_load(struct pcdir *d)
{
	int rc;
	char *names = run_cmd(&rc, "ls /usr/lib/grub/i386-pc");
	assert_int_equal(rc, 0);
	memset(d, 0, sizeof *d);
	for (char *save = NULL, *t = strtok_r(names, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
		d->data = xrealloc(d->data, (d->n + 1) * sizeof *d->data);
		char *p = xasprintf("/usr/lib/grub/i386-pc/%s", t);
		size_t len;
		assert_int_equal(read_file(p, 16u << 20, &d->data[d->n], &len), 0);
		free(p);
		d->v[d->n] = (struct bootchain_blob){ xstrdup(t), d->data[d->n], len };
		d->n++;
	}
	free(names);
}

static void pcdir_free(struct pcdir *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->v[i].name);
		free(d->data[i]);
	}
	free(d->v);
	free(d->data);
}

static char warned[1024];
static void warn_sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)ud;
	if (lvl == LOG_LVL_WARN)
		snprintf(warned, sizeof warned, "%s", msg);
}

static void test_grub_pc_version(void **state)
{
	(void)state;
	char *mi, *v;
	size_t n;
	assert_int_equal(read_file("/usr/lib/grub/i386-pc/modinfo.sh", 1 << 20, &mi, &n), 0);
	/* this machine's grub-pc-bin and grub-common are one release */
	assert_non_null(v = bootchain_grub_pc_version(mi, n));
	int rc;
	char *out = run_cmd(&rc, "grub-mkimage --version");
	char *want = xasprintf("grub-mkimage (GRUB) %s\n", v);
	assert_string_equal(out, want);
	free(want);
	free(out);
	free(v);
	free(mi);
	static const char none[] = "grub_version=\"2.06\"\n", open_quote[] = "grub_package_version=\"2.06\n";
	assert_null(bootchain_grub_pc_version(none, sizeof none - 1));
	assert_null(bootchain_grub_pc_version(open_quote, sizeof open_quote - 1));
	assert_null(bootchain_grub_pc_version("", 0));
}

static void test_bios_install(void **state)
{
	(void)state;
	const struct bootchain_root vol = { .esp_volume_id = 0x1234abcdu }, one = { .esp_volume_id = 1 };
	struct pcdir d;
	pcdir_load(&d);
	char *img = xasprintf("%s/disk.img", dir);
	int rc;
	char *out = run_cmd(&rc, "truncate -s 64M '%s' && printf 'label: gpt\nfirst-lba: 34\nstart=34, size=2014, "
			    "type=21686148-6449-6E6F-744E-656564454649\nstart=2048, type=U\n' | sfdisk -q '%s'", img, img);
	assert_int_equal(rc, 0);
	free(out);
	/* staging goes to TMPDIR: a private one, checked empty at the end */
	char *stage = xasprintf("%s/stage", dir);
	assert_int_equal(mkdir(stage, 0700), 0);
	setenv("TMPDIR", stage, 1);
	warned[0] = '\0';
	log_set_sink(warn_sink, NULL);
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 2014 * 512, &vol, d.v, d.n), 0);
	log_set_sink(NULL, NULL);
	assert_string_equal(warned, "");   /* one GRUB release: no version warning */
	/* the partition table is untouched, GRUB's code is in the MBR */
	out = run_cmd(&rc, "sgdisk -v '%s'", img);
	assert_non_null(strstr(out, "No problems found"));
	free(out);
	char *disk;
	size_t len;
	assert_int_equal(read_file(img, 64u << 20, &disk, &len), 0);
	const uint8_t *u = (const uint8_t *)disk;
	char *bi;
	size_t bil;
	assert_int_equal(read_file("/usr/lib/grub/i386-pc/boot.img", 4096, &bi, &bil), 0);
	assert_memory_equal(u + 0x68, bi + 0x68, 0x1b8 - 0x68);
	free(bi);
	assert_int_equal(rd(u + 0x5c, 8), 34);
	assert_int_equal(rd(u + 34 * 512 + 0x1f4, 8), 35);
	/* core.img's first sector is diskboot.img but for the blocklist */
	char *db;
	size_t dbl;
	assert_int_equal(read_file("/usr/lib/grub/i386-pc/diskboot.img", 4096, &db, &dbl), 0);
	assert_memory_equal(u + 34 * 512, db, 0x1f4);
	size_t sectors = rd(u + 34 * 512 + 0x1fc, 2) + 1;
	assert_true(sectors > 100 && sectors <= 2014);
	/* (the embedded configuration is LZMA-compressed inside core.img; that
	 * it finds the ESP is what tests/e2e/boot.sh's SeaBIOS boot shows) */
	free(db);
	free(disk);

	/* A rootfs GRUB of another release than this machine's grub-mkimage:
	 * built, with a warning naming both versions. */
	for (size_t i = 0; i < d.n; i++)
		if (!strcmp(d.v[i].name, "modinfo.sh")) {
			static const char other[] = "grub_version=\"9.99\"\ngrub_package_version=\"9.99-1\"\n";
			d.v[i].data = other;
			d.v[i].len = sizeof other - 1;
		}
	warned[0] = '\0';
	log_set_sink(warn_sink, NULL);
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 2014 * 512, &vol, d.v, d.n), 0);
	log_set_sink(NULL, NULL);
	assert_non_null(strstr(warned, "the rootfs's GRUB is 9.99-1, this machine's grub-mkimage is 2."));

	/* refusals */
	capture_log();
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 64 * 512, &one, d.v, d.n), -ENOSPC);
	assert_non_null(strstr(last_error, "does not fit the BIOS boot partition"));
	assert_int_equal(bootchain_bios_install(img, 34 * 512 + 1, 2014 * 512, &one, d.v, d.n), -EINVAL);
	struct bootchain_blob bad = d.v[0];
	d.v[0].name = "../x";
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 2014 * 512, &one, d.v, d.n), -EINVAL);
	assert_non_null(strstr(last_error, "bad file name \"../x\""));
	d.v[0] = bad;
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 2014 * 512, &one, d.v + 1, 3), -ENOENT);
	assert_non_null(strstr(last_error, "install grub-pc-bin"));
	char *missing = xasprintf("%s/none.img", dir);
	assert_int_equal(bootchain_bios_install(missing, 34 * 512, 2014 * 512, &one, d.v, d.n), -ENOENT);
	free(missing);
	log_set_sink(NULL, NULL);
	/* no staging directory left behind, after success or failure */
	out = run_cmd(&rc, "ls -A '%s'", stage);
	assert_string_equal(out, "");
	free(out);
	unsetenv("TMPDIR");
	free(stage);
	free(img);
	pcdir_free(&d);
}

/* The installer media's core.img finds its root by the marker file; a bad
 * marker is refused before anything is staged or written. */
static void test_bios_install_marker(void **state)
{
	(void)state;
	struct pcdir d;
	pcdir_load(&d);
	char *img = xasprintf("%s/media.img", dir);
	int rc;
	char *out = run_cmd(&rc, "rm -f '%s' && truncate -s 64M '%s' && printf 'label: gpt\nfirst-lba: 34\nstart=34, "
			    "size=2014, type=21686148-6449-6E6F-744E-656564454649\nstart=2048, type=U\n' | sfdisk -q '%s'",
			    img, img, img);
	assert_int_equal(rc, 0);
	free(out);
	char *stage = xasprintf("%s/stage-m", dir);
	assert_int_equal(mkdir(stage, 0700), 0);
	setenv("TMPDIR", stage, 1);
	char *before;
	size_t blen;
	assert_int_equal(read_file(img, 64u << 20, &before, &blen), 0);
	capture_log();
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 2014 * 512,
						&(struct bootchain_root){ .marker = "/kiln/a b" }, d.v, d.n), -EINVAL);
	assert_non_null(strstr(last_error, "marker path \"/kiln/a b\""));
	log_set_sink(NULL, NULL);
	char *after;
	size_t alen;
	assert_int_equal(read_file(img, 64u << 20, &after, &alen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, alen);   /* nothing written */
	free(after);
	assert_int_equal(bootchain_bios_install(img, 34 * 512, 2014 * 512,
						&(struct bootchain_root){ .marker = "/kiln/medium-0123" }, d.v, d.n), 0);
	assert_int_equal(read_file(img, 64u << 20, &after, &alen), 0);
	const uint8_t *u = (const uint8_t *)after;
	assert_int_equal(rd(u + 0x5c, 8), 34);
	assert_int_equal(rd(u + 34 * 512 + 0x1f4, 8), 35);
	assert_memory_not_equal(after + 34 * 512, before + 34 * 512, 512);
	free(after);
	free(before);
	out = run_cmd(&rc, "sgdisk -v '%s'", img);
	assert_non_null(strstr(out, "No problems found"));
	free(out);
	out = run_cmd(&rc, "ls -A '%s'", stage);
	assert_string_equal(out, "");
	free(out);
	rmdir(stage);
	unsetenv("TMPDIR");
	free(stage);
	free(img);
	pcdir_free(&d);
}

/* GRUB's El Torito BIOS image: cdboot.img, then diskboot.img and the rest
 * of core.img as grub-mkimage writes them (xorriso patches them in the
 * ISO), whole 2 KiB blocks, the same bytes every time; the refusals. */
static void test_bios_eltorito(void **state)
{
	(void)state;
	struct pcdir d;
	pcdir_load(&d);
	char *stage = xasprintf("%s/stage-e", dir);
	assert_int_equal(mkdir(stage, 0700), 0);
	setenv("TMPDIR", stage, 1);
	const struct bootchain_root root = { .marker = "/kiln/medium-0123abcd" };
	char *img, *img2;
	size_t len, len2;
	assert_int_equal(bootchain_bios_eltorito(&root, d.v, d.n, &img, &len), 0);
	assert_int_equal(len % 2048, 0);
	assert_true(len > 2048 + 512 && len < (1u << 20));
	char *cd, *db;
	size_t cdl, dbl;
	assert_int_equal(read_file("/usr/lib/grub/i386-pc/cdboot.img", 4096, &cd, &cdl), 0);
	assert_int_equal(cdl, 2048);
	assert_memory_equal(img, cd, cdl);
	assert_int_equal(read_file("/usr/lib/grub/i386-pc/diskboot.img", 4096, &db, &dbl), 0);
	assert_memory_equal(img + 2048, db, 0x1f4);
	free(cd);
	free(db);
	assert_int_equal(bootchain_bios_eltorito(&root, d.v, d.n, &img2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(img2, img, len);
	free(img2);
	/* another marker, another embedded configuration */
	assert_int_equal(bootchain_bios_eltorito(&(struct bootchain_root){ .marker = "/kiln/medium-4567" }, d.v, d.n,
						 &img2, &len2), 0);
	assert_true(len2 != len || memcmp(img2, img, len));
	free(img2);
	free(img);

	capture_log();
	assert_int_equal(bootchain_bios_eltorito(&(struct bootchain_root){ .marker = "kiln/x" }, d.v, d.n, &img, &len),
			 -EINVAL);
	assert_null(img);
	struct pcdir few = d;
	size_t k = 0;
	few.v = xcalloc(d.n, sizeof *few.v);
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.v[i].name, "cdboot.img"))
			few.v[k++] = d.v[i];
	assert_int_equal(bootchain_bios_eltorito(&root, few.v, k, &img, &len), -ENOENT);
	assert_non_null(strstr(last_error, "install grub-pc-bin"));
	free(few.v);
	log_set_sink(NULL, NULL);
	int rc;
	char *out = run_cmd(&rc, "ls -A '%s'", stage);
	assert_string_equal(out, "");
	free(out);
	rmdir(stage);
	unsetenv("TMPDIR");
	free(stage);
	pcdir_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_cfg_marker),
		cmocka_unit_test(test_esp_files),
		cmocka_unit_test(test_fat_uuid),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bios_mbr),
		cmocka_unit_test(test_bios_core),
		cmocka_unit_test(test_grub_pc_version),
		cmocka_unit_test(test_bios_install),
		cmocka_unit_test(test_embed_cfg),
		cmocka_unit_test(test_bios_install_marker),
		cmocka_unit_test(test_bios_eltorito),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
