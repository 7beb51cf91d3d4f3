#!/usr/bin/env bash
# kiln build / kiln rootfs: options, bad input (each a clear error and no image
# under the final name), and the rootfs cache (a warm build runs no mmdebstrap
# and needs no mirror).
. "$(dirname "$0")/../lib.sh"
profile=$ROOT/profiles/examples/onprem.yaml
state=$T/state out=$T/images
"$KILN" keys init "$profile" --state "$state" >/dev/null 2>&1

no_images() { # name: nothing (not even a temp file) in $out
	if [ -z "$(ls -A "$out" 2>/dev/null)" ]; then ok "$1: no image left behind"
	else not_ok "$1: left $(ls "$out")"; fi
}
mk_profile() { # name sed-expr
	sed "$2" "$profile" >"$T/$1.yaml"
}
mk_recipes() { # dir: a copy of the shipped recipes to break
	rm -rf "$1"; cp -r "$ROOT/images/roles" "$1"
}

check_output "build --help" 'Usage: kiln build PROFILE' "$KILN" build --help
check_output "rootfs --help" 'Usage: kiln rootfs ROLE' "$KILN" rootfs --help
check_output "kiln --help lists build" 'build +build the disk images' "$KILN" --help
check_fails "build without profile" 'needs exactly one PROFILE' "$KILN" build
check_fails "unknown target" "unsupported --target 'vmdk'" "$KILN" build "$profile" --target vmdk
check_fails "unknown role" "unknown role 'postgres'" "$KILN" build "$profile" --role postgres --state "$state"
"$KILN" build "$profile" --role postgres --state "$state" >/dev/null 2>&1
check "unknown role is a usage error (exit 2)" test $? -eq 2
check_fails "bad --artifact" 'wants NAME=PATH' "$KILN" build "$profile" --artifact minio
check_fails "--artifact for no recipe" "--artifact nosuch: no recipe of the profile" \
	"$KILN" build "$profile" --state "$state" --out "$out" --artifact nosuch=/dev/null
check_fails "invalid profile" 'error:' "$KILN" build /dev/null --state "$state" --out "$out"
check_fails "missing keys" "missing operator public key .*run 'kiln keys init" \
	"$KILN" build "$profile" --state "$T/nostate" --out "$out" --role mysql
cp -a "$state" "$T/partstate"; rm "$T/partstate/roles/mysql.key"
check_fails "missing role key" "missing role key .*roles/mysql.key: run 'kiln keys init" \
	"$KILN" build "$profile" --state "$T/partstate" --out "$out" --role mysql
chmod 0644 "$state/roles/mysql.key"
check_fails "role key readable by others" 'readable by others' \
	"$KILN" build "$profile" --state "$state" --out "$out" --role mysql
chmod 0600 "$state/roles/mysql.key"
# A suite kiln does not build: the profile's line and column, and the ones it does.
mk_profile sid 's|suite: trixie|suite: sid|'
check_fails "unsupported suite" "sid.yaml:11:10: error: unsupported Debian suite 'sid' \(supported: bookworm, trixie\)" \
	"$KILN" build "$T/sid.yaml" --state "$state" --out "$out"
check_fails "rootfs: unsupported --suite" "unsupported --suite 'bullseye' \(supported: bookworm, trixie\)" \
	"$KILN" rootfs mysql --suite bullseye
"$KILN" rootfs mysql --suite bullseye >/dev/null 2>&1
check "rootfs: unsupported --suite is a usage error (exit 2)" test $? -eq 2
check_fails "rootfs: the profile's suite refused" "sid.yaml:11:10: error: unsupported Debian suite 'sid'" \
	"$KILN" rootfs mysql --profile "$T/sid.yaml"
check_fails "rootfs: --profile with --suite" "--profile gives the suite and mirror" \
	"$KILN" rootfs mysql --profile "$profile" --suite bookworm
no_images "early refusals"

