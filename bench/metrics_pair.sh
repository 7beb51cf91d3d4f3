#!/usr/bin/env bash
# kiln-firstboot metrics' CPU inside a running deployment test's guest: an
# older kiln-firstboot binary (OLD, e.g. a build of an earlier commit) copied
# in next to the installed one, then `time kiln-firstboot metrics` for each in
# turn, five pairs; prints each binary's user + system CPU per run.
#   usage (as root, while tests/e2e/deployment.sh runs): bench/metrics_pair.sh OLD [GUEST-IP]
# GUEST-IP defaults to db1's (192.168.40.210; minio1 is .215). The guest is
# reached as the test reaches it: its network namespace and its SSH key.
set -eu
OLD=${1:?usage: bench/metrics_pair.sh OLD [GUEST-IP]}
IP=${2:-192.168.40.210}
NS=$(ip netns list | awk '/kiln-e2e/ {print $1; exit}')
T=$(ls -dt /tmp/kiln-test.* | head -1)
[ -n "$NS" ] && [ -f "$T/id" ] || { echo "metrics_pair: no running deployment test" >&2; exit 2; }
O=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -i "$T/id")
ip netns exec "$NS" scp "${O[@]}" -o BindAddress=192.168.40.1 "$OLD" "root@$IP:/root/kfb-old" >/dev/null
ip netns exec "$NS" ssh "${O[@]}" -b 192.168.40.1 "root@$IP" '
TIMEFORMAT="%U %S"
for i in 1 2 3 4 5; do
  for b in /root/kfb-old /usr/sbin/kiln-firstboot; do
    t=$( { time $b metrics >/dev/null 2>&1; } 2>&1 )
    echo "$b $t"
  done
done
rm -f /root/kfb-old' | awk '{s[$1] = s[$1] " " sprintf("%.2f", $2 + $3)} END {for (b in s) print b ":" s[b]}'
