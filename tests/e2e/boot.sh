#!/usr/bin/env bash
# End to end: kiln build the three role images of profiles/examples/onprem.yaml
# on Debian 12 (KILN_E2E_SUITE; the example is on 13, which
# tests/e2e/deployment.sh and the platform tests boot, so every role boots on
# both suites) with a test overlay that reports to the console, then boot each under
# QEMU TCG + OVMF from a virtio disk (and the mysql image, KILN_E2E_NVME_ROLES,
# from an NVMe disk too), with
# the data disk on pvscsi and a vmxnet3 NIC, and check what the guest says:
# multi-user reached, no failed units, the devices' drivers, and the role's
# service answering (MariaDB, nginx, MinIO health). Then one role (app, or
# KILN_E2E_FW_ROLE) boots once more from virtio, from a copy whose shim has
# one byte flipped, under OVMF with the Microsoft keys enrolled and Secure
# Boot enforced: the firmware must refuse it. KILN_E2E_FIRMWARES="ovmf-sb
# tamper seabios" adds the image booting under Secure Boot (the guest must
# report it enabled) and under SeaBIOS (GRUB's boot.img in the MBR, core.img
# in the BIOS boot partition); make check leaves those two to
# tests/e2e/media.sh, whose installed hosts boot the same image's chains from
# their disks under both (CI's budget is time).
# Uses the normal kiln cache (~/.cache/kiln or $KILN_CACHE_DIR): a cold run
# builds three root filesystems with mmdebstrap first.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/qemu.sh"
trap 'qemu_stop_all; rm -rf "$T"' EXIT
BOOT_DEADLINE=${KILN_E2E_BOOT_SECONDS:-420}
ROLES=${KILN_E2E_ROLES:-mysql app minio}   # a subset for debugging
BUSES=${KILN_E2E_BUSES:-virtio nvme}
SUITE=${KILN_E2E_SUITE:-bookworm}
FW_ROLE=${KILN_E2E_FW_ROLE:-app}
FIRMWARES=${KILN_E2E_FIRMWARES:-tamper}

# The test overlay: a unit started once multi-user.target is reached that
# waits for the boot to settle and writes KILN-E2E markers to /dev/console.
ov=$T/overlay
install -d -m 0755 "$ov/etc/systemd/system/multi-user.target.wants" "$ov/usr/local/sbin"
cat >"$ov/etc/systemd/system/kiln-e2e.service" <<'UNIT'
[Unit]
Description=kiln end-to-end test report
After=multi-user.target

[Service]
# simple, not oneshot: the script waits for the boot job queue to drain,
# which a oneshot still being started would keep from ever happening.
Type=simple
ExecStart=/usr/local/sbin/kiln-e2e-report

