#!/usr/bin/env bash
# replica_of for real, on two MariaDB servers on loopback addresses of a
# profile (db1 the primary at 127.0.1.2:3306, db2 its replica at 127.0.0.1,
# app1 at 127.0.3.1): each server runs with the options kiln writes for its
# host; the primary gets its setup SQL and rows before the replica exists;
# the replica half of the role (tests/drivers/mysql_replica, the agent's own
# code) copies the primary and starts GTID replication. Then: rows catch up
# and keep flowing, the app's account cannot write to the replica,
# `kiln-firstboot status` shows the replication and its lag, a broken link
# is loud, and the documented promotion makes the replica a writable
# primary. The agent's own run of the replica role (--no-services) records
# the copy without a secret on argv.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
SQL=$ROOT/$KILN_BUILD/drivers/mysql_role_sql
REPL=$ROOT/$KILN_BUILD/drivers/mysql_replica
FB=$KILN_FIRSTBOOT
P=$T/repl.yaml
S=$T/state
PRIMARY_PID= REPLICA_PID=
stop_all() {
	MARIADB_PID=$REPLICA_PID mariadb_stop
	MARIADB_PID=$PRIMARY_PID mariadb_stop
}
trap 'stop_all; rm -rf "$T"' EXIT

cat >"$P" <<'EOF'
kiln: 1
deployment: {name: repl, domain: repl.internal}
debian: {suite: bookworm}
subnets:
  - {name: app, cidr: 127.0.3.0/29, gateway: 127.0.3.6}
  - {name: data, cidr: 127.0.1.0/29, gateway: 127.0.1.6}
  - {name: data2, cidr: 127.0.0.0/29, gateway: 127.0.0.6}
hosts:
  - {name: app1, role: app, subnet: app, address: 127.0.3.1}
  - {name: db1, role: mysql, subnet: data, address: 127.0.1.2, data_disk_gib: 1}
  - {name: db2, role: mysql, subnet: data2, address: 127.0.0.1, data_disk_gib: 1, replica_of: db1}
ssh:
  authorized_keys:
    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0WbqVm1vXxgkYc6r3XyvNV7lwVYtZ2C4s6fbg2n5G ops@repl
flows:
  - {from: {role: app}, to: {role: mysql}, port: 3306}
roles:
  mysql: {database: appdb, user: app}
  app:
    service: {type: systemd, exec: /bin/true, port: 8000}
    env:
      DB_HOST: "${role.mysql}"
      DB_REPLICA: "${host.db2}"
targets: [raw]
EOF
check_output "kiln check accepts the profile, db2 a replica of db1" 'db2 .*replica of db1' "$KILN" check "$P"
check_output "the app's DB_HOST (\${role.mysql}) is the primary's address" '^DB_HOST="?127\.0\.1\.2"?$' \
	env KILN_SECRET_mysql_app_password=x "$ROOT/$KILN_BUILD/drivers/app_env" "$P" env
"$KILN" render "$P" --host db1 --out "$T/r-db1" >/dev/null
check_output "firewall: db1's 3306 open to its replica (implied by replica_of, no flow needed)" \
	'elements = \{ 127\.0\.0\.1, 127\.0\.3\.1 \}' grep -A3 'set tcp_3306_from' "$T/r-db1/etc/nftables.conf"

# --- server-id: distinct, non-zero, from the host's name ---
id1=$("$REPL" "$P" db1 server-id) id2=$("$REPL" "$P" db2 server-id)
check "server-ids are distinct and non-zero" test -n "$id1" -a -n "$id2" -a "$id1" != "$id2" -a "$id1" != 0 -a "$id2" != 0
sed 's/^  - {name: app1.*/&\n  - {name: db0, role: mysql, subnet: data, address: 127.0.1.3}/' "$P" >"$T/more.yaml"
check "another MySQL host in the profile moves no server-id" \
	test "$("$REPL" "$T/more.yaml" db1 server-id) $("$REPL" "$T/more.yaml" db2 server-id)" = "$id1 $id2"

"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null || { not_ok "kiln keys/secrets init"; exit 1; }
SEC() { cat "$S/secrets/$1"; }
export KILN_SECRET_mysql_app_password=$(SEC mysql_app_password)
export KILN_SECRET_mysql_replication_password=$(SEC mysql_replication_password)

# A host's server options as kiln writes them (its address and port are the fixture's).
server_args() {
	"$SQL" "$P" "$1" cnf >"$T/$1.cnf" || return 1
	my_print_defaults --defaults-file="$T/$1.cnf" mysqld | grep -vE '^--(bind-address|port|ssl_[a-z]+)=' | tr '\n' ' '
}
check_output "db2's options: its server-id, read_only, binary log of what it applies" "--server-id=$id2 .*--log_slave_updates=ON .*--read_only=ON" server_args db2

