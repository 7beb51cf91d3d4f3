#!/usr/bin/env bash
# kiln convert --to vmdk: qemu-img (check, compare) and an independent Python
# reader (tests/tools/vmdk_inspect.py) are the oracles.
. "$(dirname "$0")/../lib.sh"
INSPECT="$ROOT/tests/tools/vmdk_inspect.py"

# put FILE OFFSET_BYTES COUNT_BYTES SOURCE: write bytes of SOURCE into FILE.
put() { head -c "$3" "$4" | dd of="$1" bs=512 seek="$2" oflag=seek_bytes conv=notrunc status=none; }

# convert_ok NAME RAW [OPTIONS...]: convert, then check with every oracle.
convert_ok() {
	local name=$1 raw=$2; shift 2
	check "$name: convert" "$KILN" convert "$raw" --to vmdk "$raw.vmdk" "$@"
	check "$name: qemu-img check clean" qemu-img check -q "$raw.vmdk"
	check "$name: qemu-img compare identical" qemu-img compare -q "$raw" "$raw.vmdk"
	check_output "$name: layout and content (python reader)" '^ok ' python3 "$INSPECT" "$raw.vmdk" --raw "$raw"
}

# Mixed data to compress: a slice of a real binary.
BIN=$(command -v qemu-img)

# Holes, data that starts mid-grain, a grain half data half hole.
truncate -s 8M "$T/holes.raw"
put "$T/holes.raw" 0 4096 /dev/urandom
put "$T/holes.raw" $((1024 * 1024 + 1000)) 70000 "$BIN"
put "$T/holes.raw" $((5 * 1024 * 1024 - 512)) 1024 /dev/urandom
convert_ok "holes" "$T/holes.raw"
check_output "holes: only the grains with data are stored" 'grains=5 ' python3 "$INSPECT" "$T/holes.raw.vmdk"

# Full grains of random data (incompressible: stored at zlib's worst case).
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/random.raw"
convert_ok "random grains" "$T/random.raw"

# Capacity not a multiple of the grain size, final partial grain, and a size
# that is not even a multiple of 512 (capacity rounds up, the tail reads zero).
head -c $((1024 * 1024 + 4096)) "$BIN" >"$T/partial.raw"
convert_ok "final partial grain" "$T/partial.raw"
head -c $((3 * 65536 + 1000)) "$BIN" >"$T/odd.raw"
convert_ok "size not a multiple of 512" "$T/odd.raw"
check_output "size not a multiple of 512: capacity rounds up" 'capacity=386 ' python3 "$INSPECT" "$T/odd.raw.vmdk"

# All zeros: a hole plus zeros written as data (allocated but all-zero grains).
truncate -s 4M "$T/zero.raw"
put "$T/zero.raw" $((1024 * 1024)) $((1024 * 1024)) /dev/zero
convert_ok "all-zero image" "$T/zero.raw"
check_output "all-zero image: no grain stored" 'grains=0 gts=0 ' python3 "$INSPECT" "$T/zero.raw.vmdk"

# Tiny: less than one grain, less than a sector short of a whole one.
head -c 3000 /dev/urandom >"$T/tiny.raw"
convert_ok "tiny image" "$T/tiny.raw"

# More than 32 MiB: several GTs, one of them (GT 1) without any data.
truncate -s 100M "$T/big.raw"
put "$T/big.raw" 0 $((3 * 1024 * 1024)) "$BIN"
put "$T/big.raw" $((70 * 1024 * 1024 - 100)) 300000 /dev/urandom
put "$T/big.raw" $((99 * 1024 * 1024)) $((1024 * 1024)) "$BIN"
convert_ok "100 MiB over several GTs" "$T/big.raw" --threads 2
check_output "100 MiB: empty GT skipped" 'gts=3 ' python3 "$INSPECT" "$T/big.raw.vmdk"

