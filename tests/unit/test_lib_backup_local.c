/* lib/backup_local.c: a directory of backup objects listed (nested, sorted,
 * only *.kbk regular files, symbolic links not followed, bad headers
 * flagged), opened by name (no escape from the directory), verified, and
 * restored whole or not at all; extracted through a program into a staging
 * directory that is the result only if the object authenticated and the
 * program read all of it and exited 0, else removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/backup_local.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/tmpdir_fixture.h"

static struct role_keypair *key_a, *key_b;

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", tmpdir, rel);
}

/* Writes an object of n pattern bytes named name at file rel (below tmpdir). */
static void put_object(const char *rel, const char *name, size_t n)
{
	char *p = tpath(rel), *slash = strrchr(p, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(p, 0755), 0);
	*slash = '/';
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	struct backup_meta m = { 0 };
	strcpy(m.kind, "binlog");
	strcpy(m.name, name);
	m.created = 1796320800;
	m.chunk_size = 1024;
	struct backup_writer *w;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, backup_fd_sink, &fd), 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(i * 7);
		assert_int_equal(backup_writer_write(w, &c, 1), 0);
	}
	assert_int_equal(backup_writer_finish(w), 0);
	backup_writer_free(w);
	close(fd);
	free(p);
}

static void put_text(const char *rel, const char *text)
{
	char *p = tpath(rel);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_list(void **state)
{
	(void)state;
	put_object("s/db1/full/b.kbk", "db1/full/b.kbk", 3000);
	put_object("s/db1/binlog/a.kbk", "db1/binlog/a.kbk", 10);
	put_object("s/top.kbk", "top.kbk", 0);
	put_object("s/moved.kbk", "top.kbk", 5);           /* carries another name */
	put_text("s/README", "not an object");
	put_text("s/junk.kbk", "-- MariaDB dump");
	char *target = tpath("s/top.kbk"), *link = tpath("s/link.kbk"), *dlink = tpath("s/dirlink");
	assert_int_equal(symlink(target, link), 0);
	char *db1 = tpath("s/db1");
	assert_int_equal(symlink(db1, dlink), 0);
	put_object("s/cut.kbk", "cut.kbk", 2048);
	char *cut = tpath("s/cut.kbk");
	assert_int_equal(truncate(cut, BACKUP_FIXED_HEADER + 6 + 7 + 1041), 0);   /* one whole chunk, no final */

	struct backup_entry *e;
	size_t n;
	char *dir = tpath("s");
	assert_int_equal(backup_dir_list(dir, &e, &n), 0);
	static const char *names[] = { "cut.kbk", "db1/binlog/a.kbk", "db1/full/b.kbk", "junk.kbk", "moved.kbk", "top.kbk" };
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(e[i].name, names[i]);
	assert_int_equal(e[0].status, BACKUP_E_TRUNCATED);
	assert_int_equal(e[1].status, 0);
	assert_int_equal(e[1].plain_bytes, 10);
	assert_string_equal(e[1].meta.kind, "binlog");
	assert_int_equal(e[1].meta.created, 1796320800);
	assert_int_equal(e[2].plain_bytes, 3000);
	assert_int_equal(e[2].object_bytes, BACKUP_FIXED_HEADER + 6 + 14 + 2 * 1041 + (3000 - 2048) + 17);
	assert_int_equal(e[3].status, BACKUP_E_MALFORMED);
	assert_int_equal(e[4].status, BACKUP_E_NAME);
	assert_string_equal(e[4].meta.name, "top.kbk");
	assert_int_equal(e[5].status, 0);
	assert_int_equal(e[5].plain_bytes, 0);
	backup_entries_free(e, n);

	/* an empty directory, a missing one, a name objects cannot have */
	char *empty = tpath("empty");
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_int_equal(backup_dir_list(empty, &e, &n), 0);
	assert_int_equal(n, 0);
	backup_entries_free(e, n);
	char *missing = tpath("missing");
	assert_int_equal(backup_dir_list(missing, &e, &n), -ENOENT);
	put_text("empty/a b.kbk", "x");
	assert_int_equal(backup_dir_list(empty, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].status, -EINVAL);
	backup_entries_free(e, n);
	free(target);
	free(link);
	free(dlink);
	free(db1);
	free(cut);
	free(dir);
	free(empty);
	free(missing);
}

static void test_open(void **state)
{
	(void)state;
	put_object("o/x/y.kbk", "x/y.kbk", 1);
	put_object("elsewhere.kbk", "elsewhere.kbk", 1);
	char *dir = tpath("o"), *ext = tpath("elsewhere.kbk"), *link = tpath("o/l.kbk"), *ldir = tpath("o/ld");
	char *x = tpath("o/x");
	assert_int_equal(symlink(ext, link), 0);
	assert_int_equal(symlink(x, ldir), 0);
	int fd = -1;
	assert_int_equal(backup_dir_open(dir, "x/y.kbk", &fd), 0);
	close(fd);
	assert_int_equal(backup_dir_open(dir, "x/z.kbk", &fd), -ENOENT);
	assert_int_equal(backup_dir_open(dir, "l.kbk", &fd), -ENOENT);       /* a symbolic link */
	assert_int_equal(backup_dir_open(dir, "ld/y.kbk", &fd), -ENOENT);    /* through one */
	assert_int_equal(backup_dir_open(dir, "x.kbk/y.kbk", &fd), -ENOENT);
	assert_int_equal(backup_dir_open(dir, "x", &fd), -EINVAL);           /* no suffix */
	assert_int_equal(backup_dir_open(dir, "../elsewhere.kbk", &fd), -EINVAL);
	assert_int_equal(backup_dir_open(dir, "/etc/x.kbk", &fd), -EINVAL);
	assert_int_equal(backup_dir_open(dir, "", &fd), -EINVAL);
	char *xk = tpath("o/x.kbk");
	assert_int_equal(mkdir(xk, 0755), 0);
	assert_int_equal(backup_dir_open(dir, "x.kbk", &fd), -ENOENT);       /* a directory */
	free(xk);
	free(dir);
	free(ext);
	free(link);
	free(ldir);
	free(x);
}

static void test_verify(void **state)
{
	(void)state;
	put_object("v/a.kbk", "a.kbk", 5000);
	char *dir = tpath("v"), *p = tpath("v/a.kbk");
	int fd;
	struct backup_meta m;
	uint64_t bytes = 0;
	assert_int_equal(backup_dir_open(dir, "a.kbk", &fd), 0);
	assert_int_equal(backup_verify_fd(fd, "a.kbk", key_a, &m, &bytes), 0);
	assert_int_equal(bytes, 5000);
	close(fd);
	assert_int_equal(backup_dir_open(dir, "a.kbk", &fd), 0);
	assert_int_equal(backup_verify_fd(fd, "a.kbk", key_b, &m, &bytes), BACKUP_E_WRONG_KEY);
	close(fd);
	assert_int_equal(backup_dir_open(dir, "a.kbk", &fd), 0);
	assert_int_equal(backup_verify_fd(fd, "b.kbk", key_a, &m, &bytes), BACKUP_E_NAME);
	close(fd);
	/* a byte changed at the end: refused only when read to there */
	fd = open(p, O_RDWR);
	uint8_t c;
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pread(fd, &c, 1, st.st_size - 1), 1);
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, st.st_size - 1), 1);
	close(fd);
	assert_int_equal(backup_dir_open(dir, "a.kbk", &fd), 0);
	assert_int_equal(backup_verify_fd(fd, "a.kbk", key_a, &m, &bytes), BACKUP_E_TAMPERED);
	close(fd);
	free(dir);
	free(p);
}

