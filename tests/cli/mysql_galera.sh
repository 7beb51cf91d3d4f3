#!/usr/bin/env bash
# roles.mysql.cluster: galera for real: three MariaDB servers with galera-4
# on loopback addresses of a profile (db1 127.0.1.1, db2 .2, db3 .3; each
# with kiln's ports on its own address), each run with the options kiln
# writes for its host and its SST account's option file (0600, never on
# argv). Which node bootstraps and which join is the agent's own code
# (tests/drivers/mysql_galera); the servers' start is this test's (start-node
# below, standing in for systemctl / galera_new_cluster), and it logs every
# --wsrep-new-cluster it is asked for. Then: rows written on one node are on
# all; one node killed, writes go on, it rejoins; all three kill -9 (a power
# cut), started again, the cluster comes back by itself (pc.recovery) with
# every committed row and no second bootstrap. The agent's own first boot
# (--no-services) of db1 records the bootstrap decision; status shows wsrep.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
SQL=$ROOT/$KILN_BUILD/drivers/mysql_role_sql
GAL=$ROOT/$KILN_BUILD/drivers/mysql_galera
FB=$KILN_FIRSTBOOT
P=$T/gal.yaml
S=$T/state
NODES="db1 db2 db3"
stop_all() {
	for n in $NODES; do
		[ -f "$T/$n/pid" ] && kill -9 "$(cat "$T/$n/pid")" 2>/dev/null
	done
	sleep 0.3
}
trap 'stop_all; rm -rf "$T"' EXIT

cat >"$P" <<'EOF'
kiln: 1
deployment: {name: gal, domain: gal.internal}
debian: {suite: bookworm}
subnets:
  - {name: app, cidr: 127.0.3.0/29, gateway: 127.0.3.6}
  - {name: data, cidr: 127.0.1.0/29, gateway: 127.0.1.6}
hosts:
  - {name: app1, role: app, subnet: app, address: 127.0.3.1}
  - {name: db3, role: mysql, subnet: data, address: 127.0.1.3, data_disk_gib: 1}
  - {name: db1, role: mysql, subnet: data, address: 127.0.1.1, data_disk_gib: 1}
  - {name: db2, role: mysql, subnet: data, address: 127.0.1.2, data_disk_gib: 1}
ssh:
  authorized_keys:
    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0WbqVm1vXxgkYc6r3XyvNV7lwVYtZ2C4s6fbg2n5G ops@gal
flows:
  - {from: {role: app}, to: {role: mysql}, port: 3306}
roles:
  mysql: {database: appdb, user: app, cluster: galera}
  app:
    service: {type: systemd, exec: /bin/true, port: 8000}
    env:
      DB_HOST: "${role.mysql}"
targets: [raw]
EOF
check_output "kiln check: a Galera cluster of db1, db2, db3; db1 bootstraps" \
	'^mysql cluster: galera, 3 nodes \(db1, db2, db3\); db1 bootstraps it at its first start only; the app reaches it as galera\.gal\.internal' \
	"$KILN" check "$P"
check_output "the app's DB_HOST (\${role.mysql}) is the cluster's name" '^DB_HOST="?galera\.gal\.internal"?$' \
	env KILN_SECRET_mysql_app_password=x "$ROOT/$KILN_BUILD/drivers/app_env" "$P" env
"$KILN" render "$P" --host db2 --out "$T/r-db2" >/dev/null
for s in tcp_4567 udp_4567 tcp_4568 tcp_4444; do
	check_output "firewall: db2's $s open to the other two nodes (derived, no flow written)" \
		'elements = \{ 127\.0\.1\.1, 127\.0\.1\.3 \}' grep -A3 "set ${s}_from" "$T/r-db2/etc/nftables.conf"
done
"$KILN" render "$P" --host app1 --out "$T/r-app1" >/dev/null
check "app1's /etc/hosts: the cluster's name on every node's address" bash -c \
	"test \"\$(grep -E 'galera\.gal\.internal' '$T/r-app1/etc/hosts' | cut -f1 | tr '\n' ' ')\" = '127.0.1.1 127.0.1.2 127.0.1.3 '"
