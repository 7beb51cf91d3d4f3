#!/usr/bin/env bash
# kiln-firstboot run, end to end without a VM: each host's root is a
# directory (--root) and service commands are recorded (--no-services);
# seeds come from the real `kiln` commands. The app host's join talks to a
# real MariaDB and the SigV4-verifying S3 server on loopback addresses of the
# loopback fixture profile (db1 127.0.1.2:3306, minio1 127.0.1.3:9000).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
P=$ROOT/tests/profiles/fixtures/loopback.yaml
S=$T/state
s3pid=
# The late peers run in a subshell: their pid files let the trap stop them
# however the test ends (a leaked mariadbd keeps its caller's fds, locks too).
trap 'mariadb_stop; [ -n "$s3pid" ] && kill $s3pid 2>/dev/null
	for f in "$T/s3.pid" "$T/db.pid"; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	rm -rf "$T"' EXIT

"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null || { not_ok "kiln keys/secrets init"; exit 1; }
for h in db1 app1 minio1; do "$KILN" seed "$P" --host $h --out "$T/$h.seed" --state "$S" 2>/dev/null || not_ok "seed $h"; done

mkroot() { fb_mkroot "$T/root-$1" "$S" "$2" "$T/$1.seed"; echo "$T/root-$1"; }   # host role
adddisk() { fb_adddisk "$@"; }
# Every run's stdout and stderr are also kept in $T/runlog for the leak check.
run() { "$FB" run --root "$1" --no-services --datasource other "${@:2}" > >(tee -a "$T/runlog") 2> >(tee -a "$T/runlog" >&2); }
# status exits 1 when a step failed; these checks read its text either way.
status_of() { fb_status "$1"; }

# --- db1: a mysql host with a blank data disk ---
R=$(mkroot db1 mysql); adddisk "$R" vda; sgdisk -o -n 1:2048:+8M "$R/dev/vda" >/dev/null; adddisk "$R" vdb
check "db1: first boot succeeds" run "$R"
check_output "db1: status all done" '"name": "role", "state": "done"' cat "$R/var/lib/kiln/status.json"
check "db1: hostname" grep -qx db1 "$R/etc/hostname"
check "db1: nftables ruleset passes nft -c" nft -c -f "$R/etc/nftables.conf"
check "db1: networkd file written" bash -c "ls '$R'/etc/systemd/network/*.network"
check "db1: secrets are root-only files" test "$(stat -c %a "$R/etc/kiln/secrets/mysql_root_password")" = 600
check "db1: secrets dir is 0700" test "$(stat -c %a "$R/etc/kiln/secrets")" = 700
check "db1: only the secrets a mysql host needs" test ! -e "$R/etc/kiln/secrets/minio_root_password"
check "db1: blank data disk formatted as kiln-data" bash -c "blkid -p -o value -s LABEL '$R/dev/vdb' | grep -qx kiln-data"
check "db1: partitioned OS disk untouched" bash -c "blkid -p -o value -s PTTYPE '$R/dev/vda' | grep -qx gpt"
check "db1: fstab mounts the data disk by label" grep -q '^LABEL=kiln-data /var/lib/mysql ext4' "$R/etc/fstab"
# A late disk (seen in tests/e2e/scaled.sh after a power cut, seven VMs on two cores): the boot
# goes on (nofail), systemd waits 300 s for it, and MariaDB never starts on the image's own empty
# /var/lib/mysql: its drop-in requires the mount.
check "db1: fstab waits 300 s for the data disk, and does not hold the boot" \
	grep -q '^LABEL=kiln-data /var/lib/mysql ext4 defaults,nofail,x-systemd.device-timeout=300s 0 2$' "$R/etc/fstab"
check_output "db1: mariadb.service requires the data disk's mount (a drop-in)" '^RequiresMountsFor=/var/lib/mysql$' \
	cat "$R/etc/systemd/system/mariadb.service.d/kiln-data-disk.conf"
