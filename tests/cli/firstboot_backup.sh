#!/usr/bin/env bash
# A MySQL host's backups without a VM (docs/backup.md): a profile with
# backup:, its seeds (backup.pub and the writer's secrets, only where they
# belong), the minio role's backup bucket and put-only writer on the S3
# stand-in, then kiln-firstboot backup full|binlogs against a private real
# MariaDB with binary logging, uploading with the writer's key. The bucket
# copied down verifies with the operator's key (kiln backup verify), the
# backup restores to the rows written, one flipped byte is refused by name,
# an unreachable bucket fails loudly (exit code, status) while MariaDB keeps
# serving, and every bad input of the command is refused.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
trap 'mariadb_stop; s3_stop; rm -rf "$T"' EXIT
DRV=$ROOT/$KILN_BUILD/drivers/minio_role
kiln() { "$KILN" "$@"; }
fb() { "$KILN_FIRSTBOOT" "$@"; }
check_exit() {
	local name=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -eq "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, wanted $want)"; sed 's/^/#   /' "$T/err" | head -5; fi
}
flip() {
	local b
	b=$(od -An -tu1 -j "$1" -N1 "$2" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$2" bs=1 seek="$1" conv=notrunc status=none
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -N -B "$@"; }
# The last check's stdout and stderr, kept (the next check overwrites them).
keep() { cp "$T/out" "$T/o"; cp "$T/err" "$T/e"; }

for tool in mariadb-backup mbstream mariadb-binlog; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed (Makefile DEPS: mariadb-backup)"; exit 1; }
done

# --- the profile, its keys and seeds
P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
printf 'backup: {binlog_minutes: 5, keep_days: 7}\n' >>"$P"
init_state "$P" --secrets
check_output "check: the backup line" '^backup: full daily, binary logs every 5 min, keep 7 days, bucket acme-backups on minio1, 1 flow derived$' \
	kiln check "$P"
keep
check "check: warns that the backup key is missing, naming the command" grep -q "warning: the profile has backup: but .*backup.pub does not exist; run 'kiln backup keys init $P'" "$T/e"
check_fails "seed for db1 without backup.pub says what to run" "backup.pub does not exist; run 'kiln backup keys init $P'" \
	kiln seed "$P" --host db1 --out "$T/db1.seed"
check "no seed written" test ! -e "$T/db1.seed"
check "backup keys init" kiln backup keys init "$P"
check "check: no warning once the key exists" bash -c "! '$KILN' check '$P' 2>&1 >/dev/null | grep -q warning"
check "seed for db1" kiln seed "$P" --host db1 --out "$T/db1.seed"
check_output "db1's seed carries backup.pub" '^file: backup.pub \(96 bytes\)$' kiln seed --inspect "$T/db1.seed"
keep
check "db1's seed carries the backup writer's secrets" grep -q 'minio_backup_access_key minio_backup_secret_key' "$T/o"
check "seed for app1" kiln seed "$P" --host app1 --out "$T/app1.seed"
check_output "app1's seed: no backup key, no writer" '^secrets' kiln seed --inspect "$T/app1.seed"
keep
check "app1's seed: neither" bash -c "! grep -q 'backup' '$T/o'"
check "seed for minio1" kiln seed "$P" --host minio1 --out "$T/minio1.seed"
check_output "minio1's seed: the writer's secrets (it registers the writer), no backup.pub" 'minio_backup_secret_key' \
	kiln seed --inspect "$T/minio1.seed"
keep
check "minio1's seed: no backup.pub" bash -c "! grep -q 'file: backup.pub' '$T/o'"
check "render minio1" kiln render "$P" --host minio1 --out "$T/minio1"
check "the firewall of minio1 lets db1 (10.0.2.10) reach S3" \
	bash -c "grep -q 'tcp dport 9000 ip saddr @tcp_9000_from' '$T/minio1/etc/nftables.conf' && grep -A3 'set tcp_9000_from' '$T/minio1/etc/nftables.conf' | grep -q '$(awk '/name: db1/{f=1} f&&/address:/{print $2; exit}' "$P")'"

# --- first boot of a primary with backup: (services recorded, not run)
LP=$T/lb/p.yaml
mkdir -p "$T/lb"
{ cat "$ROOT/tests/profiles/fixtures/loopback.yaml"; printf 'backup: {full: hourly, binlog_minutes: 2}\n'; } >"$LP"
LS=$T/lb/state
"$KILN" keys init "$LP" --state "$LS" >/dev/null 2>&1 && "$KILN" secrets init "$LP" --state "$LS" >/dev/null 2>&1 &&
	"$KILN" backup keys init "$LP" --state "$LS" >/dev/null 2>&1 && "$KILN" seed "$LP" --host db1 --out "$T/lb/db1.seed" --state "$LS" >/dev/null 2>&1 ||
	not_ok "the loopback deployment's keys, secrets, backup key and db1 seed"
LR=$T/lb/root
fb_mkroot "$LR" "$LS" mysql "$T/lb/db1.seed"; fb_adddisk "$LR" vdb
check "db1 with backup: first boot succeeds" "$KILN_FIRSTBOOT" run --root "$LR" --no-services --datasource other
check_output "db1: the role step says backups are scheduled" '"name": "role", "state": "done".*backups scheduled' cat "$LR/var/lib/kiln/status.json"
check "db1: backup.pub from the seed" cmp "$LR/etc/kiln/tls/backup.pub" "$LS/backup.pub"
check "db1: the writer's secrets, root-only" test "$(stat -c %a "$LR/etc/kiln/secrets/minio_backup_secret_key")" = 600
check_output "db1: backup.conf names host, store and bucket" '^endpoint=http://127\.0\.1\.3:9000$' cat "$LR/etc/kiln/backup.conf"
check "db1: backup.conf: the bucket" grep -qx 'bucket=acme-backups' "$LR/etc/kiln/backup.conf"
check "db1: my.cnf keeps binary logs as long as backups (7 days)" grep -qx 'binlog_expire_logs_seconds = 604800' "$LR/etc/mysql/mariadb.conf.d/90-kiln.cnf"
check "db1: the full backup's timer: hourly" grep -q '^OnCalendar=hourly$' "$LR/etc/systemd/system/kiln-backup-full.timer"
check "db1: the binary logs' timer: every 2 minutes" grep -q '^OnUnitActiveSec=2min$' "$LR/etc/systemd/system/kiln-backup-binlogs.timer"
check "db1: the services run kiln-firstboot backup" bash -c "grep -q 'ExecStart=/usr/sbin/kiln-firstboot backup full' '$LR/etc/systemd/system/kiln-backup-full.service' && grep -q 'ExecStart=/usr/sbin/kiln-firstboot backup binlogs' '$LR/etc/systemd/system/kiln-backup-binlogs.service'"
check "db1: the units pass systemd-analyze verify" bash -c "cd '$LR/etc/systemd/system' && ! systemd-analyze verify --man=no kiln-backup-full.service kiln-backup-binlogs.service kiln-backup-full.timer kiln-backup-binlogs.timer 2>&1 | grep -v 'kiln-firstboot is not executable' | grep ."
check_output "db1: both timers enabled client-side (systemd wants no reload after it), then started with the first full backup" \
	'^systemctl daemon-reload SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload kiln-backup-full.timer kiln-backup-binlogs.timer systemctl start --no-block kiln-backup-full.timer kiln-backup-binlogs.timer kiln-backup-full.service $' \
	bash -c "grep -B2 'kiln-backup-full.service\$' '$LR/var/lib/kiln/commands.log' | tail -3 | tr '\n' ' '"

# --- the object store: the minio role's setup makes the bucket and the writer
mkdir -p "$T/s3data"
s3_start "$T/s3data" || { not_ok "s3 stand-in starts"; exit 1; }
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
for s in minio_app_access_key minio_app_secret_key minio_backup_access_key minio_backup_secret_key \
	minio_backup_reader_access_key minio_backup_reader_secret_key; do
	export "KILN_SECRET_$s=$(cat "$S/secrets/$s")"
done
check "minio role setup: buckets, the app's key, the backup bucket and writer" "$DRV" "$P" - setup "$S3_ENDPOINT"
check_output "the backup bucket is versioned" '^Enabled$' "$DRV" - - versioning "$S3_ENDPOINT" acme-backups
B3V() { S3_ACCESS_KEY=$S3_ROOT_USER S3_SECRET_KEY=$S3_ROOT_PASSWORD "$S3_PY" "$S3_DIR/boto3_versions.py" "$S3_ENDPOINT" "$@"; }
check_output "the backup bucket has object lock: COMPLIANCE for keep_days (7)" '^Enabled COMPLIANCE 7$' B3V acme-backups --lock
check "the role again: the lock stays as it is" "$DRV" "$P" - setup "$S3_ENDPOINT"
sed 's/keep_days: 7}$/keep_days: 9}/' "$P" >"$T/d/k9.yaml"
check "the role with keep_days 9" "$DRV" "$T/d/k9.yaml" - setup "$S3_ENDPOINT"
check_output "... the default retention follows it" '^Enabled COMPLIANCE 9$' B3V acme-backups --lock
check "the role with keep_days 7 again" "$DRV" "$P" - setup "$S3_ENDPOINT"
check_output "... back to 7" '^Enabled COMPLIANCE 7$' B3V acme-backups --lock
# A bucket made before kiln set the lock (no lock): said, not failed; MinIO cannot add it.
L=$T/d/legacy.yaml
sed 's/^backup: {binlog_minutes: 5, keep_days: 7}$/backup: {binlog_minutes: 5, keep_days: 7, bucket: legacy-backups}/' "$P" >"$L"
s3cmd_config "$T/root0.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
check "root makes legacy-backups without a lock" s3cmd -c "$T/root0.s3cfg" mb s3://legacy-backups
check "minio role setup with a backup bucket that has no lock: not a failure" "$DRV" "$L" - setup "$S3_ENDPOINT"
keep
check "... and it says so" grep -q 'warning: the backup bucket legacy-backups has no object lock' "$T/e"
check_output "... the bucket is left without one" '^none$' B3V legacy-backups --lock
check "the role with the profile's bucket again (its users back)" "$DRV" "$P" - setup "$S3_ENDPOINT"
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
s3cmd_config "$T/app.s3cfg" "$KILN_SECRET_minio_app_access_key" "$KILN_SECRET_minio_app_secret_key"
s3cmd_config "$T/writer.s3cfg" "$KILN_SECRET_minio_backup_access_key" "$KILN_SECRET_minio_backup_secret_key"
check_fails "the app's key cannot list the backup bucket" 'AccessDenied|403' s3cmd -c "$T/app.s3cfg" ls s3://acme-backups
check_fails "the app's key cannot put into it" 'AccessDenied|403' s3cmd -c "$T/app.s3cfg" --no-progress put "$P" s3://acme-backups/x

# --- db1: a private MariaDB with binary logging, and the agent's files below a root
mkdir -p "$T/db/data"
if ! MARIADB_ARGS="--log-bin=$T/db/data/mysql-bin --server-id=1" mariadb_start "$T/db" >/dev/null; then
	not_ok "mariadb starts with binary logging"; exit 1
fi
ok "mariadb starts with binary logging"
R=$T/root
mkdir -p "$R/etc/kiln/tls" "$R/etc/kiln/secrets"
chmod 700 "$R/etc/kiln/secrets"
cp "$S/backup.pub" "$R/etc/kiln/tls/backup.pub"
for s in minio_backup_access_key minio_backup_secret_key; do
	install -m 0600 "$S/secrets/$s" "$R/etc/kiln/secrets/$s"
done
conf() { # ENDPOINT
	printf 'host=db1\nendpoint=%s\nbucket=acme-backups\nkeep_days=7\nsocket=%s\n' "$1" "$MARIADB_SOCKET" >"$R/etc/kiln/backup.conf"
}
conf "$S3_ENDPOINT"
status() { KILN_STATE_DIR=$R/var/lib/kiln "$KILN_FIRSTBOOT" status "$@"; }
sql -e "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB;
	INSERT INTO shop.orders VALUES (1, 'before-full-1'), (2, 'before-full-2');"

# --- a full backup
check_output "backup --help" 'Usage: kiln-firstboot backup full\|binlogs' fb backup --help
check_output "kiln-firstboot --help names backup" '^  backup ' fb --help
check_exit "backup without a kind is a usage error" 2 fb backup
check_exit "backup of an unknown kind is a usage error" 2 fb backup everything --root "$R"
check_exit "backup full with two kinds is a usage error" 2 fb backup full binlogs --root "$R"
check_output "backup full: compressed, sealed and uploaded with the writer's key" 'backup-full: db1/full/[0-9]{8}T[0-9]{6}Z\.kbk, [0-9.]+ (B|KiB|MiB) in [0-9]+ s' \
	bash -c "'$KILN_FIRSTBOOT' backup full --root '$R' 2>&1"
check_output "status shows the full backup: done, when, object, size" '^  backup-full    done     [0-9-]{10}T[0-9:]{8}Z db1/full/.*\.kbk, [0-9.]+ (B|KiB|MiB)' status
check_output "status --json: the run in \"backups\"" '"backups": \[' status --json
check "status --json: still one JSON document" bash -c "KILN_STATE_DIR='$R/var/lib/kiln' '$KILN_FIRSTBOOT' status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"backups\"][0][\"name\"]==\"backup-full\" and d[\"backups\"][0][\"state\"]==\"done\"'"
check_fails "the writer cannot list the bucket (put-only)" 'AccessDenied|403' s3cmd -c "$T/writer.s3cfg" ls s3://acme-backups/db1/full/
FULL=$(s3cmd -c "$T/root.s3cfg" ls -r s3://acme-backups/db1/full/ | awk '{print $4}' | head -1)
check_fails "the writer cannot read a backup back (put-only)" 'AccessDenied|403' \
	s3cmd -c "$T/writer.s3cfg" --no-progress get --force "$FULL" "$T/stolen"
check "one full object in the bucket, compressed: one PutObject (smaller than an 8 MiB part)" \
	bash -c "[ \$(s3cmd -c '$T/root.s3cfg' ls -r s3://acme-backups/db1/full/ | awk '\$3 < 8388608' | wc -l) = 1 ]"
check "it is a compressed object (format version 2)" bash -c "s3cmd -c '$T/root.s3cfg' --no-progress get --force '$FULL' '$T/v2.kbk' >/dev/null 2>&1 && [ \$(od -An -tu1 -j8 -N1 '$T/v2.kbk') = 2 ]"
sleep 1   # a new second: a new object name
printf 'zstd_level=0\n' >>"$R/etc/kiln/backup.conf"
check_output "backup full with zstd_level=0: sealed as it is (format version 1)" 'backup-full: db1/full/[0-9]{8}T[0-9]{6}Z\.kbk, [0-9.]+ MiB in [0-9]+ s' \
	bash -c "'$KILN_FIRSTBOOT' backup full --root '$R' 2>&1"
check "... larger than one 8 MiB part: uploaded in parts" \
	bash -c "[ \$(s3cmd -c '$T/root.s3cfg' ls -r s3://acme-backups/db1/full/ | awk '\$3 > 8388608' | wc -l) = 1 ]"
sed -i '/^zstd_level=/d' "$R/etc/kiln/backup.conf"
check_output "a full backup is kept in COMPLIANCE for keep_days (the bucket's default retention)" '^COMPLIANCE 7$' \
	B3V acme-backups --retention "${FULL#s3://acme-backups/}"
# purge_refused PREFIX N: root's delete of every version below PREFIX refused N times by the lock, none deleted
purge_refused() { ! B3V acme-backups --purge "$1" >"$T/purge" && [ "$(grep -c ' InvalidRequest$' "$T/purge")" = "$2" ] &&
	grep -qx '0 versions deleted' "$T/purge"; }
check "not even root can delete the versions of both full backups (one PUT, one multipart): the lock refuses" \
	purge_refused db1/full/ 2

# --- binary logs: rows after the full backup, shipped once each
sql -e "INSERT INTO shop.orders VALUES (3, 'after-full-3');"
check_output "backup binlogs: the closed logs shipped" 'backup-binlogs: [0-9]+ binary logs? \(mysql-bin\.[0-9]+ to mysql-bin\.[0-9]+\)' \
	bash -c "'$KILN_FIRSTBOOT' backup binlogs --root '$R' 2>&1"
LAST1=$(cat "$R/var/lib/kiln/backup-binlogs.state")
check "the last one shipped is remembered" test -n "$LAST1"
N1=$(s3cmd -c "$T/root.s3cfg" ls -r s3://acme-backups/db1/binlog/ | wc -l)
sql -e "INSERT INTO shop.orders VALUES (4, 'after-full-4');"
check_output "backup binlogs again: only the one closed since" "backup-binlogs: 1 binary log \\(mysql-bin\\.[0-9]+ to mysql-bin\\.[0-9]+\\)" \
	bash -c "'$KILN_FIRSTBOOT' backup binlogs --root '$R' 2>&1"
check "nothing shipped twice: one more object" bash -c "[ \$(s3cmd -c '$T/root.s3cfg' ls -r s3://acme-backups/db1/binlog/ | wc -l) = $((N1 + 1)) ]"
check "the state moved on" bash -c "[ \"\$(cat '$R/var/lib/kiln/backup-binlogs.state')\" != '$LAST1' ]"
check_output "status shows both runs" '^  backup-binlogs done .*1 binary log' status

# --- the operator's side: the bucket copied down, verified and restored with the operator key
mkdir -p "$T/copy"
check "the bucket copied down" s3cmd -c "$T/root.s3cfg" --no-progress sync s3://acme-backups/ "$T/copy/"
check_output "kiln backup verify: every object authenticates with the operator key" \
	'^kiln: [0-9]+ verified, 0 refused$' bash -c "'$KILN' backup verify --from '$T/copy' --profile '$P' 2>&1"
keep
check "verify: the full backup is among them" grep -Eq '^ok  db1/full/[0-9T]+Z\.kbk  mariadb-full  ' "$T/o"
check "verify: the binary logs too" grep -Eq '^ok  db1/binlog/[0-9T]+Z-mysql-bin\.[0-9]+\.kbk  binlog  ' "$T/o"
FULLNAME=$(cd "$T/copy" && ls db1/full/*.kbk | head -1)
check "restore the full backup" kiln backup restore "$FULLNAME" --from "$T/copy" --out "$T/full.xb" --profile "$P"
mkdir -p "$T/xb"
check "the restored stream is mariadb-backup's xbstream" bash -c "mbstream -x -C '$T/xb' <'$T/full.xb'"
check_output "it records the binary-log position it was taken at" '^mysql-bin\.[0-9]+	[0-9]+' cat "$T/xb/xtrabackup_binlog_info"
check "mariadb-backup --prepare makes it a data directory" mariadb-backup --prepare --target-dir="$T/xb"
check "it holds the table" test -s "$T/xb/shop/orders.ibd"
mkdir -p "$T/bl"
for f in $(cd "$T/copy" && ls db1/binlog/*.kbk); do
	kiln backup restore "$f" --from "$T/copy" --out "$T/bl/" --profile "$P" >/dev/null 2>&1 || not_ok "restore $f"
done
check_output "the shipped binary logs hold the rows written after the full backup" "after-full-3.*after-full-4|after-full-4.*after-full-3" \
	bash -c "for f in '$T'/bl/*; do mariadb-binlog \"\$f\"; done | grep -o 'after-full-[0-9]' | tr '\n' ' '"
# A server on the restored directory: the rows of the full backup, then the
# shipped binary logs applied from the backup's position: every row is back.
RSOCK=$T/restored.sock
user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
mariadbd --no-defaults "${user[@]}" --datadir="$T/xb" --socket="$RSOCK" --skip-networking --skip-log-bin \
	--pid-file="$T/restored.pid" --log-error="$T/restored.err" >/dev/null 2>&1 &
RPID=$!
for _ in $(seq 100); do mariadb --no-defaults -S "$RSOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
rsql() { mariadb --no-defaults -S "$RSOCK" -uroot -N -B "$@"; }
check_output "the restored server has the rows written before the full backup" '^before-full-1,before-full-2$' \
	rsql -e "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
read -r BLF BLPOS _ <"$T/xb/xtrabackup_binlog_info"
apply_binlogs() {
	for f in $(ls "$T/bl" | sed 's/^[0-9T]*Z-//' | sort); do
		local file=$(ls "$T/bl"/*-"$f")
		if [ "$f" = "$BLF" ]; then mariadb-binlog --start-position="$BLPOS" "$file"
		elif [[ "$f" > "$BLF" ]]; then mariadb-binlog "$file"; fi
	done | rsql
}
check "the shipped binary logs apply from the backup's position" apply_binlogs
check_output "every row written before the last shipment is back" '^before-full-1,before-full-2,after-full-3,after-full-4$' \
	rsql -e "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null

# --- one flipped byte: refused, named, nothing used
cp -r "$T/copy" "$T/bad"
SIZE=$(stat -c %s "$T/bad/$FULLNAME")
flip $((SIZE / 2)) "$T/bad/$FULLNAME"
check_exit "verify refuses a backup with one flipped byte (exit 1)" 1 kiln backup verify --from "$T/bad" --profile "$P"
keep
check "it names it: does not authenticate" grep -q "error: $FULLNAME: refused: .*does not authenticate" "$T/e"
check "the other objects still verify" grep -q 'ok  db1/binlog/' "$T/o"
check_exit "restore refuses it (exit 1)" 1 kiln backup restore "$FULLNAME" --from "$T/bad" --out "$T/bad.xb" --profile "$P"
check "and writes nothing" test ! -e "$T/bad.xb"

# --- an unreachable bucket: the backup fails loudly, MariaDB keeps serving. Two attempts per
# request (AWS_MAX_ATTEMPTS, as the AWS CLI reads it), not eight: the back-off's 20 s is not the test.
conf "http://127.0.0.1:$(free_port)"
check_exit "backup full to an unreachable store exits 1" 1 env AWS_MAX_ATTEMPTS=2 "$KILN_FIRSTBOOT" backup full --root "$R"
keep
check "it says why" grep -q 'error: backup-full failed: uploading db1/full/.* to acme-backups: .*connect' "$T/e"
check "it retried, as many attempts as AWS_MAX_ATTEMPTS says" \
	bash -c "grep -q 'retrying in [0-9]* ms (attempt 2 of 2)' '$T/e' && ! grep -q 'attempt 3 of' '$T/e'"
check_exit "status exits 1 after a failed backup" 1 status
keep
check "status: backup-full failed, with the reason" grep -Eq '^  backup-full    failed   [0-9-]{10}T.* uploading db1/full/.*connect' "$T/o"
check "status: the binary logs' last run is still done" grep -q '^  backup-binlogs done ' "$T/o"
check_output "MariaDB kept serving" '^4$' sql -e 'SELECT COUNT(*) FROM shop.orders'
check_exit "backup binlogs to an unreachable store exits 1" 1 env AWS_MAX_ATTEMPTS=2 "$KILN_FIRSTBOOT" backup binlogs --root "$R"
LAST2=$(cat "$R/var/lib/kiln/backup-binlogs.state")
conf "$S3_ENDPOINT"
check "back online: the logs the failed run left are shipped" fb backup binlogs --root "$R"
check "status exits 0 once the failed kind succeeds again" bash -c "KILN_STATE_DIR='$R/var/lib/kiln' '$KILN_FIRSTBOOT' backup full --root '$R' 2>/dev/null && KILN_STATE_DIR='$R/var/lib/kiln' '$KILN_FIRSTBOOT' status >/dev/null"
check "the failed binlogs run shipped nothing it then forgot" bash -c "[ \"\$(cat '$R/var/lib/kiln/backup-binlogs.state')\" != '$LAST2' ]"

# --- one run of a kind at a time
check_fails "a binlogs run while another holds its lock: refused, nothing shipped" 'backup-binlogs: another run is still going' \
	flock "$R/var/lib/kiln/.backup-binlogs.lock" "$KILN_FIRSTBOOT" backup binlogs --root "$R"
check "and it recorded nothing over the running one's status" status
check "a full run meanwhile is not held up" flock "$R/var/lib/kiln/.backup-binlogs.lock" "$KILN_FIRSTBOOT" backup full --root "$R"

# --- bad inputs, each refused with a reason in status
cp -r "$R" "$T/r2"
R2=$T/r2
s2() { KILN_STATE_DIR=$R2/var/lib/kiln "$KILN_FIRSTBOOT" status; }
mv "$R2/etc/kiln/backup.conf" "$R2/etc/kiln/backup.conf.off"
check_fails "no conf: refused, saying so" 'backup.conf .*does the profile have backup:' fb backup full --root "$R2"
check_exit "and status says failed" 1 s2
mv "$R2/etc/kiln/backup.conf.off" "$R2/etc/kiln/backup.conf"
printf 'host=db1\nbucket=acme-backups\n' >"$R2/etc/kiln/backup.conf.bad"
cp "$R2/etc/kiln/backup.conf" "$R2/conf.good"
cp "$R2/etc/kiln/backup.conf.bad" "$R2/etc/kiln/backup.conf"
check_fails "a conf without an endpoint" 'backup.conf: host, endpoint and bucket are required' fb backup binlogs --root "$R2"
cp "$R2/conf.good" "$R2/etc/kiln/backup.conf"
mv "$R2/etc/kiln/tls/backup.pub" "$T/pub.off"
check_fails "no backup.pub: refused" "the operator's backup key: .*backup.pub" fb backup full --root "$R2"
cp "$S/operator.pub" "$R2/etc/kiln/tls/backup.pub"
check_fails "a backup.pub that is another key: refused" 'backup.pub is not a kiln backup public key' fb backup full --root "$R2"
mv "$T/pub.off" "$R2/etc/kiln/tls/backup.pub"
chmod 0644 "$R2/etc/kiln/secrets/minio_backup_secret_key"
check_fails "a world-readable secret: refused" 'minio_backup_secret_key' fb backup full --root "$R2"
rm "$R2/etc/kiln/secrets/minio_backup_secret_key"
check_fails "no writer secret: refused" 'minio_backup_secret_key' fb backup full --root "$R2"
install -m 0600 "$S/secrets/minio_backup_secret_key" "$R2/etc/kiln/secrets/minio_backup_secret_key"
printf '../../etc/passwd\n' >"$R2/var/lib/kiln/backup-binlogs.state"
check_fails "a binlog state that is no binary log's name: refused" 'backup-binlogs.state is not a binary log' \
	fb backup binlogs --root "$R2"
rm "$R2/var/lib/kiln/backup-binlogs.state"
check_fails "mariadb-backup missing: said so" 'mariadb-backup is not installed' env PATH=/nonexistent "$KILN_FIRSTBOOT" backup full --root "$R2"
check_fails "the client missing: said so" 'the mariadb client is not installed' env PATH=/nonexistent "$KILN_FIRSTBOOT" backup binlogs --root "$R2"
printf 'host=db1\nendpoint=%s\nbucket=acme-backups\nsocket=%s/nosuch.sock\n' "$S3_ENDPOINT" "$T" >"$R2/etc/kiln/backup.conf"
check_fails "MariaDB not running: mariadb-backup's own words" 'mariadb-backup failed \(exit [0-9]+\): .+' fb backup full --root "$R2"
check_fails "MariaDB not running: the client's own words" 'listing the binary logs failed \(exit [0-9]+\): .+' fb backup binlogs --root "$R2"
check "no failed run left a multipart upload behind in the stand-in's data" \
	bash -c "! find '$T/s3data' -path '*multipart*' -type f | grep -q ."

# --- no secret in any output
leak=0
for s in minio_backup_secret_key minio_backup_access_key; do
	v=$(cat "$S/secrets/$s")
	grep -rqF -- "$v" "$T/o" "$T/e" "$T/out" "$T/err" "$R/var/lib/kiln" "$R2/var/lib/kiln" "$T/copy" 2>/dev/null && leak=1
done
check "no writer credential in any output, status or object" test $leak = 0
