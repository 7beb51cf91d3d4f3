#!/usr/bin/env bash
# Backup and restore throughput: kiln's sealed backups against the plain
# pipeline an operator would script, in one run, on the same database and
# the same S3 endpoint (issue 13: kiln's encryption costs under 20 %).
#
#   bench/backup.sh [MIB] [ROUNDS] [CONF...]
#     MIB     rows to load into a private MariaDB, in MiB of the table's file (default 300)
#     ROUNDS  alternating rounds of each pair (default 3; one warm-up round first)
#     CONF    kiln configurations to measure, each ZSTD_LEVEL:ZSTD_WORKERS
#             (backup.conf's zstd_level/zstd_workers; 0:0 = sealed, not
#             compressed: format version 1); default: the built-in default
#
# Backup, per round and configuration, alternating:
#   kiln    kiln-firstboot backup full (mariadb-backup --stream=xbstream, sealed
#           (and compressed) in the agent, uploaded by it: firstboot/s3.c)
#   plain   mariadb-backup --backup --stream=xbstream | zstd | s3_put
# s3_put (bench/s3_put.c) is kiln's own uploader (firstboot/s3.c) reading
# stdin: both sides upload with the same code, the same 8 MiB parts, so only
# what kiln does to the stream differs. (curl --aws-sigv4 -T - would send a
# chunked body, which S3 refuses without a length.)
# Restore, alternating:
#   kiln    GET the object to a file, kiln backup restore NAME --extract (the
#           object decrypted straight into mbstream -x, in one pass, into a
#           private staging directory that becomes the result only once the
#           whole object authenticated and mbstream exited 0: what every kiln
#           restore of a full backup does since issue 13's change)
#   staged  GET the object to a file, kiln backup restore NAME (decrypts and
#           authenticates the whole object into a 0600 file, fsynced), then
#           mbstream -x from that file: what every kiln restore did before
#   plain   GET | zstd -d | mbstream -x
# Each pair runs in both orders (kiln first in even rounds), each run after a
# sync, so neither side pays for the other's writeback.
# Downloads are curl --aws-sigv4 on both sides. The S3 endpoint is the S3
# stand-in (tests/fixtures/s3server, Python) on loopback: its own speed is
# the same for both sides, and part of both times.
# Prints per run the wall and CPU seconds (user+sys of the client-side
# processes: mariadb-backup, zstd, the uploader/kiln, curl, mbstream; not
# the servers') and the object's size, then the medians and kiln/plain.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MIB=${1:-300}
ROUNDS=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
CONFS=("$@")
[ ${#CONFS[@]} -gt 0 ] || CONFS=(default)
for tool in mariadbd mariadb-backup mbstream zstd curl s3cmd /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/backup.sh: $tool is not installed" >&2; exit 1; }
done
make -s all >/dev/null
T=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-backup.XXXXXX")
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
trap 'set +e; mariadb_stop; s3_stop; rm -rf "$T"' EXIT   # set +e: a kill of what already ended must not stop the cleanup
KILN=$ROOT/build/kiln
FB=$ROOT/build/kiln-firstboot
cc -O2 -I. -o "$T/s3_put" bench/s3_put.c build/libfirstboot.a build/libkiln.a \
	$(pkg-config --libs libcurl libsodium libxml-2.0 libcrypto) -lpthread

# --- the database: MIB of rows that compress about as a business database's do
mariadb_start "$T/db" >/dev/null
sql() { mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -N -B "$@"; }
sql -e "CREATE DATABASE shop; CREATE DATABASE seq; CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, ref CHAR(32), customer VARCHAR(64),
	item VARCHAR(64), note VARCHAR(200), qty INT, price DECIMAL(10,2), placed DATETIME) ENGINE=InnoDB;"
rows=$(( MIB * 1048576 / 177 ))         # about 177 bytes of the table's file per row
for (( from = 1; from <= rows; from += 200000 )); do
	to=$(( from + 199999 < rows ? from + 199999 : rows ))
	sql -e "INSERT INTO shop.orders SELECT seq, MD5(seq),
		CONCAT(ELT(1 + seq % 9, 'Anna', 'Bernd', 'Chen', 'Dana', 'Emil', 'Fatma', 'Goran', 'Hana', 'Ivo'), ' ',
		       ELT(1 + (seq DIV 9) % 7, 'Meyer', 'Novak', 'Okafor', 'Petrov', 'Quist', 'Rossi', 'Schmidt'), ' ', seq % 5000),
		CONCAT('SKU-', LPAD(seq * 7919 % 100000, 6, '0'), ' ', ELT(1 + seq % 5, 'bolt', 'nut', 'washer', 'gear', 'spring')),
		CONCAT('delivery ', ELT(1 + seq % 4, 'standard', 'express', 'pickup', 'freight'), ', ref ', CONV(seq * 2654435761 % 4294967296, 10, 36),
		       IF(seq % 3 = 0, CONCAT(', note: ', SHA1(seq)), '')),
		1 + seq % 40, (seq * 37 % 100000) / 100, '2026-01-01' + INTERVAL (seq % 28000000) SECOND
		FROM seq.seq_${from}_to_${to};"
done
sql -e "FLUSH TABLES; SET GLOBAL innodb_max_dirty_pages_pct = 0;" >/dev/null
data_mib=$(du -sm "$T/db/data" | cut -f1) table_mib=$(du -sm "$T/db/data/shop" | cut -f1)

# --- the S3 endpoint, the bucket, the keys
mkdir -p "$T/s3"
s3_start "$T/s3" >/dev/null
s3cmd_config "$T/s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
s3cmd -c "$T/s3cfg" mb s3://bench-backups >/dev/null
export BENCH_S3_AK=$S3_ROOT_USER BENCH_S3_SK=$S3_ROOT_PASSWORD
(umask 077; printf 'user = "%s:%s"\n' "$S3_ROOT_USER" "$S3_ROOT_PASSWORD" >"$T/curl.cfg")
get() { curl -sS --fail --noproxy '*' --aws-sigv4 aws:amz:us-east-1:s3 -K "$T/curl.cfg" "$S3_ENDPOINT/bench-backups/$1"; }
mkdir -p "$T/lb"
cp tests/profiles/fixtures/loopback.yaml "$T/lb/p.yaml"
printf 'backup: {}\n' >>"$T/lb/p.yaml"
S=$T/lb/state
"$KILN" keys init "$T/lb/p.yaml" --state "$S" >/dev/null 2>&1
"$KILN" backup keys init "$T/lb/p.yaml" --state "$S" >/dev/null 2>&1
R=$T/root
mkdir -p "$R/etc/kiln/tls" "$R/etc/kiln/secrets"
chmod 700 "$R/etc/kiln/secrets"
cp "$S/backup.pub" "$R/etc/kiln/tls/backup.pub"
(umask 077; printf '%s' "$S3_ROOT_USER" >"$R/etc/kiln/secrets/minio_backup_access_key"
	printf '%s' "$S3_ROOT_PASSWORD" >"$R/etc/kiln/secrets/minio_backup_secret_key")
conf() { # LEVEL:WORKERS or default
	printf 'host=db1\nendpoint=%s\nbucket=bench-backups\nsocket=%s\n' "$S3_ENDPOINT" "$MARIADB_SOCKET" >"$R/etc/kiln/backup.conf"
	[ "$1" = default ] || printf 'zstd_level=%s\nzstd_workers=%s\n' "${1%%:*}" "${1##*:}" >>"$R/etc/kiln/backup.conf"
}
echo "database: $rows rows, shop.orders $table_mib MiB, data directory $data_mib MiB; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# timed NAME CMD...: appends "NAME wall cpu" to $T/times
timed() {
	local name=$1; shift
	/usr/bin/time -f "%e %U %S" -o "$T/t" "$@" >/dev/null 2>"$T/err" || { echo "$name failed:"; cat "$T/err"; exit 1; }
	read -r e u s <"$T/t"
	echo "$name $e $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" >>"$T/times"
}
newest() { s3cmd -c "$T/s3cfg" ls -r "s3://bench-backups/$1" | sort | tail -1 | awk '{print $3, $4}'; }
: >"$T/times"
: >"$T/steps"
for (( round = 0; round <= ROUNDS; round++ )); do
	for c in "${CONFS[@]}"; do
		conf "$c"
		rm -rf "$T/rk" "$T/rs" "$T/x"
		mkdir -p "$T/rk/db1/full" "$T/x/s" "$T/x/p"
		sleep 1   # a new second: a new object name
		# each pair in both orders (kiln first in even rounds), every step after a sync:
		# no run pays for the writeback of the one before
		for side in $( (( round % 2 )) && echo "plain kiln" || echo "kiln plain"); do
			sync
			if [ "$side" = kiln ]; then
				timed "backup-kiln-$c" "$FB" backup full --root "$R"
			else
				timed "backup-plain" bash -c "mariadb-backup --backup --stream=xbstream --user=root --socket='$MARIADB_SOCKET' 2>/dev/null |
					zstd -q | '$T/s3_put' '$S3_ENDPOINT' bench-backups plain/r$round.xb.zst"
			fi
		done
		read -r kbytes kobj < <(newest db1/full/)
		read -r pbytes _ < <(newest plain/r$round)
		name=${kobj#s3://bench-backups/}
		for side in $( (( round % 2 )) && echo "plain staged kiln" || echo "kiln staged plain"); do
			sync
			if [ "$side" = kiln ]; then
				# kiln backup restore --extract: decrypted, authenticated and extracted
				# at once; $T/x/k appears only once all of the object authenticated
				timed "restore-kiln-$c" bash -c "$(declare -f get); T='$T' S3_ENDPOINT='$S3_ENDPOINT'
					rm -rf '$T/rs' '$T/x/k'; mkdir -p '$T/rs/db1/full' && get '$name' >'$T/rs/$name' &&
					'$KILN' backup restore '$name' --from '$T/rs' --out '$T/x/k' --extract --state '$S'"
			elif [ "$side" = staged ]; then
				# the three steps of the staged restore also timed apart ($T/steps)
				timed "restore-kiln-staged-$c" bash -c "$(declare -f get); T='$T' S3_ENDPOINT='$S3_ENDPOINT'
					rm -rf '$T/rk/plain.xb'; t0=\$(date +%s.%N); get '$name' >'$T/rk/$name' || exit 1
					t1=\$(date +%s.%N); '$KILN' backup restore '$name' --from '$T/rk' --out '$T/rk/plain.xb' --state '$S' || exit 1
					t2=\$(date +%s.%N); mbstream -x -C '$T/x/s' <'$T/rk/plain.xb' || exit 1
					t3=\$(date +%s.%N); echo \"$c \$t0 \$t1 \$t2 \$t3\" >>'$T/steps'"
			else
				timed "restore-plain" bash -c "$(declare -f get); T='$T' S3_ENDPOINT='$S3_ENDPOINT'
					set -o pipefail; get plain/r$round.xb.zst | zstd -dq | mbstream -x -C '$T/x/p'"
			fi
		done
		# two backups taken one after the other: the same files (InnoDB's own may differ in content)
		diff <(cd "$T/x/k" && find . -type f | sort) <(cd "$T/x/p" && find . -type f | sort) &&
			diff <(cd "$T/x/s" && find . -type f | sort) <(cd "$T/x/p" && find . -type f | sort) &&
			cmp -s "$T/x/k/shop/orders.frm" "$T/x/p/shop/orders.frm" || { echo "the two restores differ"; exit 1; }
		if (( round == 0 )); then
			echo "warm-up done ($c): kiln object $(( kbytes / 1048576 )) MiB, plain object $(( pbytes / 1048576 )) MiB"
			: >"$T/times"
			: >"$T/steps"
			echo "sizes $c $kbytes $pbytes" >"$T/sizes.$c"
		fi
		s3cmd -c "$T/s3cfg" del -r --force s3://bench-backups/ >/dev/null
	done
done
echo
echo "per run (wall s, cpu s):"
sort -k1,1 -s "$T/times" | awk '{printf "  %-24s %7.2f %7.2f\n", $1, $2, $3}'
echo
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$T/times" | median; }
printf '%-10s %-8s %10s %10s %10s %10s %9s %9s %12s\n' conf what "kiln wall" "plain wall" "kiln cpu" "plain cpu" "wall k/p" "cpu k/p" "object k/p"
for c in "${CONFS[@]}"; do
	read -r _ _ kb pb <"$T/sizes.$c"
	for what in backup restore; do
		kw=$(col "$what-kiln-$c" 2); pw=$(col "$what-plain" 2); kc=$(col "$what-kiln-$c" 3); pc=$(col "$what-plain" 3)
		awk -v c="$c" -v w="$what" -v kw="$kw" -v pw="$pw" -v kc="$kc" -v pc="$pc" -v kb="$kb" -v pb="$pb" \
			'BEGIN {printf "%-10s %-8s %10.2f %10.2f %10.2f %10.2f %9.2f %9.2f %12.2f\n", c, w, kw, pw, kc, pc, kw/pw, kc/pc, kb/pb}'
	done
done
echo
for c in "${CONFS[@]}"; do
	kw=$(col "restore-kiln-staged-$c" 2); pw=$(col "restore-plain" 2); kc=$(col "restore-kiln-staged-$c" 3); pc=$(col "restore-plain" 3)
	awk -v c="$c" -v kw="$kw" -v pw="$pw" -v kc="$kc" -v pc="$pc" \
		'BEGIN {printf "%-10s %-8s %10.2f %10.2f %10.2f %10.2f %9.2f %9.2f   (staged: into a file, then mbstream -x; before issue 13)\n", c, "restore", kw, pw, kc, pc, kw/pw, kc/pc}'
done
echo
echo "the staged restore in steps (median s): download, decrypt + authenticate (+ decompress) into a file, mbstream -x"
for c in "${CONFS[@]}"; do
	printf '%-10s %8.2f %8.2f %8.2f\n' "$c" \
		"$(awk -v c="$c" '$1 == c {print $3 - $2}' "$T/steps" | median)" \
		"$(awk -v c="$c" '$1 == c {print $4 - $3}' "$T/steps" | median)" \
		"$(awk -v c="$c" '$1 == c {print $5 - $4}' "$T/steps" | median)"
done
exit 0
