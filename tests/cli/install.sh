#!/usr/bin/env bash
# kiln install (and kiln sign --bmap) with real files and loop devices made
# here and detached on exit; never a disk of this machine. Oracles: bmaptool,
# minisign, sgdisk -v, sfdisk, blkid, e2fsck -fn, debugfs, cmp. Faults are
# real: a loop device or file on a full tmpfs (EIO/ENOSPC), SIGINT and
# SIGKILL mid-write (slowed by a test-only LD_PRELOAD shim), a disk whose
# reads past the page cache differ from what was written (the same shim). The boot-disk
# refusal runs against a fake /proc/self/mountinfo in a mount namespace.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
PY=/usr/bin/python3
MKIMG=$ROOT/$KILN_BUILD/drivers/mini_image
LOOPS=() MOUNTS=() SWAPS=()
cleanup() {   # swap and mounts on loop devices first, then the devices, then what backs them
	local x
	for x in "${SWAPS[@]}"; do swapoff "$x" 2>/dev/null; done
	for x in "${MOUNTS[@]}"; do mountpoint -q "$x" && [[ $(findmnt -no SOURCE "$x") == /dev/loop* ]] && umount "$x"; done
	for x in "${LOOPS[@]}"; do partx -d "$x" 2>/dev/null; losetup -d "$x" 2>/dev/null; done
	for x in "${MOUNTS[@]}"; do mountpoint -q "$x" && umount "$x"; done
	rm -rf "$T"
}
trap cleanup EXIT
new_loop() { # VAR FILE [losetup options]: attach FILE, remember the device in VAR
	local var=$1 file=$2 dev; shift 2
	dev=$(losetup -f --show "$@" "$file") || { not_ok "losetup $file"; return 1; }
	LOOPS+=("$dev")
	printf -v "$var" '%s' "$dev"
}
usage2() { # NAME PATTERN ARGS...
	local name=$1 pat=$2; shift 2
	"$KILN" install "$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -eq 2 ] && grep -Eq -- "$pat" "$T/err"; then ok "$name"; else not_ok "$name (exit $rc)"; sed 's/^/#   /' "$T/err"; fi
}
root_of() { # IMAGE-OR-DISK OUT: the root partition (partition 2) extracted
	local start size
	read -r start size < <(sfdisk -d "$1" | sed -n 's/.*2 : start= *\([0-9]*\), size= *\([0-9]*\),.*/\1 \2/p')
	dd if="$1" of="$2" bs=512 skip="$start" count="$size" status=none
}
not_bootable() { # NAME DISK: no partition table, nothing blkid knows
	if ! sfdisk --json "$2" >/dev/null 2>&1 && ! blkid -p "$2" >/dev/null 2>&1 &&
	   [ "$(head -c 512 "$2" | tr -d '\0' | wc -c)" -eq 0 ]; then ok "$1"
	else not_ok "$1"; blkid -p "$2" | sed 's/^/#   /'; fi
}
installed() { # NAME IMAGE DISK [seeded]: the image on the disk, GPT and root fs sound.
	# A seed changes the root filesystem's metadata: then everything before
	# the root partition is compared byte for byte and the root's files by content.
	local size start
	size=$(stat -c %s "$2")
	start=$(sfdisk -d "$2" | sed -n 's/.*2 : start= *\([0-9]*\),.*/\1/p')
	if [ -z "${4:-}" ]; then
		check "$1: image written (cmp of everything between the first and last MiB)" \
			cmp -i 1048576 -n $((size - 2097152)) "$2" "$3"
	else
		check "$1: image written up to the root partition (cmp)" cmp -i 1048576 -n $((start * 512 - 1048576)) "$2" "$3"
	fi
	check_output "$1: sgdisk -v" 'No problems found' sgdisk -v "$3"
	root_of "$3" "$T/root.ext4"
	check "$1: e2fsck -fn on the root filesystem" e2fsck -fn "$T/root.ext4"
	if [ -n "${4:-}" ]; then
		root_of "$2" "$T/image-root.ext4"
		debugfs -R 'dump /var/data '"$T/data.a" "$T/image-root.ext4" >/dev/null 2>&1
		debugfs -R 'dump /var/data '"$T/data.b" "$T/root.ext4" >/dev/null 2>&1
		check "$1: the root's files are the image's (/var/data, debugfs)" cmp "$T/data.a" "$T/data.b"
	fi
}

