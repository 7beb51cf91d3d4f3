/* firstboot/mysql_replica.c: server-ids from host names (distinct, stable
 * when hosts are added or reordered, collisions moved), the replica's SQL
 * and its quoting, the bootstrap copy's argv (no secret on it), the setup's
 * order and idempotence through a recording runner, the parsing of SHOW
 * SLAVE STATUS and its refusals, the status texts, the replica record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "firstboot/mysql_replica.h"
#include "lib/mysql_local.h"
#include "profiles/profile.h"

static const char base[] =
	"kiln: 1\ndeployment: {name: t, domain: t.lan}\ndebian: {suite: bookworm}\n"
	"subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n  - {name: b, cidr: 10.0.1.0/24}\n"
	"hosts:\n%s"
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
	"roles:\n  mysql: {database: shop, user: web%s}\n  app: {service: {exec: /bin/true}}\n";

static void load(const char *hosts, const char *mysql_extra, struct model *m)
{
	char text[4096];
	snprintf(text, sizeof text, base, hosts, mysql_extra);
	struct diags d = { 0 };
	int r = profile_load_buffer("p.yaml", text, strlen(text), NULL, m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

static const char two[] = "  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
			  "  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db1}\n";

static void test_server_id(void **state)
{
	(void)state;
	struct model m, m2;
	load(two, "", &m);
	uint32_t a = mysql_server_id(&m, model_find_host(&m, "db1")), b = mysql_server_id(&m, model_find_host(&m, "db2"));
	assert_true(a != 0 && b != 0 && a != b);
	assert_int_equal(mysql_server_id(&m, model_find_host(&m, "app1")), 0);
	/* the same ids in another order, with another MySQL host first */
	load("  - {name: db0, role: mysql, subnet: a, address: 10.0.0.9}\n"
	     "  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db1}\n"
	     "  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n", "", &m2);
	assert_int_equal(mysql_server_id(&m2, model_find_host(&m2, "db1")), a);
	assert_int_equal(mysql_server_id(&m2, model_find_host(&m2, "db2")), b);
	/* a collision: the later host in profile order moves to the next value */
	free(m.hosts[1].name);
	m.hosts[1].name = strdup("db1");   /* same name, same hash */
	assert_int_equal(mysql_server_id(&m, &m.hosts[0]), a);
	assert_int_equal(mysql_server_id(&m, &m.hosts[1]), a == 0xffffffffu ? 1 : a + 1);
	model_free(&m);
	model_free(&m2);
}

static void test_change_sql(void **state)
{
	(void)state;
	struct model m;
	load(two, "", &m);
	const struct host *h = model_find_host(&m, "db2");
	struct buf b;
	buf_init(&b);
	mysql_replica_change_sql(&m, h, "p'w\\x", NULL, 0, &b);
	assert_string_equal(b.data, "STOP SLAVE;\nCHANGE MASTER TO MASTER_HOST='10.0.0.10', MASTER_PORT=3306, "
				    "MASTER_USER='kiln_repl', MASTER_PASSWORD='p\\'w\\\\x', MASTER_USE_GTID=slave_pos, "
				    "MASTER_CONNECT_RETRY=10;\n");
	buf_free(&b);
	buf_init(&b);
	mysql_replica_change_sql(&m, h, "x", "127.0.0.1", 3307, &b);   /* tests' override */
	assert_non_null(strstr(b.data, "MASTER_HOST='127.0.0.1', MASTER_PORT=3307,"));
	buf_free(&b);
	model_free(&m);
	/* TLS on the link when the servers have certificates */
	load(two, ", tls: true", &m);
	buf_init(&b);
	mysql_replica_change_sql(&m, model_find_host(&m, "db2"), "x", NULL, 0, &b);
	assert_non_null(strstr(b.data, ", MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0;\n"));
	buf_free(&b);
	model_free(&m);
}

static void test_client_cnf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(mysql_client_cnf("a\"b\\c d#e", &b), 0);
	assert_string_equal(b.data, "[client]\npassword=\"a\\\"b\\\\c d#e\"\n");
	buf_free(&b);
	buf_init(&b);
	assert_int_equal(mysql_client_cnf("two\nlines", &b), -EINVAL);
	assert_int_equal(mysql_client_cnf("cr\r", &b), -EINVAL);
	buf_free(&b);
}

