# QEMU helpers for the end-to-end tier, sourced after tests/lib.sh.
# UEFI (OVMF) + q35 under TCG; every wait has a deadline; a VM that does not
# get there is killed and its console tail printed.
# TCG with every vCPU on one host thread: under multi-threaded TCG a 2-vCPU
# Debian 13 guest once died at 3 s of boot with "Oops: int3" in
# sched_clock_cpu (the kernel patching its own text with int3 breakpoints
# while the other vCPU still ran a stale translation of it: a cross-vCPU race
# of the emulator's, not the guest's; the 2026-12-05 cold run's ova.sh). One
# thread has no such race, and on a 2-core machine running two lanes a guest
# gets about one core either way. KVM is not used here: its guests hang.
QEMU_ACCEL=${QEMU_ACCEL:-tcg,thread=single}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
# Secure Boot: Debian's OVMF build with SMM-protected variables, and a
# variable store with the Microsoft keys enrolled and Secure Boot on.
OVMF_SB_CODE=${OVMF_SB_CODE:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
OVMF_SB_VARS=${OVMF_SB_VARS:-/usr/share/OVMF/OVMF_VARS_4M.ms.fd}
QEMU_PIDS=()

# qemu_start NAME BOOTDISK BUS [DATADISK]: boot BOOTDISK (raw, opened through
# a qcow2 overlay so the image itself is never written; QEMU_GROW=SIZE makes
# the overlay, and so the VM's disk, that much larger) on BUS = virtio |
# nvme; DATADISK (raw) on a pvscsi controller; a vmxnet3 NIC on user-mode
# networking with restrict=on. The serial console goes to $T/NAME.log.
# QEMU_FIRMWARE picks the firmware: ovmf (default, UEFI without Secure
# Boot), ovmf-sb (UEFI, Microsoft keys enrolled, Secure Boot enforced) or
# seabios (legacy BIOS).
qemu_start() {
	local name=$1 disk=$2 bus=$3 data=${4:-}
	local size=
	[ -n "${QEMU_GROW:-}" ] && size=$(( $(stat -c %s "$disk") + QEMU_GROW ))
	qemu-img create -q -f qcow2 -b "$disk" -F raw "$T/$name.qcow2" $size
	local args=(-accel "$QEMU_ACCEL" -m 1024 -smp 2 -nodefaults -display none
		-monitor none -serial "file:$T/$name.log"
		-drive "if=none,id=boot,format=qcow2,file=$T/$name.qcow2"
		-netdev user,id=n0,restrict=on -device vmxnet3,netdev=n0)
	case ${QEMU_FIRMWARE:-ovmf} in
	ovmf)
		cp "$OVMF_VARS" "$T/$name.vars"
		args+=(-machine q35 -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$T/$name.vars") ;;
	ovmf-sb)
		cp "$OVMF_SB_VARS" "$T/$name.vars"
		args+=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_SB_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$T/$name.vars") ;;
	seabios) args+=(-machine q35) ;;   # QEMU's default firmware
	*) echo "qemu_start: unknown firmware $QEMU_FIRMWARE" >&2; return 2 ;;
	esac
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
	tr -d '\r' <"$T/$1.log" 2>/dev/null | grep -a 'KILN-HANG: ' | tail -400 | sed 's/^/#   /'
	tr -d '\r' <"$T/$1.log" 2>/dev/null | tail -40 | sed 's/^/#   /'
}

