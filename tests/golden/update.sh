#!/usr/bin/env bash
# Regenerate the golden files from the current build. Review the diff
# (git diff tests/golden) before committing: it is the change users get.
#   make && tests/golden/update.sh            (KILN_BUILD=DIR to use another build)
# Layout: tests/golden/render/<example>/<host>/  the files `kiln render` writes
#         tests/golden/render/<example>/<host>.modes  "MODE PATH" per file (git
#         keeps only 644/755, so modes such as authorized_keys' 600 live here)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/golden/render_lib.sh
KILN=${KILN_BUILD:-build}/kiln
rm -rf tests/golden/render
for p in profiles/examples/*.yaml; do
	ex=$(basename "$p" .yaml)
	for h in $(profile_hosts "$KILN" "$p"); do
		render_host_to "$KILN" "$p" "$h" "tests/golden/render/$ex"
	done
done
echo "updated tests/golden/render"
