#!/usr/bin/env bash
# Backups to an external S3 endpoint (backup.s3, docs/backup.md#an-external-s3-endpoint),
# no VM: the profile's checks (each bad field at FILE:LINE:COLUMN), the
# endpoint's keys as secrets the operator brings (never generated; seeds
# refused without them, and they reach the primary only), no flow derived
# and no MinIO backup users; then against the S3 stand-in on another
# loopback address and port, signing for another region, and a real
# MariaDB: kiln-firstboot backup full|binlogs upload there with the
# operator's key, the bucket verifies with the operator's backup key, a
# restore at first boot reads it back with the reader's key, and prune
# deletes there with the operator's own credential.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
XPID=
xs3_stop() { local_server_stop "$XPID"; XPID=; }
trap 'mariadb_stop; xs3_stop; rm -rf "$T"' EXIT
# every output of kiln and kiln-firstboot also into the transcript the leak scan reads
run_t() { "$@" >"$T/t1" 2>"$T/t2"; local r=$?; cat "$T/t1"; cat "$T/t2" >&2; cat "$T/t1" "$T/t2" >>"$T/transcript"; return $r; }
kiln() { run_t "$KILN" "$@"; }
fb() { run_t "$KILN_FIRSTBOOT" "$@"; }
keep() { cp "$T/out" "$T/o"; cp "$T/err" "$T/e"; }
sql() { mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -N -B "$@"; }

for tool in mariadb-backup mbstream mariadb-binlog mariadbd mariadb-install-db; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed (Makefile DEPS)"; exit 1; }
done

# --- the external endpoint: the stand-in on 127.0.0.2, a region of its own
mkdir -p "$T/xs3"
MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD \
	"$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.2:0 --region eu-west-1 "$T/xs3" >"$T/xs3.log" 2>&1 &
XPID=$!
XPORT=$(local_server_port "$T/xs3.log" 's|^API: http://127\.0\.0\.2:\([0-9]*\)$|\1|p' "$XPID" s3server) ||
	{ not_ok "the S3 stand-in starts on 127.0.0.2"; exit 1; }
XEP=http://127.0.0.2:$XPORT
(umask 077; cat >"$T/x.s3cfg" <<CFG
[default]
access_key = $S3_ROOT_USER
secret_key = $S3_ROOT_PASSWORD
host_base = 127.0.0.2:$XPORT
host_bucket = 127.0.0.2:$XPORT
use_https = False
signature_v2 = False
bucket_location = eu-west-1
check_ssl_certificate = False
proxy_host =
CFG
)
s3x() { s3cmd -c "$T/x.s3cfg" --no-progress "$@"; }
check "the operator's bucket on the external endpoint" s3x mb s3://acme-offsite

# --- the profile
P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
cp "$P" "$T/d/plain.yaml"
printf 'backup:\n  keep_days: 7\n  s3: {endpoint: "%s", region: eu-west-1, bucket: acme-offsite}\n' "$XEP" >>"$P"
LINE=$(wc -l <"$P")
init_state "$P"
check_output "check: the backup line names the endpoint and says whose network it is" \
	"^backup: full daily, binary logs every 5 min, keep 7 days, bucket acme-offsite at $XEP \(external, region eu-west-1; the primaries reach it through the operator's network\)\$" \
	kiln check "$P"
check_output "check --json: backup.s3, no flows" '"s3":\{"endpoint":"http://127\.0\.0\.2:[0-9]+","region":"eu-west-1","bucket":"acme-offsite"\},"flows":\[\]' \
	kiln check "$P" --json
bad() { # NAME PATTERN S3-LINE
	{ cat "$T/d/plain.yaml"; printf 'backup:\n  s3: %s\n' "$3"; } >"$T/d/bad.yaml"
	check_fails "$1" "$2" kiln check "$T/d/bad.yaml"
}
BL=$(( $(wc -l <"$T/d/plain.yaml") + 2 ))
bad "check: an endpoint with a path, at FILE:LINE:COLUMN" "bad\\.yaml:$BL:[0-9]+: .*backup.s3.endpoint 'https://s3.example.com/acme' must be http\\(s\\)://HOST\\[:PORT\\]" \
	'{endpoint: "https://s3.example.com/acme", bucket: acme-offsite}'
