/* MariaDB's my.cnf, setup SQL and replication SQL exactly as kiln-firstboot
 * writes them, for the profile of test_firstboot_role_mysql_dialects.c.
 * First taken before roles.mysql.engine existed (merge at efa65aa: adding
 * MySQL 8 changed no byte); retaken when replication became real (issue 14:
 * server-id from the host's name, log_slave_updates, the replication
 * account's bootstrap grants and REQUIRE SSL with TLS, TLS on the link, a
 * replica's own SQL kept out of its binary log, a primary's RESET SLAVE ALL
 * and read_only=OFF for promotion). The CLI test tests/cli/mysql_replica.sh
 * applies texts of this shape to two real MariaDB servers. */
static const char mariadb_bookworm_db1_cnf[] =
	"# Written by kiln-firstboot from the deployment profile; local edits are overwritten.\n"
	"# MariaDB 10.11 (Debian bookworm)\n"
	"[mysqld]\n"
	"bind-address = 10.0.0.10\n"
	"port = 3306\n"
	"skip-name-resolve\n"
	"server-id = 2469777661\n"
	"log-bin = mysql-bin\n"
	"log_slave_updates = ON\n"
	"binlog_format = ROW\n"
	"character_set_server = utf8mb4\n"
	"collation_server = utf8mb4_unicode_ci\n"
	"max_connections = 200\n"
	"ssl_cert = /etc/kiln/tls/mysql.crt\n"
	"ssl_key = /etc/kiln/tls/mysql.key\n"
	"ssl_ca = /etc/kiln/tls/ca.crt\n";
static const char mariadb_bookworm_db1_sql[] =
	"-- kiln: database, users and grants (idempotent)\n"
	"ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n"
	"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
	"DROP DATABASE IF EXISTS test;\n"
	"STOP SLAVE;\n"
	"RESET SLAVE ALL;\n"
	"SET GLOBAL read_only=OFF;\n"
	"CREATE DATABASE IF NOT EXISTS `shop` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_unicode_ci`;\n"
	"CREATE USER IF NOT EXISTS 'web'@'10.0.0.20' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"ALTER USER 'web'@'10.0.0.20' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.0.20';\n"
	"CREATE USER IF NOT EXISTS 'web'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"ALTER USER 'web'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.1.0/255.255.255.0';\n"
	"CREATE USER IF NOT EXISTS 'kiln_repl'@'10.0.0.11' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"ALTER USER 'kiln_repl'@'10.0.0.11' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON *.* TO 'kiln_repl'@'10.0.0.11';\n"
	"CREATE USER IF NOT EXISTS 'kiln_repl'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"ALTER USER 'kiln_repl'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON *.* TO 'kiln_repl'@'10.0.1.0/255.255.255.0';\n"
	"FLUSH PRIVILEGES;\n";
static const char mariadb_bookworm_db2_cnf[] =
	"# Written by kiln-firstboot from the deployment profile; local edits are overwritten.\n"
	"# MariaDB 10.11 (Debian bookworm)\n"
	"[mysqld]\n"
	"bind-address = 10.0.0.11\n"
	"port = 3306\n"
	"skip-name-resolve\n"
	"server-id = 4093859897\n"
	"log-bin = mysql-bin\n"
	"log_slave_updates = ON\n"
	"binlog_format = ROW\n"
	"character_set_server = utf8mb4\n"
	"collation_server = utf8mb4_unicode_ci\n"
	"max_connections = 200\n"
	"read_only = ON\n"
	"relay-log = relay-bin\n"
	"ssl_cert = /etc/kiln/tls/mysql.crt\n"
	"ssl_key = /etc/kiln/tls/mysql.key\n"
	"ssl_ca = /etc/kiln/tls/ca.crt\n";
static const char mariadb_bookworm_db2_sql[] =
	"-- kiln: database, users and grants (idempotent)\n"
	"SET SESSION sql_log_bin=0;\n"
	"ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n"
	"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
	"DROP DATABASE IF EXISTS test;\n"
	"FLUSH PRIVILEGES;\n";
