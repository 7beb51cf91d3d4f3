/* Running helper programs without a shell: argv is passed as-is (no quoting
 * bugs, no injection). One core, spawn(), and thin forms for the common
 * cases. Never put secrets on argv (it is world-readable in /proc): feed
 * them on stdin (spawn_io) or in a private file. These functions do not log. */
#ifndef KILN_SPAWN_H
#define KILN_SPAWN_H
#include <stdbool.h>
#include <sys/types.h>
#include "lib/buf.h"

typedef void (*spawn_line_fn)(void *ud, const char *line);

struct spawn_opts {
	const char *const *argv;      /* argv[0] looked up in PATH */
	const char *const *env_set;   /* NULL or "NAME=value" entries added to / replacing the environment */
	const void *in;               /* NULL: stdin is /dev/null */
	size_t in_len;
	const char *in_path;          /* with in NULL: stdin is this file (a stream too large for memory) */
	/* With in and in_path NULL: stdin from a producer, called whenever the
	 * pipe can take more and what it gave before is written. It points *data
	 * at bytes it owns (valid until its next call) and returns how many, 0 at
	 * the end (stdin is closed), or a negative value to stop (stdin is closed
	 * and the child gets SIGTERM). Not called again after 0 or a negative
	 * value, nor once the child closed its stdin (write errors: EPIPE; the
	 * caller must ignore SIGPIPE, as kiln's programs do). */
	ssize_t (*in_fill)(void *ud, const void **data);
	struct buf *out;              /* NULL: stdout discarded (unless on_line) */
	size_t max_out;               /* capture limit for out; 0 = 1 MiB */
	struct buf *err;              /* NULL: stderr discarded; captured up to 64 KiB */
	bool err_tail;                /* err keeps the last 64 KiB instead of the first (a chatty tool's error) */
	bool merge_err;               /* stderr goes where stdout goes */
	spawn_line_fn on_line;        /* each line of stdout (without '\n') */
	/* Each chunk of stdout as it is read (a stream too large to capture:
	 * a backup). A negative return stops it: stdout is closed and the child
	 * gets SIGTERM (spawn still waits for it and returns its status). */
	int (*on_data)(void *ud, const void *data, size_t len);
	void *ud;
};

/* Returns the exit status (0..255), 128+signal when killed, or -errno when
 * the program could not be started (-ENOENT: not installed). */
int spawn(const struct spawn_opts *o);

/* stdout (up to max_out bytes) and stderr captured; stdin /dev/null. */
int spawn_capture(const char *const argv[], struct buf *out, struct buf *err, size_t max_out);
/* Same, feeding `in` (in_len bytes) to the child's stdin: the way to hand a
 * program a secret (SQL with a password, a key) without putting it on argv. */
int spawn_io(const char *const argv[], const void *in, size_t in_len, struct buf *out, struct buf *err,
	     size_t max_out);
/* stdout and stderr together, line by line (a tool's progress). */
int spawn_lines(const char *const argv[], spawn_line_fn on_line, void *ud);
/* argv1's stdout into argv2's stdin through a pipe, never held in memory (a
 * dump too large to capture, loaded by a client); argv2's stdout discarded,
 * stdin of argv1 /dev/null. Both programs' stderr captured into err (up to
 * 64 KiB; may be NULL). Returns 0 when both exit 0; otherwise argv1's status
 * when it failed (0..255, 128+signal: 141 when argv2 stopped reading), else
 * argv2's; -errno when one could not be started. */
int spawn_pipe(const char *const argv1[], const char *const argv2[], struct buf *err);
#endif