# vm_cpu_save NAME: the host CPU seconds NAME's QEMU has used so far, added
# to $T/NAME.cpu (one line per power-on; called before it is stopped).
vm_cpu_save() {
	local pid f
	pid=$(cat "$T/$1.pid" 2>/dev/null) || return 0
	read -ra f 2>/dev/null </proc/"$pid"/stat || return 0   # gone: saved when it was stopped
	echo $(( (f[13] + f[14]) / $(getconf CLK_TCK) )) >>"$T/$1.cpu"
}
# vm_cpu_report: one comment line, the host CPU each VM used over the test
# (every power-on of it), the running ones counted up to now.
vm_cpu_report() {
	local f h total=0 line=
	for f in "$T"/*.pid; do [ -e "$f" ] && vm_cpu_save "$(basename "$f" .pid)"; done
	for f in "$T"/*.cpu; do
		[ -e "$f" ] || continue
		h=$(basename "$f" .cpu)
		local s=$(($(paste -sd+ "$f")))
		line+=" $h $s s,"; total=$((total + s))
	done
	echo "# host CPU per VM:${line%,} (all VMs: $total s)"
}

# qemu_stop NAME: kill this VM (by its own PID) and wait for it.
qemu_stop() {
	local pid
	pid=$(cat "$T/$1.pid" 2>/dev/null) || return 0
	vm_cpu_save "$1"
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

# esxi_overlay DIR: the overlay tree the ESXi/EC2 datasource tests build into
# their images:
# - kiln-e2e-status.service prints kiln-firstboot's status on the console
#   (KILN-STATUS: lines) when the first boot is over, with diagnostics
#   (KILN-DIAG:) when it failed, then the block devices (KILN-LSBLK: name
#   fstype label mountpoint), the role services' state (KILN-ACTIVE:) and
#   the hostname (KILN-HOSTNAME:), and what of the seed a process that is
#   not root can reach (KILN-E2E: markers, twice each): imds_reach (an
#   IMDSv2 token), sr0_reach (the OVF environment CD-ROM), stored_seed_reach
#   (/var/lib/kiln/seed), each "nobody=... root=..." from
#   tests/fixtures/seed_reach.sh (installed as kiln-e2e-seed-reach), and
#   sr0_mode (the CD-ROM's mode and owner after udev re-applies its rules to
#   a change event), secure_boot (the SecureBoot variable: 1, 0 or absent)
#   and lockdown (the kernel's lockdown mode);
# - kiln-e2e-piix-decode.service does the one thing a PC firmware does that
#   Debian 12's OVMF does not: set the PIIX IDE channels' decode-enable bits
#   (IDETIM bit 15: PCI config bytes 0x41 and 0x43, bit 7), then re-probe
#   ata_piix. Linux's ata_piix skips a channel whose bit is clear (it treats
#   it as switched off in the BIOS), so under OVMF on i440fx no IDE CD-ROM is
#   ever found, while the same kernel and initrd under SeaBIOS (which sets the
#   bits) find it at once. On ESXi this is VMware's firmware's job (not
#   verified on a real host here; docs/esxi-ec2.md). The unit prints the
#   bytes it found (KILN-E2E-FW:) and does nothing where there is no PIIX IDE
#   (q35) or the bits are already set;
# - kiln-e2e-hangdump.service (hang_dump_overlay) says what a first boot
#   still running after 240 s waits for.
esxi_overlay() {
	local ov=$1
	install -d "$ov/etc/systemd/system/multi-user.target.wants" \
		"$ov/etc/systemd/system/sysinit.target.wants" "$ov/usr/local/sbin"
	cat >"$ov/etc/systemd/system/kiln-e2e-status.service" <<'UNIT'
[Unit]
Description=kiln e2e: first-boot status to the console
After=kiln-firstboot.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'kiln-firstboot status > /run/kiln-status 2>&1; rc=$?; sed "s/^/KILN-STATUS: /" /run/kiln-status > /dev/console; [ $rc = 0 ] || (ls -l /dev/sr* /dev/disk/by-label; journalctl -b --no-pager -u mariadb | tail -15) 2>&1 | sed "s/^/KILN-DIAG: /" > /dev/console; true'
ExecStart=/usr/local/sbin/kiln-e2e-facts
[Install]
WantedBy=multi-user.target
UNIT
	ln -sf /etc/systemd/system/kiln-e2e-status.service \
		"$ov/etc/systemd/system/multi-user.target.wants/kiln-e2e-status.service"
	# Written twice: a kernel message can cut a console line.
	install -m 0755 "$ROOT/tests/fixtures/seed_reach.sh" "$ov/usr/local/sbin/kiln-e2e-seed-reach"
	cat >"$ov/usr/local/sbin/kiln-e2e-facts" <<'SCRIPT'
#!/bin/sh
imds=$(kiln-e2e-seed-reach imds http://169.254.169.254)
stored=$(kiln-e2e-seed-reach read /var/lib/kiln/seed)
sr0=none sr0_mode=none
if [ -b /dev/sr0 ]; then
	udevadm trigger --action=change --settle /dev/sr0 2>/dev/null
	sr0=$(kiln-e2e-seed-reach read /dev/sr0)
	sr0_mode=$(stat -c '%a %U:%G' /dev/sr0)
fi
# the SecureBoot variable (4 attribute bytes, then 1 = on) and the kernel's lockdown mode
sb=$(od -An -tu1 -j4 -N1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c 2>/dev/null | tr -d ' ')
lockdown=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null)
for _ in 1 2; do
	lsblk -rno NAME,FSTYPE,LABEL,MOUNTPOINT | sed "s/^/KILN-LSBLK: /"
	systemctl is-active mariadb.service minio.service nginx.service | paste -sd, - | sed "s/^/KILN-ACTIVE: mariadb,minio,nginx=/"
	echo "KILN-HOSTNAME: $(hostname)"
	echo "KILN-E2E: imds_reach=$imds"
	echo "KILN-E2E: stored_seed_reach=$stored"
	echo "KILN-E2E: sr0_reach=$sr0"
	echo "KILN-E2E: sr0_mode=$sr0_mode"
	echo "KILN-E2E: secure_boot=${sb:-absent}"
	echo "KILN-E2E: lockdown=${lockdown:-unknown}"
done > /dev/console
exit 0
SCRIPT
	chmod 0755 "$ov/usr/local/sbin/kiln-e2e-facts"
	cat >"$ov/etc/systemd/system/kiln-e2e-piix-decode.service" <<'UNIT'
[Unit]
Description=kiln e2e: enable PIIX IDE decode as a PC firmware does (OVMF does not)
DefaultDependencies=no
After=systemd-udev-trigger.service
Before=systemd-udev-settle.service kiln-firstboot-early.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kiln-e2e-piix-decode
[Install]
WantedBy=sysinit.target
UNIT
	ln -sf /etc/systemd/system/kiln-e2e-piix-decode.service \
		"$ov/etc/systemd/system/sysinit.target.wants/kiln-e2e-piix-decode.service"
	cat >"$ov/usr/local/sbin/kiln-e2e-piix-decode" <<'SCRIPT'
#!/bin/sh
byte() { od -An -tu1 -j "$2" -N1 "$1/config" | tr -d ' '; }
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] || continue
	case $(cat "$d/device") in 0x7010|0x7111) ;; *) continue ;; esac   # PIIX3, PIIX4 IDE
	pri=$(byte "$d" 65) sec=$(byte "$d" 67)
	printf 'KILN-E2E-FW: %s IDETIM decode bytes 0x41=%02x 0x43=%02x\n' "${d##*/}" "$pri" "$sec" > /dev/console
	[ $((pri & 128)) -ne 0 ] && [ $((sec & 128)) -ne 0 ] && continue
	printf "\\$(printf %o $((pri | 128)))" | dd of="$d/config" bs=1 seek=65 conv=notrunc 2>/dev/null
	printf "\\$(printf %o $((sec | 128)))" | dd of="$d/config" bs=1 seek=67 conv=notrunc 2>/dev/null
	if [ -e "$d/driver" ]; then
		echo "${d##*/}" > /sys/bus/pci/drivers/ata_piix/unbind
		echo "${d##*/}" > /sys/bus/pci/drivers/ata_piix/bind
	fi
	# The ATA probe runs asynchronously: give a CD-ROM 30 s to show up.
	for _ in $(seq 60); do ls /sys/class/block/ | grep -q '^sr' && break; sleep 0.5; done
	printf 'KILN-E2E-FW: %s decode enabled, re-probed: %s\n' "${d##*/}" "$(ls /sys/class/block/ | grep '^sr' | tr '\n' ' ')" > /dev/console
