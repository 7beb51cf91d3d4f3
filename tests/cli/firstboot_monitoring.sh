#!/usr/bin/env bash
# kiln-firstboot's "monitoring" step and `kiln-firstboot metrics`, without a
# VM (--root DIR --no-services, as tests/cli/firstboot_run.sh): what each
# host of the loopback profile with monitoring on minio1 writes, which
# services it enables and restarts, the MinIO bearer token the monitoring
# host mints (PyJWT reads it), a newer seed re-running the step, the step
# skipped without monitoring; then the metrics textfile from a real status
# file and, in a network namespace, the real ruleset's drop counter
# (promtool lints it); no secret in anything public.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
S=$T/state
{ sed '/^targets:/d' "$ROOT/tests/profiles/fixtures/loopback.yaml"; printf 'monitoring:\n  host: minio1\n  app_health: /healthz\n  archive_drops: {bucket: uploads}\n'; } >"$T/p.yaml"
"$KILN" keys init "$T/p.yaml" --state "$S" >/dev/null && "$KILN" secrets init "$T/p.yaml" --state "$S" >/dev/null ||
	{ not_ok "kiln keys/secrets init"; exit 1; }
for h in db1 app1 minio1; do "$KILN" seed "$T/p.yaml" --host $h --out "$T/$h.seed" --state "$S" 2>/dev/null || not_ok "seed $h"; done
run() { "$FB" run --root "$1" --no-services --datasource other "${@:2}" >>"$T/runlog" 2>&1; }
cmds() { cat "$1/var/lib/kiln/commands.log"; }
export -f run cmds fb_status   # for the checks that are `bash -c` pipelines
export FB T KILN_FIRSTBOOT

# --- db1: the exporter's account and option file, its services
R=$T/db1; fb_mkroot "$R" "$S" mysql "$T/db1.seed"; fb_adddisk "$R" vdb
check "db1: first boot succeeds" run "$R"
check_output "db1: monitoring done, before join" 'monitoring +done +exporters running, journal uploaded to minio1' fb_status "$R"
check_output "db1: the exporter's option file is root-only" '^600$' stat -c %a "$R/etc/kiln/monitoring/mysqld-exporter.cnf"
check "db1: ... and holds the exporter's password" grep -qx "password=$(cat "$S/secrets/mysql_exporter_password")" \
	"$R/etc/kiln/monitoring/mysqld-exporter.cnf"
check_output "db1: the account's SQL goes to MariaDB on stdin with the role's (one client run)" '^1$' grep -c '^mariadb --protocol=socket -uroot --skip-ssl <stdin>$' "$R/var/lib/kiln/commands.log"
check_output "db1: MariaDB asked about, stopped; one reload, then exporters and journal upload restarted and they and the metrics timer enabled (without SysV's update-rc.d) in one job each, not waited for, before the role reloads (the data disk's drop-in) and starts MariaDB; at the end the timer started and the services asked about" \
	'^systemctl show -p ActiveState -p SubState mariadb.service systemctl stop mariadb.service systemctl daemon-reload systemctl restart --no-block prometheus-node-exporter.service prometheus-mysqld-exporter.service systemd-journal-upload.service SYSTEMCTL_SKIP_SYSV=1 SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload prometheus-node-exporter.service prometheus-mysqld-exporter.service systemd-journal-upload.service kiln-metrics.timer systemctl daemon-reload systemctl restart mariadb.service systemctl restart --no-block kiln-metrics.timer systemctl show$' \
	bash -c "cmds '$R' | grep -E '^(SYSTEMCTL_SKIP_SYSV=1 SYSTEMCTL_INSTALL_CLIENT_SIDE=1 )?systemctl' | tr '\n' ' ' | sed 's/ \$//'"
check "db1: no systemctl call waits for a monitoring unit" bash -c \
	"! grep -E '^systemctl (restart|start|enable (--no-reload )?--now) (prometheus|systemd-journal|kiln-)' '$R/var/lib/kiln/commands.log'"