# On EC2 the step runs while the image's MariaDB may still be starting: stopped then, MariaDB can
# deadlock and its unit never sends SIGKILL (a 15-minute stop): the agent asks systemd first
# (unit_wait_settled; here the question is recorded) and stops it only once nothing is under way.
check "db1: the server's state is asked before it is stopped for the mount" bash -c \
	"grep -x -A1 'systemctl show -p ActiveState -p SubState mariadb.service' '$R/var/lib/kiln/commands.log' | sed -n 2p | grep -qx 'systemctl stop mariadb.service'"
check "db1: MariaDB configured, restarted, SQL applied via stdin, over the socket with TLS off" bash -c \
	"grep -q 'systemctl restart mariadb.service' '$R/var/lib/kiln/commands.log' && grep -qx 'mariadb --protocol=socket -uroot --skip-ssl <stdin>' '$R/var/lib/kiln/commands.log'"
# The role asks systemd whether the server's unit is stale (its data disk drop-in not as loaded) and
# reloads then, right before the start; with no systemd to answer here the reload is recorded.
check_output "db1: the reload question right before MariaDB's start" '^systemctl daemon-reload$' \
	bash -c "grep -x -B1 'systemctl restart mariadb.service' '$R/var/lib/kiln/commands.log' | head -1"
check "db1: my.cnf written" grep -q '^bind-address = 127.0.1.2' "$R/etc/mysql/mariadb.conf.d/90-kiln.cnf"
check_output "db1: kiln-firstboot status" 'role +done' env KILN_STATE_DIR="$R/var/lib/kiln" "$FB" status
check "db1: /etc/issue.d summary" grep -q 'deployment ready' "$R/etc/issue.d/kiln.issue"

lines=$(wc -l < "$R/var/lib/kiln/commands.log")
check "db1: second run succeeds" run "$R"
check "db1: second run re-did nothing" test "$(wc -l < "$R/var/lib/kiln/commands.log")" = "$lines"
check "db1: fstab entry not duplicated" test "$(grep -c kiln-data "$R/etc/fstab")" = 1

# rotation: a newer seed re-applies the steps
"$KILN" seed "$P" --host db1 --out "$T/db1-new.seed" --state "$S" 2>/dev/null
cp "$T/db1.seed" "$T/db1-old.seed"; cp "$T/db1-new.seed" "$R/etc/kiln/seed"
check "db1: newer seed applied" run "$R"
check "db1: newer seed re-ran the role" test "$(grep -c 'restart mariadb' "$R/var/lib/kiln/commands.log")" = 2
check "db1: data disk kept, not reformatted" test "$(grep -c 'formatted and mounted' "$R/var/lib/kiln/status.json")" = 0
cp "$T/db1-old.seed" "$R/etc/kiln/seed"
check_fails "db1: older seed (downgrade) refused" 'refused: .*serial' run "$R"
check_output "db1: status names the refusal" 'seed +failed .*serial' status_of "$R"

# --- refusals on a fresh host: nothing secret written ---
R=$(mkroot db1 mysql); adddisk "$R" vdb
sed -i 's/\(;sealed=[A-Za-z0-9+\/]\{10\}\)[A-Za-z0-9+\/]/\1A/' "$R/etc/kiln/seed"
cmp -s "$R/etc/kiln/seed" "$T/db1.seed" && sed -i 's/;sig=\(.\)/;sig=A\1/' "$R/etc/kiln/seed"
check_fails "tampered seed refused" 'seed from .* refused' run "$R"
check "tampered seed: no secret written" test ! -e "$R/etc/kiln/secrets"
check_output "tampered seed: status says why" 'seed +failed +seed from .* refused' status_of "$R"
R=$(mkroot db1 mysql); echo other > "$R/etc/kiln/deployment"
check_fails "seed for another deployment refused" 'refused: .*deployment' run "$R"
R=$(mkroot db1 mysql); cp "$T/app1.seed" "$R/etc/kiln/seed"
check_fails "seed sealed to another role refused" 'refused' run "$R"
R=$(mkroot db1 mysql); chmod 0644 "$R/etc/kiln/role.key"
check_fails "group/world-readable role key refused" 'role.key must be a root-only' run "$R"
R=$(mkroot db1 mysql)
check_fails "mysql host without a data disk fails clearly" 'no blank disk and none labelled kiln-data' run "$R"

