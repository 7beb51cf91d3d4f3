#!/usr/bin/env bash
# First-boot cost: kiln-firstboot against Debian's cloud-init doing the
# equivalent work on the same base image (hostname, static network, root's SSH
# key, secret files written 0600, the data disk formatted and mounted).
# Both boot the onprem example's db1 (mysql role) under QEMU TCG + OVMF with
# user-mode networking (restrict=on): kiln from its seed on a KILN_SEED
# medium, cloud-init from a NoCloud "cidata" ISO. The cloud-init image is the
# same recipe plus the cloud-init package, with kiln's units masked.
# Prints each one's unit times (systemd-analyze blame) and the ratio.
#   usage (as root, after make): bench/firstboot_vs_cloudinit.sh [path/to/minio.deb ignored]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/kiln-bench.XXXXXX)
trap 'pkill -KILL -f -- "$T/" 2>/dev/null; rm -rf "$T"' EXIT
KILN=$ROOT/build/kiln
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
P=$ROOT/profiles/examples/onprem.yaml S=$T/state

"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null || exit 1
# Report overlay: when the boot is over, print the timings on the console.
rep=$T/report
install -d "$rep/etc/systemd/system/multi-user.target.wants" "$rep/usr/local/sbin"
cat > "$rep/usr/local/sbin/bench-report" <<'SH'
#!/bin/sh
exec >/dev/console 2>&1
systemctl is-system-running --wait >/dev/null
echo "BENCH: $(systemd-analyze time | head -1)"
systemd-analyze blame | grep -E 'kiln-firstboot|cloud-' | sed 's/^ */BENCH-UNIT: /'
echo "BENCH: done"
SH
chmod 0755 "$rep/usr/local/sbin/bench-report"
printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=simple\nExecStart=/usr/local/sbin/bench-report\n[Install]\nWantedBy=multi-user.target\n' \
	> "$rep/etc/systemd/system/bench-report.service"
ln -s /etc/systemd/system/bench-report.service "$rep/etc/systemd/system/multi-user.target.wants/bench-report.service"

# kiln image (the shipped recipes) and its seed medium.
"$KILN" build "$P" --target raw --role mysql --state "$S" --out "$T/kiln" --overlay "$rep" || exit 1
"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null
mkdir -p "$T/m"; cp "$T/db1.seed" "$T/m/seed"
xorriso -as mkisofs -quiet -V KILN_SEED -o "$T/kiln-seed.iso" "$T/m" 2>/dev/null

# cloud-init image: same recipes + cloud-init, NoCloud only, kiln's units masked.
cp -r "$ROOT/images/roles" "$T/recipes"
sed -i 's/^packages:$/packages:\n  - cloud-init/' "$T/recipes/base.yaml"
ci=$T/ci-overlay; cp -a "$rep" "$ci"
ln -s /dev/null "$ci/etc/systemd/system/kiln-firstboot-early.service"
ln -s /dev/null "$ci/etc/systemd/system/kiln-firstboot.service"
install -d "$ci/etc/cloud/cloud.cfg.d"
echo 'datasource_list: [NoCloud, None]' > "$ci/etc/cloud/cloud.cfg.d/90-kiln-bench.cfg"
"$KILN" build "$P" --target raw --role mysql --state "$S" --out "$T/ci" --recipes "$T/recipes" --overlay "$ci" || exit 1
mkdir -p "$T/cidata"
printf 'instance-id: db1\nlocal-hostname: db1\n' > "$T/cidata/meta-data"
cat > "$T/cidata/network-config" <<'NET'
version: 2
ethernets:
  primary:
    match: {name: "en*"}
    addresses: [192.168.40.210/28]
    gateway4: 192.168.40.209
    nameservers: {addresses: [192.168.40.1], search: [acme.internal]}
NET
{
	echo '#cloud-config'
	echo 'hostname: db1'
	echo 'fqdn: db1.acme.internal'
	echo 'disable_root: false'
	echo 'ssh_authorized_keys:'
	sed -n 's/^    - \(ssh-.*\)$/  - "\1"/p' "$P"
	echo 'write_files:'
	for f in "$S"/secrets/mysql_*; do
		printf '  - path: /etc/kiln/secrets/%s\n    permissions: "0600"\n    content: "%s"\n' "$(basename "$f")" "$(cat "$f")"
	done
	echo 'fs_setup:'
	echo '  - {label: kiln-data, filesystem: ext4, device: /dev/sda, overwrite: false}'
	echo 'mounts:'
	echo '  - [LABEL=kiln-data, /var/lib/mysql, ext4, "defaults,nofail", "0", "2"]'
} > "$T/cidata/user-data"
xorriso -as mkisofs -quiet -V cidata -o "$T/cidata.iso" "$T/cidata" 2>/dev/null

boot() { # name image seed-iso
	cp "$OVMF_VARS" "$T/$1.vars"; truncate -s 2G "$T/$1-data.raw"
	qemu-img create -q -f qcow2 -b "$2" -F raw "$T/$1.qcow2"
	timeout 900 qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -smp 2 -nodefaults -display none -monitor none \
		-serial "file:$T/$1.log" \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,unit=1,file=$T/$1.vars" \
		-drive "if=none,id=boot,format=qcow2,file=$T/$1.qcow2" -device virtio-blk-pci,drive=boot,bootindex=0 \
		-drive "if=none,id=seed,format=raw,readonly=on,file=$3" -device virtio-blk-pci,drive=seed \
		-device pvscsi,id=pv0 -drive "if=none,id=data,format=raw,file=$T/$1-data.raw" -device scsi-hd,drive=data,bus=pv0.0 \
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0 >/dev/null 2>&1 &
	echo $! > "$T/$1.pid"
}
# One at a time: the two must not share the CPUs.
for name in kiln ci; do
	iso=$T/kiln-seed.iso; img=$T/kiln/acme-mysql.raw
	[ $name = ci ] && iso=$T/cidata.iso img=$T/ci/acme-mysql.raw
	boot $name "$img" "$iso"
	for _ in $(seq 450); do grep -aq 'BENCH: done' "$T/$name.log" 2>/dev/null && break; sleep 2; done
	kill "$(cat "$T/$name.pid")" 2>/dev/null; wait "$(cat "$T/$name.pid")" 2>/dev/null
	echo "== $name"; tr -d '\r' < "$T/$name.log" | grep -a '^BENCH'
done
# Sum the blame times of the units matching $2 ("1min 2.5s", "9.0s", "785ms").
sum() { tr -d '\r' < "$T/$1.log" | grep -a '^BENCH-UNIT: ' | grep -aE " ($2)\$" |
	awk '{ t = 0; for (i = 2; i < NF; i++) { v = $i; if (v ~ /min$/) t += v * 60; else if (v ~ /ms$/) t += v / 1000; else t += v + 0 }
	       s += t } END { printf "%.1f", s }'; }
k=$(sum kiln 'kiln-firstboot-early.service'); c=$(sum ci 'cloud-[a-z-]*.service')
echo "kiln-firstboot (early stage: seed, hostname, network, firewall, secrets, data disk): ${k} s"
echo "cloud-init (local + init + config + final: hostname, network, ssh key, files, data disk): ${c} s"
awk -v k="$k" -v c="$c" 'BEGIN { if (c > 0) printf "ratio kiln/cloud-init: %.2f\n", k / c }'
