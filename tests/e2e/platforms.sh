#!/usr/bin/env bash
# End to end, the cloud and hypervisor datasources as the platforms present
# them (QEMU TCG + OVMF, user-mode networking with restrict=on: nothing
# leaves the VM but what QEMU forwards):
#   ESXi  i440fx/PIIX machine, DMI says VMware; the seed is the kiln.seed
#         property of an OVF environment ISO (ovf-env.xml, as vSphere writes
#         it) on an IDE CD-ROM; data disk on pvscsi, vmxnet3 NIC
#   EC2   DMI says Amazon EC2; the seed is the user data of an IMDSv2
#         emulator reached through guestfwd at 169.254.169.254:80 (the VM's
#         user-mode network is 169.254.0.0/16, as guestfwd must be inside it); NVMe disks
#   EC2 without IMDS: the host gives up at the deadline with a failed step
# In each case the host must configure itself from its seed ("deployment
# ready" on a database host, whose join is skipped), and afterwards a
# process that is not root must not be able to fetch the seed: no IMDS token
# on EC2 (root still gets one), no read of the OVF environment CD-ROM on
# ESXi (root:root 0600, kept so by udev), no read of the stored seed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/qemu.sh"
KILN_IMG=$ROOT/build/kiln   # images carry the plain kiln-firstboot
[ -x "$KILN_IMG" ] || { not_ok "platforms: $KILN_IMG missing (make all)"; exit 1; }
imds_pid=
trap 'qemu_stop_all; [ -n "$imds_pid" ] && kill $imds_pid 2>/dev/null; pkill -KILL -f -- "$T/" 2>/dev/null; rm -rf "$T"' EXIT
DEADLINE=${KILN_E2E_BOOT_SECONDS:-600}

# The test overlay prints kiln-firstboot's status on the console when it is
# over, and enables the PIIX IDE channels as a PC firmware does (see
# esxi_overlay in qemu.sh).
ov=$T/overlay
esxi_overlay "$ov"

vm() { # name image bus machine extra-args...
	local name=$1 img=$2 bus=$3 machine=$4; shift 4
	cp "$OVMF_VARS" "$T/$name.vars"
	qemu-img create -q -f qcow2 -b "$img" -F raw "$T/$name.qcow2"
	local d=(-device virtio-blk-pci,drive=boot,bootindex=0)
	[ "$bus" = nvme ] && d=(-device nvme,drive=boot,serial=kilnboot,bootindex=0)
	qemu-system-x86_64 -accel "$QEMU_ACCEL" -machine "$machine" -m 1024 -smp 2 -nodefaults -display none -monitor none \
		-serial "file:$T/$name.log" \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$T/$name.vars" \
		-drive "if=none,id=boot,format=qcow2,file=$T/$name.qcow2" "${d[@]}" "$@" \
		-pidfile "$T/$name.pid" >"$T/$name.qemu.out" 2>&1 &
	for _ in $(seq 100); do [ -s "$T/$name.pid" ] && break; sleep 0.1; done
	QEMU_PIDS+=($(cat "$T/$name.pid"))
}

# --- ESXi: OVF environment ISO, VMware DMI ---
P=$ROOT/profiles/examples/onprem.yaml S=$T/state-onprem
check "onprem: keys and secrets" bash -c "'$KILN' keys init '$P' --state '$S' && '$KILN' secrets init '$P' --state '$S'"
check "onprem: mysql image" "$KILN_IMG" build "$P" --target raw --role mysql --state "$S" --out "$T/img" --overlay "$ov"
"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null
ovf_env_iso "$T/ovf-env.iso" "kiln.seed=$(cat "$T/db1.seed")"
truncate -s 2G "$T/esxi-data.raw"
# The machine ESXi presents: i440fx/PIIX (QEMU's "pc"; q35 has no PIIX IDE),
# the OVF environment CD-ROM where kiln's descriptor puts it (IDE controller
# 0, unit 0: ide0:0), the data disk on pvscsi, vmxnet3. The OS disk is on
# virtio here (Debian 12's OVMF has no PVSCSI boot driver); tests/e2e/ova.sh
# boots the OS disk from pvscsi.
vm esxi "$T/img/acme-mysql.raw" virtio pc \
	-smbios "type=1,manufacturer=VMware,, Inc.,product=VMware7,,1" \
	-device pvscsi,id=pv0 -drive "if=none,id=data,format=raw,file=$T/esxi-data.raw" -device scsi-hd,drive=data,bus=pv0.0 \
	-drive "if=none,id=cd,media=cdrom,readonly=on,file=$T/ovf-env.iso" -device ide-cd,drive=cd,bus=ide.0,unit=0 \
	-netdev user,id=n0,restrict=on -device vmxnet3,netdev=n0

