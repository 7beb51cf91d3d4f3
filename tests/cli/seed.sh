#!/usr/bin/env bash
# kiln seed: build, inspect, serials, size limit, refusals, no secret in any output.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
setup_deployment
check_fails "seed before secrets init says what to run" "secret .* is missing.*kiln secrets init" kiln seed "$P" --host app1 --out "$T/app1.seed"
check "no seed file after a failure" test ! -e "$T/app1.seed"
kiln secrets init "$P" >/dev/null 2>&1

check_output "seed --help" 'Usage: kiln seed' kiln seed --help
check_fails "seed without --out is a usage error" 'Usage: kiln seed' kiln seed "$P" --host app1
"$KILN" seed "$P" --host app1 >/dev/null 2>&1; [ $? -eq 2 ] && ok "usage error exits 2" || not_ok "usage error exits 2"
check_fails "seed for an unknown host" "host 'web9' is not in" kiln seed "$P" --host web9 --out "$T/x.seed"
check "seed for app1" kiln seed --out "$T/app1.seed" --host app1 "$P"
check_output "progress names serial and size" 'serial 1, 5 secrets\) written to .*bytes' cat "$T/k.err"
check "seed is one line" test "$(wc -l <"$T/app1.seed")" = 1
check "seed is 0644" test "$(stat -c %a "$T/app1.seed")" = 644
check "seed fits EC2 user data" test "$(stat -c %s "$T/app1.seed")" -lt 16384
check "seed is printable ASCII" bash -c "! LC_ALL=C grep -q '[^ -~]' '$T/app1.seed'"
check_output "inspect verifies the signature" '^signature: verified with' kiln seed --inspect "$T/app1.seed" --state "$S"
check_output "inspect lists secret names" '^secrets \(sealed, values not shown\): mysql_app_password minio_app_access_key minio_app_secret_key tls_key flask_secret_key$' cat "$T/k.out"
check_output "inspect shows the trusted comment" '^trusted comment: deployment=acme host=app1 serial=1$' cat "$T/k.out"
check_output "inspect shows public files" '^file: tls_cert.pem' cat "$T/k.out"
check_output "inspect without --state does not check" '^signature: not checked' kiln seed --inspect "$T/app1.seed"
check "seed for db1" kiln seed "$P" --host db1 --out "$T/db1.seed"
check_output "serial increases across runs" '^serial: 2$' kiln seed --inspect "$T/db1.seed"
check_output "db1 gets only MySQL secrets" '^secrets .*: mysql_root_password mysql_app_password$' cat "$T/k.out"
check_output "serial file holds the last serial" '^2$' cat "$S/serial"
check "seed for minio1 (--state first)" kiln seed --state "$S" "$P" --host minio1 --out "$T/minio1.seed"
check_output "minio1 gets only MinIO secrets" '^secrets .*: minio_root_user minio_root_password minio_app_access_key minio_app_secret_key$' kiln seed --inspect "$T/minio1.seed"

# tampering and wrong keys
sed 's/host=app1;/host=db1;/' "$T/app1.seed" >"$T/bad.seed"
check_fails "edited seed fails the signature" 'signature does not verify' kiln seed --inspect "$T/bad.seed" --state "$S"
head -c 500 "$T/app1.seed" >"$T/trunc.seed"
check_fails "truncated seed is malformed" 'malformed or truncated seed' kiln seed --inspect "$T/trunc.seed"
sed 's/^kiln-seed:1;/kiln-seed:7;/' "$T/app1.seed" >"$T/v7.seed"
check_fails "unknown format version" 'unknown seed format version' kiln seed --inspect "$T/v7.seed"
kiln keys init "$P" --state "$T/other" >/dev/null 2>&1
check_fails "other operator key" 'signed by a different operator key' kiln seed --inspect "$T/app1.seed" --state "$T/other"
chmod 0644 "$S/operator.key"
check_fails "operator.key 0644 refused by seed" 'operator.key is readable.*chmod 600' kiln seed "$P" --host app1 --out "$T/y.seed"
chmod 0600 "$S/operator.key"
chmod 0640 "$S/secrets/tls_key"
check_fails "secret 0640 refused by seed" 'tls_key is readable.*chmod 600' kiln seed "$P" --host app1 --out "$T/y.seed"
chmod 0600 "$S/secrets/tls_key"
check "no seed written by refused runs" test ! -e "$T/y.seed"

cp "$S/serial" "$T/serial.bak"
echo "twelve" >"$S/serial"
check_fails "corrupt serial file" 'serial is not a serial number' kiln seed "$P" --host app1 --out "$T/y.seed"
cp "$T/serial.bak" "$S/serial"
mv "$S/roles/minio.pub" "$T/minio.pub"
check_fails "missing role public key names the repair" "minio.pub is missing .*repair with: kiln keys init .*p.yaml --repair" kiln seed "$P" --host minio1 --out "$T/y.seed"
mv "$T/minio.pub" "$S/roles/minio.pub"
check_fails "inspect a missing file" 'cannot read .*nope.seed' kiln seed --inspect "$T/nope.seed"
check_fails "seed --inspect with a PROFILE is a usage error" 'Usage: kiln seed' kiln seed --inspect "$T/app1.seed" "$P"
check "no seed written by refused runs (2)" test ! -e "$T/y.seed"

# EC2 user-data limit: an incompressible 20 KB comment in the profile
mkdir -p "$T/big"
{ cat "$P"; head -c 15000 /dev/urandom | base64 -w 76 | sed 's/^/# /'; } >"$T/big/p.yaml"
sed -i 's/^targets: \[raw, esxi\]$/targets: [raw, esxi, ec2]/' "$T/big/p.yaml"
kiln keys init "$T/big/p.yaml" >/dev/null 2>&1; kiln secrets init "$T/big/p.yaml" >/dev/null 2>&1
check_fails "too big for EC2 user data when targeting ec2" "over EC2's 16384 byte user-data limit" kiln seed "$T/big/p.yaml" --host app1 --out "$T/big.seed"
check "no oversized seed written" test ! -e "$T/big.seed"
sed -i 's/^targets: \[raw, esxi, ec2\]$/targets: [raw, esxi]/' "$T/big/p.yaml"
check "without ec2 the big seed is written" kiln seed "$T/big/p.yaml" --host app1 --out "$T/big.seed"
check_output "... with a warning" 'warning: seed for app1 is [0-9]+ bytes: too large for EC2' cat "$T/k.err"

# The seed never replaces its own profile, and a FIFO profile is refused at once.
cp "$P" "$T/self.yaml"; cp "$P" "$T/self.copy"
check_fails "--out naming the profile itself is refused" 'is the profile .* itself' kiln seed "$T/self.yaml" --host app1 --out "$T/self.yaml" --state "$S"
check "... and the profile is intact" cmp -s "$T/self.yaml" "$T/self.copy"
ln -s self.yaml "$T/self-link.yaml"
check_fails "--out as a link to the profile is refused too" 'is the profile .* itself' kiln seed "$T/self.yaml" --host app1 --out "$T/self-link.yaml" --state "$S"
mkfifo "$T/fifo.yaml"
check_fails "a FIFO as profile: refused at once" 'fifo.yaml:1:1: error: the profile is not a regular file' timeout 10 "$KILN" seed "$T/fifo.yaml" --host app1 --out "$T/f.seed"

check_no_secret_leaks "$S" "$T"/*.seed
check_no_secret_leaks "$T/big/.kiln/acme" "$T/big.seed"
