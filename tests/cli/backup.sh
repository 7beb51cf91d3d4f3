#!/usr/bin/env bash
# kiln backup keys init | list | verify | restore over a local directory of
# backup objects that tests/drivers/backup_seal makes with the library code a
# host will use: round trips, and every bad input refused by name (missing
# key, wrong key, tampered, truncated, renamed, unknown object, existing
# output), with nothing half-written and no secret printed.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
SEAL=$ROOT/$KILN_BUILD/drivers/backup_seal
mode() { stat -c %a "$1"; }
# check_exit NAME CODE CMD...: passes when CMD exits with CODE.
check_exit() {
	local name=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -eq "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, wanted $want)"; sed 's/^/#   /' "$T/err" | head -5; fi
}
# flip BYTE FILE: one bit of byte BYTE (0-based) changed in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$1" -N1 "$2" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$2" bs=1 seek="$1" conv=notrunc status=none
}

P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"

# usage
check_output "backup --help" 'Usage: kiln backup keys init' kiln backup --help
check_output "backup keys --help" 'Usage: kiln backup keys init \[PROFILE\]' kiln backup keys --help
check_output "backup list --help" 'Usage: kiln backup list --from DIR' kiln backup list --help
check_output "backup verify --help" 'No plaintext is' kiln backup verify --help
check_output "backup restore --help" 'never overwritten' kiln backup restore --help
check_output "kiln --help names backup" '^  backup ' kiln --help
check_exit "backup without a command exits 2" 2 kiln backup
check_exit "backup frob exits 2" 2 kiln backup frob
check_exit "backup keys without init exits 2" 2 kiln backup keys "$P"
check_exit "backup keys init without PROFILE or --state exits 2" 2 kiln backup keys init
check_exit "backup list without --from exits 2" 2 kiln backup list
check_exit "backup list with an operand exits 2" 2 kiln backup list --from "$T" x.kbk
check_fails "backup list --key is not its option" 'does not apply' kiln backup list --from "$T" --key x
check_exit "backup verify without a key exits 2" 2 kiln backup verify --from "$T"
check_exit "backup verify with --key and --state exits 2" 2 kiln backup verify --from "$T" --key k --state "$S"
check_exit "backup restore without --out exits 2" 2 kiln backup restore a.kbk --from "$T" --state "$S"
check_exit "backup restore of two names exits 2" 2 kiln backup restore a.kbk b.kbk --from "$T" --out "$T" --state "$S"
check_exit "backup restore without a name exits 2" 2 kiln backup restore --from "$T" --out "$T" --state "$S"

# keys
check_fails "backup keys init before keys init" "state directory .* does not exist \(run 'kiln keys init' first\)" \
	kiln backup keys init "$P"
init_state "$P"
check_output "backup keys init creates the pair" '^backup key [0-9A-F]{16}: created \(.*/backup.pub; keep a copy of .*backup.key off' \
	kiln backup keys init "$P"
KEYID=$(sed -n 's/^backup key \([0-9A-F]*\):.*/\1/p' "$T/k.out")
check "backup.key is 0600" test "$(mode "$S/backup.key")" = 600
check "backup.pub is 0644" test "$(mode "$S/backup.pub")" = 644
check_output "backup.pub names the deployment" '^untrusted comment: kiln backup public key acme$' head -1 "$S/backup.pub"
check_output "backup.key names the deployment" '^untrusted comment: kiln backup secret key acme$' head -1 "$S/backup.key"
check "no transaction left" test ! -e "$S/.txn"
cp "$S/backup.key" "$T/backup.key.orig"
check_fails "backup keys init refuses to overwrite" 'already holds a backup key .*refusing to overwrite' kiln backup keys init "$P"
check_fails "... also by --state alone" 'already holds a backup key' kiln backup keys init --state "$S"
check "the key was not changed" cmp -s "$S/backup.key" "$T/backup.key.orig"
mv "$S/backup.pub" "$T/backup.pub.away"
check_fails "a partial pair is refused, not mended" 'backup.key exists without .*backup.pub; refusing to touch a partial' \
	kiln backup keys init "$P"