[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/kiln-e2e.service "$ov/etc/systemd/system/multi-user.target.wants/kiln-e2e.service"
# These boots have no seed: the agent's units are masked (a seeded first
# boot is the firstboot tests' business); the report checks they are there.
ln -s /dev/null "$ov/etc/systemd/system/kiln-firstboot-early.service"
ln -s /dev/null "$ov/etc/systemd/system/kiln-firstboot.service"
cat >"$ov/usr/local/sbin/kiln-e2e-report" <<'SCRIPT'
#!/bin/sh
exec >/dev/console 2>&1
# Each marker twice: a kernel message landing in the middle of one copy on
# the shared serial console must not lose it.
m() { echo "KILN-E2E: $*"; echo "KILN-E2E: $*"; }
role=$(cat /etc/kiln/role)
m "start=$role"
if [ -d /sys/firmware/efi ]; then m "firmware=uefi"; else m "firmware=bios"; fi
m "sb=$(mokutil --sb-state 2>&1 | head -1)"
# the SecureBoot variable itself: 4 attribute bytes, then 1 = on
m "sbvar=$(od -An -tu1 -j4 -N1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c 2>/dev/null | tr -d ' ')"
m "state=$(timeout 300 systemctl is-system-running --wait)"
failed=$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')
m "failed=${failed:-none}"
m "time=$(systemd-analyze time 2>/dev/null | head -1)"
m "root=$(findmnt -no SOURCE /)"
m "rootsize=$(findmnt -bno SIZE /)"
m "suite=$(. /etc/os-release; echo "$VERSION_CODENAME")"
# the host keys made at first boot, and those sshd offers
m "hostkeys=$(cd /etc/ssh && ls ssh_host_*_key | paste -sd,) $(sshd -T 2>/dev/null | sed -n 's|^hostkey /etc/ssh/||p' | paste -sd,)"
# kiln-unused.conf: none of these loaded by themselves (the CPU flag, networkd's nl80211 query)
u=$(lsmod | awk 'NR > 1 && $1 ~ /^(kvm|kvm_amd|kvm_intel|ccp|cfg80211)$/ {print $1}' | paste -sd, -)
m "unused=${u:-none}"
m "kiln=$(stat -c %a /etc/kiln/role.key) $(cat /etc/kiln/deployment) $(ls /usr/lib/systemd/system/kiln-firstboot*.service | wc -l) $(test -x /usr/sbin/kiln-firstboot && echo agent)"
# SCSI scanning of the pvscsi disk can finish after the boot is "done".
for i in $(seq 30); do ls -d /sys/block/sd* >/dev/null 2>&1 && break; sleep 1; done
for p in /sys/block/vd* /sys/block/sd* /sys/block/nvme*; do
	[ -e "$p" ] || continue
	b=${p##*/}
	d=$(udevadm info -a -n "/dev/$b" | sed -n 's/.*DRIVERS=="\(..*\)".*/\1/p' | tr '\n' ',')
	m "disk-$b=$(lsblk -dno SIZE "/dev/$b" | tr -d ' ') $d"
done
for n in /sys/class/net/*; do
	[ -e "$n/device/driver" ] && m "nic-${n##*/}=$(basename "$(readlink "$n/device/driver")")"
done
check() {
	case $role in
	mysql) [ "$(mariadb -N -e 'SELECT 1' 2>&1)" = 1 ] ;;
	app)   curl -s --max-time 5 http://127.0.0.1/ | grep -q nginx ;;
	minio) [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:9000/minio/health/live)" = 200 ] ;;
	esac
}
r=fail
for i in $(seq 60); do if check; then r=ok; break; fi; sleep 2; done
m "role-check=$r"
m "done=1"
SCRIPT
chmod 0755 "$ov/usr/local/sbin/kiln-e2e-report"
# The MinIO stand-in reads its settings from /etc/default/minio, which
# kiln-firstboot writes on a real appliance; the test gives fixed ones.
ovm=$T/overlay-minio
cp -a "$ov" "$ovm"
install -d -m 0755 "$ovm/etc/default" "$ovm/etc/systemd/system/minio.service.d"
printf 'MINIO_VOLUMES=/srv/minio\nMINIO_OPTS="--address 127.0.0.1:9000"\nMINIO_ROOT_USER=e2eadmin\nMINIO_ROOT_PASSWORD=e2e-not-a-secret\n' \
	>"$ovm/etc/default/minio"
chmod 0600 "$ovm/etc/default/minio"
printf '[Service]\nExecStartPre=+/usr/bin/install -d -o minio-user -g minio-user /srv/minio\n' \
	>"$ovm/etc/systemd/system/minio.service.d/e2e.conf"
ln -s /lib/systemd/system/minio.service "$ovm/etc/systemd/system/multi-user.target.wants/minio.service"

