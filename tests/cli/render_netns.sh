#!/usr/bin/env bash
# The on-prem data hosts' rulesets, loaded for real: two network namespaces
# joined by a veth pair carry the example's addresses ("app" has app1's
# 192.168.40.200, another app-subnet address .201 and an admin-range address
# .10; "data" has db1's .210 and minio1's .215). After `nft -f` of db1's
# ruleset in "data": 3306 from app1 connects; 22 and 9000 from app1 and 3306
# from .201 are dropped; SSH from the admin range connects; the named
# counters count. Then the same for minio1 with 9000. Nothing leaves the
# namespaces.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"

if [ "$(id -u)" != 0 ]; then
	# ip netns needs root; the ruleset is still parsed by nft -c in render.sh.
	echo "ok - # SKIP render_netns.sh needs root for ip netns"
	exit 0
fi

A=kiln-app-$$ D=kiln-data-$$
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
"$KILN" render profiles/examples/onprem.yaml --host minio1 --out "$T/minio1" 2>/dev/null
ip netns add "$A" && ip netns add "$D" &&
ip link add "kva$$" netns "$A" type veth peer name "kvd$$" netns "$D" &&
inA ip addr add 192.168.40.200/28 dev "kva$$" &&
inA ip addr add 192.168.40.201/28 dev "kva$$" &&
inA ip addr add 192.168.40.10/26 dev "kva$$" &&
inA ip link set "kva$$" up && inA ip link set lo up &&
inA ip route add 192.168.40.208/28 dev "kva$$" &&
inD ip addr add 192.168.40.210/28 dev "kvd$$" &&
inD ip addr add 192.168.40.215/28 dev "kvd$$" &&
inD ip link set "kvd$$" up && inD ip link set lo up &&
inD ip route add 192.168.40.192/28 dev "kvd$$" &&
inD ip route add 192.168.40.0/26 dev "kvd$$"
check "namespaces and veth pair set up" test $? = 0

# Listeners on 22, 3306 and 9000 in "data"; they accept and close, and exit
# on their own after two minutes should the cleanup never run.
inD python3 -c '
import os, selectors, signal, socket, sys
signal.alarm(120)
sel = selectors.DefaultSelector()
for port in (22, 3306, 9000):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(8); sel.register(s, selectors.EVENT_READ)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept(); c.close()
' "$T/ready" </dev/null >/dev/null 2>&1 &
for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done

probe() { # SRC DST PORT -> prints open / dropped / refused
	inA python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(1.0); s.bind((sys.argv[1], 0))
try:
    s.connect((sys.argv[2], int(sys.argv[3]))); print("open")
except socket.timeout:
    print("dropped")
except ConnectionRefusedError:
    print("refused")' "$1" "$2" "$3"
}

# Without a firewall everything connects: the drops below are the ruleset's.
check_output "no ruleset: 22 open from app1" '^open$' probe 192.168.40.200 192.168.40.210 22
check_output "no ruleset: 9000 open from app1" '^open$' probe 192.168.40.200 192.168.40.215 9000

data_host() { # NAME ADDRESS ITS_PORT OTHER_PORT
	local h=$1 addr=$2 port=$3 other=$4
	check "$h: nft -f loads its ruleset" inD nft -f "$T/$h/etc/nftables.conf"
	check_output "$h: $port from app1 connects" '^open$' probe 192.168.40.200 "$addr" "$port"
	check_output "$h: 22 from app1 is dropped" '^dropped$' probe 192.168.40.200 "$addr" 22
	check_output "$h: $other from app1 is dropped" '^dropped$' probe 192.168.40.200 "$addr" "$other"
	check_output "$h: $port from elsewhere in the app subnet is dropped" '^dropped$' probe 192.168.40.201 "$addr" "$port"
	check_output "$h: SSH from the admin range connects" '^open$' probe 192.168.40.10 "$addr" 22
	check_output "$h: $port from the admin range is dropped" '^dropped$' probe 192.168.40.10 "$addr" "$port"
	check_output "$h: the $port accept counter counted" 'packets [1-9]' inD nft list counter inet filter "tcp_${port}_accept"
	check_output "$h: the SSH accept counter counted" 'packets [1-9]' inD nft list counter inet filter ssh_accept
	# Four dropped connects: at least one SYN each reached the drop rule.
	check_output "$h: the drop counter counted the drops" 'packets ([4-9]|[1-9][0-9]+) ' \
		inD nft list counter inet filter input_drop
}
data_host db1 192.168.40.210 3306 9000
data_host minio1 192.168.40.215 9000 3306
