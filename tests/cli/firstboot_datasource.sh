#!/usr/bin/env bash
# kiln-firstboot: platform detection and seed datasources (IMDSv2 emulator on
# loopback, OVF environment ISO and guestinfo, seed file).
. "$(dirname "$0")/../lib.sh"
FB=$KILN_FIRSTBOOT

fake_dmi() { # dir vendor product uuid asset
	mkdir -p "$1/sys/class/dmi/id"
	printf '%s\n' "$2" > "$1/sys/class/dmi/id/sys_vendor"
	printf '%s\n' "$3" > "$1/sys/class/dmi/id/product_name"
	printf '%s\n' "$4" > "$1/sys/class/dmi/id/product_uuid"
	printf '%s\n' "$5" > "$1/sys/class/dmi/id/board_asset_tag"
}
fake_dmi "$T/ec2v" "Amazon EC2" "m5.large" "EC2ABCDE-1111-2222-3333-444455556666" "i-0abc"
fake_dmi "$T/ec2swap" "Xen" "HVM domU" "45E12AEC-DCD1-B213-94ED-012345ABCDEF" ""
fake_dmi "$T/vmw" "VMware, Inc." "VMware7,1" "564d1234-0000-0000-0000-000000000000" "No Asset Tag"
fake_dmi "$T/qemu" "QEMU" "Standard PC (Q35 + ICH9, 2009)" "00000000-0000-0000-0000-000000000000" ""
mkdir -p "$T/xen/sys/hypervisor"; echo "ec2e1916-9099-7caf-fd21-012345abcdef" > "$T/xen/sys/hypervisor/uuid"
check_output "detect: EC2 by DMI vendor" '^ec2 \(dmi sys_vendor=Amazon EC2\)' "$FB" detect --sysroot "$T/ec2v"
check_output "detect: EC2 by byte-swapped product_uuid" '^ec2 \(dmi product_uuid' "$FB" detect --sysroot "$T/ec2swap"
check_output "detect: EC2 by Xen hypervisor uuid" '^ec2 \(/sys/hypervisor/uuid' "$FB" detect --sysroot "$T/xen"
check_output "detect: VMware" '^vmware ' "$FB" detect --sysroot "$T/vmw"
check_output "detect: QEMU is other" '^other ' "$FB" detect --sysroot "$T/qemu"

# --- EC2 IMDSv2 ---
IMDS=$ROOT/tests/fixtures/imds/imds_server.py
printf 'kiln-seed-test-payload\n' > "$T/userdata"
imds_pid=""
start_imds() { # args...
	rm -f "$T/port" "$T/imds.log"
	python3 "$IMDS" --port-file "$T/port" --log "$T/imds.log" "$@" & imds_pid=$!
	for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
	PORT=$(cat "$T/port")
}
stop_imds() { kill "$imds_pid" 2>/dev/null; wait "$imds_pid" 2>/dev/null; }
trap 'stop_imds; rm -rf "$T"' EXIT

start_imds --user-data "$T/userdata"
check "ec2: seed fetched from IMDSv2 user data" "$FB" fetch-seed --sysroot "$T/ec2v" --imds-url "http://127.0.0.1:$PORT" --out "$T/seed1"
check "ec2: seed bytes equal user data" cmp "$T/userdata" "$T/seed1"
check "ec2: seed file is 0600" test "$(stat -c %a "$T/seed1")" = 600
check "ec2: token PUT first, every GET carries a valid token" \
	bash -c "head -1 '$T/imds.log' | grep -q '^PUT /latest/api/token token=valid' && ! grep -q '^GET .*token=none' '$T/imds.log'"
stop_imds

start_imds
check_fails "ec2: no user data is a clear error" 'has no user data' "$FB" fetch-seed --datasource ec2 --imds-url "http://127.0.0.1:$PORT" --out "$T/x"
stop_imds

start_imds --mode disabled --user-data "$T/userdata"
s=$(date +%s%N)
check_fails "ec2: IMDS disabled (403) fails fast" 'metadata access is disabled' "$FB" fetch-seed --datasource ec2 --imds-url "http://127.0.0.1:$PORT" --out "$T/x"
check "ec2: 403 did not retry for long" test $(( ($(date +%s%N) - s) / 1000000 )) -lt 3000
stop_imds

start_imds --mode expire-first --user-data "$T/userdata"
check "ec2: rejected token (401) is renewed once" "$FB" fetch-seed --datasource ec2 --imds-url "http://127.0.0.1:$PORT" --out "$T/seed2"
check "ec2: second token used" test "$(grep -c '^PUT' "$T/imds.log")" = 2
stop_imds

start_imds --slow-start 1.5 --user-data "$T/userdata"
check "ec2: IMDS answering 503 at first is retried" "$FB" fetch-seed --datasource ec2 --imds-url "http://127.0.0.1:$PORT" --deadline 20 --out "$T/seed3"
stop_imds

