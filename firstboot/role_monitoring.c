/* The monitoring step's own files and SQL; see role_monitoring.h. */
#include "firstboot/role_monitoring.h"
#include "firstboot/role_mysql.h"
#include "lib/json.h"
#include "lib/secret_gen.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void exporter_at(struct buf *b)
{
	sql_quote(b, MON_EXPORTER_USER);
	buf_puts(b, "@'localhost'");
}

int monitoring_exporter_sql(enum mysql_engine engine, const char *password, struct buf *b)
{
	/* Generated passwords only: the value also goes into an option file. */
	if (secret_password_problem(password, strlen(password)))
		return -EINVAL;
	buf_puts(b, "-- kiln: the MySQL exporter's account (idempotent)\nCREATE USER IF NOT EXISTS ");
	exporter_at(b);
	buf_puts(b, " IDENTIFIED BY ");
	sql_quote(b, password);
	buf_puts(b, " WITH MAX_USER_CONNECTIONS 3;\nALTER USER ");
	exporter_at(b);
	buf_puts(b, " IDENTIFIED BY ");
	sql_quote(b, password);
	buf_puts(b, engine == MYSQL_ENGINE_MYSQL ? " WITH MAX_USER_CONNECTIONS 3;\nGRANT PROCESS, REPLICATION CLIENT ON *.* TO "
						 : " WITH MAX_USER_CONNECTIONS 3;\nGRANT PROCESS, SLAVE MONITOR ON *.* TO ");
	exporter_at(b);
	buf_puts(b, ";\nFLUSH PRIVILEGES;\n");
	return 0;
}

int monitoring_exporter_cnf(const char *password, struct buf *b)
{
	if (secret_password_problem(password, strlen(password)))
		return -EINVAL;
	buf_printf(b, "# Written by kiln-firstboot: the MySQL exporter's login (root-only; the exporter gets it\n"
		      "# as a systemd credential).\n[client]\nuser=%s\npassword=%s\nsocket=/run/mysqld/mysqld.sock\n",
		   MON_EXPORTER_USER, password);
	return 0;
}

void monitoring_metrics_policy(struct buf *b)
{
	buf_puts(b, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"admin:Prometheus\"]}]}");
}

void monitoring_archive_policy(const char *bucket, struct buf *b)
{
	char *arn = xasprintf("arn:aws:s3:::%s/*", bucket);
	buf_puts(b, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\"],"
		    "\"Resource\":[");
	json_str(b, arn);
	buf_puts(b, "]}]}");
	free(arn);
}

void monitoring_metrics_service(struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: this host's kiln metrics for Prometheus (docs/monitoring.md).\n"
		    "[Unit]\nDescription=kiln metrics for Prometheus (textfile collector)\n"
		    "ConditionPathExists=" MON_METRICS_CONF "\n\n"
		    "[Service]\nType=oneshot\nExecStart=" KILN_FIRSTBOOT_BIN " metrics\nNice=10\n"
		    /* during boot the least weight short of idle (render_monitoring.c):
		     * on a later boot the timer starts with timers.target and the first
		     * run, 5 s later, is a job the boot waits for; at the idle weight it
		     * ran only once all else was done, 3 s past the agent's end on the
		     * monitoring host (bench/RESULTS.md). At the first boot the agent
		     * starts the timer when its run is over (monitoring_check). */
		    "StartupCPUWeight=1\n");
}

void monitoring_metrics_timer(struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: kiln metrics every 30 seconds.\n"
		    "[Unit]\nDescription=kiln metrics every 30 seconds\n\n"
		    "[Timer]\nOnActiveSec=5s\nOnUnitActiveSec=30s\nAccuracySec=1s\n\n"
		    "[Install]\nWantedBy=timers.target\n");
}

void monitoring_archive_service(struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: yesterday's denied traffic into the archive bucket.\n"
		    "[Unit]\nDescription=kiln archive of the denied traffic (monitoring.archive_drops)\n"
		    "Wants=network-online.target\nAfter=network-online.target kiln-firstboot.service\n\n"
		    "[Service]\nType=oneshot\nExecStart=" KILN_FIRSTBOOT_BIN " archive-drops\nNice=10\n");
}

void monitoring_archive_timer(struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: the archive of the denied traffic, nightly.\n"
		    "[Unit]\nDescription=kiln archive of the denied traffic, nightly\n\n"
		    "[Timer]\nOnCalendar=*-*-* 00:15:00 UTC\nPersistent=true\nRandomizedDelaySec=10m\n\n"
		    "[Install]\nWantedBy=timers.target\n");
}