check_output "the hosts file resolves the name to all three nodes (glibc, in a mount namespace)" \
	'^127\.0\.1\.1 127\.0\.1\.2 127\.0\.1\.3 $' \
	unshare $([ "$(id -u)" = 0 ] && echo -m || echo -rm) bash -c "mount --bind '$T/r-app1/etc/hosts' /etc/hosts && getent ahostsv4 galera.gal.internal | awk '/STREAM/ {print \$1}' | sort | tr '\n' ' '; echo"

"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null || { not_ok "kiln keys/secrets init"; exit 1; }
SEC() { cat "$S/secrets/$1"; }
check "the SST account's secret exists" test -s "$S/secrets/mysql_sst_password"
export KILN_SECRET_mysql_app_password=$(SEC mysql_app_password)
export KILN_SECRET_mysql_sst_password=$(SEC mysql_sst_password)
"$KILN" seed "$P" --host db2 --out "$T/db2.seed" --state "$S" 2>/dev/null || not_ok "seed db2"
"$KILN" seed "$P" --host app1 --out "$T/app1.seed" --state "$S" 2>/dev/null || not_ok "seed app1"
check_output "db2's seed carries the SST account's password" '^secrets .*: .*mysql_sst_password' "$KILN" seed --inspect "$T/db2.seed"
check "app1's seed does not" bash -c "! '$KILN' seed --inspect '$T/app1.seed' | grep -q mysql_sst_password"

# --- each node's files: kiln's options, the SST option file, the fixture's paths ---
for n in $NODES; do
	d=$T/$n; mkdir -p "$d/data" "$d/run" "$d/state"
	"$SQL" "$P" $n cnf >"$d/kiln.cnf" || not_ok "$n: kiln's options"
	(umask 077; "$GAL" "$P" $n sst-cnf >"$d/sst.cnf") || not_ok "$n: SST option file"
	cat >"$d/my.cnf" <<EOF
!include $d/kiln.cnf
!include $d/sst.cnf
[mysqld]
user = root
datadir = $d/data
socket = $d/run/mysqld.sock
pid-file = $d/run/mysqld.pid
log-error = $d/error.log
EOF
	mariadb-install-db --no-defaults --user=root --datadir="$d/data" --auth-root-authentication-method=socket \
		--skip-test-db >"$d/install.log" 2>&1 || { not_ok "$n: datadir"; cat "$d/install.log"; exit 1; }
done
check_output "db1's options: wsrep on, galera-4, the cluster and node, pc.recovery" \
	'--wsrep_on=ON .*--wsrep_provider=/usr/lib/galera/libgalera_smm.so --wsrep_cluster_name=gal --wsrep_cluster_address=gcomm://127.0.1.1,127.0.1.2,127.0.1.3 --wsrep_node_address=127.0.1.1 --wsrep_node_name=db1 --wsrep_provider_options=pc.recovery=TRUE;gmcast.listen_addr=tcp://127.0.1.1:4567 --wsrep_sst_method=mariabackup --innodb_autoinc_lock_mode=2' \
	bash -c "my_print_defaults --defaults-file='$T/db1/kiln.cnf' mysqld | tr '\n' ' '"
check_output "db1's options: the SST's socat on db1's address only ([sst] sockopt)" '^--sockopt=bind=127\.0\.1\.1$' \
	my_print_defaults --defaults-file="$T/db1/kiln.cnf" sst
check_output "db1's options: binlog_format ROW" '--binlog_format=ROW' my_print_defaults --defaults-file="$T/db1/kiln.cnf" mysqld
check "the SST option file is 0600 and holds no other secret" bash -c \
	"test \$(stat -c %a '$T/db2/sst.cnf') = 600 && grep -q '^wsrep_sst_auth = \"kiln_sst:' '$T/db2/sst.cnf'"
check "the SST password is not in kiln's world-readable options" bash -c "! grep -qF -- \"\$KILN_SECRET_mysql_sst_password\" '$T/db2/kiln.cnf'"