s=$(date +%s)
check_fails "ec2: unreachable IMDS ends at the deadline" 'gave no token within 2000 ms' "$FB" fetch-seed --datasource ec2 --imds-url "http://127.0.0.1:9" --deadline 2 --out "$T/x"
check "ec2: unreachable IMDS did not hang" test $(( $(date +%s) - s )) -le 6
check "ec2: nothing written on failure" test ! -e "$T/x"

# --- VMware OVF environment ---
ovfenv() { # seed-value
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1"
   xmlns:ve="http://www.vmware.com/schema/ovfenv" oe:id="" ve:esxId="vm-42">
  <PlatformSection><Kind>VMware ESXi</Kind><Version>8.0.0</Version></PlatformSection>
  <PropertySection>
    <Property oe:key="kiln.hostname" oe:value="db2"/>
    <Property oe:key="kiln.seed" oe:value="$1"/>
  </PropertySection>
</Environment>
XML
}
mkdir -p "$T/iso"; ovfenv "SEED-FROM-ISO" > "$T/iso/ovf-env.xml"
xorriso -as mkisofs -quiet -V OVF_ENV -o "$T/ovf.iso" "$T/iso" 2>/dev/null
check "vmware: seed from the OVF environment ISO" "$FB" fetch-seed --datasource vmware --ovf-iso "$T/ovf.iso" --out "$T/seed4"
check "vmware: ISO seed value" grep -qx 'SEED-FROM-ISO' "$T/seed4"
mkdir -p "$T/iso2"; ovfenv "" > "$T/iso2/ovf-env.xml"
xorriso -as mkisofs -quiet -o "$T/empty.iso" "$T/iso2" 2>/dev/null
check_fails "vmware: empty kiln.seed property is a clear error" 'kiln.seed is empty' "$FB" fetch-seed --datasource vmware --ovf-iso "$T/empty.iso" --vmtoolsd /nonexistent --out "$T/x"
mkdir -p "$T/iso3"; echo '<Environment><broken' > "$T/iso3/ovf-env.xml"
xorriso -as mkisofs -quiet -o "$T/bad.iso" "$T/iso3" 2>/dev/null
check_fails "vmware: malformed ovf-env.xml refused" 'not a valid OVF environment' "$FB" fetch-seed --datasource vmware --ovf-iso "$T/bad.iso" --out "$T/x"
cat > "$T/vmtoolsd" <<SH
#!/bin/sh
[ "\$2" = "info-get guestinfo.ovfEnv" ] || exit 1
cat "$T/guestinfo.xml"
SH
chmod +x "$T/vmtoolsd"; ovfenv "SEED-FROM-GUESTINFO" > "$T/guestinfo.xml"
check "vmware: seed from guestinfo.ovfEnv when no ISO" "$FB" fetch-seed --datasource vmware --ovf-iso "$T/nonexistent.iso" --vmtoolsd "$T/vmtoolsd" --out "$T/seed5"
check "vmware: guestinfo seed value" grep -qx 'SEED-FROM-GUESTINFO' "$T/seed5"
check_fails "vmware: neither transport is a clear error" 'no OVF environment on a CD-ROM' "$FB" fetch-seed --datasource vmware --ovf-iso "$T/nonexistent.iso" --vmtoolsd /nonexistent --out "$T/x"

# --- other: seed file ---
mkdir -p "$T/qemu/etc/kiln"; echo "FILE-SEED" > "$T/qemu/etc/kiln/seed"
check "other: seed from /etc/kiln/seed" "$FB" fetch-seed --sysroot "$T/qemu" --out "$T/seed6"
check "other: seed file value" grep -qx 'FILE-SEED' "$T/seed6"
check_fails "other: no seed file and no medium is a clear error" 'no seed: no /etc/kiln/seed and no medium labelled KILN_SEED' "$FB" fetch-seed --sysroot "$T/vmw/none" --datasource other --out "$T/x"
mkdir -p "$T/seedmedium"; echo "MEDIUM-SEED" > "$T/seedmedium/seed"
xorriso -as mkisofs -quiet -V KILN_SEED -o "$T/seed.iso" "$T/seedmedium" 2>/dev/null
check "other: seed from a KILN_SEED medium when no seed file" "$FB" fetch-seed --sysroot "$T/vmw/none" --datasource other --seed-iso "$T/seed.iso" --out "$T/seed7"
check "other: medium seed value" grep -qx 'MEDIUM-SEED' "$T/seed7"
check_fails "other: medium without a seed file is a clear error" "ovf.iso has no file 'seed'" "$FB" fetch-seed --sysroot "$T/vmw/none" --datasource other --seed-iso "$T/ovf.iso" --out "$T/x"
check_fails "unknown datasource refused" "unknown datasource 'azure'" "$FB" fetch-seed --datasource azure --out "$T/x"
check_fails "fetch-seed without --out is a usage error" 'usage: kiln-firstboot fetch-seed' "$FB" fetch-seed

# --- status ---
export KILN_STATE_DIR="$T/state"
check_output "status with no steps yet" 'no steps run yet' "$FB" status
check_output "status --json is JSON" '"steps": \[\]' "$FB" status --json
