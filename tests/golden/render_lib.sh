# Shared by tests/golden/update.sh and tests/cli/render.sh.

# profile_hosts KILN PROFILE: the profile's host names, one a line.
profile_hosts() {
	"$1" check --json "$2" | python3 -c 'import json, sys
for h in json.load(sys.stdin)["hosts"]:
    print(h["name"])'
}

# render_host_to KILN PROFILE HOST DIR: DIR/HOST/... plus DIR/HOST.modes.
render_host_to() {
	"$1" render "$2" --host "$3" --out "$4/$3" 2>/dev/null || return 1
	(cd "$4/$3" && find . -type f -printf '%m %P\n' | LC_ALL=C sort) >"$4/$3.modes"
}
