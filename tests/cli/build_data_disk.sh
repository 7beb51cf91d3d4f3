#!/usr/bin/env bash
# kiln build puts the data disk's drop-in (profiles/data_disk.h) in the mysql
# and minio images: /etc/systemd/system/<server>.d/kiln-data-disk.conf with
# RequiresMountsFor= the data path, the server by roles.mysql.engine, so
# systemd loads the server's unit with it at the first boot and the agent's
# data disk step finds it written (nothing "changed on disk", no reload). A
# tiny synthetic rootfs in the cache under each role's key stands for the
# real one (a failing mmdebstrap first in PATH proves nothing was built);
# debugfs reads the images back.
. "$(dirname "$0")/../lib.sh"
MINI=$ROOT/$KILN_BUILD/drivers/mini_image
mkdir -p "$T/p" "$T/bin" "$T/cache/rootfs"
printf '#!/bin/sh\ntouch %s/mmdebstrap-ran\nexit 1\n' "$T" >"$T/bin/mmdebstrap"; chmod +x "$T/bin/mmdebstrap"
sed 's/^    size: medium$/    size: small\n    os_disk_gib: 4/' "$ROOT/profiles/examples/onprem.yaml" >"$T/p/acme.yaml"
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
deb=$(ls "$T"/deb/*.deb)
export KILN_CACHE_DIR=$T/cache

# The root file system of image IMG (its second partition), for debugfs.
root_of() { echo "$1?offset=$(( $(sfdisk -d "$1" | sed -n 's/.*2 : start= *\([0-9]*\),.*/\1/p') * 512 ))"; }

# The key --print-key names is the build's: a supplied artifact by its file's sha256 (it said
# "supplied", and the tree cached under that key was never found).
check_output "rootfs --print-key names a supplied artifact by its sha256" "^artifact minio $(sha256sum "$deb" | cut -c1-64) deb\$" \
	"$KILN" rootfs minio --profile "$T/p/acme.yaml" --offline --artifact "minio=$deb" --print-key
for role in mysql minio; do
	art=()
	[ $role = minio ] && art=(--artifact "minio=$deb")
	key=$("$KILN" rootfs $role --profile "$T/p/acme.yaml" --offline "${art[@]}" --print-key | sha256sum | cut -c1-64)
	"$MINI" --tar "$T/cache/rootfs/$key-$(printf '%064d' 0).tar" $role
	env PATH="$T/bin:$PATH" "$KILN" build "$T/p/acme.yaml" --role $role --out "$T/images" --state "$T/state" \
		--offline "${art[@]}" >"$T/build-$role.out" 2>&1
	rc=$?
	check "the $role image builds from the cache" test $rc = 0
	[ $rc = 0 ] || sed 's/^/#   /' "$T/build-$role.out"
done
check "no mmdebstrap ran" test ! -e "$T/mmdebstrap-ran"
check_output "the mysql image: mariadb.service needs /var/lib/mysql's mount" '^RequiresMountsFor=/var/lib/mysql$' \
	debugfs -R "cat /etc/systemd/system/mariadb.service.d/kiln-data-disk.conf" "$(root_of "$T/images/acme-mysql.raw")"
check_output "the minio image: minio.service needs /var/lib/minio's mount" '^RequiresMountsFor=/var/lib/minio$' \
	debugfs -R "cat /etc/systemd/system/minio.service.d/kiln-data-disk.conf" "$(root_of "$T/images/acme-minio.raw")"
check_output "... readable by all, as systemd's units are" 'Mode: +0644' \
	debugfs -R "stat /etc/systemd/system/minio.service.d/kiln-data-disk.conf" "$(root_of "$T/images/acme-minio.raw")"
check "the minio image has no MariaDB drop-in" bash -c \
	"! debugfs -R 'stat /etc/systemd/system/mariadb.service.d/kiln-data-disk.conf' '$(root_of "$T/images/acme-minio.raw")' 2>&1 | grep -q Mode:"