static void test_dump_argv(void **state)
{
	(void)state;
	struct model m;
	load(two, ", tls: true", &m);
	const char *argv[MYSQL_DUMP_ARGV_MAX];
	char *owned[4];
	mysql_dump_argv(&m, model_find_host(&m, "db2"), "/s/replica-dump.cnf", NULL, 0, argv, owned);
	struct buf b;
	buf_init(&b);
	size_t n = 0;
	for (; argv[n]; n++)
		buf_printf(&b, "%s%s", n ? " " : "", argv[n]);
	assert_true(n < MYSQL_DUMP_ARGV_MAX);
	assert_string_equal(b.data, "mariadb-dump --defaults-extra-file=/s/replica-dump.cnf "
				    "-h 10.0.0.10 -P 3306 -ukiln_repl --single-transaction --master-data=1 --gtid "
				    "--all-databases --ignore-database=mysql --ignore-database=#mysql50#lost+found --system=users --insert-ignore --routines "
				    "--events --triggers --ssl --skip-ssl-verify-server-cert");
	assert_null(strstr(b.data, "password"));
	buf_free(&b);
	for (size_t i = 0; i < 4; i++)
		free(owned[i]);
	model_free(&m);
}

/* A runner that records what it is asked and answers from a script. */
struct rec {
	struct buf log;
	const char *slave_pos;     /* the answer to SELECT @@global.gtid_slave_pos */
	int pipe_fail;             /* fail the copy this many times */
	int pipes, sleeps;
};

static int rec_run(void *ud, const char *const argv[], const char *in, size_t in_len, struct buf *out, char *why,
		   size_t why_len)
{
	struct rec *r = ud;
	for (size_t i = 0; argv[i]; i++)
		buf_printf(&r->log, "%s%s", i ? " " : "", argv[i]);
	buf_puts(&r->log, " <<");
	buf_append(&r->log, in, in_len);
	if (out && strstr(in, "gtid_slave_pos"))
		buf_puts(out, r->slave_pos);
	return 0;
}

static int rec_pipe(void *ud, const char *const a[], const char *const b[], char *why, size_t why_len)
{
	struct rec *r = ud;
	r->pipes++;
	size_t last = 0;
	while (b[last + 1])
		last++;
	buf_printf(&r->log, "PIPE %s | %s %s\n", a[0], b[0], b[last]);
	if (r->pipe_fail-- > 0) {
		snprintf(why, why_len, "mariadb-dump exited 2: Can't connect");
		return -EIO;
	}
	return 0;
}

static void rec_sleep(void *ud, unsigned s)
{
	((struct rec *)ud)->sleeps++;
}

static const char *secret(void *ud, const char *name)
{
	return ud && !strcmp(name, "mysql_replication_password") ? "s3cret" : NULL;
}

static void setup_runner(struct rec *r, struct mysql_runner *run, unsigned deadline)
{
	static const char *local[MYSQL_LOCAL_ARGV_MAX];
	mysql_local_argv("mariadb", NULL, NULL, local);
	buf_init(&r->log);
	*run = (struct mysql_runner){ .run = rec_run, .run_pipe = rec_pipe, .sleep_s = rec_sleep, .ud = r,
				      .local = local, .cnf_path = "/nonexistent-dir/replica-dump.cnf",
				      .deadline_s = deadline };
}

static void test_setup_fresh_and_again(void **state)
{
	(void)state;
	struct model m;
	load(two, "", &m);
	const struct host *h = model_find_host(&m, "db2");
	char tmpl[] = "/tmp/kiln-repl-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char cnf[64];
	snprintf(cnf, sizeof cnf, "%s/replica-dump.cnf", tmpl);
	struct rec r = { .slave_pos = "\n" };
	struct mysql_runner run;
	setup_runner(&r, &run, 0);
	run.cnf_path = cnf;
	char why[300];
	bool cloned;
	assert_int_equal(mysql_replica_setup(&m, h, secret, (void *)1, &run, &cloned, why, sizeof why), 0);
	assert_true(cloned);
	buf_putc(&r.log, '\0');
	/* point, ask, copy, start: in that order; the password only on stdin */
	const char *point = strstr(r.log.data, "SET SESSION sql_log_bin=0;\nSTOP SLAVE;\nCHANGE MASTER TO");
	const char *ask = strstr(r.log.data, "-N -B <<SELECT @@global.gtid_slave_pos;");
	const char *copy = strstr(r.log.data, "PIPE mariadb-dump | mariadb --init-command=SET SESSION sql_log_bin=0");
	const char *start = strstr(r.log.data, "<<START SLAVE;\n");
	assert_true(point && ask && copy && start && point < ask && ask < copy && copy < start);
	assert_int_equal(access(cnf, F_OK), -1);   /* the option file is gone */
	buf_free(&r.log);
	/* already bootstrapped: re-pointed and started, no copy */
	struct rec r2 = { .slave_pos = "0-1-42\n" };
	setup_runner(&r2, &run, 0);
	run.cnf_path = cnf;
	assert_int_equal(mysql_replica_setup(&m, h, secret, (void *)1, &run, &cloned, why, sizeof why), 0);
	assert_false(cloned);
	assert_int_equal(r2.pipes, 0);
	buf_putc(&r2.log, '\0');
	assert_non_null(strstr(r2.log.data, "CHANGE MASTER TO"));
	assert_non_null(strstr(r2.log.data, "START SLAVE;"));
	buf_free(&r2.log);
	rmdir(tmpl);
	model_free(&m);
}