# start-node NAME MODE: what systemctl (join) or galera_new_cluster
# (new-cluster) do on a host: Debian's mariadb.service first asks the server
# for its recovered position (galera_recovery: mariadbd --wsrep-recover) and
# passes it on, then starts the server; 0 once it is synced.
cat >"$T/start-node" <<EOF
#!/usr/bin/env bash
d=$T/\$1; extra=
if [ "\$2" = new-cluster ]; then extra=--wsrep-new-cluster; echo "\$1" >>"$T/bootstraps"; fi
pos=\$(mariadbd --defaults-file="\$d/my.cnf" --wsrep-recover --disable-log-error 2>&1 </dev/null |
	sed -n 's/.*WSREP: Recovered position: *//p' | tail -1)
[ -n "\$pos" ] && extra="\$extra --wsrep_start_position=\$pos"
setsid mariadbd --defaults-file="\$d/my.cnf" \$extra </dev/null >/dev/null 2>&1 &
echo \$! >"\$d/pid"
for _ in \$(seq 1200); do
	kill -0 \$(cat "\$d/pid") 2>/dev/null || exit 1
	s=\$(mariadb --no-defaults -S "\$d/run/mysqld.sock" -uroot -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)
	[ "\$s" = Synced ] && exit 0
	sleep 0.2
done
kill -9 \$(cat "\$d/pid"); exit 1
EOF
chmod +x "$T/start-node"
# Bounded: a joiner retries while no donor answers, and a failed step must not
# hang the whole run (make check runs this beside VM boots).
start() { timeout 300 "$GAL" "$P" "$1" start "$T/$1/state" "$T/$1/data" -- "$T/start-node" "$1"; }
q() { local n=$1; shift; mariadb --no-defaults -S "$T/$n/run/mysqld.sock" -uroot -N "$@"; }
size() { q "$1" -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2; }

# --- the cluster forms: db1 bootstraps, db2 and db3 join (one SST at a time) ---
KILN_GALERA_DEADLINE=2 check_fails "db2 (fresh) does not start while no node answers on 4567 (a joiner listens there while it waits)" \
	'no other node answers on 4567 after 2 s \(the first node, db1, starts the cluster\)' start db2
check "db2's server was never started" test ! -e "$T/db2/pid"
check_output "db1 (first by name, empty, nobody on 4567) bootstraps a new cluster" '^new-cluster$' start db1
check "db1 recorded its bootstrap" test -f "$T/db1/state/galera-bootstrapped"
"$SQL" "$P" db1 sql >"$T/db1.sql"
check "db1: kiln's setup SQL applies (database, app user, SST account)" q db1 -e "source $T/db1.sql"
check_output "db2 joins (SST from db1 with the SST account)" '^joined$' start db2
check_output "db3 joins" '^joined$' start db3
check_output "the cluster has three nodes" '^3$' size db3
check_output "only db1 ever bootstrapped" '^db1$' cat "$T/bootstraps"
# The app's connection from app1's address (the account's host part).
cat >"$T/app.py" <<'EOF'
import os, pymysql
c = pymysql.connect(host=os.environ["H"], user="app", database="appdb", password=os.environ["KILN_SECRET_mysql_app_password"],
                    bind_address="127.0.3.1", autocommit=True, connect_timeout=5)
