#!/usr/bin/env bash
# kiln build timings per role, next to plain mmdebstrap (the peer tool) with
# the same package set and the same .deb cache, and first-boot time to
# multi-user under TCG (systemd-analyze inside the guest, from the e2e
# markers). Usage: bench/build.sh [ROLE...]   (default: app mysql minio)
# Needs a built tree (make). Writes nothing outside a temp dir but the cache.
. "$(dirname "$0")/common.sh"
profile=$ROOT/profiles/examples/onprem.yaml
"$KILN" keys init "$profile" --state "$T/state" >/dev/null 2>&1
cache=${KILN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln}
mode=--mode=root; [ "$(id -u)" = 0 ] || mode=--mode=unshare

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

printf '%-6s %10s %10s %14s %12s %12s\n' role "cold(s)" "warm(s)" "mmdebstrap(s)" "cold/mmdeb" "warm/mmdeb"
for role in "${roles[@]}"; do
	args=("$profile" --state "$T/state" --out "$T/out" --role "$role" --artifact "minio=$deb")
	[ "$role" = minio ] || args=("$profile" --state "$T/state" --out "$T/out" --role "$role")
	# The peer: mmdebstrap alone with the same packages (+ the same .deb
	# cache), writing a tar; what kiln adds on top is hooks, cache and layout.
	# The same suite, archives and packages as kiln's tree (its cache key's inputs).
	key=$("$KILN" rootfs "$role" --profile "$profile" --print-key --offline)
	pk=$(sed -n 's/^package //p' <<<"$key" | paste -sd, -)
	suite=$(sed -n 's/^suite //p' <<<"$key")
	mapfile -t mirrors < <(sed -n 's/^archive \([^ ]*\) \([^ ]*\) \([^ ]*\) image .*/deb \1 \2 \3/p' <<<"$key")
	# (For minio the peer leaves out the MinIO .deb: mmdebstrap cannot
	# install a local .deb given by path in root mode, see images/rootfs.c.)
	inc=(--include="$pk")
	t3=$(now)
	mmdebstrap "$mode" --variant=minbase --format=tar "${inc[@]}" \
		--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
		--setup-hook="sync-in $cache/debs /var/cache/apt/archives/" \
		"$suite" "$T/peer.tar" "${mirrors[@]}" >/dev/null 2>&1
	t4=$(now)
	t0=$(now); "$KILN" build "${args[@]}" --refresh >/dev/null 2>"$T/cold.log"; t1=$(now)
	"$KILN" build "${args[@]}" >/dev/null 2>"$T/warm.log"; t2=$(now)
	grep -q 'cache hit' "$T/warm.log" || { echo "warm build of $role missed the cache" >&2; exit 1; }
	rm -f "$T/peer.tar" "$T"/out/*.raw
	c=$(secs "$t0" "$t1") w=$(secs "$t1" "$t2") p=$(secs "$t3" "$t4")
	printf '%-6s %10s %10s %14s %12s %12s\n' "$role" "$c" "$w" "$p" "$(ratio "$c" "$p")" "$(ratio "$w" "$p")"
done

if [ "${BENCH_BOOT:-1}" = 1 ]; then
	mkdir -p "$T/markers"
	KILN_E2E_MARKERS=$T/markers KILN_BUILD=${KILN_BUILD:-build} bash "$ROOT/tests/e2e/boot.sh" >"$T/boot.out" 2>&1 || true
	echo
	echo "first boot to multi-user (TCG, -smp 2, 1 GiB; systemd-analyze time in the guest):"
	for f in "$T"/markers/*.markers; do
		[ -e "$f" ] || { echo "  no boot markers (see tests/e2e/boot.sh)"; break; }
		printf '  %-14s %s\n' "$(basename "$f" .markers)" "$(sed -n 's/^KILN-E2E: time=//p' "$f")"
	done
	grep -E '^(ok|not ok) - .*booted and reported' "$T/boot.out" | sed 's/^/  /'
fi
