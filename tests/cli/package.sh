#!/usr/bin/env bash
# kiln package: OVAs for ESXi and the EC2 kit from small synthetic raw images,
# checked with xmllint, tar, sha256sum/sha1sum, openssl, qemu-img, python3 -m json.tool.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
PY=/usr/bin/python3
setup_deployment --secrets

# A 64 MiB "OS disk" with data in two places and holes elsewhere.
truncate -s 64M "$T/os.raw"
head -c 1M /dev/urandom | dd of="$T/os.raw" bs=1M seek=1 conv=notrunc status=none
printf 'kiln' | dd of="$T/os.raw" bs=1 seek=$((40 << 20)) conv=notrunc status=none
chmod 600 "$T/os.raw"   # as kiln build writes it: the image holds the role key

# usage errors exit 2
usage2() { # NAME PATTERN ARGS...
	local name=$1 pat=$2; shift 2
	"$KILN" package "$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -eq 2 ] && grep -Eq -- "$pat" "$T/err"; then ok "$name"; else not_ok "$name (exit $rc)"; sed 's/^/#   /' "$T/err"; fi
}
check_output "package --help" 'Usage: kiln package' "$KILN" package --help
usage2 "missing --target" 'missing --target' "$P" --image app="$T/os.raw"
usage2 "unknown --target" "unsupported --target 'vmware'" "$P" --target vmware --image app="$T/os.raw"
usage2 "missing --image" 'missing --image' "$P" --target esxi
usage2 "bad --image role" "--image wants ROLE=PATH .* not 'web=" "$P" --target esxi --image web="$T/os.raw"
usage2 "--image without =" "--image wants ROLE=PATH" "$P" --target esxi --image "$T/os.raw"
usage2 "unknown --manifest" "unsupported --manifest 'md5'" "$P" --target esxi --image app="$T/os.raw" --manifest md5
usage2 "--sign-key without --sign-cert" 'go together' "$P" --target esxi --image app="$T/os.raw" --sign-key k.pem
usage2 "signing an ec2 kit" 'need --target esxi' "$P" --target ec2 --image app="$T/os.raw" --sign-key k --sign-cert c
usage2 "--data-image without --image" 'without --image mysql' "$P" --target esxi --image app="$T/os.raw" --data-image mysql="$T/os.raw"
usage2 "two profiles" 'one PROFILE' "$P" "$P" --target esxi --image app="$T/os.raw"
usage2 "--threads not a number" "--threads wants a number from 1 to 256, not '4x'" "$P" --target esxi --image app="$T/os.raw" --threads 4x
usage2 "--threads 0" "--threads wants a number from 1 to 256, not '0'" "$P" --target esxi --image app="$T/os.raw" --threads 0

# --- ESXi: app (OS disk only) and mysql (OS + blank 50 GiB data disk) ---
mkdir -p "$T/esxi"
check "package --target esxi" "$KILN" package "$P" --out "$T/esxi" --target esxi --image app="$T/os.raw" --image mysql="$T/os.raw"
check "app OVA written" test -s "$T/esxi/acme-app.ova"
check "mysql OVA written" test -s "$T/esxi/acme-mysql.ova"
check_output "OVA is private (the image holds the role key)" '^600$' stat -c %a "$T/esxi/acme-mysql.ova"
check "a seed per host of the packaged roles" test -s "$T/esxi/app1.seed" -a -s "$T/esxi/db1.seed" -a ! -e "$T/esxi/minio1.seed"
check_output "seeds are kiln seeds" '^kiln-seed:' cat "$T/esxi/app1.seed"
check_output "README maps hosts to OVAs and seeds" '\| db1 \| acme-mysql.ova \| db1.seed \|' cat "$T/esxi/acme-esxi-README.md"
check "no scratch files left" bash -c "! ls -A '$T/esxi' | grep -q -e '^\.kiln-pack' -e '\.tmp-'"

