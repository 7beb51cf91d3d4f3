#!/usr/bin/env bash
# End to end, what an ESXi/vCenter import does with a kiln OVA, from the OVA
# alone: `kiln build --target esxi --role mysql` (profiles/examples/onprem.yaml),
# then unpack it with tar, check its manifest with sha256sum, read the OVF
# descriptor with xmllint and boot one QEMU VM configured from it:
#   memory, vCPUs              the descriptor's Items (ResourceType 4, 3)
#   disks                      its VMDKs converted with qemu-img, on the
#                              controller their Item names (pvscsi), at
#                              their unit; the data disk's capacity checked
#   CD-ROM                     on the IDE channel and unit the descriptor
#                              gives, holding an OVF environment ISO made as
#                              vSphere does: every ProductSection property,
#                              kiln.seed = the host's seed, plus overrides
#   NICs                       vmxnet3 per VmxNet3 Item
#   firmware=efi               OVMF on i440fx ("pc"), ESXi's PIIX chipset
# The host must configure itself: "deployment ready", the seed from the
# CD-ROM, the data disk formatted kiln-data, MariaDB running, the hostname
# override applied.
#
# One thing is not as on ESXi: Debian 12's OVMF has no PVSCSI driver, so it
# cannot load shim and GRUB from a pvscsi disk (ESXi's firmware can). QEMU's
# loader does that step: the kernel, initrd and command line of the grub.cfg
# menu entry on the OS disk's own ESP are given to -kernel/-initrd/-append, and
# that kernel finds its root on pvscsi. (The ESP's boot path is booted by
# tests/e2e/boot.sh.) The PIIX IDE decode bits OVMF leaves clear are set by
# the test overlay (esxi_overlay in qemu.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/qemu.sh"
KILN_IMG=$ROOT/build/kiln   # images carry the plain kiln-firstboot
[ -x "$KILN_IMG" ] || { not_ok "ova: $KILN_IMG missing (make all)"; exit 1; }
trap 'qemu_stop_all; pkill -KILL -f -- "$T/" 2>/dev/null; rm -rf "$T"' EXIT
DEADLINE=${KILN_E2E_BOOT_SECONDS:-600}
HOSTNAME_OVERRIDE=dbova DNS_OVERRIDE=192.168.40.53

P=$ROOT/profiles/examples/onprem.yaml S=$T/state
check "keys and secrets" bash -c "'$KILN' keys init '$P' --state '$S' && '$KILN' secrets init '$P' --state '$S'"
esxi_overlay "$T/overlay"
check "kiln build --target esxi --role mysql" "$KILN_IMG" build "$P" --target esxi --role mysql \
	--state "$S" --out "$T/ovaout" --overlay "$T/overlay"
