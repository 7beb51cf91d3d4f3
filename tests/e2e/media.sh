#!/usr/bin/env bash
# End to end, installer media (docs/install.md, "Installer media"): kiln
# build --target iso|usb makes one medium per host of a three-host mysql
# profile; each is booted under QEMU TCG (q35; OVMF, with no bootindex:
# OVMF prunes boot entries QEMU's bootindex does not name; or SeaBIOS, the
# medium given bootindex 0) with blank virtio disks told apart by serial:
#   db1 (install.disk serial OS-*, data_disk serial DATA-*, unattended), ISO
#     as a SATA CD-ROM, the data disk first and the OS disk second:
#     1. the OS disk holds a filesystem: refused, nothing written;
#     2. both blank: the serial rule picks the OS disk; QEMU is killed during
#        the copy (a power cut): the disk has no partition table (sfdisk);
#     3. the same medium again, with Secure Boot enforced (OVMF with the
#        Microsoft keys, as tests/e2e/boot.sh): shim, Debian's GRUB and
#        kernel boot the installer, which reports Secure Boot on and the
#        kernel locked down and loads every driver (Debian-signed); the
#        install completes, the host reboots from its disk (the installer's
#        BootNext) through the same chain, reports Secure Boot on,
#        configures itself from the seed: "deployment ready", the data disk
#        formatted and mounted;
#   db2 (the same rules, install.wipe: true), USB image on a usb-storage
#     stick, legacy BIOS (SeaBIOS): the MBR's GRUB boot.img and the BIOS
#     boot partition's core.img boot the installer, the OS disk holding a
#     filesystem is installed all the same; QEMU runs with -no-reboot, and
#     the host is booted again without the stick (as the installer tells an
#     operator under BIOS, which has no BootNext) from its disk's own BIOS
#     chain: "deployment ready";
#   db3 (no install: rules), ISO as a CD-ROM under SeaBIOS (GRUB's El
#     Torito BIOS image), two blank disks: stops and lists both.
# The other boots use OVMF without Secure Boot: every firmware boots the
# media to the same grub.cfg, kernel and installer. Checked by hand, not
# here (README, "Bare metal"): the USB image under OVMF with Secure Boot,
# the ISO written to a stick under SeaBIOS (GRUB's boot_hybrid.img MBR).
# Times each boot (# media: lines).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/qemu.sh"
KILN_IMG=$ROOT/build/kiln   # media carry the plain kiln-installer and kiln-firstboot
[ -x "$KILN_IMG" ] && [ -x "$ROOT/build/kiln-installer" ] ||
	{ not_ok "media e2e: $KILN_IMG or kiln-installer missing (make all)"; exit 1; }
trap 'qemu_stop_all; rm -rf "$T"' EXIT
DEADLINE=${KILN_E2E_BOOT_SECONDS:-900}
start_all=$SECONDS

ov=$T/overlay
esxi_overlay "$ov"   # KILN-STATUS and KILN-LSBLK lines on the console once the first boot is over
P=$T/media.yaml
cat >"$P" <<'YAML'
kiln: 1
deployment: {name: acme, domain: acme.internal}
subnets:
  - {name: data, cidr: 192.168.40.208/28, gateway: 192.168.40.209}
install:
  disk: {serial: "OS-*", size_gib: [10, 64]}
  data_disk: {serial: "DATA-*"}
  unattended: true
hosts:
  - name: db1
    role: mysql
    subnet: data
    address: 192.168.40.210
    install: {machine: {dmi_serial: KILN-DB1}}
  - name: db2
    role: mysql
    subnet: data
    address: 192.168.40.211
    install: {wipe: true, machine: {mac: "52:54:00:00:00:02"}}
  - name: db3
    role: mysql
    subnet: data
    address: 192.168.40.212
    install: {disk: {size_gib: [1, 1000]}, data_disk: {size_gib: [1, 1000]}, unattended: false}
roles:
  mysql: {database: appdb, user: app}