check "... and left as it was" test ! -e "$S/backup.pub"
setup_profile "$T/c"
init_state "$T/c/p.yaml"
for i in 1 2 3; do "$KILN" backup keys init "$T/c/p.yaml" >"$T/c$i.log" 2>&1 & done; wait
check "three keys init at once: one creates" test "$(cat "$T"/c?.log | grep -c ': created')" = 1
check "... two refuse to overwrite" test "$(cat "$T"/c?.log | grep -c 'refusing to overwrite')" = 2
cat "$T"/c?.log >>"$T/transcript"
mkdir -p "$T/o"
sed 's/name: acme/name: other/' "$P" >"$T/o/p.yaml"
check_fails "another deployment's directory is refused" "holds the keys of another deployment \('acme'; the profile is 'other'\)" \
	kiln backup keys init "$T/o/p.yaml" --state "$S"
mkdir -m 700 "$T/nostate"
check_fails "a directory that is no deployment's is refused" 'cannot read .*deployment' kiln backup keys init --state "$T/nostate"
chmod 0755 "$S"
check_fails "state dir 0755 refused" 'state directory .* chmod 700' kiln backup keys init "$P"
chmod 0700 "$S"

# objects, sealed with the library code hosts use
B=$T/bak
mkdir -p "$B/db1/full" "$B/db1/binlog"
head -c 300000 /dev/urandom >"$T/full.plain"
printf 'binlog events\n' >"$T/binlog.plain"
check "seal a full backup (multi-chunk)" bash -c "'$SEAL' '$T/backup.pub.away' db1/full/20261203T180000Z.kbk mariadb-full 1796320800 4096 <'$T/full.plain' >'$B/db1/full/20261203T180000Z.kbk'"
check "seal a binlog" bash -c "'$SEAL' '$T/backup.pub.away' db1/binlog/mysql-bin.000001.kbk binlog 1796321000 <'$T/binlog.plain' >'$B/db1/binlog/mysql-bin.000001.kbk'"
check "seal an empty stream" bash -c "'$SEAL' '$T/backup.pub.away' empty.kbk binlog 1796321100 </dev/null >'$B/empty.kbk'"
echo "not an object" >"$B/README.txt"
ln -s "$B/empty.kbk" "$B/link.kbk"

# list needs no key
check_output "list shows the full backup" '^db1/full/20261203T180000Z.kbk  mariadb-full  2026-12-03T18:00:00Z  300000 bytes  key [0-9A-F]{16}$' \
	kiln backup list --from "$B"
check_output "... the binlog" '^db1/binlog/mysql-bin.000001.kbk  binlog  .*  14 bytes' cat "$T/k.out"
check_output "... the empty one" '^empty.kbk  binlog  .*  0 bytes' cat "$T/k.out"
check "... sorted, and nothing else (no README, no symlink)" test "$(cut -d' ' -f1 "$T/k.out" | tr '\n' ' ')" = \
	"db1/binlog/mysql-bin.000001.kbk db1/full/20261203T180000Z.kbk empty.kbk "
check_output "list --json" '"objects":\[\{"name":"db1/binlog/mysql-bin.000001.kbk","kind":"binlog"' kiln backup list --from "$B" --json
check "list --json is JSON with three objects, none refused" python3 -c "
import json,sys; d=json.load(open('$T/k.out'))
assert len(d['objects'])==3 and d['refused']==[], d
o=d['objects'][1]; assert o['bytes']==300000 and o['created']=='2026-12-03T18:00:00Z' and o['created_unix']==1796320800, o
assert o['key_id']=='$KEYID' and o['object_bytes']>300000, o"
check_fails "list of a missing directory" 'cannot read the backup directory .*nowhere' kiln backup list --from "$T/nowhere"
mkdir "$T/none"
check "list of an empty directory says so, exit 0" bash -c "'$KILN' backup list --from '$T/none' 2>&1 >/dev/null | grep -q 'no backup objects (\*.kbk) in'"

# the key: missing, misplaced, wrong
check_fails "verify with the pair's public half missing" 'backup.key exists without .*backup.pub' \
	kiln backup verify --from "$B" --state "$S"
mv "$T/backup.pub.away" "$S/backup.pub"
setup_profile "$T/e"
init_state "$T/e/p.yaml"
E=$T/e/.kiln/acme
check_fails "a state directory without a backup key" "holds no backup key .*run 'kiln backup keys init .*/e/p.yaml'" \
	kiln backup verify --from "$B" --profile "$T/e/p.yaml"