bad "check: a bad region, at FILE:LINE:COLUMN" "bad\\.yaml:$BL:[0-9]+: .*backup.s3.region 'EU' must be" '{endpoint: "https://s3.example.com", region: EU, bucket: b-k}'
bad "check: no bucket" "bad\\.yaml:$BL:[0-9]+: .*backup.s3 needs bucket" '{endpoint: "https://s3.example.com"}'
bad "check: credentials in the profile are refused (unknown key)" "bad\\.yaml:$BL:[0-9]+: .*unknown key 'secret_key' in backup.s3" \
	'{endpoint: "https://s3.example.com", bucket: b-k, secret_key: x}'
check_output "secrets init: the endpoint's keys are not generated, it says where they go" \
	"^backup_s3_access_key: missing \\(the operator's: put the key your S3 provider gave you for backup.s3 into secrets/backup_s3_access_key, mode 0600\\)" \
	kiln secrets init "$P"
check "... and no MinIO backup users" bash -c "! ls '$S/secrets' | grep -q 'minio_backup\\|backup_s3'"
kiln backup keys init "$P" >/dev/null 2>&1 || not_ok "backup keys init"
check_fails "seed for db1 without the endpoint's keys: refused, saying what to put where" \
	"secret backup_s3_access_key is missing: put the key your S3 provider gave you for backup.s3 into .*secrets/backup_s3_access_key" \
	kiln seed "$P" --host db1 --out "$T/db1.seed"
(umask 077; printf '%s\n' "$S3_ROOT_USER" >"$S/secrets/backup_s3_access_key"; printf '%s' "$S3_ROOT_PASSWORD" >"$S/secrets/backup_s3_secret_key")
check_fails "a key with a newline: refused, not repaired" "secrets/backup_s3_access_key: a key given by the S3 provider must be 3 to 256 printable ASCII" \
	kiln seed "$P" --host db1 --out "$T/db1.seed"
(umask 077; printf '%s' "$S3_ROOT_USER" >"$S/secrets/backup_s3_access_key")
check_output "secrets init keeps them" '^backup_s3_secret_key: kept$' kiln secrets init "$P"
check "seed for db1" kiln seed "$P" --host db1 --out "$T/db1.seed"
check "inspect it" kiln seed --inspect "$T/db1.seed"
keep
check "db1's seed: the endpoint's keys, no MinIO backup user" bash -c "grep -q 'backup_s3_access_key backup_s3_secret_key' '$T/o' && ! grep -q 'minio_backup' '$T/o'"
check "seed for minio1" kiln seed "$P" --host minio1 --out "$T/minio1.seed"
check "inspect it" kiln seed --inspect "$T/minio1.seed"
keep
check "minio1's seed: nothing of backups (the bucket is not its own)" bash -c "! grep -q 'backup' '$T/o'"
check "render minio1" kiln render "$P" --host minio1 --out "$T/minio1"
check "minio1's firewall: no backup flow from db1" bash -c "! grep -A3 'set tcp_9000_from' '$T/minio1/etc/nftables.conf' | grep -q '$(awk '/name: db1/{f=1} f&&/address:/{print $2; exit}' "$P")'"
sed -i 's/^  keep_days: 7$/  keep_days: 7\n  restore: latest/' "$P"
check_fails "with restore: the reader's keys are asked for too" "secret backup_s3_reader_access_key is missing" \
	kiln seed "$P" --host db1 --out "$T/db1r.seed"

