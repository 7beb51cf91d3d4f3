/* Running a helper tool (mmdebstrap) as a child process: argv only, never a
 * shell string; its stdout+stderr come back line by line. */
#ifndef KILN_SPAWN_H
#define KILN_SPAWN_H

typedef void (*spawn_line_fn)(void *ud, const char *line);

/* Runs argv[0] (PATH lookup) with the current environment. Each output line
 * (without '\n') goes to on_line. Returns the exit status (0..255), 128+sig
 * when killed, or a negative errno when it could not start (-ENOENT: tool
 * not installed). Does not log. */
int spawn_run(char *const argv[], spawn_line_fn on_line, void *ud);
#endif
