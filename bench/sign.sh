#!/usr/bin/env bash
# Signing and verifying a large image: kiln sign/verify vs minisign -S/-V on
# the same file in the same run (both prehash with BLAKE2b-512). Prints times
# and kiln/minisign ratios (< 1 means kiln is faster), best of 3 runs each.
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
cat "$t/img" >/dev/null   # warm the page cache for both tools
now() { date +%s.%N; }
run() { local a b; a=$(now); "$@" >/dev/null 2>&1; b=$(now); awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'; }
best() { # best of 3 runs
	local x y z; x=$(run "$@"); y=$(run "$@"); z=$(run "$@")
	printf '%s\n%s\n%s\n' "$x" "$y" "$z" | sort -n | head -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ks=$(best "$KILN" sign "$t/img" --state "$S")
ms=$(best minisign -S -s "$S/operator.key" -m "$t/img" -x "$t/ms.minisig")
kv=$(best "$KILN" verify "$t/img" --state "$S")
mv=$(best minisign -V -p "$S/operator.pub" -m "$t/img" -x "$t/ms.minisig")
printf '%s MiB image\n' "$mib"
printf 'sign:   kiln %6.3fs  minisign %6.3fs  ratio %.2f\n' "$ks" "$ms" "$(ratio "$ks" "$ms")"
printf 'verify: kiln %6.3fs  minisign %6.3fs  ratio %.2f\n' "$kv" "$mv" "$(ratio "$kv" "$mv")"