# --- first boot of a primary with backup.s3 (services recorded, not run)
LP=$T/lb/p.yaml
mkdir -p "$T/lb"
{ cat "$ROOT/tests/profiles/fixtures/loopback.yaml"; printf 'backup: {s3: {endpoint: "%s", region: eu-west-1, bucket: acme-offsite}}\n' "$XEP"; } >"$LP"
LS=$T/lb/state
"$KILN" keys init "$LP" --state "$LS" >/dev/null 2>&1 && "$KILN" secrets init "$LP" --state "$LS" >/dev/null 2>&1 &&
	cp "$S/secrets/backup_s3_access_key" "$S/secrets/backup_s3_secret_key" "$LS/secrets/" &&
	"$KILN" backup keys init "$LP" --state "$LS" >/dev/null 2>&1 && "$KILN" seed "$LP" --host db1 --out "$T/lb/db1.seed" --state "$LS" >/dev/null 2>&1 ||
	not_ok "the loopback deployment's keys, secrets, backup key and db1 seed"
LR=$T/lb/root
fb_mkroot "$LR" "$LS" mysql "$T/lb/db1.seed"; fb_adddisk "$LR" vdb
check "db1 with backup.s3: first boot succeeds" "$KILN_FIRSTBOOT" run --root "$LR" --no-services --datasource other
check "db1: backup.conf says the external store, its endpoint and region" \
	bash -c "grep -qx 'store=s3' '$LR/etc/kiln/backup.conf' && grep -qx 'endpoint=$XEP' '$LR/etc/kiln/backup.conf' && grep -qx 'region=eu-west-1' '$LR/etc/kiln/backup.conf' && grep -qx 'bucket=acme-offsite' '$LR/etc/kiln/backup.conf'"
check "db1: the endpoint's keys, root-only" test "$(stat -c %a "$LR/etc/kiln/secrets/backup_s3_secret_key")" = 600

# --- db1 backs up to the external endpoint
mkdir -p "$T/db/data"
MARIADB_ARGS="--log-bin=$T/db/data/mysql-bin --server-id=1" mariadb_start "$T/db" >/dev/null ||
	{ not_ok "mariadb starts with binary logging"; exit 1; }
R=$T/root
mkdir -p "$R/etc/kiln/tls" "$R/etc/kiln/secrets"; chmod 700 "$R/etc/kiln/secrets"
cp "$S/backup.pub" "$R/etc/kiln/tls/backup.pub"
for s in backup_s3_access_key backup_s3_secret_key; do install -m 0600 "$S/secrets/$s" "$R/etc/kiln/secrets/$s"; done
conf() { printf 'host=db1\nstore=s3\nendpoint=%s\nregion=%s\nbucket=acme-offsite\nsocket=%s\n' "$XEP" "$1" "$MARIADB_SOCKET" >"$R/etc/kiln/backup.conf"; }
conf us-east-1
sql -e "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB;
	INSERT INTO shop.orders VALUES (1, 'before-full')"
check_fails "signed for another region: the endpoint refuses it, the run says so" "backup-full failed: .*region 'us-east-1' is wrong; expecting 'eu-west-1'" \
	fb backup full --root "$R"
conf eu-west-1
check_output "backup full: to the external endpoint" 'backup-full: db1/full/[0-9]{8}T[0-9]{6}Z\.kbk, ' bash -c "'$KILN_FIRSTBOOT' backup full --root '$R' 2>&1"
sql -e "INSERT INTO shop.orders VALUES (2, 'after-full')"
check_output "backup binlogs: to the external endpoint" 'backup-binlogs: 1 binary log' bash -c "'$KILN_FIRSTBOOT' backup binlogs --root '$R' 2>&1"
check "the objects are in the external bucket" bash -c "s3cmd -c '$T/x.s3cfg' ls -r s3://acme-offsite/db1/ | grep -q 'db1/full/.*\\.kbk' && s3cmd -c '$T/x.s3cfg' ls -r s3://acme-offsite/db1/ | grep -q 'db1/binlog/.*\\.kbk'"
mkdir -p "$T/copy"
s3x sync s3://acme-offsite/ "$T/copy/" >/dev/null 2>&1
check_output "the bucket copied down verifies with the operator's key (compressed objects)" '^ok  db1/full/' kiln backup verify --from "$T/copy" --state "$S"
check_output "list shows them compressed" '^db1/full/[0-9T]+Z\.kbk  mariadb-full  .* bytes zstd  key ' kiln backup list --from "$T/copy"
mariadb_stop