ova=$T/ovaout/acme-mysql.ova
[ -f "$ova" ] && [ -f "$T/ovaout/db1.seed" ] || { not_ok "ova: no $ova or db1.seed"; exit 1; }
rm -f "$T/ovaout"/*.raw   # from here on, only the OVA and the seed

# --- The import: unpack, manifest, descriptor ---
x=$T/import
mkdir -p "$x"
check "tar -xf the OVA" tar -xf "$ova" -C "$x"
ovf=$(tar -tf "$ova" | head -1)
mf=${ovf%.ovf}.mf
check "the descriptor comes first" test "${ovf%.ovf}" != "$ovf"
check "manifest: every member but the .mf has a SHA256 line, and sha256sum agrees" bash -c "
	cd '$x' && [ \$(wc -l < '$mf') -eq \$(tar -tf '$ova' | grep -vc '\\.mf\$') ] &&
	sed -E 's/^SHA256\\(([^)]*)\\)= ([0-9a-f]{64})\$/\\2  \\1/' '$mf' | sha256sum --strict -c - >/dev/null"

xp() { xmllint --xpath "$1" "$x/$ovf" 2>/dev/null; }
el() { printf "*[local-name()='%s']" "$1"; }
at() { printf "@*[local-name()='%s']" "$1"; }
# rasd PREDICATE FIELD: rasd:FIELD of the Item matching PREDICATE
rasd() { xp "string(//$(el Item)[$1]/$(el "$2"))"; }
rtype() { echo "$(el ResourceType)=$1"; }

# want NAME VALUE REGEX: a descriptor fact read and checked
want() {
	if [[ $2 =~ ^($3)$ ]]; then ok "descriptor: $1 = $2"; else not_ok "descriptor: $1 = '$2', wanted /$3/"; fi
}
mem=$(rasd "$(rtype 4)" VirtualQuantity)
want "memory units" "$(rasd "$(rtype 4)" AllocationUnits)" 'byte \* 2\^20'
want "memory MiB" "$mem" '[0-9]+'
cpus=$(rasd "$(rtype 3)" VirtualQuantity)
want "vCPUs" "$cpus" '[0-9]+'
want "firmware" "$(xp "string(//$(el Config)[$(at key)='firmware']/$(at value))")" efi
want "transports" "$(xp "string(//$(el VirtualHardwareSection)/$(at transport))")" '(.* )?iso( .*)?'

# Controllers become QEMU devices named after their InstanceID.
declare -A ctl_dev=()
controller() { # INSTANCEID: sets bus to that controller's QEMU bus (adding the device once)
	local id=$1 t st
	t=$(rasd "$(el InstanceID)='$id'" ResourceType) st=$(rasd "$(el InstanceID)='$id'" ResourceSubType)
	case $t/$st in
	6/VirtualSCSI)
		[ -n "${ctl_dev[$id]:-}" ] || { ctl_dev[$id]=pvscsi; qargs+=(-device "pvscsi,id=c$id"); }
		bus=c$id.0 ;;
	*) ctl_dev[$id]="unsupported ResourceType/SubType $t/$st"; bus= ;;
	esac
}

qargs=()
ndisks=$(xp "count(//$(el DiskSection)/$(el Disk))")
want "disks" "$ndisks" 2
for i in $(seq "${ndisks:-0}"); do
	d="(//$(el DiskSection)/$(el Disk))[$i]"
	id=$(xp "string($d/$(at diskId))")
	file=$(xp "string(//$(el References)/$(el File)[$(at id)='$(xp "string($d/$(at fileRef))")']/$(at href))")
	cap=$(xp "string($d/$(at capacity))") units=$(xp "string($d/$(at capacityAllocationUnits))")
	case $units in
	byte|"") ;;
	"byte * 2^"*) cap=$((cap << ${units#byte \* 2^})) ;;
	*) cap= ;;
	esac
	item="$(rtype 17) and $(el HostResource)='ovf:/disk/$id'"
	parent=$(rasd "$item" Parent) unit=$(rasd "$item" AddressOnParent)
	want "disk $i ($id) file" "$file" '[A-Za-z0-9._-]+\.vmdk'
	want "disk $i capacity (bytes)" "$cap" '[0-9]+'
	controller "$parent"
	want "disk $i controller" "${ctl_dev[$parent]:-none}" pvscsi
	want "disk $i unit" "$unit" '[0-9]+'
	# The OS disk (the first) as raw: its ESP is read below; the data disk as qcow2.
	fmt=raw; [ "$i" -gt 1 ] && fmt=qcow2
	check "disk $i: qemu-img convert -f vmdk -O $fmt" qemu-img convert -f vmdk -O $fmt "$x/$file" "$T/disk$i.$fmt"
	check "disk $i: virtual size is the descriptor's capacity" \
		bash -c "[ \"\$(qemu-img info --output=json '$T/disk$i.$fmt' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"virtual-size\"])')\" = '$cap' ]"
	rm -f "$x/$file"
	qargs+=(-drive "if=none,id=disk$i,format=$fmt,file=$T/disk$i.$fmt" -device "scsi-hd,drive=disk$i,bus=$bus,scsi-id=$unit")
done

# The CD-ROM the iso transport uses: IDE controller Address = channel.
cd_parent=$(rasd "$(rtype 15)" Parent)
want "CD-ROM controller type" "$(rasd "$(el InstanceID)='$cd_parent'" ResourceType)" 5
ide=$(rasd "$(el InstanceID)='$cd_parent'" Address) cd_unit=$(rasd "$(rtype 15)" AddressOnParent)
want "CD-ROM at ide channel:unit" "$ide:$cd_unit" '[01]:[01]'

nics=$(xp "count(//$(el Item)[$(rtype 10)])")
want "NICs" "$nics" '[1-9]'
for i in $(seq "${nics:-0}"); do
	want "NIC $i type" "$(xp "string((//$(el Item)[$(rtype 10)])[$i]/$(el ResourceSubType))")" VmxNet3
	qargs+=(-netdev "user,id=n$i,restrict=on" -device "vmxnet3,netdev=n$i")
done

# Every ProductSection property goes into the OVF environment (vSphere sends
# the unset ones empty), keyed class.key.
class=$(xp "string(//$(el ProductSection)/$(at class))")
keys=$(xp "//$(el ProductSection)/$(el Property)/$(at key)" | grep -o '"[^"]*"' | tr -d '"' | tr '\n' ' ')
want "property keys" "$class: $keys" 'kiln: seed hostname address gateway dns '
props=()
for k in $keys; do
	case $k in
	seed) v=$(cat "$T/ovaout/db1.seed") ;;
	hostname) v=$HOSTNAME_OVERRIDE ;;
	dns) v=$DNS_OVERRIDE ;;
	*) v= ;;
	esac
	props+=("$class.$k=$v")
done
ovf_env_iso "$T/ovf-env.iso" "${props[@]}"
qargs+=(-drive "if=none,id=cd,media=cdrom,readonly=on,file=$T/ovf-env.iso" -device "ide-cd,drive=cd,bus=ide.$ide,unit=$cd_unit")

# --- The firmware's step: the grub.cfg menu entry on the OS disk's ESP ---
esp_start=$(sfdisk -d "$T/disk1.raw" | sed -n 's/.*start= *\([0-9]*\),.*type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B.*/\1/p')
m="$T/disk1.raw@@$((esp_start * 512))"
mtype -i "$m" ::/EFI/debian/grub.cfg 2>/dev/null | tr -d '\r' >"$T/entry.conf"
check "ESP: GRUB's menu entry" grep -q '^menuentry ' "$T/entry.conf"
# "linux /kiln/vmlinuz 'root=PARTUUID=...' 'rw' ...": kiln quotes each word
linux=$(sed -n "s/^\tlinux \([^ ]*\).*/\1/p" "$T/entry.conf") initrd=$(sed -n "s/^\tinitrd *//p" "$T/entry.conf")
options=$(sed -n "s/^\tlinux [^ ]* //p" "$T/entry.conf" | tr -d "'")
check "ESP: the entry's kernel and initrd" bash -c "mcopy -n -i '$m' '::$linux' '$T/vmlinuz' && mcopy -n -i '$m' '::$initrd' '$T/initrd'"
echo "# loader entry: linux $linux initrd $initrd options $options"

