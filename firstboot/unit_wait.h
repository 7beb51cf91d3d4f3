/* Waiting for systemd units started without waiting (`systemctl restart
 * --no-block`'s jobs, systemd_queue): the monitoring step queues all its
 * units and goes on; this is how the agent later learns whether each came
 * up, from systemd's answer in the text of
 * `systemctl show -p Id -p LoadState -p ActiveState -p SubState -p Result -p Job`
 * (one block per unit, in the order asked, blocks separated by a blank line;
 * Job= only while a job is queued for the unit), which systemd_show writes
 * too. The parsing and the verdict are pure so tests feed them that text;
 * unit_wait() polls through callbacks so tests drive it with a fake clock. */
#ifndef KILN_FB_UNIT_WAIT_H
#define KILN_FB_UNIT_WAIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

#define UNIT_WAIT_PROPS "Id", "LoadState", "ActiveState", "SubState", "Result", "Job", "ActiveEnterTimestampMonotonic"

struct unit_state {
	char id[128];
	char load[24];      /* loaded, not-found, masked, bad-setting, error */
	char active[24];    /* active, activating, deactivating, reloading, inactive, failed */
	char sub[32];       /* running, listening, waiting, auto-restart, dead, failed ... */
	char result[32];    /* success, exit-code, signal, timeout, resources ... ("" for none) */
	bool job;           /* a job is still queued for the unit */
	int64_t active_since_ms;   /* ActiveEnterTimestampMonotonic in ms (CLOCK_MONOTONIC);
				    * -1 when absent, 0 (never active) or not a number */
};

/* A unit to wait for. peer: it needs another host to stay up (journal
 * upload exits while the monitoring host does not answer and systemd
 * restarts it), so restarting after a failure is "retrying", not failed. */
struct unit_want {
	const char *name;
	bool peer;
};

enum unit_verdict { UNIT_UP, UNIT_PENDING, UNIT_RETRYING, UNIT_FAILED };

/* The blocks of `systemctl show` for n units into st[0..n): -EBADMSG when
 * there are not exactly n blocks, a line is not KEY=VALUE, or a block lacks
 * LoadState or ActiveState. */
int unit_show_parse(const char *text, size_t n, struct unit_state *st);
/* One unit's state as the agent judges it: UP (active), PENDING (a job is
 * queued, or it is still starting or stopping), RETRYING (a peer unit
 * restarting after a failure), FAILED (not loaded, failed, stopped, or a
 * local unit restarting after a failure). For RETRYING and FAILED, why gets
 * e.g. "NAME failed (exit-code)", "NAME exited (exit-code) and is restarting",
 * "NAME is not-found", "NAME is not running (dead, success)". */
enum unit_verdict unit_verdict(const struct unit_want *w, const struct unit_state *s, char *why, size_t why_len);

struct unit_wait_ops {
	/* systemctl show's text for the units (UNIT_WAIT_PROPS), appended to
	 * out; negative errno with why filled when it could not be asked. */
	int (*show)(void *ud, const struct unit_want *units, size_t n, struct buf *out, char *why, size_t why_len);
	int64_t (*now_ms)(void *ud);            /* a monotonic clock */
	void (*sleep_ms)(void *ud, unsigned ms);
	void *ud;
};

struct unit_wait_opts {
	unsigned timeout_ms;   /* give up on units still pending after this */
	unsigned settle_ms;    /* every unit up, and still up this much later */
	unsigned poll_ms;
};

/* Poll until every unit is up (peer units: up or retrying) and has been so
 * for settle_ms (a service that dies at once is caught), or a unit fails, or
 * a unit is still pending after timeout_ms. While a unit is pending the
 * next poll comes poll_ms later, or three times as long as the last show
 * took if that is more (a show is a process; the units need the CPU); once
 * every unit is up, one more poll when the settle is over. "For settle_ms" counts from the
 * unit's own ActiveEnterTimestampMonotonic when systemd gives it (so units
 * that came up while the agent did other work need no further wait; now_ms
 * must then be CLOCK_MONOTONIC as systemd's), else from the first poll that
 * saw every unit up. 0, with why naming the peer units
 * still retrying ("" if none); -EIO with unit_verdict's why for the first
 * failed unit (in the order given); -ETIMEDOUT with why "NAME still starting
 * after N s"; -EBADMSG for text that is not one block per unit; show's error
 * as it is. */
int unit_wait(const struct unit_wait_ops *ops, const struct unit_wait_opts *o, const struct unit_want *units, size_t n,
	      char *why, size_t why_len);

/* Poll until a unit has nothing under way: not activating, deactivating or
 * reloading. A unit waiting to restart after a failure runs nothing, nor
 * does one whose start job is only queued (at boot the early stage's data
 * disk step runs before the server's start, which waits for it): both
 * count as settled. For a service about to
 * be stopped: MariaDB deadlocks when its SIGTERM comes while it is still
 * starting (it neither finishes starting nor exits: seen with 10.11, its
 * main thread waits for ever in init_slave) and Debian's mariadb.service
 * never sends SIGKILL (SendSIGKILL=no, TimeoutStopSec=900), so a stop then
 * hangs for 15 minutes and leaves the server behind (docs/firstboot.md).
 * 0 once settled (why gets the state: "active", "failed", or the load
 * state of a unit not loaded, e.g. "not-found": it runs nothing either);
 * -ETIMEDOUT with why "NAME still starting after N s" (or stopping,
 * reloading); -EBADMSG for text that is not one block; show's error as it is. */
int unit_wait_settled(const struct unit_wait_ops *ops, unsigned timeout_ms, unsigned poll_ms,
		      const struct unit_want *unit, char *why, size_t why_len);

/* unit_wait's operations on the running system under root ("/" on a host):
 * systemd_show, CLOCK_MONOTONIC, nanosleep. */
struct unit_wait_ops unit_wait_systemd(const char *root);

/* Whether systemd must reload its units before they are (re)started, from
 * `systemctl show -p Id -p LoadState -p NeedDaemonReload NAME...` (asking
 * loads a unit not loaded yet, from the files as they are now): 1 when a
 * unit is not loaded (e.g. its file is newer than systemd's view of the unit
 * directories) or systemd says its files changed since it loaded them (why
 * names the first), 0 when systemd already sees every unit as on disk,
 * -EBADMSG for text that is not n blocks each with LoadState and
 * NeedDaemonReload. */
#define UNIT_RELOAD_PROPS "Id", "LoadState", "NeedDaemonReload"
int unit_reload_needed(const char *text, size_t n, char *why, size_t why_len);
#endif