check "db1: the rendered files are in place (identity)" test -s "$R/etc/systemd/system/prometheus-mysqld-exporter.service.d/kiln.conf"
check "db1: host key and certificate from the seed" bash -c "test -s '$R/etc/kiln/tls/host.pem' && test \"\$(stat -c %a '$R/etc/kiln/secrets/host_tls_key')\" = 600"
check "db1: no Prometheus client key" test ! -e "$R/etc/kiln/secrets/scrape_tls_key"
check_output "db1: kiln-metrics units written" 'OnUnitActiveSec=30s' cat "$R/etc/systemd/system/kiln-metrics.timer"
check_output "db1: the metrics conf lists its units" '^unit=mariadb.service$' cat "$R/etc/kiln/monitoring/metrics.conf"
check "db1: status.json times each step and the monitoring step's phases, in the order they ran" /usr/bin/python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["steps"]}
assert all(isinstance(s[n]["ms"], int) and s[n]["ms"] >= 0 and s[n]["started_ms"] > 0 for n in s), s
m = s["monitoring"]
assert list(m["phases"]) == ["files", "daemon-reload", "restart", "enable", "later-steps", "check"], m
assert m["ms"] >= sum(m["phases"].values()) - 5, m
assert m["started_ms"] <= s["role"]["started_ms"] <= s["join"]["started_ms"], s
assert list(s["role"]["phases"])[:2] == ["config", "tls"] and "restart-server" in s["role"]["phases"], s["role"]' "$R/var/lib/kiln/status.json"
check_output "db1: status --times shows them" '^  monitoring +[0-9.]+ s +[0-9.]+ s  files [0-9.]+ s, daemon-reload' fb_status "$R" --times
n=$(wc -l <"$R/var/lib/kiln/commands.log")
check "db1: a second run re-does nothing" bash -c "run '$R' && test \$(wc -l < '$R/var/lib/kiln/commands.log') = $n"
"$KILN" seed "$T/p.yaml" --host db1 --out "$R/etc/kiln/seed" --state "$S" 2>/dev/null
check "db1: a newer seed re-runs the step (new keys are read)" bash -c \
	"run '$R' && test \$(grep -c '^systemctl restart --no-block .*prometheus-mysqld-exporter' '$R/var/lib/kiln/commands.log') = 2"


# --- minio1, the monitoring host: the bearer token, Prometheus and the rest
R=$T/minio1; fb_mkroot "$R" "$S" minio "$T/minio1.seed"; fb_adddisk "$R" vdb
check "minio1: first boot succeeds" run "$R"
check_output "minio1: monitoring done" 'monitoring +done +Prometheus, Alertmanager, journal-remote and the exporters running' fb_status "$R"
check_output "minio1: the bearer token is root-only" '^600$' stat -c %a "$R/etc/kiln/monitoring/minio-token"
check_output "minio1: PyJWT reads it: the metrics user's, issuer prometheus" "^$(cat "$S/secrets/minio_metrics_access_key") prometheus\$" \
	/usr/bin/python3 -c 'import jwt, sys
c = jwt.decode(open(sys.argv[1]).read(), open(sys.argv[2]).read(), algorithms=["HS512"], issuer="prometheus"); print(c["sub"], c["iss"])' \
	"$R/etc/kiln/monitoring/minio-token" "$S/secrets/minio_metrics_secret_key"
check_output "minio1: journal-remote, Alertmanager and Prometheus started in one job; journal-remote re-reads its key; the timers started at the end" \
	'systemctl restart --no-block prometheus-node-exporter.service systemd-journal-remote.socket prometheus-alertmanager.service prometheus.service systemctl try-restart --no-block systemd-journal-remote.service SYSTEMCTL_SKIP_SYSV=1 SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload [^ ]+( [^ ]+)* systemctl restart --no-block kiln-metrics.timer kiln-archive-drops.timer systemctl show' \
	bash -c "cmds '$R' | tr '\n' ' '"
check "minio1: no journal upload to itself" bash -c "! grep -q journal-upload '$R/var/lib/kiln/commands.log'"
check "minio1: Prometheus' client key from the seed, root-only" test "$(stat -c %a "$R/etc/kiln/secrets/scrape_tls_key")" = 600
check_output "minio1: the metrics conf builds the status page" '^status_page=https://127.0.1.3:9090$' cat "$R/etc/kiln/monitoring/metrics.conf"
check_output "minio1: ... and archives the denied traffic into the bucket" '^archive_bucket=uploads archive_endpoint=http://127.0.1.3:9000 $' \
	bash -c "grep ^archive_ '$R/etc/kiln/monitoring/metrics.conf' | tr '\n' ' '"
check "minio1: kiln-archive-drops.timer written and enabled" bash -c \
	"grep -q 'OnCalendar=' '$R/etc/systemd/system/kiln-archive-drops.timer' && grep -q '^SYSTEMCTL_SKIP_SYSV=1 SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload .* kiln-archive-drops.timer$' '$R/var/lib/kiln/commands.log'"
check "minio1: the archive writer's secrets from the seed" test -s "$R/etc/kiln/secrets/minio_archive_secret_key"

