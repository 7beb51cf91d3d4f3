#!/usr/bin/env bash
# Durable intent (issue 15, defect 3: a secret rotation lost after one
# interrupted run). A newer seed owes every step again, and that is recorded
# in the status before any step runs; tests/drivers/fb_interrupt stops the
# agent dead at each point where the record changes, as a power cut would;
# the next run must redo exactly the steps still owed, and the status must
# never say ready while one is owed. Hosts are directories (--root) with
# service commands recorded.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
STOP=$ROOT/$KILN_BUILD/drivers/fb_interrupt
P=$ROOT/tests/profiles/fixtures/loopback.yaml
S=$T/state
R=$T/db1
LOG=$R/var/lib/kiln/commands.log

"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null &&
	"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null || { not_ok "kiln keys/secrets/seed"; exit 1; }
run() { "$FB" run --root "$R" --no-services --datasource other "$@"; }
stop_at() { "$STOP" "$1" --root "$R" --no-services --datasource other "${@:2}"; }
count() { grep -c -- "$1" "$LOG"; }
# Each step leaves its own mark in the command log: identity loads the
# firewall, datadisk mounts the data disk, role restarts MariaDB.
marks() { echo "$(count '^nft -f') $(count '^mount ') $(count 'restart mariadb')"; }
# A secret rotation: a new MySQL app password, then a newer seed where the datasource reads it.
rotate() {
	rm "$S/secrets/mysql_app_password"
	"$KILN" secrets init "$P" --state "$S" >/dev/null && "$KILN" seed "$P" --host db1 --out "$R/etc/kiln/seed" --state "$S" 2>/dev/null
}
not_ready() { ! fb_status "$R" | grep -q 'deployment ready' && fb_status "$R" --json | grep -q '"ready": false'; }
is_ready() { fb_status "$R" | grep -q 'deployment ready' && fb_status "$R" --json | grep -q '"ready": true'; }
secret_in_place() { cmp -s "$S/secrets/mysql_app_password" "$R/etc/kiln/secrets/mysql_app_password"; }

# --- the first seed, interrupted once it is pinned, then resumed ---
fb_mkroot "$R" "$S" mysql "$T/db1.seed"; fb_adddisk "$R" vdb
check_fails "first seed: stopped once the host is pinned" 'stopped at seed:pinned' stop_at seed:pinned
check "first seed: ... nothing is ready" not_ready
check "first seed: the resumed run configures the host" run
check "first seed: ... and it is ready" is_ready
check "first seed: each step ran once" test "$(marks)" = "1 1 1"

# --- a rotation interrupted at every point where the record changes ---
for point in seed:stored seed:owed seed identity secrets datadisk role; do
	rotate
	read -r nft0 mnt0 role0 <<<"$(marks)"
	check_fails "rotation stopped at $point" "stopped at $point" stop_at "$point"
	check "rotation stopped at $point: status does not say ready" not_ready
	check "rotation stopped at $point: the next run finishes" run
	check "rotation stopped at $point: ... and says ready" is_ready
	check "rotation stopped at $point: every step ran exactly once for the new seed" \
		test "$(marks)" = "$((nft0 + 1)) $((mnt0 + 1)) $((role0 + 1))"
	check "rotation stopped at $point: the new password is in place" secret_in_place
done

# --- the early stage applies a newer seed; the late stage still owes the role ---
rotate
read -r nft0 mnt0 role0 <<<"$(marks)"
check "early stage with a newer seed" run --stage early
check_output "early stage: the role is owed to the new serial" 'role +pending +owed: seed serial [0-9]+' fb_status "$R"
check "early stage: not ready" not_ready
check "late stage" run --stage late
check "late stage: the role ran for the new seed (MariaDB gets the new password)" test "$(count 'restart mariadb')" = $((role0 + 1))
check "late stage: identity was not redone" test "$(count '^nft -f')" = $((nft0 + 1))
check "late stage: ready" is_ready

# --- a step that fails keeps what it owes until a run completes it ---
rotate
read -r nft0 mnt0 role0 <<<"$(marks)"
mv "$R/dev/vdb" "$T/vdb.away"
check_fails "failing data disk step stops the run" 'datadisk: no blank disk' run
check_output "failed step: role still owed" 'role +pending +owed' fb_status "$R"
mv "$T/vdb.away" "$R/dev/vdb"
check "failed step: the next run completes" run
check "failed step: the role ran once for the new seed" test "$(count 'restart mariadb')" = $((role0 + 1))
check "failed step: ready" is_ready

# --- the same seed again owes nothing ---
lines=$(wc -l < "$LOG")
check "same seed again" run
check "same seed again: nothing redone" test "$(wc -l < "$LOG")" = "$lines"
