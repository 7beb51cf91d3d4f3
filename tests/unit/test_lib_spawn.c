/* lib/spawn.c's stream options: on_data sees every byte of stdout in order
 * and can stop the child; err_tail keeps the end of a long stderr; in_path
 * is the child's stdin (a file too large to hold in memory), in_fill a
 * producer's (a stream: every byte in order, a stop ends the child, a child
 * that stops reading ends the producer's calls); spawn_pipe
 * streams one program into another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include "lib/spawn.h"

struct sink {
	uint64_t bytes;
	uint32_t sum;
	uint64_t stop_after;
};

static int on_data(void *ud, const void *data, size_t len)
{
	struct sink *s = ud;
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		s->sum = s->sum * 31 + p[i];
	s->bytes += len;
	return s->stop_after && s->bytes >= s->stop_after ? -EIO : 0;
}

/* 3 MiB through the callback, byte for byte what the child wrote. */
static void test_on_data_streams(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "head -c 3145728 /dev/zero | tr '\\0' 'k'; printf end", NULL };
	struct sink s = { 0 };
	struct spawn_opts o = { .argv = argv, .on_data = on_data, .ud = &s };
	assert_int_equal(spawn(&o), 0);
	assert_int_equal(s.bytes, 3145728 + 3);
	uint32_t want = 0;
	for (size_t i = 0; i < 3145728; i++)
		want = want * 31 + 'k';
	want = ((want * 31 + 'e') * 31 + 'n') * 31 + 'd';
	assert_int_equal(s.sum, want);
}

/* A refusal stops the stream: the child is ended, spawn returns. */
static void test_on_data_stops_the_child(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "while :; do printf xxxxxxxxxxxxxxxx; done", NULL };
	struct sink s = { .stop_after = 1 };
	struct spawn_opts o = { .argv = argv, .on_data = on_data, .ud = &s };
	int st = spawn(&o);
	assert_true(st != 0);   /* killed (SIGTERM) or ended by SIGPIPE */
	assert_true(s.bytes >= 1);
}

static void test_err_tail(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo \"line $i of chatter chatter chatter\" >&2; "
					   "i=$((i+1)); done; echo 'the real error' >&2; exit 3", NULL };
	struct buf err;
	buf_init(&err);
	struct spawn_opts o = { .argv = argv, .err = &err, .err_tail = true };
	assert_int_equal(spawn(&o), 3);
	assert_true(err.len <= 64 * 1024);
	assert_true(err.len > 60 * 1024);
	assert_non_null(strstr(err.data, "the real error\n"));
	assert_null(strstr(err.data, "line 0 of"));
	buf_free(&err);
	/* without err_tail: the first 64 KiB, as before */
	buf_init(&err);
	o.err_tail = false;
	assert_int_equal(spawn(&o), 3);
	assert_non_null(strstr(err.data, "line 0 of"));
	assert_null(strstr(err.data, "the real error"));
	buf_free(&err);
}

/* stdin from a file: the child reads it whole; a missing file does not start it. */
static void test_in_path(void **state)
{
	char path[] = "/tmp/kiln-spawn-in.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\ntwo\n", 8), 8);
	close(fd);
	const char *argv[] = { "wc", "-l", NULL };
	struct buf out;
	buf_init(&out);
	struct spawn_opts o = { .argv = argv, .out = &out, .in_path = path };
	assert_int_equal(spawn(&o), 0);
	buf_putc(&out, '\0');
	assert_string_equal(out.data, "2\n");
	unlink(path);
	out.len = 0;
	assert_true(spawn(&o) < 0);   /* the file is gone: not started */
	buf_free(&out);
}

/* spawn_pipe: the first program's output reaches the second; each one's
 * failure is the result, and its stderr is kept. */
static void test_pipe_passes_data(void **state)
{
	const char *w[] = { "sh", "-c", "echo hello", NULL };
	const char *rd[] = { "sh", "-c", "read x && test \"$x\" = hello", NULL };
	assert_int_equal(spawn_pipe(w, rd, NULL), 0);
	const char *wrong[] = { "sh", "-c", "echo other", NULL };
	assert_int_equal(spawn_pipe(wrong, rd, NULL), 1);
}

