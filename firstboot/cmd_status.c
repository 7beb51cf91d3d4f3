#include "firstboot/commands.h"
#include "firstboot/galera.h"
#include "firstboot/mysql_replica.h"
#include "firstboot/run_lock.h"
#include "firstboot/status.h"
#include "lib/input.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
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
		{ "mysql-socket", required_argument, NULL, 'S' },
		{ "times", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, times = false;
	const char *sock = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "jth", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'S')
			sock = optarg;
		else if (c == 't')
			times = true;
		else if (c == 'h') {
			printf("Usage: kiln-firstboot status [--json] [--times] [--mysql-socket PATH]\n\n"
			       "Print every first-boot step, its state (pending, running, done, failed,\n"
			       "skipped) and the reason for any failure, from %s/" KILN_STATUS_NAME ".\n"
			       "A step a newer seed still owes is pending (\"owed: ...\"); the host is ready\n"
			       "(JSON: \"ready\": true) only when no step owes work and join is over.\n"
			       "On a MySQL host with backups, the last full and binary-log runs follow\n"
			       "(" KILN_BACKUP_STATUS_NAME ": time, object, size, or why it failed).\n"
			       "On a MySQL replica, its replication follows (SHOW SLAVE STATUS over the\n"
			       "local socket as root, or PATH): the primary, state (replicating,\n"
			       "connecting, broken), the IO and SQL threads, lag (Seconds_Behind_Master)\n"
			       "and the last error.\n"
			       "On a Galera node (roles.mysql.cluster: galera), its wsrep state follows\n"
			       "(SHOW GLOBAL STATUS LIKE 'wsrep%%' the same way): local state (Synced,\n"
			       "Joining, ...), the cluster's status (Primary) and size, ready, the last\n"
			       "committed seqno.\n"
			       "While a run is going (kiln-firstboot.service activating, or one by hand),\n"
			       "\"run: in progress\" follows the steps (JSON: \"running\": true): a failed step\n"
			       "is reported before its run ends, and a run started meanwhile waits for it.\n"
			       "--times adds each step's timing: when it began (seconds since the kernel\n"
			       "booted), how long it took and the time of its phases (JSON: started_ms,\n"
			       "ms and phases, always there).\n"
			       "Exit 1 when a step or the last run of a backup failed, or the replication\n"
			       "is broken or cannot be read, or the Galera node is not synced in a primary\n"
			       "component.\n", fb_state_dir());
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
	/* a replica's replication, if this host is one */
	bool repl_bad = false;
	struct buf rj, rt;
	buf_init(&rj);
	buf_init(&rt);
	path = xasprintf("%s/" KILN_REPLICA_CONF_NAME, fb_state_dir());
	char *conf = NULL;
	size_t conf_len;
	if (read_input(path, INPUT_NOFOLLOW, 4096, &conf, &conf_len) == 0) {
		_cleanup_free_ char *primary = NULL, *client = NULL;
		struct mysql_replica_status rs;
		char why[300] = "";
		const char *err = NULL;
		if (mysql_replica_conf_parse(conf, &primary, &client) < 0) {
			primary = xstrdup("?");
			err = "mysql-replica.conf is corrupt";
		} else if (mysql_replica_query(client, sock, &rs, why, sizeof why) < 0)
			err = why;
		repl_bad = err || !mysql_replica_ok(&rs);
		buf_puts(&rj, "\"replication\": ");
		mysql_replica_status_json(primary, &rs, err, &rj);
		mysql_replica_status_text(primary, &rs, err, &rt);
		buf_putc(&rj, '\0');
		buf_putc(&rt, '\0');
	}
	free(conf);
	free(path);
	/* a Galera node's wsrep state (firstboot/galera.h) */
	path = xasprintf("%s/" KILN_GALERA_CONF_NAME, fb_state_dir());
	conf = NULL;
	if (!rj.len && read_input(path, INPUT_NOFOLLOW, 4096, &conf, &conf_len) == 0) {
		_cleanup_free_ char *node = NULL;
		_cleanup_free_ char **nodes = NULL;
		size_t n_nodes;
		char why[300] = "";
		const char *err = NULL;
		struct galera_status gs;
		if (galera_conf_parse(conf, &node, &nodes, &n_nodes) < 0) {
			node = xstrdup("?");
			err = KILN_GALERA_CONF_NAME " is corrupt";
		} else if (galera_status_query(NULL, sock, &gs, why, sizeof why) < 0)
			err = why;
		repl_bad = err || !galera_status_ok(&gs);
		buf_puts(&rj, "\"galera\": ");
		galera_status_json(node, &gs, err, &rj);
		galera_status_text(node, &gs, err, &rt);
		buf_putc(&rj, '\0');
		buf_putc(&rt, '\0');
	}
	free(conf);
	free(path);
	/* a run going: its steps can still change (firstboot/run_lock.h) */
	int running = run_lock_held(fb_state_dir());
	if (running < 0)
		log_warn("cannot tell whether a run is going: %s", strerror(-running));
	_cleanup_free_ char *ej = xasprintf("\"running\": %s%s%s", running > 0 ? "true" : "false", rj.len ? ",\n  " : "",
					   rj.len ? rj.data : "");
	_cleanup_free_ char *et = xasprintf("%s%s", running > 0 ? "run:         in progress (its steps can still change)\n" : "",
					   rt.len ? rt.data : "");
	status_print_ext(&s, have_bk ? &bk : NULL, ej, et, stdout, json);
	buf_free(&rj);
	buf_free(&rt);
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
	return failed || repl_bad ? 1 : 0;
}
