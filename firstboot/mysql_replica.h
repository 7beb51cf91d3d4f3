/* MariaDB replication for `replica_of` (docs/firstboot.md, "Replication"):
 * each MySQL host's server-id, the SQL that points a replica at its primary
 * by GTID, the bootstrap of a new replica from a consistent copy of its
 * primary (mariadb-dump over the replication account, streamed into the
 * local server), and the replica's state as SHOW SLAVE STATUS reports it for
 * `kiln-firstboot status` and the metrics.
 *
 * The replication password reaches the dump in a private option file and
 * the server in SQL on stdin: never argv, never a log line. */
#ifndef KILN_FB_MYSQL_REPLICA_H
#define KILN_FB_MYSQL_REPLICA_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "firstboot/role_mysql.h"
#include "lib/buf.h"
#include "profiles/model.h"

/* A replica's record of its primary, written by the role step and read by
 * `kiln-firstboot status` and `kiln-firstboot metrics` (under the state dir;
 * "primary=NAME\nclient=PROGRAM\n"). */
#define KILN_REPLICA_CONF_NAME "mysql-replica.conf"

/* The account replicas (and their bootstrap copy) log in with. */
#define MYSQL_REPL_USER "kiln_repl"

/* server-id of MySQL host h: 1..2^32-1, derived from the host's name alone
 * (BLAKE2b), so adding, removing or reordering hosts in the profile changes
 * no other host's id; the rare collision between two MySQL hosts moves the
 * later one in profile order to the next free value. 0 for a host that is
 * not a MySQL host. */
uint32_t mysql_server_id(const struct model *m, const struct host *h);

/* The address the replica h reaches its primary at (IPv4, or the FQDN of a
 * DHCP primary); malloc'd. */
char *mysql_primary_addr(const struct model *m, const struct host *h);

/* SQL for replica h (password rpw): stop replication and (re)point it at
 * the primary by GTID (MASTER_USE_GTID=slave_pos; MySQL:
 * SOURCE_AUTO_POSITION), with TLS when roles.mysql.tls. host/port override
 * the primary's address (NULL/0: from the profile). Does not start it. */
void mysql_replica_change_sql(const struct model *m, const struct host *h, const char *rpw, const char *host,
			      unsigned port, struct buf *out);

/* The option file handing the dump its password: "[client]\npassword=..."
 * with the value quoted for the option-file parser. -EINVAL for a value it
 * cannot carry (a newline or NUL). */
int mysql_client_cnf(const char *password, struct buf *out);

/* argv of the bootstrap copy on replica h (MariaDB): mariadb-dump of every
 * database but the system one, the accounts as CREATE USER IF NOT EXISTS /
 * GRANT, in one consistent snapshot, ending with the snapshot's GTID as
 * SET GLOBAL gtid_slave_pos. cnf the option file above; host/port override
 * the primary's address. Strings in *owned are the caller's to free
 * (free_argv_owned). NULL-terminated, static layout. */
#define MYSQL_DUMP_ARGV_MAX 24
void mysql_dump_argv(const struct model *m, const struct host *h, const char *cnf, const char *host, unsigned port,
		     const char *argv[MYSQL_DUMP_ARGV_MAX], char *owned[4]);

/* How the replica step runs its programs: the agent records them with
 * --no-services and runs them for real otherwise; the test driver runs them
 * against servers on loopback. run: argv with optional stdin (never NULL
 * in with a secret-free argv) and optional captured stdout; run_pipe: a | b.
 * Each returns 0 or -errno with why filled in. */
struct mysql_runner {
	int (*run)(void *ud, const char *const argv[], const char *in, size_t in_len, struct buf *out, char *why,
		   size_t why_len);
	int (*run_pipe)(void *ud, const char *const a[], const char *const b[], char *why, size_t why_len);
	void (*sleep_s)(void *ud, unsigned s);
	void *ud;
	const char *const *local;  /* the local root client (lib/mysql_local.h's mysql_local_argv) */
	const char *cnf_path;      /* where the dump's option file goes (0600, removed after) */
	const char *primary_host;  /* NULL: the profile's */
	unsigned primary_port;     /* 0: 3306 */
	unsigned deadline_s;       /* how long to keep trying to copy the primary */
};

/* The whole replica setup on replica h: point it at the primary; if it has
 * never been bootstrapped (its gtid_slave_pos is empty), copy the primary
 * into it (retrying until deadline_s while the primary is not there yet);
 * then start replication. Idempotent: a replica already bootstrapped is
 * only re-pointed (a rotated password) and started. *cloned says whether a
 * copy was made. 0 or -errno with why (never a secret). */
int mysql_replica_setup(const struct model *m, const struct host *h, secret_lookup_fn secret, void *sud,
			const struct mysql_runner *run, bool *cloned, char *why, size_t why_len);

/* SHOW SLAVE STATUS (MariaDB) or SHOW REPLICA STATUS (MySQL), as the client
 * prints it in batch mode (-B: a header line, a value line, tab-separated,
 * \t \n \\ escaped). */
struct mysql_replica_status {
	bool configured;             /* a primary is set (a row came back) */
	char io_running[16];         /* "Yes", "No", "Connecting" */
	char sql_running[16];
	long long seconds_behind;    /* -1: NULL (a thread is not running) */
	char master_host[256];
	unsigned master_port;
	char using_gtid[16];         /* "Slave_Pos", "No", ...; MySQL: "1"/"0" */
	char gtid_io_pos[256];
	unsigned last_io_errno, last_sql_errno;
	char last_io_error[512], last_sql_error[512];
};
/* 0 (an empty text: not configured), or -EBADMSG for anything else than
 * that shape. */
int mysql_replica_status_parse(const char *text, struct mysql_replica_status *st);
/* Healthy: both threads running, no error. */
bool mysql_replica_ok(const struct mysql_replica_status *st);
/* The "replication:" lines of `kiln-firstboot status` for a replica of
 * primary; or (json) the value of its "replication" member. err: why the
 * state could not be read (st then ignored), or NULL. */
void mysql_replica_status_text(const char *primary, const struct mysql_replica_status *st, const char *err,
			       struct buf *out);
void mysql_replica_status_json(const char *primary, const struct mysql_replica_status *st, const char *err,
			       struct buf *out);

/* KILN_REPLICA_CONF_NAME: render, and parse (0 or -EBADMSG; strings
 * malloc'd into primary/client). */
void mysql_replica_conf_render(const struct model *m, const struct host *h, struct buf *out);
int mysql_replica_conf_parse(const char *text, char **primary, char **client);

/* Read the local server's replica state: client (e.g. "mariadb") over the
 * socket (NULL: its default) as root. 0, or -errno with why. */
int mysql_replica_query(const char *client, const char *socket, struct mysql_replica_status *st, char *why,
			size_t why_len);
#endif