setup_deployment --secrets
"$MKIMG" "$T/img.raw" 128 mysql 24 >/dev/null 2>&1 || not_ok "mini_image"
IMG=$T/img.raw
kiln seed "$P" --host db1 --out "$T/db1.seed" >/dev/null 2>&1
kiln seed "$P" --host app1 --out "$T/app1.seed" >/dev/null 2>&1

# --- usage ---
check_output "install --help" 'Usage: kiln install IMAGE --disk' "$KILN" install --help
check_output "kiln --help lists install" 'install +write a signed role image' "$KILN" --help
usage2 "no IMAGE" 'exactly one IMAGE' --disk "$T/d" --state "$S"
usage2 "no --disk" 'missing --disk' "$IMG" --state "$S"
usage2 "no key" 'missing the operator key' "$IMG" --disk "$T/d"
usage2 "--pubkey with --state" 'name the key twice' "$IMG" --disk "$T/d" --state "$S" --pubkey "$S/operator.pub"
usage2 "unknown option" 'Usage: kiln install' "$IMG" --disk "$T/d" --state "$S" --target usb
usage2 "--read-back takes no value" "option '--read-back' doesn't allow an argument" \
	"$IMG" --disk "$T/d" --state "$S" --read-back=yes
check_output "--help names --read-back" '--read-back +read every chunk back' "$KILN" install --help

# --- kiln sign --bmap ---
check_output "sign --help names --bmap" '--bmap' "$KILN" sign --help
check "sign --bmap" kiln sign "$IMG" --state "$S" --version 3 --bmap
check "IMAGE.bmap and its signature written" test -s "$IMG.bmap" -a -s "$IMG.bmap.minisig" -a -s "$IMG.minisig"
check_output "minisign -V verifies the bmap's signature" 'version:3$' minisign -V -p "$S/operator.pub" -m "$IMG.bmap"
check "bmaptool copy uses kiln's bmap (and verifies its checksums)" bmaptool copy --bmap "$IMG.bmap" "$IMG" "$T/bmaptool.raw"
check "... the copy equals the image" cmp "$IMG" "$T/bmaptool.raw"
check "kiln's bmap is well-formed XML (xmllint)" xmllint --noout "$IMG.bmap"

# --- a new file, with a seed, --json ---
kiln install "$IMG" --disk "$T/new.raw" --state "$S" --seed "$T/db1.seed" --json >"$T/json" 2>"$T/install.err"
check "install to a new file" test $? -eq 0
check_output "--json: one object with the summary" '^ok$' $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["target"].endswith("new.raw") and d["verified"] is True and d["bmap"] is True, d
assert d["read_back"] is False, d
assert d["bytes_written"] > 24 << 20 and d["ranges"] > 3 and d["version"] == 3, d
assert d["deployment"] == "acme" and d["seed_host"] == "db1" and d["gpt_moved"] is False, d
assert d["image_size"] == 128 << 20 and d["seconds"] >= 0
print("ok")' "$T/json"
check_output "progress as plain lines when stderr is not a terminal" '^kiln: writing: 100% \(' cat "$T/install.err"
check "no carriage returns off a terminal" bash -c "! grep -q $'\r' '$T/install.err'"
check_output "the new file is private (the image holds a role key)" '^600$' stat -c %a "$T/new.raw"
installed "new file" "$IMG" "$T/new.raw" seeded
debugfs -R 'cat /etc/kiln/seed' "$T/root.ext4" >"$T/seed.back" 2>/dev/null
check "seed readable back with debugfs, byte for byte" cmp "$T/seed.back" "$T/db1.seed"
check_output "seed is root's, 0600" 'Mode:  0600' debugfs -R 'stat /etc/kiln/seed' "$T/root.ext4"
check_output "... uid 0 gid 0" 'User: +0 +Group: +0' debugfs -R 'stat /etc/kiln/seed' "$T/root.ext4"
check_output "the install record says what the disk carries" '^state complete$' \
	bash -c "dd if='$T/new.raw' bs=65536 skip=15 count=1 status=none | tr -d '\0' | sed -n 2p"

# --- what is refused on a file ---
check_fails "a disk with a partition table needs --wipe" 'not blank' kiln install "$IMG" --disk "$T/new.raw" --state "$S"
check_output "... and what it holds is listed first" 'partition 2 holds filesystem ext4, label "root"' cat "$T/k.err"
check_fails "the image itself" 'it is the image itself' kiln install "$IMG" --disk "$IMG" --state "$S" --wipe
check_fails "a seed for another role" 'seed is for host app1 \(role app\), but .* is a mysql image' \
	kiln install "$IMG" --disk "$T/n2.raw" --state "$S" --seed "$T/app1.seed"
