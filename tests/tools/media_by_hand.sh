#!/bin/bash
# The installer media's boots CI does not make (tests/e2e/media.sh makes the others; README,
# "Known limits"), by hand, under the VM lock, from the mysql role's per-role media of
# tests/e2e/media.sh's profile (db1 by DMI serial, db2 by MAC):
#   A  USB image on a usb-storage stick, OVMF + Secure Boot, install db2 -> deployment ready
#   B  ISO as a CD-ROM, SeaBIOS, the OS disk first in the boot order and the CD-ROM second:
#      install db1 (the blank disk does not boot, the CD does), CD ejected, the host boots
#      its disk -> deployment ready
#   C  ISO written to a stick (usb-storage), SeaBIOS (GRUB's boot_hybrid.img MBR): install
#      db2; QEMU -no-reboot, then the disks alone -> deployment ready
# Usage: T=DIR tests/tools/media_by_hand.sh build, then ... A|B|C (make all first)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${T:?set T to a work directory (about 3 GiB)}
KILN_IMG=$ROOT/build/kiln
. "$ROOT/tests/e2e/qemu.sh"
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d"; fi; }
has() { grep -aEq -- "$2" "$T/$1.log"; }
vm() { # NAME FW KIND FILE MEDIUM_BOOTINDEX [DISK SERIAL BOOTINDEX]...
	local name=$1 fw=$2 kind=$3 file=$4 mbi=$5; shift 5
	local args=(-accel "$QEMU_ACCEL" -m 1024 -smp 2 -nodefaults -display none -monitor none -serial "file:$T/$name.log")
	case $fw in
	ovmf-sb) cp "$OVMF_SB_VARS" "$T/$name.vars"
		args+=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_SB_CODE" -drive "if=pflash,format=raw,unit=1,file=$T/$name.vars") ;;
	seabios) args+=(-machine q35) ;;
	esac
	[ -n "${NO_REBOOT:-}" ] && args+=(-no-reboot)
	local bi=${mbi:+,bootindex=$mbi}
	[ "$kind" = none ] || args+=(-drive "if=none,id=medium,format=raw,readonly=on,file=$file")
	args+=(-netdev user,id=n0,restrict=on -device "virtio-net-pci,netdev=n0${MAC:+,mac=$MAC}")
	[ -n "${SMBIOS_SERIAL:-}" ] && args+=(-smbios "type=1,serial=$SMBIOS_SERIAL")
	case $kind in
	iso) args+=(-device "ide-cd,drive=medium$bi") ;;
	usb) args+=(-device qemu-xhci,id=xhci -device "usb-storage,bus=xhci.0,drive=medium,removable=on$bi") ;;
	esac
	local i=0
	while [ $# -gt 0 ]; do
		args+=(-drive "if=none,id=d$i,format=raw,file=$1" -device "virtio-blk-pci,drive=d$i,serial=$2${3:+,bootindex=$3}")
		shift 3; i=$((i + 1))
	done
	echo "# $name: qemu-system-x86_64 ${args[*]}"
	: >"$T/$name.log"
	qemu-system-x86_64 "${args[@]}" >"$T/$name.qemu.out" 2>&1 &
	echo $! >"$T/$name.pid"
}
case $1 in
build)
	mkdir -p "$T"
	sed -n '/^cat >"\$P" <<.YAML.$/,/^YAML$/p' "$ROOT/tests/e2e/media.sh" | sed '1d;$d' >"$T/media.yaml"
	esxi_overlay "$T/ov"
	"$KILN_IMG" keys init "$T/media.yaml" --state "$T/S" >/dev/null && "$KILN_IMG" secrets init "$T/media.yaml" --state "$T/S" >/dev/null &&
	"$KILN_IMG" build "$T/media.yaml" --target iso --target usb --per-role --host db1 --host db2 --state "$T/S" \
		--out "$T/role" --overlay "$T/ov" --version 3 >"$T/build.log" 2>&1 && echo built || { tail "$T/build.log"; exit 1; }
	rm -f "$T"/role/*.raw ;;
A)	t0=$SECONDS
	truncate -s 50G "$T/dA.raw"; rm -f "$T/oA.raw"; truncate -s 12G "$T/oA.raw"; mkfs.ext4 -q -L old "$T/oA.raw"
	MAC=52:54:00:00:00:02 vm A ovmf-sb usb "$T/role/acme-mysql.img" "" "$T/oA.raw" OS-2 "" "$T/dA.raw" DATA-2 ""
	if qemu_wait A 'KILN-STATUS: kiln: .*deployment ready' 1500; then
		ok "A: USB image under OVMF + Secure Boot: db2 installed, deployment ready ($((SECONDS - t0)) s)"
		check "A: installer saw Secure Boot on, kernel locked down" has A 'kiln installer: UEFI Secure Boot: on; kernel lockdown: integrity'
		check "A: no driver refused" bash -c "! grep -aE 'kiln installer: module .*: ' '$T/A.log'"
		check "A: installer set BootNext" has A 'boot entry Boot[0-9A-F]{4} "kiln db2" is first'
		check "A: db2 configured" has A 'KILN-STATUS: +seed +done +host db2 \(mysql\)'
		qemu_wait A 'KILN-E2E: lockdown=' 120 && sleep 2
		echo "# A: installed host secure_boot=$(marker A secure_boot) lockdown=$(marker A lockdown)"
	else not_ok "A: no deployment ready"; fi
	qemu_stop A; rm -f "$T/oA.raw" "$T/dA.raw" ;;
B)	t0=$SECONDS
	truncate -s 50G "$T/dB.raw"; rm -f "$T/oB.raw"; truncate -s 12G "$T/oB.raw"
	# the OS disk first in the boot order, then the CD-ROM: blank, the disk does not boot, the CD does
	SMBIOS_SERIAL=KILN-DB1 vm B seabios iso "$T/role/acme-mysql.iso" 1 "$T/dB.raw" DATA-1 "" "$T/oB.raw" OS-1 0
	if qemu_wait B 'KILN-STATUS: kiln: .*deployment ready' 1500; then
		ok "B: ISO as a CD-ROM under SeaBIOS: db1 installed, CD ejected, host booted its disk, deployment ready ($((SECONDS - t0)) s)"
		check "B: installer booted by the BIOS" has B 'kiln installer: firmware: legacy BIOS \(no UEFI, no Secure Boot\)'
		check "B: no boot entry, CD ejected" has B 'legacy BIOS: no boot entry to set: the CD-ROM is ejected'
		check "B: db1 configured" has B 'KILN-STATUS: +seed +done +host db1 \(mysql\)'
		check "B: data disk by rule" has B 'KILN-STATUS: +datadisk +done +/dev/vda formatted and mounted'
		qemu_wait B 'KILN-E2E: secure_boot=' 120 && sleep 2
		echo "# B: installed host secure_boot=$(marker B secure_boot)"
	else not_ok "B: no deployment ready"; fi
	qemu_stop B; rm -f "$T/oB.raw" "$T/dB.raw" ;;
C)	t0=$SECONDS
	truncate -s 50G "$T/dC.raw"; rm -f "$T/oC.raw"; truncate -s 12G "$T/oC.raw"
	MAC=52:54:00:00:00:02 NO_REBOOT=1 vm C seabios usb "$T/role/acme-mysql.iso" 0 "$T/oC.raw" OS-2 "" "$T/dC.raw" DATA-2 ""
	if qemu_wait C 'kiln installer: (legacy BIOS: no boot entry|STOPPED|waiting here)' 1500; then
		check "C: the ISO on a stick under SeaBIOS (boot_hybrid.img MBR) booted the installer" has C 'kiln installer: firmware: legacy BIOS'
		check "C: installed db2" has C 'kiln installer: installed acme-mysql.raw'
		check "C: found the medium on the stick" has C 'kiln installer: medium /dev/sd[a-z]: payload'
		pid=$(cat "$T/C.pid"); for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		qemu_stop C
		MAC=52:54:00:00:00:02 vm C2 seabios none "" "" "$T/oC.raw" OS-2 0 "$T/dC.raw" DATA-2 ""
		if qemu_wait C2 'KILN-STATUS: kiln: .*deployment ready' 1500; then
			ok "C: stick removed, host booted its disk under SeaBIOS: deployment ready ($((SECONDS - t0)) s)"
			check "C: db2 configured" has C2 'KILN-STATUS: +seed +done +host db2 \(mysql\)'
		else not_ok "C: installed host: no deployment ready"; fi
		qemu_stop C2
	else not_ok "C: installer did not finish"; qemu_stop C; fi
	rm -f "$T/oC.raw" "$T/dC.raw" ;;
esac