done
exit 0
SCRIPT
	chmod 0755 "$ov/usr/local/sbin/kiln-e2e-piix-decode"
	hang_dump_overlay "$ov"
}

# hang_dump_overlay DIR: kiln-e2e-hangdump.service, started early in the
# boot beside (not after) either stage of kiln-firstboot: while a stage is
# still running 240 s (KILN_E2E_HANG_SECONDS at image build) after the service
# started, and again every 240 s, three times at most, it writes to the
# console, each line prefixed KILN-HANG:, systemd's job queue, the state of
# the agent, the database server, the data disk's mount and the agents'
# units, the agent's journal, the processes (with what each waits in), the
# mounts, fstab and the disk labels udev knows. Nothing when the agent is
# done by then. Every command has a timeout: a stuck PID 1 must not stop the
# dump. qemu_tail prints these lines whatever the console's tail.
hang_dump_overlay() {
	local ov=$1
	install -d "$ov/etc/systemd/system/sysinit.target.wants" "$ov/usr/local/sbin"
	# In sysinit, beside the early stage (which sysinit.target waits for):
	# a unit of multi-user.target would start only after the early stage.
	cat >"$ov/etc/systemd/system/kiln-e2e-hangdump.service" <<'UNIT'
[Unit]
Description=kiln e2e: what a first boot still running waits for, to the console
DefaultDependencies=no
After=systemd-journald.service local-fs.target
Conflicts=shutdown.target
Before=shutdown.target
[Service]
Type=exec
ExecStart=/usr/local/sbin/kiln-e2e-hangdump
[Install]
WantedBy=sysinit.target
UNIT
	ln -sf /etc/systemd/system/kiln-e2e-hangdump.service \
		"$ov/etc/systemd/system/sysinit.target.wants/kiln-e2e-hangdump.service"
	sed "s/@SECONDS@/${KILN_E2E_HANG_SECONDS:-240}/" >"$ov/usr/local/sbin/kiln-e2e-hangdump" <<'SCRIPT'
#!/bin/sh
running() {
	for u in kiln-firstboot-early.service kiln-firstboot.service; do
		[ "$(timeout 30 systemctl show -p ActiveState --value "$u")" = activating ] && return 0
	done
	return 1
}
t() { timeout 30 "$@" 2>&1; }
for n in 1 2 3; do
	sleep @SECONDS@
	running || exit 0
	{
		echo "=== dump $n: a first-boot stage still running, $(cut -d' ' -f1 /proc/uptime) s after boot"
		echo "--- systemctl list-jobs"; t systemctl list-jobs --no-pager
		echo "--- systemctl status"
		t systemctl status --no-pager --lines=0 kiln-firstboot-early kiln-firstboot mariadb var-lib-mysql.mount
		echo "--- journal of the agent"; t journalctl -b --no-pager -o short-monotonic -u kiln-firstboot-early -u kiln-firstboot | tail -60
		echo "--- journal of mariadb"; t journalctl -b --no-pager -o short-monotonic -u mariadb | tail -20
		echo "--- processes: pid state ppid wchan args"
		for p in /proc/[0-9]*; do
			a=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) && [ -n "$a" ] || continue
			echo "${p#/proc/} $(sed 's/.*) \([A-Z]\) \([0-9]*\) .*/\1 \2/' "$p/stat") $(cat "$p/wchan" 2>/dev/null) $a"
		done
		echo "--- mounts"; grep -E ' /var/lib/| / ' /proc/self/mountinfo
		echo "--- fstab"; cat /etc/fstab
		echo "--- by-label"; ls -l /dev/disk/by-label 2>&1
		echo "--- lsblk"; t lsblk -rno NAME,FSTYPE,LABEL,MOUNTPOINT
	} | cut -c1-400 | sed "s/^/KILN-HANG: /" > /dev/console
