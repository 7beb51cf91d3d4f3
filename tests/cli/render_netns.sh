#!/usr/bin/env bash
# The on-prem db1 ruleset, loaded for real: two network namespaces joined by
# a veth pair carry the example's addresses ("app" has app1's 192.168.40.200,
# another app-subnet address .201 and an admin-range address .10; "db" has
# db1's 192.168.40.210). After `nft -f` in "db": 3306 from app1 connects;
# 22 and 9000 from app1, 3306 from .201 are dropped; SSH from the admin range
# connects; the named drop counter counts. Nothing leaves the namespaces.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"

if [ "$(id -u)" != 0 ]; then
	# ip netns needs root; the ruleset is still parsed by nft -c in render.sh.
	echo "ok - # SKIP render_netns.sh needs root for ip netns"
	exit 0
fi

A=kiln-app-$$ D=kiln-db-$$
cleanup() {
	# The listener writes its own pid (python3 may be a wrapper script).
	[ -s "$T/ready" ] && kill "$(cat "$T/ready")" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$D" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
inA() { ip netns exec "$A" "$@"; }
inD() { ip netns exec "$D" "$@"; }

"$KILN" render profiles/examples/onprem.yaml --host db1 --out "$T/db1" 2>/dev/null
ip netns add "$A" && ip netns add "$D" &&
ip link add "kva$$" netns "$A" type veth peer name "kvd$$" netns "$D" &&
inA ip addr add 192.168.40.200/28 dev "kva$$" &&
inA ip addr add 192.168.40.201/28 dev "kva$$" &&
inA ip addr add 192.168.40.10/26 dev "kva$$" &&
inA ip link set "kva$$" up && inA ip link set lo up &&
inA ip route add 192.168.40.208/28 dev "kva$$" &&
inD ip addr add 192.168.40.210/28 dev "kvd$$" &&
inD ip link set "kvd$$" up && inD ip link set lo up &&
inD ip route add 192.168.40.192/28 dev "kvd$$" &&
inD ip route add 192.168.40.0/26 dev "kvd$$"
check "namespaces and veth pair set up" test $? = 0

# Listeners on 22, 3306 and 9000 in "db"; they accept and close, and exit
# on their own after two minutes should the cleanup never run.
inD python3 -c '
import os, selectors, signal, socket, sys
signal.alarm(120)
sel = selectors.DefaultSelector()
for port in (22, 3306, 9000):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("192.168.40.210", port)); s.listen(8); sel.register(s, selectors.EVENT_READ)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept(); c.close()
' "$T/ready" </dev/null >/dev/null 2>&1 &
for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done

probe() { # SRC PORT -> prints open / dropped / refused
	inA python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(1.0); s.bind((sys.argv[1], 0))
try:
    s.connect(("192.168.40.210", int(sys.argv[2]))); print("open")
except socket.timeout:
    print("dropped")
except ConnectionRefusedError:
    print("refused")' "$1" "$2"
}

# Without a firewall everything connects: the drops below are the ruleset's.
check_output "no ruleset: 22 open from app1" '^open$' probe 192.168.40.200 22
check_output "no ruleset: 9000 open from app1" '^open$' probe 192.168.40.200 9000

check "nft -f loads db1's ruleset in the db namespace" inD nft -f "$T/db1/etc/nftables.conf"
check_output "3306 from app1 connects" '^open$' probe 192.168.40.200 3306
check_output "22 from app1 is dropped" '^dropped$' probe 192.168.40.200 22
check_output "9000 from app1 is dropped" '^dropped$' probe 192.168.40.200 9000
check_output "3306 from elsewhere in the app subnet is dropped" '^dropped$' probe 192.168.40.201 3306
check_output "SSH from the admin range connects" '^open$' probe 192.168.40.10 22
check_output "3306 from the admin range is dropped" '^dropped$' probe 192.168.40.10 3306
check_output "the 3306 accept counter counted" 'packets [1-9]' inD nft list counter inet filter tcp_3306_accept
check_output "the SSH accept counter counted" 'packets [1-9]' inD nft list counter inet filter ssh_accept
# Four dropped connects, each SYN retried at least once within the timeout.
check_output "the drop counter counted the drops" 'packets ([4-9]|[1-9][0-9]+) ' \
	inD nft list counter inet filter input_drop