static void test_restore_target(void **state)
{
	(void)state;
	char *d = tpath("t");
	assert_int_equal(mkdir(d, 0755), 0);
	char *t = backup_restore_target(d, "db1/full/x.kbk"), *want = tpath("t/x");
	assert_string_equal(t, want);
	free(t);
	free(want);
	t = backup_restore_target(d, "y.kbk");
	want = tpath("t/y");
	assert_string_equal(t, want);
	free(t);
	free(want);
	want = tpath("t/file.out");
	t = backup_restore_target(want, "y.kbk");   /* not a directory: the path itself */
	assert_string_equal(t, want);
	free(t);
	free(want);
	free(d);
}

static void test_restore(void **state)
{
	(void)state;
	put_object("r/db1/full/x.kbk", "db1/full/x.kbk", 4000);
	char *dir = tpath("r"), *out = tpath("rout"), *target = tpath("rout/x");
	assert_int_equal(mkdir(out, 0755), 0);
	int fd;
	struct backup_meta m;
	uint64_t bytes = 0;
	enum backup_side at;
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_equal(backup_restore_fd(fd, "db1/full/x.kbk", key_a, target, &m, &bytes, &at), 0);
	close(fd);
	assert_int_equal(bytes, 4000);
	char *data;
	size_t len;
	assert_int_equal(read_file(target, 1 << 20, &data, &len), 0);
	assert_int_equal(len, 4000);
	for (size_t i = 0; i < len; i++)
		assert_int_equal((uint8_t)data[i], (uint8_t)(i * 7));
	free(data);
	struct stat st;
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* an existing output: refused before anything is read, kept as it was */
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_equal(backup_restore_fd(fd, "db1/full/x.kbk", key_a, target, &m, &bytes, &at), -EEXIST);
	assert_int_equal(at, BACKUP_AT_OUTPUT);
	close(fd);
	assert_int_equal(count_entries(out), 1);

	/* wrong key, tampered, truncated: nothing written, no temporary left */
	char *t2 = tpath("rout/x2");
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_equal(backup_restore_fd(fd, "db1/full/x.kbk", key_b, t2, &m, &bytes, &at), BACKUP_E_WRONG_KEY);
	assert_int_equal(at, BACKUP_AT_OBJECT);
	close(fd);
	char *obj = tpath("r/db1/full/x.kbk");
	int w = open(obj, O_RDWR);
	uint8_t c;
	assert_int_equal(pread(w, &c, 1, 2500), 1);
	c ^= 1;
	assert_int_equal(pwrite(w, &c, 1, 2500), 1);
	close(w);
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_equal(backup_restore_fd(fd, "db1/full/x.kbk", key_a, t2, &m, &bytes, &at), BACKUP_E_TAMPERED);
	assert_int_equal(at, BACKUP_AT_OBJECT);
	close(fd);
	assert_int_equal(count_entries(out), 1);
	c ^= 1;
	w = open(obj, O_RDWR);
	assert_int_equal(pwrite(w, &c, 1, 2500), 1);
	assert_int_equal(fstat(w, &st), 0);
	assert_int_equal(ftruncate(w, st.st_size - 17), 0);
	close(w);
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_not_equal(backup_restore_fd(fd, "db1/full/x.kbk", key_a, t2, &m, &bytes, &at), 0);
	close(fd);
	assert_int_equal(count_entries(out), 1);

	/* an output directory that does not exist */
	char *t3 = tpath("nodir/x");
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_equal(backup_restore_fd(fd, "db1/full/x.kbk", key_a, t3, &m, &bytes, &at), -ENOENT);
	assert_int_equal(at, BACKUP_AT_OUTPUT);
	close(fd);
	free(t3);
	free(obj);
	free(t2);
	free(dir);
	free(out);
	free(target);
}