# Recipe errors: file:line:column, before any download.
mk_recipes "$T/r1"
echo "pakages: [x]" >>"$T/r1/mysql.yaml"
check_fails "unknown recipe key" 'mysql.yaml:[0-9]+:1: unknown key .pakages' \
	"$KILN" build "$profile" --state "$state" --out "$out" --role mysql --recipes "$T/r1"
check_fails "rootfs: unknown recipe key" 'mysql.yaml:[0-9]+:1: unknown key' "$KILN" rootfs mysql --recipes "$T/r1"
# The mirror becomes an apt source line: one plain URL (profiles/syntax_apt.c).
check_fails "rootfs: --mirror with more words" \
	"--mirror 'http://deb.debian.org/debian bookworm main' must be one URL without spaces" \
	"$KILN" rootfs mysql --mirror "http://deb.debian.org/debian bookworm main"
"$KILN" rootfs mysql --mirror 'http://deb.debian.org/debian#x' >/dev/null 2>&1
check "rootfs: a bad --mirror is a usage error (exit 2)" test $? -eq 2
# SOURCE_DATE_EPOCH is parsed strictly (lib/numparse.c): anything but digits is ignored, with a warning.
check_output "rootfs: SOURCE_DATE_EPOCH enters the cache key" '^source-date-epoch 1700000000$' \
	env SOURCE_DATE_EPOCH=1700000000 "$KILN" rootfs mysql --print-key
for v in "+5" " 5" "5s" "-1" "99999999999999999999"; do
	SOURCE_DATE_EPOCH=$v "$KILN" rootfs mysql --print-key >"$T/key" 2>"$T/err"
	if grep -qF "ignoring invalid SOURCE_DATE_EPOCH '$v'" "$T/err" && ! grep -q '^source-date-epoch' "$T/key"; then
		ok "rootfs: SOURCE_DATE_EPOCH '$v' ignored with a warning"
	else not_ok "rootfs: SOURCE_DATE_EPOCH '$v'"; fi
done

# Artifacts: a pinned sha256 that does not match, over file:// (libcurl) and path:.
export KILN_CACHE_DIR=$T/cache
echo "not a deb" >"$T/fake.deb"
mk_recipes "$T/r2"
cat >"$T/r2/minio.yaml" <<R
kiln-recipe: 1
artifacts:
  - name: minio
    url: file://$T/fake.deb
    sha256: 1111111111111111111111111111111111111111111111111111111111111111
    install: deb
R
check_fails "artifact checksum mismatch (url)" "artifact 'minio': checksum mismatch .*expected sha256 1111" \
	"$KILN" build "$profile" --state "$state" --out "$out" --role minio --recipes "$T/r2"
check "mismatching download not cached" test -z "$(ls -A "$T/cache/artifacts" 2>/dev/null)"
sed -i "s|url: .*|path: $T/fake.deb|" "$T/r2/minio.yaml"
check_fails "artifact checksum mismatch (path)" "checksum mismatch for $T/fake.deb" \
	"$KILN" build "$profile" --state "$state" --out "$out" --role minio --recipes "$T/r2"
check_fails "unpinned artifact" "artifact 'minio' has no pinned sha256 yet.*--artifact minio=PATH" \
	"$KILN" build "$profile" --state "$state" --out "$out" --role minio
check_fails "missing artifact file" "artifact 'minio': $T/none.deb is missing" \
	"$KILN" build "$profile" --state "$state" --out "$out" --role minio --artifact minio="$T/none.deb"

# Failures: unreachable mirror with nothing cached (fast), unknown package (mmdebstrap).
mk_profile deadmirror 's|mirror: .*|mirror: http://127.0.0.1:9/debian|'
t0=$SECONDS
check_fails "unreachable mirror" 'cannot reach the archives \(http://127.0.0.1:9/debian/dists/trixie/InRelease: .*\), and no root filesystem for these inputs is cached' \
	"$KILN" build "$T/deadmirror.yaml" --state "$state" --out "$out" --role mysql