# --- data disk that already holds our filesystem: kept ---
R=$(mkroot db1 mysql); adddisk "$R" vdb; mkfs.ext4 -q -L kiln-data "$R/dev/vdb"
echo precious > "$T/precious"; debugfs -w -R "write $T/precious precious" "$R/dev/vdb" >/dev/null 2>&1
check "existing kiln-data disk: boot succeeds" run "$R"
check_output "existing kiln-data disk: data kept" 'precious' debugfs -R 'cat precious' "$R/dev/vdb"
check "existing kiln-data disk: never reformatted" grep -q 'kept and mounted' "$R/var/lib/kiln/status.json"

# --- minio1 ---
R=$(mkroot minio1 minio); adddisk "$R" vdb
check "minio1: first boot succeeds" run "$R"
check "minio1: env file is root-only" test "$(stat -c %a "$R/etc/default/minio")" = 600
check_output "minio1: minio enabled (client-side: systemd not told, so no unit reads as changed), then started once (restart), not started by the enable too" \
	'^SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload minio.service systemctl restart minio.service $' bash -c "grep -E '^(SYSTEMCTL_INSTALL_CLIENT_SIDE=1 )?systemctl (enable|start|restart)( --no-reload| --now)* minio.service\$' '$R/var/lib/kiln/commands.log' | tr '\n' ' '"
check_output "minio1: the reload question between the enable and MinIO's start" \
	'^SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload minio.service systemctl daemon-reload systemctl restart minio.service $' \
	bash -c "grep -x -A2 'SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload minio.service' '$R/var/lib/kiln/commands.log' | tr '\n' ' '"
check "minio1: fstab mounts /var/lib/minio" grep -q '/var/lib/minio ext4' "$R/etc/fstab"
check_output "minio1: minio.service requires the data disk's mount (a drop-in)" '^RequiresMountsFor=/var/lib/minio$' \
	cat "$R/etc/systemd/system/minio.service.d/kiln-data-disk.conf"
check "minio1: the app key goes to MinIO's admin API, not to a side file" \
	bash -c "test ! -e '$R/etc/kiln/minio-app-keys' && ! grep -q STANDIN '$R/etc/default/minio'"

