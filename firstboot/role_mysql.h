/* The mysql role on its host: server configuration and the SQL that makes
 * the deployment's database, app user (host part limited to the app hosts or
 * their subnets) and, with replicas, the replication user. The SQL is
 * idempotent (IF NOT EXISTS + ALTER USER for rotated passwords) and is fed to
 * the server over its local socket on stdin: passwords never reach argv. */
#ifndef KILN_FB_ROLE_MYSQL_H
#define KILN_FB_ROLE_MYSQL_H
#include "lib/buf.h"
#include "profiles/model.h"

typedef const char *(*secret_lookup_fn)(void *ud, const char *name);

/* What differs for kiln between the server releases it writes for: the
 * MariaDB releases of the suites it builds (docs/firstboot.md, "MariaDB per suite"). Both ship the mariadb-*
 * programs kiln runs (mariadb, mariadb-install-db; trixie keeps the mysql*
 * names only in mariadb-client-compat), root by unix_socket and
 * mysql_native_password for password accounts (11.4+ clients verify the
 * server's certificate with it), but 11.5+ gives utf8mb4 the UCA 14.0
 * collation by default (character_set_collations). */
struct mysql_release {
	const char *suite;          /* MariaDB: Debian's suite; NULL for MySQL (one release everywhere) */
	const char *version;        /* "10.11", "11.8" */
	const char *collation;      /* the server's and the database's utf8mb4 collation */
};
/* NULL for a suite kiln does not build. */
const struct mysql_release *mariadb_release_for(const char *suite);

/* kiln's option file for host h (its path: profiles/mysql_engine.h), in the
 * dialect of roles.mysql.engine (docs/firstboot.md, "MariaDB or MySQL"). -EINVAL for a setting
 * whose key or value could break the file, or a suite without a known
 * MariaDB (logged). */
int mysql_render_cnf(const struct model *m, const struct host *h, struct buf *out);

/* The setup SQL. -ENOKEY if a needed secret is missing (logged by name). */
int mysql_render_setup_sql(const struct model *m, const struct host *h, secret_lookup_fn secret, void *ud,
			   struct buf *out);

/* A replica's replication (CHANGE MASTER TO, its bootstrap copy):
 * firstboot/mysql_replica.h. */

/* The command that initialises an empty datadir (/var/lib/mysql) with root
 * reachable over the local socket only. */
const char *const *mysql_init_argv(const struct model *m);

/* The MySQL host-part values ('a.b.c.d' or 'net/mask') allowed for the app
 * user: every static app host's address, a DHCP app host's subnet. */
size_t mysql_app_host_parts(const struct model *m, char parts[][40], size_t max);

/* Append s as a single-quoted SQL string literal (backslash and quote escaped). */
void sql_quote(struct buf *b, const char *s);
/* Append s as a backtick-quoted identifier. */
void sql_ident(struct buf *b, const char *s);
#endif