# --- minio1's status page: `kiln-firstboot metrics` asks the local Prometheus
# (tests/fixtures/prometheus/api.py, on the address metrics.conf names); while
# Prometheus is not ready (down, starting, or starved of CPU at boot) the run
# writes the textfile, skips the page and succeeds: the next run does it
. "$ROOT/tests/fixtures/local_server.sh"
PAGE=$R/var/lib/kiln/status-page/status.json
mrun() { local t0=$SECONDS; "$FB" metrics --root "$R" >"$T/mlog" 2>&1; local rc=$?; echo "$((SECONDS - t0))" >"$T/mtime"; return $rc; }
not_ready() { # WHY: the run succeeded, said why, wrote the textfile and no page
	mrun && grep -q "status page: Prometheus at https://127.0.1.3:9090 is not ready ($1" "$T/mlog" && test ! -e "$PAGE" &&
		test -s "$R/var/lib/prometheus/node-exporter/kiln.prom" || { cat "$T/mlog"; return 1; }
}
export -f mrun not_ready; export R PAGE
check "status page: Prometheus down, the run succeeds and skips the page" not_ready ''
touch "$T/starting"
/usr/bin/python3 "$ROOT/tests/fixtures/prometheus/api.py" 127.0.1.3 9090 "$R/etc/kiln/tls/host.pem" \
	"$R/etc/kiln/secrets/host_tls_key" "$R/etc/kiln/tls/ca.pem" "$T/starting" "$T/stalled" "$T/slow" "$T/bad" "$T/drop" >"$T/prom.log" 2>&1 &
PROM=$!
if local_server_port "$T/prom.log" 's/^ready$/up/p' $PROM prometheus-api >/dev/null; then
	check "status page: Prometheus starting (503), the run succeeds and skips the page" not_ready 'HTTP 503'
	touch "$T/stalled"; rm "$T/starting"
	check "status page: Prometheus not answering, skipped after the readiness deadline (3 s)" \
		bash -c "not_ready '' && test \$(cat '$T/mtime') -le 6"
	rm "$T/stalled"; touch "$T/slow"
	check "status page: Prometheus ready but a query unanswered (10 s), the run succeeds and skips the page" bash -c "
		mrun && grep -q 'status page: Prometheus at https://127.0.1.3:9090 did not answer up (' '$T/mlog' &&
		test ! -e '$PAGE' && test \$(cat '$T/mtime') -le 14 || { cat '$T/mlog'; exit 1; }"
	rm "$T/slow"; touch "$T/drop"
	check "status page: a query's connection closed unanswered (Prometheus stopping), the run succeeds and skips the page" bash -c "
		mrun && grep -q 'status page: Prometheus at https://127.0.1.3:9090 did not answer up (' '$T/mlog' &&
		test ! -e '$PAGE' || { cat '$T/mlog'; exit 1; }"
	rm "$T/drop"; touch "$T/bad"
	check "status page: a query Prometheus refuses (400) fails the run, naming it" bash -c "
		! mrun && grep -q 'status page: asking Prometheus up failed: HTTP 400' '$T/mlog' && test ! -e '$PAGE' ||
		{ cat '$T/mlog'; exit 1; }"
	rm "$T/bad"
	check "status page: Prometheus ready, the page is written" bash -c "mrun && ! grep -q 'not ready' '$T/mlog'"
	check "status page: ... with minio1 up, from Prometheus' answers" /usr/bin/python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert [(h["host"], h["up"]) for h in p["hosts"]] == [("minio1", True)], p' "$PAGE"
else
	not_ok "the Prometheus stand-in started"
fi
local_server_stop $PROM

# --- app1: nginx's status page for the metrics; the step comes before join
R=$T/app1; fb_mkroot "$R" "$S" app "$T/app1.seed"
run "$R" --join-deadline 1
check_output "app1: monitoring done, join after it" 'monitoring +done.* join +failed' bash -c "fb_status '$R' | tr '\n' ' '"
check_output "app1: its services started without waiting, before the role's; its timer started and the services asked about last" \
	'systemctl restart --no-block prometheus-node-exporter.service systemd-journal-upload.service SYSTEMCTL_SKIP_SYSV=1 SYSTEMCTL_INSTALL_CLIENT_SIDE=1 systemctl enable --no-reload prometheus-node-exporter.service systemd-journal-upload.service kiln-metrics.timer .*nginx.* systemctl restart --no-block kiln-metrics.timer systemctl show $' \
	bash -c "cmds '$R' | tr '\n' ' '"
check "app1: ... after the join (which waited 1 s for its peers here), not before it" /usr/bin/python3 -c '
import json, sys
s = {x["name"]: x["updated"] for x in json.load(open(sys.argv[1]))["steps"]}
sys.exit(not s["role"] < s["join"] <= s["monitoring"])' "$R/var/lib/kiln/status.json"
check "app1: nginx's status page on loopback" grep -q 'listen 127.0.0.1:8081;' "$R/etc/nginx/conf.d/kiln-status.conf"
check_output "app1: the app's health URL" '^app_health=http://127.0.0.1:8000/healthz$' cat "$R/etc/kiln/monitoring/metrics.conf"

