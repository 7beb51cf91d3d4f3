#!/usr/bin/env bash
# Identity (issue 15, defect 1): a host pins who it is at its first seed
# (/var/lib/kiln/identity, root-only) and refuses any later seed for another
# host or deployment, however new and validly signed, with the reason on the
# console and in the status. `kiln-firstboot repurpose --host NAME` is the
# one deliberate way to make it another host. Hosts are directories (--root)
# with service commands recorded.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
S=$T/state
R=$T/db2
NET=etc/systemd/network/10-kiln-primary.network
# The loopback deployment with a replica, db2, beside its primary db1.
P=$T/replica.yaml
sed 's/^  - name: minio1$/  - name: db2\n    role: mysql\n    subnet: data\n    address: 127.0.1.4\n    size: medium\n    replica_of: db1\n&/' \
	"$ROOT/tests/profiles/fixtures/loopback.yaml" > "$P"
"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null || { not_ok "kiln keys/secrets init"; exit 1; }
seed() { "$KILN" seed "$P" --host "$1" --out "$2" --state "$S" 2>/dev/null; }
run() { "$FB" run --root "$R" --no-services --datasource other "$@"; }
PIN=$R/var/lib/kiln/identity

seed db2 "$T/db2.seed"
fb_mkroot "$R" "$S" mysql "$T/db2.seed"; fb_adddisk "$R" vdb
check "db2: first boot" run
check "db2: pinned as db2 of acme" bash -c "printf 'deployment=acme\nhost=db2\n' | cmp -s - '$PIN'"
check "db2: the pin is root-only" test "$(stat -c '%a %U' "$PIN")" = "600 root"

# The primary's newer seed, validly signed and sealed to the same role key.
seed db1 "$R/etc/kiln/seed"
check_fails "the primary's newer seed is refused" 'refused: it is for host db1 of deployment acme, but this host is db2 of acme' run
check_fails "... with the way out named" 'kiln-firstboot repurpose --host db1' run
check_output "... the status says why" 'seed +failed +seed from file:/etc/kiln/seed refused: it is for host db1' fb_status "$R"
check "... and the console summary (login prompt) too" grep -q 'seed failed: seed from .* refused: it is for host db1' "$R/etc/issue.d/kiln.issue"
check "... db2 keeps its name" grep -qx db2 "$R/etc/hostname"
check "... and its address" grep -qx 'Address=127.0.1.4/29' "$R/$NET"
check "... and the pin" grep -qx host=db2 "$PIN"

seed db2 "$R/etc/kiln/seed"
check "db2's own newer seed is still accepted" run
check_output "... and applied in full" 'role +done' fb_status "$R"

# A seed for another deployment, signed by the same operator and sealed to
# the same role key, on a host whose /etc/kiln/deployment was changed too.
S2=$T/state2
mkdir -p "$S2" && chmod 700 "$S2" && cp -a "$S/operator.key" "$S/operator.pub" "$S/roles" "$S/serial" "$S2/" && echo acme2 > "$S2/deployment"
sed 's/^  name: acme$/  name: acme2/' "$P" > "$T/acme2.yaml"
"$KILN" secrets init "$T/acme2.yaml" --state "$S2" >/dev/null 2>&1
"$KILN" seed "$T/acme2.yaml" --host db2 --out "$R/etc/kiln/seed" --state "$S2" 2>/dev/null
echo acme2 > "$R/etc/kiln/deployment"
check_fails "another deployment's seed for the same host name is refused" 'it is for host db2 of deployment acme2, but this host is db2 of acme' run
echo acme > "$R/etc/kiln/deployment"

# Deliberate re-purposing: db2 becomes db1.
check_fails "repurpose: --host is required" 'is required' "$FB" repurpose --root "$R"
check_fails "repurpose: a bad host name is a usage error" 'must be' "$FB" repurpose --host DB_1 --root "$R"
check "repurpose: usage errors exit 2" bash -c "'$FB' repurpose --root '$R' 2>/dev/null; test \$? = 2"
check_fails "repurpose: a host with no seed applied has nothing to re-purpose" 'has not applied a seed yet' "$FB" repurpose --host db1 --root "$T/nowhere"
seed db1 "$T/db1-old.seed"          # issued before the next db2 seed: older than what db2 applies
seed db2 "$R/etc/kiln/seed"; run >/dev/null 2>&1
check_output "repurpose --help" 'Usage: kiln-firstboot repurpose --host NAME' "$FB" repurpose --help
check "repurpose --host db1" "$FB" repurpose --host db1 --root "$R"
check "repurpose: pinned as db1" grep -qx host=db1 "$PIN"
check "repurpose: still root-only" test "$(stat -c %a "$PIN")" = 600
cp "$T/db1-old.seed" "$R/etc/kiln/seed"
check_fails "repurpose: an older seed of db1 is still refused by serial" 'refused: .*serial' run
seed db1 "$R/etc/kiln/seed"
lines=$(grep -c 'restart mariadb' "$R/var/lib/kiln/commands.log")
check "repurpose: db1's fresh seed is accepted" run
check "repurpose: the host is now db1" grep -qx db1 "$R/etc/hostname"
check "repurpose: with db1's address" grep -qx 'Address=127.0.1.2/29' "$R/$NET"
check "repurpose: every step applied again (role too)" test "$(grep -c 'restart mariadb' "$R/var/lib/kiln/commands.log")" = $((lines + 1))
seed db2 "$R/etc/kiln/seed"
check_fails "repurpose: now db2's seed is the one refused" 'it is for host db2 of deployment acme, but this host is db1' run

# The identity record itself is checked like every input.
seed db1 "$R/etc/kiln/seed"
cp "$PIN" "$T/pin.good"
printf 'deployment=acme\nhost=db1\nhost=db2\n' > "$PIN"; chmod 600 "$PIN"
check_fails "a corrupt identity record stops the seed step" 'identity record /var/lib/kiln/identity is corrupt' run
chmod 644 "$PIN"; cp "$T/pin.good" "$PIN"; chmod 644 "$PIN"
check_fails "an identity record readable by others is refused" 'identity .*must be 0600' run
rm "$PIN"; ln -s "$T/pin.good" "$PIN"
check_fails "an identity record that is a symlink is refused" 'identity .*symbolic link' run
rm "$PIN"; mkfifo "$PIN"
check_fails "an identity record that is a FIFO is refused, without hanging" 'identity .*not a regular file' timeout 20 "$FB" run --root "$R" --no-services --datasource other

# A host set up before pins were kept: its stored seed says who it is.
rm "$PIN"
seed db2 "$R/etc/kiln/seed"
check_fails "no pin on file: the stored seed (db1's) decides" 'it is for host db2 of deployment acme, but this host is db1' run
check "no pin on file: none written for a refused seed" test ! -e "$PIN"
seed db1 "$R/etc/kiln/seed"
check "no pin on file: the right host's seed is accepted" run
check "no pin on file: ... and pins it" grep -qx host=db1 "$PIN"