targets: [iso, usb]
YAML
# db3 takes no rule at all: a copy of the profile without its install: lines
sed '/^    install: {disk/d' "$P" >"$T/norule.yaml"
S=$T/state
check "keys and secrets" bash -c "'$KILN' keys init '$P' --state '$S' && '$KILN' secrets init '$P' --state '$S'"
t0=$SECONDS
check "kiln build --target iso --target usb --per-role for db1 and db2" "$KILN_IMG" build "$P" --target iso \
	--target usb --per-role --host db1 --host db2 --state "$S" --out "$T/role" --overlay "$ov" --version 3
echo "# media: the mysql role's ISO and USB image for db1 and db2 built in $((SECONDS - t0)) s (image included)"
ISO=$T/role/acme-mysql.iso USB=$T/role/acme-mysql.img
sed -i '/^install:/,/^  unattended/d' "$T/norule.yaml"
check "kiln build --target iso for db3 (no rules)" "$KILN_IMG" build "$T/norule.yaml" --target iso --host db3 \
	--state "$S" --out "$T/iso3" --version 3
xorriso -indev "$ISO" -report_el_torito plain -report_system_area plain >"$T/eltorito.txt" 2>/dev/null
check "the ISO's El Torito catalogue has a BIOS boot image, GRUB's, patched as grub-mkrescue does" bash -c \
	"grep -q 'El Torito boot img : *1 *BIOS  y   none' '$T/eltorito.txt' &&
	 grep -q 'El Torito img opts : *1 *boot-info-table grub2-boot-info' '$T/eltorito.txt'"
check "and a UEFI boot image" grep -q 'El Torito boot img : *2 *UEFI' "$T/eltorito.txt"
check "the ISO's MBR holds GRUB's hybrid boot code beside the GPT" grep -q 'System area summary: MBR .*grub2-mbr.* GPT' \
	"$T/eltorito.txt"
check "the USB image has a BIOS boot partition (LBA 34..2047) and passes sgdisk -v" bash -c \
	"sfdisk --json '$USB' | grep -A2 '\"start\": 34,' | grep -q '\"type\": \"21686148-6449-6E6F-744E-656564454649\"' &&
	 sgdisk -v '$USB' | grep -q 'No problems found'"
