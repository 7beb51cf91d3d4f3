/* images/ext4_writer: tars made here with libarchive, written with
 * ext4_from_tar(), then checked with the real tools (e2fsck -fn, debugfs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "images/ext4_writer.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define TS 1700000000LL
static char tmpdir[] = "/tmp/kiln-ext4-XXXXXX";
static struct buf logbuf;

static void sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)lvl; (void)ud;
	buf_puts(&logbuf, msg);
	buf_putc(&logbuf, '\n');
}

static char *tpath(const char *name) { return path_join(tmpdir, name); }

/* Run a shell command; return its stdout (malloc'd) and exit status. */
static char *sh(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *sh(int *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = NULL;
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	int st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	free(cmd);
	buf_putc(&b, 0);
	return buf_steal(&b);
}

static char *dbg(const char *img, const char *req)
{
	return sh(NULL, "debugfs -R '%s' '%s' 2>/dev/null", req, img);
}

/* The number after `key` in debugfs output (base 8 for modes). */
static long field(const char *out, const char *key, int base)
{
	const char *p = strstr(out, key);
	if (!p) {
		print_error("no \"%s\" in:\n%s\n", key, out);
		fail();
	}
	return strtol(p + strlen(key), NULL, base);
}

struct xa { const char *name; const void *val; size_t len; };
struct tent {
	const char *path;
	unsigned type;                /* AE_IF* */
	unsigned mode, uid, gid;
	const char *data;
	size_t len;
	const char *symlink, *hardlink;
	unsigned maj, min;
	long long mtime;
	struct xa x[3];
};

static void write_tar(const char *path, const struct tent *t, size_t n, bool gzip)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, t[i].path);
		archive_entry_set_filetype(e, t[i].type ? t[i].type : AE_IFREG);
		archive_entry_set_perm(e, t[i].mode ? t[i].mode : 0644);
		archive_entry_set_uid(e, t[i].uid);
		archive_entry_set_gid(e, t[i].gid);
		archive_entry_set_mtime(e, t[i].mtime ? t[i].mtime : TS - 1000, 0);
		if (t[i].symlink)
			archive_entry_set_symlink(e, t[i].symlink);
		if (t[i].hardlink)
			archive_entry_set_hardlink(e, t[i].hardlink);
		if (t[i].type == AE_IFCHR || t[i].type == AE_IFBLK) {
			archive_entry_set_rdevmajor(e, t[i].maj);
			archive_entry_set_rdevminor(e, t[i].min);
		}
		for (int k = 0; k < 3 && t[i].x[k].name; k++)
			archive_entry_xattr_add_entry(e, t[i].x[k].name, t[i].x[k].val, t[i].x[k].len);
		archive_entry_set_size(e, (la_int64_t)t[i].len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (t[i].len)
			assert_int_equal(archive_write_data(a, t[i].data, t[i].len), (la_ssize_t)t[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void make_image(const char *img, uint64_t len)
{
	int fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	close(fd);
}

static struct ext4_params params(void)
{
	struct ext4_params p;
	memset(&p, 0, sizeof(p));
	p.label = "root";
	for (int i = 0; i < 16; i++) {
		p.uuid[i] = (uint8_t)(0xa0 + i);
		p.hash_seed[i] = (uint8_t)(0x30 + i);
	}
	p.timestamp = TS;
	return p;
}

static void fsck_clean(const char *img)
{
	int st;
	char *out = sh(&st, "e2fsck -fn '%s' 2>&1", img);
	if (st != 0)
		print_error("e2fsck:\n%s\n", out);
	assert_int_equal(st, 0);
	free(out);
}

/* debugfs stat of path: type word, mode, uid, gid, size, links. */
static void check_stat(const char *img, const char *path, const char *type, long mode,
		       long uid, long gid, long size, long links)
{
	char req[600];
	snprintf(req, sizeof(req), "stat \"%s\"", path);
	char *o = dbg(img, req);
	char want[64];
	snprintf(want, sizeof(want), "Type: %s ", type);
	if (!strstr(o, want))
		print_error("%s: want %s in:\n%s\n", path, want, o);
	assert_non_null(strstr(o, want));
	assert_int_equal(field(o, "Mode:", 8), mode);
	assert_int_equal(field(o, "User:", 10), uid);
	assert_int_equal(field(o, "Group:", 10), gid);
	if (size >= 0)
		assert_int_equal(field(o, "Size: ", 10), size);
	assert_int_equal(field(o, "Links: ", 10), links);
	free(o);
}

static void check_content(const char *img, const char *path, const void *data, size_t len)
{
	char *out = tpath("dump.out");
	char req[700];
	unlink(out);
	snprintf(req, sizeof(req), "dump \"%s\" %s", path, out);
	free(dbg(img, req));
	char *d;
	size_t n;
	assert_int_equal(read_file(out, 64 << 20, &d, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(d, data, len);
	free(d);
	free(out);
}

static void check_xattr(const char *img, const char *path, const char *name, const void *v, size_t len)
{
	char *out = tpath("xattr.out");
	char req[700];
	unlink(out);
	snprintf(req, sizeof(req), "ea_get -f %s \"%s\" %s", out, path, name);
	free(dbg(img, req));
	char *d;
	size_t n;
	assert_int_equal(read_file(out, 1 << 20, &d, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(d, v, len);
	free(d);
	free(out);
}

static char *pseudo_random(size_t n, uint32_t seed)
{
	char *d = xmalloc(n);
	uint32_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		d[i] = (char)x;
	}
	return d;
}

struct cap { char *path; void *data; size_t len; int calls; };
static bool cap_want(void *ud, const char *path)
{
	(void)ud;
	return strcmp(path, "/boot/vmlinuz") == 0;
}
static void cap_take(void *ud, const char *path, void *data, size_t len)
{
	struct cap *c = ud;
	c->path = xstrdup(path);
	c->data = data;
	c->len = len;
	c->calls++;
}
static void progress_cb(void *ud, uint64_t done) { *(uint64_t *)ud = done; }

/* security.capability for cap_net_raw+ep (VFS_CAP_REVISION_2) */
static const unsigned char ping_cap[20] = { 0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 0 };

static void test_every_entry_type(void **state)
{
	(void)state;
	size_t big_len = (3u << 20) + 123;
	char *big = pseudo_random(big_len, 42);
	char longname[300] = "long/";
	memset(longname + 5, 'n', 255);
	longname[260] = 0;
	char slow[200];
	memset(slow, 's', 150);
	slow[150] = 0;
	const char *kernel = "MZ fake kernel image";
	/* random, 1 MiB of zeros at an unaligned offset, random: the zero blocks become holes */
	size_t holes_len = (2u << 20) + 777;
	char *holes = pseudo_random(holes_len, 9);
	memset(holes + 100000, 0, 1 << 20);
	const struct tent t[] = {
		{ .path = "./", .type = AE_IFDIR, .mode = 0750, .uid = 0, .gid = 0 },
		{ .path = "./etc/", .type = AE_IFDIR, .mode = 0755 },
		{ .path = "./etc/hostname", .data = "tarhost\n", .len = 8, .uid = 1000, .gid = 1001, .mode = 0640 },
		{ .path = "./etc/motd", .data = "hi\n", .len = 3 },
		{ .path = "./etc/empty", .mode = 0600 },
		{ .path = "./bin/ping", .mode = 04755, .data = "ELF", .len = 3,
		  .x = { { "security.capability", ping_cap, sizeof(ping_cap) },
			 { "user.note", "bar", 3 }, { "trusted.t", "x", 1 } } },
		{ .path = "./srv/shared/", .type = AE_IFDIR, .mode = 02775, .gid = 50 },
		{ .path = "./tmp/", .type = AE_IFDIR, .mode = 01777 },
		{ .path = "./usr/share/big.bin", .data = big, .len = big_len, .uid = 7, .gid = 8 },
		{ .path = "./deep/a/b/c/d/e/f/g/h/i/j/file", .data = "deep\n", .len = 5 },
		{ .path = "./usr/share/holes.bin", .data = holes, .len = holes_len },
		{ .path = longname, .data = "L", .len = 1 },
		{ .path = "./link-fast", .type = AE_IFLNK, .mode = 0777, .symlink = "etc/hostname" },
		{ .path = "./link-slow", .type = AE_IFLNK, .mode = 0777, .symlink = slow, .uid = 3, .gid = 4 },
		{ .path = "./h1", .data = "chain\n", .len = 6, .mode = 0755 },
		{ .path = "./h2", .hardlink = "./h1" },
		{ .path = "./sub/h3", .hardlink = "h2" },
		{ .path = "./dev/null", .type = AE_IFCHR, .mode = 0666, .maj = 1, .min = 3 },
		{ .path = "./dev/sda", .type = AE_IFBLK, .mode = 0660, .gid = 6, .maj = 8, .min = 0 },
		{ .path = "./dev/nvme", .type = AE_IFBLK, .mode = 0660, .maj = 259, .min = 300 },
		{ .path = "./run/fifo", .type = AE_IFIFO, .mode = 0620 },
		{ .path = "./boot/vmlinuz", .data = kernel, .len = strlen(kernel) },
		{ .path = "./future", .data = "f", .len = 1, .mtime = TS + 100000 },
		{ .path = "./lost+found/", .type = AE_IFDIR, .mode = 0700 },
	};
	char *tar = tpath("all.tar.gz"), *img = tpath("all.img");
	write_tar(tar, t, sizeof(t) / sizeof(t[0]), true);
	make_image(img, 64 << 20);
	const char *seed = "seed-data";
	const struct overlay_entry ov[] = {
		{ .path = "/etc/hostname", .type = OVERLAY_FILE, .mode = 0644, .data = "overlay\n", .len = 8 },
		{ .path = "/etc/kiln", .type = OVERLAY_DIR, .mode = 0700 },
		{ .path = "/etc/kiln/seed", .type = OVERLAY_FILE, .mode = 0600, .uid = 0, .gid = 0,
		  .data = seed, .len = strlen(seed) },
		{ .path = "/etc/motd", .type = OVERLAY_SYMLINK, .target = "/run/motd" },
		{ .path = "/usr/sbin/kiln-firstboot", .type = OVERLAY_FILE, .mode = 0755, .data = "x", .len = 1 },
	};
	struct ext4_params p = params();
	struct cap c = { 0 };
	struct ext4_capture capture = { cap_want, cap_take, &c };
	uint64_t done = 0;
	/* /usr/sbin is not in the tar: the overlay must refuse (parents must exist) */
	buf_free(&logbuf);
	assert_int_equal(ext4_from_tar(img, 0, 64 << 20, &p, tar, ov, 5, &capture, progress_cb, &done),
			 -ENOENT);
	assert_non_null(strstr(logbuf.data, "/usr/sbin/kiln-firstboot"));
	free(c.path);
	free(c.data);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ext4_from_tar(img, 0, 64 << 20, &p, tar, ov, 4, &capture, progress_cb, &done), 0);
	assert_true(done > 0);
	fsck_clean(img);

	/* capture */
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.path, "/boot/vmlinuz");
	assert_int_equal(c.len, strlen(kernel));
	assert_memory_equal(c.data, kernel, c.len);
	free(c.path);
	free(c.data);

	check_stat(img, "/", "directory", 0750, 0, 0, -1, 14);   /* 12 subdirectories */
	check_stat(img, "/etc", "directory", 0755, 0, 0, -1, 3);
	check_stat(img, "/etc/hostname", "regular", 0644, 0, 0, 8, 1);
	check_content(img, "/etc/hostname", "overlay\n", 8);
	check_stat(img, "/etc/kiln", "directory", 0700, 0, 0, -1, 2);
	check_stat(img, "/etc/kiln/seed", "regular", 0600, 0, 0, 9, 1);
	check_content(img, "/etc/kiln/seed", seed, strlen(seed));
	char *o = dbg(img, "stat /etc/motd");
	assert_non_null(strstr(o, "Fast link dest: \"/run/motd\""));
	free(o);
	check_stat(img, "/etc/empty", "regular", 0600, 0, 0, 0, 1);
	check_stat(img, "/bin/ping", "regular", 04755, 0, 0, 3, 1);
	check_xattr(img, "/bin/ping", "security.capability", ping_cap, sizeof(ping_cap));
	check_xattr(img, "/bin/ping", "user.note", "bar", 3);
	check_xattr(img, "/bin/ping", "trusted.t", "x", 1);
	check_stat(img, "/srv/shared", "directory", 02775, 0, 50, -1, 2);
	check_stat(img, "/srv", "directory", 0755, 0, 0, -1, 3);       /* implicit parent */
	check_stat(img, "/tmp", "directory", 01777, 0, 0, -1, 2);
	check_stat(img, "/usr/share/big.bin", "regular", 0644, 7, 8, (long)big_len, 1);
	check_content(img, "/usr/share/big.bin", big, big_len);
	check_content(img, "/usr/share/holes.bin", holes, holes_len);
	o = dbg(img, "stat /usr/share/holes.bin");
	assert_true(field(o, "Blockcount: ", 10) * 512 < (long)holes_len - (1 << 20) + 8192);
	free(o);
	free(holes);
	check_stat(img, "/deep/a/b/c/d/e/f/g/h/i/j/file", "regular", 0644, 0, 0, 5, 1);
	char lp[320];
	snprintf(lp, sizeof(lp), "/%s", longname);
	check_stat(img, lp, "regular", 0644, 0, 0, 1, 1);
	check_stat(img, "/link-fast", "symlink", 0777, 0, 0, 12, 1);
	o = dbg(img, "stat /link-fast");
	assert_non_null(strstr(o, "Fast link dest: \"etc/hostname\""));
	free(o);
	check_stat(img, "/link-slow", "symlink", 0777, 3, 4, 150, 1);
	o = dbg(img, "cat /link-slow");
	assert_string_equal(o, slow);
	free(o);
	check_stat(img, "/h1", "regular", 0755, 0, 0, 6, 3);
	check_stat(img, "/h2", "regular", 0755, 0, 0, 6, 3);
	check_stat(img, "/sub/h3", "regular", 0755, 0, 0, 6, 3);
	check_content(img, "/sub/h3", "chain\n", 6);
	o = dbg(img, "stat /h1");
	char *o2 = dbg(img, "stat /sub/h3");
	assert_int_equal(field(o, "Inode: ", 10), field(o2, "Inode: ", 10));
	free(o);
	free(o2);
	check_stat(img, "/dev/null", "character special", 0666, 0, 0, -1, 1);
	o = dbg(img, "stat /dev/null");
	assert_non_null(strstr(o, "Device major/minor number: 01:03"));
	free(o);
	check_stat(img, "/dev/sda", "block special", 0660, 0, 6, -1, 1);
	o = dbg(img, "stat /dev/nvme");
	assert_non_null(strstr(o, "Device major/minor number: 259:300"));
	free(o);
	check_stat(img, "/run/fifo", "FIFO", 0620, 0, 0, -1, 1);
	check_stat(img, "/lost+found", "directory", 0700, 0, 0, 16384, 2);

	/* times: tar mtime kept, later ones clamped to the timestamp */
	o = dbg(img, "stat /h1");
	assert_int_equal(field(o, "mtime: 0x", 16), TS - 1000);
	free(o);
	o = dbg(img, "stat /future");
	assert_int_equal(field(o, "mtime: 0x", 16), TS);
	free(o);
	o = sh(NULL, "dumpe2fs -h '%s' 2>/dev/null", img);
	assert_non_null(strstr(o, "has_journal ext_attr resize_inode dir_index filetype extent 64bit "
				  "flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum"));
	assert_non_null(strstr(o, "Filesystem UUID:          a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf"));
	assert_non_null(strstr(o, "Filesystem volume name:   root"));
	free(o);
	free(big);
	free(tar);
	free(img);
}

/* GNU tar's sparse entries keep their holes. */
static void test_sparse_file(void **state)
{
	(void)state;
	char *src = tpath("sparse-src"), *tar = tpath("sparse.tar"), *img = tpath("sparse.img");
	int st;
	free(sh(&st, "mkdir -p '%s' && truncate -s 20M '%s/s' && printf end >> '%s/s' && "
		   "tar --sparse --numeric-owner -C '%s' -cf '%s' s", src, src, src, src, tar));
	assert_int_equal(st, 0);
	make_image(img, 64 << 20);
	struct ext4_params p = params();
	assert_int_equal(ext4_from_tar(img, 0, 64 << 20, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	fsck_clean(img);
	char *o = dbg(img, "stat /s");
	assert_int_equal(field(o, "Size: ", 10), (20 << 20) + 3);
	assert_true(field(o, "Blockcount: ", 10) <= 16);       /* one 4 KiB block, in sectors */
	free(o);
	char *want = xcalloc((20 << 20) + 3, 1);
	memcpy(want + (20 << 20), "end", 3);
	check_content(img, "/s", want, (20 << 20) + 3);
	free(want);
	free(sh(NULL, "rm -rf '%s'", src));
	free(src);
	free(tar);
	free(img);
}

/* Later entries replace earlier ones of the same path cleanly. */
static void test_replacement(void **state)
{
	(void)state;
	char *big = pseudo_random(1 << 20, 7);
	const struct tent t[] = {
		{ .path = "a", .data = big, .len = 1 << 20 },
		{ .path = "a", .data = "second", .len = 6, .mode = 0600 },
		{ .path = "b", .data = "file", .len = 4 },
		{ .path = "b", .type = AE_IFLNK, .symlink = "a" },
		{ .path = "c", .type = AE_IFLNK, .symlink = "a" },
		{ .path = "c", .type = AE_IFDIR, .mode = 0711 },
		{ .path = "c/x", .data = "x", .len = 1 },
		{ .path = "c", .type = AE_IFDIR, .mode = 0755, .uid = 9 },
		{ .path = "h", .data = "h", .len = 1 },
		{ .path = "h2", .hardlink = "h" },
		{ .path = "h", .data = "new", .len = 3 },
	};
	char *tar = tpath("rep.tar"), *img = tpath("rep.img");
	write_tar(tar, t, sizeof(t) / sizeof(t[0]), false);
	make_image(img, 32 << 20);
	struct ext4_params p = params();
	assert_int_equal(ext4_from_tar(img, 0, 32 << 20, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	fsck_clean(img);
	check_stat(img, "/a", "regular", 0600, 0, 0, 6, 1);
	check_content(img, "/a", "second", 6);
	check_stat(img, "/b", "symlink", 0644, 0, 0, 1, 1);
	check_stat(img, "/c", "directory", 0755, 9, 0, -1, 2);
	check_content(img, "/c/x", "x", 1);
	check_stat(img, "/h", "regular", 0644, 0, 0, 3, 1);
	check_stat(img, "/h2", "regular", 0644, 0, 0, 1, 1);
	check_content(img, "/h2", "h", 1);
	free(big);
	free(tar);
	free(img);
}

/* Symlinked parent directories are followed, as tar extraction does:
 * merged /usr ("bin -> usr/bin") for tar entries and the overlay. */
static void test_symlinked_parents(void **state)
{
	(void)state;
	const struct tent t[] = {
		{ .path = "usr/bin/", .type = AE_IFDIR, .mode = 0755 },
		{ .path = "usr/lib/", .type = AE_IFDIR, .mode = 0755 },
		{ .path = "bin", .type = AE_IFLNK, .symlink = "usr/bin" },
		{ .path = "lib", .type = AE_IFLNK, .symlink = "/usr/lib" },
		{ .path = "usr/sbin", .type = AE_IFLNK, .symlink = "../usr/./bin/" },
		{ .path = "bin/tool", .data = "one", .len = 3 },
		{ .path = "usr/bin/tool", .data = "two", .len = 3 },     /* the same file */
		{ .path = "usr/sbin/tool2", .data = "three", .len = 5 },
		{ .path = "bin2", .hardlink = "bin" },                    /* a hard-linked symlink */
		{ .path = "bin2/viahl", .data = "4", .len = 1 },
		{ .path = "loop1", .type = AE_IFLNK, .symlink = "loop2" },
		{ .path = "loop2", .type = AE_IFLNK, .symlink = "loop1" },
	};
	char *tar = tpath("links.tar"), *img = tpath("links.img");
	write_tar(tar, t, sizeof(t) / sizeof(t[0]), false);
	make_image(img, 16 << 20);
	const struct overlay_entry ov[] = {
		{ .path = "/lib/x.conf", .type = OVERLAY_FILE, .mode = 0644, .data = "x", .len = 1 },
		{ .path = "/bin/tool", .type = OVERLAY_FILE, .mode = 0755, .data = "five", .len = 4 },
	};
	struct ext4_params p = params();
	assert_int_equal(ext4_from_tar(img, 0, 16 << 20, &p, tar, ov, 2, NULL, NULL, NULL), 0);
	fsck_clean(img);
	check_stat(img, "/usr/bin/tool", "regular", 0755, 0, 0, 4, 1);
	check_content(img, "/usr/bin/tool", "five", 4);
	check_content(img, "/usr/bin/tool2", "three", 5);
	check_content(img, "/usr/bin/viahl", "4", 1);
	check_content(img, "/usr/lib/x.conf", "x", 1);
	check_stat(img, "/bin", "symlink", 0644, 0, 0, 7, 2);
	char *o = dbg(img, "ls /usr/bin");
	const char *one = strstr(o, ") tool ");                   /* one "tool", not two */
	assert_non_null(one);
	assert_null(strstr(one + 1, ") tool "));
	free(o);

	const struct tent loop[] = {
		{ .path = "loop1", .type = AE_IFLNK, .symlink = "loop2" },
		{ .path = "loop2", .type = AE_IFLNK, .symlink = "loop1" },
		{ .path = "loop1/f", .data = "x", .len = 1 },
	};
	write_tar(tar, loop, 3, false);
	buf_free(&logbuf);
	assert_int_equal(ext4_from_tar(img, 0, 16 << 20, &p, tar, NULL, 0, NULL, NULL, NULL), -ELOOP);
	assert_non_null(strstr(logbuf.data, "\"loop1/f\": too many levels of symbolic links"));
	free(tar);
	free(img);
}

/* An overlay file streamed from the host (a container image archive): its
 * bytes land as they are; a file that changed since the overlay was made
 * (another size, another sha256) is refused. */
static void test_overlay_from_host_file(void **state)
{
	(void)state;
	const struct tent t[] = { { .path = "usr/share/", .type = AE_IFDIR, .mode = 0755 } };
	char *tar = tpath("host.tar"), *img = tpath("host.img"), *src = tpath("archive.bin");
	write_tar(tar, t, 1, false);
	size_t n = (3u << 20) + 123;   /* several reads of 1 MiB and a tail */
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + (i >> 12));
	assert_int_equal(write_file_atomic(src, data, n, 0644), 0);
	int st;
	char *hex = sh(&st, "sha256sum '%s' | cut -c1-64 | tr -d '\n'", src);
	assert_int_equal(st, 0);
	struct overlay_entry ov = { .path = "/usr/share/app.tar", .type = OVERLAY_FILE, .mode = 0600, .len = n,
				    .src_path = src, .src_sha256 = hex };
	struct ext4_params p = params();
	make_image(img, 32 << 20);
	assert_int_equal(ext4_from_tar(img, 0, 32 << 20, &p, tar, &ov, 1, NULL, NULL, NULL), 0);
	fsck_clean(img);
	check_stat(img, "/usr/share/app.tar", "regular", 0600, 0, 0, n, 1);
	check_content(img, "/usr/share/app.tar", data, n);
	/* the file is not what was hashed */
	ov.src_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	buf_free(&logbuf);
	make_image(img, 32 << 20);
	assert_int_equal(ext4_from_tar(img, 0, 32 << 20, &p, tar, &ov, 1, NULL, NULL, NULL), -EBADMSG);
	assert_non_null(strstr(logbuf.data, "archive.bin changed while being copied"));
	/* shorter, longer than it was */
	ov.src_sha256 = hex;
	for (int k = 0; k < 2; k++) {
		ov.len = k ? n - 1 : n + 1;
		buf_free(&logbuf);
		make_image(img, 32 << 20);
		assert_int_equal(ext4_from_tar(img, 0, 32 << 20, &p, tar, &ov, 1, NULL, NULL, NULL), -EIO);
		assert_non_null(strstr(logbuf.data, "archive.bin changed size while being copied"));
	}
	/* gone */
	ov.len = n;
	unlink(src);
	make_image(img, 32 << 20);
	assert_int_equal(ext4_from_tar(img, 0, 32 << 20, &p, tar, &ov, 1, NULL, NULL, NULL), -ENOENT);
	free(hex);
	free(data);
	free(src);
	free(img);
	free(tar);
}

static int cmp_files(const char *a, uint64_t a_off, const char *b, uint64_t len)
{
	int st;
	free(sh(&st, "cmp -s -i %llu:0 -n %llu '%s' '%s'", (unsigned long long)a_off,
		(unsigned long long)len, a, b));
	return st;
}

/* Same tar + same params => the same bytes, at any offset; bytes around the
 * region are not touched. */
static void test_reproducible_and_offset(void **state)
{
	(void)state;
	const struct tent t[] = {
		{ .path = "./", .type = AE_IFDIR, .mode = 0755 },
		{ .path = "etc/passwd", .data = "root:x:0:0::/root:/bin/sh\n", .len = 26 },
		{ .path = "usr/bin/tool", .data = "#!/bin/sh\n", .len = 10, .mode = 0755,
		  .x = { { "user.k", "v", 1 } } },
		{ .path = "var/lib/x", .type = AE_IFLNK, .symlink = "../../etc/passwd" },
		{ .path = "late", .data = "t", .len = 1, .mtime = TS + 5 },
	};
	char *tar = tpath("rep.tar"), *a = tpath("a.img"), *b = tpath("b.img"), *c = tpath("c.img");
	write_tar(tar, t, sizeof(t) / sizeof(t[0]), false);
	uint64_t sz = 48 << 20, off = 3 << 20;
	struct ext4_params p = params();
	make_image(a, sz);
	make_image(b, sz);
	assert_int_equal(ext4_from_tar(a, 0, sz, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	sleep(1);                         /* a clock leak would show up as a difference */
	assert_int_equal(ext4_from_tar(b, 0, sz, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	assert_int_equal(cmp_files(a, 0, b, sz), 0);
	fsck_clean(a);

	/* offset: 0xAA before and after the region must survive */
	int fd = open(c, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char *pat = xmalloc(1 << 20);
	memset(pat, 0xaa, 1 << 20);
	for (uint64_t o = 0; o < off; o += 1 << 20)
		assert_int_equal(pwrite(fd, pat, 1 << 20, (off_t)o), 1 << 20);
	assert_int_equal(pwrite(fd, pat, 1 << 20, (off_t)(off + sz)), 1 << 20);
	/* stale data inside the region must not leak into the filesystem */
	assert_int_equal(pwrite(fd, pat, 1 << 20, (off_t)(off + (5 << 20))), 1 << 20);
	close(fd);
	assert_int_equal(ext4_from_tar(c, off, sz, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	assert_int_equal(cmp_files(c, off, a, sz), 0);
	char *d;
	size_t n;
	assert_int_equal(read_file(c, 128 << 20, &d, &n), 0);
	assert_int_equal(n, off + sz + (1 << 20));
	for (uint64_t i = 0; i < off; i++)
		if ((unsigned char)d[i] != 0xaa)
			fail_msg("byte %llu before the region changed", (unsigned long long)i);
	assert_memory_equal(d + off + sz, pat, 1 << 20);
	free(d);

	/* "-" reads the tar from stdin */
	assert_non_null(freopen(tar, "r", stdin));
	assert_int_equal(ext4_from_tar(b, 0, sz, &p, "-", NULL, 0, NULL, NULL, NULL), 0);
	assert_int_equal(cmp_files(a, 0, b, sz), 0);

	/* a different timestamp changes the bytes (the times are really used) */
	p.timestamp = TS + 1;
	assert_int_equal(ext4_from_tar(b, 0, sz, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	assert_int_not_equal(cmp_files(a, 0, b, sz), 0);
	free(pat);
	free(tar);
	free(a);
	free(b);
	free(c);
}

static void expect_refusal(const struct tent *t, size_t n, uint64_t size, int err, const char *msg)
{
	char *tar = tpath("bad.tar"), *img = tpath("bad.img");
	write_tar(tar, t, n, false);
	make_image(img, size);
	struct ext4_params p = params();
	buf_free(&logbuf);
	assert_int_equal(ext4_from_tar(img, 0, size, &p, tar, NULL, 0, NULL, NULL, NULL), err);
	if (!logbuf.data || !strstr(logbuf.data, msg))
		fail_msg("want \"%s\" in log:\n%s", msg, logbuf.data ? logbuf.data : "(empty)");
	free(tar);
	free(img);
}

static void test_refusals(void **state)
{
	(void)state;
	const struct tent abs[] = { { .path = "ok", .data = "x", .len = 1 },
				    { .path = "/etc/shadow", .data = "x", .len = 1 } };
	expect_refusal(abs, 2, 16 << 20, -EPERM, "\"/etc/shadow\": absolute paths and \"..\" are refused");
	const struct tent dots[] = { { .path = "a/../../b", .data = "x", .len = 1 } };
	expect_refusal(dots, 1, 16 << 20, -EPERM, "\"a/../../b\": absolute paths");
	const struct tent hl[] = { { .path = "a", .data = "x", .len = 1 },
				   { .path = "link", .hardlink = "missing" } };
	expect_refusal(hl, 2, 16 << 20, -ENOENT, "hard link \"link\": target \"missing\"");
	const struct tent hldots[] = { { .path = "link", .hardlink = "../etc/x" } };
	expect_refusal(hldots, 1, 16 << 20, -EPERM, "hard link target of \"link\"");
	char *big = pseudo_random(24 << 20, 1);
	const struct tent toobig[] = { { .path = "small", .data = "x", .len = 1 },
				       { .path = "huge", .data = big, .len = 24 << 20 },
				       { .path = "after", .data = big, .len = 8 << 20 } };
	expect_refusal(toobig, 3, 16 << 20, -ENOSPC, "filesystem of 16 MiB is too small");
	assert_non_null(strstr(logbuf.data, "\"huge\""));
	assert_ptr_equal(strchr(logbuf.data, '\n'), logbuf.data + logbuf.len - 1);   /* logged once */
	long need = strtol(strstr(logbuf.data, "needs at least ") + 15, NULL, 10);
	assert_true(need >= 32 && need < 256);
	free(big);
	/* more entries than inodes */
	static struct tent many[700];
	static char names[700][16];
	for (int i = 0; i < 700; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		many[i] = (struct tent){ .path = names[i] };
	}
	expect_refusal(many, 700, 8 << 20, -ENOSPC, "is too small");
	const struct tent dirrep[] = { { .path = "d/f", .data = "x", .len = 1 },
				       { .path = "d", .data = "x", .len = 1 } };
	expect_refusal(dirrep, 2, 16 << 20, -EISDIR, "\"d\" would replace a directory");
	const struct tent notdir[] = { { .path = "f", .data = "x", .len = 1 },
				       { .path = "f/g", .data = "x", .len = 1 } };
	expect_refusal(notdir, 2, 16 << 20, -ENOTDIR, "/f is not a directory");

	/* a missing tar fails before the image is touched */
	char *img = tpath("untouched.img");
	make_image(img, 16 << 20);
	struct ext4_params p = params();
	buf_free(&logbuf);
	assert_int_equal(ext4_from_tar(img, 0, 16 << 20, &p, "/nonexistent/root.tar", NULL, 0, NULL,
				       NULL, NULL), -ENOENT);
	assert_non_null(strstr(logbuf.data, "cannot open tar /nonexistent/root.tar"));
	/* an image shorter than offset+size */
	char *tar = tpath("bad.tar");
	buf_free(&logbuf);
	assert_int_equal(ext4_from_tar(img, 1 << 20, 16 << 20, &p, tar, NULL, 0, NULL, NULL, NULL),
			 -EINVAL);
	assert_non_null(strstr(logbuf.data, "smaller than offset+size"));
	/* garbage instead of a tar */
	assert_int_equal(write_file_atomic(tar, "this is not a tar archive at all", 32, 0600), 0);
	buf_free(&logbuf);
	assert_true(ext4_from_tar(img, 0, 16 << 20, &p, tar, NULL, 0, NULL, NULL, NULL) < 0);
	assert_non_null(strstr(logbuf.data, "tar"));
	/* a filesystem far too small to hold even the metadata */
	const struct tent one[] = { { .path = "x", .data = "x", .len = 1 } };
	write_tar(tar, one, 1, false);
	buf_free(&logbuf);
	assert_int_equal(ext4_from_tar(img, 0, 1 << 20, &p, tar, NULL, 0, NULL, NULL, NULL),
			 -ENOSPC);
	assert_non_null(strstr(logbuf.data, "needs at least"));
	free(tar);
	free(img);
}

/* POSIX ACLs in the tar (SCHILY.acl.*) become system.posix_acl_* xattrs. */
static void test_posix_acls(void **state)
{
	(void)state;
	char *tar = tpath("acl.tar"), *img = tpath("acl.img");
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, tar), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "shared");
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0770);
	archive_entry_set_mtime(e, TS, 0);
	assert_int_equal(archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS,
		ARCHIVE_ENTRY_ACL_READ | ARCHIVE_ENTRY_ACL_WRITE, ARCHIVE_ENTRY_ACL_USER, 1234, "u"), 0);
	assert_int_equal(archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS,
		ARCHIVE_ENTRY_ACL_READ | ARCHIVE_ENTRY_ACL_WRITE | ARCHIVE_ENTRY_ACL_EXECUTE,
		ARCHIVE_ENTRY_ACL_MASK, -1, NULL), 0);
	assert_int_equal(archive_entry_acl_add_entry(e, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT,
		ARCHIVE_ENTRY_ACL_READ, ARCHIVE_ENTRY_ACL_GROUP, 99, "g"), 0);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	make_image(img, 16 << 20);
	struct ext4_params p = params();
	assert_int_equal(ext4_from_tar(img, 0, 16 << 20, &p, tar, NULL, 0, NULL, NULL, NULL), 0);
	fsck_clean(img);
	/* version 2, then {tag, perm, id} sorted by tag: user::rwx user:1234:rw-
	 * group::rwx mask::rwx other::--- (ext4 stores no id for the unnamed
	 * entries; libext2fs reads them back as 0) */
	static const unsigned char access[] = { 2, 0, 0, 0,
		0x01, 0, 7, 0, 0, 0, 0, 0,  0x02, 0, 6, 0, 0xd2, 0x04, 0, 0,
		0x04, 0, 7, 0, 0, 0, 0, 0,  0x10, 0, 7, 0, 0, 0, 0, 0,
		0x20, 0, 0, 0, 0, 0, 0, 0 };
	check_xattr(img, "/shared", "system.posix_acl_access", access, sizeof(access));
	char *o = dbg(img, "ea_list /shared");
	assert_non_null(strstr(o, "system.posix_acl_default"));
	free(o);
	free(tar);
	free(img);
}

static int setup(void **state)
{
	(void)state;
	log_set_sink(sink, NULL);
	buf_init(&logbuf);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	buf_free(&logbuf);
	free(sh(NULL, "rm -rf '%s'", tmpdir));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_entry_type),
		cmocka_unit_test(test_sparse_file),
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_symlinked_parents),
		cmocka_unit_test(test_overlay_from_host_file),
		cmocka_unit_test(test_reproducible_and_offset),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_posix_acls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
