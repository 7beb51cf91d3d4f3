#include "images/tool_run.h"
#include <errno.h>
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/spawn.h"

int tool_run(const char *const *argv, const char *const *env_set, const char *package)
{
	/* Keep stderr (up to spawn's cap): the tool's own words go in the error. */
	struct buf err;
	buf_init(&err);
	struct spawn_opts o = { .argv = argv, .env_set = env_set, .err = &err };
	int st = spawn(&o);
	if (st == 0) {
		buf_free(&err);
		return 0;
	}
	if (st < 0) {
		buf_free(&err);
		if (st == -ENOENT)
			return log_error_errno(st, "cannot run %s (install package %s)", argv[0], package);
		return log_error_errno(st, "cannot run %s", argv[0]);
	}
	/* One line: newlines in the tool's output become "; ". */
	if (err.len > 4096)
		err.len = 4096;
	for (size_t i = 0; i < err.len; i++)
		if (err.data[i] == '\n')
			err.data[i] = i + 1 < err.len ? ';' : ' ';
	buf_putc(&err, '\0');
	if (st < 128)
		log_error("%s failed (exit %d): %s", argv[0], st, err.data);
	else
		log_error("%s killed by signal %d: %s", argv[0], st - 128, err.data);
	buf_free(&err);
	return -EIO;
}
