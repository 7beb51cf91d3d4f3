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
# A broken key pair is not made anew behind the operator's back: refused with its repair.
cp -a "$state" "$T/partstate"; rm "$T/partstate/roles/mysql.key"
check_fails "half a role key pair: refused with its repair" \
	"roles/mysql.pub exists without its secret key .*repair with: kiln keys init .*--repair" \
	"$KILN" build "$profile" --state "$T/partstate" --out "$out" --role mysql
chmod 0644 "$state/roles/mysql.key"
check_fails "role key readable by others" 'readable by group/others' \
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

# --- A first run (README's quick start): no MinIO .deb stops the build before
# any work with one line; with one, keys and secrets are made when missing,
# said so, and are those keys/secrets init make. A failing mmdebstrap and an
# empty cache stand for the long work, which must not start (or be reached).
mkdir -p "$T/fakebin"
printf '#!/bin/sh\ntouch %s/first-run-mmdebstrap\necho fake mmdebstrap >&2\nexit 1\n' "$T" >"$T/fakebin/mmdebstrap"
chmod +x "$T/fakebin/mmdebstrap"
mkdir -p "$T/first" && cp "$profile" "$T/first/onprem.yaml"
first() { (cd "$T/first" && env PATH="$T/fakebin:$PATH" KILN_CACHE_DIR="$T/first-cache" "$KILN" build onprem.yaml --out images "$@"); }
first >"$T/first.out" 2>"$T/first.err"
check "no MinIO .deb: the build fails" test $? = 1
check_output "no MinIO .deb: one line, naming --artifact minio=PATH and why" \
	"^kiln: error: artifact 'minio' has no download \(MinIO publishes no binaries to download\): pass the file you have with --artifact minio=PATH$" \
	cat "$T/first.err"
check "no MinIO .deb: that line only" test "$(wc -l <"$T/first.err")" = 1
check "no MinIO .deb: nothing done (no state, no output directory, no mmdebstrap, no download)" \
	bash -c "test ! -e '$T/first/.kiln' && test ! -e '$T/first/images' && test ! -e '$T/first-run-mmdebstrap' && test ! -e '$T/first-cache/artifacts'"
check_fails "kiln rootfs minio: the same line" "artifact 'minio' has no download \(MinIO publishes no binaries" \
	env KILN_CACHE_DIR="$T/first-cache" "$KILN" rootfs minio
echo "a MinIO package" >"$T/minio.deb"
first --artifact minio="$T/minio.deb" >"$T/first.out" 2>"$T/first.err"
check_output "first build: says it made the keys and secrets, where" \
	"^kiln: (\./)?\.kiln/acme lacked keys or secrets of deployment acme: made them as 'kiln keys init' and 'kiln secrets init' do$" \
	cat "$T/first.err"
check_output "first build: names each one made" '^kiln:   role key minio: created' cat "$T/first.err"
check_output "first build: ... secrets too (names only)" '^kiln:   mysql_app_password: generated$' cat "$T/first.err"
check "first build: then went on to the images (mmdebstrap reached)" test -e "$T/first-run-mmdebstrap"
check_output "first build: the state is private" '^700$' stat -c %a "$T/first/.kiln/acme"
check_fails "the keys are what keys init makes (it keeps them all)" 'keys already exist' \
	"$KILN" keys init "$T/first/onprem.yaml"
check "the secrets are what secrets init makes (it keeps them all)" \
	bash -c "'$KILN' secrets init '$T/first/onprem.yaml' | grep -v ': kept\$' | (! grep -q .)"
check "a seed can be made from them" "$KILN" seed "$T/first/onprem.yaml" --host db1 --out "$T/first/db1.seed"
first --artifact minio="$T/minio.deb" >"$T/first.out" 2>"$T/first.err"
check "second build: nothing made, nothing said" bash -c "! grep -q 'lacked keys' '$T/first.err'"

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
mk_recipes "$T/r4"
sed -i 's|local_only: .*|url: https://example.org/minio.deb\n    sha256: 0000000000000000000000000000000000000000000000000000000000000000|' "$T/r4/minio.yaml"
check_fails "unpinned artifact" "artifact 'minio' has no pinned sha256 yet.*--artifact minio=PATH" \
	"$KILN" build "$profile" --state "$state" --out "$out" --role minio --recipes "$T/r4"
cp "$T/err" "$T/unpinned.err"
check "unpinned artifact: one line, before any work" test "$(wc -l <"$T/unpinned.err")" = 1
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
