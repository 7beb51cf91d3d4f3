# Shell test helpers, sourced by tests/cli/*.sh and tests/e2e/*.sh.
# Each check prints "ok - NAME" or "not ok - NAME"; tests/run counts them.
set -u
KILN_BUILD=${KILN_BUILD:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KILN="$ROOT/$KILN_BUILD/kiln"
KILN_FIRSTBOOT="$ROOT/$KILN_BUILD/kiln-firstboot"
T=$(mktemp -d "${TMPDIR:-/tmp}/kiln-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# NOT_OK counts the failed checks this shell has seen (not those of subshells).
NOT_OK=0
ok()     { echo "ok - $*"; }
not_ok() { NOT_OK=$((NOT_OK + 1)); echo "not ok - $*"; }
# failed_output FILE...: a failed check's output as comments: all of it up to
# 40 lines, else its first 10 and its last 30 (where the error usually is).
failed_output() {
	local n; n=$(cat "$@" | wc -l)
	if [ "$n" -le 40 ]; then cat "$@"; else cat "$@" | sed -n 1,10p; echo "... ($((n - 40)) lines)"; cat "$@" | tail -30; fi |
		sed 's/^/#   /'
}

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then ok "$name"; else not_ok "$name"; failed_output "$T/out" "$T/err"; fi
}

# check_fails NAME PATTERN CMD...: passes when CMD exits non-zero (not a
# sanitizer crash) and its stderr matches the extended regex PATTERN.
check_fails() {
	local name=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && ! grep -q 'Sanitizer' "$T/err" && grep -Eq -- "$pat" "$T/err"; then
		ok "$name"
	else
		not_ok "$name (exit $rc, wanted /$pat/)"; failed_output "$T/err"
	fi
}

# check_output NAME PATTERN CMD...: passes when CMD exits 0 and stdout matches.
check_output() {
	local name=$1 pat=$2; shift 2
	if "$@" >"$T/out" 2>"$T/err" && grep -Eq -- "$pat" "$T/out"; then ok "$name"
	else not_ok "$name (wanted /$pat/)"; failed_output "$T/out" "$T/err"; fi
}
