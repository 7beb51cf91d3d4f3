# Sourced by the bench scripts that build role images: `. bench/common.sh`
# from a script whose arguments are ROLE... Sets ROOT (the source tree),
# KILN (the built kiln: build/, or $KILN_BUILD), roles (the arguments,
# default app mysql minio), T (a temporary directory removed at exit) and
# deb (the MinIO stand-in .deb, tests/fixtures/s3server, built into T).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KILN=$ROOT/${KILN_BUILD:-build}/kiln
roles=("${@:-app mysql minio}")
read -r -a roles <<<"${roles[*]}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
deb=$(ls "$T"/deb/*.deb)
