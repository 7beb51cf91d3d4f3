#!/usr/bin/env bash
# Point-in-time restore (docs/backup.md#point-in-time-restore) with a real
# MariaDB as the oracle, no VM: a private MariaDB with binary logging backs
# itself up with kiln-firstboot backup full|binlogs into the S3 stand-in's
# put-only bucket; rows are written before and after a known second; the
# bucket copied down is restored with `kiln backup restore --host db1 --to`
# and a server on the result shows exactly the rows committed by then.
# Latest, a second full backup, a tampered binary log, a hole in the chain,
# a tampered and a cut full backup (also extracted alone: restore NAME
# --extract) and every bad input of the command are checked too.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
trap 'rserver_stop; mariadb_stop; s3_stop; rm -rf "$T"' EXIT
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
# The last check's stdout and stderr, kept (the next check overwrites them).
keep() { cp "$T/out" "$T/o"; cp "$T/err" "$T/e"; }
sql() { mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -N -B "$@"; }
# The UTC time now, and waiting for the next whole second (binary-log
# events carry whole seconds: rows on either side of a target must be in
# different seconds).
utcnow() { date -u +%Y-%m-%dT%H:%M:%SZ; }
next_second() { local s; s=$(date +%s); while [ "$(date +%s)" = "$s" ]; do sleep 0.05; done; }
# A server on a restored data directory, to look at it.
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
rserver_stop() {
	[ -n "${RPID:-}" ] || return 0
	kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; RPID=
}
rows() { # DATADIR: the restored rows, "a,b,c"
	rserver_start "$1" || { echo "no server on $1"; return 1; }
	mariadb --no-defaults -S "$RSOCK" -uroot -N -B -e "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
	local r=$?
	rserver_stop
	return $r
}

for tool in mariadb-backup mbstream mariadb-binlog mariadbd; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed (Makefile DEPS)"; exit 1; }
done

# --- a deployment with backup:, its keys; the bucket and the writer on the stand-in
P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
printf 'backup: {binlog_minutes: 5, keep_days: 7}\n' >>"$P"
init_state "$P" --secrets
kiln backup keys init "$P" >/dev/null 2>&1 || not_ok "backup keys init"
mkdir -p "$T/s3data"
s3_start "$T/s3data" || { not_ok "s3 stand-in starts"; exit 1; }
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
for s in minio_app_access_key minio_app_secret_key minio_backup_access_key minio_backup_secret_key \
	minio_backup_reader_access_key minio_backup_reader_secret_key; do
	export "KILN_SECRET_$s=$(cat "$S/secrets/$s")"
done
check "minio role setup: the backup bucket and its put-only writer" "$DRV" "$P" - setup "$S3_ENDPOINT"
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"

# --- db1: MariaDB with binary logging, the agent's files below a root
mkdir -p "$T/db/data"
MARIADB_ARGS="--log-bin=$T/db/data/mysql-bin --server-id=1" mariadb_start "$T/db" >/dev/null ||
	{ not_ok "mariadb starts with binary logging"; exit 1; }
R=$T/root
mkdir -p "$R/etc/kiln/tls" "$R/etc/kiln/secrets"
chmod 700 "$R/etc/kiln/secrets"
cp "$S/backup.pub" "$R/etc/kiln/tls/backup.pub"
for s in minio_backup_access_key minio_backup_secret_key; do install -m 0600 "$S/secrets/$s" "$R/etc/kiln/secrets/$s"; done
printf 'host=db1\nendpoint=%s\nbucket=acme-backups\nkeep_days=7\nsocket=%s\n' "$S3_ENDPOINT" "$MARIADB_SOCKET" >"$R/etc/kiln/backup.conf"
add() { sql -e "INSERT INTO shop.orders VALUES ($1, '$2')"; }
sql -e "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB"
add 1 before-full
BEFORE_FULL=$(utcnow); next_second
check "full backup 1" fb backup full --root "$R"
next_second
add 2 after-full; add 3 after-full
next_second; T1=$(utcnow); next_second
add 4 after-t1
check "binary logs shipped" fb backup binlogs --root "$R"
next_second
add 5 after-t1
sql -e "UPDATE shop.orders SET item = 'changed-after-t1' WHERE id = 2"
check "binary logs shipped again" fb backup binlogs --root "$R"
next_second; T2=$(utcnow); next_second
sql -e "DELETE FROM shop.orders WHERE id = 1"
check "binary logs shipped a third time" fb backup binlogs --root "$R"
next_second
check "full backup 2" fb backup full --root "$R"
next_second
add 6 after-full2
check "binary logs after full backup 2" fb backup binlogs --root "$R"
mkdir -p "$T/copy"
check "the bucket copied down" s3cmd -c "$T/root.s3cfg" --no-progress sync s3://acme-backups/ "$T/copy/"
restore() { kiln backup restore --host db1 --from "$T/copy" --profile "$P" "$@"; }

