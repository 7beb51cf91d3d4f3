/* Logging, systemd-style: library functions return negative errno and the
 * caller at the top logs once. log_*_errno() log and return -abs(err) so
 * `return log_error_errno(r, "...")` reads naturally.
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
