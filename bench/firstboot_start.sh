#!/usr/bin/env bash
# kiln-firstboot's start, the cost kiln-metrics.timer pays every 30 s on every
# monitored host: this tree's binary (libcurl, libxml2 and libarchive loaded on
# first use, firstboot/lazy_libs.c) against REV's (default: the commit before
# that loader, every library linked), both run under qemu-x86_64, user-mode
# TCG: the appliance's CPU under QEMU without a VM. Paired runs (farm-bench
# --vs), so the ratio holds on a noisy machine.
#   make && bench/firstboot_start.sh [REV]
# Needs qemu-user (apt-get install qemu-user; not in make deps) and farm-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-d9ae8b5^}
command -v qemu-x86_64 >/dev/null || { echo "bench: qemu-x86_64 is missing (apt-get install qemu-user)" >&2; exit 2; }
command -v farm-bench >/dev/null || { echo "bench: farm-bench is missing" >&2; exit 2; }
[ -x build/kiln-firstboot ] || { echo "bench: build/kiln-firstboot is missing (make)" >&2; exit 2; }
T=$(mktemp -d)
trap 'git worktree remove --force "$T/old" >/dev/null 2>&1; rm -rf "$T"' EXIT
git worktree add -q --detach "$T/old" "$rev"
make -s -C "$T/old" build/kiln-firstboot >/dev/null
new=build/kiln-firstboot old=$T/old/build/kiln-firstboot
echo "# shared objects at start: this tree $(ldd "$new" | wc -l), $rev $(ldd "$old" | wc -l)"
for args in "version" "metrics --help"; do
	echo "# kiln-firstboot $args: this tree (A) against $rev (B)"
	farm-bench -n 20 --warmup 2 --vs "qemu-x86_64 $old $args" -- qemu-x86_64 "$new" $args
done
