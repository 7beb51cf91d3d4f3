# Shared by tests/cli/{keys,seed,sign,package,build_targets}.sh: run kiln
# through `kiln` so every byte it prints lands in $T/transcript, then
# check_no_secret_leaks greps the transcript (and any written files) for
# every secret in a state directory.
# shellcheck disable=SC2034
kiln() {
	local rc
	"$KILN" "$@" >"$T/k.out" 2>"$T/k.err"; rc=$?
	cat "$T/k.out"; cat "$T/k.err" >&2
	cat "$T/k.out" "$T/k.err" >>"$T/transcript"
	return $rc
}

# The profile used by the crypto tests: the on-prem example.
setup_profile() { # DIR
	mkdir -p "$1"
	cp "$ROOT/profiles/examples/onprem.yaml" "$1/p.yaml"
}

# kiln keys init, and with --secrets kiln secrets init, for PROFILE; quiet:
# a failure shows in the checks that follow.
init_state() { # PROFILE [--secrets]
	kiln keys init "$1" >/dev/null 2>&1
	[ "${2:-}" != --secrets ] || kiln secrets init "$1" >/dev/null 2>&1
}

# The deployment the tests work on: the on-prem example as $P in $T/d, its
# state directory as $S, its keys (and with --secrets its secrets) made.
setup_deployment() { # [--secrets]
	P=$T/d/p.yaml
	S=$T/d/.kiln/acme
	setup_profile "$T/d"
	init_state "$P" "$@"
}

# DIR/p.yaml: $P with an incompressible comment that makes its seeds larger
# than EC2's 16 KB user-data limit; keys and secrets made.
setup_big_profile() { # DIR
	mkdir -p "$1"
	{ cat "$P"; head -c 15000 /dev/urandom | base64 -w 76 | sed 's/^/# /'; } >"$1/p.yaml"
	init_state "$1/p.yaml" --secrets
}

# Every secret value: secret files whole (one line) or, for PEM/key files, each
# base64 line of at least 16 characters.
secret_needles() { # STATE
	local s=$1 f
	for f in "$s"/secrets/* "$s"/ca.key "$s"/operator.key "$s"/roles/*.key "$s"/backup.key; do
		[ -f "$f" ] || continue
		if grep -q -- '-----BEGIN\|comment:' "$f"; then
			grep -v -- '-----\|comment:' "$f" | grep -E '.{16,}'
		else
			cat "$f"; echo
		fi
	done
}

check_no_secret_leaks() { # STATE FILES...
	local s=$1; shift
	local needles="$T/needles" n=0 hits=""
	secret_needles "$s" >"$needles"
	n=$(grep -c . "$needles")
	[ -s "$T/transcript" ] || { not_ok "secret leak scan has no transcript"; return; }
	while IFS= read -r v; do
		[ -n "$v" ] || continue
		if grep -rqF -- "$v" "$T/transcript" "$@" 2>/dev/null; then hits="$hits x"; fi
	done <"$needles"
	if [ "$n" -ge 4 ] && [ -z "$hits" ]; then
		ok "no secret value ($n checked) in any output or written file"
	else
		not_ok "secret values leaked ($hits) or too few secrets ($n)"
	fi
}
