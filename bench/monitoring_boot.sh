#!/usr/bin/env bash
# Monitoring's first-boot cost per host (issue 12), several boots per side.
# The deployment test's first three hosts (tests/profiles/fixtures/deployment.yaml:
# app1, db1, minio1, minio1 the monitoring host; with its backup: section, as
# the test has it) are built twice, with the profile's monitoring: section and
# without it, and booted under QEMU TCG (-smp 1, 1 GiB each, OVMF) on the private network of
# tests/e2e/vmnet.sh (db1 and minio1 together, then app1 alone: see
# one_boot), ROUNDS times per side, the sides alternating (with,
# without, without, with, ...) so that drift in the machine's load falls on
# both. Each boot: power-on until every host's agent says "deployment ready",
# then per host `systemd-analyze time` (kernel + userspace to multi-user) and
# the two kiln-firstboot units' times, and each service's CPU time so far
# (cgroup accounting); at the end the medians per side and the ratio. Run it
# with nothing else on the machine.
#   usage (as root, after make): bench/monitoring_boot.sh [ROUNDS [MONITORING-HOST]]
# KILN_BENCH_SIDE=with (or without) builds and boots that side only, to look
# at its boots (no medians are compared then).
# VM_IO_FIRST=1 and VM_TMPFS_HOSTS (tests/e2e/vmnet.sh's start_vm) change the
# bench's own conditions, to test an explanation (bench/RESULTS.md).
# bench/monitoring_split.py splits the saved output where the agent begins.
# ROUNDS defaults to 3; MONITORING-HOST (app1, db1 or minio1, the fixture's
# choice by default) is the host that runs Prometheus, Alertmanager and
# journal-remote besides its role: the other two run only the agents.
set -u
ROUNDS=${1:-3}
MON_HOST=${2:-minio1}
case $MON_HOST in app1|db1|minio1) ;; *) echo "monitoring_boot: no host $MON_HOST (app1, db1 or minio1)" >&2; exit 2;; esac
. "$(dirname "$0")/../tests/lib.sh"
. "$ROOT/tests/e2e/qemu.sh"
NS=kiln-bench-mon-$$
. "$ROOT/tests/e2e/vmnet.sh"
vmnet_require monitoring_boot
trap vmnet_cleanup EXIT
DEADLINE=${KILN_BENCH_DEADLINE:-900}
HOSTS="app1 db1 minio1"
declare -A IP=([app1]=192.168.40.200 [db1]=192.168.40.210 [minio1]=192.168.40.215)
declare -A MAC=([app1]=52:54:00:4b:00:01 [db1]=52:54:00:4b:00:02 [minio1]=52:54:00:4b:00:03)
declare -A ROLE=([app1]=app [db1]=mysql [minio1]=minio)   # image acme-ROLE.raw; mysql and minio: a data disk too

# --- both profiles, their states, images and seed media
ssh-keygen -q -t ed25519 -N '' -C kiln-bench -f "$T/id" || exit 1
check "the demo app's container archive" bash "$ROOT/tests/fixtures/demo-container/build.sh" "$KILN_IMG" "$T/demo-app.oci.tar"
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
for side in ${KILN_BENCH_SIDE:-with without}; do
	P=$T/$side.yaml S=$T/state-$side
	sed "s|@SSH_KEY@|$(cat "$T/id.pub")|" "$ROOT/tests/profiles/fixtures/deployment.yaml" > "$P"
	[ $side = without ] && sed -i '/^# Monitoring (docs\/monitoring.md)/,$d' "$P"
	[ $side = with ] && sed -i "/^monitoring:/,\$ s/^  host: minio1\$/  host: $MON_HOST/" "$P"
	check "$side: monitoring: in the profile as it should be" bash -c \
		"[ \$(grep -c '^monitoring:' '$P') = $([ $side = with ] && echo 1 || echo 0) ] &&
		 { [ $side = without ] || grep -qx '  host: $MON_HOST' '$P'; }"
	check "$side: keys, secrets" bash -c "'$KILN' keys init '$P' --state '$S' && '$KILN' secrets init '$P' --state '$S' &&
		'$KILN' backup keys init '$P' --state '$S'"
	check "$side: kiln build (app, mysql, minio)" "$KILN_IMG" build "$P" --target raw --role app --role mysql --role minio \
		--state "$S" --out "$T/img-$side" --artifact "minio=$(ls "$T"/deb/*.deb)"
	for h in $HOSTS; do
		"$KILN" seed "$P" --host $h --out "$T/$h-$side.seed" --state "$S" 2>/dev/null
		medium $h-$side "$T/$h-$side.seed"
	done
