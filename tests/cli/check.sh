#!/usr/bin/env bash
# kiln check: every example passes; every bad profile under tests/profiles/bad/
# fails with the FILE:LINE:COL diagnostic its first line ("# expect: ...") names.
. "$(dirname "$0")/../lib.sh"

for f in "$ROOT"/profiles/examples/*.yaml; do
	check "check example $(basename "$f")" "$KILN" check "$f"
	"$KILN" check --json "$f" >"$T/model.json" 2>"$T/err"
	check "--json of $(basename "$f") is valid JSON" python3 -m json.tool "$T/model.json"
done
# Real netplan is the oracle for the ethernets subset: what kiln accepts, netplan must too.
for f in "$ROOT"/profiles/examples/*.yaml; do
	grep -q '^ *ethernets:' "$f" || continue
	"$KILN" check --json "$f" >"$T/model.json"
	rm -rf "$T/np" && mkdir "$T/np"
	roots=$(python3 "$ROOT/tests/tools/model_to_netplan.py" "$T/model.json" "$T/np")
	good=1
	for r in $roots; do
		netplan generate --root-dir "$r" 2>"$T/err" && ls "$r"/run/systemd/network/*.network >/dev/null 2>&1 || { good=0; cat "$T/err"; }
	done
	[ -n "$roots" ] && [ $good -eq 1 ] && ok "netplan generate accepts ethernets of $(basename "$f")" \
		|| not_ok "netplan generate accepts ethernets of $(basename "$f")"
done
# Golden: the summary and the JSON model of the on-prem example (other tools read the JSON).
(cd "$ROOT" && "$KILN" check profiles/examples/onprem.yaml) >"$T/summary.txt" 2>&1
check "summary matches tests/golden/check-onprem.txt" diff -u "$ROOT/tests/golden/check-onprem.txt" "$T/summary.txt"
(cd "$ROOT" && "$KILN" check --json profiles/examples/onprem.yaml) | python3 -m json.tool >"$T/model.json" 2>&1
check "JSON matches tests/golden/check-onprem.json" diff -u "$ROOT/tests/golden/check-onprem.json" "$T/model.json"
check_output "summary lists hosts" 'db1 +mysql +subnet data +192\.168\.40\.210' \
	"$KILN" check "$ROOT/profiles/examples/onprem.yaml"
check_output "summary shows replica" 'db2 .*replica of db1' "$KILN" check "$ROOT/profiles/examples/scaled.yaml"
check_output "options in any position" '"name": "acme"' \
	sh -c '"$1" check "$2" --json | python3 -m json.tool' _ "$KILN" "$ROOT/profiles/examples/onprem.yaml"
check_output "json resolves size presets" '"memory_mib": 16384' \
	sh -c '"$1" check --json "$2" | python3 -m json.tool' _ "$KILN" "$ROOT/profiles/examples/scaled.yaml"
check_output "json: dhcp host" '"address": "dhcp"' \
	sh -c '"$1" check --json "$2" | python3 -m json.tool' _ "$KILN" "$ROOT/profiles/examples/ec2.yaml"
check_output "reads stdin" 'valid' sh -c '"$1" check - < "$2"' _ "$KILN" "$ROOT/profiles/examples/onprem.yaml"

for f in "$ROOT"/tests/profiles/bad/*.yaml; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	rel=${f#"$ROOT"/}
	(cd "$ROOT" && "$KILN" check "$rel") >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -Eq -- "^$rel:$want" "$T/err" && ! grep -q Sanitizer "$T/err"; then
		ok "bad profile $(basename "$f")"
	else
		not_ok "bad profile $(basename "$f") (exit $rc, wanted /$rel:$want/)"
		sed 's/^/#   /' "$T/err" | head -10
	fi
done

# Every problem is reported, not only the first.
cat >"$T/many.yaml" <<'YAML'
kiln: 1
deployment: {name: t, domain: t.lan}
subnets:
  - {name: a, cidr: 10.0.0.0/24}
hosts:
  - {name: h1, role: mysql, subnet: a, address: 10.0.1.10}
  - {name: h2, role: minio, subnet: b, address: 10.0.0.11, colour: red}
flows:
  - {from: {host: nope}, to: {role: mysql}, port: 99999}
YAML
"$KILN" check "$T/many.yaml" 2>"$T/err" >/dev/null
n=$(grep -c ': error: ' "$T/err")
if [ "$n" -eq 5 ]; then ok "all errors reported (5)"; else not_ok "all errors reported (got $n)"; cat "$T/err"; fi

# ... but capped at 50.
{ printf 'kiln: 1\nbogus:\n'; for i in $(seq 1 200); do printf '  k%d: 1\n' "$i"; done; printf 'x%d: 1\n' $(seq 1 200); } >"$T/lots.yaml"
"$KILN" check "$T/lots.yaml" 2>"$T/err" >/dev/null
n=$(grep -c ': error: ' "$T/err")
if [ "$n" -le 51 ] && grep -q 'too many errors' "$T/err"; then ok "errors capped at 50"; else not_ok "errors capped (got $n)"; fi

# Huge inputs are refused before parsing, quickly (a sparse file and a pipe).
truncate -s 100M "$T/huge.yaml"
check_fails "100 MB file refused" 'huge.yaml:1:1: error: profile is larger than the 1048576 byte limit' \
	timeout 5 "$KILN" check "$T/huge.yaml"
check_fails "100 MB stdin refused" 'larger than the 1048576 byte limit' \
	sh -c 'head -c 100000000 /dev/zero | timeout 5 "$1" check -' _ "$KILN"
check_fails "billion laughs refused quickly" 'billion laughs' \
	timeout 5 "$KILN" check "$ROOT/tests/profiles/bad/billion-laughs.yaml"

# Hostile-but-small inputs (just under 1 MiB) stay fast: bounded lists, sorted duplicate detection.
python3 - "$T" <<'PY'
import sys
T = sys.argv[1]
hdr = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/8}\n"
with open(T + "/many-hosts.yaml", "w") as f:
    f.write(hdr + "hosts:\n")
    i = 0
    while f.tell() < 1000000:
        f.write("  - {name: h, role: minio, subnet: a, address: 10.0.0.%d}\n" % (i % 250 + 1))
        i += 1
with open(T + "/dup-keys.yaml", "w") as f:
    f.write(hdr + "hosts: []\nroles:\n  app:\n    env:\n")
    while f.tell() < 1000000:
        f.write("      A: x\n")
PY
check_fails "17k hosts refused quickly" 'many-hosts.yaml:6:3: error: hosts has [0-9]+ entries, more than the 1024' \
	timeout 10 "$KILN" check "$T/many-hosts.yaml"
check_fails "100k duplicate keys refused quickly" "dup-keys.yaml:10:7: error: duplicate key 'A' \\(first given at line 9, column 7\\)" \
	timeout 10 "$KILN" check "$T/dup-keys.yaml"

check_fails "missing file" 'nonexistent.yaml:1:1: error: the profile is missing' "$KILN" check "$T/nonexistent.yaml"
mkfifo "$T/fifo.yaml"
check_fails "FIFO: refused at once, not waited on" 'fifo.yaml:1:1: error: the profile is not a regular file' \
	timeout 10 "$KILN" check "$T/fifo.yaml"
check_fails "character device: refused" '/dev/zero:1:1: error: the profile is not a regular file' \
	timeout 10 "$KILN" check /dev/zero
check_fails "directory: refused" 'the profile is a directory, not a regular file' "$KILN" check "$T"
check_fails "empty profile" 'empty profile' sh -c ': > "$1/e.yaml"; "$2" check "$1/e.yaml"' _ "$T" "$KILN"
check_output "check --help" 'Usage: kiln check PROFILE' "$KILN" check --help
"$KILN" check >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "no argument is a usage error (2)" || not_ok "no argument exit $rc"
"$KILN" check --bogus "$ROOT/profiles/examples/onprem.yaml" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown option is a usage error (2)" || not_ok "unknown option exit $rc"
"$KILN" check "$ROOT/tests/profiles/bad/alias.yaml" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "bad profile exits 1" || not_ok "bad profile exit $rc"