# --- the primary, with rows before any replica exists ---
MARIADB_ARGS=$(server_args db1) MARIADB_BIND=127.0.1.2 MARIADB_FIXED_PORT=3306 mariadb_start "$T/db1" ||
	{ not_ok "primary starts"; exit 1; }
PRIMARY_PID=$MARIADB_PID PRIMARY_SOCK=$MARIADB_SOCKET
primary() { mariadb --no-defaults -S "$PRIMARY_SOCK" -uroot "$@"; }
"$SQL" "$P" db1 sql >"$T/db1.sql"
check "primary: setup SQL applies" primary -e "source $T/db1.sql"
check "primary: binary log on, with its server-id" bash -c \
	"test \"\$(mariadb --no-defaults -S '$PRIMARY_SOCK' -uroot -N -e 'SELECT @@log_bin, @@server_id')\" = \"1	$id1\""
# The app writes from its own address (the account's host part).
app_sql() { # host port sql...
	H=$1 PORT=$2 Q=$3 /usr/bin/python3 -c 'import os, pymysql
c = pymysql.connect(host=os.environ["H"], port=int(os.environ["PORT"]), user="app", database="appdb",
                    password=os.environ["KILN_SECRET_mysql_app_password"], bind_address="127.0.3.1", autocommit=True)
cur = c.cursor(); cur.execute(os.environ["Q"]); print("\n".join("\t".join(map(str, r)) for r in cur.fetchall()))'
}
check "primary: the app creates a table and rows" app_sql 127.0.1.2 3306 \
	"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40))"
check "primary: rows before the replica exists" app_sql 127.0.1.2 3306 "INSERT INTO t VALUES (1, 'before'), (2, 'before')"

# The primary's data directory is its data disk's filesystem root on a host: lost+found (root-only
# there, so unreadable to MariaDB, which calls it #mysql50#lost+found) must not be in the copy.
mkdir -m 700 "$T/db1/data/lost+found"
# --- the replica, started after the rows exist ---
MARIADB_ARGS=$(server_args db2) MARIADB_BIND=127.0.0.1 MARIADB_FIXED_PORT= mariadb_start "$T/db2" ||
	{ not_ok "replica starts"; exit 1; }
REPLICA_PID=$MARIADB_PID REPLICA_SOCK=$MARIADB_SOCKET REPLICA_PORT=$MARIADB_PORT
replica() { mariadb --no-defaults -S "$REPLICA_SOCK" -uroot "$@"; }
"$SQL" "$P" db2 sql >"$T/db2.sql"
check "replica: setup SQL applies" replica -e "source $T/db2.sql"
check_output "replica: copied from the primary, replication started" '^cloned$' "$REPL" "$P" db2 setup "$REPLICA_SOCK"
check_output "replica: rows written before it existed are there" '^2$' replica -N -e 'SELECT COUNT(*) FROM appdb.t'
check "replica: the primary's lost+found was left out of the copy" test ! -e "$T/db2/data/lost+found"
check "primary: rows after the replica started" app_sql 127.0.1.2 3306 "INSERT INTO t VALUES (3, 'after'), (4, 'after')"
wait_rows() { # n
	for _ in $(seq 50); do [ "$(replica -N -e 'SELECT COUNT(*) FROM appdb.t' 2>/dev/null)" = "$1" ] && return 0; sleep 0.2; done
	return 1
}
check "replica: rows written on the primary appear on the replica" wait_rows 4
check_output "replica: replicates by GTID (Using_Gtid Slave_Pos)" 'Using_Gtid: Slave_Pos' replica -e 'SHOW SLAVE STATUS\G'
check "replica: at the primary's GTID position" bash -c \
	"test \"\$(mariadb --no-defaults -S '$REPLICA_SOCK' -uroot -N -e 'SELECT @@gtid_slave_pos')\" = \"\$(mariadb --no-defaults -S '$PRIMARY_SOCK' -uroot -N -e 'SELECT @@gtid_binlog_pos')\""
check "replica: no transaction of its own in its binary log (only the primary's server-id)" bash -c \
	"! mariadb --no-defaults -S '$REPLICA_SOCK' -uroot -N -e 'SELECT @@gtid_binlog_pos' | grep -q -- '-$id2-'"
check_output "replica: the app reads there" '^1	before$' app_sql 127.0.0.1 "$REPLICA_PORT" "SELECT * FROM t WHERE id = 1"
check_fails "replica: the app's writes are refused (read-only)" 'read-only' app_sql 127.0.0.1 "$REPLICA_PORT" \
	"INSERT INTO t VALUES (99, 'on the replica')"
