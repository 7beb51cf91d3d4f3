#!/usr/bin/env bash
# netplan as the oracle for the `ethernets` translation: every example host
# with the block is written as netplan v2 YAML (tests/tools/model_to_netplan.py),
# `netplan generate` renders it, and its .network/.link files must carry the
# same semantic keys as kiln's. Ignored, as documented in docs/render.md:
# keys after kiln's deployment-wide marker (profile dns:/ntp:), [DHCPv4]
# UseHostname=no (the profile names the host), and netplan's explicit
# defaults LinkLocalAddressing=ipv6 and WakeOnLan=off. netplan also writes a
# .link for an MTU without set-name (matching OriginalName= against the
# match name); kiln sets that MTU in the .network only, so such a .link must
# have no Name= and its MTUBytes must be in kiln's .network.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"

MARK="# From the profile's deployment-wide dns:/ntp: settings:"   # RENDER_DEPLOYMENT_WIDE_MARK
semantic() { # FILE -> sorted Section.Key=Value lines
	awk -v mark="$MARK" '
		$0 == mark { skip = 1; next }
		/^#/ || /^$/ { next }
		/^\[/ { sec = substr($0, 2, length($0) - 2); if (sec == "DHCP") sec = "DHCPv4"; skip = 0; next }
		skip { next }
		{ print sec "." $0 }' "$1" |
		grep -Ev '^(Network\.LinkLocalAddressing|Link\.WakeOnLan|DHCPv4\.UseHostname)=' | LC_ALL=C sort
}
same_semantics() { # OURS THEIRS
	if ! diff <(semantic "$1") <(semantic "$2"); then return 1; fi
	[ -n "$(semantic "$1")" ]
}
renames() { grep -q '^Name=' "$1"; }
netplan_files() { # DIR -> the files kiln should match, without name-less .link
	for f in "$1"/10-netplan-*; do
		[[ $f == *.link ]] && ! renames "$f" && continue
		echo "${f##*/10-netplan-}"
	done | LC_ALL=C sort
}
mtu_in_network() { # NETPLAN_LINK KILN_NETWORK
	local mtu
	mtu=$(sed -n 's/^MTUBytes=//p' "$1")
	! renames "$1" && [ -n "$mtu" ] && grep -qx "MTUBytes=$mtu" "$2"
}

compared=0
for p in profiles/examples/*.yaml; do
	ex=$(basename "$p" .yaml)
	"$KILN" check --json "$p" >"$T/$ex.json" 2>/dev/null || { not_ok "$ex: kiln check --json"; continue; }
	for root in $(python3 tests/tools/model_to_netplan.py "$T/$ex.json" "$T/$ex"); do
		h=$(basename "$root")
		check "$ex/$h: netplan generate accepts the block" netplan generate --root-dir "$root"
		check "$ex/$h: kiln render" "$KILN" render "$p" --host "$h" --out "$root"
		ours=$root/etc/systemd/network theirs=$root/run/systemd/network
		check_output "$ex/$h: same interfaces and file kinds as netplan" "^$(netplan_files "$theirs" | tr '\n' ' ')\$" \
			bash -c "cd '$ours' && ls 10-kiln-* | sed 's/^10-kiln-//' | LC_ALL=C sort | tr '\n' ' '"
		for f in "$theirs"/10-netplan-*; do
			base=${f##*/10-netplan-}
			if [[ $f == *.link ]] && ! renames "$f"; then
				check "$ex/$h: netplan's MTU-only $base is in 10-kiln-${base%.link}.network" \
					mtu_in_network "$f" "$ours/10-kiln-${base%.link}.network"
				continue
			fi
			check "$ex/$h: 10-kiln-$base has netplan's keys" same_semantics "$ours/10-kiln-$base" "$f"
			compared=$((compared + 1))
		done
	done
done
check "at least one example uses ethernets (compared $compared files)" test "$compared" -gt 0
