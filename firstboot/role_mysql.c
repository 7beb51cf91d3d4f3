#include "firstboot/role_mysql.h"
#include "firstboot/galera.h"
#include "firstboot/role_monitoring.h"
#include "profiles/monitoring.h"
#include "firstboot/mysql_replica.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/backup.h"
#include "profiles/galera.h"
#include "profiles/mysql_engine.h"
#include "profiles/syntax.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sql_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

void sql_ident(struct buf *b, const char *s)
{
	buf_putc(b, '`');
	for (; *s; s++) {
		if (*s == '`')
			buf_putc(b, '`');
		buf_putc(b, *s);
	}
	buf_putc(b, '`');
}

static const struct mysql_release releases[] = {
	{ "bookworm", "10.11", "utf8mb4_unicode_ci" },
	/* The server's own default since 11.5: kiln's database, the server and
	 * a client's SET NAMES utf8mb4 agree, so no comparison mixes collations. */
	{ "trixie", "11.8", "utf8mb4_uca1400_ai_ci" },
};

const struct mysql_release *mariadb_release_for(const char *suite)
{
	for (size_t i = 0; i < sizeof releases / sizeof *releases; i++)
		if (!strcmp(releases[i].suite, suite))
			return &releases[i];
	return NULL;
}

/* Oracle's MySQL 8.4 LTS from repo.mysql.com (images/roles/mysql-mysql.yaml),
 * the same release on every suite: utf8mb4_0900_ai_ci is its utf8mb4 default. */
static const struct mysql_release mysql_8_4 = { NULL, "8.4", "utf8mb4_0900_ai_ci" };

static bool is_mysql(const struct model *m)
{
	return m->roles.mysql.engine == MYSQL_ENGINE_MYSQL;
}

static const struct mysql_release *release_of(const struct model *m)
{
	if (is_mysql(m))
		return &mysql_8_4;
	const struct mysql_release *r = mariadb_release_for(m->debian.suite);
	if (!r)
		log_error("no MariaDB release is known for Debian %s", m->debian.suite);
	return r;
}

/* my.cnf option names: '-' and '_' are the same character to both servers. */
static bool same_option(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !(strchr("-_", *a) && strchr("-_", *b)))
			return false;
	return *a == *b;
}

static const char *setting(const struct model *m, const char *key)
{
	for (size_t i = 0; i < m->roles.mysql.n_settings; i++)
		if (same_option(m->roles.mysql.setting_keys[i], key))
			return m->roles.mysql.setting_values[i];
	return NULL;
}

/* The suite's utf8mb4 collation, unless the profile sets another character
 * set (then the server picks that set's default collation). */
static const char *default_collation(const struct model *m, const struct mysql_release *rel)
{
	const char *cs = setting(m, "character_set_server");
	return !cs || !strcmp(cs, "utf8mb4") ? rel->collation : NULL;
}