check_fails "replica: the app cannot create a table either" 'read-only' app_sql 127.0.0.1 "$REPLICA_PORT" "CREATE TABLE x (i INT)"
check_output "replica: setup again only re-points (no second copy)" '^repointed$' "$REPL" "$P" db2 setup "$REPLICA_SOCK"
check "primary: more rows" app_sql 127.0.1.2 3306 "INSERT INTO t VALUES (5, 'later')"
check "replica: still following after the re-point, no row twice" wait_rows 5

# --- the agent's own run of db2 (--no-services: commands recorded) ---
"$KILN" seed "$P" --host db2 --out "$T/db2.seed" --state "$S" 2>/dev/null || not_ok "seed db2"
R=$T/root-db2; fb_mkroot "$R" "$S" mysql "$T/db2.seed"; fb_adddisk "$R" vdb
run_agent() { "$FB" run --root "$R" --no-services --datasource other >"$T/agent.out" 2>&1; }
check "agent: db2's first boot succeeds" run_agent
check_output "agent: the role says it replicates from db1 after a copy" '"name": "role", "state": "done", .*replicating from db1 \(copied from it first\)' \
	cat "$R/var/lib/kiln/status.json"
check "agent: the copy is mariadb-dump of the primary into the local server, password from a file" grep -qE \
	'^mariadb-dump --defaults-extra-file=[^ ]*/replica-dump.cnf -h 127.0.1.2 -P 3306 -ukiln_repl --single-transaction --master-data=1 --gtid .* \| mariadb --protocol=socket -uroot --skip-ssl --init-command=SET SESSION sql_log_bin=0$' \
	"$R/var/lib/kiln/commands.log"
check "agent: CHANGE MASTER and START SLAVE go on stdin (local: TLS off)" bash -c \
	"test \$(grep -c '^mariadb --protocol=socket -uroot --skip-ssl <stdin>$' '$R/var/lib/kiln/commands.log') -ge 3"
