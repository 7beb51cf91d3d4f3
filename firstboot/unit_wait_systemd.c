/* unit_wait's operations on the running system: systemd asked over its
 * socket (systemd_bus.h), the monotonic clock (systemd's own), nanosleep.
 * See unit_wait.h. */
#include "firstboot/systemd_bus.h"
#include "firstboot/unit_wait.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <time.h>

static int show_units(void *ud, const struct unit_want *u, size_t n, struct buf *out, char *why, size_t why_len)
{
	static const char *const props[] = { UNIT_WAIT_PROPS };
	_cleanup_free_ const char **names = xcalloc(n ? n : 1, sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = u[i].name;
	return systemd_show(ud, props, sizeof props / sizeof *props, names, n, out, why, why_len);
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

struct unit_wait_ops unit_wait_systemd(const char *root)
{
	return (struct unit_wait_ops){ show_units, now_ms, sleep_ms, (void *)root };
}
