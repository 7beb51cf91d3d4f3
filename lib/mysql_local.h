/* Local client connections: a MySQL or MariaDB client program run on the
 * server's own host, over its unix socket, as root (root authenticates by
 * its OS identity there: unix_socket / auth_socket). kiln-firstboot's setup
 * SQL, replica set-up and status, Galera status and backups, and the
 * point-in-time replay into a private server all connect this way; every
 * such argv is built here (docs/firstboot.md#local-client-connections).
 *
 * TLS is off on these connections. MariaDB's clients ask for TLS by
 * default (11.4 and later, so Debian 13's 11.8, also make the server offer
 * it with a certificate of its own), and they negotiate it on a unix socket
 * too: a handshake on every call that protects nothing (the socket is local
 * and root-only) and, in a loaded guest, outlasted the server's
 * connect_timeout ("ERROR 2026 (HY000): TLS/SSL error: Broken pipe (32)").
 * Connections to another host (a replica's copy of its primary, a joining
 * host's check, Galera's state transfers) are not built here and keep TLS. */
#ifndef KILN_MYSQL_LOCAL_H
#define KILN_MYSQL_LOCAL_H
#include <stdbool.h>
#include <stddef.h>

/* The most entries mysql_local_argv writes, its terminating NULL included. */
#define MYSQL_LOCAL_ARGV_MAX 8

/* The option that turns TLS off in client program prog (a name or a path).
 * Oracle MySQL's programs (named mysql*: "mysql", "mysqladmin") lost
 * --skip-ssl in 8.0 and take --ssl-mode=DISABLED; MariaDB's (mariadb,
 * mariadb-admin, mariadb-dump, mariadb-backup, 10.11 and 11.8 alike) do
 * not know --ssl-mode and take --skip-ssl. kiln runs MariaDB's programs by
 * their mariadb* names (profiles/mysql_engine.c), never by the mysql*
 * compatibility links Debian's MariaDB packages also install. */
const char *mysql_local_no_tls(const char *prog);

/* prog's argv for a local root connection, TLS off:
 *   prog [lead] --protocol=socket -uroot NO-TLS [-S socket]
 * lead: an option that must come first (--defaults-file=F, --no-defaults)
 * or NULL; socket: NULL for the client's default. Returns the number of
 * entries written, argv[n] is NULL: the caller adds its own options from
 * argv[n] on (its array larger than MYSQL_LOCAL_ARGV_MAX to do so). */
size_t mysql_local_argv(const char *prog, const char *lead, const char *socket,
			const char *argv[MYSQL_LOCAL_ARGV_MAX]);

/* Did a local client fail before the server ran any of its statements?
 * text: what it printed on stderr, or a message ending with that. True
 * only for the client's own connection errors: 2002 (no server on the
 * socket), 2026 (TLS), 2013 while connecting (not "during query"). */
bool mysql_local_connect_failed(const char *text);

/* How mysql_local_retry runs a client: run returns 0, or < 0 with why
 * ending with the client's stderr; nap sleeps. */
struct mysql_local_runner {
	int (*run)(void *ud, const char *const argv[], const char *in, size_t in_len, char *why, size_t why_len);
	void (*nap)(void *ud, unsigned s);
	void *ud;
	unsigned tries;     /* 0 is 1 */
	unsigned pause_s;   /* between tries */
};

/* Runs argv (stdin in) up to r->tries times while it fails before it
 * connected (mysql_local_connect_failed): such a failure ran nothing, so
 * trying again is safe whatever the statements. Any other outcome ends it.
 * Returns the last run's result, why its message. */
int mysql_local_retry(const struct mysql_local_runner *r, const char *const argv[], const char *in, size_t in_len,
		      char *why, size_t why_len);
#endif