# Same input, same bytes, whatever the thread count.
mkdir "$T/d1" "$T/d2"
check "deterministic: 1 thread" "$KILN" convert "$T/big.raw" --to vmdk "$T/d1/disk.vmdk" --threads 1
check "deterministic: 2 threads, options first" "$KILN" convert --threads 2 --to vmdk "$T/big.raw" "$T/d2/disk.vmdk"
check "deterministic: byte-identical output" cmp "$T/d1/disk.vmdk" "$T/d2/disk.vmdk"
cp "$T/big.raw" "$T/big2.raw"
# a fixed non-zero byte where big.raw has a zero one (a random byte was zero
# one time in 256, and then nothing had changed)
put "$T/big2.raw" $((50 * 1024 * 1024)) 1 <(printf '\001')
mkdir "$T/d3"
"$KILN" convert "$T/big2.raw" --to vmdk "$T/d3/disk.vmdk" 2>/dev/null
cid1=$(grep -a '^CID=' "$T/d1/disk.vmdk") cid3=$(grep -a '^CID=' "$T/d3/disk.vmdk")
check "a one-byte content change changes the CID ($cid1, $cid3)" test -n "$cid1" -a "$cid1" != "$cid3"

# Options: adapter, zlib codec, levels, progress.
check "--adapter pvscsi" "$KILN" convert --adapter pvscsi "$T/holes.raw" --to vmdk "$T/pv.vmdk"
check_output "--adapter pvscsi in the descriptor" '^ok ' python3 "$INSPECT" "$T/pv.vmdk" --adapter pvscsi
check_output "default adapter lsilogic" '^ok ' python3 "$INSPECT" "$T/holes.raw.vmdk" --adapter lsilogic
check_output "extent line names the output file" '^RW 16384 SPARSE "holes.raw.vmdk"$' \
	grep -a '^RW ' "$T/holes.raw.vmdk"
convert_ok "zlib level 9" "$T/big.raw" --compressor zlib --level 9
convert_ok "libdeflate level 1" "$T/partial.raw" --compressor libdeflate --level 1
"$KILN" convert --progress "$T/big.raw" --to vmdk "$T/p.vmdk" 2>"$T/progress"
check_output "--progress reports on stderr" '100% \(100/100 MiB\)' cat "$T/progress"
check_output "--progress says 100% once" '^1$' grep -c '100%' "$T/progress"
# On a terminal, progress is on by default and redraws one line.
if command -v script >/dev/null; then
	script -qec "'$KILN' convert '$T/big.raw' --to vmdk '$T/tty.vmdk'" /dev/null >"$T/tty.out" 2>&1
	check_output "progress on a terminal by default, one redrawn line" '@kiln: vmdk: 100%' tr '\r' '@' <"$T/tty.out"
fi
"$KILN" convert "$T/big.raw" --to vmdk "$T/quiet.vmdk" 2>"$T/err-none"
check "quiet without --progress when stderr is not a terminal" test ! -s "$T/err-none"
check_output "--help" 'Usage: kiln convert' "$KILN" convert --help

# Bad input and usage errors; nothing is left behind under the output name.
check_fails "missing input" "cannot open input '$T/nope.raw': No such file" \
	"$KILN" convert "$T/nope.raw" --to vmdk "$T/nope.vmdk"
check_fails "output directory missing" "cannot create output next to '$T/no/dir/x.vmdk': No such file" \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/no/dir/x.vmdk"
check_fails "unsupported --to" "unsupported output format --to 'qcow2'" \
	"$KILN" convert "$T/tiny.raw" --to qcow2 "$T/x.qcow2"
check_fails "missing --to" 'missing --to FORMAT' "$KILN" convert "$T/tiny.raw" "$T/x.vmdk"
check_fails "bad --adapter" "unsupported --adapter 'virtio'" \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" --adapter virtio
check_fails "bad --threads" "--threads wants a number from 1 to 256, not '0'" \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" --threads 0
check_fails "non-numeric --threads" "--threads wants a number from 1 to 256, not '2x'" \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" --threads 2x
check_fails "--level 13" "--level wants a number from 1 to 12, not '13'" \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" --level 13
# Numbers are parsed strictly (lib/numparse.c): each is a usage error, exit 2.
for v in "" "-1" "+1" " 1" "1 " "0x10" "1.5" "18446744073709551617" "4294967297"; do
	for opt in --threads --level; do
		"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" "$opt" "$v" >"$T/out" 2>"$T/err"; rc=$?
		if [ $rc -eq 2 ] && grep -qF -- "$opt wants a number from 1 to " "$T/err" && grep -qF -- "not '$v'" "$T/err"; then
			ok "$opt '$v' is a usage error naming the option"
		else not_ok "$opt '$v' (exit $rc)"; sed 's/^/#   /' "$T/err"; fi
	done