done
exit 0
SCRIPT
	chmod 0755 "$ov/usr/local/sbin/kiln-e2e-hangdump"
}

# ovf_env_iso ISO KEY=VALUE...: an OVF environment ISO as vSphere's "iso"
# transport makes it: ovf-env.xml at the root of an iso9660 CD, one Property
# per key (values XML-escaped).
ovf_env_iso() {
	local iso=$1 dir kv k v; shift
	dir=$(mktemp -d "$T/ovfenv.XXXXXX")
	{
		cat <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1"
     xmlns:ve="http://www.vmware.com/schema/ovfenv" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" oe:id="" ve:esxId="vm-42">
  <PlatformSection><Kind>VMware ESXi</Kind><Version>8.0.0</Version><Vendor>VMware, Inc.</Vendor><Locale>en</Locale></PlatformSection>
  <PropertySection>
XML
		for kv in "$@"; do
			k=${kv%%=*} v=${kv#*=}
			v=$(printf '%s' "$v" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g')
			printf '    <Property oe:key="%s" oe:value="%s"/>\n' "$k" "$v"
		done
		printf '  </PropertySection>\n</Environment>\n'
	} >"$dir/ovf-env.xml"
	xorriso -as mkisofs -quiet -V OVF_ENV -o "$iso" "$dir" 2>/dev/null
}