static void test_pipe_writer_fails(void **state)
{
	struct buf err;
	buf_init(&err);
	const char *w[] = { "sh", "-c", "echo partial; echo dump failed >&2; exit 3", NULL };
	const char *rd[] = { "cat", NULL };
	assert_int_equal(spawn_pipe(w, rd, &err), 3);
	buf_putc(&err, '\0');
	assert_non_null(strstr(err.data, "dump failed"));
	buf_free(&err);
}

static void test_pipe_reader_stops(void **state)
{
	struct buf err;
	buf_init(&err);
	/* the reader quits at once: the endless writer ends by SIGPIPE (141),
	 * even though this process may ignore SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	const char *w[] = { "yes", NULL };
	const char *rd[] = { "sh", "-c", "echo load failed >&2; exit 1", NULL };
	assert_int_equal(spawn_pipe(w, rd, &err), 141);
	buf_putc(&err, '\0');
	assert_non_null(strstr(err.data, "load failed"));
	buf_free(&err);
	const char *ok[] = { "true", NULL };
	assert_int_equal(spawn_pipe(ok, rd, NULL), 1);
	const char *none[] = { "kiln-no-such-program", NULL };
	assert_int_equal(spawn_pipe(none, rd, NULL), -ENOENT);
	assert_int_equal(spawn_pipe(ok, none, NULL), -ENOENT);
}

/* in_fill: a producer's pieces as the child's stdin, in order */
struct producer {
	unsigned char piece[40000];
	size_t pieces, given;
	int stop;             /* returned after the pieces instead of 0 */
};

static ssize_t fill(void *ud, const void **data)
{
	struct producer *p = ud;
	if (p->given == p->pieces)
		return p->stop;
	memset(p->piece, 'a' + (int)(p->given++ % 26), sizeof p->piece);
	*data = p->piece;
	return (ssize_t)sizeof p->piece;
}

static void test_in_fill(void **state)
{
	(void)state;
	/* 100 pieces, 4 MB: more than a pipe holds, partial writes */
	const char *argv[] = { "sh", "-c", "cksum", NULL };
	struct producer *p = calloc(1, sizeof *p);
	p->pieces = 100;
	struct buf out;
	buf_init(&out);
	struct spawn_opts o = { .argv = argv, .in_fill = fill, .ud = p, .out = &out };
	assert_int_equal(spawn(&o), 0);
	buf_putc(&out, '\0');
	/* the same bytes through a file */
	char f[] = "/tmp/kiln-spawn-fill-XXXXXX";
	int fd = mkstemp(f);
	assert_true(fd >= 0);
	for (size_t i = 0; i < 100; i++) {
		memset(p->piece, 'a' + (int)(i % 26), sizeof p->piece);
		assert_int_equal(write(fd, p->piece, sizeof p->piece), (ssize_t)sizeof p->piece);
	}
	close(fd);
	struct buf want;
	buf_init(&want);
	struct spawn_opts o2 = { .argv = argv, .in_path = f, .out = &want };
	assert_int_equal(spawn(&o2), 0);
	buf_putc(&want, '\0');
	assert_string_equal(out.data, want.data);
	unlink(f);
	buf_free(&want);

	/* a stop: stdin closed, the child ended (one piece fits in the pipe) */
	out.len = 0;
	p->given = 0;
	p->pieces = 1;
	p->stop = -EBADE;
	const char *sleepy[] = { "sleep", "30", NULL };
	o.argv = sleepy;
	assert_int_equal(spawn(&o), 128 + SIGTERM);
	assert_int_equal(p->given, 1);

	/* a child that does not read: no more calls, no hang, its status */
	p->given = 0;
	p->pieces = 1000;
	p->stop = 0;
	const char *deaf[] = { "sh", "-c", "exit 4", NULL };
	o.argv = deaf;
	assert_int_equal(spawn(&o), 4);
	assert_true(p->given < 1000);
	buf_free(&out);
	free(p);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);   /* as kiln's programs: a child gone is EPIPE */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_data_streams),
		cmocka_unit_test(test_on_data_stops_the_child),
		cmocka_unit_test(test_err_tail),
		cmocka_unit_test(test_in_path),
		cmocka_unit_test(test_in_fill),
		cmocka_unit_test(test_pipe_passes_data),
		cmocka_unit_test(test_pipe_writer_fails),
		cmocka_unit_test(test_pipe_reader_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
