# QEMU helpers for the end-to-end tier, sourced after tests/lib.sh.
# UEFI (OVMF) + q35 under TCG; every wait has a deadline; a VM that does not
# get there is killed and its console tail printed.
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
QEMU_PIDS=()

# qemu_start NAME BOOTDISK BUS [DATADISK]: boot BOOTDISK (raw, opened through
# a qcow2 overlay so the image itself is never written; QEMU_GROW=SIZE makes
# the overlay, and so the VM's disk, that much larger) on BUS = virtio |
# nvme; DATADISK (raw) on a pvscsi controller; a vmxnet3 NIC on user-mode
# networking with restrict=on. The serial console goes to $T/NAME.log.
qemu_start() {
	local name=$1 disk=$2 bus=$3 data=${4:-}
	cp "$OVMF_VARS" "$T/$name.vars"
	local size=
	[ -n "${QEMU_GROW:-}" ] && size=$(( $(stat -c %s "$disk") + QEMU_GROW ))
	qemu-img create -q -f qcow2 -b "$disk" -F raw "$T/$name.qcow2" $size
	local args=(-accel tcg -machine q35 -m 1024 -smp 2 -nodefaults -display none
		-monitor none -serial "file:$T/$name.log"
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$T/$name.vars"
		-drive "if=none,id=boot,format=qcow2,file=$T/$name.qcow2"
		-netdev user,id=n0,restrict=on -device vmxnet3,netdev=n0)
	case $bus in
	virtio) args+=(-device virtio-blk-pci,drive=boot,bootindex=0) ;;
	nvme)   args+=(-device nvme,drive=boot,serial=kilnboot,bootindex=0) ;;
	*) echo "qemu_start: unknown bus $bus" >&2; return 2 ;;
	esac
	if [ -n "$data" ]; then
		qemu-img create -q -f qcow2 -b "$data" -F raw "$T/$name-data.qcow2"
		args+=(-device pvscsi,id=pv0
			-drive "if=none,id=data,format=qcow2,file=$T/$name-data.qcow2"
			-device scsi-hd,drive=data,bus=pv0.0)
	fi
	qemu-system-x86_64 "${args[@]}" >"$T/$name.qemu.out" 2>&1 &
	echo $! >"$T/$name.pid"
	QEMU_PIDS+=($!)
}

# qemu_wait NAME REGEX SECONDS: wait until the console log matches REGEX.
# Fails (console tail on stdout as comments) at the deadline or if QEMU exits.
qemu_wait() {
	local name=$1 re=$2 secs=$3 pid
	pid=$(cat "$T/$name.pid")
	local end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		grep -aEq -- "$re" "$T/$name.log" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "# $name: QEMU exited before /$re/"
			sed 's/^/#   /' "$T/$name.qemu.out" | tail -5
			qemu_tail "$name"
			return 1
		fi
		sleep 2
	done
	echo "# $name: no /$re/ on the console within ${secs}s"
	qemu_tail "$name"
	return 1
}

qemu_tail() {
	tr -d '\r' <"$T/$1.log" 2>/dev/null | tail -40 | sed 's/^/#   /'
}

# qemu_stop NAME: kill this VM (by its own PID) and wait for it.
qemu_stop() {
	local pid
	pid=$(cat "$T/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$T/$1.pid" "$T/$1.qcow2" "$T/$1-data.qcow2"
}

qemu_stop_all() {
	local p
	for p in "${QEMU_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${QEMU_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	QEMU_PIDS=()
}

# marker NAME KEY: the value of the last "KILN-E2E: KEY=value" console line.
# The report writes every marker twice; take the value most copies agree on
# (a console line can be cut by a kernel message).
marker() {
	tr -d '\r' <"$T/$1.log" | sed -n "s/.*KILN-E2E: $2=//p" | sort | uniq -c | sort -rn |
		sed -n '1s/^ *[0-9]* //p'
}