# --- EC2: IMDSv2 emulator through guestfwd, Amazon DMI, NVMe ---
P2=$ROOT/profiles/examples/ec2.yaml S2=$T/state-ec2
check "ec2: keys and secrets" bash -c "'$KILN' keys init '$P2' --state '$S2' && '$KILN' secrets init '$P2' --state '$S2'"
check "ec2: mysql image" "$KILN_IMG" build "$P2" --target raw --role mysql --state "$S2" --out "$T/img2" --overlay "$ov"
"$KILN" seed "$P2" --host db1 --out "$T/ec2-db1.seed" --state "$S2" 2>/dev/null
python3 "$ROOT/tests/fixtures/imds/imds_server.py" --port-file "$T/imds.port" --log "$T/imds.log" \
	--user-data "$T/ec2-db1.seed" & imds_pid=$!
for _ in $(seq 50); do [ -s "$T/imds.port" ] && break; sleep 0.1; done
truncate -s 2G "$T/ec2-data.raw"
ec2_dmi=(-smbios "type=1,manufacturer=Amazon EC2,product=m6i.large,uuid=ec2e1916-9099-7caf-fd21-012345abcdef" -smbios "type=2,asset=i-0123456789abcdef0")
vm ec2 "$T/img2/shop-mysql.raw" nvme q35 "${ec2_dmi[@]}" \
	-drive "if=none,id=data,format=raw,file=$T/ec2-data.raw" -device nvme,drive=data,serial=kilndata \
	-netdev "user,id=n0,restrict=on,net=169.254.0.0/16,guestfwd=tcp:169.254.169.254:80-tcp:127.0.0.1:$(cat "$T/imds.port")" \
	-device virtio-net-pci,netdev=n0

# --- EC2 with no IMDS answering: bounded wait, failed step ---
vm noimds "$T/img2/shop-mysql.raw" nvme q35 "${ec2_dmi[@]}" \
	-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0

if qemu_wait esxi 'KILN-STATUS: kiln: .*deployment ready' "$DEADLINE"; then
	ok "esxi: configured itself from the OVF environment"
	check "esxi: seed came from the ISO transport" grep -aq 'KILN-STATUS: datasource: *ovf-iso:/dev/sr0' "$T/esxi.log"
	check "esxi: the data disk on pvscsi was formatted and mounted" grep -aqE 'KILN-STATUS: +datadisk +done +/dev/sd[a-z] formatted and mounted' "$T/esxi.log"
	# The facts (KILN-E2E: lines) come after the status: wait for the last one.
	qemu_wait esxi 'KILN-E2E: sr0_mode=' 120 && sleep 2
	check "esxi: a non-root user cannot read the OVF environment CD-ROM (root can)" test "$(marker esxi sr0_reach)" = "nobody=refused root=reachable"
	check "esxi: the CD-ROM stays root:root 0600 when udev re-applies its rules" test "$(marker esxi sr0_mode)" = "600 root:root"
	check "esxi: a non-root user cannot read the stored seed" test "$(marker esxi stored_seed_reach)" = "nobody=refused root=reachable"
else
	not_ok "esxi: not configured"
fi
if qemu_wait ec2 'KILN-STATUS: kiln: .*deployment ready' "$DEADLINE"; then
	ok "ec2: configured itself from its IMDSv2 user data"
	check "ec2: seed came from IMDSv2" grep -aq 'KILN-STATUS: datasource: *ec2-imdsv2' "$T/ec2.log"
	check "ec2: token first, then user data with the token" bash -c "head -1 '$T/imds.log' | grep -q '^PUT /latest/api/token token=valid' && grep -q '^GET /latest/user-data token=valid' '$T/imds.log' && ! grep -q 'token=none' '$T/imds.log'"
	qemu_wait ec2 'KILN-E2E: sr0_mode=' 120 && sleep 2
	check "ec2: a non-root user gets no IMDS token after the seed is applied (root does)" test "$(marker ec2 imds_reach)" = "nobody=refused root=reachable"
	check "ec2: a non-root user cannot read the stored seed" test "$(marker ec2 stored_seed_reach)" = "nobody=refused root=reachable"
else
	not_ok "ec2: not configured"
fi
if qemu_wait noimds 'KILN-STATUS: +seed +failed' "$DEADLINE"; then
	ok "ec2 without IMDS: the seed step failed instead of hanging"
	check "ec2 without IMDS: the reason is on the console" grep -aq 'KILN-STATUS: kiln: 0/1 steps done; seed failed: no seed' "$T/noimds.log"
else
	not_ok "ec2 without IMDS: no failed status"
fi