# --- a step failed: the host still reports (the exporters and metrics run, FirstBootStepFailed can fire)
R=$T/failed
"$KILN" seed "$T/p.yaml" --host db1 --out "$T/db1-failed.seed" --state "$S" 2>/dev/null
fb_mkroot "$R" "$S" mysql "$T/db1-failed.seed"
run "$R"   # no data disk: datadisk fails
check_output "a failed step: datadisk failed, monitoring not done" 'datadisk +failed' fb_status "$R"
check_output "... yet the node exporter, journal upload and the metrics timer were started" \
	'restart --no-block prometheus-node-exporter.service systemd-journal-upload.service kiln-metrics.timer' \
	bash -c "cmds '$R' | tr '\n' ' '"
check "... not the MySQL exporter: its login is not there yet" bash -c "! grep -q mysqld-exporter '$R/var/lib/kiln/commands.log'"
check "... and the metrics conf is in place" test -s "$R/etc/kiln/monitoring/metrics.conf"
check_output "... the metrics say which step failed" '^kiln_firstboot_step_state\{step="datadisk",state="failed"\} 1$' \
	bash -c "'$FB' metrics --root '$R' && grep 'step=\"datadisk\",state=\"failed\"' '$R/var/lib/prometheus/node-exporter/kiln.prom'"

# --- without monitoring: skipped
R=$T/plain; P0=$ROOT/tests/profiles/fixtures/loopback.yaml
"$KILN" keys init "$P0" --state "$T/s0" >/dev/null && "$KILN" secrets init "$P0" --state "$T/s0" >/dev/null &&
	"$KILN" seed "$P0" --host db1 --out "$T/plain.seed" --state "$T/s0" 2>/dev/null
fb_mkroot "$R" "$T/s0" mysql "$T/plain.seed"; fb_adddisk "$R" vdb
check "no monitoring: first boot succeeds" run "$R"
check_output "no monitoring: the step is skipped" 'monitoring +skipped +the profile has no monitoring: section' fb_status "$R"
check "no monitoring: nothing of it written" test ! -e "$R/etc/kiln/monitoring"

# --- kiln-firstboot metrics: the textfile
R=$T/db1
check_output "metrics --help" 'Usage: kiln-firstboot metrics' "$FB" metrics --help
check_fails "metrics: a stray argument is a usage error" 'unexpected argument' "$FB" metrics --root "$R" extra
if unshare -rn true 2>/dev/null; then
	check "metrics: written in a network namespace with db1's real ruleset" unshare -rn sh -c \
		"nft -f '$R/etc/nftables.conf' && PATH=/usr/sbin:/sbin:\$PATH '$FB' metrics --root '$R'"
	check "metrics: the firewall's drop counter, as nft counts it" grep -qx 'kiln_nft_input_drop_packets_total 0' \
		"$R/var/lib/prometheus/node-exporter/kiln.prom"
else
	check "metrics: written" "$FB" metrics --root "$R"
fi
F=$R/var/lib/prometheus/node-exporter/kiln.prom
check "metrics: promtool lints the textfile" bash -c "promtool check metrics < '$F'"
check "metrics: db1 is ready" grep -qx 'kiln_firstboot_ready 1' "$F"
check "metrics: each step's state" grep -qx 'kiln_firstboot_step_state{step="monitoring",state="done"} 1' "$F"
check_output "metrics: each certificate's expiry" '^kiln_tls_cert_not_after_timestamp_seconds\{file="ca.pem"\} [0-9]+$' grep ca.pem "$F"
check "metrics: each unit (none active here)" grep -qx 'kiln_service_active{unit="mariadb.service"} 0' "$F"
check_output "metrics: the file is world-readable (the exporter reads it)" '^644$' stat -c %a "$F"
echo 'deployment=acme' >"$R/etc/kiln/monitoring/metrics.conf"
echo 'bogus' >>"$R/etc/kiln/monitoring/metrics.conf"
check_fails "metrics: a broken conf is named and refused" 'metrics.conf: a line is not key=value' "$FB" metrics --root "$R"
rm "$R/etc/kiln/monitoring/metrics.conf"
check_fails "metrics: without a conf (no monitoring) it says so" 'metrics.conf is missing' "$FB" metrics --root "$R"

# --- no secret or key in anything public
leaks=0
for f in "$S"/secrets/* "$S"/monitoring/*.key "$S"/monitoring/hosts/*.key; do
	v=$(sed -n 2p "$f"); [ -n "$v" ] && [ "${v#-----}" = "$v" ] || v=$(cat "$f")
	for out in "$T/runlog" "$T"/*/var/lib/kiln/status.json "$T"/*/var/lib/kiln/commands.log "$F" \
		   "$T"/*/etc/kiln/monitoring/metrics.conf; do
		[ -f "$out" ] && grep -aqF -- "$v" "$out" && { echo "# $(basename "$f") in $out"; leaks=1; }
	done
done
check "no secret in the console, status, command logs, metrics conf or textfile" test $leaks = 0
