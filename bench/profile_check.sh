#!/usr/bin/env bash
# kiln check (parse + full validation, C/libyaml) against PyYAML's safe_load
# with its C loader (parse only, no validation) on the same profiles, in the
# same run. Prints wall time per run and the ratio kiln/pyyaml (lower is better).
#   bench/profile_check.sh [RUNS]      (needs build/kiln and python3-yaml)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-200}
KILN=${KILN:-build/kiln}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# A large but valid profile: 1000 hosts, 1000 flows (~110 KB).
python3 - "$T/big.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("kiln: 1\ndeployment: {name: big, domain: big.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/16, gateway: 10.0.0.1}\nhosts:\n")
    for i in range(1000):
        f.write("  - {name: h%d, role: minio, subnet: a, address: 10.0.%d.%d}\n" % (i, 1 + i // 200, 10 + i % 200))
    f.write("flows:\n")
    for i in range(1000):
        f.write("  - {from: {host: h%d}, to: {role: minio}, port: 9000}\n" % i)
PY

time_kiln() { # file runs -> seconds per run
	python3 - "$KILN" "$1" "$2" <<'PY'
import subprocess, sys, time
kiln, f, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
for _ in range(n):
    subprocess.run([kiln, "check", f], stdout=subprocess.DEVNULL, check=True)
print((time.perf_counter() - t) / n)
PY
}
time_pyyaml() {
	python3 - "$1" "$2" <<'PY'
import subprocess, sys, time
f, n = sys.argv[1], int(sys.argv[2])
code = "import yaml,sys; yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)"
t = time.perf_counter()
for _ in range(n):
    subprocess.run([sys.executable, "-c", code, f], check=True)
print((time.perf_counter() - t) / n)
PY
}

printf '%-26s %12s %12s %8s\n' profile "kiln (ms)" "pyyaml (ms)" ratio
for f in profiles/examples/onprem.yaml profiles/examples/scaled.yaml "$T/big.yaml"; do
	n=$runs
	[ "$f" = "$T/big.yaml" ] && n=$((runs / 4 + 1))
	k=$(time_kiln "$f" "$n")
	p=$(time_pyyaml "$f" "$n")
	python3 -c "import sys; k,p=float(sys.argv[2]),float(sys.argv[3]); print('%-26s %12.2f %12.2f %8.3f' % (sys.argv[1], k*1e3, p*1e3, k/p))" \
		"$(basename "$f")" "$k" "$p"
done
