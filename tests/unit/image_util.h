/* Helpers shared by the image tests (test_gpt.c, test_esp.c, test_layout.c):
 * temp dirs, running oracle tools, capturing kiln's log. Header-only because
 * each tests/unit/test_*.c is built into its own binary. */
#ifndef KILN_TEST_IMAGE_UTIL_H
#define KILN_TEST_IMAGE_UTIL_H
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "lib/buf.h"

/* Last error logged by kiln (tests assert on its wording). */
static char last_error[2048];
__attribute__((unused)) static void capture_sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)ud;
	if (lvl == LOG_LVL_ERROR)
		snprintf(last_error, sizeof last_error, "%s", msg);
}
static inline void capture_log(void)
{
	last_error[0] = '\0';
	log_set_sink(capture_sink, NULL);
}

static inline char *make_tmpdir(void)
{
	char *d = xstrdup("/tmp/kiln-unit-XXXXXX");
	if (!mkdtemp(d))
		abort();
	return d;
}

/* rm_rf: lib/fileio.h. */

/* Run a shell command line (test-side only), return its stdout; *status gets
 * the exit status (-1 if it did not exit). stderr goes to stdout (2>&1). */
__attribute__((format(printf, 2, 3), unused))
static char *run_cmd(int *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = NULL;
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *full = xasprintf("export TZ=UTC MTOOLS_SKIP_CHECK=1; %s 2>&1", cmd);
	FILE *f = popen(full, "r");
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	int st = f ? pclose(f) : -1;
	*status = st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	free(cmd);
	free(full);
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

/* n bytes at byte off of an existing file, either way; abort on failure. */
__attribute__((unused)) static void write_at(const char *path, uint64_t off, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite_full(fd, b, n, off) < 0)
		abort();
	close(fd);
}
__attribute__((unused)) static void read_at(const char *path, uint64_t off, void *b, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread_full(fd, b, n, off) < 0)
		abort();
	close(fd);
}

/* len bytes of a pattern that depends on seed and position, at off. */
__attribute__((unused)) static void fill_at(const char *path, uint64_t off, size_t len, unsigned seed)
{
	unsigned char *b = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(seed + i * 7 + (i >> 12));
	write_at(path, off, b, len);
	free(b);
}

/* A sparse file of `size` bytes. */
static inline void make_sparse(const char *path, unsigned long long size)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	close(fd);
}
#endif
