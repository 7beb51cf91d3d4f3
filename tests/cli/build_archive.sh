#!/usr/bin/env bash
# kiln build with a container app: the app role's recipe gains podman
# (app-container.yaml, in the rootfs cache key), and service.archive is
# checked before any work (a regular file, its size and sha256 shown) and
# baked into the app image at /usr/share/kiln/app-image.tar with its sha256
# beside it. A tiny synthetic rootfs placed in the cache under the app
# role's key stands for the real one, so nothing is built with mmdebstrap (a
# failing one is first in PATH to prove it); debugfs reads the image back.
. "$(dirname "$0")/../lib.sh"
MINI=$ROOT/$KILN_BUILD/drivers/mini_image
mkdir -p "$T/p" "$T/bin"
printf '#!/bin/sh\ntouch %s/mmdebstrap-ran\nexit 1\n' "$T" >"$T/bin/mmdebstrap"; chmod +x "$T/bin/mmdebstrap"
/usr/bin/python3 - "$ROOT/profiles/examples/onprem.yaml" "$T/p/shop.yaml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"    service:\n      type: systemd\n      exec: .*\n      port: 8000",
           "    service:\n      type: container\n      image: localhost/shop:1\n      archive: images/shop.oci.tar\n      port: 8000", s)
s = s.replace("    size: medium\n", "    size: small\n    os_disk_gib: 4\n", 1)
open(sys.argv[2], "w").write(s)
PY
check "the container profile passes kiln check" "$KILN" check "$T/p/shop.yaml"
export KILN_CACHE_DIR=$T/cache
# --offline: the archives' state is not asked for, the newest cached tree of
# these inputs is taken (the fake one below).
build() { env PATH="$T/bin:$PATH" "$KILN" build "$T/p/shop.yaml" --role app --out "$T/images" --state "$T/state" --offline "$@"; }

# The recipe: podman joins the app role's packages, and so its cache key.
check_output "app role of a container profile: podman in the key" '^package podman$' \
	"$KILN" rootfs app --variant container --print-key
check_output "... and dbus (podman's runtime reaches systemd over the system bus)" '^package dbus$' \
	"$KILN" rootfs app --variant container --print-key
check "without it, no podman" bash -c "! '$KILN' rootfs app --print-key | grep -q '^package podman$'"

# Refusals before any work: no state made, no output directory, no mmdebstrap.
check_fails "archive missing" "\[app\] service.archive $T/p/images/shop.oci.tar is missing" build
mkdir -p "$T/p/images"; mkfifo "$T/p/images/shop.oci.tar"
check_fails "archive a FIFO: refused at once" "shop.oci.tar is not a regular file" \
	timeout 20 env PATH="$T/bin:$PATH" "$KILN" build "$T/p/shop.yaml" --role app --out "$T/images" --state "$T/state"
rm "$T/p/images/shop.oci.tar"; : >"$T/p/images/shop.oci.tar"
check_fails "archive empty" "shop.oci.tar: the file is empty" build
check "refusals did nothing" bash -c "test ! -e '$T/state' && test ! -e '$T/images' && test ! -e '$T/mmdebstrap-ran'"

# A warm cache under the key the build computes; then the image is written.
# (named <inputs>-<archives' state>; any state will do offline)
key=$("$KILN" rootfs app --variant container --profile "$T/p/shop.yaml" --offline --print-key | sha256sum | cut -c1-64)
mkdir -p "$T/cache/rootfs" && "$MINI" --tar "$T/cache/rootfs/$key-$(printf '%064d' 0).tar" app
head -c 3000000 /dev/urandom >"$T/p/images/shop.oci.tar"
sha=$(sha256sum "$T/p/images/shop.oci.tar" | cut -c1-64)
build >"$T/build.out" 2>"$T/build.err"
check "the build succeeds from the cache" test $? = 0
check "no mmdebstrap ran" test ! -e "$T/mmdebstrap-ran"
check_output "the archive's size and sha256 are shown" \
	"\[app\] container image archive $T/p/images/shop.oci.tar: 3 MiB, sha256 $sha \(into /usr/share/kiln/app-image.tar\)" \
	cat "$T/build.err"
img=$T/images/acme-app.raw
start=$(sfdisk -d "$img" | sed -n 's/.*2 : start= *\([0-9]*\),.*/\1/p')
root="$img?offset=$((start * 512))"
debugfs -R "dump /usr/share/kiln/app-image.tar $T/back.tar" "$root" >/dev/null 2>&1
check "the archive is in the image, byte for byte" cmp "$T/back.tar" "$T/p/images/shop.oci.tar"
check_output "its recorded sha256 (sha256sum's format)" "^$sha  app-image.tar$" \
	debugfs -R "cat /usr/share/kiln/app-image.tar.sha256" "$root"
check_output "the archive is root-only in the image" 'Mode: +0600' debugfs -R "stat /usr/share/kiln/app-image.tar" "$root"
check_output "sha256sum -c agrees" 'app-image.tar: OK' bash -c \
	"mkdir -p '$T/chk' && cp '$T/back.tar' '$T/chk/app-image.tar' && debugfs -R 'cat /usr/share/kiln/app-image.tar.sha256' '$root' 2>/dev/null >'$T/chk/app-image.tar.sha256' && cd '$T/chk' && sha256sum -c app-image.tar.sha256"
check "e2fsck is happy with the root filesystem" bash -c "e2fsck -fn '$root' >/dev/null 2>&1"

# An archive too big for the app's disk (4 GiB: the file, and podman's unpacked copy at first boot).
truncate -s 1500M "$T/p/images/shop.oci.tar"
check_fails "an archive the OS disk cannot hold with its loaded copy" \
	'\[app\] os_disk_gib 4 is too small: the root filesystem with the container image, loaded at first boot, needs about' build