done
# the builds' gigabytes on disk before the first boot, not written back during it
sync
vmnet_up || { not_ok "network namespace"; exit 1; }

# secs "1min 12.749s" -> 72.749
secs() { /usr/bin/python3 -c 'import re,sys
t=0.0
for n,u in re.findall(r"([0-9.]+)(min|ms|s)\b", sys.argv[1]): t+=float(n)*{"min":60,"s":1,"ms":0.001}[u]
print("%.1f" % t)' "$1"; }

# power_on SIDE ROUND HOST...: the hosts powered on together, each QEMU
# pinned to its own host core (at most two: this machine has two; VM_CPUS),
# as each would be its own machine: unpinned, the two QEMUs share both
# cores, and the monitoring host's work after its own boot (Prometheus'
# start, the scrapes, journal-remote) can take host CPU from db1's QEMU
# beside it, a cost no real deployment has. Until their agents say
# "deployment ready"; then one line per host to $T/results and its CPU time
# per service to $T/cpu.
power_on() {
	local side=$1 round=$2 h t0 line kern user late early data core=0
	shift 2
	for h; do
		rm -f "$T/$h.log"
		cp "$T/$h-$side-seed.iso" "$T/$h-seed.iso"
		data=""
		if [ ${ROLE[$h]} != app ]; then
			data=$(vm_disk_dir $h)/$h-data.raw
			cp --sparse=always "$T/img-$side/acme-${ROLE[$h]}-data.raw" "$data"
		fi
		VM_CPUS=$core start_vm $h "$T/img-$side/acme-${ROLE[$h]}.raw" "$data" ${MAC[$h]}
		core=$((1 - core))
	done
	t0=$SECONDS
	READY=() FAILED=()
	wait_ready $t0 "$@"
	for h; do
		# systemd's startup may end after the agent's (a job still running: on an app host that is
		# also the monitoring host, kiln-metrics' first run): asked again until it has
		for _ in $(seq 60); do
			line=$(adm ${IP[$h]} 'systemd-analyze time 2>&1 | head -1; systemd-analyze blame | grep kiln-firstboot' 2>/dev/null)
			grep -q '^Startup finished' <<<"$line" && break
			sleep 2
		done
		kern=- user=-   # startup still not over after 2 minutes: left out of the medians
		if grep -q '^Startup finished' <<<"$line"; then
			kern=$(secs "$(sed -n '1s/.*in \(.*\) (kernel).*/\1/p' <<<"$line")")
			user=$(secs "$(sed -n '1s/.*+ \(.*\) (userspace).*/\1/p' <<<"$line")")
		fi
		late=$(secs "$(grep ' kiln-firstboot.service' <<<"$line" | awk '{$NF=""; print}')")
		early=$(secs "$(grep 'kiln-firstboot-early.service' <<<"$line" | awk '{$NF=""; print}')")
		echo "$side $round $h ${READY[$h]:--} $kern $user $late $early" | tee -a "$T/results" | sed 's/^/# /'
		# CPU time per service since boot (cgroup accounting): busy, idle, the three biggest, the monitoring ones, the agent
		adm ${IP[$h]} 'systemctl show -p Id -p CPUUsageNSec $(systemctl list-units --all --no-legend --plain --type=service | awk "{print \$1}"); echo; head -1 /proc/stat' 2>/dev/null |
			awk -v p="$side $round $h" '/^Id=/ {id=substr($0,4)} /^CPUUsageNSec=[0-9]+$/ {c=substr($0,14)}
				/^$/ {if (id != "" && c != "") printf "%s %s %.2f\n", p, id, c/1e9; id=c=""}
				/^cpu / {printf "%s (busy) %.2f\n%s (idle) %.2f\n", p, ($2+$3+$4+$7+$8)/100, p, ($5+$6)/100}' |
			sort -k5 -gr > "$T/cpu-$h"
		cat "$T/cpu-$h" >> "$T/cpu"
		head -5 "$T/cpu-$h" | sed 's/^/#   cpu /'
		grep -E ' (prometheus|systemd-journal-(upload|remote)|kiln-metrics|kiln-firstboot)' "$T/cpu-$h" | sed 's/^/#   cpu /'
		# the agent's steps and their phases (s since the kernel booted, took, phases)
		firstboot_steps ${IP[$h]} "  step $side $round $h"
		# how long tasks stalled for CPU, I/O and memory since boot (pressure stall information,
		# "some" totals, s): the whole guest, PID 1, the services, and the role's server (the
		# agent's cgroup is gone once it is done); to tell what slows a role when monitoring's
		# units start beside it
		adm ${IP[$h]} 'for c in "" init.scope system.slice system.slice/mariadb.service system.slice/minio.service \
				system.slice/nginx.service; do d=/sys/fs/cgroup/$c; [ -z "$c" ] && d=/proc/pressure c=guest
			[ -r $d/cpu.pressure ] || [ -r $d/cpu ] || continue; printf "%s" "$c"
			for k in cpu io memory; do f=$d/$k.pressure; [ -r $f ] || f=$d/$k
				sed -n "s/^some .*total=\([0-9]*\)/ $k \1/p" $f; done | tr -d "\n"; echo; done' 2>/dev/null |
			awk -v p="$side $round $h" 'NF == 7 {printf "#   psi %s %-38s cpu %6.1f s  io %6.1f s  memory %6.1f s\n", p, $1, $3/1e6, $5/1e6, $7/1e6}'
		# when each monitoring unit's process began and the unit became active (s since the
		# kernel booted), and how often it was restarted
		[ $side = with ] && adm ${IP[$h]} 'systemctl show -p Id -p Type -p NRestarts -p ExecMainStartTimestampMonotonic \
			-p ActiveEnterTimestampMonotonic $(systemctl list-units --all --no-legend --plain "prometheus*" "systemd-journal-upload*" \
			"systemd-journal-remote*" "kiln-metrics*" | awk "{print \$1}")' 2>/dev/null |
			awk -v p="$side $round $h" -F= '$1 == "Id" {id=$2} $1 == "Type" {ty=$2} $1 == "NRestarts" {nr=$2}
				$1 == "ExecMainStartTimestampMonotonic" {ex=$2} $1 == "ActiveEnterTimestampMonotonic" {ac=$2}
				/^$/ {if (id != "") printf "#   unit %s %-36s %-7s exec at %6.1f s  active at %6.1f s  restarts %s\n", p, id, ty, ex/1e6, ac/1e6, nr; id=ty=nr=ex=ac=""}
				END {if (id != "") printf "#   unit %s %-36s %-7s exec at %6.1f s  active at %6.1f s  restarts %s\n", p, id, ty, ex/1e6, ac/1e6, nr}'
		# what systemd and the daemons said as they started (s since the kernel booted)
		[ $side = with ] && adm ${IP[$h]} 'journalctl -b -o short-monotonic --no-pager -u "prometheus*" -u "systemd-journal-*" |
			grep -E "systemd\[1\]: |msg=\"?Starting" | head -30' 2>/dev/null |
			sed -E 's/^\[ *([0-9.]+)\] [^ ]+ /\1 /' | cut -c1-150 | sed "s/^/#   journal $side $round $h /"
		# the jobs systemd finished after the agent, up to "Startup finished": what the boot, as
		# systemd-analyze counts it, waited for once the agent was done
		adm ${IP[$h]} 'journalctl -b -o short-monotonic --no-pager _PID=1 |
			awk "/Finished kiln-firstboot.service/ {f=1} f" | grep -E "Started|Finished|Startup finished" |
			sed -n "1,/Startup finished/p" | head -20' 2>/dev/null |
			sed -E 's/^\[ *([0-9.]+)\] [^ ]+ /\1 /' | cut -c1-150 | sed "s/^/#   after-agent $side $round $h /"
	done
}

# one_boot SIDE ROUND: the data hosts first, then the app host alone (its
# join finds them ready, so what it waits for is its own work): three
# one-vCPU guests on two cores would time each other's work as well.
one_boot() {
	local h
	power_on "$1" "$2" db1 minio1
	# app1 on a core of its own: the two running hosts share the other (with
	# monitoring they are not idle: scrapes, journal-remote, kiln-metrics)
	for h in db1 minio1; do taskset -a -p -c 1 "$(cat "$T/$h.pid")" >/dev/null; done
	power_on "$1" "$2" app1
	qemu_stop_all   # kills and waits for each QEMU
	for h in $HOSTS; do nsx ip link del tap-$h 2>/dev/null; done
}

echo "# side round host ready_s kernel_s userspace_s late_s early_s"
for r in $(seq "$ROUNDS"); do
	if [ -n "${KILN_BENCH_SIDE:-}" ]; then one_boot "$KILN_BENCH_SIDE" $r   # one side only: to look, not to compare
	elif [ $((r % 2)) = 1 ]; then one_boot with $r; one_boot without $r; else one_boot without $r; one_boot with $r; fi
done

# --- medians per side and host, and what monitoring adds
[ -n "${KILN_BENCH_SIDE:-}" ] && exit 0
/usr/bin/python3 - "$T/results" "$T/cpu" <<'PY'
import re, sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
cpu = [l.split() for l in open(sys.argv[2])]
def med(side, host, col):
    v = [float(r[col]) for r in rows if r[0] == side and r[2] == host and r[col] != "-"]
    return statistics.median(v) if v else float("nan"), len(v), (min(v), max(v)) if v else (0, 0)
# the added share with a 90 % bootstrap interval: each side's boots resampled
# with replacement, the ratio of the medians, 10 000 times (a fixed seed)
import random
random.seed(1)
def interval(w, o):
    if not w or not o:
        return float("nan"), float("nan")
    bs = sorted(statistics.median(random.choices(w, k=len(w))) / statistics.median(random.choices(o, k=len(o))) - 1
                for _ in range(10000))
    return 100 * bs[500], 100 * bs[9500]
print("| host | without: kernel + userspace (median, min–max) | with | added | 90 % interval | late stage without / with |")
print("|---|---:|---:|---:|---:|---:|")
for h in ("db1", "minio1", "app1"):
    tot, all_ = {}, {}
    for side in ("without", "with"):
        k = [float(r[4]) + float(r[5]) for r in rows if r[0] == side and r[2] == h and r[4] != "-"]
        all_[side] = k
        tot[side] = (statistics.median(k), min(k), max(k), len(k)) if k else (float("nan"), 0, 0, 0)
    lw, lm = med("without", h, 6)[0], med("with", h, 6)[0]
    a, b = tot["without"], tot["with"]
    lo, hi = interval(all_["with"], all_["without"])
    print("| %s | %.1f s (%.1f–%.1f, n=%d) | %.1f s (%.1f–%.1f, n=%d) | %+.1f %% | %+.1f … %+.1f %% | %.1f / %.1f s |" % (
        h, a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], 100 * (b[0] / a[0] - 1), lo, hi, lw, lm))
# CPU seconds inside each guest when its agent was done: the whole guest
# (busy) and the monitoring units together
mon = re.compile(r"^(prometheus|systemd-journal-(upload|remote)|kiln-metrics)")
print()
print("| host | guest CPU busy without / with (median) | monitoring units' CPU with (median, min–max) |")
print("|---|---:|---:|")
for h in ("db1", "minio1", "app1"):
    busy = {sd: statistics.median([float(c[4]) for c in cpu if c[0] == sd and c[2] == h and c[3] == "(busy)"] or [float("nan")])
            for sd in ("without", "with")}
    per = {}
    for c in cpu:
        if c[0] == "with" and c[2] == h and mon.match(c[3]):
            per[c[1]] = per.get(c[1], 0.0) + float(c[4])
    v = sorted(per.values()) or [float("nan")]
    print("| %s | %.1f / %.1f s | %.1f s (%.1f–%.1f) |" % (h, busy["without"], busy["with"], statistics.median(v), v[0], v[-1]))
PY
