#!/usr/bin/env bash
# Restore at first boot (docs/backup.md#restore-at-first-boot), no VM: a
# profile with backup.restore gives the primary's seed the backup key and
# the backup reader's key (and nobody else's); the mysql role runs the
# restore before MariaDB restarts with kiln's configuration and before the
# app's users are granted; then `kiln-firstboot backup restore` against the
# S3 stand-in and real MariaDB: a host that made backups is "lost", a new
# host's blank data directory is filled from the bucket with every row
# shipped (MariaDB the oracle), the keys that open backups are deleted
# afterwards, it never runs twice nor over a database, a tampered object
# stops it with nothing used, and every bad input is refused.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
trap 'rserver_stop; mariadb_stop; s3_stop; rm -rf "$T"' EXIT
DRV=$ROOT/$KILN_BUILD/drivers/minio_role
kiln() { "$KILN" "$@"; }
fb() { "$KILN_FIRSTBOOT" "$@"; }
keep() { cp "$T/out" "$T/o"; cp "$T/err" "$T/e"; }
sql() { mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -N -B "$@"; }
flip() {
	local b
	b=$(od -An -tu1 -j "$1" -N1 "$2" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$2" bs=1 seek="$1" conv=notrunc status=none
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPID=
rserver_start() { # DATADIR
	RSOCK=$T/r.sock
	local user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
	mariadbd --no-defaults "${user[@]}" --datadir="$1" --socket="$RSOCK" --skip-networking --skip-log-bin \
		--pid-file="$T/r.pid" --log-error="$T/r.err" >/dev/null 2>&1 &
	RPID=$!
	for _ in $(seq 150); do mariadb --no-defaults -S "$RSOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}
rserver_stop() { [ -n "${RPID:-}" ] || return 0; kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; RPID=; }
rows() { # DATADIR
	rserver_start "$1" || { echo "no server on $1"; return 1; }
	mariadb --no-defaults -S "$RSOCK" -uroot -N -B -e "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
	local r=$?; rserver_stop; return $r
}

for tool in mariadb-backup mbstream mariadb-binlog mariadbd mariadb-install-db; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed (Makefile DEPS)"; exit 1; }
done

# --- the profile: backup.restore, checked and carried only where it belongs
P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
cp "$P" "$T/d/plain.yaml"
printf 'backup: {binlog_minutes: 5, restore: latest}\n' >>"$P"
init_state "$P" --secrets
kiln backup keys init "$P" >/dev/null 2>&1 || not_ok "backup keys init"
check_output "check: says what backup.restore does" '^backup.restore: latest: a fresh MySQL primary restores from the bucket' kiln check "$P"
LINE=$(wc -l <"$P")
sed 's/restore: latest/restore: yesterday/' "$P" >"$T/d/bad.yaml"
check_fails "check: a restore that is no time, at FILE:LINE:COLUMN" \
	"bad\\.yaml:$LINE:[0-9]+: .*backup.restore 'yesterday' must be latest or a time in UTC, YYYY-MM-DDTHH:MM:SSZ" kiln check "$T/d/bad.yaml"
sed 's/restore: latest/restore: 2026-12-03T18:00:00+01:00/' "$P" >"$T/d/bad.yaml"
check_fails "check: a time in another zone, at FILE:LINE:COLUMN" "bad\\.yaml:$LINE:[0-9]+: .*backup.restore" kiln check "$T/d/bad.yaml"
check "seed for db1" kiln seed "$P" --host db1 --out "$T/db1.seed"
check "inspect it" kiln seed --inspect "$T/db1.seed"
keep
check "db1's seed carries the backup key and the reader's keys" bash -c \
	"grep -q 'backup_key' '$T/o' && grep -q 'minio_backup_reader_access_key' '$T/o' && grep -q 'minio_backup_reader_secret_key' '$T/o'"
check "seed for minio1 (the reader's keys: it registers the reader)" kiln seed "$P" --host minio1 --out "$T/minio1.seed"
check "inspect it" kiln seed --inspect "$T/minio1.seed"
keep
check "minio1's seed: the reader's keys, no backup key" bash -c "grep -q 'minio_backup_reader_secret_key' '$T/o' && ! grep -q 'backup_key' '$T/o'"
check "seed for app1" kiln seed "$P" --host app1 --out "$T/app1.seed"
check "inspect it" kiln seed --inspect "$T/app1.seed"
keep
check "app1's seed: nothing of backups" bash -c "! grep -q 'backup' '$T/o'"
{ cat "$T/d/plain.yaml"; printf 'backup: {binlog_minutes: 5}\n'; } >"$T/d/norestore.yaml"
check "without restore: db1's seed" kiln seed "$T/d/norestore.yaml" --host db1 --state "$S" --out "$T/db1b.seed"
check "inspect it" kiln seed --inspect "$T/db1b.seed"
keep
check "without restore: no backup key, no reader" bash -c "! grep -q 'backup_key\\|reader' '$T/o'"
mv "$S/backup.key" "$T/backup.key.off"
check_fails "restore: a seed for db1 without backup.key: refused" 'backup.restore: cannot read the backup secret key' \
	kiln seed "$P" --host db1 --out "$T/x.seed"
check "check: warns that backup.restore needs backup.key" bash -c "'$KILN' check '$P' 2>&1 >/dev/null | grep -q 'warning: backup.restore puts the backup secret key into the primaries. seeds, but .*backup.key does not exist'"
mv "$T/backup.key.off" "$S/backup.key"

# --- first boot of a primary with restore: (services recorded, not run)
LP=$T/lb/p.yaml
mkdir -p "$T/lb"
{ cat "$ROOT/tests/profiles/fixtures/loopback.yaml"; printf 'backup: {full: hourly, restore: 2026-12-03T18:00:00Z}\n'; } >"$LP"
LS=$T/lb/state
"$KILN" keys init "$LP" --state "$LS" >/dev/null 2>&1 && "$KILN" secrets init "$LP" --state "$LS" >/dev/null 2>&1 &&
	"$KILN" backup keys init "$LP" --state "$LS" >/dev/null 2>&1 && "$KILN" seed "$LP" --host db1 --out "$T/lb/db1.seed" --state "$LS" >/dev/null 2>&1 ||
	not_ok "the loopback deployment's keys, secrets, backup key and db1 seed"
LR=$T/lb/root
fb_mkroot "$LR" "$LS" mysql "$T/lb/db1.seed"; fb_adddisk "$LR" vdb
check "db1 with restore: first boot succeeds" "$KILN_FIRSTBOOT" run --root "$LR" --no-services --datasource other
check_output "the role step says the restore ran" '"name": "role", "state": "done".*restore from backup run, backups scheduled' cat "$LR/var/lib/kiln/status.json"
check "backup.conf names the point to restore to" grep -qx 'restore=2026-12-03T18:00:00Z' "$LR/etc/kiln/backup.conf"
CL=$LR/var/lib/kiln/commands.log
line_of() { grep -n -- "$1" "$CL" | head -1 | cut -d: -f1; }
check "the restore runs before MariaDB restarts with kiln's configuration" \
	bash -c "r=\$(grep -n 'kiln-firstboot backup restore' '$CL' | head -1 | cut -d: -f1); s=\$(grep -n 'systemctl restart mariadb.service' '$CL' | head -1 | cut -d: -f1); [ -n \"\$r\" ] && [ -n \"\$s\" ] && [ \$r -lt \$s ]"
check "... and before the app's users are granted" \
	bash -c "r=\$(grep -n 'kiln-firstboot backup restore' '$CL' | head -1 | cut -d: -f1); g=\$(grep -n '^mariadb --protocol=socket -uroot --skip-ssl <stdin>' '$CL' | head -1 | cut -d: -f1); [ -n \"\$g\" ] && [ \$r -lt \$g ]"
check "the seed's backup key is a private file on the host" test "$(stat -c %a "$LR/etc/kiln/secrets/backup_key")" = 600

# --- the object store: bucket, writer, reader
mkdir -p "$T/s3data"
s3_start "$T/s3data" || { not_ok "s3 stand-in starts"; exit 1; }
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
for s in minio_app_access_key minio_app_secret_key minio_backup_access_key minio_backup_secret_key \
	minio_backup_reader_access_key minio_backup_reader_secret_key; do
	export "KILN_SECRET_$s=$(cat "$S/secrets/$s")"
done
check "minio role setup registers the reader too" "$DRV" "$P" - setup "$S3_ENDPOINT"
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
s3cmd_config "$T/reader.s3cfg" "$KILN_SECRET_minio_backup_reader_access_key" "$KILN_SECRET_minio_backup_reader_secret_key"
check_fails "the reader cannot put into the bucket" 'AccessDenied|403' s3cmd -c "$T/reader.s3cfg" --no-progress put "$P" s3://acme-backups/db1/x.kbk
unset KILN_SECRET_minio_backup_reader_access_key
check_fails "minio role setup without the reader's keys: refused, naming them" 'minio_backup_reader_access_key' "$DRV" "$P" - setup "$S3_ENDPOINT"
export "KILN_SECRET_minio_backup_reader_access_key=$(cat "$S/secrets/minio_backup_reader_access_key")"

# --- the old db1: backups of a real MariaDB
mkdir -p "$T/db/data"
MARIADB_ARGS="--log-bin=$T/db/data/mysql-bin --server-id=1" mariadb_start "$T/db" >/dev/null ||
	{ not_ok "mariadb starts with binary logging"; exit 1; }
R=$T/old
mkdir -p "$R/etc/kiln/tls" "$R/etc/kiln/secrets"; chmod 700 "$R/etc/kiln/secrets"
cp "$S/backup.pub" "$R/etc/kiln/tls/backup.pub"
for s in minio_backup_access_key minio_backup_secret_key; do install -m 0600 "$S/secrets/$s" "$R/etc/kiln/secrets/$s"; done
printf 'host=db1\nendpoint=%s\nbucket=acme-backups\nsocket=%s\n' "$S3_ENDPOINT" "$MARIADB_SOCKET" >"$R/etc/kiln/backup.conf"
sql -e "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB;
	INSERT INTO shop.orders VALUES (1, 'before-full')"
check "old db1: full backup" fb backup full --root "$R"
sql -e "INSERT INTO shop.orders VALUES (2, 'after-full')"
check "old db1: binary logs shipped" fb backup binlogs --root "$R"
sleep 1.1   # the next rows in a later second than that shipment (a restore point below)
sql -e "INSERT INTO shop.orders VALUES (3, 'shipped-last'); UPDATE shop.orders SET item = 'updated' WHERE id = 1"
check "old db1: binary logs shipped again" fb backup binlogs --root "$R"
sql -e "INSERT INTO shop.orders VALUES (4, 'never-shipped')"
mariadb_stop   # the host is lost, with its data disk

# --- a new db1: blank data directory (initialised as the role does), the seed's keys
newhost() { # DIR [restore point]
	local d=$1 to=${2:-latest}
	mkdir -p "$d/etc/kiln/tls" "$d/etc/kiln/secrets" "$d/var/lib/mysql"; chmod 700 "$d/etc/kiln/secrets"
	cp "$S/backup.pub" "$d/etc/kiln/tls/backup.pub"
	for s in minio_backup_access_key minio_backup_secret_key minio_backup_reader_access_key minio_backup_reader_secret_key; do
		install -m 0600 "$S/secrets/$s" "$d/etc/kiln/secrets/$s"
	done
	install -m 0600 "$S/backup.key" "$d/etc/kiln/secrets/backup_key"
	local user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
	mariadb-install-db --no-defaults "${user[@]}" --datadir="$d/var/lib/mysql" --auth-root-authentication-method=socket \
		--skip-test-db >/dev/null 2>&1
	printf 'host=db1\nendpoint=%s\nbucket=acme-backups\nrestore=%s\n' "$S3_ENDPOINT" "$to" >"$d/etc/kiln/backup.conf"
}
N=$T/new
newhost "$N"
check_output "restore: the new db1's data directory from the bucket" \
	'backup-restore: restored to latest: db1/full/[0-9T]+Z\.kbk, then [0-9]+ binary logs? to db1/binlog/' bash -c "'$KILN_FIRSTBOOT' backup restore --root '$N' 2>&1"
check_output "every row shipped is back, the one never shipped is not (MariaDB the oracle)" '^updated,after-full,shipped-last$' rows "$N/var/lib/mysql"
check "nothing of the work left in the data directory" test ! -e "$N/var/lib/mysql/.kiln-restore"
check "the backup key is gone from the host" test ! -e "$N/etc/kiln/secrets/backup_key"
check "the reader's keys are gone too" bash -c "! ls '$N/etc/kiln/secrets' | grep -q reader"
check "the writer's keys stay (the host backs up from now on)" test -e "$N/etc/kiln/secrets/minio_backup_secret_key"
check_output "status: backup-restore done" '^  backup-restore +done .*restored to latest' env KILN_STATE_DIR="$N/var/lib/kiln" "$KILN_FIRSTBOOT" status
check "the marker says what was restored" grep -q 'restored to latest: db1/full/' "$N/var/lib/kiln/backup-restore.done"
check_output "a second run does nothing" 'backup-restore: not again: restored to latest' bash -c "'$KILN_FIRSTBOOT' backup restore --root '$N' 2>&1"
check_output "and the data is as it was" '^updated,after-full,shipped-last$' rows "$N/var/lib/mysql"

# --- to a point in time: before the second shipment
N2=$T/new2
FIRST_SHIP=$(s3cmd -c "$T/root.s3cfg" ls -r s3://acme-backups/db1/binlog/ | awk '{print $4}' | sort | head -1 | sed 's|.*/binlog/\([0-9T]*Z\)-.*|\1|')
TO=$(date -u -d "$(echo "$FIRST_SHIP" | sed -E 's/(....)(..)(..)T(..)(..)(..)Z/\1-\2-\3 \4:\5:\6/') UTC" +%Y-%m-%dT%H:%M:%SZ)
newhost "$N2" "$TO"
check "restore to the first shipment's time" fb backup restore --root "$N2"
check_output "the rows by then: the update and row 3 came later" '^before-full,after-full$' rows "$N2/var/lib/mysql"

# --- never over a database
N3=$T/new3
newhost "$N3"
mkdir "$N3/var/lib/mysql/appdb"
check_output "a data directory holding a database: not restored over" "backup-restore: not restored: /var/lib/mysql already holds database appdb" \
	bash -c "'$KILN_FIRSTBOOT' backup restore --root '$N3' 2>&1"
check "its data untouched" test -d "$N3/var/lib/mysql/appdb"
check "the marker says so" grep -q 'already holds database appdb' "$N3/var/lib/kiln/backup-restore.done"

# --- a tampered object in the bucket: refused by name, nothing used
mkdir -p "$T/copy"
s3cmd -c "$T/root.s3cfg" --no-progress sync s3://acme-backups/ "$T/copy/" >/dev/null 2>&1
BL=$(cd "$T/copy" && ls db1/binlog/*.kbk | sort | tail -1)
cp "$T/copy/$BL" "$T/tampered.kbk"
flip $(( $(stat -c %s "$T/tampered.kbk") / 2 )) "$T/tampered.kbk"
s3cmd -c "$T/root.s3cfg" --no-progress put "$T/tampered.kbk" "s3://acme-backups/$BL" >/dev/null 2>&1 || not_ok "put the tampered object"
N4=$T/new4
newhost "$N4"
check_fails "a tampered binary log: the restore fails, naming it" "backup-restore failed: $BL: refused: does not authenticate" \
	fb backup restore --root "$N4"
check "the data directory is as it was (no shop)" bash -c "test -d '$N4/var/lib/mysql/mysql' && test ! -e '$N4/var/lib/mysql/shop'"
check "nothing of the work left" test ! -e "$N4/var/lib/mysql/.kiln-restore"
check "no marker: the next boot tries again" test ! -e "$N4/var/lib/kiln/backup-restore.done"
check "the keys stay for that try" test -e "$N4/etc/kiln/secrets/backup_key"
check "status: backup-restore failed, naming the object" bash -c "KILN_STATE_DIR='$N4/var/lib/kiln' '$KILN_FIRSTBOOT' status | grep -Eq 'backup-restore +failed .*$BL'"
s3cmd -c "$T/root.s3cfg" --no-progress put "$T/copy/$BL" "s3://acme-backups/$BL" >/dev/null 2>&1
check "the object put back: the next try restores" fb backup restore --root "$N4"

# --- bad input
N5=$T/new5
newhost "$N5"
cp -a "$N5" "$T/pristine"
reset5() { rm -rf "$N5"; cp -a "$T/pristine" "$N5"; }
rm "$N5/etc/kiln/secrets/backup_key"
check_fails "no backup key: refused, naming it" 'secrets/backup_key' fb backup restore --root "$N5"
reset5; chmod 0644 "$N5/etc/kiln/secrets/backup_key"
check_fails "a world-readable backup key: refused" 'secrets/backup_key' fb backup restore --root "$N5"
reset5; install -m 0600 "$S/backup.pub" "$N5/etc/kiln/secrets/backup_key"
check_fails "a backup key that is the public half: refused" 'the secret backup_key is not a kiln backup secret key' fb backup restore --root "$N5"
reset5; install -m 0600 "$S/operator.key" "$N5/etc/kiln/secrets/backup_key" 2>/dev/null || printf 'x\n' >"$N5/etc/kiln/secrets/backup_key"
check_fails "a backup key that is another key: refused" 'not a kiln backup secret key' fb backup restore --root "$N5"
reset5; rm "$N5/etc/kiln/secrets/minio_backup_reader_secret_key"
check_fails "no reader key: refused, naming it" 'minio_backup_reader_secret_key' fb backup restore --root "$N5"
reset5; install -m 0600 "$S/secrets/minio_backup_access_key" "$N5/etc/kiln/secrets/minio_backup_reader_access_key"
install -m 0600 "$S/secrets/minio_backup_secret_key" "$N5/etc/kiln/secrets/minio_backup_reader_secret_key"
check_fails "the writer's key as the reader's: listing refused" 'listing db1/ in acme-backups: .*403' fb backup restore --root "$N5"
reset5; sed -i '/^restore=/d' "$N5/etc/kiln/backup.conf"
check_fails "a conf without restore=: refused" 'has no restore=' fb backup restore --root "$N5"
reset5; sed -i 's/^restore=.*/restore=soon/' "$N5/etc/kiln/backup.conf"
check_fails "a conf with a bad restore=: refused" 'restore is not latest or YYYY-MM-DDTHH:MM:SSZ' fb backup restore --root "$N5"
reset5; sed -i 's/^restore=.*/restore=2001-01-01T00:00:00Z/' "$N5/etc/kiln/backup.conf"
check_fails "a point before every full backup: refused, saying the oldest" 'no full backup of db1 at or before 2001-01-01T00:00:00Z \(the oldest is from' \
	fb backup restore --root "$N5"
reset5; sed -i "s|^endpoint=.*|endpoint=http://127.0.0.1:$(free_port)|" "$N5/etc/kiln/backup.conf"
check_fails "an unreachable store: fails, saying so" 'listing db1/ in acme-backups: .*(connect|Connection)' \
	env AWS_MAX_ATTEMPTS=2 "$KILN_FIRSTBOOT" backup restore --root "$N5"   # 2 attempts: the back-off is not the test
check "every failure left the data directory as it was" bash -c "test -d '$N5/var/lib/mysql/mysql' && test ! -e '$N5/var/lib/mysql/shop' && test ! -e '$N5/var/lib/mysql/.kiln-restore'"
reset5; rm "$N5/etc/kiln/backup.conf"
check_fails "no conf: refused" 'backup.conf .*does the profile have backup:' fb backup restore --root "$N5"
check_fails "a held lock: refused" 'backup-restore: another run is still going' \
	flock "$N/var/lib/kiln/.backup-restore.lock" "$KILN_FIRSTBOOT" backup restore --root "$N"

# --- no secret in any output
leak=0
while IFS= read -r s; do
	[ -n "$s" ] && grep -rqF -- "$s" "$T/out" "$T/err" "$T/o" "$T/e" "$N/var/lib/kiln" "$N4/var/lib/kiln" 2>/dev/null && leak=1
done < <(secret_needles "$S")
check "no secret in any output or status" test $leak = 0
