# The private network and VM helpers of the multi-VM end-to-end tests
# (tests/e2e/deployment.sh, scaled.sh, galera.sh), sourced after tests/lib.sh
# and tests/e2e/qemu.sh, with NS (the namespace's name) set. One bridge in a
# network namespace; its router holds the app subnet's gateway
# 192.168.40.193/28, the data subnet's 192.168.40.209/28 and the admin address
# 192.168.40.1/26 and forwards between them. Nothing leaves the namespace.

nsx() { ip netns exec $NS "$@"; }

# vmnet_up: the namespace, its bridge and the router's addresses.
vmnet_up() {
	ip netns add $NS || return 1
	nsx ip link set lo up
	# A fixed address: a bridge without one takes its lowest port's, so deleting a
	# tap (restore.sh's lost db1) could change the router's MAC under the VMs'
	# ARP caches and cut their replies to the admin address for a while.
	nsx ip link add br0 address 02:6b:69:6c:6e:01 type bridge
	nsx ip link set br0 up
	for a in 192.168.40.193/28 192.168.40.209/28 192.168.40.1/26; do nsx ip addr add $a dev br0; done
	nsx sysctl -qw net.ipv4.ip_forward=1
}

# medium NAME SEED-FILE: $T/NAME-seed.iso, a KILN_SEED medium holding the seed.
medium() {
	mkdir -p "$T/medium-$1"; cp "$2" "$T/medium-$1/seed"
	xorriso -as mkisofs -quiet -V KILN_SEED -o "$T/$1-seed.iso" "$T/medium-$1" 2>/dev/null
	check "$1: seed medium" test -s "$T/$1-seed.iso"
}

# start_vm HOST IMAGE DATA-DISK MAC [keep]: boot IMAGE (through a qcow2
# overlay) with HOST's seed medium and DATA-DISK (raw, on pvscsi; "" for
# none), its NIC on a tap of the bridge; keep: reuse the overlay, the
# variables and the tap (a power cycle). VM_MEM (MiB, default 1024) sizes it;
# VM_CPUS (a taskset list, e.g. 0) keeps all of QEMU's threads on those host
# cores, so that guests booting side by side do not time each other's work.
# Two knobs for questions about the bench's own conditions
# (bench/RESULTS.md): VM_IO_FIRST=1 runs every QEMU thread but the vCPU's at
# nice -10 (vm_io_first); VM_TMPFS_HOSTS (host names) keeps those hosts'
# writable disks in memory (vm_disk_dir).
start_vm() {
	local h=$1 img=$2 data=$3 mac=$4 keep=${5:-} pin=() ov
	ov=$(vm_disk_dir "$1")/$1.qcow2
	[ -n "${VM_CPUS:-}" ] && pin=(taskset -c "$VM_CPUS")
	if [ -z "$keep" ]; then
		nsx ip tuntap add tap-$h mode tap
		nsx ip link set tap-$h master br0 up
		cp "$OVMF_VARS" "$T/$h.vars"
		qemu-img create -q -f qcow2 -b "$img" -F raw "$ov"
	fi
	local args=(-name "$h,debug-threads=on" -accel "$QEMU_ACCEL" -machine q35 -m "${VM_MEM:-1024}" -smp 1 -nodefaults -display none -monitor none
		-chardev "file,id=con,path=$T/$h.log,append=on" -serial chardev:con
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$T/$h.vars"
		-drive "if=none,id=boot,format=qcow2,file=$ov" -device virtio-blk-pci,drive=boot,bootindex=0
		-drive "if=none,id=seed,format=raw,readonly=on,file=$T/$h-seed.iso" -device virtio-blk-pci,drive=seed
		-netdev "tap,id=n0,ifname=tap-$h,script=no,downscript=no" -device "vmxnet3,netdev=n0,mac=$mac")
	if [ -n "$data" ]; then
		args+=(-device pvscsi,id=pv0 -drive "if=none,id=data,format=raw,file=$data" -device scsi-hd,drive=data,bus=pv0.0)
	fi
	rm -f "$T/$h.pid"
	nsx "${pin[@]}" qemu-system-x86_64 "${args[@]}" -pidfile "$T/$h.pid" >"$T/$h.qemu.out" 2>&1 &
	# QEMU's own PID (not the shell's that started it): a power cut must kill QEMU.
	for _ in $(seq 100); do [ -s "$T/$h.pid" ] && break; sleep 0.1; done
	QEMU_PIDS+=($(cat "$T/$h.pid"))
	[ -z "${VM_IO_FIRST:-}" ] || vm_io_first "$(cat "$T/$h.pid")"
}