profile=$T/onprem-$SUITE.yaml
sed "s/^  suite: .*/  suite: $SUITE/" "$ROOT/profiles/examples/onprem.yaml" >"$profile"
state=$T/state out=$T/images
check "keys init" "$KILN" keys init "$profile" --state "$state"
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
minio_deb=$(ls "$T"/deb/*.deb)
for role in $ROLES; do
	o=$ov; [ $role = minio ] && o=$ovm
	check "kiln build --role $role" "$KILN" build "$profile" --target raw --state "$state" \
		--out "$out" --role $role --overlay "$o" --artifact "minio=$minio_deb"
done
for role in $ROLES; do
	check "$role image is where kiln build says" test -f "$out/acme-$role.raw"
	[ $role = app ] || check "$role data disk is where kiln build says" test -f "$out/acme-$role-data.raw"
done
truncate -s 1G "$T/scratch-data.raw"   # app has no data disk: pvscsi still gets one

boot() { # role bus [firmware]
	local role=$1 bus=$2 fw=${3:-} name=$1-$2${3:+-$3} data=$out/acme-$1-data.raw
	[ -f "$data" ] || data=$T/scratch-data.raw
	local t0=$SECONDS
	# The VM's disk is 2 GiB larger than the image: the root must grow into it.
	QEMU_FIRMWARE=${fw:-ovmf} QEMU_GROW=$((2 << 30)) qemu_start "$name" "$out/acme-$role.raw" "$bus" "$data"
	if qemu_wait "$name" 'KILN-E2E: done=1' "$BOOT_DEADLINE"; then
		ok "$name: booted and reported in $((SECONDS - t0))s ($(marker "$name" time))"
	else
		not_ok "$name: boot report"
		qemu_stop "$name"
		return
	fi
	local st failed rc root
	st=$(marker "$name" state); failed=$(marker "$name" failed); rc=$(marker "$name" role-check)
	root=$(marker "$name" root)
	[ "$st" = running ] && ok "$name: system running" || { not_ok "$name: system state '$st'"; qemu_tail "$name"; }
	[ "$failed" = "none" ] && ok "$name: no failed units" || not_ok "$name: failed units: $failed"
	[ "$rc" = ok ] && ok "$name: $role service answers" || { not_ok "$name: $role service check"; qemu_tail "$name"; }
	local want_root=/dev/vda2 want_drv=virtio_blk
	[ "$bus" = nvme ] && want_root=/dev/nvme0n1p2 want_drv=nvme
	local k; k=$(marker "$name" kiln)
	[ "$k" = "600 acme 2 agent" ] && ok "$name: role key 0600, deployment, agent and its units in place" ||
		not_ok "$name: kiln files: '$k' (wanted '600 acme 2 agent')"
	local hk; hk=$(marker "$name" hostkeys)
	[ "$hk" = "ssh_host_ecdsa_key,ssh_host_ed25519_key ssh_host_ed25519_key,ssh_host_ecdsa_key" ] &&
		ok "$name: SSH host keys Ed25519 and ECDSA made at first boot, no RSA, and sshd offers those" ||
		not_ok "$name: SSH host keys: '$hk'"
	local un; un=$(marker "$name" unused)
	[ "$un" = none ] && ok "$name: no KVM or wireless module loaded (kiln-unused.conf)" ||
		not_ok "$name: modules loaded that kiln-unused.conf keeps out: '$un'"
	[ "$root" = "$want_root" ] && ok "$name: root on $root" || not_ok "$name: root on '$root', wanted $want_root"
	local su; su=$(marker "$name" suite)
	[ "$su" = "$SUITE" ] && ok "$name: Debian $su" || not_ok "$name: Debian '$su', wanted $SUITE"
	local rs img; rs=$(marker "$name" rootsize); img=$(stat -c %s "$out/acme-$role.raw")
	[ "${rs:-0}" -gt "$img" ] && ok "$name: root filesystem grew into the larger disk ($rs bytes > image $img)" ||
		not_ok "$name: root filesystem did not grow (${rs:-?} bytes, image $img)"
	tr -d '\r' <"$T/$name.log" | grep -aEq "KILN-E2E: disk-[a-z0-9]+=.* ${want_drv}," &&
		ok "$name: boot disk driver $want_drv" || not_ok "$name: no boot disk on $want_drv"
	tr -d '\r' <"$T/$name.log" | grep -aEq 'KILN-E2E: disk-sd[a-z]=[^ ]+ sd,vmw_pvscsi,' &&
		ok "$name: data disk on vmw_pvscsi" || not_ok "$name: data disk not seen on vmw_pvscsi"
	tr -d '\r' <"$T/$name.log" | grep -aEq 'KILN-E2E: nic-[a-z0-9]+=vmxnet3$' &&
		ok "$name: NIC on vmxnet3" || not_ok "$name: no vmxnet3 NIC"
	local want_fw=uefi want_sb="SecureBoot disabled" want_sbvar=0
	case $fw in
	ovmf-sb) want_sb="SecureBoot enabled" want_sbvar=1 ;;
	seabios) want_fw=bios want_sb="EFI variables are not supported on this system" want_sbvar= ;;
	esac
	[ "$(marker "$name" firmware)" = $want_fw ] && ok "$name: booted through $want_fw firmware" ||
		not_ok "$name: firmware '$(marker "$name" firmware)', wanted $want_fw"
	[ "$(marker "$name" sb)" = "$want_sb" ] && [ "$(marker "$name" sbvar)" = "$want_sbvar" ] &&
		ok "$name: mokutil --sb-state says '$want_sb', SecureBoot variable '${want_sbvar:-absent}'" ||
		not_ok "$name: mokutil --sb-state '$(marker "$name" sb)', SecureBoot variable '$(marker "$name" sbvar)'"
	tr -d '\r' <"$T/$name.log" | grep -a 'KILN-E2E:' >"$T/$name.markers"
	[ -n "${KILN_E2E_MARKERS:-}" ] && cp "$T/$name.markers" "$KILN_E2E_MARKERS/$name.markers"
	qemu_stop "$name"
}
# NVMe: one role. Every role's image has the same kernel and the same
# initramfs module list (images/roles/base.yaml), so the other roles' NVMe
# boots proved nothing the first does not; they cost CI two boots.
NVME_ROLES=${KILN_E2E_NVME_ROLES:-mysql}
for role in $ROLES; do
	for bus in $BUSES; do
		[ "$bus" = nvme ] && [[ " $NVME_ROLES " != *" $role "* ]] && continue
		boot $role $bus
	done
done

# A boot loader that is not what Debian signed must not run with Secure Boot
# on: flip one byte in the middle of shim (inside the signed hash, outside
# the headers) in a copy of the image; OVMF refuses it ("Access Denied").
tamper() { # role
	local role=$1 name=$1-tamper img=$T/tampered.raw
	cp --sparse=always "$out/acme-$role.raw" "$img"
	local esp_start m
	esp_start=$(sfdisk -d "$img" | sed -n 's/.*start= *\([0-9]*\),.*type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B.*/\1/p')
	m="$img@@$((esp_start * 512))"
	mcopy -n -i "$m" ::/EFI/BOOT/BOOTX64.EFI "$T/shim.efi"
	local off=$(( $(stat -c %s "$T/shim.efi") / 2 )) b
	b=$(od -An -tu1 -j "$off" -N1 "$T/shim.efi" | tr -d ' ')
	printf "\\$(printf %o $(( b ^ 0x01 )))" | dd of="$T/shim.efi" bs=1 seek="$off" conv=notrunc status=none
	mcopy -o -i "$m" "$T/shim.efi" ::/EFI/BOOT/BOOTX64.EFI
	QEMU_FIRMWARE=ovmf-sb qemu_start "$name" "$img" virtio
	# Evidence: OVMF's "Access Denied" for the boot option, or at least no
	# kernel within the deadline (an untampered image gets there in far less).
	local deadline=$((SECONDS + ${KILN_E2E_TAMPER_SECONDS:-300})) seen=
	while [ $SECONDS -lt $deadline ] && [ -z "$seen" ]; do
		seen=$(grep -aoE 'Access Denied|Security Violation|Linux version|KILN-E2E' "$T/$name.log" 2>/dev/null | head -1)
		[ -n "$seen" ] || sleep 2
	done
	case $seen in
	"Access Denied"|"Security Violation") ok "$name: firmware refuses a tampered shim ($seen)" ;;
	"")
		# only evidence if the firmware was running all along
		if kill -0 "$(cat "$T/$name.pid")" 2>/dev/null && [ -s "$T/$name.log" ]; then
			ok "$name: a tampered shim did not boot (no kernel within ${KILN_E2E_TAMPER_SECONDS:-300}s; no firmware message seen)"
		else
			not_ok "$name: QEMU exited or printed nothing"; sed 's/^/#   /' "$T/$name.qemu.out" | tail -5
		fi ;;
	*) not_ok "$name: a tampered shim was not refused (console: $seen)"; qemu_tail "$name" ;;
	esac
	qemu_stop "$name"
	rm -f "$img" "$T/shim.efi"
}
case " $ROLES " in
*" $FW_ROLE "*)
	for fw in $FIRMWARES; do
		case $fw in
		tamper) tamper "$FW_ROLE" ;;
		*) boot "$FW_ROLE" virtio "$fw" ;;
		esac
	done ;;
esac