static void test_setup_refusals(void **state)
{
	(void)state;
	struct model m;
	load(two, "", &m);
	const struct host *h = model_find_host(&m, "db2");
	struct rec r = { .slave_pos = "" };
	struct mysql_runner run;
	char why[300];
	bool cloned;
	/* no password in the seed */
	setup_runner(&r, &run, 0);
	assert_int_equal(mysql_replica_setup(&m, h, secret, NULL, &run, &cloned, why, sizeof why), -ENOKEY);
	assert_non_null(strstr(why, "mysql_replication_password"));
	assert_int_equal(r.log.len, 0);
	buf_free(&r.log);
	/* the option file cannot be written */
	setup_runner(&r, &run, 0);
	assert_true(mysql_replica_setup(&m, h, secret, (void *)1, &run, &cloned, why, sizeof why) < 0);
	assert_non_null(strstr(why, "/nonexistent-dir/replica-dump.cnf"));
	assert_int_equal(r.pipes, 0);
	buf_free(&r.log);
	/* the primary never answers within the deadline: retried, then why */
	char tmpl[] = "/tmp/kiln-repl-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char cnf[64];
	snprintf(cnf, sizeof cnf, "%s/c.cnf", tmpl);
	struct rec r3 = { .slave_pos = "", .pipe_fail = 1000 };
	setup_runner(&r3, &run, 0);
	run.cnf_path = cnf;
	assert_int_equal(mysql_replica_setup(&m, h, secret, (void *)1, &run, &cloned, why, sizeof why), -EIO);
	assert_false(cloned);
	assert_true(r3.pipes >= 1);
	assert_string_equal(why, "copying the primary db1: mariadb-dump exited 2: Can't connect");
	assert_null(strstr(why, "s3cret"));
	assert_int_equal(access(cnf, F_OK), -1);
	buf_putc(&r3.log, '\0');
	assert_null(strstr(r3.log.data, "START SLAVE"));   /* never started on an empty copy */
	buf_free(&r3.log);
	/* one failure, then the primary answers */
	struct rec r4 = { .slave_pos = "", .pipe_fail = 1 };
	setup_runner(&r4, &run, 60);
	run.cnf_path = cnf;
	assert_int_equal(mysql_replica_setup(&m, h, secret, (void *)1, &run, &cloned, why, sizeof why), 0);
	assert_true(cloned);
	assert_int_equal(r4.pipes, 2);
	assert_int_equal(r4.sleeps, 1);
	buf_free(&r4.log);
	rmdir(tmpl);
	model_free(&m);
}

static const char hdr[] =
	"Slave_IO_State\tMaster_Host\tMaster_User\tMaster_Port\tSlave_IO_Running\tSlave_SQL_Running\tLast_Errno\t"
	"Last_Error\tSeconds_Behind_Master\tLast_IO_Errno\tLast_IO_Error\tLast_SQL_Errno\tLast_SQL_Error\tUsing_Gtid\t"
	"Gtid_IO_Pos\n";