int mysql_render_cnf(const struct model *m, const struct host *h, struct buf *out)
{
	char a[16];
	const struct mysql_release *rel = release_of(m);
	if (!rel)
		return -EINVAL;
	buf_puts(out, "# Written by kiln-firstboot from the deployment profile; local edits are overwritten.\n");
	if (is_mysql(m))
		buf_printf(out, "# MySQL %s (Oracle's packages, Debian %s)\n[mysqld]\n", rel->version, m->debian.suite);
	else
		buf_printf(out, "# MariaDB %s (Debian %s)\n[mysqld]\n", rel->version, rel->suite);
	buf_printf(out, "bind-address = %s\n", h->dhcp ? "0.0.0.0" : ipv4_fmt(h->address, a));
	buf_puts(out, "port = 3306\n"
		      "skip-name-resolve\n");
	/* server-id must be unique among replication peers and non-zero:
	 * from the host's name (firstboot/mysql_replica.h), so it never moves
	 * when hosts are added to the profile. */
	buf_printf(out, "server-id = %u\n", (unsigned)mysql_server_id(m, h));
	buf_puts(out, "log-bin = mysql-bin\n");
	/* A replica logs what it applies, so its binary log is the primary's
	 * history and it can take over as primary (docs/firstboot.md,
	 * "Promoting the replica"). MySQL 8.4 does so by default. */
	if (!is_mysql(m) && !setting(m, "log_slave_updates") && !setting(m, "log_replica_updates"))
		buf_puts(out, "log_slave_updates = ON\n");
	if (is_mysql(m)) {
		/* Replicas follow their primary by GTID (SOURCE_AUTO_POSITION);
		 * binlog_format is deprecated there (ROW, the default, is the only
		 * future). root logs in by auth_socket, a plugin MySQL must load. */
		if (!setting(m, "gtid_mode"))
			buf_puts(out, "gtid_mode = ON\n");
		if (!setting(m, "enforce_gtid_consistency"))
			buf_puts(out, "enforce_gtid_consistency = ON\n");
		buf_puts(out, "plugin-load-add = auth_socket.so\n");
	} else if (!setting(m, "binlog_format"))
		buf_puts(out, "binlog_format = ROW\n");
	if (!setting(m, "character_set_server"))
		buf_puts(out, "character_set_server = utf8mb4\n");
	if (!setting(m, "collation_server") && default_collation(m, rel))
		buf_printf(out, "collation_server = %s\n", rel->collation);
	if (galera_on(m))
		galera_render_cnf(m, h, out);
	for (size_t i = 0; i < m->roles.mysql.n_settings; i++) {
		const char *k = m->roles.mysql.setting_keys[i], *v = m->roles.mysql.setting_values[i];
		/* The profile loader refused these already (profiles/syntax.h). */
		if (syntax_mycnf_option(k) || syntax_mycnf_value(v))
			return log_error_errno(EINVAL, "roles.mysql.settings: '%s' cannot be written to my.cnf safely", k);
		buf_printf(out, "%s = %s\n", k, v);
	}
	/* Only replication writes to a replica. MariaDB's read_only binds
	 * every account without READ_ONLY ADMIN (the app's has none; root has,
	 * for the bootstrap copy); it has no super_read_only. MySQL's
	 * super_read_only binds SUPER accounts too. */
	if (h->replica_of)
		buf_puts(out, is_mysql(m) ? "read_only = ON\nsuper_read_only = ON\nrelay-log = relay-bin\n"
					  : "read_only = ON\nrelay-log = relay-bin\n");
	/* backup: the binary logs are shipped within the hour (docs/backup.md):
	 * kept here as long as backups are, not for ever */
	if (backup_on_host(m, h) && !setting(m, "binlog_expire_logs_seconds") && !setting(m, "expire_logs_days"))
		buf_printf(out, "binlog_expire_logs_seconds = %u\n", m->backup.keep_days * 86400u);
	if (m->roles.mysql.tls) {
		buf_puts(out, "ssl_cert = /etc/kiln/tls/mysql.crt\nssl_key = /etc/kiln/tls/mysql.key\n"
			      "ssl_ca = /etc/kiln/tls/ca.crt\n");
		/* TCP clients must use TLS (the local socket stays allowed). */
		if (is_mysql(m))
			buf_puts(out, "require_secure_transport = ON\n");
	}
	if (galera_on(m))
		galera_render_cnf_sst(h, out);
	return 0;
}

static void add_part(char parts[][40], size_t *n, size_t max, const char *p)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(parts[i], p))
			return;
	if (*n < max)
		snprintf(parts[(*n)++], 40, "%s", p);
}

size_t mysql_app_host_parts(const struct model *m, char parts[][40], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->role != ROLE_APP)
			continue;
		char a[16], mask[16], p[40];
		if (!h->dhcp)
			ipv4_fmt(h->address, a), snprintf(p, sizeof p, "%s", a);
		else {
			const struct subnet *s = &m->subnets[h->subnet];
			snprintf(p, sizeof p, "%s/%s", ipv4_fmt(s->cidr.addr, a), ipv4_fmt(ipv4_netmask(s->cidr.prefix), mask));
		}
		add_part(parts, &n, max, p);
	}
	return n;
}

static void user_at(struct buf *b, const char *user, const char *hostpart)
{
	sql_quote(b, user);
	buf_putc(b, '@');
	sql_quote(b, hostpart);
}