printf 'kiln-seed:garbage\n' >"$T/bad.seed"
check_fails "a malformed seed" '--seed: ' kiln install "$IMG" --disk "$T/n2.raw" --state "$S" --seed "$T/bad.seed"
mkfifo "$T/seed.fifo"
check_fails "a --seed that is a FIFO is refused, not waited on" '--seed .*seed.fifo is not a regular file' \
	timeout 20 "$KILN" install "$IMG" --disk "$T/n2.raw" --state "$S" --seed "$T/seed.fifo"
check "nothing written after a refusal" test ! -e "$T/n2.raw"
printf 'my notes' >"$T/notes.txt"
check_fails "a file holding data" 'holds data' kiln install "$IMG" --disk "$T/notes.txt" --state "$S"

# --- signatures ---
mkdir -p "$T/o" && cp "$P" "$T/o/p.yaml" && init_state "$T/o/p.yaml"
check_fails "a key of another deployment" 'signed by a different key' \
	kiln install "$IMG" --disk "$T/n3.raw" --pubkey "$T/o/.kiln/acme/operator.pub"
check "install --pubkey" kiln install "$IMG" --disk "$T/n4.raw" --pubkey "$S/operator.pub"
check "install --profile" kiln install "$IMG" --disk "$T/n5.raw" --profile "$P"
cp "$IMG.bmap" "$T/bmap.bak"
sed -i 's/<BlockSize> 4096/<BlockSize>  4096/' "$IMG.bmap"
check_fails "a bmap changed after signing" 'signature verification failed' kiln install "$IMG" --disk "$T/n6.raw" --state "$S"
cp "$T/bmap.bak" "$IMG.bmap"
mv "$IMG.bmap.minisig" "$T/sig.bak"
check_fails "no signature" 'is not signed: .*bmap.minisig does not exist' kiln install "$IMG" --disk "$T/n6.raw" --state "$S"
mv "$T/sig.bak" "$IMG.bmap.minisig"
check "no target made by a refused install" test ! -e "$T/n3.raw" -a ! -e "$T/n6.raw"
cp --sparse=always "$IMG" "$T/plain.raw" && kiln sign "$T/plain.raw" --state "$S" --version 3 >/dev/null 2>&1
check_output "without a bmap: the whole image's signature (hashed first)" '"bmap":false' \
	kiln install "$T/plain.raw" --disk "$T/n7.raw" --state "$S" --json
# flip one bit (writing a fixed byte could write the byte already there)
b=$(od -An -tu1 -j $((70 << 20)) -N1 "$T/plain.raw" | tr -d ' ')
printf "\\$(printf %o $((b ^ 1)))" | dd of="$T/plain.raw" bs=1 seek=$((70 << 20)) conv=notrunc status=none
check_fails "without a bmap: a changed image is refused before writing" 'signature verification failed' \
	kiln install "$T/plain.raw" --disk "$T/n8.raw" --state "$S"
check "... nothing written" test ! -e "$T/n8.raw"

# --- versions ---
kiln sign "$IMG" --state "$S" --version 2 --bmap >/dev/null 2>&1
check_fails "a downgrade is refused" 'carries version 3 of deployment acme .* a downgrade' \
	kiln install "$IMG" --disk "$T/new.raw" --state "$S" --wipe
check "--force installs it" kiln install "$IMG" --disk "$T/new.raw" --state "$S" --wipe --force
kiln sign "$IMG" --state "$S" --version 3 --bmap >/dev/null 2>&1

# --- a larger disk: the backup GPT goes to its end ---
truncate -s 300M "$T/big.raw"
check_output "install to a larger (sparse, blank) file" '"gpt_moved":true' \
	kiln install "$IMG" --disk "$T/big.raw" --state "$S" --json
installed "larger file" "$IMG" "$T/big.raw"
check_output "an existing file target is made private (the image holds a role key)" '^600$' stat -c %a "$T/big.raw"
check_output "... last usable LBA at the disk's end" "last-lba: $(( (300 << 11) - 34 ))" sfdisk -d "$T/big.raw"

