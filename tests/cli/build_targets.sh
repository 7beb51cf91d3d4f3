#!/usr/bin/env bash
# kiln build --target esxi|ec2: option errors, the EC2 user-data limit refused
# before any image is built, and one real role (mysql, whose rootfs build.sh
# has cached) packaged as an OVA and an EC2 kit, checked with real tools.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
PY=/usr/bin/python3
setup_deployment --secrets
out=$T/images
mkdir -p "$out"

check_output "build --help names the targets" 'raw \(default\), esxi, ec2, iso or usb' "$KILN" build --help
check_fails "unknown target" "unsupported --target 'vmware' \(kiln build makes: raw, esxi, ec2, iso, usb\)" "$KILN" build "$P" --target vmware
check_fails "unknown --manifest" "unsupported --manifest 'md5'" "$KILN" build "$P" --target esxi --manifest md5
check_fails "--sign-key alone" 'go together' "$KILN" build "$P" --target esxi --sign-key k.pem
check_fails "signing without esxi" 'need --target esxi' "$KILN" build "$P" --target ec2 --sign-key k --sign-cert c
"$KILN" build "$P" --target esxi --sign-cert c >/dev/null 2>&1
check "option errors exit 2" test $? -eq 2

# A seed over 16 KB: refused for ec2 before any rootfs or image work.
setup_big_profile "$T/big"
echo "a MinIO package" >"$T/big/minio.deb"   # MinIO's artifact is checked first: any file will do here
check_fails "ec2: seed over EC2's user-data limit" "seed for app1 is [0-9]+ bytes, over EC2's 16384 byte user-data limit" \
	"$KILN" build "$T/big/p.yaml" --target ec2 --out "$out" --artifact minio="$T/big/minio.deb"
check "... refused before building anything" bash -c "! grep -q 'rootfs\|image:' '$T/err' && [ -z \"\$(ls -A '$out')\" ]"

# The real thing for one role.
check "build --target esxi --target ec2 --role mysql" "$KILN" build "$P" --target esxi --target ec2 --role mysql --out "$out"
cp "$T/out" "$T/build.out"
check_output "stdout lists raw, OVA and VMDK" 'acme-mysql.raw .*acme-mysql-data.raw .*acme-mysql.ova .*acme-mysql.vmdk' tr '\n' ' ' <"$T/build.out"
check "seed for db1 only" test -s "$out/db1.seed" -a ! -e "$out/app1.seed"
check_output "one seed per host for both targets (serial 1)" '^serial: 1$' "$KILN" seed --inspect "$out/db1.seed"
mkdir -p "$T/x"
tar -xf "$out/acme-mysql.ova" -C "$T/x"
check_output "OVA members in order" '^acme-mysql.ovf acme-mysql.mf acme-mysql-disk1.vmdk acme-mysql-disk2.vmdk $' \
	bash -c "tar -tf '$out/acme-mysql.ova' | tr '\n' ' '"
check "OVF well-formed (xmllint)" xmllint --noout "$T/x/acme-mysql.ovf"
check_output "OVF structure, sizes, capacities, hardware" '^ok$' \
	$PY "$ROOT/tests/ovf_check.py" "$T/x" acme-mysql.ovf order rasd sizes capacity hardware=vmx-14,2,4096,VirtualSCSI,1
check "OS disk in the OVA equals the raw image" qemu-img compare -q -f vmdk -F raw "$T/x/acme-mysql-disk1.vmdk" "$out/acme-mysql.raw"
check "data disk in the OVA equals the blank data image" qemu-img compare -q -f vmdk -F raw "$T/x/acme-mysql-disk2.vmdk" "$out/acme-mysql-data.raw"
check "manifest recomputes" bash -c "cd '$T/x' && sed -E 's/^SHA256\((.*)\)= ([0-9a-f]+)$/\2  \1/' acme-mysql.mf | sha256sum -c --quiet"
check "EC2 VMDK passes qemu-img check" qemu-img check -q "$out/acme-mysql.vmdk"
check "EC2 VMDK equals the raw image" qemu-img compare -q -f vmdk -F raw "$out/acme-mysql.vmdk" "$out/acme-mysql.raw"
check "register-image JSON parses" $PY -m json.tool "$out/acme-mysql.register-image.json"
check "import-snapshot JSON parses" $PY -m json.tool "$out/acme-mysql.import-snapshot.json"
check_output "EC2 README runs db1 with its seed" '--user-data file://db1.seed' cat "$out/acme-ec2-README.md"
check_no_secret_leaks "$T/d/.kiln/acme" "$out"/*.seed "$out"/*.json "$out"/*.md "$T/x/acme-mysql.ovf"
