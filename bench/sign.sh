#!/usr/bin/env bash
# Signing and verifying a large image: kiln sign/verify vs minisign -S/-V on
# the same file in the same run (both prehash with BLAKE2b-512). Prints the
# best of 3 runs, wall clock and CPU (user+sys), and kiln/minisign ratios
# (< 1 means kiln is faster). Wall time on a shared machine is noisy; CPU time
# is the fairer comparison of the hashing work.
#   bench/sign.sh [SIZE_MIB]   (default 1024)
set -eu
cd "$(dirname "$0")/.."
KILN=${KILN:-build/kiln}
mib=${1:-1024}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp profiles/examples/onprem.yaml "$t/p.yaml"
"$KILN" keys init "$t/p.yaml" >/dev/null
S=$t/.kiln/acme
head -c $((mib << 20)) /dev/urandom >"$t/img"
sync
cat "$t/img" >/dev/null   # warm the page cache for both tools

# run CMD...: prints "wall cpu" in seconds
run() {
	local TIMEFORMAT='%R %U %S' out
	out=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$out"
}
best() { { run "$@"; run "$@"; run "$@"; } | sort -n | head -1; }
report() { # label kiln-line minisign-line
	awk -v l="$1" -v k="$2" -v m="$3" 'BEGIN {
		split(k, a, " "); split(m, b, " ");
		printf "%-7s wall kiln %6.3fs minisign %6.3fs ratio %.2f | cpu kiln %6.3fs minisign %6.3fs ratio %.2f\n",
			l, a[1], b[1], a[1] / b[1], a[2], b[2], a[2] / b[2] }'
}
ks=$(best "$KILN" sign "$t/img" --state "$S")
ms=$(best minisign -S -s "$S/operator.key" -m "$t/img" -x "$t/ms.minisig")
kv=$(best "$KILN" verify "$t/img" --state "$S")
mv=$(best minisign -V -p "$S/operator.pub" -m "$t/img" -x "$t/ms.minisig")
echo "$mib MiB image"
report sign: "$ks" "$ms"
report verify: "$kv" "$mv"