static void test_status_parse(void **state)
{
	(void)state;
	struct mysql_replica_status st;
	char text[2048];
	snprintf(text, sizeof text, "%s%s", hdr,
		 "Waiting for master to send event\t10.0.0.10\tkiln_repl\t3306\tYes\tYes\t0\t\t3\t0\t\t0\t\t"
		 "Slave_Pos\t0-1-42\n");
	assert_int_equal(mysql_replica_status_parse(text, &st), 0);
	assert_true(st.configured && mysql_replica_ok(&st));
	assert_string_equal(st.io_running, "Yes");
	assert_int_equal(st.seconds_behind, 3);
	assert_string_equal(st.master_host, "10.0.0.10");
	assert_int_equal(st.master_port, 3306);
	assert_string_equal(st.using_gtid, "Slave_Pos");
	assert_string_equal(st.gtid_io_pos, "0-1-42");
	struct buf b;
	buf_init(&b);
	mysql_replica_status_text("db1", &st, NULL, &b);
	assert_non_null(strstr(b.data, "  state          replicating\n"));
	assert_non_null(strstr(b.data, "  lag            3 s\n"));
	buf_free(&b);
	buf_init(&b);
	mysql_replica_status_json("db1", &st, NULL, &b);
	assert_string_equal(b.data, "{\"primary\": \"db1\", \"state\": \"replicating\", \"configured\": true, "
				    "\"io_running\": \"Yes\", \"sql_running\": \"Yes\", \"seconds_behind_master\": 3, "
				    "\"gtid_io_pos\": \"0-1-42\", \"last_errno\": 0, \"last_error\": null}");
	buf_free(&b);

	/* the IO thread reconnecting after an error; lag NULL; an escaped error */
	snprintf(text, sizeof text, "%s%s", hdr,
		 "Reconnecting\t10.0.0.10\tkiln_repl\t3306\tConnecting\tYes\t0\t\tNULL\t2003\t"
		 "error reconnecting to master 'kiln_repl@10.0.0.10:3306' - retry-time: 10\\tmaybe\\nnext\\\\line\t0\t\t"
		 "Slave_Pos\t0-1-42\n");
	assert_int_equal(mysql_replica_status_parse(text, &st), 0);
	assert_false(mysql_replica_ok(&st));
	assert_int_equal(st.seconds_behind, -1);
	assert_int_equal(st.last_io_errno, 2003);
	assert_non_null(strstr(st.last_io_error, "retry-time: 10 maybe next\\line"));
	buf_init(&b);
	mysql_replica_status_text("db1", &st, NULL, &b);
	assert_non_null(strstr(b.data, "  state          connecting\n"));
	assert_non_null(strstr(b.data, "  lag            unknown"));
	assert_non_null(strstr(b.data, "  last error     2003: error reconnecting"));
	buf_free(&b);
	buf_init(&b);
	mysql_replica_status_json("db1", &st, NULL, &b);
	assert_non_null(strstr(b.data, "\"seconds_behind_master\": null"));
	assert_non_null(strstr(b.data, "\"last_errno\": 2003"));
	buf_free(&b);

	/* the SQL thread stopped by an error: broken */
	snprintf(text, sizeof text, "%s%s", hdr,
		 "\t10.0.0.10\tkiln_repl\t3306\tYes\tNo\t1062\tDuplicate entry\tNULL\t0\t\t1062\tDuplicate entry '1'\t"
		 "Slave_Pos\t0-1-42\n");
	assert_int_equal(mysql_replica_status_parse(text, &st), 0);
	buf_init(&b);
	mysql_replica_status_text("db1", &st, NULL, &b);
	assert_non_null(strstr(b.data, "  state          broken\n"));
	assert_non_null(strstr(b.data, "  last error     1062: Duplicate entry '1'\n"));
	buf_free(&b);

	/* nothing configured: an empty answer */
	assert_int_equal(mysql_replica_status_parse("", &st), 0);
	assert_false(st.configured);
	assert_false(mysql_replica_ok(&st));
	buf_init(&b);
	mysql_replica_status_text("db1", &st, NULL, &b);
	assert_non_null(strstr(b.data, "  state          not configured\n"));
	buf_free(&b);
	/* the server could not be asked */
	buf_init(&b);
	mysql_replica_status_json("db1", &st, "mariadb exited 1: Can't connect", &b);
	assert_string_equal(b.data, "{\"primary\": \"db1\", \"state\": \"unknown\", \"error\": "
				    "\"mariadb exited 1: Can't connect\"}");
	buf_free(&b);
}

