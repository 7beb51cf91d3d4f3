#!/usr/bin/env bash
# Disk layout benchmark: kiln's layout_build() vs the usual tool pipeline,
# same tar, same run.
#   bench/layout.sh [ROOTFS.tar]
# Without an argument it uses the newest rootfs tar in ~/.cache/kiln/rootfs/
# or, failing that, builds one from this machine's /usr/bin /usr/sbin /etc
# /usr/lib/python3 /usr/share/doc /usr/lib/grub/i386-pc plus a fake 14 MiB
# kernel, 15 MiB initrd, 1 MiB shim and 4 MiB GRUB.
# Peer pipeline: tar -x (timed) + sfdisk + mkfs.ext4 -d (into the partition
# via -E offset) + mkfs.fat + mcopy + grub-mkimage, producing an equivalent
# image (without the MBR/blocklist patch, which has no tool for a file).
# Needs root for the peer's extraction (ownership). Run after `make`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
W=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-layout.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8
DISK_MIB=${DISK_MIB:-4096}
ESP_MIB=256

cc -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -I. -o "$W/layout_driver" \
	bench/layout_driver.c "$BUILD/libkiln.a" \
	$(pkg-config --libs libarchive fdisk libsodium ext2fs) -lpthread

tar_path=${1:-}
if [ -z "$tar_path" ]; then
	tar_path=$(ls -t "$HOME"/.cache/kiln/rootfs/*.tar 2>/dev/null | head -1 || true)
fi
if [ -z "$tar_path" ]; then
	mkdir -p "$W/fake/boot" "$W/fake/usr/lib/shim" "$W/fake/usr/lib/grub/x86_64-efi-signed"
	head -c $((14 << 20)) /dev/urandom >"$W/fake/boot/vmlinuz-6.1.0-1-cloud-amd64"
	head -c $((15 << 20)) /dev/urandom >"$W/fake/boot/initrd.img-6.1.0-1-cloud-amd64"
	# stand-ins of the signed shim and GRUB's sizes; GRUB's BIOS files are
	# this machine's (grub-pc-bin)
	head -c $((1 << 20)) /dev/urandom >"$W/fake/usr/lib/shim/shimx64.efi.signed"
	head -c $((4 << 20)) /dev/urandom >"$W/fake/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"
	tar -C / -cf "$W/root.tar" usr/bin usr/sbin etc usr/lib/python3 usr/share/doc usr/lib/grub/i386-pc
	tar -C "$W/fake" -rf "$W/root.tar" boot usr/lib/shim usr/lib/grub/x86_64-efi-signed
	tar_path=$W/root.tar
fi
tar_mib=$(( $(stat -c %s "$tar_path") >> 20 ))
echo "tar: $tar_path ($tar_mib MiB), disk $DISK_MIB MiB"
sync

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

# --- kiln ---------------------------------------------------------------
t0=$(now)
"$W/layout_driver" "$tar_path" "$W/kiln.img" "$DISK_MIB" bench/layout 2>"$W/kiln.log" ||
	{ cat "$W/kiln.log"; exit 1; }
t1=$(now)
kiln_s=$(calc "$t1 - $t0")

# --- peer pipeline -----------------------------------------------------
t0=$(now)
mkdir "$W/root"
tar -C "$W/root" --numeric-owner -xpf "$tar_path"
t1=$(now)
img=$W/peer.img
truncate -s "${DISK_MIB}M" "$img"
root_start=$(( (1 + ESP_MIB) * 2048 ))
root_sectors=$(( (DISK_MIB - ESP_MIB - 2) * 2048 ))
sfdisk -q "$img" <<SFDISK
label: gpt
first-lba: 34
start=34, size=2014, type=21686148-6449-6E6F-744E-656564454649, name="BIOS boot"
start=2048, size=$((ESP_MIB * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP
start=$root_start, size=$root_sectors, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root, attrs="GUID:59"
SFDISK
mkfs.ext4 -q -F -L root -E offset=$((root_start * 512)) -d "$W/root" "$img" "$((root_sectors / 2))k"
kver=$(cd "$W/root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -1)
# the same boot chain kiln writes: shim, GRUB, grub.cfg, kernel, initrd on
# the ESP; GRUB for BIOS with the tools that need a device (here: the file)
mkdir -p "$W/esp/EFI/BOOT" "$W/esp/EFI/debian" "$W/esp/kiln"
cp "$W/root/usr/lib/shim/shimx64.efi.signed" "$W/esp/EFI/BOOT/BOOTX64.EFI"
cp "$W/root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$W/esp/EFI/BOOT/grubx64.efi"
printf 'set timeout=0\nmenuentry kiln {\n\tlinux /kiln/vmlinuz root=PARTLABEL=root rw\n\tinitrd /kiln/initrd.img\n}\n' \
	>"$W/esp/EFI/debian/grub.cfg"
cp "$W/root/boot/vmlinuz-$kver" "$W/esp/kiln/vmlinuz"
cp "$W/root/boot/initrd.img-$kver" "$W/esp/kiln/initrd.img"
mkfs.fat -F 32 -s 4 --offset=2048 -n ESP "$img" $((ESP_MIB * 1024)) >/dev/null 2>&1
mcopy -s -m -i "$img@@1M" "$W/esp/EFI" "$W/esp/kiln" ::/
grub-mkimage -O i386-pc -d "$W/root/usr/lib/grub/i386-pc" -p '(hd0,gpt1)/EFI/debian' -o "$W/core.img" \
	biosdisk part_gpt fat normal linux
dd if="$W/core.img" of="$img" bs=512 seek=34 conv=notrunc status=none
sync -f "$img"
t2=$(now)
extract_s=$(calc "$t1 - $t0")
peer_s=$(calc "$t2 - $t0")

kiln_du=$(du -m "$W/kiln.img" | cut -f1)
peer_du=$(du -m "$img" | cut -f1)
printf 'kiln layout_build     %7.2f s   image allocated %6d MiB (%.2fx tar)\n' \
	"$kiln_s" "$kiln_du" "$(calc "$kiln_du / $tar_mib")"
printf 'peer pipeline         %7.2f s   image allocated %6d MiB (%.2fx tar)   (of which tar -x %.2f s)\n' \
	"$peer_s" "$peer_du" "$(calc "$peer_du / $tar_mib")" "$extract_s"
printf 'speed-up (peer / kiln) %.2fx\n' "$(calc "$peer_s / $kiln_s")"
