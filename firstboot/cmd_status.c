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
#include <string.h>
#include <unistd.h>

int fb_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "times", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, times = false;
	int c;
	while ((c = getopt_long(argc, argv, "jth", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 't')
			times = true;
		else if (c == 'h') {
			printf("Usage: kiln-firstboot status [--json] [--times]\n\n"
			       "Print every first-boot step, its state (pending, running, done, failed,\n"
			       "skipped) and the reason for any failure, from %s/" KILN_STATUS_NAME ".\n"
			       "A step a newer seed still owes is pending (\"owed: ...\"); the host is ready\n"
			       "(JSON: \"ready\": true) only when no step owes work and join is over.\n"
			       "On a MySQL host with backups, the last full and binary-log runs follow\n"
			       "(" KILN_BACKUP_STATUS_NAME ": time, object, size, or why it failed).\n"
			       "--times adds each step's timing: when it began (seconds since the kernel\n"
			       "booted), how long it took and the time of its phases (JSON: started_ms,\n"
			       "ms and phases, always there).\n"
			       "Exit 1 when a step or the last run of a backup failed.\n", fb_state_dir());
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
	/* a MySQL host's backup runs, if it has any */
	path = xasprintf("%s/" KILN_BACKUP_STATUS_NAME, fb_state_dir());
	struct status bk;
	bool have_bk = status_load(path, &bk) == 0 && bk.n;
	if (!have_bk && access(path, F_OK) == 0)
		log_warn("%s is unreadable", path);
	if (!have_bk)
		memset(&bk, 0, sizeof bk);
	free(path);
	status_print_with_backups(&s, have_bk ? &bk : NULL, stdout, json);
	if (!json) {
		char line[512];
		status_summary(&s, line, sizeof line);
		printf("%s\n", line);
		if (times) {
			printf("times:\n");
			status_print_times(&s, stdout);
		}
	}
	bool failed = false;
	for (size_t i = 0; i < s.n; i++)
		failed |= s.steps[i].state == STEP_FAILED;
	for (size_t i = 0; i < bk.n; i++)
		failed |= bk.steps[i].state == STEP_FAILED;   /* a failed backup is loud */
	status_free(&s);
	status_free(&bk);
	return failed ? 1 : 0;
}
