/* Running a helper program without a shell: argv is passed as-is (no
 * quoting bugs, no injection). stdout is captured up to max_out bytes;
 * stderr is captured too so callers can put it in their error message.
 * Never put secrets on argv (argv is world-readable in /proc). */
#ifndef KILN_SPAWN_H
#define KILN_SPAWN_H
#include "lib/buf.h"

/* Returns the exit status (0..255), or -errno if it could not run (-ENOENT:
 * no such program), or -EINTR-style negative for a signal death (-ECHILD). */
int spawn_capture(const char *const argv[], struct buf *out, struct buf *err, size_t max_out);

/* Same, feeding `in` (in_len bytes) to the child's stdin: the way to hand a
 * program a secret (SQL with a password, a key) without putting it on argv. */
int spawn_io(const char *const argv[], const void *in, size_t in_len, struct buf *out, struct buf *err,
	     size_t max_out);
#endif