tar -tvf "$T/esxi/acme-mysql.ova" >"$T/tv" 2>&1
check_output "members in order: ovf, mf, disks (References order)" \
	'^acme-mysql.ovf acme-mysql.mf acme-mysql-disk1.vmdk acme-mysql-disk2.vmdk $' \
	bash -c "tar -tf '$T/esxi/acme-mysql.ova' | tr '\n' ' '"
check "every member mode 0644" bash -c "[ \$(grep -vc '^-rw-r--r-- ' '$T/tv') -eq 0 ]"
check "every member owned by 0/0" bash -c "[ \$(tar --numeric-owner -tvf '$T/esxi/acme-mysql.ova' | grep -vc ' 0/0 ') -eq 0 ]"
check "every header is POSIX ustar (magic ustar\\0, version 00)" $PY -c '
import sys, tarfile
with tarfile.open(sys.argv[1]) as t, open(sys.argv[1], "rb") as f:
    for m in t.getmembers():
        f.seek(m.offset); h = f.read(512)
        assert h[257:263] == b"ustar\0" and h[263:265] == b"00", m.name
' "$T/esxi/acme-mysql.ova"

mkdir -p "$T/x" && tar -xf "$T/esxi/acme-mysql.ova" -C "$T/x"
check "OVF is well-formed XML (xmllint)" xmllint --noout "$T/x/acme-mysql.ovf"
check_output "skeleton order" '^ok$' $PY "$ROOT/tests/ovf_check.py" "$T/x" acme-mysql.ovf order
check_output "rasd children alphabetical" '^ok$' $PY "$ROOT/tests/ovf_check.py" "$T/x" acme-mysql.ovf rasd
check_output "References sizes equal the files" '^ok$' $PY "$ROOT/tests/ovf_check.py" "$T/x" acme-mysql.ovf sizes
check_output "capacity equals the VMDK capacity" '^ok$' $PY "$ROOT/tests/ovf_check.py" "$T/x" acme-mysql.ovf capacity
check_output "hardware from the profile (vmx-14, medium preset, pvscsi, 1 NIC, IDE CD-ROM, EFI)" '^ok$' \
	$PY "$ROOT/tests/ovf_check.py" "$T/x" acme-mysql.ovf hardware=vmx-14,2,4096,VirtualSCSI,1
xp() { xmllint --xpath "$1" "$T/x/acme-mysql.ovf"; }
check_output "guest OS debian10_64Guest for vmx-14 (ESXi 6.7)" '^debian10_64Guest$' \
	xp "string(//*[local-name()='OperatingSystemSection']/@*[local-name()='osType'])"
check_output "kiln.seed is password-typed" '^true$' \
	xp "string(//*[local-name()='ProductSection'][@*[local-name()='class']='kiln']/*[local-name()='Property'][@*[local-name()='key']='seed']/@*[local-name()='password'])"
check_output "overridable properties from the profile" '^4$' \
	xp "count(//*[local-name()='Property'][@*[local-name()='key']='hostname' or @*[local-name()='key']='address' or @*[local-name()='key']='gateway' or @*[local-name()='key']='dns'])"
check_output "data disk is 50 GiB (largest data_disk_gib of mysql hosts)" '^53687091200$' \
	xp "string(//*[local-name()='Disk'][@*[local-name()='diskId']='vmdisk2']/@*[local-name()='capacity'])"

