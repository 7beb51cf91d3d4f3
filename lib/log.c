#include "lib/log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static log_sink_fn sink;
static void *sink_data;
static enum log_level max_level = LOG_LVL_INFO;
static const char *prefix = "kiln";

void log_set_sink(log_sink_fn fn, void *userdata) { sink = fn; sink_data = userdata; }
void log_set_level(enum log_level max) { max_level = max; }
void log_set_prefix(const char *p) { prefix = p; }

int log_internal(enum log_level lvl, int err, const char *fmt, ...)
{
	int e = err < 0 ? -err : err;
	if (lvl <= max_level || sink) {
		char msg[2048];
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		if (n < 0)
			n = 0;
		if (e && (size_t)n < sizeof msg)
			snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(e));
		if (sink)
			sink(lvl, msg, sink_data);
		else if (lvl <= max_level) {
			static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
			fprintf(stderr, "%s: %s%s\n", prefix, tag[lvl], msg);
		}
	}
	return e ? -e : -EIO;
}
