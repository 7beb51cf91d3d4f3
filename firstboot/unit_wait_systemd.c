/* unit_wait's operations on the running system: systemctl show, the
 * monotonic clock (systemd's own), nanosleep. See unit_wait.h. */
#include "firstboot/unit_wait.h"
#include "lib/cleanup.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <time.h>

static int show_units(void *ud, const struct unit_want *u, size_t n, struct buf *out, char *why, size_t why_len)
{
	(void)ud;
	static const char *const props[] = { UNIT_WAIT_PROPS };
	const size_t np = sizeof props / sizeof *props;
	_cleanup_free_ const char **argv = xcalloc(2 + 2 * np + n + 1, sizeof *argv);
	size_t k = 0;
	argv[k++] = "systemctl";
	argv[k++] = "show";
	for (size_t i = 0; i < np; i++) {
		argv[k++] = "-p";
		argv[k++] = props[i];
	}
	for (size_t i = 0; i < n; i++)
		argv[k++] = u[i].name;
	argv[k] = NULL;
	struct buf err;
	buf_init(&err);
	int st = spawn_capture(argv, out, &err, 64 << 10);
	if (st != 0) {
		size_t e = err.len;
		while (e && (err.data[e - 1] == '\n' || err.data[e - 1] == ' '))
			e--;
		snprintf(why, why_len, "systemctl show exited %d%s%.*s", st, e ? ": " : "", (int)(e > 200 ? 200 : e),
			 err.data ? err.data : "");
	}
	buf_free(&err);
	return st == 0 ? 0 : st < 0 ? st : -EIO;
}

static int64_t now_ms(void *ud)
{
	(void)ud;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(void *ud, unsigned ms)
{
	(void)ud;
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

const struct unit_wait_ops unit_wait_systemd = { show_units, now_ms, sleep_ms, NULL };
