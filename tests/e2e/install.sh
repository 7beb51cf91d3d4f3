#!/usr/bin/env bash
# End to end, bare metal: kiln install of the mysql role image (signed with a
# block map) and db1's seed onto a blank 12 GiB disk file, then that disk
# booted under QEMU TCG + OVMF as a plain PC (q35, DMI says QEMU: the "other"
# platform, whose seed is /etc/kiln/seed) with a blank data disk. The host
# must configure itself from the seed kiln install put there ("deployment
# ready"), format and mount its data disk, and have grown its root into the
# rest of the disk (the backup GPT was moved to the disk's end).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/qemu.sh"
KILN_IMG=$ROOT/build/kiln   # images carry the plain kiln-firstboot
[ -x "$KILN_IMG" ] || { not_ok "install e2e: $KILN_IMG missing (make all)"; exit 1; }
trap 'qemu_stop_all; rm -rf "$T"' EXIT
DEADLINE=${KILN_E2E_BOOT_SECONDS:-600}

ov=$T/overlay
esxi_overlay "$ov"   # the status printer (KILN-STATUS, KILN-LSBLK lines on the console)
# and the root filesystem's size once the first boot is over (twice: a kernel
# message can cut a console line)
cat >"$ov/etc/systemd/system/kiln-e2e-rootsize.service" <<'UNIT'
[Unit]
Description=kiln e2e: root filesystem size to the console
After=kiln-firstboot.service systemd-growfs-root.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for _ in 1 2; do echo "KILN-E2E: rootsize=$(findmnt -bno SIZE /)"; done > /dev/console'
[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/kiln-e2e-rootsize.service "$ov/etc/systemd/system/multi-user.target.wants/"
P=$ROOT/profiles/examples/onprem.yaml S=$T/state
check "keys and secrets" bash -c "'$KILN' keys init '$P' --state '$S' && '$KILN' secrets init '$P' --state '$S'"
check "mysql image" "$KILN_IMG" build "$P" --target raw --role mysql --state "$S" --out "$T/img" --overlay "$ov"
IMG=$T/img/acme-mysql.raw
check "kiln sign --bmap" "$KILN" sign "$IMG" --state "$S" --version 1 --bmap
"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null
truncate -s 12G "$T/disk.raw"
check_output "kiln install onto a blank, larger disk" '"gpt_moved":true' \
	"$KILN" install "$IMG" --disk "$T/disk.raw" --state "$S" --seed "$T/db1.seed" --json
check_output "the installed disk passes sgdisk -v" 'No problems found' sgdisk -v "$T/disk.raw"
truncate -s 2G "$T/data.raw"

qemu_start metal "$T/disk.raw" virtio "$T/data.raw"
if qemu_wait metal 'KILN-STATUS: kiln: .*deployment ready' "$DEADLINE"; then
	ok "bare metal: the installed host configured itself from its seed"
	check "the seed came from /etc/kiln/seed, where kiln install put it" \
		grep -aq 'KILN-STATUS: datasource: *file:/etc/kiln/seed' "$T/metal.log"
	check "the data disk was formatted and mounted" \
		grep -aqE 'KILN-STATUS: +datadisk +done +/dev/sd[a-z] formatted and mounted' "$T/metal.log"
	qemu_wait metal 'KILN-E2E: rootsize=' 60 >/dev/null
	size=$(marker metal rootsize)
	check "the root grew into the rest of the 12 GiB disk (root is ${size:-?} bytes)" \
		test "${size:-0}" -gt $((10 << 30))
else
	not_ok "bare metal: the installed host did not configure itself"
fi
qemu_stop metal