cur = c.cursor(); cur.execute(os.environ["Q"]); print("\n".join("\t".join(map(str, r)) for r in cur.fetchall()))
EOF
app_sql() { H=127.0.1.${1#db} Q=$2 /usr/bin/python3 "$T/app.py"; }   # node sql
# sql, as the app host makes it: DB_HOST=galera.gal.internal through app1's
# /etc/hosts (bound over /etc/hosts in a mount namespace)
app_by_name() {
	H=galera.gal.internal Q=$1 unshare $([ "$(id -u)" = 0 ] && echo -m || echo -rm) \
		bash -c 'mount --bind "$0" /etc/hosts && exec /usr/bin/python3 "$1"' "$T/r-app1/etc/hosts" "$T/app.py"
}
check "the app creates a table on db2" app_sql db2 "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40), node VARCHAR(8))"
for n in $NODES; do check "the app writes a row on $n" app_sql $n "INSERT INTO t (v, node) VALUES ('first', '$n')"; done
for n in $NODES; do check_output "all three rows on $n" '^3$' app_sql $n "SELECT COUNT(*) FROM t"; done

# --- one node lost: writes go on, it rejoins ---
kill -9 "$(cat "$T/db3/pid")"
wait_size() { for _ in $(seq 240); do [ "$(size "$1")" = "$2" ] && return 0; sleep 0.25; done; return 1; }
check "db3 killed: the others see two nodes" wait_size db1 2
check "writes continue on db1" app_sql db1 "INSERT INTO t (v, node) VALUES ('db3 down', 'db1')"
check "writes continue on db2" app_sql db2 "INSERT INTO t (v, node) VALUES ('db3 down', 'db2')"
check_output "db3 starts again and joins (no bootstrap)" '^joined$' start db3
check_output "db3 has the rows written while it was down" '^5$' app_sql db3 "SELECT COUNT(*) FROM t"
check_output "three nodes again" '^3$' size db1

# --- power cut: all three kill -9, committed rows kept, no second bootstrap ---
for n in $NODES; do check "a row on $n before the power cut" app_sql $n "INSERT INTO t (v, node) VALUES ('before cut', '$n')"; done
before=$(app_sql db1 "SELECT COUNT(*) FROM t")
for n in $NODES; do kill -9 "$(cat "$T/$n/pid")"; done
sleep 0.5
check "the power cut left gvwstate.dat (what pc.recovery restores from)" test -f "$T/db1/data/gvwstate.dat"
for n in $NODES; do start $n >"$T/$n.restart" 2>&1 & done
wait
for n in $NODES; do check_output "$n comes back by itself (joined, no bootstrap)" '^joined$' cat "$T/$n.restart"; done
check_output "the cluster is whole again" '^3$' size db2
for n in $NODES; do
	check "$n restored the primary component from gvwstate.dat (pc.recovery)" grep -q 'restore pc from disk successfully' "$T/$n/error.log"
done
for n in $NODES; do check_output "every committed row on $n ($before)" "^$before\$" app_sql $n "SELECT COUNT(*) FROM t"; done
check "writes after the power cut" app_sql db3 "INSERT INTO t (v, node) VALUES ('after cut', 'db3')"
check_output "still only db1 ever bootstrapped" '^db1$' cat "$T/bootstraps"

# --- the fallback's rule: only the highest seqno (ties by name) may bootstrap ---
check "recover: db2 with the highest seqno may bootstrap" "$GAL" "$P" db2 recover 12 db1=10 db3=11
check_fails "recover: db1 may not (db2 is higher)" 'node db2 has the highest' "$GAL" "$P" db1 recover 10 db2=12 db3=11
check_fails "recover: a tie goes to the first by name" 'node db1 has the highest' "$GAL" "$P" db3 recover 12 db1=12 db2=3
check_fails "recover: every node's seqno is needed" 'no seqno given for node db3' "$GAL" "$P" db1 recover 10 db2=9
check_fails "recover: an unknown seqno (-1) is refused" "seqno is unknown" "$GAL" "$P" db1 recover 10 db2=-1 db3=4

# --- the agent's own first boot of db1 (--no-services: commands recorded) ---
R=$T/root-db1
"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null || not_ok "seed db1"
fb_mkroot "$R" "$S" mysql "$T/db1.seed"; fb_adddisk "$R" vdb
run_agent() { "$FB" run --root "$R" --no-services --datasource other >"$T/agent.out" 2>&1; }
check "agent: db1's first boot while the cluster runs" run_agent
check_output "agent: db1 joins (another node answers on 4567), no new cluster" \
	'"name": "role", "state": "done", .*a Galera node \(joined the cluster\)' cat "$R/var/lib/kiln/status.json"
check "agent: started with a plain restart" grep -qx 'systemctl restart mariadb.service' "$R/var/lib/kiln/commands.log"
check "agent: no galera_new_cluster" bash -c "! grep -q galera_new_cluster '$R/var/lib/kiln/commands.log'"
check "agent: the SST option file is 0640 (group mysql)" bash -c \
	"test \$(stat -c %a '$R/etc/mysql/mariadb.conf.d/91-kiln-galera-sst.cnf') = 640 && grep -qx 'chgrp mysql /etc/mysql/mariadb.conf.d/91-kiln-galera-sst.cnf' '$R/var/lib/kiln/commands.log'"
# --- status (the agent's state dir of db1, the live server) ---
st() { KILN_STATE_DIR="$R/var/lib/kiln" "$FB" status --mysql-socket "$T/db1/run/mysqld.sock" "$@"; }
check_output "status: db1 synced" '^  state +Synced$' st
check_output "status: the cluster, primary with three nodes" '^  cluster +Primary, 3 nodes$' st
check_output "status: ready" '^  ready +yes$' st
st --json >"$T/st.json" 2>&1
check "status --json: galera with size and ready" /usr/bin/python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["galera"]
assert g["node"] == "db1" and g["state"] == "Synced" and g["cluster_size"] == 3 and g["ready"] is True, g' "$T/st.json"

check "agent: its record for status and recover: the node and every node" bash -c \
	"test \"\$(cat '$R/var/lib/kiln/mysql-galera.conf')\" = \"\$(printf 'node=db1\nnodes=db1,db2,db3')\""

# --- the fallback: a whole-cluster loss pc.recovery cannot heal (gvwstate.dat
# lost); db1 goes first, rows go on on db2 and db3, then they go too ---
kill -9 "$(cat "$T/db1/pid")"
check "db1 killed first" wait_size db2 2
check_output "app1's resolver gives db1's address first" '^127\.0\.1\.1 ' unshare $([ "$(id -u)" = 0 ] && echo -m || echo -rm) \
	bash -c "mount --bind '$T/r-app1/etc/hosts' /etc/hosts && getent ahostsv4 galera.gal.internal | head -1"
check_output "the app reaches the cluster by \${role.mysql} with db1 down (its address refused, the next one tried)" \
	'^db2$' app_by_name "SELECT @@wsrep_node_name"
check "the app writes by that name with db1 down" app_by_name "INSERT INTO t (v, node) VALUES ('by name', '?')"
check "a row on db2 after db1 left" app_sql db2 "INSERT INTO t (v, node) VALUES ('db1 gone', 'db2')"
check "a row on db3 after db1 left" app_sql db3 "INSERT INTO t (v, node) VALUES ('db1 gone', 'db3')"
total=$(app_sql db2 "SELECT COUNT(*) FROM t")
# Killed together once both have applied the same writes (under load db3 can
# still be applying db2's last row; the seqno checks below want them level).
committed() { q "$1" -e "SHOW STATUS LIKE 'wsrep_last_committed'" | cut -f2; }
for _ in $(seq 200); do [ "$(committed db2)" = "$(committed db3)" ] && break; sleep 0.1; done
kill -9 "$(cat "$T/db2/pid")" "$(cat "$T/db3/pid")"
sleep 0.5
st >"$T/st-down.out" 2>&1; rc=$?
check "status: exits 1 when the server cannot be asked" test $rc = 1
check_output "status: says why" '^  state +unknown \(' cat "$T/st-down.out"
check_output "galera --help" '^Usage: kiln-firstboot galera recover' "$FB" galera --help
check_fails "galera without recover is a usage error" 'say recover' "$FB" galera
check_fails "galera recover --peer needs a seqno" "'x' is not a seqno" "$FB" galera recover --bootstrap --peer db2=x
check_fails "galera recover on a host that is no Galera node" 'is this a Galera node' env KILN_STATE_DIR="$T/none" "$FB" galera recover
rm -f "$T"/db?/data/gvwstate.dat
rec() { KILN_STATE_DIR="$T/$1/state" "$FB" galera recover --datadir "$T/$1/data" --defaults-file "$T/$1/my.cnf" --user root "${@:2}"; }
declare -A SEQ
for n in $NODES; do
	printf 'node=%s\nnodes=db1,db2,db3\n' $n >"$T/$n/state/mysql-galera.conf"
	check_output "recover: $n's committed seqno (mariadbd --wsrep-recover after the crash)" \
		"^node $n: committed seqno [0-9]+, cluster [0-9a-f-]{36}\$" rec $n
	SEQ[$n]=$(sed -n 's/^node .*: committed seqno \([0-9]*\),.*/\1/p' "$T/out")
done
check "recover: db1 is behind db2 and db3, which are level" test "${SEQ[db1]}" -lt "${SEQ[db2]}" -a "${SEQ[db2]}" = "${SEQ[db3]}"
check_fails "recover: db1 (the first bootstrapper) may not bootstrap: db2 is ahead" 'refused: node db2 has the highest' \
	rec db1 --bootstrap --peer db2=${SEQ[db2]} --peer db3=${SEQ[db3]}
check_fails "recover: db3 may not: the tie goes to db2 by name" 'refused: node db2 has the highest' \
	rec db3 --bootstrap --peer db1=${SEQ[db1]} --peer db2=${SEQ[db2]}
check_fails "recover: --bootstrap needs every other node's seqno" 'no seqno given for node db3' \
	rec db2 --bootstrap --peer db1=${SEQ[db1]}
check_fails "recover: --bootstrap alone is a usage error" 'goes with every other node' rec db2 --bootstrap
timeout 60 mariadbd --defaults-file="$T/db3/my.cnf" --wsrep-new-cluster </dev/null >/dev/null 2>&1
check "the server itself refuses --wsrep-new-cluster without safe_to_bootstrap (db3)" \
	grep -q 'It may not be safe to bootstrap the cluster from this node' "$T/db3/error.log"
check_output "recover: db2 may bootstrap" 'this node has the highest committed seqno .*safe_to_bootstrap set' \
	rec db2 --bootstrap --peer db1=${SEQ[db1]} --peer db3=${SEQ[db3]}
check "recover: db2's grastate.dat says safe_to_bootstrap: 1, the others' do not" bash -c \
	"grep -qx 'safe_to_bootstrap: 1' '$T/db2/data/grastate.dat' && ! grep -qx 'safe_to_bootstrap: 1' '$T/db1/data/grastate.dat' '$T/db3/data/grastate.dat'"
check "the operator's galera_new_cluster on db2" "$T/start-node" db2 new-cluster
check_output "db1 joins it" '^joined$' start db1
check_output "db3 joins it" '^joined$' start db3
for n in $NODES; do check_output "every committed row on $n ($total)" "^$total\$" app_sql $n "SELECT COUNT(*) FROM t"; done
check "bootstraps: db1 once at the start, db2 once by the operator's recovery" \
	test "$(tr '\n' ' ' <"$T/bootstraps")" = "db1 db2 "
stop_all
fb_mkroot "$R" "$S" mysql "$T/db1.seed"; fb_adddisk "$R" vdb
check "agent: db1's first boot with no node up" run_agent
check_output "agent: db1 bootstraps a new cluster" '"name": "role", "state": "done", .*a Galera node \(bootstrapped a new cluster\)' \
	cat "$R/var/lib/kiln/status.json"
check "agent: through galera_new_cluster" grep -qx 'galera_new_cluster mariadb.service' "$R/var/lib/kiln/commands.log"
check "agent: the bootstrap is recorded" test -f "$R/var/lib/kiln/galera-bootstrapped"
leak=0
for f in "$S"/secrets/*; do
	v=$(cat "$f"); [ ${#v} -ge 8 ] || continue
	for out in "$R/var/lib/kiln/status.json" "$R/var/lib/kiln/commands.log" "$T/agent.out"; do
		grep -qF -- "$v" "$out" && { echo "# secret $(basename "$f") in $out"; leak=1; }
	done
done
check "agent: no secret in the status, the command log or the output" test $leak = 0