# --- loop devices ---
truncate -s 300M "$T/lo.img"
new_loop L "$T/lo.img"
check "install to a blank loop device, with a seed" kiln install "$IMG" --disk "$L" --state "$S" --seed "$T/db1.seed"
check_output "the device now has a GPT (blkid)" 'PTTYPE="gpt"' blkid -p "$L"
installed "loop device" "$IMG" "$L" seeded
partx -a "$L" 2>/dev/null
check "e2fsck -fn on the device's root partition" e2fsck -fn "${L}p2"
check_output "the seed, read back with debugfs" 'kiln-seed:' debugfs -R 'cat /etc/kiln/seed' "${L}p2"
check_fails "a partition is refused" "it is partition 1 of $(basename "$L"): give the whole disk" \
	kiln install "$IMG" --disk "${L}p1" --state "$S" --wipe
mkdir -p "$T/mnt" && mount -o ro "${L}p2" "$T/mnt" && MOUNTS+=("$T/mnt")
check_fails "a disk with a mounted partition is refused" "partition $(basename "$L")p2 is mounted on $T/mnt" \
	kiln install "$IMG" --disk "$L" --state "$S" --wipe
umount "$T/mnt"; partx -d "$L" 2>/dev/null
check_fails "a used disk without --wipe is refused" 'not blank' kiln install "$IMG" --disk "$L" --state "$S"
check_output "... after listing what it holds" 'partition table gpt' cat "$T/k.err"
check "--wipe overwrites it" kiln install "$IMG" --disk "$L" --state "$S" --wipe

truncate -s 64M "$T/small.img"
new_loop LS "$T/small.img"
check_fails "a disk smaller than the image" 'it has 64 MiB, the image needs 128 MiB' \
	kiln install "$IMG" --disk "$LS" --state "$S"
mkfs.ext4 -q -F "$LS" && mount "$LS" "$T/mnt" && MOUNTS+=("$T/mnt")
check_fails "a mounted disk" "it is mounted on $T/mnt" kiln install "$IMG" --disk "$LS" --state "$S" --wipe
umount "$T/mnt"
mkswap -q "$LS" >/dev/null && swapon "$LS" && SWAPS+=("$LS")
check_fails "a disk holding swap" 'it is in use as swap' kiln install "$IMG" --disk "$LS" --state "$S" --wipe
swapoff "$LS"
truncate -s 200M "$T/busy.img"
new_loop LX "$T/busy.img"
$PY -c 'import os, sys, time; os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); print("held", flush=True); time.sleep(30)' \
	"$LX" >"$T/held" & HOLDER=$!
for _ in $(seq 50); do [ -s "$T/held" ] && break; sleep 0.1; done
check_fails "a disk another program holds open exclusively" 'the kernel reports it busy' \
	kiln install "$IMG" --disk "$LX" --state "$S"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
truncate -s 200M "$T/ro.img"
new_loop LR "$T/ro.img" -r
check_fails "a read-only disk" 'it is read-only' kiln install "$IMG" --disk "$LR" --state "$S"
truncate -s 200M "$T/raid.img"
$PY -c '
import struct, sys
size = 200 << 20
off = (size & ~0xffff) - 0x10000
with open(sys.argv[1], "r+b") as f:
    f.seek(off); f.write(struct.pack("<16I", 0xa92b4efc, 0, 90, 0, 0, 1, 0, 1, 0, 2, 2, 0, 0, 2, 3, 4))
' "$T/raid.img"
new_loop LM "$T/raid.img"
check_fails "a RAID member, even with --wipe" 'linux_raid_member signature \(a RAID or LVM member\)' \
	kiln install "$IMG" --disk "$LM" --state "$S" --wipe
new_loop LB "$T/img.raw"
check_fails "a loop device over the image itself" 'it is the image itself' kiln install "$IMG" --disk "$LB" --state "$S" --wipe
check_fails "the image file while a loop device uses it" "it backs the loop device $LB" \
	kiln install "$IMG" --disk "$IMG" --state "$S" --wipe

# The disk the system booted from: / on this loop device, as far as a fake
# /proc/self/mountinfo in a mount namespace tells kiln.
truncate -s 200M "$T/boot.img"
new_loop LBOOT "$T/boot.img"
printf '20 0 %s / / rw,relatime - ext4 %s rw\n' "$(cat "/sys/block/$(basename "$LBOOT")/dev")" "$LBOOT" >"$T/mountinfo"
check_fails "the disk the running system booted from (fake root)" 'the running system booted from it' \
	unshare -m sh -c 'mount --bind "$1" /proc/$$/mountinfo && exec "$2" install "$3" --disk "$4" --state "$5"' \
	sh "$T/mountinfo" "$KILN" "$IMG" "$LBOOT" "$S"

