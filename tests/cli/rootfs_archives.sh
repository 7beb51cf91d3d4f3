#!/usr/bin/env bash
# The rootfs cache against the archives' state, with a tiny signed archive
# served on loopback (tests/fixtures/aptmirror/make-archive.sh) and an
# mmdebstrap stand-in that runs real apt against it (.../aptmirror/mmdebstrap):
# the suite, -updates and -security as mmdebstrap's sources and the image's;
# the security update found and reported; a warm build asks each archive once
# and runs nothing; a moved archive rebuilds; --offline and an unreachable
# mirror fall back to the newest cached tree with its age; opt-outs; a pinned
# snapshot (expired Release files, snapshot.debian.org's layout) needs no
# network once cached. Nothing leaves 127.0.0.1.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/local_server.sh"
FIX=$ROOT/tests/fixtures/aptmirror
WWW=$T/www STAMP=20261101T000000Z
trap 'local_server_stop "${HTTP_PID:-}"; rm -rf "$T"' EXIT

serve() {
	HTTP_LOG=$T/http.log
	/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WWW" >"$HTTP_LOG" 2>&1 &
	HTTP_PID=$!
	PORT=$(local_server_port "$HTTP_LOG" 's/.*127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$HTTP_PID" http.server) || exit 1
	M=http://127.0.0.1:$PORT
}
gets() { grep -c '"GET ' "$HTTP_LOG" || true; }
lines() { wc -l <"$HTTP_LOG"; }
# run CMD...: its stdout, stderr and status in $T/r.out, $T/r.err, $T/r.rc
# (check and check_output would overwrite $T/out and $T/err while reading them).
run() { "$@" >"$T/r.out" 2>"$T/r.err"; echo $? >"$T/r.rc"; }
rc_is() { test "$(cat "$T/r.rc")" = "$1"; }
ran() { grep -c '^--$' "$KILN_FAKE_MMDEBSTRAP_LOG" 2>/dev/null || echo 0; }
profile() { # name debian-mapping
	cat >"$T/$1.yaml" <<P
kiln: 1
deployment: {name: t, domain: t.lan}
debian: $2
subnets:
  - {name: a, cidr: 10.0.0.0/24}
hosts:
  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}
P
}
json() { # file python-expression-on-d
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

bash "$FIX/make-archive.sh" "$WWW" "10 days ago" $STAMP || { not_ok "fixture archive"; exit 1; }
serve
export KILN_CACHE_DIR=$T/cache PATH=$FIX:$PATH KILN_FIXTURE_KEYRING=$WWW/keyring.gpg
export KILN_FAKE_MMDEBSTRAP_LOG=$T/mmdebstrap.args
mkdir -p "$T/rec" "$T/rec2"
cat >"$T/rec/base.yaml" <<'R'
kiln-recipe: 1
packages: [kiln-fixture-base, kiln-fixture-sec]
files:
  - {path: /etc/kiln-test, content: "x\n"}
suites:
  trixie: {packages: [kiln-fixture-upd]}
  bookworm: {packages: [kiln-no-such-package]}
R
printf 'kiln-recipe: 1\npackages: [kiln-fixture-base]\n' >"$T/rec2/base.yaml"
profile p "{suite: trixie, mirror: $M/debian}"
rootfs() { "$KILN" rootfs base --recipes "$T/rec" "$@"; }

# --- cold: built from the three archives
run rootfs --profile "$T/p.yaml" --json
check "cold build" rc_is 0
cp "$T/r.out" "$T/cold.json"; cp "$T/r.err" "$T/cold.err"
check_output "cold build: not from the cache" '^False$' json "$T/cold.json" 'd["cached"]'
tar1=$(json "$T/cold.json" 'd["tar"]')
check "mmdebstrap ran once" test "$(ran)" = 1
# The .debs go out into the run's own stage and then into the shared .deb cache, a rename
# each (two builds at once never write one directory together); the stage is gone after.
check "sync-out goes to the run's stage, not the shared .deb cache" \
	grep -qx -- "--customize-hook=sync-out /var/cache/apt/archives $KILN_CACHE_DIR/rootfs/stage-base-[A-Za-z0-9]*/debs" \
	"$KILN_FAKE_MMDEBSTRAP_LOG"
check "the fetched .debs are in the .deb cache after the run, its stage removed" bash -c \
	"ls '$KILN_CACHE_DIR'/debs/*.deb >/dev/null && ! ls -d '$KILN_CACHE_DIR'/rootfs/stage-* 2>/dev/null"
for l in "deb $M/debian trixie main" "deb $M/debian trixie-updates main" "deb $M/debian-security trixie-security main"; do
	check "mmdebstrap's sources: $l" grep -qxF "$l" "$KILN_FAKE_MMDEBSTRAP_LOG"
done
check "the trixie block of the recipe applies" grep -qxF -- "--include=kiln-fixture-upd" "$KILN_FAKE_MMDEBSTRAP_LOG"
check "the bookworm block does not" test -z "$(grep -F kiln-no-such-package "$KILN_FAKE_MMDEBSTRAP_LOG")"
tar -xOf "$tar1" ./etc/apt/sources.list.d/debian.sources >"$T/sources" 2>/dev/null
check_output "image sources: the suite and -updates" "^Suites: trixie trixie-updates$" cat "$T/sources"
check "image sources: the mirror" grep -qx "URIs: $M/debian" "$T/sources"
check "image sources: -security from the mirror host's debian-security" grep -A1 -x "URIs: $M/debian-security" "$T/sources"
check_output "image sources: ... for trixie-security" '^Suites: trixie-security$' grep -A1 -x "URIs: $M/debian-security" "$T/sources"
check "image sources: no one-line sources.list left" sh -c '! tar -tf "$1" | grep -qx ./etc/apt/sources.list' _ "$tar1"
check "the recipe's file is in the tree" sh -c 'tar -tf "$1" | grep -qx ./etc/kiln-test' _ "$tar1"
check_output "record: the security update found" '^1 kiln-fixture-sec 1.0\+deb13u1$' \
	json "$T/cold.json" '"%d %s %s" % (d["record"]["security"]["packages"], d["record"]["security"]["newest"]["package"], d["record"]["security"]["newest"]["version"])'
want_day=$(date -u -d "12 days ago" +%Y-%m-%d)
check_output "record: its build date (the .deb's)" "^$want_day" json "$T/cold.json" 'd["record"]["security"]["newest"]["date"]'
sha=$(sha256sum <"$WWW/debian-security/dists/trixie-security/InRelease" | cut -d' ' -f1)
check_output "record: the security archive's InRelease" "^$sha$" \
	json "$T/cold.json" '[a["inrelease_sha256"] for a in d["record"]["archives"] if a["suite"] == "trixie-security"][0]'
check "log: the security update and its date" grep -qF \
	"security: 1 installed package at a trixie-security version, newest kiln-fixture-sec 1.0+deb13u1 (built $want_day)" "$T/cold.err"

# --- warm: one InRelease GET per archive, nothing else, no mmdebstrap
g0=$(gets) l0=$(lines)
run rootfs --profile "$T/p.yaml" --json
check_output "warm build: cache hit" '^True False$' json "$T/r.out" '"%s %s" % (d["cached"], d["stale"])'
check_output "warm build: the same tree" "^$tar1$" json "$T/r.out" 'd["tar"]'
check "warm build: mmdebstrap not run" test "$(ran)" = 1
check "warm build: 3 requests" test "$(($(gets) - g0))" = 3
check_output "warm build: each an InRelease" '^3$' sh -c 'tail -n +$(($1 + 1)) "$2" | grep -c "GET /[a-z-]*/dists/trixie[a-z-]*/InRelease HTTP"' _ "$l0" "$HTTP_LOG"
check_output "--print-key: the archives' state" "^inrelease trixie-security $sha $M/debian-security$" \
	rootfs --profile "$T/p.yaml" --print-key

# --- --offline: no request, the cached tree, its age
g0=$(gets)
run rootfs --profile "$T/p.yaml" --offline --json
check_output "--offline: the cached tree" '^True True$' json "$T/r.out" '"%s %s" % (d["cached"], d["stale"])'
check "--offline: no request at all" test "$(gets)" = "$g0"
check "--offline: warns how old the packages are" grep -q \
	"warning: \[base\] rootfs: --offline: using the newest cached root filesystem for these inputs; its packages are those of $(date -u -d '10 days ago' +%Y-%m-%d), 10 days old" "$T/r.err"
check_fails "--offline with nothing cached for these inputs" \
	"rootfs: --offline, and no root filesystem for these inputs is cached" \
	"$KILN" rootfs base --recipes "$T/rec2" --profile "$T/p.yaml" --offline
check "--offline with nothing cached: no request" test "$(gets)" = "$g0"
run rootfs --profile "$T/p.yaml" --offline --refresh
check "--offline --refresh is a usage error (exit 2)" rc_is 2

# --- the archive moves: a new tree, the old one stays
bash "$FIX/make-archive.sh" "$WWW" "3 days ago" $STAMP
run rootfs --profile "$T/p.yaml" --json
check_output "moved archive: rebuilt" '^False$' json "$T/r.out" 'd["cached"]'
tar2=$(json "$T/r.out" 'd["tar"]')
check "moved archive: mmdebstrap ran again" test "$(ran)" = 2
check "moved archive: a new cache entry beside the old" test "$tar2" != "$tar1" -a -f "$tar1" -a -f "$tar2"
check "moved archive: same inputs, other state" test "${tar1%-*}" = "${tar2%-*}"

# --- the mirror goes away: the newest tree, with a warning
local_server_stop "$HTTP_PID"; HTTP_PID=
run rootfs --profile "$T/p.yaml"
check_output "unreachable: the newest cached tree" "^$tar2$" cat "$T/r.out"
check "unreachable: says so, and how old" grep -Eq \
	"rootfs: cannot reach the archives \($M/debian/dists/trixie/InRelease: .*\): using the newest cached root filesystem .* 3 days old" "$T/r.err"
check "unreachable: mmdebstrap not run" test "$(ran)" = 2
check_fails "unreachable: --refresh cannot rebuild" "rootfs: --refresh needs the archives: cannot reach the archives" \
	rootfs --profile "$T/p.yaml" --refresh
check_fails "unreachable, nothing cached" "cannot reach the archives .*no root filesystem for these inputs is cached" \
	"$KILN" rootfs base --recipes "$T/rec2" --profile "$T/p.yaml"

# --- opt-outs
serve
profile bare "{suite: trixie, mirror: $M/debian, updates: false, security: false}"
run "$KILN" rootfs base --recipes "$T/rec2" --profile "$T/bare.yaml" --json
check_output "opt-outs: built, no security archive" '^None$' json "$T/r.out" 'd["record"]["security"]'
check "opt-outs: only the suite's line" test "$(tail -n 2 "$KILN_FAKE_MMDEBSTRAP_LOG" | head -1)" = "deb $M/debian trixie main"
check_output "opt-outs: image sources name only the suite" '^Suites: trixie$' \
	tar -xOf "$(json "$T/r.out" 'd["tar"]')" ./etc/apt/sources.list.d/debian.sources
check "opt-outs: the log says so" grep -qF "security: no security archive (the profile opts out: debian.security: false)" "$T/r.err"
profile nosuite "{suite: bookworm, mirror: $M/debian}"
n=$(ran)
check_fails "a suite the mirror lacks" \
	"cannot read the state of the archives: $M/debian/dists/bookworm/InRelease: .*404 \(is that suite on this mirror" \
	"$KILN" rootfs base --recipes "$T/rec2" --profile "$T/nosuite.yaml"
check "a suite the mirror lacks: mmdebstrap not run" test "$(ran)" = "$n"

# --- a pinned snapshot: built from the snapshot layout; the image names the live archives
profile snap "{suite: trixie, mirror: $M/debian, snapshot: $STAMP, snapshot_mirror: $M/archive}"
l0=$(lines)
run rootfs --profile "$T/snap.yaml" --json
check_output "snapshot: built" '^20261101T000000Z False$' json "$T/r.out" '"%s %s" % (d["record"]["snapshot"], d["cached"])'
tar4=$(json "$T/r.out" 'd["tar"]')
check "snapshot: kiln fetched no live InRelease (the stamp is the state)" \
	test -z "$(tail -n +$((l0 + 1)) "$HTTP_LOG" | grep 'GET /debian')"
check "snapshot: mmdebstrap's sources are the snapshot's, expiry not checked" grep -qxF \
	"deb [check-valid-until=no] $M/archive/debian-security/$STAMP trixie-security main" "$KILN_FAKE_MMDEBSTRAP_LOG"
check "snapshot: image sources name the live archive" sh -c \
	'tar -xOf "$1" ./etc/apt/sources.list.d/debian.sources | grep -qx "URIs: $2/debian-security"' _ "$tar4" "$M"
check_output "snapshot: the security update from the snapshot" '^1$' json "$T/r.out" 'd["record"]["security"]["packages"]'
# The oracle can fail: without check-valid-until=no apt refuses the snapshot's expired Release.
check_fails "oracle: apt refuses an expired Release without the option" "is expired|E: apt-get update failed" \
	sh -c '"$@" >&2' _ env KILN_FAKE_MMDEBSTRAP_LOG= mmdebstrap --include=kiln-fixture-base trixie "$T/x.tar" \
	"deb $M/archive/debian/$STAMP trixie main"
local_server_stop "$HTTP_PID"; HTTP_PID=
run rootfs --profile "$T/snap.yaml" --json
check_output "snapshot: from the cache without any network" '^True False$' json "$T/r.out" '"%s %s" % (d["cached"], d["stale"])'
check "snapshot: no warning" test -z "$(grep warning "$T/r.err")"