# --- to a point in time between the full backup and the next shipment
check_output "restore --to T1: prints the data directory" "^$T/r1/data\$" restore --to "$T1" --out "$T/r1"
keep
check "it says which full backup and binary logs it used" grep -Eq 'restored db1 to .*: full backup db1/full/[0-9T]+Z\.kbk, then [0-9]+ binary logs? from mysql-bin\.[0-9]+ position [0-9]+' "$T/e"
check "the restore's work directory is gone" test ! -e "$T/r1/.restore-work"
check "the restored directory is private (0700)" test "$(stat -c %a "$T/r1")" = 700
check_output "T1: the rows committed by T1, none after (MariaDB the oracle)" '^before-full,after-full,after-full$' rows "$T/r1/data"

# --- a later point: a row updated, another not yet deleted
check "restore --to T2 ('YYYY-MM-DD HH:MM:SS' form)" restore --to "$(x=${T2%Z}; echo "${x/T/ }")" --out "$T/r2"
check_output "T2: the update is in, the later delete is not" '^before-full,changed-after-t1,after-full,after-t1,after-t1$' rows "$T/r2/data"

# --- latest: the second full backup and what came after it
check "restore latest (no --to)" restore --out "$T/r3"
keep
check "latest uses the newer full backup" bash -c "grep -q 'full backup db1/full/$(cd "$T/copy" && ls db1/full | sort | tail -1)' '$T/e'"
check_output "latest: every row as it is now" '^changed-after-t1,after-full,after-t1,after-t1,after-full2$' rows "$T/r3/data"
check_output "the live server agrees" '^changed-after-t1,after-full,after-t1,after-t1,after-full2$' sql -e "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
check "restore --to latest is the same" restore --to latest --out "$T/r4"

# --- before any full backup: refused, saying which is the oldest
check_fails "a time before the first full backup: refused" 'no full backup of db1 at or before .* \(the oldest is from ' \
	restore --to "$BEFORE_FULL" --out "$T/r5"
check "and nothing left" test ! -e "$T/r5"
check_fails "a host with no backups: refused" 'there is no full backup of db9' \
	kiln backup restore --host db9 --from "$T/copy" --profile "$P" --out "$T/r6"