check_fails "... by --state too" "run 'kiln backup keys init --state .*/e/.kiln/acme'" kiln backup verify --from "$B" --state "$E"
kiln backup keys init "$T/e/p.yaml" >/dev/null 2>&1
cp "$E/backup.pub" "$T/other.pub"
cp "$S/backup.pub" "$T/mine.pub"; cp "$T/other.pub" "$S/backup.pub"
check_fails "a backup.pub that is not backup.key's is refused" 'backup.pub does not match .*backup.key' \
	kiln backup verify --from "$B" --state "$S"
cp "$T/mine.pub" "$S/backup.pub"
check_fails "--key of a missing file" 'cannot use .*nokey' kiln backup verify --from "$B" --key "$T/nokey"
cp "$S/backup.key" "$T/k.key"; chmod 0644 "$T/k.key"
check_fails "--key readable by others is refused" 'k.key is readable by group/others.*chmod 600' kiln backup verify --from "$B" --key "$T/k.key"
chmod 0600 "$T/k.key"
check_fails "--key of a role key is refused" 'mysql.key is not a kiln backup secret key' \
	kiln backup verify --from "$B" --key "$S/roles/mysql.key"
check_fails "wrong key: every object refused, with both key ids" "db1/full/20261203T180000Z.kbk: refused: sealed to another backup key \(its key id $KEYID, this key's [0-9A-F]{16}\)" \
	kiln backup verify --from "$B" --state "$E"
check_fails "wrong key: restore refused" 'sealed to another backup key' \
	kiln backup restore empty.kbk --from "$B" --out "$T/r0" --state "$E"
check "... nothing written" test ! -e "$T/r0"

# verify: every object authenticated, no plaintext written
snap() { find "$B" -printf '%p %s %T@\n' | sort; ls -A "$T" | grep -vxE 'out|err|k.out|k.err|transcript|needles|.*\.snap'; }
snap >"$T/before.snap"
check_output "verify --state: all ok" '^ok  db1/full/20261203T180000Z.kbk  mariadb-full  2026-12-03T18:00:00Z  300000 bytes$' \
	kiln backup verify --from "$B" --state "$S"
check "... three ok lines" test "$(grep -c '^ok  ' "$T/k.out")" = 3
check_output "verify --profile" '^ok  empty.kbk' kiln backup verify --from "$B" --profile "$P"
check_output "verify --key FILE, one NAME" '^ok  db1/binlog/mysql-bin.000001.kbk' kiln backup verify --from "$B" --key "$T/k.key" db1/binlog/mysql-bin.000001.kbk
check "... only that one" test "$(grep -c '^ok' "$T/k.out")" = 1
check_fails "verify of an unknown NAME" 'no backup object db1/full/nope.kbk in' kiln backup verify --from "$B" --state "$S" db1/full/nope.kbk
check_fails "verify of an empty directory" 'nothing to verify' kiln backup verify --from "$T/none" --state "$S"
snap >"$T/after.snap"
check "verify wrote no file" diff "$T/before.snap" "$T/after.snap"

# restore
check_output "restore into a directory" "^$T/r/20261203T180000Z\$" bash -c "mkdir -p '$T/r' && '$KILN' backup restore db1/full/20261203T180000Z.kbk --from '$B' --out '$T/r' --state '$S'"
check "... the bytes sealed" cmp "$T/full.plain" "$T/r/20261203T180000Z"
check "... mode 0600" test "$(mode "$T/r/20261203T180000Z")" = 600
check_output "restore to a file path" "^$T/r/binlog.1\$" kiln backup restore db1/binlog/mysql-bin.000001.kbk --from "$B" --out "$T/r/binlog.1" --key "$T/k.key"
check "... the bytes sealed" cmp "$T/binlog.plain" "$T/r/binlog.1"
check_output "restore the empty stream" "empty" kiln backup restore empty.kbk --from "$B" --out "$T/r" --profile "$P"
check "... an empty file" test -f "$T/r/empty" -a ! -s "$T/r/empty"
check_fails "restore over an existing file is refused" 'r/binlog.1 exists; refusing to overwrite it' \
	kiln backup restore db1/binlog/mysql-bin.000001.kbk --from "$B" --out "$T/r/binlog.1" --state "$S"
check_fails "... also into a directory holding the name" '20261203T180000Z exists; refusing' \
	kiln backup restore db1/full/20261203T180000Z.kbk --from "$B" --out "$T/r" --state "$S"
check "... the file kept" cmp "$T/full.plain" "$T/r/20261203T180000Z"
check_fails "restore of an unknown object" 'no backup object db1/full/nope.kbk in' \
	kiln backup restore db1/full/nope.kbk --from "$B" --out "$T/r" --state "$S"