check "agent: the dump's option file is gone" test ! -e "$R/var/lib/kiln/replica-dump.cnf"
check_output "agent: the replica's record for status" '^primary=db1$' cat "$R/var/lib/kiln/mysql-replica.conf"
leak=0
for f in "$S"/secrets/*; do
	v=$(cat "$f"); [ ${#v} -ge 8 ] || continue
	for out in "$R/var/lib/kiln/status.json" "$R/var/lib/kiln/commands.log" "$T/agent.out"; do
		grep -qF -- "$v" "$out" && { echo "# secret $(basename "$f") in $out"; leak=1; }
	done
done
check "agent: no secret in the status, the command log or the output" test $leak = 0

# --- kiln-firstboot status on the replica (its state dir, the live server) ---
st() { KILN_STATE_DIR="$R/var/lib/kiln" "$FB" status --mysql-socket "$REPLICA_SOCK" "$@"; }
check_output "status: replication replicating from db1" '^  state +replicating$' st
check_output "status: lag in seconds" '^  lag +[0-9]+ s$' st
check_output "status: IO thread running" '^  io thread +Yes$' st
st --json >"$T/st.json"
check "status --json: replication with threads and lag" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["replication"]
assert r["primary"] == "db1" and r["state"] == "replicating", r
assert r["io_running"] == "Yes" and r["sql_running"] == "Yes", r
assert isinstance(r["seconds_behind_master"], int) and r["last_error"] is None, r' "$T/st.json"

# --- the primary gone: loud in status ---
MARIADB_PID=$PRIMARY_PID mariadb_stop; PRIMARY_PID=
io_error() {
	for _ in $(seq 60); do replica -e 'SHOW SLAVE STATUS\G' | grep -qE 'Last_IO_Errno: [1-9]' && return 0; sleep 0.5; done
	return 1
}
check "replica: the IO thread reports the lost primary" io_error
st >"$T/st.out" 2>&1; rc=$?
check "status: exits 1 when replication is not healthy" test $rc = 1
check_output "status: names the IO error" '^  last error +[0-9]+: ' cat "$T/st.out"
st --json >"$T/st-down.json" 2>/dev/null
check_output "status --json: the state is not replicating, with the error" \
	'"state": "(connecting|broken)", .*"last_errno": [1-9]' cat "$T/st-down.json"

# --- promotion (docs/firstboot.md): db2 no longer names a primary ---
# the old primary leaves the profile; ${role.mysql} (the app's DB_HOST) follows
sed -e 's/, replica_of: db1}/}/' -e '/{name: db1,/d' "$P" >"$T/promoted.yaml"
check "promoted profile: kiln check passes, db2 no replica" bash -c \
	"'$KILN' check '$T/promoted.yaml' | grep -E '^ *db2 ' | grep -vq 'replica of'"
P0=$P P=$T/promoted.yaml
check "promoted: db2's options have no read_only" bash -c "'$SQL' '$P' db2 cnf >'$T/p.cnf' && ! grep -q read_only '$T/p.cnf'"
"$SQL" "$P" db2 sql >"$T/promote.sql"
check "promoted: db2's primary SQL applies on the replica" replica -e "source $T/promote.sql"
check "promoted: db2 follows no one" test -z "$(replica -e 'SHOW SLAVE STATUS')"
check "promoted: the app writes to db2" app_sql 127.0.0.1 "$REPLICA_PORT" "INSERT INTO t VALUES (6, 'after promotion')"
check_output "promoted: every row kept" '^6$' replica -N -e 'SELECT COUNT(*) FROM appdb.t'
check_output "promoted: the app's DB_HOST (\${role.mysql}) is db2's address" '^DB_HOST="?127\.0\.0\.1"?$' \
	env KILN_SECRET_mysql_app_password=x "$ROOT/$KILN_BUILD/drivers/app_env" "$P" env
P=$P0

# --- roles.mysql.tls: the link and the copy over TLS, the account refuses plain TCP ---
MARIADB_PID=$REPLICA_PID mariadb_stop; REPLICA_PID=
sed 's/^  mysql: {database: appdb, user: app}$/  mysql: {database: appdb, user: app, tls: true}/' "$P" >"$T/tls.yaml"
P=$T/tls.yaml
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=db1.repl.internal -days 2 -keyout "$T/db1.key" -out "$T/db1.crt" \
	>/dev/null 2>&1 || not_ok "openssl makes the primary's certificate"
check_output "tls: the replica's options are those of a replica" '--read_only=ON' server_args db2
MARIADB_ARGS="$(server_args db1) --ssl-cert=$T/db1.crt --ssl-key=$T/db1.key --ssl-ca=$T/db1.crt" MARIADB_BIND=127.0.1.2 \
	MARIADB_FIXED_PORT=3306 mariadb_start "$T/tls-db1" || { not_ok "tls: primary starts"; exit 1; }
PRIMARY_PID=$MARIADB_PID PRIMARY_SOCK=$MARIADB_SOCKET
"$SQL" "$P" db1 sql >"$T/tls-db1.sql"
check "tls: the replication account REQUIRE SSL" grep -q "'kiln_repl'@'127.0.0.1' IDENTIFIED BY .* REQUIRE SSL;" "$T/tls-db1.sql"
check "tls: primary's setup SQL applies" primary -e "source $T/tls-db1.sql"
# The agent's own clients of its server (setup SQL, status, backups) go over
# the socket with TLS off (lib/mysql_local.h); MariaDB's client would
# otherwise negotiate TLS there too.
check_output "tls: a client left to its defaults negotiates TLS even on the socket" '^Ssl_cipher[[:space:]]+[A-Z0-9_-]+$' \
	primary -N -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'"
check_output "tls: kiln's local client does not (TLS off on the socket)" '^Ssl_cipher[[:space:]]*$' \
	"$ROOT/$KILN_BUILD/drivers/mysql_local" mariadb "$PRIMARY_SOCK" -N -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'"
check "tls: a table" app_sql 127.0.1.2 3306 "CREATE TABLE t (id INT PRIMARY KEY)"
check "tls: rows before the replica" app_sql 127.0.1.2 3306 "INSERT INTO t VALUES (1), (2)"
check_fails "tls: the replication account cannot log in without TLS" 'Access denied' \
	env MYSQL_PWD="$KILN_SECRET_mysql_replication_password" mariadb --no-defaults --skip-ssl -h 127.0.1.2 -P 3306 -ukiln_repl -e 'SELECT 1'
MARIADB_ARGS=$(server_args db2) MARIADB_BIND=127.0.0.1 MARIADB_FIXED_PORT= mariadb_start "$T/tls-db2" ||
	{ not_ok "tls: replica starts"; exit 1; }
REPLICA_PID=$MARIADB_PID REPLICA_SOCK=$MARIADB_SOCKET
"$SQL" "$P" db2 sql | replica
check_output "tls: replica copied over TLS, replication started" '^cloned$' "$REPL" "$P" db2 setup "$REPLICA_SOCK"
check "tls: primary: more rows" app_sql 127.0.1.2 3306 "INSERT INTO t VALUES (3)"
check "tls: rows before and after on the replica" wait_rows 3
# the account logs in only with TLS (above), so a running link is a TLS one
check_output "tls: the link asks for TLS (Master_SSL_Allowed)" \
	'Master_SSL_Allowed: Yes' replica -e 'SHOW SLAVE STATUS\G'