rm -f "$T"/role/*.raw "$T"/iso3/*.raw

# media_vm NAME MEDIUM(iso|usb) FILE DISK SERIAL [DISK SERIAL]: the medium
# read-only, the disks as virtio with serials, in that order; the machine's
# SMBIOS system serial and NIC MAC from SMBIOS_SERIAL and MAC when set; the
# firmware from QEMU_FIRMWARE (ovmf, the default, ovmf-sb or seabios).
# Under SeaBIOS, which boots only the first of its hard disks, the medium
# boots first (bootindex 0), or with MEDIUM none (FILE "") the first disk;
# QEMU_NO_REBOOT=1: QEMU exits when the guest reboots.
media_vm() {
	local name=$1 kind=$2 file=$3; shift 3
	local args=(-accel "$QEMU_ACCEL" -m 1024 -smp 2 -nodefaults -display none -monitor none
		-serial "file:$T/$name.log") bi= dbi=
	if [ "${QEMU_FIRMWARE:-ovmf}" = seabios ]; then
		bi=,bootindex=0
		[ "$kind" = none ] && dbi=,bootindex=0
	fi
	[ -n "${QEMU_NO_REBOOT:-}" ] && args+=(-no-reboot)
	case ${QEMU_FIRMWARE:-ovmf} in
	ovmf)
		cp "$OVMF_VARS" "$T/$name.vars"
		args+=(-machine q35 -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE") ;;
	ovmf-sb)   # as qemu.sh: Microsoft keys enrolled, Secure Boot enforced
		cp "$OVMF_SB_VARS" "$T/$name.vars"
		args+=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_SB_CODE") ;;
	seabios) args+=(-machine q35) ;;   # QEMU's default firmware
	esac
	[ "${QEMU_FIRMWARE:-ovmf}" = seabios ] || args+=(-drive "if=pflash,format=raw,unit=1,file=$T/$name.vars")
	[ "$kind" = none ] || args+=(-drive "if=none,id=medium,format=raw,readonly=on,file=$file")
	args+=(-netdev user,id=n0,restrict=on -device "virtio-net-pci,netdev=n0${MAC:+,mac=$MAC}")
	if [ -n "${SMBIOS_SERIAL:-}" ]; then args+=(-smbios "type=1,serial=$SMBIOS_SERIAL"); fi
	case $kind in
	iso) args+=(-device "ide-cd,drive=medium$bi") ;;
	usb) args+=(-device qemu-xhci,id=xhci -device "usb-storage,bus=xhci.0,drive=medium,removable=on$bi") ;;
	esac
	local i=0
	while [ $# -gt 0 ]; do
		args+=(-drive "if=none,id=d$i,format=raw,file=$1" -device "virtio-blk-pci,drive=d$i,serial=$2$dbi")
		shift 2; i=$((i + 1)) dbi=
	done
	qemu-system-x86_64 "${args[@]}" >"$T/$name.qemu.out" 2>&1 &
	echo $! >"$T/$name.pid"
	QEMU_PIDS+=($!)
}
has() { grep -aEq -- "$2" "$T/$1.log"; }

# --- the role's medium on a machine no rule names -----------------------------------
truncate -s 50G "$T/data1.raw"
truncate -s 12G "$T/os1.raw"
t0=$SECONDS
media_vm nomatch iso "$ISO" "$T/data1.raw" DATA-1 "$T/os1.raw" OS-1
if qemu_wait nomatch 'kiln installer: (STOPPED|waiting here|installing)' 300; then
	check "no host's install.machine rule matches: the installer stops" has nomatch \
		"STOPPED, nothing was written: this machine matches no host's install.machine rule"
	check "it shows the machine's facts" has nomatch 'this machine: NICs eth0 52:54:00:12:34:56; DMI serial'
	check "and why each rule failed" bash -c "grep -aEq '(its DMI serial .* is not|it reports no DMI serial, the rule wants) \"KILN-DB1\"' '$T/nomatch.log' &&
		grep -aq 'no network card has MAC 52:54:00:00:00:02' '$T/nomatch.log'"
	check "it stopped before looking at a disk" bash -c "! grep -aq 'kiln installer: disks:' '$T/nomatch.log'"
	check "without Secure Boot the same chain boots, and the installer says it is off" has nomatch \
		'kiln installer: UEFI Secure Boot: off; kernel lockdown: none'
else
	not_ok "the role's medium did not stop on a machine no rule names"
fi
qemu_stop nomatch
check "nothing was written on either disk" bash -c "! blkid -p '$T/os1.raw' && ! blkid -p '$T/data1.raw'"
echo "# media: no-match boot $((SECONDS - t0)) s"

# --- db1: refused, power cut, rerun ----------------------------------------------
mkfs.ext4 -q -L old "$T/os1.raw"
export SMBIOS_SERIAL=KILN-DB1
t0=$SECONDS
media_vm refuse iso "$ISO" "$T/data1.raw" DATA-1 "$T/os1.raw" OS-1
if qemu_wait refuse 'kiln installer: (STOPPED|waiting here)' 300; then
	check "a disk the rule picks that holds a filesystem is refused" has refuse \
		'STOPPED, nothing was written: vdb holds data: kiln overwrites it only with install.wipe: true'
	check "the refusal lists why: it holds ext4 \"old\"" has refuse 'matches install.disk but is not blank \(ext4 "old"\)'
	check "the role's medium picked db1 by its DMI serial" has refuse '-> this machine: db1 is installed'
else
	not_ok "db1: the installer did not stop on a disk holding a filesystem"
fi
qemu_stop refuse
check "nothing was written: the filesystem is still there" bash -c "blkid -p '$T/os1.raw' | grep -q 'LABEL=\"old\"'"
echo "# media: refusal boot $((SECONDS - t0)) s"

dd if=/dev/zero of="$T/os1.raw" bs=1M count=4 conv=notrunc status=none
t0=$SECONDS
media_vm cut iso "$ISO" "$T/data1.raw" DATA-1 "$T/os1.raw" OS-1
if qemu_wait cut 'kiln: writing: [0-9]+% \([1-9][0-9]* of' 300; then
	check "the serial rule picks the OS disk, the second of two blank disks" has cut \
		'vdb .*serial "OS-1"'
	check "the data disk is set aside for kiln-firstboot" has cut '-> the data disk: kiln-firstboot formats it'
	qemu_stop cut   # the power cut, mid-copy
	check_fails "after the power cut the OS disk has no partition table" '.' sfdisk --json "$T/os1.raw"
else
	not_ok "db1: the install did not start writing"
	qemu_stop cut
fi
echo "# media: power-cut boot $((SECONDS - t0)) s"

t0=$SECONDS
QEMU_FIRMWARE=ovmf-sb media_vm rerun iso "$ISO" "$T/data1.raw" DATA-1 "$T/os1.raw" OS-1
if qemu_wait rerun 'KILN-STATUS: kiln: .*deployment ready' "$DEADLINE"; then
	ok "db1: the rerun completes under Secure Boot, the host boots its disk and configures itself from the seed"
	check "Secure Boot: the installer saw it on, its kernel locked down" has rerun \
		'kiln installer: UEFI Secure Boot: on; kernel lockdown: integrity'
	check "Secure Boot: the locked-down kernel loaded every driver of the medium (Debian-signed)" bash -c \
		"! grep -aE 'kiln installer: module .*: ' '$T/rerun.log'"
	# the facts come after the status lines, twice each
	qemu_wait rerun 'KILN-E2E: lockdown=' 120 && sleep 2
	sb=$(marker rerun secure_boot) ld=$(marker rerun lockdown)
	[ "$sb" = 1 ] && ok "Secure Boot: the installed host reports it on" ||
		not_ok "Secure Boot: the installed host reports SecureBoot '$sb', not 1"
	[ "$ld" = integrity ] && ok "Secure Boot: the installed host's kernel is locked down" ||
		not_ok "Secure Boot: the installed host's lockdown is '$ld', not integrity"
	check "the installer made the installed disk boot next" has rerun 'boot entry Boot[0-9A-F]{4} "kiln db1" is first'
	check "db1's seed came from /etc/kiln/seed" has rerun 'KILN-STATUS: datasource: *file:/etc/kiln/seed'
	check "the installed host configured itself as db1" has rerun 'KILN-STATUS: +seed +done +host db1 \(mysql\)'
	check "db1's data disk was found by its rule, formatted and mounted" has rerun \
		'KILN-STATUS: +datadisk +done +/dev/vda formatted and mounted'
	check "the installed disk passes sgdisk -v" bash -c "sgdisk -v '$T/os1.raw' | grep -q 'No problems found'"
else
	not_ok "db1: the rerun did not reach deployment ready"
fi
qemu_stop rerun
unset SMBIOS_SERIAL
echo "# media: install + first boot (ISO, Secure Boot) $((SECONDS - t0)) s"
rm -f "$T/os1.raw" "$T/data1.raw"

# --- db2: USB stick, install.wipe, legacy BIOS ----------------------------------
truncate -s 50G "$T/data2.raw"
truncate -s 12G "$T/os2.raw"
mkfs.ext4 -q -L old "$T/os2.raw"
t0=$SECONDS
MAC=52:54:00:00:00:02 QEMU_FIRMWARE=seabios QEMU_NO_REBOOT=1 media_vm usb usb "$USB" "$T/os2.raw" OS-2 "$T/data2.raw" DATA-2
if qemu_wait usb 'kiln installer: (legacy BIOS: no boot entry|STOPPED|waiting here)' "$DEADLINE"; then
	check "SeaBIOS: the stick's MBR and BIOS boot partition booted the installer" has usb \
		'kiln installer: firmware: legacy BIOS \(no UEFI, no Secure Boot\)'
	check "the role's medium picked db2 by its NIC's MAC" has usb '-> this machine: db2 is installed'
	check "the installer installed db2" has usb 'kiln installer: deployment acme, host db2 \(role mysql\)'
	check "the installer found the medium on the USB stick" has usb 'kiln installer: medium /dev/sd[a-z]: payload'
	check "install.wipe: the filesystem on the OS disk was overwritten" has usb 'install.wipe: its content is lost'
	check "under BIOS the installer says to remove the stick" has usb \
		'legacy BIOS: no boot entry to set: remove the medium before the host boots again'
	# the guest's reboot ends QEMU (-no-reboot): the operator pulls the stick
	pid=$(cat "$T/usb.pid")
	for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
	qemu_stop usb
	MAC=52:54:00:00:00:02 QEMU_FIRMWARE=seabios media_vm usbhost none "" "$T/os2.raw" OS-2 "$T/data2.raw" DATA-2
	if qemu_wait usbhost 'KILN-STATUS: kiln: .*deployment ready' "$DEADLINE"; then
		ok "db2 from a USB stick under SeaBIOS: installed over a filesystem (install.wipe), booted from its disk, deployment ready"
		check "the installed host configured itself as db2" has usbhost 'KILN-STATUS: +seed +done +host db2 \(mysql\)'
		check "db2's data disk was formatted and mounted" has usbhost \
			'KILN-STATUS: +datadisk +done +/dev/vdb formatted and mounted'
		qemu_wait usbhost 'KILN-E2E: secure_boot=' 120 && sleep 2
		sb=$(marker usbhost secure_boot)
		[ "$sb" = absent ] && ok "the host installed under SeaBIOS booted without UEFI (no SecureBoot variable)" ||
			not_ok "the host installed under SeaBIOS reports SecureBoot '$sb', not absent"
	else
		not_ok "db2: the host installed from the USB stick did not reach deployment ready"
	fi
	qemu_stop usbhost
else
	not_ok "db2: the USB install under SeaBIOS did not finish"
	qemu_stop usb
fi
echo "# media: install + first boot (USB, SeaBIOS) $((SECONDS - t0)) s"
rm -f "$T/os2.raw" "$T/data2.raw"

# --- db3: no rule, two blank disks -----------------------------------------------
truncate -s 12G "$T/a3.raw"
truncate -s 12G "$T/b3.raw"
t0=$SECONDS
QEMU_FIRMWARE=seabios media_vm norule iso "$T/iso3/acme-db3.iso" "$T/a3.raw" A-3 "$T/b3.raw" B-3
if qemu_wait norule 'kiln installer: (STOPPED|will be OVERWRITTEN)' 300; then
	check "SeaBIOS: the ISO's El Torito BIOS image booted the installer from the CD-ROM" has norule \
		'kiln installer: firmware: legacy BIOS \(no UEFI, no Secure Boot\)'

	check "two blank disks and no rule: the installer stops" has norule \
		'STOPPED, nothing was written: 2 blank disks and no install.disk rule: kiln never guesses'
	check "it lists both disks" bash -c "grep -a -A2 'serial \"A-3\"' '$T/norule.log' | grep -q 'blank, as is another disk' &&
		grep -a -A2 'serial \"B-3\"' '$T/norule.log' | grep -q 'blank, as is another disk'"
else
	not_ok "db3: the installer did not stop"
fi
qemu_stop norule
check "nothing was written on either disk" bash -c "! blkid -p '$T/a3.raw' && ! blkid -p '$T/b3.raw'"
echo "# media: no-rule boot $((SECONDS - t0)) s"
echo "# media: total $((SECONDS - start_all)) s"