# --- a new db1 restores from the external endpoint at first boot
(umask 077; printf '%s' "$S3_ROOT_USER" >"$S/secrets/backup_s3_reader_access_key"; printf '%s' "$S3_ROOT_PASSWORD" >"$S/secrets/backup_s3_reader_secret_key")
check "with restore and the reader's keys: db1's seed" kiln seed "$P" --host db1 --out "$T/db1r.seed"
check "inspect it" kiln seed --inspect "$T/db1r.seed"
keep
check "... carries the reader's keys and the backup key" bash -c "grep -q 'backup_s3_reader_access_key' '$T/o' && grep -q 'backup_key' '$T/o'"
N=$T/new
mkdir -p "$N/etc/kiln/tls" "$N/etc/kiln/secrets" "$N/var/lib/mysql"; chmod 700 "$N/etc/kiln/secrets"
for s in backup_s3_access_key backup_s3_secret_key backup_s3_reader_access_key backup_s3_reader_secret_key; do
	install -m 0600 "$S/secrets/$s" "$N/etc/kiln/secrets/$s"
done
install -m 0600 "$S/backup.key" "$N/etc/kiln/secrets/backup_key"
user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
mariadb-install-db --no-defaults "${user[@]}" --datadir="$N/var/lib/mysql" --auth-root-authentication-method=socket --skip-test-db >/dev/null 2>&1
printf 'host=db1\nstore=s3\nendpoint=%s\nregion=eu-west-1\nbucket=acme-offsite\nrestore=latest\n' "$XEP" >"$N/etc/kiln/backup.conf"
check_output "restore at first boot from the external endpoint" 'backup-restore: restored to latest: db1/full/[0-9T]+Z\.kbk, then 1 binary log' \
	bash -c "'$KILN_FIRSTBOOT' backup restore --root '$N' 2>&1"
check "the restored data directory has the shipped rows" test -f "$N/var/lib/mysql/shop/orders.ibd"
check "the reader's keys and the backup key are gone, the writer's stay" bash -c \
	"test ! -e '$N/etc/kiln/secrets/backup_s3_reader_access_key' && test ! -e '$N/etc/kiln/secrets/backup_key' && test -e '$N/etc/kiln/secrets/backup_s3_access_key'"

# --- prune on the external endpoint, with the operator's own credential
check_fails "prune without an AWS credential: refused" 'no AWS credentials' \
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$T/none" "$KILN" backup prune "$P"
export AWS_ACCESS_KEY_ID=$S3_ROOT_USER AWS_SECRET_ACCESS_KEY=$S3_ROOT_PASSWORD   # the operator's own (not on argv)
check "prune --dry-run with the operator's credential: signs for the region, deletes nothing" kiln backup prune "$P" --dry-run
check "... the objects are all there" bash -c "[ \$(s3cmd -c '$T/x.s3cfg' ls -r s3://acme-offsite/db1/ | wc -l) -ge 2 ]"
check_output "prune: nothing older than keep_days, nothing deleted, said so" 'db1: 0 objects deleted, [0-9]+ kept \(keep_days 7\)' \
	bash -c "'$KILN' backup prune '$P' 2>&1"
cp "$T/out" "$T/prune.out"
check "prune: says the operator's bucket has no object lock, and that is no failure" \
	grep -q 'bucket acme-offsite: no object lock' "$T/prune.out"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

# --- no secret in any output
check_no_secret_leaks "$S" "$N/var/lib/kiln" "$R/var/lib/kiln"