/* backup_extract_fd of r/db1/full/x.kbk through sh -c SCRIPT into tmpdir/e/DEST */
static int extract(const char *script, const struct role_keypair *key, const char *dest, enum backup_side *at,
		   int *st, struct buf *err)
{
	char *dir = tpath("r"), *d = xasprintf("%s/e/%s", tmpdir, dest);
	const char *argv[] = { "sh", "-c", script, "sh", NULL };
	int fd;
	struct backup_meta m;
	uint64_t bytes = 0;
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	int r = backup_extract_fd(fd, "db1/full/x.kbk", key, argv, d, &m, &bytes, at, st, err);
	close(fd);
	if (r == 0)
		assert_int_equal(bytes, 200000);
	free(dir);
	free(d);
	return r;
}

static void flip(const char *obj, off_t at)
{
	int w = open(obj, O_RDWR);
	uint8_t c;
	assert_int_equal(pread(w, &c, 1, at), 1);
	c ^= 1;
	assert_int_equal(pwrite(w, &c, 1, at), 1);
	close(w);
}

static void test_extract(void **state)
{
	(void)state;
	/* 200000 bytes: more than a pipe holds; 1024-byte chunks */
	put_object("r/db1/full/x.kbk", "db1/full/x.kbk", 200000);
	char *e = tpath("e"), *obj = tpath("r/db1/full/x.kbk"), *out = tpath("e/ok"), *stream = tpath("e/ok/stream");
	assert_int_equal(mkdir(e, 0755), 0);
	static const char cat[] = "cat >\"$1/stream\"";
	enum backup_side at;
	int st;
	assert_int_equal(extract(cat, key_a, "ok", &at, &st, NULL), 0);
	char *data;
	size_t len;
	assert_int_equal(read_file(stream, 1 << 20, &data, &len), 0);
	assert_int_equal(len, 200000);
	for (size_t i = 0; i < len; i++)
		assert_int_equal((uint8_t)data[i], (uint8_t)(i * 7));
	free(data);
	struct stat sb;
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(count_entries(e), 1);   /* ok only: no staging directory left */

	/* dest: an existing one with something in it is refused before anything
	 * is read; an empty directory is replaced; a trailing slash is the same */
	assert_int_equal(extract(cat, key_a, "ok", &at, &st, NULL), -EEXIST);
	assert_int_equal(at, BACKUP_AT_OUTPUT);
	char *empty = tpath("e/empty");
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_int_equal(extract(cat, key_a, "empty/", &at, &st, NULL), 0);
	assert_int_equal(count_entries(empty), 1);
	assert_int_equal(count_entries(e), 2);

	/* the wrong key: nothing runs, nothing left */
	assert_int_equal(extract(cat, key_b, "k", &at, &st, NULL), BACKUP_E_WRONG_KEY);
	assert_int_equal(at, BACKUP_AT_OBJECT);
	assert_int_equal(count_entries(e), 2);

	/* a program that fails, after reading all: its status, its stderr */
	struct buf err;
	buf_init(&err);
	assert_int_equal(extract("cat >/dev/null; echo cannot extract >&2; exit 3", key_a, "f", &at, &st, &err), -EIO);
	assert_int_equal(at, BACKUP_AT_PROGRAM);
	assert_int_equal(st, 3);
	buf_putc(&err, '\0');
	assert_non_null(strstr(err.data, "cannot extract"));
	buf_free(&err);
	assert_int_equal(count_entries(e), 2);
	/* one that stops reading and says 0, one that is not there */
	assert_int_equal(extract("head -c 1000 >\"$1/part\"", key_a, "p", &at, &st, NULL), -EPIPE);
	assert_int_equal(at, BACKUP_AT_PROGRAM);
	assert_int_equal(count_entries(e), 2);
	const char *none[] = { "kiln-no-such-program", NULL };
	char *dir = tpath("r"), *n = tpath("e/n");
	int fd;
	struct backup_meta m;
	uint64_t bytes;
	assert_int_equal(backup_dir_open(dir, "db1/full/x.kbk", &fd), 0);
	assert_int_equal(backup_extract_fd(fd, "db1/full/x.kbk", key_a, none, n, &m, &bytes, &at, &st, NULL), -ENOENT);
	assert_int_equal(at, BACKUP_AT_PROGRAM);
	close(fd);
	assert_int_equal(count_entries(e), 2);

	/* tampered late: the program has extracted most of it by then; the
	 * refusal wins over its status, and what it wrote is removed */
	flip(obj, 150000);
	assert_int_equal(extract(cat, key_a, "t", &at, &st, NULL), BACKUP_E_TAMPERED);
	assert_int_equal(at, BACKUP_AT_OBJECT);
	assert_int_equal(count_entries(e), 2);
	/* and when the program stopped reading before the changed byte */
	assert_int_equal(extract("head -c 1000 >/dev/null", key_a, "t", &at, &st, NULL), BACKUP_E_TAMPERED);
	assert_int_equal(at, BACKUP_AT_OBJECT);
	flip(obj, 150000);
	/* cut after whole chunks: every byte handed out authenticated, the
	 * program exits 0 on its EOF, the final chunk is missing: refused */
	assert_int_equal(truncate(obj, BACKUP_FIXED_HEADER + 6 + 14 + 100 * 1041), 0);
	assert_int_equal(extract(cat, key_a, "c", &at, &st, NULL), BACKUP_E_TRUNCATED);
	assert_int_equal(at, BACKUP_AT_OBJECT);
	assert_int_equal(count_entries(e), 2);
	free(dir);
	free(n);
	free(empty);
	free(e);
	free(obj);
	free(out);
	free(stream);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);   /* as kiln's programs: an extractor gone is EPIPE */
	if (sodium_init() < 0)
		return 1;
	key_a = role_keypair_new();
	key_b = role_keypair_new();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_restore_target),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_extract),
	};
	int r = cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
	role_keypair_free(key_a);
	role_keypair_free(key_b);
	return r;
}