check_output "manifest lines are ALG(name)= hex" '^3$' bash -c "grep -Ec '^SHA256\([^ ()]+\)= [0-9a-f]{64}$' '$T/x/acme-mysql.mf'"
verify_manifest() { # DIR MF TOOL
	local line name hex n=0
	while IFS= read -r line; do
		name=${line#*(}; name=${name%%)*}; hex=${line##*= }
		[ "$($3 "$1/$name" | cut -d' ' -f1)" = "$hex" ] || { echo "mismatch $name"; return 1; }
		n=$((n + 1))
	done <"$1/$2"
	[ $n -ge 2 ]
}
check "every manifest line recomputed with sha256sum" verify_manifest "$T/x" acme-mysql.mf sha256sum
check "OS VMDK passes qemu-img check" qemu-img check -q "$T/x/acme-mysql-disk1.vmdk"
check "OS VMDK equals the raw image (qemu-img compare)" qemu-img compare -q -f vmdk -F raw "$T/x/acme-mysql-disk1.vmdk" "$T/os.raw"
truncate -s 50G "$T/blank.raw"
check "data VMDK is a blank 50 GiB disk (qemu-img compare)" qemu-img compare -q -f vmdk -F raw "$T/x/acme-mysql-disk2.vmdk" "$T/blank.raw"
rm -f "$T/blank.raw"
check_output "VMDK adapter type follows the controller" 'ddb.adapterType = "pvscsi"' strings -n 8 "$T/x/acme-mysql-disk1.vmdk"

# --manifest sha1, hardware version and controller from the profile, a given data image
sed -e 's/hardware_version: vmx-14/hardware_version: vmx-20/' -e 's/disk_controller: pvscsi/disk_controller: lsilogic/' \
	-e 's/^  overridable:.*/  overridable: [hostname]/' "$P" >"$T/d/p20.yaml"
truncate -s 8M "$T/data.raw"; printf 'data' | dd of="$T/data.raw" bs=1 seek=4096 conv=notrunc status=none
mkdir -p "$T/sha1" "$T/x1"
check "package --manifest sha1 with a data image" "$KILN" package "$T/d/p20.yaml" --state "$T/d/.kiln/acme" --out "$T/sha1" \
	--target esxi --image mysql="$T/os.raw" --data-image mysql="$T/data.raw" --manifest sha1 --no-seeds
check "--no-seeds writes no seed" test ! -e "$T/sha1/db1.seed"
tar -xf "$T/sha1/acme-mysql.ova" -C "$T/x1"
check_output "SHA1 manifest lines" '^3$' bash -c "grep -Ec '^SHA1\([^ ()]+\)= [0-9a-f]{40}$' '$T/x1/acme-mysql.mf'"
check "every SHA1 line recomputed with sha1sum" verify_manifest "$T/x1" acme-mysql.mf sha1sum
check_output "vmx-20, lsilogic" '^ok$' $PY "$ROOT/tests/ovf_check.py" "$T/x1" acme-mysql.ovf hardware=vmx-20,2,4096,lsilogic,1
check_output "guest OS debian12_64Guest for vmx-20 (ESXi 8.0)" 'debian12_64Guest' grep -o 'debian12_64Guest' "$T/x1/acme-mysql.ovf"
check_output "only the allowed override" '^1$' bash -c "grep -c 'ovf:key=\"hostname\"\\|ovf:key=\"address\"' '$T/x1/acme-mysql.ovf'"
check "given data image inside (qemu-img compare)" qemu-img compare -q -f vmdk -F raw "$T/x1/acme-mysql-disk2.vmdk" "$T/data.raw"

# --- signed OVA: .cert after the .mf, signature verifies with openssl ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/sign.key" -out "$T/sign.crt" -days 2 -subj /CN=kiln-test 2>/dev/null
mkdir -p "$T/signed" "$T/xs"
check "package --sign-key/--sign-cert" "$KILN" package "$P" --out "$T/signed" --target esxi --image app="$T/os.raw" \
	--sign-key "$T/sign.key" --sign-cert "$T/sign.crt" --no-seeds
check_output "order ovf, mf, cert, disk" '^acme-app.ovf acme-app.mf acme-app.cert acme-app-disk1.vmdk $' \
	bash -c "tar -tf '$T/signed/acme-app.ova' | tr '\n' ' '"
tar -xf "$T/signed/acme-app.ova" -C "$T/xs"
check_output ".cert starts with SHA256(name.mf)= signature" '^SHA256\(acme-app.mf\)= [0-9a-f]{512}$' head -1 "$T/xs/acme-app.cert"
check_output ".cert carries the PEM certificate" 'BEGIN CERTIFICATE' cat "$T/xs/acme-app.cert"
head -1 "$T/xs/acme-app.cert" | sed 's/.*= //' | $PY -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' >"$T/sig.bin"
openssl x509 -in "$T/xs/acme-app.cert" -pubkey -noout >"$T/pub.pem"
check_output "openssl dgst -verify accepts the signature" 'Verified OK' openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.bin" "$T/xs/acme-app.mf"
check "manifest in the signed OVA recomputes" verify_manifest "$T/xs" acme-app.mf sha256sum
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.crt" -days 2 -subj /CN=other 2>/dev/null
check_fails "key not matching the certificate" 'does not belong to certificate' \
	"$KILN" package "$P" --out "$T/signed" --target esxi --image app="$T/os.raw" --sign-key "$T/other.key" --sign-cert "$T/sign.crt" --no-seeds
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:x -out "$T/enc.key" 2>/dev/null
check_fails "encrypted key refused without prompting" 'not an unencrypted PEM private key' \
	"$KILN" package "$P" --out "$T/signed" --target esxi --image app="$T/os.raw" --sign-key "$T/enc.key" --sign-cert "$T/sign.crt" --no-seeds </dev/null
check_fails "certificate that is not PEM" 'is not a PEM X.509 certificate' \
	"$KILN" package "$P" --out "$T/signed" --target esxi --image app="$T/os.raw" --sign-key "$T/sign.key" --sign-cert "$T/os.raw" --no-seeds

# --- bad input ---
mkdir -p "$T/bad"
check_fails "missing image" "image $T/nope.raw: No such file" "$KILN" package "$P" --out "$T/bad" --target esxi --image app="$T/nope.raw" --no-seeds
: >"$T/empty.raw"
check_fails "empty image" 'is empty' "$KILN" package "$P" --out "$T/bad" --target esxi --image app="$T/empty.raw" --no-seeds
check_fails "image that is a directory" 'not a regular file or block device' "$KILN" package "$P" --out "$T/bad" --target ec2 --image app="$T" --no-seeds
check_fails "missing output directory" 'output directory .* does not exist' "$KILN" package "$P" --out "$T/nowhere" --target esxi --image app="$T/os.raw"
sed 's/hardware_version: vmx-14/hardware_version: vmx-16/' "$P" >"$T/d/hw16.yaml"
check_fails "Workstation-only hardware version (file:line:col)" "hw16.yaml:85:21: .*hardware_version 'vmx-16' is not supported" \
	"$KILN" package "$T/d/hw16.yaml" --out "$T/bad" --target esxi --image app="$T/os.raw" --no-seeds
sed 's/hardware_version: vmx-14/hardware_version: esxi8/' "$P" >"$T/d/hwx.yaml"
check_fails "unknown hardware version" "hardware_version 'esxi8' is not supported" \
	"$KILN" package "$T/d/hwx.yaml" --out "$T/bad" --target esxi --image app="$T/os.raw" --no-seeds
sed 's/disk_controller: pvscsi/disk_controller: nvme/' "$P" >"$T/d/ctl.yaml"
check_fails "unknown disk controller" "unknown disk_controller 'nvme'" \
	"$KILN" package "$T/d/ctl.yaml" --out "$T/bad" --target esxi --image app="$T/os.raw" --no-seeds
# the example without its MinIO host, flow, role settings and S3 environment
sed -e '32,36d' -e '50,52d' -e '61,64d' -e '76,79d' "$P" >"$T/d/nominio.yaml"
check "profile without minio is valid" "$KILN" check "$T/d/nominio.yaml"
check_fails "role without hosts" 'the profile has no minio host' \
	"$KILN" package "$T/d/nominio.yaml" --out "$T/bad" --target esxi --image minio="$T/os.raw" --no-seeds
check_fails "seeds without keys say what to run" 'kiln keys init' \
	"$KILN" package "$P" --state "$T/nokeys" --out "$T/bad" --target esxi --image app="$T/os.raw"
check "nothing left behind by failed runs" bash -c "[ -z \"\$(ls -A '$T/bad')\" ]"

# --- EC2 kit ---
mkdir -p "$T/ec2"
check "package --target ec2" "$KILN" package "$P" --out "$T/ec2" --target ec2 --image app="$T/os.raw" --image mysql="$T/os.raw"
for r in app mysql; do
	check "ec2 $r: import-snapshot JSON parses" $PY -m json.tool "$T/ec2/acme-$r.import-snapshot.json"
	check "ec2 $r: register-image JSON parses" $PY -m json.tool "$T/ec2/acme-$r.register-image.json"
	check "ec2 $r: VMDK passes qemu-img check" qemu-img check -q "$T/ec2/acme-$r.vmdk"
	check_output "ec2 $r: VMDK keeps the raw image's private mode" '^600$' stat -c %a "$T/ec2/acme-$r.vmdk"
	check "ec2 $r: VMDK equals the raw image" qemu-img compare -q -f vmdk -F raw "$T/ec2/acme-$r.vmdk" "$T/os.raw"
done
check "register-image has UEFI, ENA, IMDSv2, root device" $PY -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["BootMode"] == "uefi-preferred" and j["EnaSupport"] is True and j["ImdsSupport"] == "v2.0", j
assert j["Architecture"] == "x86_64" and j["VirtualizationType"] == "hvm" and j["SriovNetSupport"] == "simple"
bdm = {b["DeviceName"]: b["Ebs"] for b in j["BlockDeviceMappings"]}
assert j["RootDeviceName"] == "/dev/xvda" and bdm["/dev/xvda"]["SnapshotId"] == "@SNAPSHOT_ID@"
assert bdm["/dev/xvda"]["VolumeSize"] == 10, bdm   # os_disk_gib of the medium preset
assert bdm["/dev/sdf"]["VolumeSize"] == 50 and not bdm["/dev/sdf"]["DeleteOnTermination"]
assert j["Name"].startswith("kiln-acme-mysql-")
' "$T/ec2/acme-mysql.register-image.json"
check "app image has no data volume" $PY -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert [b["DeviceName"] for b in j["BlockDeviceMappings"]] == ["/dev/xvda"]
' "$T/ec2/acme-app.register-image.json"
check "import-snapshot names the VMDK" $PY -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["Format"] == "VMDK" and j["UserBucket"]["S3Key"] == "acme-app.vmdk"
' "$T/ec2/acme-app.import-snapshot.json"
check_output "README: import-snapshot then register-image" 'register-image --cli-input-json file://acme-mysql.register-image.json' cat "$T/ec2/acme-ec2-README.md"
check_output "README: run-instances with the host's seed as user data" '--user-data file://db1.seed' cat "$T/ec2/acme-ec2-README.md"
check_output "README: static address of the host" '--private-ip-address 192.168.40.200' cat "$T/ec2/acme-ec2-README.md"
check "user data per host, within 16 KB" bash -c "[ \$(stat -c %s '$T/ec2/app1.seed') -le 16384 ] && [ -s '$T/ec2/db1.seed' ]"

# EC2's 16 KB user-data limit: an incompressible comment makes the seed too big
mkdir -p "$T/bigout"
setup_big_profile "$T/big"
check_fails "ec2 refuses a seed over 16 KB" "seed for app1 is [0-9]+ bytes, over EC2's 16384 byte user-data limit" \
	"$KILN" package "$T/big/p.yaml" --out "$T/bigout" --target ec2 --image app="$T/os.raw"
check "nothing written when the seed is too big" bash -c "[ -z \"\$(ls -A '$T/bigout')\" ]"
check "the same profile packages for esxi" "$KILN" package "$T/big/p.yaml" --out "$T/bigout" --target esxi --image app="$T/os.raw"

check_no_secret_leaks "$T/d/.kiln/acme" "$T/esxi" "$T/ec2"