# --- faults: the disk never looks bootable in between; a rerun finishes ---
# A 16 MiB tmpfs fills up under the image's 24 MiB of data; once it is made
# larger, the same command (no --wipe) completes.
full_then_rerun() { # NAME PATTERN DISK
	check_fails "$1" "$2" kiln install "$IMG" --disk "$3" --state "$S"
	not_bootable "$1: no partition table" "$3"
	mount -o remount,size=300m "$T/tiny"
	check "$1: the rerun (no --wipe) completes" kiln install "$IMG" --disk "$3" --state "$S"
	installed "$1" "$IMG" "$3"
}
mkdir -p "$T/tiny" && mount -t tmpfs -o size=16m tmpfs "$T/tiny" && MOUNTS+=("$T/tiny")
full_then_rerun "a file on a full filesystem (ENOSPC)" 'No space left on device' "$T/tiny/disk.raw"
rm -f "$T/tiny/disk.raw"
mount -o remount,size=16m "$T/tiny"
truncate -s 200M "$T/tiny/back.img"
new_loop LE "$T/tiny/back.img"
full_then_rerun "a loop device over a full filesystem (EIO)" 'failed; it does not boot' "$LE"

SHIM=$T/slowio.so
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o "$SHIM" "$ROOT/tests/fixtures/slowio/slowio.c" -ldl ||
	not_ok "building the slow-write shim"
slow_install() { # DISK: kiln install in the background, writes slowed; PID in $BG
	LD_PRELOAD=$SHIM KILN_TEST_WRITE_DELAY_MS=300 ASAN_OPTIONS=${ASAN_OPTIONS}:verify_asan_link_order=0 \
		"$KILN" install "$IMG" --disk "$1" --state "$S" --wipe >"$T/bg.out" 2>"$T/bg.err" &
	BG=$!
	for _ in $(seq 100); do grep -q "kiln: writing $1" "$T/bg.err" && break; sleep 0.1; done
	sleep 0.7
}
for sig in INT KILL; do
	truncate -s 0 "$T/sig.img" && truncate -s 200M "$T/sig.img"
	new_loop LI "$T/sig.img"
	kiln install "$IMG" --disk "$LI" --state "$S" >/dev/null 2>&1   # a bootable disk to begin with
	slow_install "$LI"
	kill -s "$sig" "$BG"; wait "$BG"; rc=$?
	if [ "$sig" = INT ]; then
		check "SIGINT: exit 1" test "$rc" -eq 1
		check_output "SIGINT: says the disk does not boot and how to finish" \
			'interrupted: .* does not boot; run the same kiln install again' cat "$T/bg.err"
	else
		check "SIGKILL: killed" test "$rc" -eq 137
	fi
	not_bootable "SIG$sig mid-write: no partition table, nothing blkid knows" "$LI"
	check "SIG$sig: the rerun completes without --wipe" kiln install "$IMG" --disk "$LI" --state "$S"
	installed "after SIG$sig" "$IMG" "$LI"
done

# --- reading back: not by default, every chunk with --read-back ---
# The shim flips the first byte of every read from an O_DIRECT descriptor,
# which only the read back past the page cache makes: the default install
# does not read back, so it succeeds; --read-back finds the difference.
flipped() { # kiln ARGS..., its reads past the page cache damaged
	LD_PRELOAD=$SHIM KILN_TEST_FLIP_DIRECT_READS=1 ASAN_OPTIONS=${ASAN_OPTIONS}:verify_asan_link_order=0 "$KILN" "$@"
}
truncate -s 200M "$T/rb.img"
new_loop LRB "$T/rb.img"
check_output "by default nothing is read back (a damaging read back goes unused)" '"read_back":false' \
	flipped install "$IMG" --disk "$LRB" --state "$S" --json
installed "no read back" "$IMG" "$LRB"
check_fails "--read-back: a chunk that reads back differently is refused" \
	'what was read back at byte [0-9]+ differs from what was written: the disk is failing' \
	flipped install "$IMG" --disk "$LRB" --state "$S" --wipe --read-back
not_bootable "--read-back refusal: no partition table" "$LRB"
check_output "--read-back on a sound disk: the rerun completes, read back" '"read_back":true' \
	kiln install "$IMG" --disk "$LRB" --state "$S" --read-back --json
check_output "... and says so" 'every byte read back and verified' cat "$T/k.err"
installed "read back" "$IMG" "$LRB"

check_no_secret_leaks "$S" "$T"/*.json "$T/json"
