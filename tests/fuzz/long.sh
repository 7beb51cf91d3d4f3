#!/usr/bin/env bash
# make fuzz-long: every libFuzzer harness for RUNS executions (default 10
# million), one after the other, each from its own working corpus (the seed
# corpus tests/fuzz/corpus/<name>/ copied into build-fuzz/long/<name>/corpus,
# kept between runs so coverage builds up). A crash does not end the run:
# its input is kept under build-fuzz/long/<name>/ and fuzzing goes on with
# the executions left. Prints, per harness, executions, crashes and time,
# and exits 1 if any harness crashed. Not part of `make check`: at a few
# thousand executions a second this takes hours per harness. Record the
# results in bench/RESULTS.md.
#   FUZZ_LONG_ONLY=pattern   only the harnesses whose name matches
#   FUZZ_LONG_MAX_CRASHES=N  stop a harness after N crashes (default 20)
#   TMPDIR                   scratch files (default /dev/shm when writable)
set -u
cd "$(dirname "$0")/../.."
# Harnesses that write scratch files (fuzz_ext4_tar's image and tar) run five
# times faster on tmpfs than on a disk-backed /tmp.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
runs=${1:-10000000}
only=${FUZZ_LONG_ONLY:-}
max_crashes=${FUZZ_LONG_MAX_CRASHES:-20}
total_crashes=0
printf '%-16s %12s %8s %8s %10s\n' harness executions crashes seconds exec/s
for f in build-fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	[ -n "$only" ] && [[ $name != *$only* ]] && continue
	dir=build-fuzz/long/$name
	mkdir -p "$dir/corpus"
	seed=tests/fuzz/corpus/${name#fuzz_}
	[ -d "$seed" ] && cp -rn "$seed"/. "$dir/corpus"/
	left=$runs done=0 crashes=0 start=$SECONDS
	while [ "$left" -gt 0 ] && [ "$crashes" -lt "$max_crashes" ]; do
		"$f" -runs="$left" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" \
			"$dir/corpus" >"$dir/last.log" 2>&1
		rc=$?
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/last.log" | tail -1)
		n=${n:-0}
		done=$((done + n))
		left=$((left - n))
		if [ $rc -ne 0 ]; then
			crashes=$((crashes + 1))
			cp "$dir/last.log" "$dir/crash-$crashes.log"
			grep -m1 'Test unit written to' "$dir/last.log" | sed "s/^/  $name: /"
			[ "$n" -eq 0 ] && break   # crashes at once: no point going on
		fi
	done
	secs=$((SECONDS - start))
	printf '%-16s %12d %8d %8d %10d\n' "$name" "$done" "$crashes" "$secs" $((done / (secs > 0 ? secs : 1)))
	total_crashes=$((total_crashes + crashes))
done
[ "$total_crashes" -eq 0 ]