# vm_disk_dir HOST: where HOST's overlay (and, for the caller, its data
# disk) goes: $T, or a directory in /dev/shm for the hosts in VM_TMPFS_HOSTS,
# so that their writes do not share the host's disk with the others'.
VM_TMPFS_DIR=/dev/shm/kiln-vm-${T##*/}
vm_disk_dir() {
	case " ${VM_TMPFS_HOSTS:-} " in
	*" $1 "*) mkdir -p "$VM_TMPFS_DIR" && echo "$VM_TMPFS_DIR";;
	*) echo "$T";;
	esac
}

# vm_io_first PID: every QEMU thread but the vCPU's at nice -10, once the
# vCPU's exists (threads spawned later, the block layer's workers, inherit
# it from the main loop)
vm_io_first() {
	local t
	for _ in $(seq 100); do grep -qs 'CPU' /proc/$1/task/*/comm && break; sleep 0.05; done
	for t in /proc/$1/task/*; do
		case $(cat "$t/comm") in *CPU*) ;; *) renice -n -10 -p "${t##*/}" >/dev/null;; esac
	done
}

# power_cut HOST: kill -9 its QEMU (no shutdown, no cache flush by the guest)
# and wait until it is gone; the console gets a marker line.
power_cut() {
	local pid
	pid=$(cat "$T/$1.pid")
	vm_cpu_save "$1"
	# (IP, the test's addresses, may not be declared yet: no connection then)
	! declare -p IP >/dev/null 2>&1 || [ -z "${IP[$1]:-}" ] || adm_forget "${IP[$1]}"
	kill -9 "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	echo "=== power cut ===" >> "$T/$1.log"
}

# adm ADDRESS CMD...: CMD as root on a host over SSH, from the admin address.
# The first call to a host opens a connection that the later ones share
# (ControlMaster, its socket $T/ssh-ADDRESS): under TCG each new connection
# costs the guest's sshd a key exchange, an authentication and a session's
# set-up, and the tests poll hosts hundreds of times. adm_new opens a
# connection of its own (a check that the firewall admits SSH); adm_forget
# ends a host's shared one (its VM lost power: commands would wait on a
# connection nothing answers). A VM that stops by itself (a guest kernel
# panic under TCG was seen once) gets no adm_forget: ServerAlive* ends any
# connection whose host has not answered for a minute, so a check fails then
# instead of waiting out the test's time limit.
SSHO=(-o LogLevel=ERROR -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=30
      -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -i "$T/id")
SSH_SHARED=(-o ControlMaster=auto -o "ControlPath=$T/ssh-%h" -o ControlPersist=600)
adm() { local h=$1; shift; nsx ssh "${SSHO[@]}" "${SSH_SHARED[@]}" -b 192.168.40.1 "root@$h" "$@"; }
adm_new() { local h=$1; shift; nsx ssh "${SSHO[@]}" -o ControlPath=none -b 192.168.40.1 "root@$h" "$@"; }
adm_forget() { [ -S "$T/ssh-$1" ] && nsx ssh "${SSH_SHARED[@]}" -O exit "root@$1" >/dev/null 2>&1; rm -f "$T/ssh-$1"; return 0; }

