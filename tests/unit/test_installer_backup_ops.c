/* installer/backup_ops.c: what kiln backup list|verify|restore print and
 * return, every refused object named in the log once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "installer/backup_ops.h"
#include "lib/backup_object.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/state_fixture.h"

static struct role_keypair *key_a, *key_b;

/* stdout into a temporary file between begin and end (cmocka prints there too). */
static int saved_fd = -1;
static FILE *cap;

static void begin(void)
{
	fflush(stdout);
	cap = tmpfile();
	assert_non_null(cap);
	saved_fd = dup(1);
	assert_true(dup2(fileno(cap), 1) >= 0);
	fx_logged[0] = '\0';
}

static char *end(void)
{
	fflush(stdout);
	dup2(saved_fd, 1);
	close(saved_fd);
	long n = ftell(cap);
	char *s = xmalloc((size_t)n + 1);
	rewind(cap);
	assert_int_equal(fread(s, 1, (size_t)n, cap), (size_t)n);
	s[n] = '\0';
	fclose(cap);
	return s;
}

static void put_object(const char *dir, const char *rel, const char *name, const char *data)
{
	char *p = path_join(dir, rel), *slash = strrchr(p, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(p, 0755), 0);
	*slash = '/';
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	struct backup_meta m = { .kind = "binlog", .created = 1796320800 };
	strcpy(m.name, name);
	struct backup_writer *w;
	assert_int_equal(backup_writer_init(&w, key_a->pk, &m, backup_fd_sink, &fd), 0);
	assert_int_equal(backup_writer_write(w, data, strlen(data)), 0);
	assert_int_equal(backup_writer_finish(w), 0);
	backup_writer_free(w);
	close(fd);
	free(p);
}

static int set_up(void **state)
{
	char *d = fx_dir();
	if (!d)
		return -1;
	char *b = path_join(d, "b");
	put_object(b, "db1/a.kbk", "db1/a.kbk", "first");
	put_object(b, "db1/b.kbk", "db1/b.kbk", "second");
	free(b);
	*state = d;
	return 0;
}

static int tear_down(void **state)
{
	return fx_cleanup(*state);
}

static void test_list(void **state)
{
	const char *d = *state;
	char *b = path_join(d, "b");
	begin();
	int r = backup_list(b, false);
	char *out = end();
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "db1/a.kbk  binlog  2026-12-03T18:00:00Z  5 bytes  key "));
	assert_non_null(strstr(out, "db1/b.kbk  binlog  2026-12-03T18:00:00Z  6 bytes  key "));
	assert_true(strstr(out, "db1/a.kbk") < strstr(out, "db1/b.kbk"));
	assert_non_null(strstr(fx_logged, "2 backup objects in"));
	free(out);
	/* a moved object: refused, named, listed under "refused" */
	put_object(b, "db1/c.kbk", "db1/x.kbk", "third");
	begin();
	r = backup_list(b, true);
	out = end();
	assert_int_equal(r, -EBADMSG);
	assert_non_null(strstr(out, "{\"objects\":[{\"name\":\"db1/a.kbk\",\"kind\":\"binlog\",\"created\":\"2026-12-03T18:00:00Z\","
				    "\"created_unix\":1796320800,\"bytes\":5,"));
	assert_non_null(strstr(out, "],\"refused\":[{\"name\":\"db1/c.kbk\",\"error\":\"the object carries another name (moved or swapped)\"}]}\n"));
	assert_non_null(strstr(fx_logged, "db1/c.kbk: refused: the object carries another name"));
	free(out);
	/* nothing there; no directory */
	char *none = path_join(d, "none");
	assert_int_equal(mkdir(none, 0700), 0);
	begin();
	r = backup_list(none, true);
	out = end();
	assert_int_equal(r, 0);
	assert_string_equal(out, "{\"objects\":[],\"refused\":[]}\n");
	assert_non_null(strstr(fx_logged, "no backup objects (*.kbk) in"));
	free(out);
	char *missing = path_join(d, "missing");
	assert_int_equal(backup_list(missing, false), -ENOENT);
	assert_non_null(strstr(fx_logged, "cannot read the backup directory"));
	free(missing);
	free(none);
	free(b);
}

