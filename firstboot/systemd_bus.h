/* The agent's questions and orders to systemd, asked in-process over the
 * service manager's private D-Bus socket (sd-bus) instead of by running
 * systemctl. Why: under QEMU TCG each systemctl is a process that loads
 * systemd's shared library, about 0.5 s of a guest's CPU (bench/RESULTS.md),
 * and the monitoring step, its check and kiln-metrics ask many times while
 * the host boots. The answers keep systemctl's text, so the parsers
 * (unit_wait.h, metrics.h) read either. libsystemd is loaded on first use
 * (firstboot/lazy_libs.c).
 *
 * root: the file system the socket is under ("/" on a host; a unit test's
 * directory where a fake manager listens). Each call makes one connection,
 * as systemctl would. Errors: negative errno, with why saying what failed
 * ("cannot connect to systemd at /run/systemd/private: ...", or systemd's
 * own error for the unit). */
#ifndef KILN_FB_SYSTEMD_BUS_H
#define KILN_FB_SYSTEMD_BUS_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/buf.h"

#define SYSTEMD_BUS_SOCKET "/run/systemd/private"

/* `systemctl show -p PROP... UNIT...`'s text, appended to out: one block
 * per unit in the order asked, "KEY=VALUE" lines in the order of props,
 * blocks separated by a blank line. A property of the Unit interface, or
 * Result from the unit type's own (service, socket, timer, mount, path...;
 * left out for a type without one). Values as systemctl prints them:
 * strings as they are, booleans yes/no, numbers in decimal, Job= the job's
 * number and only while one is queued. A unit not loaded yet is loaded from
 * its files, as systemctl show does (a missing one reads LoadState=not-found). */
int systemd_show(const char *root, const char *const props[], size_t n_props, const char *const units[],
		 size_t n_units, struct buf *out, char *why, size_t why_len);

/* Whether systemd has each unit loaded, in loaded[i] (Manager.GetUnit,
 * which does not load a unit: systemd's NoSuchUnit, "Unit NAME not
 * loaded.", is a no). A unit it has not loaded cannot be stale: systemd
 * reads its files when it is first asked for (a job, LoadUnit). */
int systemd_loaded(const char *root, const char *const units[], size_t n, bool loaded[], char *why, size_t why_len);

/* `systemctl VERB --no-block UNIT...`: a job queued per unit in the order
 * given (mode "replace"), not waited for. verb: "start", "stop", "restart"
 * or "try-restart"; -EINVAL for another. A unit systemd refuses does not
 * keep the rest from their jobs (as with systemctl); the first refusal is
 * returned, why naming the unit with systemd's message. */
int systemd_queue(const char *root, const char *verb, const char *const units[], size_t n, char *why,
		  size_t why_len);

/* `systemctl daemon-reload`: systemd reads every unit's files again and
 * runs its generators (the mounts of /etc/fstab among them), and answers
 * once that is over. Waited for as long as systemctl waits, twice systemd's
 * default timeout (3 min), since the generators alone may take 90 s; not
 * sd-bus's 25 s (a reload takes seconds under TCG, more on a loaded host). */
#define SYSTEMD_RELOAD_TIMEOUT_US (180ull * 1000000ull)
int systemd_reload(const char *root, char *why, size_t why_len);

#endif
