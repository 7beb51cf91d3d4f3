#!/usr/bin/env bash
# Image size per Debian suite: each role's image of profiles/examples/onprem.yaml
# built on bookworm and on trixie (the same recipes),
# and for each: the packages installed, the rootfs tar, the data the raw image
# holds (allocated blocks of the sparse file) and the streamOptimized VMDK
# (`kiln convert`, what an OVA or the EC2 kit ships).
#   bench/suite_size.sh [ROLE...]     (default: app mysql minio; run after make)
# Uses (and fills) the normal rootfs cache; prints a Markdown table.
. "$(dirname "$0")/common.sh"
mib() { awk -v b="$1" 'BEGIN{printf "%.0f", b / 1048576}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%+.0f %%", (b - a) * 100 / a}'; }

declare -A pkgs tar raw vmdk
for suite in bookworm trixie; do
	p=$T/onprem-$suite.yaml
	sed "s/^  suite: .*/  suite: $suite/" "$ROOT/profiles/examples/onprem.yaml" >"$p"
	"$KILN" keys init "$p" --state "$T/state-$suite" >/dev/null 2>&1
	for role in "${roles[@]}"; do
		out=$T/out-$suite
		"$KILN" build "$p" --state "$T/state-$suite" --out "$out" --role "$role" --artifact "minio=$deb" \
			>/dev/null 2>"$T/build.log" || { cat "$T/build.log" >&2; exit 1; }
		art=(); [ "$role" = minio ] && art=(--artifact "minio=$deb")
		t=$("$KILN" rootfs "$role" --profile "$p" "${art[@]}" 2>/dev/null)
		k=$suite/$role
		pkgs[$k]=$(tar -xOf "$t" ./var/lib/dpkg/status | grep -c '^Status: install ok installed')
		tar[$k]=$(stat -c %s "$t")
		raw[$k]=$(( $(stat -c %b "$out/acme-$role.raw") * $(stat -c %B "$out/acme-$role.raw") ))
		"$KILN" convert "$out/acme-$role.raw" --to vmdk "$T/$role.vmdk" >/dev/null 2>&1
		vmdk[$k]=$(stat -c %s "$T/$role.vmdk")
		rm -f "$out"/*.raw "$T/$role.vmdk"
	done
done
echo "| role | packages bookworm / trixie | rootfs tar MiB | raw image data MiB | VMDK MiB |"
echo "|---|---|---|---|---|"
for role in "${roles[@]}"; do
	b=bookworm/$role x=trixie/$role
	printf '| %s | %s / %s | %s / %s (%s) | %s / %s (%s) | %s / %s (%s) |\n' "$role" "${pkgs[$b]}" "${pkgs[$x]}" \
		"$(mib "${tar[$b]}")" "$(mib "${tar[$x]}")" "$(pct "${tar[$b]}" "${tar[$x]}")" \
		"$(mib "${raw[$b]}")" "$(mib "${raw[$x]}")" "$(pct "${raw[$b]}" "${raw[$x]}")" \
		"$(mib "${vmdk[$b]}")" "$(mib "${vmdk[$x]}")" "$(pct "${vmdk[$b]}" "${vmdk[$x]}")"
done
