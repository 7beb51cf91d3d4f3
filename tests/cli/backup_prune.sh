#!/usr/bin/env bash
# kiln backup prune (docs/backup.md#pruning) against the S3 stand-in: the
# objects backup.keep_days no longer needs go, with the object store's admin
# credential from the state directory; every point in time of the window
# stays restorable (the newest full backup at or before its start and all
# since), the newest full backup always stays, names that are not the
# hosts' stay; the hosts' own keys cannot delete; --dry-run deletes nothing;
# every version of a pruned object goes; the bucket's object lock (COMPLIANCE,
# keep_days) keeps a version whose retention has not ended, and prune says so
# by name and fails; bad input is refused.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
trap 's3_stop; rm -rf "$T"' EXIT
DRV=$ROOT/$KILN_BUILD/drivers/minio_role
kiln() { "$KILN" "$@"; }
keep() { cp "$T/out" "$T/o"; cp "$T/err" "$T/e"; }
check_exit() {
	local name=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -eq "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, wanted $want)"; sed 's/^/#   /' "$T/err" | head -5; fi
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stamp() { date -u -d "$1" +%Y%m%dT%H%M%SZ; }

P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
printf 'backup: {keep_days: 7}\n' >>"$P"
init_state "$P" --secrets
kiln backup keys init "$P" >/dev/null 2>&1 || not_ok "backup keys init"
# the stand-in's root is the deployment's (what the minio role sets up)
S3_ROOT_USER=$(cat "$S/secrets/minio_root_user") S3_ROOT_PASSWORD=$(cat "$S/secrets/minio_root_password")
mkdir -p "$T/s3data"
s3_start "$T/s3data" || { not_ok "s3 stand-in starts"; exit 1; }
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
for s in minio_app_access_key minio_app_secret_key minio_backup_access_key minio_backup_secret_key \
	minio_backup_reader_access_key minio_backup_reader_secret_key; do
	export "KILN_SECRET_$s=$(cat "$S/secrets/$s")"
done
check "minio role setup" "$DRV" "$P" - setup "$S3_ENDPOINT"
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
s3cmd_config "$T/writer.s3cfg" "$KILN_SECRET_minio_backup_access_key" "$KILN_SECRET_minio_backup_secret_key"
s3cmd_config "$T/reader.s3cfg" "$KILN_SECRET_minio_backup_reader_access_key" "$KILN_SECRET_minio_backup_reader_secret_key"

# --- objects of three weeks, as the hosts name them, put with the writer's key
head -c 200 /dev/urandom >"$T/blob"
OLD_FULL=db1/full/$(stamp '-20 days').kbk
OLD_BL=db1/binlog/$(stamp '-20 days +1 hour')-mysql-bin.000001.kbk
BASE=db1/full/$(stamp '-10 days').kbk
BASE_BL=db1/binlog/$(stamp '-10 days +5 minutes')-mysql-bin.000002.kbk
MID_BL=db1/binlog/$(stamp '-8 days')-mysql-bin.000003.kbk
NEW_FULL=db1/full/$(stamp '-2 days').kbk
NEW_BL=db1/binlog/$(stamp '-1 day')-mysql-bin.000004.kbk
ODD=db1/notes-20200101.kbk
ALL="$OLD_FULL $OLD_BL $BASE $BASE_BL $MID_BL $NEW_FULL $NEW_BL $ODD"
for k in $ALL $OLD_FULL; do   # OLD_FULL twice: two versions
	s3cmd -c "$T/writer.s3cfg" --no-progress put "$T/blob" "s3://acme-backups/$k" >/dev/null 2>&1 || not_ok "put $k"
done
B3V() { S3_ACCESS_KEY=$S3_ROOT_USER S3_SECRET_KEY=$S3_ROOT_PASSWORD "$S3_PY" "$S3_DIR/boto3_versions.py" "$S3_ENDPOINT" "$@"; }
check_output "the bucket's lock: COMPLIANCE for keep_days" '^Enabled COMPLIANCE 7$' B3V acme-backups --lock
# The objects were put now, so the lock holds each for 7 days from now. What
# their names say (weeks old) is made true of their retention in the
# stand-in's store (every version's metadata under $T/s3data), as if they had
# been uploaded then.
backdate() {
	/usr/bin/python3 - "$T/s3data/acme-backups" "$1" <<'PY'
import glob, hashlib, json, os, sys, time
d, key = sys.argv[1:3]
h = hashlib.sha256(key.encode()).hexdigest()
for p in [os.path.join(d, h + ".json")] + glob.glob(os.path.join(d, ".versions", h, "*.json")):
    with open(p) as f:
        m = json.load(f)
    m["retention"]["until"] = time.time() - 86400
    with open(p, "w") as f:
        json.dump(m, f)
PY
}
backdate_old() { backdate "$OLD_FULL" && backdate "$OLD_BL"; }
check "the old ones' retention ended (as uploaded weeks ago)" backdate_old
listing() { s3cmd -c "$T/root.s3cfg" ls -r s3://acme-backups/ | awk '{print $4}' | sed 's|^s3://acme-backups/||' | sort; }
check "eight objects in the bucket" test "$(listing | wc -l)" = 8
check_fails "the writer's key cannot delete (put-only)" 'AccessDenied|403' s3cmd -c "$T/writer.s3cfg" del "s3://acme-backups/$OLD_FULL"
check_fails "the reader's key cannot delete" 'AccessDenied|403' s3cmd -c "$T/reader.s3cfg" del "s3://acme-backups/$OLD_FULL"

# --- dry run, then the prune
check_output "--dry-run: says what would go" "^would delete  $OLD_FULL\$" kiln backup prune "$P" --endpoint "$S3_ENDPOINT" --dry-run
keep
check "--dry-run: the old binary log too, nothing else" bash -c "[ \$(grep -c '^would delete' '$T/o') = 2 ] && grep -qx 'would delete  $OLD_BL' '$T/o'"
check "--dry-run: nothing deleted" test "$(listing | wc -l)" = 8
check_output "prune: the objects keep_days no longer needs are deleted" "^deleted  $OLD_FULL\$" kiln backup prune "$P" --endpoint "$S3_ENDPOINT"
keep
check "prune: it says what it kept" grep -q 'db1: 2 objects deleted, 6 kept (keep_days 7)' "$T/e"
LEFT=$(listing | tr '\n' ' ')
WANT=$(echo "$BASE_BL $BASE $MID_BL $NEW_BL $NEW_FULL $ODD" | tr ' ' '\n' | sort | tr '\n' ' ')
check "left: the base full backup before the window and all since, the newest full, the odd name" test "$LEFT" = "$WANT"
check "prune said the bucket's lock" grep -q 'bucket acme-backups: object lock COMPLIANCE, 7 days' "$T/e"
check_output "every version of the pruned objects is gone (no delete marker left either)" '^0$' B3V acme-backups --count "$OLD_FULL"
check_output "prune again: nothing more to delete" 'db1: 0 objects deleted, 6 kept' bash -c "'$KILN' backup prune '$P' --endpoint '$S3_ENDPOINT' 2>&1"

# --- the lock keeps what is still inside its retention: said by name, the run fails
LOCKED=db1/binlog/$(stamp '-19 days')-mysql-bin.000000.kbk
s3cmd -c "$T/writer.s3cfg" --no-progress put "$T/blob" "s3://acme-backups/$LOCKED" >/dev/null 2>&1 || not_ok "put $LOCKED"
check_fails "prune of a version the lock still holds: fails, naming it" \
	"$LOCKED \(version [0-9a-f-]+\) is kept by the object lock of bucket acme-backups: its retention has not ended \(HTTP 400 InvalidRequest: Object is WORM protected.*\); prune again later" \
	kiln backup prune "$P" --endpoint "$S3_ENDPOINT"
check "... and it is still there" bash -c "s3cmd -c '$T/root.s3cfg' ls 's3://acme-backups/$LOCKED' | grep -q ."
check "its retention ends" backdate "$LOCKED"
check_output "then prune deletes it" "^deleted  $LOCKED\$" kiln backup prune "$P" --endpoint "$S3_ENDPOINT"

# --- bad input
check_exit "prune without a profile: usage error (2)" 2 kiln backup prune
check_exit "an --endpoint that is no URL: 2" 2 kiln backup prune "$P" --endpoint ftp://x
check_exit "an option prune does not take: 2" 2 kiln backup prune "$P" --from "$T"
setup_profile "$T/plain"
check_fails "a profile without backup:: refused" 'has no backup: section: nothing to prune' kiln backup prune "$T/plain/p.yaml"
check_fails "an unreachable store: fails, saying where" "listing db1/ in acme-backups at http://127.0.0.1:[0-9]+: .*(connect|Connection)" \
	env AWS_MAX_ATTEMPTS=2 "$KILN" backup prune "$P" --endpoint "http://127.0.0.1:$(free_port)"   # 2 attempts: the back-off is not the test
check_output "an AWS_MAX_ATTEMPTS that is no count: said, the default's 8 attempts kept" \
	'AWS_MAX_ATTEMPTS=many is not 1\.\.20: 8 attempts per request' \
	bash -c "AWS_MAX_ATTEMPTS=many '$KILN' backup prune '$P' --endpoint '$S3_ENDPOINT' --dry-run 2>&1"
mv "$S/secrets/minio_root_password" "$T/pw.off"
check_fails "no admin credential in the state: refused, saying what to run" "minio_root_password.*run 'kiln secrets init'" \
	kiln backup prune "$P" --endpoint "$S3_ENDPOINT"
printf 'not-the-password\n' >"$S/secrets/minio_root_password"; chmod 600 "$S/secrets/minio_root_password"
check_fails "a wrong admin credential: refused by the store" 'listing db1/ in acme-backups at .*403' \
	kiln backup prune "$P" --endpoint "$S3_ENDPOINT"
mv "$T/pw.off" "$S/secrets/minio_root_password"
check "after the failures nothing more was deleted" test "$(listing | wc -l)" = 6
check_output "prune --help" 'Usage: kiln backup prune PROFILE' kiln backup prune --help

leak=0
while IFS= read -r s; do
	[ -n "$s" ] && grep -rqF -- "$s" "$T/out" "$T/err" "$T/o" "$T/e" 2>/dev/null && leak=1
done < <(secret_needles "$S")
check "no secret in any output" test $leak = 0
