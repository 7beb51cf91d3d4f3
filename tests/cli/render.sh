#!/usr/bin/env bash
# kiln render: golden files for every example's every host, nft -c on every
# ruleset, the on-prem data hosts' narrow accepts, and every error path.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/golden/render_lib.sh"
cd "$ROOT"

nft_check() { # FILE: the real nft parser; without root, inside a user+net namespace
	if [ "$(id -u)" = 0 ]; then nft -c -f "$1"; else unshare -rn nft -c -f "$1"; fi
}

for p in profiles/examples/*.yaml; do
	ex=$(basename "$p" .yaml)
	check "$ex: golden files exist (else run tests/golden/update.sh)" test -d "tests/golden/render/$ex"
	for h in $(profile_hosts "$KILN" "$p"); do
		check "$ex/$h: kiln render succeeds" render_host_to "$KILN" "$p" "$h" "$T/$ex"
		check "$ex/$h: files match tests/golden/render/$ex/$h" diff -r "tests/golden/render/$ex/$h" "$T/$ex/$h"
		check "$ex/$h: file modes match" diff "tests/golden/render/$ex/$h.modes" "$T/$ex/$h.modes"
		check "$ex/$h: nft -c accepts nftables.conf" nft_check "$T/$ex/$h/etc/nftables.conf"
	done
done

# On-prem: the data hosts accept 3306 (db1) / 9000 (minio1) from the app
# host's address only, nothing from the rest of the app subnet, and SSH only
# from the admin range. The input chain's accept-by-port rules, exactly:
elements() { sed -n "/set $2 {/,/}/s/^\s*elements = //p" "$1"; }
db=$T/onprem/db1/etc/nftables.conf mi=$T/onprem/minio1/etc/nftables.conf
check_output "onprem/db1: only SSH and 3306 accepted" \
	'^tcp dport 22 ip saddr @ssh_from counter name "ssh_accept" accept,tcp dport 3306 ip saddr @tcp_3306_from counter name "tcp_3306_accept" accept,$' \
	bash -c "grep -E '^\s+(tcp|udp) dport' '$db' | sed 's/^\s*//' | tr '\n' ','"
check_output "onprem/db1: 3306 only from app1's address" '^\{ 192\.168\.40\.200 \}$' elements "$db" tcp_3306_from
check_output "onprem/minio1: only SSH and 9000 accepted" \
	'^tcp dport 22 ip saddr @ssh_from counter name "ssh_accept" accept,tcp dport 9000 ip saddr @tcp_9000_from counter name "tcp_9000_accept" accept,$' \
	bash -c "grep -E '^\s+(tcp|udp) dport' '$mi' | sed 's/^\s*//' | tr '\n' ','"
check_output "onprem/minio1: 9000 only from app1's address" '^\{ 192\.168\.40\.200 \}$' elements "$mi" tcp_9000_from
check_output "onprem: SSH only from the admin range" '^\{ 192\.168\.40\.0/26 \}$' elements "$db" ssh_from
check "onprem/db1: nothing names the app subnet" bash -c "! grep -q '192.168.40.192' '$db' '$mi'"
check_output "onprem/app1: serves 80 and 443" 'tcp dport \{ 80, 443 \} counter name "web_accept" accept' cat "$T/onprem/app1/etc/nftables.conf"

# Options in any position, --help, and every error path.
check "options before the profile" "$KILN" render --out "$T/any" --host minio1 profiles/examples/onprem.yaml
check "same output whatever the option order" diff -r "$T/any" "$T/onprem/minio1"
check_output "render --help" '^Usage: kiln render PROFILE --host NAME --out DIR' "$KILN" render --help
check_fails "unknown host" "no host named 'nope'" \
	"$KILN" render profiles/examples/onprem.yaml --host nope --out "$T/x"
check_fails "unknown host lists the hosts" "hosts are: app1, db1, minio1" \
	"$KILN" render profiles/examples/onprem.yaml --host nope --out "$T/x"
check "unknown host writes nothing" test ! -e "$T/x"
check_fails "missing profile" 'missing.yaml:1:1: error: the profile is missing' \
	"$KILN" render "$T/missing.yaml" --host db1 --out "$T/x"
check_fails "bad profile shows file:line:col" 'bad.yaml:[0-9]+:[0-9]+: error' \
	bash -c "printf 'kiln: 1\nbogus: 1\n' >'$T/bad.yaml'; '$KILN' render '$T/bad.yaml' --host db1 --out '$T/x'"
check_fails "no --host is a usage error" 'needs one PROFILE, --host NAME and --out DIR' \
	"$KILN" render profiles/examples/onprem.yaml --out "$T/x"
"$KILN" render profiles/examples/onprem.yaml --out "$T/x" 2>/dev/null
check "usage error exits 2" test $? = 2
check_fails "unknown option" 'unrecognized option' "$KILN" render --frob profiles/examples/onprem.yaml
: >"$T/file"
check_fails "output under a regular file" 'cannot create .*: Not a directory' \
	"$KILN" render profiles/examples/onprem.yaml --host db1 --out "$T/file/sub"
# The profile is an input: a FIFO is refused at once; no output may replace it.
mkfifo "$T/fifo.yaml"
check_fails "FIFO as profile: refused, not waited on" 'fifo.yaml:1:1: error: the profile is not a regular file' \
	timeout 10 "$KILN" render "$T/fifo.yaml" --host db1 --out "$T/x"
mkdir -p "$T/self/etc"
cp profiles/examples/onprem.yaml "$T/self/etc/hosts"
check_fails "an output that is the profile" "$T/self/etc/hosts is the profile .*refusing to replace it" \
	"$KILN" render "$T/self/etc/hosts" --host db1 --out "$T/self"
check "... the profile is intact" cmp -s profiles/examples/onprem.yaml "$T/self/etc/hosts"
mkdir -p "$T/ro/etc" && chmod 0555 "$T/ro/etc"
if [ "$(id -u)" != 0 ]; then
	check_fails "unwritable output directory" 'cannot write db1' \
		"$KILN" render profiles/examples/onprem.yaml --host db1 --out "$T/ro"
fi
check "no temporary files left behind" bash -c "! find '$T/onprem' -name '*.tmp-*' | grep -q ."