static const char mariadb_bookworm_db2_repl[] =
	"STOP SLAVE;\n"
	"CHANGE MASTER TO MASTER_HOST='10.0.0.10', MASTER_PORT=3306, MASTER_USER='kiln_repl', MASTER_PASSWORD='rpw', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=10, MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0;\n"
	"START SLAVE;\n";
static const char mariadb_trixie_db1_cnf[] =
	"# Written by kiln-firstboot from the deployment profile; local edits are overwritten.\n"
	"# MariaDB 11.8 (Debian trixie)\n"
	"[mysqld]\n"
	"bind-address = 10.0.0.10\n"
	"port = 3306\n"
	"skip-name-resolve\n"
	"server-id = 2469777661\n"
	"log-bin = mysql-bin\n"
	"log_slave_updates = ON\n"
	"binlog_format = ROW\n"
	"character_set_server = utf8mb4\n"
	"collation_server = utf8mb4_uca1400_ai_ci\n"
	"max_connections = 200\n"
	"ssl_cert = /etc/kiln/tls/mysql.crt\n"
	"ssl_key = /etc/kiln/tls/mysql.key\n"
	"ssl_ca = /etc/kiln/tls/ca.crt\n";
static const char mariadb_trixie_db1_sql[] =
	"-- kiln: database, users and grants (idempotent)\n"
	"ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n"
	"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
	"DROP DATABASE IF EXISTS test;\n"
	"STOP SLAVE;\n"
	"RESET SLAVE ALL;\n"
	"SET GLOBAL read_only=OFF;\n"
	"CREATE DATABASE IF NOT EXISTS `shop` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_uca1400_ai_ci`;\n"
	"CREATE USER IF NOT EXISTS 'web'@'10.0.0.20' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"ALTER USER 'web'@'10.0.0.20' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.0.20';\n"
	"CREATE USER IF NOT EXISTS 'web'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"ALTER USER 'web'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'p\\'w\\\\x';\n"
	"GRANT ALL PRIVILEGES ON `shop`.* TO 'web'@'10.0.1.0/255.255.255.0';\n"
	"CREATE USER IF NOT EXISTS 'kiln_repl'@'10.0.0.11' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"ALTER USER 'kiln_repl'@'10.0.0.11' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON *.* TO 'kiln_repl'@'10.0.0.11';\n"
	"CREATE USER IF NOT EXISTS 'kiln_repl'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"ALTER USER 'kiln_repl'@'10.0.1.0/255.255.255.0' IDENTIFIED BY 'rpw' REQUIRE SSL;\n"
	"GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON *.* TO 'kiln_repl'@'10.0.1.0/255.255.255.0';\n"
	"FLUSH PRIVILEGES;\n";
static const char mariadb_trixie_db2_cnf[] =
	"# Written by kiln-firstboot from the deployment profile; local edits are overwritten.\n"
	"# MariaDB 11.8 (Debian trixie)\n"
	"[mysqld]\n"
	"bind-address = 10.0.0.11\n"
	"port = 3306\n"
	"skip-name-resolve\n"
	"server-id = 4093859897\n"
	"log-bin = mysql-bin\n"
	"log_slave_updates = ON\n"
	"binlog_format = ROW\n"
	"character_set_server = utf8mb4\n"
	"collation_server = utf8mb4_uca1400_ai_ci\n"
	"max_connections = 200\n"
	"read_only = ON\n"
	"relay-log = relay-bin\n"
	"ssl_cert = /etc/kiln/tls/mysql.crt\n"
	"ssl_key = /etc/kiln/tls/mysql.key\n"
	"ssl_ca = /etc/kiln/tls/ca.crt\n";
static const char mariadb_trixie_db2_sql[] =
	"-- kiln: database, users and grants (idempotent)\n"
	"SET SESSION sql_log_bin=0;\n"
	"ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;\n"
	"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'%', ''@'localhost', ''@'%';\n"
	"DROP DATABASE IF EXISTS test;\n"
	"FLUSH PRIVILEGES;\n";
static const char mariadb_trixie_db2_repl[] =
	"STOP SLAVE;\n"
	"CHANGE MASTER TO MASTER_HOST='10.0.0.10', MASTER_PORT=3306, MASTER_USER='kiln_repl', MASTER_PASSWORD='rpw', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=10, MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0;\n"
	"START SLAVE;\n";
