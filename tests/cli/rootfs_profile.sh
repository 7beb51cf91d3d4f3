#!/usr/bin/env bash
# kiln rootfs ROLE --profile P takes the recipe kiln build takes for that
# profile and role (targets/role_image.h, role_image_recipe): the profile's
# variant and the packages its monitoring:, backup: and galera cluster add.
# Proved on the cache key: the sha256 of --print-key's key text names a tree
# planted in an empty cache, and kiln build --offline must find that tree.
# Nothing is built and no archive is contacted (--offline, a proxy to nowhere).
. "$(dirname "$0")/../lib.sh"
key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test'
for f in deployment galera; do
	sed "s|@SSH_KEY@|$key|" "$ROOT/tests/profiles/fixtures/$f.yaml" >"$T/$f.yaml"
done
dep=$T/deployment.yaml gal=$T/galera.yaml
export KILN_CACHE_DIR=$T/cache
printkey() { "$KILN" rootfs "$@" --print-key --offline; }

# What the profile's sections add (deployment.yaml: monitoring: and backup:).
for p in prometheus-node-exporter prometheus-mysqld-exporter mariadb-backup; do
	check_output "mysql --profile (monitoring:, backup:): package $p" "^package $p$" printkey mysql --profile "$dep"
done
check_output "mysql --profile: monitoring: disables the exporter until configured" \
	'^disable prometheus-mysqld-exporter.service$' printkey mysql --profile "$dep"
check_output "app --profile (monitoring:): package prometheus-node-exporter" '^package prometheus-node-exporter$' \
	printkey app --profile "$dep"
check_output "app --profile: the container variant (podman)" '^package podman$' printkey app --profile "$dep"
check_output "mysql --profile (galera cluster): package mariadb-backup" '^package mariadb-backup$' \
	printkey mysql --profile "$gal"
printkey mysql >"$T/plain.key"
check "mysql without --profile: none of them" sh -c '! grep -Eq "^package (prometheus-|mariadb-backup)" "$1"' _ "$T/plain.key"

# The same key as kiln build's: plant an empty tree under the key's hash;
# kiln build --offline takes it (and then fails on it, as it is empty).
"$KILN" keys init "$dep" --state "$T/state" >/dev/null 2>&1
planted() { # profile role: plants a tree under the key of kiln rootfs ROLE --profile PROFILE, prints its path
	local h
	h=$(printkey "$2" --profile "$1" | sha256sum | cut -d' ' -f1)
	mkdir -p "$KILN_CACHE_DIR/rootfs"
	tar cf "$KILN_CACHE_DIR/rootfs/$h-$(printf '%064d' 0).tar" -T /dev/null
	echo "$KILN_CACHE_DIR/rootfs/$h-$(printf '%064d' 0).tar"
}
tar=$(planted "$dep" mysql)
"$KILN" build "$dep" --state "$T/state" --out "$T/images" --role mysql --offline >/dev/null 2>"$T/build.err"
check "kiln build --offline takes the tree kiln rootfs --profile's key names" \
	grep -qF "[mysql] rootfs: cache hit $tar (mmdebstrap not run)" "$T/build.err"
rm -rf "$KILN_CACHE_DIR"
"$KILN" keys init "$gal" --state "$T/gstate" >/dev/null 2>&1
tar=$(planted "$gal" mysql)
"$KILN" build "$gal" --state "$T/gstate" --out "$T/gimages" --role mysql --offline >/dev/null 2>"$T/build.err"
check "galera: kiln build --offline takes the tree kiln rootfs --profile's key names" \
	grep -qF "[mysql] rootfs: cache hit $tar (mmdebstrap not run)" "$T/build.err"

# Online (archives unreachable here: a proxy to nowhere) the key text is the same.
printkey mysql --profile "$dep" >"$T/offline.key"
env http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
	"$KILN" rootfs mysql --profile "$dep" --print-key >"$T/online.key" 2>/dev/null
check "--print-key: the same key online and --offline" cmp "$T/offline.key" "$T/online.key"

# Bad input: a usage error (exit 2) each.
check_fails "--variant contradicting the profile: the variant it implies" \
	"error: --variant mysql: the profile's app role takes the variant container" \
	"$KILN" rootfs app --profile "$dep" --variant mysql --print-key --offline
check_fails "--variant where the profile implies none" \
	"error: --variant mysql: the profile's mysql role takes no variant" \
	"$KILN" rootfs mysql --profile "$gal" --variant mysql --print-key --offline
check_output "--variant the profile implies: accepted" '^package podman$' \
	printkey app --profile "$dep" --variant container
check_fails "a role the profile has no hosts of" "error: .*galera.yaml has no hosts of role lb: kiln build builds no lb image for it" \
	"$KILN" rootfs lb --profile "$gal" --print-key --offline
for a in "app --profile $dep --variant mysql" "lb --profile $gal"; do
	# shellcheck disable=SC2086
	"$KILN" rootfs $a --print-key --offline >/dev/null 2>&1
	check "usage error (exit 2): rootfs $a" test $? -eq 2
done
check_output "base --profile: the profile's suite, the base recipe" '^suite trixie$' printkey base --profile "$gal"
check_output "rootfs --help: --profile builds what kiln build builds" 'the tree is the one kiln build builds for it' \
	"$KILN" rootfs --help
