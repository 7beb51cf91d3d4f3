#!/usr/bin/env bash
# The kiln and kiln-firstboot binaries start, answer --help and refuse nonsense.
. "$(dirname "$0")/../lib.sh"
check_output "kiln --help lists commands" 'Commands:' "$KILN" --help
check_output "kiln version" '^kiln [0-9]' "$KILN" version
check_fails "kiln unknown command" "unknown command 'frobnicate'" "$KILN" frobnicate
check_fails "kiln without arguments" 'Usage: kiln' "$KILN"
check_output "kiln-firstboot --help" 'Usage: kiln-firstboot' "$KILN_FIRSTBOOT" --help