check "unreachable mirror fails within 60s" test $((SECONDS - t0)) -lt 60
mk_recipes "$T/r3"
sed -i 's/^  - mariadb-server$/  - mariadb-server\n  - kiln-no-such-package/' "$T/r3/mysql.yaml"
check_fails "unknown package" 'mmdebstrap failed .*kiln-no-such-package' \
	"$KILN" build "$profile" --state "$state" --out "$out" --role mysql --recipes "$T/r3"
check "no partial rootfs tar in the cache" \
	test -z "$(find "$T/cache/rootfs" -name '*.tar*' 2>/dev/null)"
no_images "mmdebstrap failures"
unset KILN_CACHE_DIR

# From here the normal cache: a cold machine builds the mysql rootfs once
# (the e2e tier reuses it).
check "build the mysql image" "$KILN" build "$profile" --state "$state" --out "$out" --role mysql
rm -f "$out"/*.raw

# Not enough space for the image where it is to be written (a 64 MiB tmpfs
# in a private mount namespace); checked before writing anything.
mkdir -p "$T/small"
check_fails "not enough disk space" 'not enough disk space in .*small: the image needs about [0-9]+ MiB, [0-9]+ MiB are free' \
	unshare -rm sh -c 'mount -t tmpfs -o size=64m kiln-test "$1" && shift && exec "$@"' sh "$T/small" \
	"$KILN" build "$profile" --state "$state" --out "$T/small" --role mysql
check "not enough disk space: no image left behind" test -z "$(ls -A "$T/small")"

# Warm: no mmdebstrap (a failing one first in PATH), no mirror (proxy to nowhere).
mkdir -p "$T/bin"
printf '#!/bin/sh\ntouch %s/mmdebstrap-ran\nexit 1\n' "$T" >"$T/bin/mmdebstrap"
chmod +x "$T/bin/mmdebstrap"
check "warm build with no mirror and no mmdebstrap" env PATH="$T/bin:$PATH" \
	http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
	"$KILN" build "$profile" --state "$state" --out "$out" --role mysql
cp "$T/err" "$T/warm.err"
check "warm build said cache hit" grep -q 'rootfs: cache hit' "$T/warm.err"
check "warm build ran no mmdebstrap" test ! -e "$T/mmdebstrap-ran"
check "warm build without the mirror: says how old the packages are" grep -Eq \
	'rootfs: cannot reach the archives .*: using the newest cached root filesystem for these inputs; its packages are those of [0-9-]+, [0-9]+ days? old' "$T/warm.err"
check "warm build reports the image's security updates" grep -Eq \
	'\[mysql\] security: [0-9]+ installed packages? at a trixie-security version, newest .* \(built [0-9-]+\)' "$T/warm.err"
check "--offline: the cached tree, no mmdebstrap" env PATH="$T/bin:$PATH" http_proxy=http://127.0.0.1:9 \
	"$KILN" build "$profile" --state "$state" --out "$out" --role mysql --offline
cp "$T/err" "$T/offline.err"
check "--offline: says how old the packages are" grep -Eq \
	'rootfs: --offline: using the newest cached root filesystem .* [0-9]+ days? old' "$T/offline.err"
check "mysql image and data disk" test -f "$out/acme-mysql.raw" -a -f "$out/acme-mysql-data.raw"
check_output "image is private (holds the role key)" '^600$' stat -c %a "$out/acme-mysql.raw"
check_output "data disk is the profile's 50 GiB" '^53687091200$' stat -c %s "$out/acme-mysql-data.raw"
check_output "os disk is the preset's 10 GiB" '^10737418240$' stat -c %s "$out/acme-mysql.raw"
check "GPT is valid (sgdisk -v)" sgdisk -v "$out/acme-mysql.raw"
check_output "rootfs --print-key names the inputs" '^package mariadb-server$' "$KILN" rootfs mysql --print-key
check_output "rootfs --print-key: the trixie libraries" '^package libssl3t64$' "$KILN" rootfs mysql --profile "$profile" --print-key --offline
check_output "rootfs --print-key: the archives" '^archive http://deb.debian.org/debian-security trixie-security main image ' \
	"$KILN" rootfs mysql --profile "$profile" --print-key --offline