int mysql_render_setup_sql(const struct model *m, const struct host *h, secret_lookup_fn secret, void *ud,
			   struct buf *out)
{
	const struct mysql_release *rel = release_of(m);
	if (!rel)
		return -EINVAL;
	const char *app_pw = secret(ud, "mysql_app_password");
	if (!app_pw)
		return log_error_errno(ENOKEY, "the seed lacks secret mysql_app_password");
	buf_puts(out, "-- kiln: database, users and grants (idempotent)\n");
	/* A replica's own changes stay out of its binary log: its GTIDs are
	 * its primary's alone. */
	if (h->replica_of)
		buf_puts(out, "SET SESSION sql_log_bin=0;\n");
	/* root: the local socket and the OS user root only. */
	buf_puts(out, is_mysql(m) ? "ALTER USER 'root'@'localhost' IDENTIFIED WITH auth_socket;\n"
				  : "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n");
	buf_puts(out, "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
		      "DROP DATABASE IF EXISTS test;\n");
	if (h->replica_of) {
		/* A replica gets its data and users from its primary. */
		buf_puts(out, "FLUSH PRIVILEGES;\n");
		return 0;
	}
	/* A primary follows no one and takes writes: what promotes a former
	 * replica once the profile no longer names its primary (docs/firstboot.md,
	 * "Promoting the replica"). Notes only on a server that never replicated. */
	if (!is_mysql(m))
		buf_puts(out, "STOP SLAVE;\nRESET SLAVE ALL;\nSET GLOBAL read_only=OFF;\n");
	const char *db = m->roles.mysql.database, *user = m->roles.mysql.user;
	/* The database's character set and collation: the server's, as the
	 * profile's settings or the suite's defaults make them. */
	const char *cs = setting(m, "character_set_server"), *coll = setting(m, "collation_server");
	if (!coll)
		coll = default_collation(m, rel);
	buf_puts(out, "CREATE DATABASE IF NOT EXISTS ");
	sql_ident(out, db);
	buf_puts(out, " CHARACTER SET ");
	sql_ident(out, cs ? cs : "utf8mb4");
	if (coll) {
		buf_puts(out, " COLLATE ");
		sql_ident(out, coll);
	}
	buf_puts(out, ";\n");
	char parts[64][40];
	size_t n = mysql_app_host_parts(m, parts, 64);
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, "CREATE USER IF NOT EXISTS ");
		user_at(out, user, parts[i]);
		buf_puts(out, " IDENTIFIED BY ");
		sql_quote(out, app_pw);
		buf_puts(out, ";\nALTER USER ");
		user_at(out, user, parts[i]);
		buf_puts(out, " IDENTIFIED BY ");
		sql_quote(out, app_pw);
		buf_puts(out, ";\nGRANT ALL PRIVILEGES ON ");
		sql_ident(out, db);
		buf_puts(out, ".* TO ");
		user_at(out, user, parts[i]);
		buf_puts(out, ";\n");
	}
	bool replicas = false;
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].replica_of && !strcmp(m->hosts[i].replica_of, h->name)) {
			const char *rpw = secret(ud, "mysql_replication_password");
			if (!rpw)
				return log_error_errno(ENOKEY, "the seed lacks secret mysql_replication_password");
			const struct host *r = &m->hosts[i];
			char a[16], mask[16], p[40];
			if (r->dhcp) {
				const struct subnet *s = &m->subnets[r->subnet];
				snprintf(p, sizeof p, "%s/%s", ipv4_fmt(s->cidr.addr, a),
					 ipv4_fmt(ipv4_netmask(s->cidr.prefix), mask));
			} else
				snprintf(p, sizeof p, "%s", ipv4_fmt(r->address, a));
			/* MariaDB: also what the bootstrap copy of a new replica
			 * needs (mariadb-dump --single-transaction --master-data:
			 * read everything, a moment's FLUSH TABLES WITH READ LOCK,
			 * the binary log position); replication streams all of it
			 * anyway. With TLS the account cannot log in without it. */
			const char *req = is_mysql(m) ? "" : m->roles.mysql.tls ? " REQUIRE SSL" : " REQUIRE NONE";
			buf_puts(out, "CREATE USER IF NOT EXISTS ");
			user_at(out, MYSQL_REPL_USER, p);
			buf_puts(out, " IDENTIFIED BY ");
			sql_quote(out, rpw);
			buf_printf(out, "%s;\nALTER USER ", req);
			user_at(out, MYSQL_REPL_USER, p);
			buf_puts(out, " IDENTIFIED BY ");
			sql_quote(out, rpw);
			buf_printf(out, "%s;\nGRANT %s ON *.* TO ", req,
				   is_mysql(m) ? "REPLICATION SLAVE"
					       : "REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, LOCK TABLES, "
						 "SHOW VIEW, EVENT, TRIGGER");
			user_at(out, MYSQL_REPL_USER, p);
			buf_puts(out, ";\n");
			replicas = true;
		}
	(void)replicas;
	if (galera_on(m)) {
		const char *spw = secret(ud, "mysql_sst_password");
		if (!spw)
			return log_error_errno(ENOKEY, "the seed lacks secret mysql_sst_password");
		galera_sst_sql(spw, out);
	}
	/* With monitoring: the exporter's account in this same session, not in
	 * a client run of the monitoring step's own (a second under TCG). A
	 * password that is not a generated one adds nothing here and fails the
	 * monitoring step, which writes the exporter's option file with it. */
	const char *epw = monitoring_on(m) ? secret(ud, "mysql_exporter_password") : NULL;
	if (epw)
		(void)monitoring_exporter_sql(m->roles.mysql.engine, epw, out);
	buf_puts(out, "FLUSH PRIVILEGES;\n");
	return 0;
}

const char *const *mysql_init_argv(const struct model *m)
{
	static const char *const mariadb[] = { "mariadb-install-db", "--user=mysql", "--datadir=/var/lib/mysql",
					       "--auth-root-authentication-method=socket", "--skip-test-db", NULL };
	/* root@localhost without a password; the setup SQL moves it to
	 * auth_socket before anything listens on TCP for it. */
	static const char *const mysql[] = { "mysqld", "--initialize-insecure", "--user=mysql",
					     "--datadir=/var/lib/mysql", NULL };
	return is_mysql(m) ? mysql : mariadb;
}