static void test_verify(void **state)
{
	const char *d = *state;
	char *b = path_join(d, "b");
	begin();
	int r = backup_verify(b, key_a, NULL, 0);
	char *out = end();
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "ok  db1/a.kbk  binlog  2026-12-03T18:00:00Z  5 bytes\n"));
	assert_non_null(strstr(out, "ok  db1/b.kbk"));
	assert_non_null(strstr(fx_logged, "2 verified, 0 refused"));
	free(out);
	/* by name, one known and one not */
	char *names[] = { "db1/b.kbk", "db1/nope.kbk" };
	begin();
	r = backup_verify(b, key_a, names, 2);
	out = end();
	assert_int_equal(r, -EBADMSG);
	assert_null(strstr(out, "db1/a.kbk"));
	assert_non_null(strstr(out, "ok  db1/b.kbk"));
	assert_non_null(strstr(fx_logged, "no backup object db1/nope.kbk in"));
	free(out);
	/* another key: each object named with both key ids */
	begin();
	r = backup_verify(b, key_b, NULL, 0);
	out = end();
	assert_int_equal(r, -EBADMSG);
	assert_string_equal(out, "");
	assert_non_null(strstr(fx_logged, "db1/a.kbk: refused: sealed to another backup key (its key id "));
	assert_non_null(strstr(fx_logged, "db1/b.kbk: refused: sealed to another backup key"));
	assert_non_null(strstr(fx_logged, "0 verified, 2 refused"));
	free(out);
	/* nothing to verify */
	char *none = path_join(d, "none");
	assert_int_equal(mkdir(none, 0700), 0);
	assert_int_equal(backup_verify(none, key_a, NULL, 0), -ENOENT);
	assert_non_null(strstr(fx_logged, "nothing to verify"));
	free(none);
	free(b);
}

static void test_restore(void **state)
{
	const char *d = *state;
	char *b = path_join(d, "b"), *out_dir = path_join(d, "out"), *target = path_join(d, "out/a");
	assert_int_equal(mkdir(out_dir, 0700), 0);
	begin();
	int r = backup_restore(b, key_a, "db1/a.kbk", out_dir, false);
	char *out = end();
	assert_int_equal(r, 0);
	char *want = xasprintf("%s\n", target);
	assert_string_equal(out, want);
	assert_non_null(strstr(fx_logged, "restored db1/a.kbk (binlog, 2026-12-03T18:00:00Z, 5 bytes) to"));
	free(want);
	free(out);
	char *text;
	size_t n;
	assert_int_equal(read_file(target, 100, &text, &n), 0);
	assert_string_equal(text, "first");
	free(text);
	fx_logged[0] = '\0';
	assert_int_equal(backup_restore(b, key_a, "db1/a.kbk", out_dir, false), -EEXIST);
	assert_non_null(strstr(fx_logged, "out/a exists; refusing to overwrite it (choose another --out)"));
	assert_int_equal(backup_restore(b, key_a, "db1/zz.kbk", out_dir, false), -ENOENT);
	assert_non_null(strstr(fx_logged, "no backup object db1/zz.kbk in"));
	assert_int_equal(backup_restore(b, key_a, "../b/db1/a.kbk", out_dir, false), -EINVAL);
	assert_non_null(strstr(fx_logged, "'../b/db1/a.kbk' is not a backup object's name"));
	fx_logged[0] = '\0';
	assert_int_equal(backup_restore(b, key_b, "db1/b.kbk", out_dir, false), -EBADMSG);
	assert_non_null(strstr(fx_logged, "db1/b.kbk: refused: sealed to another backup key"));
	assert_non_null(strstr(fx_logged, "nothing of db1/b.kbk was written to"));
	char *b_out = path_join(d, "out/b");
	assert_int_not_equal(access(b_out, F_OK), 0);
	free(b_out);
	free(b);
	free(out_dir);
	free(target);
}

int main(void)
{
	(void)fx_put;   /* the fixture's; objects need no state directory */
	if (sodium_init() < 0)
		return 1;
	key_a = role_keypair_new();
	key_b = role_keypair_new();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_verify, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_restore, set_up, tear_down),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	role_keypair_free(key_a);
	role_keypair_free(key_b);
	return r;
}