/* MySQL 8.4's names for the same fields. */
static void test_status_parse_mysql(void **state)
{
	(void)state;
	struct mysql_replica_status st;
	static const char text[] =
		"Replica_IO_State\tSource_Host\tSource_Port\tReplica_IO_Running\tReplica_SQL_Running\t"
		"Seconds_Behind_Source\tLast_IO_Errno\tLast_IO_Error\tLast_SQL_Errno\tLast_SQL_Error\tAuto_Position\n"
		"Waiting\t10.0.0.10\t3306\tYes\tYes\t0\t0\t\t0\t\t1\n";
	assert_int_equal(mysql_replica_status_parse(text, &st), 0);
	assert_true(mysql_replica_ok(&st));
	assert_int_equal(st.seconds_behind, 0);
	assert_string_equal(st.using_gtid, "1");
}

static void test_status_parse_refusals(void **state)
{
	(void)state;
	struct mysql_replica_status st;
	char text[2048];
	assert_int_equal(mysql_replica_status_parse("no newline", &st), -EBADMSG);
	assert_int_equal(mysql_replica_status_parse("Slave_IO_Running\tSlave_SQL_Running\n", &st), -EBADMSG);
	/* fields and values do not line up */
	assert_int_equal(mysql_replica_status_parse("Slave_IO_Running\tSlave_SQL_Running\nYes\n", &st), -EBADMSG);
	/* two rows: named connections are not kiln's */
	assert_int_equal(mysql_replica_status_parse("Slave_IO_Running\tSlave_SQL_Running\nYes\tYes\nNo\tNo\n", &st),
			 -EBADMSG);
	/* without the thread fields */
	assert_int_equal(mysql_replica_status_parse("A\tB\n1\t2\n", &st), -EBADMSG);
	/* a lag that is no number is unknown, not garbage */
	snprintf(text, sizeof text, "Slave_IO_Running\tSlave_SQL_Running\tSeconds_Behind_Master\nYes\tYes\t-5\n");
	assert_int_equal(mysql_replica_status_parse(text, &st), 0);
	assert_int_equal(st.seconds_behind, -1);
	snprintf(text, sizeof text, "Slave_IO_Running\tSlave_SQL_Running\tSeconds_Behind_Master\nYes\tYes\t99999999999999999999\n");
	assert_int_equal(mysql_replica_status_parse(text, &st), 0);
	assert_int_equal(st.seconds_behind, -1);
}

static void test_conf(void **state)
{
	(void)state;
	struct model m;
	load(two, "", &m);
	struct buf b;
	buf_init(&b);
	mysql_replica_conf_render(&m, model_find_host(&m, "db2"), &b);
	assert_string_equal(b.data, "primary=db1\nclient=mariadb\n");
	char *p, *c;
	assert_int_equal(mysql_replica_conf_parse(b.data, &p, &c), 0);
	assert_string_equal(p, "db1");
	assert_string_equal(c, "mariadb");
	free(p);
	free(c);
	buf_free(&b);
	static const char *const bad[] = { "", "primary=db1\n", "client=mariadb\n", "primary=db1\nclient=mariadb\nx=y\n",
					   "primary=db1\nprimary=db2\nclient=mariadb\n", "primary=db1\nclient=/bin/sh -c\n",
					   "primary=\nclient=mariadb\n", "primary db1\nclient=mariadb\n",
					   "primary=../x;y\nclient=mariadb\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(mysql_replica_conf_parse(bad[i], &p, &c), -EBADMSG);
		assert_null(p);
		assert_null(c);
	}
	model_free(&m);
}

static void test_primary_addr(void **state)
{
	(void)state;
	struct model m;
	load("  - {name: db1, role: mysql, subnet: b, address: dhcp}\n"
	     "  - {name: db2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db1}\n", "", &m);
	char *a = mysql_primary_addr(&m, model_find_host(&m, "db2"));
	assert_string_equal(a, "db1.t.lan");
	free(a);
	assert_null(mysql_primary_addr(&m, model_find_host(&m, "db1")));
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_id),
		cmocka_unit_test(test_change_sql),
		cmocka_unit_test(test_client_cnf),
		cmocka_unit_test(test_dump_argv),
		cmocka_unit_test(test_setup_fresh_and_again),
		cmocka_unit_test(test_setup_refusals),
		cmocka_unit_test(test_status_parse),
		cmocka_unit_test(test_status_parse_mysql),
		cmocka_unit_test(test_status_parse_refusals),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_primary_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