done
check_fails "character device as input" "input '/dev/null' is not a regular file or block device" \
	"$KILN" convert /dev/null --to vmdk "$T/x.vmdk"
check_fails "bad --compressor" "unsupported --compressor 'lz4'" \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" --compressor lz4
check_fails "zlib --level 10" '--level 10 is out of range for zlib' \
	"$KILN" convert "$T/tiny.raw" --to vmdk "$T/x.vmdk" --compressor zlib --level 10
check_fails "one file only" 'wants an input and an output file' "$KILN" convert "$T/tiny.raw" --to vmdk
check_fails "unknown option" 'Usage: kiln convert' "$KILN" convert --frob "$T/tiny.raw" --to vmdk "$T/x.vmdk"
: >"$T/empty.raw"
check_fails "empty input" "input '$T/empty.raw' is empty" "$KILN" convert "$T/empty.raw" --to vmdk "$T/x.vmdk"
check_fails "directory as input" 'not a regular file or block device' \
	"$KILN" convert "$T" --to vmdk "$T/x.vmdk"
mkdir "$T/ro"
chmod 0555 "$T/ro"
if [ "$(id -u)" != 0 ]; then
	check_fails "read-only output directory" 'cannot create output' \
		"$KILN" convert "$T/tiny.raw" --to vmdk "$T/ro/x.vmdk"
fi
# A write error mid-way (file size limit, as a full disk would) leaves neither
# the output nor a temp file.
head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/big-random.raw"
check_fails "write error mid-way" "cannot convert .*: File too large" \
	bash -c "trap '' XFSZ; ulimit -f 1024; exec '$KILN' convert '$T/big-random.raw' --to vmdk '$T/x.vmdk'"
# The output may not be the input: not by name, symlink or hard link (it would
# be replaced by its own VMDK); a FIFO as input is refused at once, not waited on.
cp "$T/tiny.raw" "$T/self.raw"
cmp_self() { cmp -s "$T/tiny.raw" "$T/self.raw"; }
check_fails "output is the input" "output '$T/self.raw' is the input '$T/self.raw' .*refusing to replace it" \
	"$KILN" convert "$T/self.raw" --to vmdk "$T/self.raw"
check "... the input is intact" cmp_self
ln -s self.raw "$T/self-link.vmdk"
check_fails "output is a symlink to the input" "refusing to replace it" \
	"$KILN" convert "$T/self.raw" --to vmdk "$T/self-link.vmdk"
ln "$T/self.raw" "$T/self-hard.vmdk"
check_fails "output is a hard link to the input" "refusing to replace it" \
	"$KILN" convert "$T/self.raw" --to vmdk "$T/self-hard.vmdk"
check "... the input is intact and still linked" bash -c "cmp -s '$T/tiny.raw' '$T/self.raw' && test -L '$T/self-link.vmdk' && test \$(stat -c %h '$T/self.raw') -eq 2"
mkfifo "$T/fifo.raw"
check_fails "FIFO as input (no writer): refused at once" "input '$T/fifo.raw' is not a regular file or block device" \
	timeout 10 "$KILN" convert "$T/fifo.raw" --to vmdk "$T/fifo.vmdk"
check "no temp files left behind" bash -c "! ls '$T' | grep -q 'tmp-'"
check "failed runs left no output" test ! -e "$T/x.vmdk"
check "output is as readable as the input" test "$(stat -c %a "$T/holes.raw")" = "$(stat -c %a "$T/holes.raw.vmdk")"
