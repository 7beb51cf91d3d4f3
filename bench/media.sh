#!/usr/bin/env bash
# Installer media build time and size per host for the example profile's
# three hosts (app1, db1, minio1 of profiles/examples/onprem.yaml), with the
# rootfs cache warm: kiln build --target iso --target usb --host H, the role
# image included; the media step alone is the total less the image build
# kiln reports. Then one medium per role (--per-role) for the mysql role of
# a copy of the profile with three mysql hosts, each with an install.machine
# rule (two by MAC: the medium carries the network drivers). Usage:
# bench/media.sh   (needs make; the first run of a role fills the rootfs
# cache, which is left out: each medium is built twice and the second run
# is reported). BENCH_MEDIA_HOSTS="" skips the per-host rows.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KILN=$ROOT/${KILN_BUILD:-build}/kiln
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
P=$ROOT/profiles/examples/onprem.yaml
"$KILN" keys init "$P" --state "$T/state" >/dev/null 2>&1
"$KILN" secrets init "$P" --state "$T/state" >/dev/null 2>&1
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
deb=$(ls "$T"/deb/*.deb)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
mib() { echo $(( $(stat -c %s "$1") >> 20 )); }
printf '%-7s %-6s %9s %9s %9s %9s %9s %11s\n' host role "total(s)" "image(s)" "media(s)" "iso(MiB)" "usb(MiB)" "data(MiB)"
for h in ${BENCH_MEDIA_HOSTS-app1 db1 minio1}; do
	args=("$P" --state "$T/state" --out "$T/out" --target iso --target usb --host "$h" --artifact "minio=$deb")
	"$KILN" build "${args[@]}" >/dev/null 2>&1   # warms the rootfs cache
	rm -rf "$T/out"
	t0=$(now); "$KILN" build "${args[@]}" >/dev/null 2>"$T/log"; t1=$(now)
	grep -q 'cache hit' "$T/log" || { echo "the build of $h missed the rootfs cache" >&2; exit 1; }
	img=$(sed -n 's/.*built all images in \([0-9]*\)s.*/\1/p' "$T/log")
	total=$(secs "$t0" "$t1")
	data=$(sed -n 's/.*payload of [0-9]* MiB (the image.s \([0-9]*\) MiB of data.*/\1/p' "$T/log" | head -1)
	role=$(sed -n 's/.*\[\([a-z]*\)\] done:.*/\1/p' "$T/log")
	printf '%-7s %-6s %9s %9s %9s %9s %9s %11s\n' "$h" "$role" "$total" "$img" \
		"$(awk -v a="$total" -v b="$img" 'BEGIN{printf "%.1f", a-b}')" \
		"$(mib "$T/out/acme-$h.iso")" "$(mib "$T/out/acme-$h.img")" "$data"
	rm -rf "$T/out"
done

# One medium per role: db1..db3 of the mysql role.
P3=$T/role.yaml
sed 's/^    data_disk_gib: 50$/    data_disk_gib: 50\n    install: {machine: {mac: "52:54:00:00:00:01"}}\n  - {name: db2, role: mysql, subnet: data, address: 192.168.40.211, install: {machine: {mac: "52:54:00:00:00:02"}}}\n  - {name: db3, role: mysql, subnet: data, address: 192.168.40.212, install: {machine: {dmi_serial: "S3"}}}/' \
	"$P" >"$P3"
"$KILN" keys init "$P3" --state "$T/state3" >/dev/null 2>&1
"$KILN" secrets init "$P3" --state "$T/state3" >/dev/null 2>&1
args=("$P3" --state "$T/state3" --out "$T/out" --target iso --target usb --per-role --role mysql)
"$KILN" build "${args[@]}" >/dev/null 2>&1
rm -rf "$T/out"
t0=$(now); "$KILN" build "${args[@]}" >/dev/null 2>"$T/log"; t1=$(now)
grep -q 'cache hit' "$T/log" || { echo "the per-role build missed the rootfs cache" >&2; exit 1; }
img=$(sed -n 's/.*built all images in \([0-9]*\)s.*/\1/p' "$T/log")
total=$(secs "$t0" "$t1")
data=$(sed -n 's/.*payload of [0-9]* MiB (the image.s \([0-9]*\) MiB of data.*/\1/p' "$T/log" | head -1)
printf '%-7s %-6s %9s %9s %9s %9s %9s %11s\n' "mysql*3" mysql "$total" "$img" \
	"$(awk -v a="$total" -v b="$img" 'BEGIN{printf "%.1f", a-b}')" \
	"$(mib "$T/out/acme-mysql.iso")" "$(mib "$T/out/acme-mysql.img")" "$data"
MTOOLS_SKIP_CHECK=1 mcopy -i "$T/out/acme-mysql.img@@1048576" ::/kiln/installer.img "$T/initrd"
echo "installer initramfs of the per-role medium (with network drivers): $(stat -c %s "$T/initrd") bytes"