# --- app1: join waits for real peers ---
R=$(mkroot app1 app)
check_fails "app1: join with no peers fails at its deadline, naming the peer" 'db1 \(mysql\) did not answer' run "$R" --join-deadline 3
check_output "app1: status shows the failed join" 'join +failed +db1 \(mysql\)' status_of "$R"
check "app1: app env file is root-only" test "$(stat -c %a "$R/etc/kiln/app.env")" = 600
# One run at a time, and status says one is going: a run waiting for its join (6 s), a second run
# started meanwhile waits for it (then fails the same join), status before and after.
run_twice() {
	"$FB" run --root "$R" --no-services --datasource other --join-deadline 6 >"$T/first.log" 2>&1 & local first=$!
	local i; for i in $(seq 50); do grep -q 'join' "$T/first.log" 2>/dev/null && break; sleep 0.1; done
	fb_status "$R" >"$T/during.txt"; fb_status "$R" --json >"$T/during.json"
	"$FB" run --root "$R" --no-services --datasource other --join-deadline 1 >"$T/second.log" 2>&1 & local second=$!
	sleep 1; kill -0 $first 2>/dev/null && echo "first still going"
	wait $second; echo "second over"; kill -0 $first 2>/dev/null && echo "...before the first"
	wait $first
	fb_status "$R" >"$T/after.txt"; fb_status "$R" --json >"$T/after.json"
}
check_output "app1: a second run waits for the one going" '^first still going second over $' bash -c "$(declare -f run_twice); R='$R' T='$T' FB='$FB'; $(declare -f fb_status); KILN_FIRSTBOOT='$KILN_FIRSTBOOT' run_twice | tr '\n' ' '"
check_output "app1: ... and says so" 'another first-boot run is going \(.*/var/lib/kiln/.run.lock is held\): waiting for it to end' cat "$T/second.log"
check_output "app1: status during a run: run in progress" '^run: +in progress \(its steps can still change\)$' cat "$T/during.txt"
check "app1: status --json during a run: running true, still one JSON document" /usr/bin/python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["running"] is True, d' "$T/during.json"
check "app1: status after the runs: no run line, running false" bash -c "! grep -q '^run:' '$T/after.txt' &&
	/usr/bin/python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))[\"running\"] is False' '$T/after.json'"
check "app1: nginx site terminates TLS" grep -q 'listen 443 ssl' "$R/etc/nginx/sites-enabled/kiln.conf"
check "app1: app not started before join" bash -c "! grep -q 'kiln-app.service' '$R/var/lib/kiln/commands.log'"

# Peers come up a few seconds after the app host starts waiting.
SEC() { cat "$S/secrets/$1"; }
(
	sleep 4
	MARIADB_BIND=127.0.1.2 MARIADB_FIXED_PORT=3306 mariadb_start "$T/peer-db" >/dev/null || exit 1
	echo "$MARIADB_PID" > "$T/db.pid"   # at once: the exit trap must find it whatever happens next
	KILN_SECRET_mysql_app_password=$(SEC mysql_app_password) "$ROOT/$KILN_BUILD/drivers/mysql_role_sql" "$P" db1 sql | mariadb_root
	MINIO_ROOT_USER=$(SEC minio_root_user) MINIO_ROOT_PASSWORD=$(SEC minio_root_password) \
		/usr/bin/python3 "$ROOT/tests/fixtures/s3server/s3server.py" server --quiet --address 127.0.1.3:9000 \
		"$T/s3data" >"$T/s3.log" 2>&1 &
	echo $! > "$T/s3.pid"
	for _ in $(seq 50); do curl -fs http://127.0.1.3:9000/minio/health/live >/dev/null && break; sleep 0.1; done
	# minio1's role step against it: buckets, and the app key through the admin API.
	KILN_SECRET_minio_root_user=$(SEC minio_root_user) KILN_SECRET_minio_root_password=$(SEC minio_root_password) \
		KILN_SECRET_minio_app_access_key=$(SEC minio_app_access_key) KILN_SECRET_minio_app_secret_key=$(SEC minio_app_secret_key) \
		"$ROOT/$KILN_BUILD/drivers/minio_role" "$P" - setup http://127.0.1.3:9000
	wait
) & peers=$!
check "app1: join waits for the late peers, proves them, starts the app" run "$R" --join-deadline 90
check_output "app1: the app was enabled client-side (systemd wants no reload after it) and started after join" \
	'^SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload kiln-app.service systemctl start kiln-app.service $' \
	bash -c "grep 'kiln-app.service' '$R/var/lib/kiln/commands.log' | tr '\n' ' '"
check_output "app1: rendered env has the peer address and a real secret" "^DB_PASSWORD=\"$(SEC mysql_app_password)\"$" cat "$R/etc/kiln/app.env"
[ -f "$T/s3.pid" ] && kill "$(cat "$T/s3.pid")" 2>/dev/null
[ -f "$T/db.pid" ] && kill "$(cat "$T/db.pid")" 2>/dev/null
kill $peers 2>/dev/null; wait $peers 2>/dev/null

# --- no secret value anywhere it must not be ---
leaks=0
for f in "$S"/secrets/*; do
	v=$(cat "$f"); [ ${#v} -ge 8 ] || continue
	for out in "$T"/root-*/var/lib/kiln/status.json "$T"/root-*/var/lib/kiln/commands.log "$T"/root-*/etc/issue.d/kiln.issue "$T/runlog" "$T"/*.seed; do
		[ -f "$out" ] && grep -qF -- "$v" "$out" && { echo "# secret $(basename "$f") found in $out"; leaks=1; }
	done
done
check "no secret value in status, command log, console summary or seeds" test $leaks = 0