cp "$OVMF_VARS" "$T/ova.vars"
qemu-system-x86_64 -accel "$QEMU_ACCEL" -machine pc -m "$mem" -smp "$cpus" -nodefaults -display none -monitor none \
	-serial "file:$T/ova.log" \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
	-drive "if=pflash,format=raw,unit=1,file=$T/ova.vars" \
	-smbios "type=1,manufacturer=VMware,, Inc.,product=VMware7,,1" \
	-kernel "$T/vmlinuz" -initrd "$T/initrd" -append "$options" \
	"${qargs[@]}" -pidfile "$T/ova.pid" >"$T/ova.qemu.out" 2>&1 &
for _ in $(seq 100); do [ -s "$T/ova.pid" ] && break; sleep 0.1; done
[ -s "$T/ova.pid" ] || { not_ok "QEMU did not start"; sed 's/^/#   /' "$T/ova.qemu.out"; exit 1; }
QEMU_PIDS+=($(cat "$T/ova.pid"))

if qemu_wait ova 'KILN-STATUS: kiln: .*deployment ready' "$DEADLINE" &&
	qemu_wait ova 'KILN-HOSTNAME: ' 120; then
	ok "the VM configured itself: deployment ready"
	log=$T/ova.console
	tr -d '\r' <"$T/ova.log" >"$log"
	grep -aE 'KILN-(E2E-FW|LSBLK|ACTIVE|HOSTNAME):' "$log" | sort -u | sed 's/^/# /'
	check "the seed came from the IDE CD-ROM (iso transport)" grep -aq 'KILN-STATUS: datasource: *ovf-iso:/dev/sr0' "$log"
	check "the data disk (pvscsi) was formatted kiln-data and mounted" \
		grep -aqE 'KILN-LSBLK: sd[a-z] ext4 kiln-data /var/lib/mysql' "$log"
	check "MariaDB is running" grep -aq 'KILN-ACTIVE: mariadb,minio,nginx=active,' "$log"
	check "the root file system is on the pvscsi OS disk" grep -aqE 'KILN-LSBLK: sd[a-z]2 ext4 root /( |$)' "$log"
	check "the kiln.hostname override was applied" grep -aqE "KILN-HOSTNAME: $HOSTNAME_OVERRIDE( |$)" "$log"
	check "the identity step lists the overrides" \
		grep -aqE "KILN-STATUS: +identity +done +.*OVF overrides: hostname, dns" "$log"
else
	not_ok "the VM did not configure itself"
fi
