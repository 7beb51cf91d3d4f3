#!/usr/bin/env bash
# Layout time of two builds of kiln on the same rootfs tar, alternating runs
# in one session (so both see the same machine load):
#   bench/layout_ab.sh BEFORE_LIBKILN.a AFTER_LIBKILN.a TAR [RUNS]
# e.g. the layout before and after a change to images/:
#   git archive OLD | tar -x -C /tmp/old && make -C /tmp/old build/libkiln.a
#   make && bench/layout_ab.sh /tmp/old/build/libkiln.a build/libkiln.a ~/.cache/kiln/rootfs/X.tar
# Prints each run's seconds and the medians, and the after/before ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 BEFORE_LIBKILN.a AFTER_LIBKILN.a TAR [RUNS]" >&2; exit 2; }
before=$1 after=$2 tar_path=$3 runs=${4:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-ab.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8
DISK_MIB=${DISK_MIB:-4096}
libs=$(pkg-config --libs libarchive fdisk libsodium ext2fs)
for v in before after; do
	lib=${!v}
	# the driver is compiled against each tree's own headers
	cc -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -I"$(dirname "$lib")/.." -o "$W/driver-$v" \
		bench/layout_driver.c "$lib" $libs -lpthread
done
now() { date +%s.%N; }
echo "tar: $tar_path ($(( $(stat -c %s "$tar_path") >> 20 )) MiB), disk $DISK_MIB MiB, $runs runs each, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
	for v in before after; do
		t0=$(now)
		"$W/driver-$v" "$tar_path" "$W/$v.img" "$DISK_MIB" bench/layout 2>"$W/$v.log" || { cat "$W/$v.log"; exit 1; }
		t1=$(now)
		awk "BEGIN { printf \"%s %d %.2f\n\", \"$v\", $i, $t1 - $t0 }" | tee -a "$W/times"
		rm -f "$W/$v.img"
	done
done
med() { awk -v v="$1" '$1 == v { print $3 }' "$W/times" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
b=$(med before) a=$(med after)
awk "BEGIN { printf \"median: before %.2f s, after %.2f s, after/before %.3f\n\", $b, $a, $a / $b }"
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
