#!/usr/bin/env bash
# After the seed is applied, nothing of it is within reach of a process that
# is not root (issue 15, "Seed lifecycle"):
#   EC2     the ruleset gets the kiln_imds table (nft -c); loaded into a
#           network namespace of the test's own with the IMDS emulator at
#           169.254.169.254, uid 65534 gets no token while root does;
#   VMware  the OVF environment CD-ROM (an image file here) becomes root:root
#           0600 and a udev rule keeps every CD-ROM so;
#   other   the seed file and a KILN_SEED medium become root-only;
#   always  the stored seed, the identity pin and the overrides record are 0600.
# tests/fixtures/seed_reach.sh is the probe, the same one the e2e images carry.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
P=$ROOT/tests/profiles/fixtures/loopback.yaml
S=$T/state
REACH="$ROOT/tests/fixtures/seed_reach.sh"
NS=kiln-imds-$$
imds_pid= ns_pid=
cleanup() {
	[ -n "$imds_pid" ] && kill "$imds_pid" 2>/dev/null
	[ -s "$T/ns-imds.pid" ] && kill "$(cat "$T/ns-imds.pid")" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
chmod 755 "$T"   # so that only the modes under test keep uid 65534 out

"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null &&
	"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null || { not_ok "kiln keys/secrets/seed"; exit 1; }
chmod 644 "$T/db1.seed"
mode() { stat -c '%a %U:%G' "$1"; }
root_only() { test "$(mode "$1")" = "600 root:root"; }
state_private() { # root: the agent's own copies of the seed and of who the host is
	root_only "$1/var/lib/kiln/seed" && root_only "$1/var/lib/kiln/identity"
}

# --- other: the seed file ---
R=$T/file; fb_mkroot "$R" "$S" mysql "$T/db1.seed"; fb_adddisk "$R" vdb; chmod 644 "$R/etc/kiln/seed"
check_output "seed file: readable by uid 65534 before the run (the probe can tell)" '^nobody=reachable' "$REACH" read "$R/etc/kiln/seed"
check "seed file: first boot" "$FB" run --root "$R" --no-services --datasource other
check "seed file: root-only afterwards" root_only "$R/etc/kiln/seed"
check_output "seed file: uid 65534 cannot read it, root can" '^nobody=refused root=reachable' "$REACH" read "$R/etc/kiln/seed"
check "seed file: stored seed and identity record root-only" state_private "$R"
check "seed file: no firewall table for the metadata service off EC2" bash -c "! grep -q kiln_imds '$R/etc/nftables.conf'"
check "seed file: no udev rule for a plain file" test ! -e "$R/etc/udev/rules.d/72-kiln-seed-media.rules"

# --- other: a KILN_SEED medium ---
mkdir -p "$T/medium" && cp "$T/db1.seed" "$T/medium/seed"
xorriso -as mkisofs -quiet -V KILN_SEED -o "$T/medium.iso" "$T/medium" 2>/dev/null; chmod 664 "$T/medium.iso"
R=$T/medium-host; fb_mkroot "$R" "$S" mysql; fb_adddisk "$R" vdb
check_output "medium: readable by uid 65534 before the run" '^nobody=reachable' "$REACH" read "$T/medium.iso"
check "medium: first boot from the KILN_SEED medium" "$FB" run --root "$R" --no-services --datasource other --seed-iso "$T/medium.iso"
check_output "medium: uid 65534 cannot read it afterwards, root can" '^nobody=refused root=reachable' "$REACH" read "$T/medium.iso"
check "medium: root:root 0600" root_only "$T/medium.iso"
check "medium: a udev rule keeps KILN_SEED volumes root-only" \
	grep -q 'ENV{ID_FS_LABEL}=="KILN_SEED", OWNER:="root", GROUP:="root", MODE:="0600", TAG-="uaccess"' "$R/etc/udev/rules.d/72-kiln-seed-media.rules"

# --- VMware: the OVF environment CD-ROM ---
mkdir -p "$T/ovf"
cat > "$T/ovf/ovf-env.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1">
<PropertySection><Property oe:key="kiln.seed" oe:value="$(cat "$T/db1.seed")"/><Property oe:key="kiln.hostname" oe:value="db9"/></PropertySection></Environment>
XML
R=$T/vmware; fb_mkroot "$R" "$S" mysql; fb_adddisk "$R" vdb
# udev makes a CD-ROM root:cdrom 0660; readable by all here, so the probe
# (which has no groups) shows what the agent changes.
xorriso -as mkisofs -quiet -V OVF_ENV -o "$R/dev/sr0" "$T/ovf" 2>/dev/null; chmod 664 "$R/dev/sr0"; chgrp 24 "$R/dev/sr0"
check_output "VMware: the CD-ROM is readable by uid 65534 before the run" '^nobody=reachable' "$REACH" read "$R/dev/sr0"
check "VMware: first boot from the OVF environment CD-ROM" "$FB" run --root "$R" --no-services --datasource vmware --vmtoolsd /nonexistent
check "VMware: the CD-ROM is root:root 0600 afterwards" root_only "$R/dev/sr0"
check_output "VMware: uid 65534 cannot read it, root can" '^nobody=refused root=reachable' "$REACH" read "$R/dev/sr0"
check "VMware: a udev rule keeps every CD-ROM root-only, no seat ACL" \
	grep -q 'KERNEL=="sr\[0-9\]\*", OWNER:="root", GROUP:="root", MODE:="0600", TAG-="uaccess"' "$R/etc/udev/rules.d/72-kiln-seed-media.rules"
check "VMware: ... and udev reloads its rules at once" grep -qx 'udevadm control --reload' "$R/var/lib/kiln/commands.log"
check "VMware: stored seed and identity record root-only" state_private "$R"
check "VMware: the overrides record is root-only" root_only "$R/var/lib/kiln/overrides"

# --- EC2: the metadata service is root's alone ---
python3 "$ROOT/tests/fixtures/imds/imds_server.py" --port-file "$T/imds.port" --user-data "$T/db1.seed" >"$T/imds.log" 2>&1 & imds_pid=$!
for _ in $(seq 50); do [ -s "$T/imds.port" ] && break; sleep 0.1; done
R=$T/ec2; fb_mkroot "$R" "$S" mysql; fb_adddisk "$R" vdb
check "EC2: first boot from IMDSv2 user data" "$FB" run --root "$R" --no-services --datasource ec2 --imds-url "http://127.0.0.1:$(cat "$T/imds.port")"
check "EC2: the ruleset has the kiln_imds table" grep -q '^table inet kiln_imds {' "$R/etc/nftables.conf"
check "EC2: ... which rejects non-root sockets to both IMDS addresses" bash -c \
	"grep -q 'ip daddr 169.254.169.254 meta skuid != 0 counter name \"refused\" reject' '$R/etc/nftables.conf' &&
	 grep -q 'ip6 daddr fd00:ec2::254 meta skuid != 0 counter name \"refused\" reject' '$R/etc/nftables.conf'"
check "EC2: the whole ruleset passes nft -c" nft -c -f "$R/etc/nftables.conf"
check "EC2: the firewall is loaded by the identity step" grep -q '^nft -f /etc/nftables.conf' "$R/var/lib/kiln/commands.log"
check "EC2: stored seed and identity record root-only" state_private "$R"
kill "$imds_pid" 2>/dev/null; wait "$imds_pid" 2>/dev/null; imds_pid=

if [ "$(id -u)" != 0 ]; then
	echo "ok - # SKIP the network namespace checks need root"
	exit 0
fi
# The ruleset loaded for real, in a namespace with the emulator at the IMDS address.
in_ns() { ip netns exec "$NS" "$@"; }
ip netns add "$NS" && in_ns ip link set lo up && in_ns ip addr add 169.254.169.254/32 dev lo &&
	in_ns ip addr add fd00:ec2::254/128 dev lo nodad
check "netns: set up with 169.254.169.254 and fd00:ec2::254" test $? = 0
# Not through in_ns: $! must be the server's own pid (ip netns exec execs it).
ip netns exec "$NS" python3 "$ROOT/tests/fixtures/imds/imds_server.py" --bind 169.254.169.254 --port 80 \
	--port-file "$T/ns-imds.port" --user-data "$T/db1.seed" >"$T/ns-imds.log" 2>&1 & echo $! > "$T/ns-imds.pid"
for _ in $(seq 50); do [ -s "$T/ns-imds.port" ] && break; sleep 0.1; done
# IPv6: nothing listens, so the kernel answers "connection refused" unless
# the firewall rejects the packet first ("permission denied", at once).
v6() { in_ns setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import errno, socket
s = socket.socket(socket.AF_INET6); s.settimeout(4)
try:
    s.connect(("fd00:ec2::254", 80)); print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))'; }
check_output "netns: without the ruleset uid 65534 gets a token (the check can fail)" '^nobody=reachable root=reachable' \
	in_ns "$REACH" imds http://169.254.169.254
check_output "netns: without the ruleset uid 65534 reaches fd00:ec2::254" '^ECONNREFUSED' v6
check "netns: the agent's ruleset loads" in_ns nft -f "$R/etc/nftables.conf"
check_output "netns: with it, uid 65534 gets no token; root still does" '^nobody=refused root=reachable' \
	in_ns "$REACH" imds http://169.254.169.254
check_output "netns: with it, uid 65534 cannot reach fd00:ec2::254 either" '^EACCES' v6
check_output "netns: the refusals are counted" 'packets [1-9]' in_ns nft list counter inet kiln_imds refused