check_fails "restore of a path outside the directory" "'../bak/empty.kbk' is not a backup object's name" \
	kiln backup restore ../bak/empty.kbk --from "$B" --out "$T/r" --state "$S"
check_fails "restore of a file that is no object" "'README.txt' is not a backup object's name" \
	kiln backup restore README.txt --from "$B" --out "$T/r" --state "$S"
check_fails "restore through a symbolic link" 'no backup object link.kbk' \
	kiln backup restore link.kbk --from "$B" --out "$T/r" --state "$S"
check_fails "restore into a missing directory" 'cannot write .*nodir/x' \
	kiln backup restore empty.kbk --from "$B" --out "$T/nodir/x" --state "$S"

# tampered, truncated, renamed: refused by name, nothing written
X=$T/bad
cp -r "$B" "$X"; rm -f "$X/link.kbk" "$X/README.txt"
FULL=db1/full/20261203T180000Z.kbk
flip 150000 "$X/$FULL"
check_output "one flipped byte mid-object: list still reads the header" "^$FULL" kiln backup list --from "$X"
check_fails "... verify refuses it by name" "$FULL: refused: does not authenticate" kiln backup verify --from "$X" --state "$S"
check_output "... and still verifies the others" '^ok  empty.kbk' cat "$T/k.out"
check_fails "... restore refuses it" "$FULL: refused: does not authenticate" kiln backup restore "$FULL" --from "$X" --out "$T/r2" --state "$S"
check "... nothing written, no temporary left" test -z "$(ls -A "$T" | grep -E '^r2$|restore-')"
cp "$B/$FULL" "$X/$FULL"
flip 20 "$X/$FULL"
check_fails "a flipped header byte (the chunk size) is refused" "$FULL: refused" kiln backup verify --from "$X" --state "$S" "$FULL"
cp "$B/$FULL" "$X/$FULL"
truncate -s -1 "$X/$FULL"
check_fails "cut by one byte: verify refuses it" "$FULL: refused: does not authenticate \(changed, or cut inside a chunk\)" \
	kiln backup verify --from "$X" --state "$S"
mkdir -p "$T/r3"
check_fails "... restore refuses it" "nothing of $FULL was written to $T/r3/20261203T180000Z" \
	kiln backup restore "$FULL" --from "$X" --out "$T/r3" --state "$S"
