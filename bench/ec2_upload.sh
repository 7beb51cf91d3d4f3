#!/usr/bin/env bash
# kiln ec2 upload of a mostly-sparse 4 GiB image to the local EBS/EC2
# stand-in (tests/fixtures/ebs/ebs_server.py), against sha256sum of the same
# data as the baseline: the least any uploader must do is read and hash every
# block that holds data (EBS wants each block's SHA-256). No aws CLI or
# coldsnap exists here to race against. Prints wall and CPU seconds, MiB/s
# and blocks/s, and the ratios.
#   bench/ec2_upload.sh [WORKDIR]   (default: a fresh mktemp -d, removed at the end)
# The image: 4 GiB apparent, 16 pieces of 16 MiB of random data (256 MiB)
# 250 MiB apart, plus 64 MiB of written zeros (allocated, never sent).
# Needs: build/kiln (make) and python3.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
KILN=${KILN:-build/kiln}
[ -x "$KILN" ] || { echo "build kiln first (make)" >&2; exit 1; }
if [ $# -ge 1 ]; then W=$1; mkdir -p "$W"; else W=$(mktemp -d); trap 'ebs_stop; rm -rf "$W"' EXIT; fi
T=$W
. tests/fixtures/ebs/server.sh
[ $# -ge 1 ] && trap 'ebs_stop' EXIT
IMG=$W/bench.raw
if [ ! -s "$IMG" ]; then
	echo "building $IMG ..." >&2
	truncate -s 4G "$IMG.tmp"
	head -c $((256 << 20)) /dev/urandom >"$W/data.bin"
	for i in $(seq 0 15); do
		dd if="$W/data.bin" of="$IMG.tmp" bs=1M skip=$((i * 16)) count=16 seek=$((i * 250 + 3)) conv=notrunc status=none
	done
	dd if=/dev/zero of="$IMG.tmp" bs=1M count=64 seek=4000 conv=notrunc status=none
	mv "$IMG.tmp" "$IMG"
fi
# The baseline's input: the same data blocks, in one file.
[ -s "$W/data.bin" ] || head -c $((256 << 20)) "$IMG" >/dev/null
cat "$IMG" >/dev/null; cat "$W/data.bin" >/dev/null   # warm the page cache alike

EBS_KEYS=$W/keys
printf 'AKIDBENCH secret-bench-%s\n' "$RANDOM$RANDOM" >"$EBS_KEYS"
read -r AK SK <"$EBS_KEYS"
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# run NAME CMD...: "NAME wall cpu"
run() {
	local name=$1; shift
	local TIMEFORMAT='%R %U %S' tm
	tm=$({ time "$@" >/dev/null 2>"$W/$name.err"; } 2>&1) || { echo "$name failed:"; cat "$W/$name.err"; exit 1; }
	read -r wall usr sys <<<"$tm"
	echo "$name $wall $(calc "$usr + $sys")"
}
up() {
	env AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" "$KILN" ec2 upload "$IMG" --role app --name bench-ami \
		--region us-east-1 --endpoint-ebs "$EBS_ENDPOINT" --endpoint-ec2 "$EBS_ENDPOINT" "$@"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
echo "image: 4096 MiB apparent, $(du -m "$IMG" | cut -f1) MiB allocated, 256 MiB (512 blocks) of non-zero data"
rm -rf "$W/srv"
ebs_start "$W/srv" >/dev/null
BASE=$(run sha256sum sha256sum "$W/data.bin")
J16=$(run kiln-jobs16 up --jobs 16)
J1=$(run kiln-jobs1 up --jobs 1 --no-register)
ebs_stop
blocks=$(grep -c ' 201 PutSnapshotBlock' "$W/srv/requests.log")
echo "blocks sent in all: $blocks (2 uploads, 512 each expected)"
printf '%-12s %8s %8s %9s %9s\n' run wall-s cpu-s MiB/s blocks/s
for r in "$BASE" "$J16" "$J1"; do
	read -r n wall cpu <<<"$r"
	printf '%-12s %8s %8s %9s %9s\n' "$n" "$wall" "$cpu" "$(calc "256 / $wall")" "$(calc "512 / $wall")"
done
read -r _ bw _ <<<"$BASE"; read -r _ w16 c16 <<<"$J16"; read -r _ w1 _ <<<"$J1"
echo "ratio kiln --jobs 16 / sha256sum (wall): $(calc "$w16 / $bw")"
echo "ratio kiln --jobs 16 CPU / sha256sum wall: $(calc "$c16 / $bw")"
echo "ratio kiln --jobs 1 / --jobs 16 (wall): $(calc "$w1 / $w16")"
