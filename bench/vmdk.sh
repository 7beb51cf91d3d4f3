#!/usr/bin/env bash
# Raw -> streamOptimized VMDK: kiln convert vs qemu-img convert on the same
# image in the same run. Prints times, output sizes and kiln/qemu-img ratios,
# then the same for each codec/level kiln offers (how the default was picked).
#   bench/vmdk.sh [WORKDIR]      (default: a fresh mktemp -d, removed at the end)
# The image: a 2 GiB sparse file with ~700 MB of data (a tar of /usr/lib in
# 50 MB pieces with holes between them, plus 40 MB of written zeros), so
# real-ish data, holes and allocated-but-zero blocks all count.
# Needs: build/kiln (make) and qemu-img (qemu-utils).
set -eu
cd "$(dirname "$0")/.."
KILN=${KILN:-build/kiln}
[ -x "$KILN" ] || { echo "build kiln first (make)" >&2; exit 1; }
if [ $# -ge 1 ]; then W=$1; mkdir -p "$W"; else W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; fi
IMG=$W/bench.raw

if [ ! -s "$IMG" ]; then
	echo "building $IMG ..." >&2
	truncate -s 2G "$IMG.tmp"
	# 14 pieces of 50 MB of /usr/lib's tar, each at a 140 MiB stride.
	tar cf - --sort=name /usr/lib 2>/dev/null | head -c $((700 * 1000 * 1000)) >"$W/data.tar" || true
	for i in $(seq 0 13); do
		dd if="$W/data.tar" of="$IMG.tmp" bs=1M iflag=skip_bytes,count_bytes skip=$((i * 50000000)) \
			count=50000000 seek=$((i * 140 + 4)) conv=notrunc status=none
	done
	dd if=/dev/zero of="$IMG.tmp" bs=1M count=40 seek=2000 conv=notrunc status=none
	rm -f "$W/data.tar"
	mv "$IMG.tmp" "$IMG"
fi
cat "$IMG" >/dev/null   # warm the page cache for both tools alike

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
# run NAME OUT CMD...: time CMD, print "NAME wall-seconds cpu-seconds bytes".
# CPU seconds (user+sys) are printed too: on a shared, loaded machine they
# vary less than wall time.
run() {
	local name=$1 out=$2; shift 2
	rm -f "$out"
	local TIMEFORMAT='%R %U %S' tm
	tm=$({ time "$@" >/dev/null 2>&1; } 2>&1)
	read -r wall usr sys <<<"$tm"
	printf '%s %s %s %d\n' "$name" "$wall" "$(calc "$usr + $sys")" "$(stat -c %s "$out")"
}

echo "load before: $(cut -d" " -f1-3 /proc/loadavg)"
echo "image: $(du -h --apparent-size "$IMG" | cut -f1) apparent, $(du -h "$IMG" | cut -f1) allocated; $(nproc) CPUs"
# best (lowest wall time) of two results "NAME wall cpu bytes"
best() { if [ -z "$1" ] || awk "BEGIN { exit !($(cut -d' ' -f2 <<<"$2") < $(cut -d' ' -f2 <<<"$1")) }"; then echo "$2"; else echo "$1"; fi; }
# The head-to-head runs interleaved BENCH_RUNS times (default 3), best of each:
# the machine may be shared, and the best run is the least disturbed one.
q= k=
for _ in $(seq "${BENCH_RUNS:-3}"); do
	q=$(best "$q" "$(run qemu-img "$W/q.vmdk" qemu-img convert -O vmdk -o subformat=streamOptimized "$IMG" "$W/q.vmdk")")
	k=$(best "$k" "$(run "kiln(default)" "$W/k.vmdk" "$KILN" convert "$IMG" --to vmdk "$W/k.vmdk")")
done
qemu-img compare -q "$IMG" "$W/k.vmdk" || { echo "kiln output differs from the raw image!" >&2; exit 1; }
read -r _ qt qc qs <<<"$q"
printf '%-22s %8s %8s %12s %10s %10s\n' tool wall-s cpu-s bytes wall/qemu size/qemu
show() {
	read -r n t c s <<<"$1"
	printf '%-22s %8.2f %8.2f %12d %10.2f %10.3f\n' "$n" "$t" "$c" "$s" "$(calc "$t / $qt")" "$(calc "$s / $qs")"
}
show "$q"
show "$k"
read -r _ kt kc ks <<<"$k"
printf 'kiln is %.1fx faster than qemu-img (wall; %.1fx less CPU); output %.1f%% of qemu-img'"'"'s\n' \
	"$(calc "$qt / $kt")" "$(calc "$qc / $kc")" "$(calc "100 * $ks / $qs")"
[ "${BENCH_QUICK:-0}" = 1 ] && exit 0

echo "codec/level sweep (all threads, one run each):"
for cl in libdeflate:1 libdeflate:4 libdeflate:6 libdeflate:9 zlib:1 zlib:6 zlib:9; do
	show "$(run "kiln-${cl%:*}-${cl#*:}" "$W/s.vmdk" "$KILN" convert "$IMG" --to vmdk "$W/s.vmdk" \
		--compressor "${cl%:*}" --level "${cl#*:}")"
done
echo "threads (default codec):"
for j in 1 2; do
	show "$(run "kiln-threads-$j" "$W/s.vmdk" "$KILN" convert "$IMG" --to vmdk "$W/s.vmdk" --threads $j)"
done
rm -f "$W/s.vmdk" "$W/q.vmdk" "$W/k.vmdk"
echo "load after: $(cut -d" " -f1-3 /proc/loadavg)"
