#include "firstboot/commands.h"
#include "firstboot/status.h"
#include "lib/input.h"
#include "lib/appliance.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int fb_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h') {
			printf("Usage: kiln-firstboot status [--json]\n\n"
			       "Print every first-boot step, its state (pending, running, done, failed,\n"
			       "skipped) and the reason for any failure, from %s/" KILN_STATUS_NAME ".\n"
			       "A step a newer seed still owes is pending (\"owed: ...\"); the host is ready\n"
			       "(JSON: \"ready\": true) only when no step owes work and join is over.\n", fb_state_dir());
			return 0;
		} else
			return 2;
	}
	char *path = xasprintf("%s/" KILN_STATUS_NAME, fb_state_dir());
	struct status s;
	int r = status_load(path, &s);
	if (r < 0) {
		if (r == -EBADMSG)
			log_error("%s is corrupt", path);
		else
			log_error("%s %s", path, input_strerror(r));
		free(path);
		return 1;
	}
	free(path);
	status_print(&s, stdout, json);
	if (!json) {
		char line[512];
		status_summary(&s, line, sizeof line);
		printf("%s\n", line);
	}
	bool failed = false;
	for (size_t i = 0; i < s.n; i++)
		failed |= s.steps[i].state == STEP_FAILED;
	status_free(&s);
	return failed ? 1 : 0;
}