check "... the output directory is empty (no temporary file)" test -z "$(ls -A "$T/r3")"
HL=$(( 136 + 12 + ${#FULL} ))
truncate -s $((HL + 4096 + 17)) "$X/$FULL"
check_fails "cut at a chunk boundary: list flags it" "$FULL: refused: ends before its final chunk \(truncated\)" kiln backup list --from "$X"
check_output "... in --json too" '"refused":\[\{"name":"db1/full/20261203T180000Z.kbk","error":"ends before its final chunk \(truncated\)"\}\]' \
	bash -c "'$KILN' backup list --from '$X' --json 2>/dev/null; true"
check_fails "... verify refuses it" "$FULL: refused: ends before its final chunk" kiln backup verify --from "$X" --state "$S"
check_fails "... restore refuses it" 'refused: ends before its final chunk' kiln backup restore "$FULL" --from "$X" --out "$T/r3" --state "$S"
check "... nothing written" test -z "$(ls -A "$T/r3")"
cp "$B/$FULL" "$X/$FULL"
cat "$X/empty.kbk" >>"$X/$FULL"
check_fails "bytes appended: refused" "$FULL: refused" kiln backup verify --from "$X" --state "$S" "$FULL"
rm "$X/$FULL"
mv "$X/db1/binlog/mysql-bin.000001.kbk" "$X/db1/binlog/mysql-bin.000002.kbk"
check_fails "renamed (swapped) object: list names it" 'mysql-bin.000002.kbk: refused: the object carries another name' kiln backup list --from "$X"
check_fails "... verify names both names" 'mysql-bin.000002.kbk: refused: the object carries another name \(moved or swapped\): its header names db1/binlog/mysql-bin.000001.kbk' \
	kiln backup verify --from "$X" --state "$S"
check_fails "... restore refuses it" 'carries another name' kiln backup restore db1/binlog/mysql-bin.000002.kbk --from "$X" --out "$T/r3" --state "$S"
echo "-- MariaDB dump" >"$X/dump.kbk"
check_fails "a .kbk that is no object: list names it" 'dump.kbk: refused: not a kiln backup object' kiln backup list --from "$X"
check_fails "... verify too" 'dump.kbk: refused: not a kiln backup object' kiln backup verify --from "$X" --state "$S" dump.kbk
echo x >"$X/bad name.kbk"
check_fails "a file name objects cannot have" 'bad name.kbk: refused: not a valid object name' kiln backup list --from "$X"
echo x >"$X/$(printf 'esc\033[31mape').kbk"
check_fails "a file name with a control byte is shown without it" 'esc\?\[31mape.kbk: refused: not a valid object name' kiln backup list --from "$X"
check "... in verify too" bash -c "'$KILN' backup verify --from '$X' --state '$S' 2>&1 | grep -q 'esc?\[31mape.kbk: refused' && ! '$KILN' backup verify --from '$X' --state '$S' 2>&1 | grep -q \$'\\033'"
check "restore left nothing anywhere" test -z "$(find "$T" -name '.*restore-*')"

# compressed objects (format version 2, as the hosts write them): list shows
# the compressed size, verify and restore the plaintext's; tampering refused
Z=$T/zbak
mkdir -p "$Z/db1/full"
for i in $(seq 4000); do printf 'INSERT INTO orders VALUES (%d, "customer %d", "standard delivery");\n' "$i" $((i % 97)); done >"$T/z.plain"
ZN=db1/full/20261203T190000Z.kbk
check "seal a compressed full backup" bash -c "'$SEAL' '$S/backup.pub' $ZN mariadb-full 1796324400 4096 3 <'$T/z.plain' >'$Z/$ZN'"
check "... smaller than its plaintext" test "$(stat -c %s "$Z/$ZN")" -lt $(( $(stat -c %s "$T/z.plain") / 4 ))
check_output "list: the compressed size, marked zstd" "^$ZN  mariadb-full  2026-12-03T19:00:00Z  [0-9]+ bytes zstd  key $KEYID\$" kiln backup list --from "$Z"
check_output "list --json names the compression" '"compression":"zstd"' kiln backup list --from "$Z" --json
check_output "... and none for version 1" '"compression":"none"' kiln backup list --from "$B" --json
check_output "verify: the plaintext's size" "^ok  $ZN  mariadb-full  2026-12-03T19:00:00Z  $(stat -c %s "$T/z.plain") bytes\$" kiln backup verify --from "$Z" --state "$S"
check_output "restore: decompressed" "^$T/zr/20261203T190000Z\$" bash -c "mkdir -p '$T/zr' && '$KILN' backup restore $ZN --from '$Z' --out '$T/zr' --state '$S'"
check "... the bytes sealed" cmp "$T/z.plain" "$T/zr/20261203T190000Z"
check "restore --out -: to stdout (authenticated whole first), the bytes sealed" \
	bash -c "'$KILN' backup restore $ZN --from '$Z' --out - --state '$S' 2>/dev/null | cmp - '$T/z.plain'"
check "... a version 1 object too" bash -c "'$KILN' backup restore db1/full/20261203T180000Z.kbk --from '$B' --out - --state '$S' 2>/dev/null | cmp - '$T/full.plain'"
check_fails "--out - with --host: a usage error" '--out - is for one object' kiln backup restore --host db1 --from "$Z" --out - --state "$S"
check "--out - to a terminal: refused (plaintext is not for a screen)" bash -c \
	"script -qec \"'$KILN' backup restore $ZN --from '$Z' --out - --state '$S'\" /dev/null | grep -q 'stdout, which is a terminal'"
cp "$Z/$ZN" "$T/zgood.kbk"
flip $(( $(stat -c %s "$Z/$ZN") / 2 )) "$Z/$ZN"
check_fails "--out - of a tampered object: refused" "nothing of $ZN was written to stdout" kiln backup restore $ZN --from "$Z" --out - --state "$S"
check "... and nothing was" test ! -s "$T/out"
check_fails "a flipped byte of a compressed object: verify refuses it" "$ZN: refused: does not authenticate" kiln backup verify --from "$Z" --state "$S"
check_fails "... restore too, nothing written" "nothing of $ZN was written" kiln backup restore $ZN --from "$Z" --out "$T/zr/again" --state "$S"
check "... nothing there" test ! -e "$T/zr/again"

check_no_secret_leaks "$S"
