/* Logging, systemd-style. log_*_errno() log and return -abs(err) so
 * `return log_error_errno(r, "...")` reads naturally.
 *
 * Who logs: every failure is logged exactly once, by the function that
 * knows what the operator needs to hear (the file, the value, the command
 * that repairs it). Below that point functions return a negative errno and
 * stay silent: parsers, formatters, pure checks and everything the agent and
 * kiln share at the bottom of lib/ (their headers say "Does not log"). A
 * function that logs says so in its header ("Logs its errors") and its
 * callers only pass the errno up; they never log the same failure again.
 * Commands (installer/cmd_*.c, firstboot/cmd_*.c) turn the errno into an
 * exit code and log only what no callee could know (usage errors).
 *
 * Never pass a secret value to any of these. */
#ifndef KILN_LOG_H
#define KILN_LOG_H
#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Where messages go; default writes "kiln: <msg>\n" to stderr. Tests may capture. */
typedef void (*log_sink_fn)(enum log_level lvl, const char *msg, void *userdata);
void log_set_sink(log_sink_fn fn, void *userdata);
void log_set_level(enum log_level max);
void log_set_prefix(const char *prefix);   /* "kiln" or "kiln-firstboot" */

int log_internal(enum log_level lvl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...)            log_internal(LOG_LVL_ERROR, 0, __VA_ARGS__)
#define log_warn(...)             log_internal(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_info(...)             log_internal(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...)            log_internal(LOG_LVL_DEBUG, 0, __VA_ARGS__)
/* Appends ": strerror(err)" and returns -abs(err) (or -EIO if err is 0). */
#define log_error_errno(err, ...) log_internal(LOG_LVL_ERROR, (err), __VA_ARGS__)
#define log_warn_errno(err, ...)  log_internal(LOG_LVL_WARN, (err), __VA_ARGS__)

#endif