# secret_value FILE: the part of a secret file a leak check looks for, on
# stdout: a PEM key's first line of key material, else the whole value;
# fails for a file with nothing worth looking for (under 8 characters).
secret_value() {
	local v
	v=$(sed -n 2p "$1"); [ "${v#-----}" = "$v" ] || return 1
	[ -n "$v" ] || v=$(cat "$1")
	[ ${#v} -ge 8 ] || return 1
	printf '%s' "$v"
}

# guest_cpu ADDRESS LABEL: where a host's own CPU went, one comment line: its
# busy and idle seconds since boot (/proc/stat) and the services that used
# the most (their cgroups' CPUUsageNSec, children included).
guest_cpu() {
	adm "$1" sh -s <<'EOF' 2>/dev/null | paste -sd' ' - | sed "s/^/# $2 CPU: /"
read -r _ u n s i w q sq _ </proc/stat
t=$(getconf CLK_TCK)
printf 'busy %s s, idle %s s; by service:' $(((u + n + s + q + sq) / t)) $(((i + w) / t))
systemctl show --type=service -p Id -p CPUUsageNSec '*' |
	awk -v RS= -F '\n' '{ id = c = ""
		for (i = 1; i <= NF; i++) if ($i ~ /^Id=/) id = substr($i, 4); else if ($i ~ /^CPUUsageNSec=[0-9]/) c = substr($i, 14)
		if (id != "" && c != "") printf "%s %.1f\n", id, c / 1e9 }' |
	sort -k2 -rn | head -6 | awk '{printf "%s %s %s s", (NR > 1 ? "," : ""), $1, $2}'
EOF
}

# firstboot_steps ADDRESS LABEL: where a host's kiln-firstboot time went, one
# "# LABEL STEP at S s took S s (PHASE S, ...)" line per step that ran (from
# status --json: the step's start in s since the kernel booted, its time and
# its phases' times).
firstboot_steps() {
	adm $1 'kiln-firstboot status --json' 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s.get("ms") is None and s.get("started_ms") is None:
        continue
    ph = ", ".join("%s %.1f" % (k, v / 1000) for k, v in s.get("phases", {}).items())
    print("# %s %-10s at %6.1f s  took %5s s%s" % (sys.argv[1], s["name"], (s["started_ms"] or 0) / 1000,
          "%.1f" % (s["ms"] / 1000) if s["ms"] is not None else "-", "  (" + ph + ")" if ph else ""))' "$2" 2>/dev/null
}

# vmnet_profile FIXTURE: P, the fixture (tests/profiles/fixtures/) with the
# test's own SSH key ($T/id) in place of @SSH_KEY@, and S, its state with
# keys and secrets made.
vmnet_profile() {
	ssh-keygen -q -t ed25519 -N '' -C kiln-e2e -f "$T/id" || { not_ok "ssh-keygen"; exit 1; }
	P=$T/$1 S=$T/state
	sed "s|@SSH_KEY@|$(cat "$T/id.pub")|" "$ROOT/tests/profiles/fixtures/$1" > "$P"
	check "keys init" "$KILN" keys init "$P" --state "$S"
	check "secrets init" "$KILN" secrets init "$P" --state "$S"
}

# vmnet_cleanup [NAMESPACE...]: a multi-VM test's EXIT trap: its VMs killed
# (and whatever else still names its directory: no VM outlives its test),
# the namespaces given and NS deleted, $T removed.
vmnet_cleanup() {
	local n
	qemu_stop_all
	pkill -KILL -f -- "$T/" 2>/dev/null
	for n in "$@" $NS; do ip netns del $n 2>/dev/null; done
	rm -rf "$T" "$VM_TMPFS_DIR"
}

# vmnet_require TEST: KILN_IMG, the plain build's kiln: images carry the
# kiln-firstboot found next to the kiln that builds them (an ASan binary
# would need its runtime in the image). Ends the test unless it is there and
# this is root (network namespaces).
vmnet_require() {
	KILN_IMG=$ROOT/build/kiln
	[ -x "$KILN_IMG" ] || { not_ok "$1: $KILN_IMG missing (make all)"; exit 1; }
	[ "$(id -u)" = 0 ] || { echo "ok - $1: needs root for network namespaces # SKIP"; exit 0; }
}

declare -A READY=() FAILED=()
# wait_ready T0 HOST...: watch every host's console at once until it says
# "deployment ready" or that its agent gave up (the summary line naming the
# failed step: not waited for until the deadline); one check per host with
# its time from power-on (T0, in $SECONDS) to ready, as seen on the console
# (an upper bound when the watch begins late). Waits up to $DEADLINE s from T0;
# READY and FAILED hold each host's time.
wait_ready() {
	local t0=$1 h; shift
	while [ $((${#READY[@]} + ${#FAILED[@]})) -lt $# ] && [ $((SECONDS - t0)) -lt $DEADLINE ]; do
		for h; do
			[ -n "${READY[$h]:-}${FAILED[$h]:-}" ] && continue
			if grep -aEq 'kiln: [0-9]+/[0-9]+ steps done - deployment ready' "$T/$h.log" 2>/dev/null; then
				READY[$h]=$((SECONDS - t0))
			elif grep -aEq '^kiln: [0-9]+/[0-9]+ steps done; [a-z]+ failed' "$T/$h.log" 2>/dev/null; then
				FAILED[$h]=$((SECONDS - t0))
			fi
		done
		sleep 2
	done
	for h; do
		if [ -n "${READY[$h]:-}" ]; then ok "$h: configured itself from its seed (deployment ready ${READY[$h]} s after the power-on)"
		else not_ok "$h: not ready (${FAILED[$h]:+its agent failed after ${FAILED[$h]} s}${FAILED[$h]:-no answer in $DEADLINE s})"; qemu_tail $h; fi
	done
	for h; do   # sshd may still be starting when the agent reports
		for _ in $(seq 30); do adm ${IP[$h]} true 2>/dev/null && break; sleep 2; done
	done
}
