#!/usr/bin/env bash
# Paired timing of two commands: A and B run in turn (A B A B ...) after one
# warm-up of each, and the ratio A/B taken pair by pair, so that a machine
# whose speed drifts during the runs moves both sides of a ratio alike.
#   bench/paired.sh [-n RUNS] [--setup 'CMD'] 'COMMAND_A' 'COMMAND_B'
# Each command is one string run by bash -c, its output thrown away; --setup
# runs (untimed) before every run of either, e.g. removing a target file, so
# that work is in neither figure. Prints the median and the range of A's and
# B's wall seconds and of the pair-by-pair ratio A/B (quote the median).
set -euo pipefail
runs=5 setup=:
while [ $# -gt 2 ]; do
	case $1 in
	-n) runs=$2; shift 2 ;;
	--setup) setup=$2; shift 2 ;;
	*) echo "usage: bench/paired.sh [-n RUNS] [--setup CMD] 'A' 'B'" >&2; exit 2 ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: bench/paired.sh [-n RUNS] [--setup CMD] 'A' 'B'" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "paired.sh: -n takes a positive number" >&2; exit 2; }

once() { # command -> wall seconds on stdout
	bash -c "$setup" >/dev/null 2>&1
	local t0 t1
	t0=$(date +%s.%N)
	bash -c "$1" >/dev/null 2>&1 || { echo "paired.sh: failed: $1" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.4f\n", a - b }'
}

once "$1" >/dev/null; once "$2" >/dev/null   # warm-up
a=() b=() r=()
for _ in $(seq "$runs"); do
	x=$(once "$1"); y=$(once "$2")
	a+=("$x"); b+=("$y"); r+=("$(awk -v x="$x" -v y="$y" 'BEGIN { printf "%.4f", x / y }')")
done
stats() { # name values... -> "name  median (min-max)"
	local name=$1; shift
	printf '%s\n' "$@" | sort -g | awk -v n="$name" '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%-10s median %.3f  (%.3f-%.3f)\n", n, m, v[1], v[NR] }'
}
echo "$runs pairs, A then B"
stats "A wall s" "${a[@]}"
stats "B wall s" "${b[@]}"
stats "A/B" "${r[@]}"
