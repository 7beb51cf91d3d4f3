#!/usr/bin/env bash
# kiln build --target esxi for the three roles with a warm rootfs cache, and
# the packaging step alone (kiln package) next to the usual peer pipeline on
# the same raw images: qemu-img convert -O vmdk -o subformat=streamOptimized,
# sha256sum for the manifest, GNU tar --format=ustar.
# Usage: bench/esxi.sh   (needs a built tree: make; warms the cache if cold)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KILN=$ROOT/${KILN_BUILD:-build}/kiln
T=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench.XXXXXX"); trap 'rm -rf "$T"' EXIT
profile=$ROOT/profiles/examples/onprem.yaml
"$KILN" keys init "$profile" --state "$T/state" >/dev/null 2>&1
"$KILN" secrets init "$profile" --state "$T/state" >/dev/null 2>&1
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
deb=$(ls "$T"/deb/*.deb)
args=("$profile" --state "$T/state" --artifact "minio=$deb")

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# Warm the rootfs cache (no-op when it is warm already), then time.
"$KILN" build "${args[@]}" --out "$T/warm" >/dev/null 2>&1
rm -rf "$T/warm"
t0=$(now); "$KILN" build "${args[@]}" --out "$T/raw" >/dev/null 2>"$T/raw.log"; t1=$(now)
grep -q 'cache hit' "$T/raw.log" || { echo "raw build missed the rootfs cache" >&2; exit 1; }
t2=$(now); "$KILN" build "${args[@]}" --target esxi --out "$T/esxi" >/dev/null 2>"$T/esxi.log"; t3=$(now)
rm -rf "$T/esxi"

# Packaging only, on the same raw images.
imgs=(--image "app=$T/raw/acme-app.raw" --image "mysql=$T/raw/acme-mysql.raw" --image "minio=$T/raw/acme-minio.raw"
	--data-image "mysql=$T/raw/acme-mysql-data.raw" --data-image "minio=$T/raw/acme-minio-data.raw")
mkdir -p "$T/pkg"
t4=$(now); "$KILN" package "$profile" --state "$T/state" --target esxi --no-seeds "${imgs[@]}" --out "$T/pkg" >/dev/null 2>&1; t5=$(now)
ova_bytes=$(cat "$T"/pkg/*.ova | wc -c)
rm -rf "$T/pkg"

# The peer: qemu-img's streamOptimized writer + sha256sum + tar, per role.
mkdir -p "$T/peer"
t6=$(now)
for r in app mysql minio; do
	d=$T/peer/$r; mkdir -p "$d"
	qemu-img convert -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic "$T/raw/acme-$r.raw" "$d/disk1.vmdk"
	files=(disk1.vmdk)
	if [ -e "$T/raw/acme-$r-data.raw" ]; then
		qemu-img convert -O vmdk -o subformat=streamOptimized "$T/raw/acme-$r-data.raw" "$d/disk2.vmdk"
		files+=(disk2.vmdk)
	fi
	: >"$d/a.ovf"
	(cd "$d" && sha256sum a.ovf "${files[@]}" | sed -E 's/^([0-9a-f]+)  (.*)$/SHA256(\2)= \1/' >a.mf &&
		tar --format=ustar -cf "$T/peer/$r.ova" a.ovf a.mf "${files[@]}")
done
t7=$(now)
peer_bytes=$(cat "$T"/peer/*.ova | wc -c)

raw=$(secs "$t0" "$t1") esxi=$(secs "$t2" "$t3") pkg=$(secs "$t4" "$t5") peer=$(secs "$t6" "$t7")
echo "three roles (app, mysql, minio), warm rootfs cache, $(nproc) CPUs"
printf '  %-44s %8s s\n' "kiln build --target raw" "$raw" "kiln build --target esxi (raw + OVAs)" "$esxi" \
	"kiln package --target esxi (OVAs only)" "$pkg" "peer: qemu-img convert + sha256sum + tar" "$peer"
printf '  %-44s %8s\n' "packaging time, kiln / peer" "$(ratio "$pkg" "$peer")" \
	"OVA bytes, kiln / peer" "$(ratio "$ova_bytes" "$peer_bytes")"
