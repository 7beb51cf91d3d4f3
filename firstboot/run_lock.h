/* One first-boot run at a time, and a way to see that one is going.
 * `kiln-firstboot run` holds an exclusive flock(2) on KILN_RUN_LOCK_NAME in
 * the state directory from before it reads the step record until it exits
 * (the kernel drops it if the process dies, so a crash leaves no stale
 * lock). A second run (by hand, or a unit started again) waits for the
 * first and then reads the record it left. `kiln-firstboot status` asks
 * whether the lock is held: a step can say "failed" while its run is still
 * finishing (the monitoring check comes after the failed step), and a
 * `systemctl start` then would only join that run. */
#ifndef KILN_FB_RUN_LOCK_H
#define KILN_FB_RUN_LOCK_H
#include <stdbool.h>

/* The lock's fd (>= 0; keep it open for the run), waiting for a run that
 * holds it (said once in the log), or a negative errno, logged. Creates
 * state_dir if it is missing. */
int run_lock_take(const char *state_dir);

/* The same for any run of kiln-firstboot that must be alone (the backup
 * runs): dir/name flock(2)ed exclusively, dir made if missing. With wait
 * false a held lock is -EBUSY, logged as "WHAT: another run is still going
 * (PATH is held)"; with wait true it is waited for, logged once. */
int state_lock_take(const char *dir, const char *name, bool wait, const char *what);

/* 1 when a run holds the lock, 0 when none does (or there is no lock file:
 * no run since the image was built), a negative errno when it cannot be
 * asked. Does not log. */
int run_lock_held(const char *state_dir);
#endif
