#!/usr/bin/env bash
# ext4 from a tar: kiln's ext4_from_tar (libext2fs, straight from the tar
# stream) against the usual pipeline: extract the tar to a directory, then
# mkfs.ext4 -d DIR. Same tar, same image size, same run.
#   bench/ext4.sh [DIR...]     directories under / to put in the tar
#                              (default: usr/share usr/bin usr/sbin)
set -euo pipefail
cd "$(dirname "$0")/.."
make -s all >/dev/null
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(usr/share usr/bin usr/sbin)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-ext4.XXXXXX")
trap 'rm -rf "$work"' EXIT

cc -O2 -I. -o "$work/ext4_bench" bench/ext4_bench.c build/libkiln.a \
	$(pkg-config --libs ext2fs libarchive) -lpthread
tar -C / --numeric-owner -cf "$work/root.tar" "${dirs[@]}" 2>/dev/null || true
tar_bytes=$(stat -c %s "$work/root.tar")
entries=$(tar -tf "$work/root.tar" | wc -l)
size_mib=$(( tar_bytes * 3 / 2 / 1048576 + 256 ))
cat "$work/root.tar" >/dev/null                 # both start with the tar in the page cache
echo "tar: ${dirs[*]}: $((tar_bytes / 1048576)) MiB, $entries entries; image ${size_mib} MiB"

now() { date +%s.%N; }
t0=$(now)
"$work/ext4_bench" "$work/kiln.img" "$size_mib" "$work/root.tar"
t1=$(now)
mkdir "$work/tree"
tar -C "$work/tree" --numeric-owner -xpf "$work/root.tar"
t2=$(now)
truncate -s "${size_mib}M" "$work/peer.img"
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 -d "$work/tree" "$work/peer.img"
t3=$(now)

e2fsck -fn "$work/kiln.img" >/dev/null 2>&1 && kfsck=clean || kfsck=ERRORS
e2fsck -fn "$work/peer.img" >/dev/null 2>&1 && pfsck=clean || pfsck=ERRORS
awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" \
    -v kd="$(du -m "$work/kiln.img" | cut -f1)" -v pd="$(du -m "$work/peer.img" | cut -f1)" \
    -v kf="$kfsck" -v pf="$pfsck" 'BEGIN {
	k = t1 - t0; x = t2 - t1; m = t3 - t2
	printf "kiln ext4_from_tar:         %7.2f s   allocated %6d MiB   e2fsck %s\n", k, kd, kf
	printf "peer extract + mkfs.ext4 -d: %6.2f s   allocated %6d MiB   e2fsck %s\n", x + m, pd, pf
	printf "    (extract %.2f s, mkfs.ext4 -d %.2f s)\n", x, m
	printf "speedup (peer / kiln):       %6.2fx\n", (x + m) / k
}'