# --- a binary log changed by one byte: refused by name, nothing restored
cp -r "$T/copy" "$T/bad"
BL=$(cd "$T/bad" && ls db1/binlog/*.kbk | sort | sed -n 2p)
flip $(( $(stat -c %s "$T/bad/$BL") / 2 )) "$T/bad/$BL"
check_fails "a flipped byte in a needed binary log: refused, named" "$BL: refused: does not authenticate .*; nothing of this restore was used" \
	kiln backup restore --host db1 --to "$T2" --from "$T/bad" --profile "$P" --out "$T/r7"
check "and nothing left" test ! -e "$T/r7"
# --- a hole in the chain (a shipped log missing from the copy)
cp -r "$T/copy" "$T/hole"
rm -f "$T/hole/$(cd "$T/hole" && ls db1/binlog/*.kbk | sort | sed -n 2p)"
check_fails "a binary log missing from the chain: refused, naming the hole" 'has a hole: mysql-bin\.[0-9]+ was not shipped|was never shipped' \
	kiln backup restore --host db1 --to "$T2" --from "$T/hole" --profile "$P" --out "$T/r8"
check "and nothing left" test ! -e "$T/r8"
# --- the full backup tampered with: refused before anything is extracted
cp -r "$T/copy" "$T/badfull"
FULL1=$(cd "$T/badfull" && ls db1/full/*.kbk | sort | head -1)
flip 4000 "$T/badfull/$FULL1"
check_fails "a flipped byte in the full backup: refused, named" "$FULL1: refused: .*does not authenticate" \
	kiln backup restore --host db1 --to "$T1" --from "$T/badfull" --profile "$P" --out "$T/r9"
check "and nothing left" test ! -e "$T/r9"

# --- one full backup extracted as it is decrypted (restore NAME --extract):
# into a private staging directory that is the result only if all of the
# object authenticated and mbstream exited 0, else removed whole
# none of DIR, nor a staging directory beside it
nothing_left() { test ! -e "$1" && test -z "$(find "$(dirname "$1")" -maxdepth 1 -name '.*.extract-*')"; }
FULL1GOOD=$(cd "$T/copy" && ls db1/full/*.kbk | sort | head -1)
check_output "restore NAME --extract: prints the directory" "^$T/xk\$" \
	kiln backup restore "$FULL1GOOD" --from "$T/copy" --profile "$P" --out "$T/xk" --extract
check "... private (0700)" test "$(stat -c %a "$T/xk")" = 700
check "... the same files as --out - | mbstream -x" bash -c "mkdir '$T/xs' && '$KILN' backup restore '$FULL1GOOD' --from '$T/copy' \
	--profile '$P' --out - 2>/dev/null | mbstream -x -C '$T/xs' && diff -r '$T/xk' '$T/xs'"
check "... no staging directory left" nothing_left "$T/none"
check_fails "... again into it (not empty): refused" "$T/xk exists and is not an empty directory" \
	kiln backup restore "$FULL1GOOD" --from "$T/copy" --profile "$P" --out "$T/xk" --extract
mkdir "$T/xe"
check "... into an empty directory" kiln backup restore "$FULL1GOOD" --from "$T/copy" --profile "$P" --out "$T/xe/" --extract
check "... the same files" diff -r "$T/xk" "$T/xe"
check_fails "a flipped byte in the full backup: --extract refuses it, named" "$FULL1: refused: .*does not authenticate" \
	kiln backup restore "$FULL1" --from "$T/badfull" --profile "$P" --out "$T/x9" --extract
keep
check "... nothing of it extracted, said so" grep -q "nothing of $FULL1 was extracted to $T/x9" "$T/e"
check "... no directory, no staging directory left" nothing_left "$T/x9"
# cut after whole chunks: mbstream got every byte before the cut (each one
# authenticated) and may exit 0; the final chunk is missing: refused
cp -r "$T/copy" "$T/cut"
HL=$(( 136 + 12 + ${#FULL1GOOD} ))
check "the full backup is larger than one chunk" test "$(stat -c %s "$T/cut/$FULL1GOOD")" -gt $(( HL + 262144 + 17 ))
truncate -s $(( HL + 262144 + 17 )) "$T/cut/$FULL1GOOD"
check_fails "a full backup cut at a chunk boundary: --extract refuses it" "$FULL1GOOD: refused: ends before its final chunk" \
	kiln backup restore "$FULL1GOOD" --from "$T/cut" --profile "$P" --out "$T/x10" --extract
check "... no directory, no staging directory left" nothing_left "$T/x10"
check_fails "... the point-in-time restore too, named" "$FULL1GOOD: refused: ends before its final chunk .*; nothing of this restore was used" \
	kiln backup restore --host db1 --to "$T1" --from "$T/cut" --profile "$P" --out "$T/r10"
check "... nothing left" test ! -e "$T/r10"
check_fails "--extract without mbstream: said so, nothing left" 'mbstream is not installed' \
	env PATH=/nonexistent "$KILN" backup restore "$FULL1GOOD" --from "$T/copy" --profile "$P" --out "$T/x11" --extract
check "... nothing left" nothing_left "$T/x11"
check_exit "--extract with --host: usage error (2)" 2 restore --out "$T/x12" --extract
check_exit "--extract with --out -: usage error (2)" 2 kiln backup restore "$FULL1GOOD" --from "$T/copy" --profile "$P" --out - --extract

# --- bad input
check_exit "--to that is no time: usage error (2)" 2 restore --to yesterday --out "$T/x1"
keep
check "it says what a time is" grep -q "is no time: latest, YYYY-MM-DDTHH:MM:SSZ" "$T/e"
check_exit "--to a date that does not exist (Feb 30): 2" 2 restore --to 2026-02-30T00:00:00Z --out "$T/x1"
check_exit "--to with a time zone other than Z: 2" 2 restore --to 2026-12-03T10:00:00+01:00 --out "$T/x1"
check_exit "--to without --host: 2" 2 kiln backup restore db1/full/x.kbk --to latest --from "$T/copy" --profile "$P" --out "$T/x1"
check_exit "--host with an object NAME too: 2" 2 restore db1/full/x.kbk --out "$T/x1"
check_exit "--host with a '/': 2" 2 kiln backup restore --host db1/full --from "$T/copy" --profile "$P" --out "$T/x1"
check_exit "--host without --out: 2" 2 restore
check_exit "--host without a key: 2" 2 kiln backup restore --host db1 --from "$T/copy" --out "$T/x1"
mkdir "$T/exists"
check_fails "--out that exists: refused" 'exists; a restore goes into a new directory' restore --out "$T/exists"
check_fails "--from that does not exist" 'cannot read the backup directory' \
	kiln backup restore --host db1 --from "$T/nosuch" --profile "$P" --out "$T/x2"
check "nothing left by the failures" bash -c "test ! -e '$T/x1' && test ! -e '$T/x2'"
check_fails "MariaDB's tools missing: said so" '(mbstream|mariadb-backup|mariadb-binlog) is not installed' \
	env PATH=/nonexistent "$KILN" backup restore --host db1 --from "$T/copy" --profile "$P" --out "$T/x3"
check "nothing left" test ! -e "$T/x3"
check_output "restore --help documents --host and --to" '--to TIME' kiln backup restore --help

# --- no secret in any output
leak=0
while IFS= read -r s; do
	[ -n "$s" ] && grep -rqF -- "$s" "$T/out" "$T/err" "$T/r1" 2>/dev/null && leak=1
done < <(secret_needles "$S")
check "no secret in any output" test $leak = 0
