#!/usr/bin/env bash
# The mysql role's SQL and my.cnf, applied to a real MariaDB: the app user
# can log in only from the app hosts, root only through the socket, the SQL
# is idempotent, and a rotated password replaces the old one.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
SQL=$ROOT/$KILN_BUILD/drivers/mysql_role_sql
P=$ROOT/tests/profiles/fixtures/loopback.yaml
export KILN_SECRET_mysql_app_password="app-pw-'quoted'\\x"
trap 'mariadb_stop; rm -rf "$T"' EXIT

check_output "onprem: app user limited to the app host" "'app'@'192.168.40.200' IDENTIFIED BY" "$SQL" "$ROOT/profiles/examples/onprem.yaml" db1 sql
check_output "onprem: root is socket-only" "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket" "$SQL" "$ROOT/profiles/examples/onprem.yaml" db1 sql
check_output "onprem: cnf binds the host's own address" '^bind-address = 192.168.40.210$' "$SQL" "$ROOT/profiles/examples/onprem.yaml" db1 cnf
check_output "onprem: cnf has utf8mb4 and ROW binlog" '^binlog_format = ROW$' "$SQL" "$ROOT/profiles/examples/onprem.yaml" db1 cnf
"$SQL" "$ROOT/profiles/examples/onprem.yaml" db1 cnf > "$T/kiln.cnf"
check_output "cnf parses with my_print_defaults" '--character_set_server=utf8mb4' my_print_defaults --defaults-file="$T/kiln.cnf" mysqld
unset_secret() { env -u KILN_SECRET_mysql_app_password "$@"; }
check_fails "missing app password is a clear error" 'lacks secret mysql_app_password' unset_secret "$SQL" "$P" db1 sql

mariadb_start "$T/db" || { not_ok "mariadb starts"; exit 1; }
ok "private mariadb started"
"$SQL" "$P" db1 sql > "$T/setup.sql"
check "setup SQL applies" mariadb_root -e "source $T/setup.sql"
check "setup SQL applies twice (idempotent)" mariadb_root -e "source $T/setup.sql"
app() { mariadb --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" -uapp "$@"; }
check "app user logs in from the app host and creates a table" \
	app -p"$KILN_SECRET_mysql_app_password" appdb -e 'CREATE TABLE IF NOT EXISTS t (id INT); INSERT INTO t VALUES (1); SELECT COUNT(*) FROM t'
# The client connects from 127.0.0.5, an address that is not the app host's.
from_other() { /usr/bin/python3 -c 'import os, pymysql
pymysql.connect(host="127.0.0.1", port=int(os.environ["MARIADB_PORT"]), user="app", database="appdb",
                password=os.environ["KILN_SECRET_mysql_app_password"], bind_address="127.0.0.5")'; }
export MARIADB_PORT
check_fails "app user from another address is refused" 'is not allowed to connect' from_other
check_fails "wrong password refused" 'Access denied' app -pnot-the-password appdb -e 'SELECT 1'
check_fails "root over TCP refused" 'Access denied' mariadb --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" -uroot -proot -e 'SELECT 1'
check_output "database is utf8mb4" 'utf8mb4' mariadb_root -N -e "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='appdb'"
check_output "only one app account per host part" '^1$' mariadb_root -N -e "SELECT COUNT(*) FROM mysql.user WHERE User='app'"
check_output "bookworm: the database's collation is MariaDB 10.11's" '^utf8mb4_unicode_ci$' \
	mariadb_root -N -e "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='appdb'"


old=$KILN_SECRET_mysql_app_password
export KILN_SECRET_mysql_app_password=rotated-password-2
"$SQL" "$P" db1 sql > "$T/rotate.sql"
check "rotated password applies" mariadb_root -e "source $T/rotate.sql"
check "rotated password works" app -protated-password-2 appdb -e 'SELECT COUNT(*) FROM t'
check_fails "old password no longer works" 'Access denied' app -p"$old" appdb -e 'SELECT 1'

# Trixie's SQL (MariaDB 11.8: the UCA 14.0 collation) applies too: 10.10+ has
# that collation, so this server checks its syntax and effect.
sed -e 's/suite: bookworm/suite: trixie/' -e '/collation_server:/d' "$P" >"$T/trixie.yaml"
"$SQL" "$T/trixie.yaml" db1 sql >"$T/trixie.sql"
check "trixie: a database of its own for this check" mariadb_root -e "DROP DATABASE appdb"
check "trixie: setup SQL applies" mariadb_root -e "source $T/trixie.sql"
check_output "trixie: the database's collation is 11.8's default" '^utf8mb4[[:space:]]utf8mb4_uca1400_ai_ci$' \
	mariadb_root -N -e "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='appdb'"
"$SQL" "$T/trixie.yaml" db1 cnf >"$T/trixie.cnf"
check_output "trixie: cnf parses with my_print_defaults" '^--collation_server=utf8mb4_uca1400_ai_ci$' \
	my_print_defaults --defaults-file="$T/trixie.cnf" mysqld
check "trixie: the app user logs in" app -protated-password-2 appdb -e 'SELECT 1'
