# The monitoring scenario of tests/e2e/deployment.sh's deployment (sourced by
# it once the three hosts are ready; not a test of its own). minio1 is the
# monitoring host (tests/profiles/fixtures/deployment.yaml). Checked:
#   - every scrape target is up, asked through Prometheus' HTTP API from the
#     admin address with the operator's client certificate; without one the
#     API answers nothing;
#   - stopping MariaDB on db1 fires ServiceDown within the rule's window, the
#     webhook receiver on the router gets it, and it clears after a restart;
#   - a line logged on db1 and a stranger's dropped packet (kiln-drop) reach
#     minio1's central journal;
#   - the exporter ports answer only minio1: not a stranger, not app1, and
#     without Prometheus' client certificate not even minio1;
#   - the status page lists every host ready;
#   - no monitoring unit timed out starting or failed on any host;
#   - what each host's agents hold in memory (bench/RESULTS.md).
# Uses deployment.sh's nsx, adm, IP, NS, OUT, S and T.
MON=${IP[minio1]}
PROM=https://$MON:9090
# From the admin address (allow_from is the admin range 192.168.40.0/26, as ssh.allow_from).
prom() { nsx curl -sS --max-time 20 --interface 192.168.40.1 --cacert "$S/ca.pem" --cert "$S/monitoring/operator.pem" \
	--key "$S/monitoring/operator.key" "$@"; }
py() { /usr/bin/python3 -c "$@"; }

# --- a webhook receiver on the router (192.168.40.1:9099) records Alertmanager's posts
cat >"$T/webhook.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "ab") as f:
            f.write(body + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("192.168.40.1", 9099), H).serve_forever()
PY
nsx /usr/bin/python3 "$T/webhook.py" "$T/webhook.log" &
WEBHOOK_PID=$!

# --- every scrape target up
targets_up() { prom "$PROM/api/v1/targets" | py 'import json,sys
t=json.load(sys.stdin)["data"]["activeTargets"]
print(len(t), sum(x["health"]=="up" for x in t), " ".join(sorted(x["labels"]["job"]+"/"+x["labels"]["host"]+"="+x["health"] for x in t)))'; }
for _ in $(seq 90); do
	set -- $(targets_up 2>/dev/null); [ "${1:-0}" = 10 ] && [ "${2:-0}" = 10 ] && break; sleep 4
done
check_output "every scrape target is up (node x6, mysqld x2, minio, haproxy on lb1), asked through Prometheus' API" '^10 10 ' targets_up
prom "$PROM/api/v1/targets" >"$T/targets.json" 2>&1
# --- stopping MariaDB fires ServiceDown; a restart clears it. MariaDB stops here, before the
# checks below that need nothing of it, so they run inside the rule's window instead of after it.
alert_state() { prom "$PROM/api/v1/alerts" | py 'import json,sys
a=[x for x in json.load(sys.stdin)["data"]["alerts"] if x["labels"]["alertname"]=="ServiceDown" and x["labels"].get("unit")=="mariadb.service"]
print(a[0]["state"] if a else "none")'; }
check_output "no ServiceDown for MariaDB while it runs" '^none$' alert_state
adm ${IP[db1]} "systemctl stop mariadb.service"
t_stop=$SECONDS

# curl's exit 35 or 56: the TLS handshake or the first read failed (a firewall drop would be 28).
check_output "Prometheus' API refuses a client without the operator's certificate (TLS)" '^rc=(35|56)$' bash -c \
	"ip netns exec $NS curl -s --max-time 20 --interface 192.168.40.1 --cacert '$S/ca.pem' -o /dev/null '$PROM/api/v1/targets'; echo rc=\$?"
check_output "... and a client from outside allow_from is dropped by the firewall" '^rc=28$' bash -c \
	"ip netns exec $NS curl -s --max-time 8 --interface 192.168.40.209 --cacert '$S/ca.pem' --cert '$S/monitoring/operator.pem' --key '$S/monitoring/operator.key' -o /dev/null '$PROM/api/v1/targets'; echo rc=\$?"

# --- the exporters answer minio1 only, with Prometheus' client certificate
for port in 9100 9104; do
	check "a stranger cannot reach db1:$port" bash -c "! ip netns exec $OUT timeout 5 bash -c '</dev/tcp/${IP[db1]}/$port'"
	check_output "app1 (in the profile, not the monitoring host) cannot reach db1:$port" '^closed$' adm ${IP[app1]} \
		"timeout 5 bash -c '</dev/tcp/${IP[db1]}/$port' 2>/dev/null && echo open || echo closed"
done
check_output "minio1 without Prometheus' client certificate gets no metrics from db1:9100 (TLS refuses)" '^rc=(35|56)$' adm $MON \
	"curl -s --max-time 10 --cacert /etc/kiln/tls/ca.pem -o /dev/null https://${IP[db1]}:9100/metrics; echo rc=\$?"
check_output "minio1 with its host certificate (made for server use) gets none either" '^rc=(35|56)$' adm $MON \
	"curl -s --max-time 10 --cacert /etc/kiln/tls/ca.pem --cert /etc/kiln/tls/host.pem --key /etc/kiln/secrets/host_tls_key -o /dev/null https://${IP[db1]}:9100/metrics; echo rc=\$?"
check_output "minio1 with Prometheus' client certificate gets them" '^node_filesystem_size_bytes' adm $MON \
	"curl -s --max-time 10 --cacert /etc/kiln/tls/ca.pem --cert /etc/kiln/tls/scrape.pem --key /etc/kiln/secrets/scrape_tls_key https://${IP[db1]}:9100/metrics | grep -m1 ^node_filesystem_size_bytes"

# --- central logs: a line from db1, and the stranger's dropped packet
line="kiln-e2e-central-$RANDOM$RANDOM"
adm ${IP[db1]} "logger -t kiln-e2e $line"
nsx ip netns exec $OUT timeout 3 bash -c "</dev/tcp/${IP[db1]}/3306" 2>/dev/null
central() { adm $MON "journalctl -D /var/log/journal/remote --no-pager -o short $*"; }
for _ in $(seq 45); do central "--grep $line" 2>/dev/null | grep -q "$line" && break; sleep 4; done
check_output "a line logged on db1 is in minio1's central journal" "db1 .*kiln-e2e.*$line" central "--grep $line"
check_output "the stranger's dropped packet on db1 is in the central journal" 'db1 kernel: kiln-drop: .*SRC=192\.168\.40\.201 .*DPT=3306' \
	central "--grep kiln-drop"

# --- ServiceDown fires (MariaDB stopped above)
for _ in $(seq 100); do [ "$(alert_state 2>/dev/null)" = firing ] && break; sleep 3; done
check_output "stopping MariaDB on db1 fires ServiceDown (rule: 1 minute)" '^firing$' alert_state
echo "# ServiceDown fired $((SECONDS - t_stop)) s after MariaDB stopped"
# Alertmanager waits group_wait (30 s) before it sends: these read-only looks fill that time.
# --- the status page: every host, from what Prometheus scraped
prom "$PROM/user/status.json" >"$T/status-page.json" 2>&1
check_output "the status page lists every host ready" '^app1:True app2:True db1:True db2:True lb1:True minio1:True$' py 'import json,sys
d=json.load(open(sys.argv[1])); print(" ".join(h["host"]+":"+str(h["ready"]) for h in d["hosts"]))' "$T/status-page.json"
check_output "kiln-firstboot status on minio1: monitoring done" 'monitoring +done +Prometheus' adm $MON 'kiln-firstboot status'

# --- the agents' resident memory per host (issue 12: under 64 MiB per host; bench/RESULTS.md),
# counted as PSS (smaps_rollup): a page that several processes map counts in each by its share,
# so journal upload's pages of journald's files and the shared libraries are not counted twice.
# RSS is printed beside it. The monitoring host's servers are not agents (printed, not counted).
agent_mem() { # ADDRESS: one line per unit: NAME RSS ANON FILE PSS (KiB)
	adm "$1" 'sh -s' 2>/dev/null <<'AGENTMEM'
for u in prometheus-node-exporter prometheus-mysqld-exporter systemd-journal-upload prometheus prometheus-alertmanager systemd-journal-remote; do
	p=$(systemctl show -p MainPID --value $u.service 2>/dev/null)
	[ -n "$p" ] && [ "$p" != 0 ] || continue
	echo "$u $(awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s ", $2}' /proc/$p/status)$(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)"
done
AGENTMEM
}
MON_SERVERS='^(prometheus|prometheus-alertmanager|systemd-journal-remote)$'
# mem_line FILE: the units as NAME=RSS(ANON+FILE)/PSS, then "agents: RSS R, PSS P KiB"
mem_line() {
	awk -v s="$MON_SERVERS" '{ printf "%s=%s(%s+%s)/%s ", $1, $2, $3, $4, $5 }
	     $1 !~ s { r += $2; p += $5 } END { printf "; agents: RSS %d, PSS %d KiB", r, p }' "$1"
}
# agents_pss FILE: the agents' PSS in all ("N KiB"); fails without any agent or at 64 MiB or more
agents_pss() {
	awk -v s="$MON_SERVERS" '$1 !~ s { p += $5; n++ }
	     END { print n + 0 " agents, " p + 0 " KiB"; exit !(n && p < 65536) }' "$1"
}
diag_pids=()   # the hosts asked side by side
for h in app1 db1 minio1; do
	{
	agent_mem ${IP[$h]} >"$T/mem.$h"
	echo "# $h memory (KiB): $(mem_line "$T/mem.$h")"
	# kiln-metrics.timer's job, every 30 s on every host: its last run's CPU (bench/RESULTS.md)
	echo "# $h kiln-metrics: last run's CPU $(adm ${IP[$h]} 'systemctl show -p CPUUsageNSec --value kiln-metrics.service' 2>/dev/null) ns"
	# From this boot's kiln-firstboot.service journal (no python3 on every host): when, after the late
	# stage began, the step started its units (without waiting), began checking them, and the step ended.
	echo "# $h monitoring step: $(adm ${IP[$h]} 'sh -s' 2>/dev/null <<'MONTIMES'
upd() { sed -n "s/.*\"name\": \"$1\".*\"updated\": \([0-9]*\).*/\1/p" /var/lib/kiln/status.json; }
journalctl -b -u kiln-firstboot.service -o short-unix --no-pager | awk -v role="$(upd role)" -v mon="$(upd monitoring)" '
	NR == 1 { t0 = $1 } /monitoring: its units started/ { s = $1 } /monitoring: checking/ { c = $1 } { last = $1 }
	END { printf "late stage +0; role done +%.0f s; units started +%.1f s; check begun +%.1f s; step over +%.0f s; late stage over +%.1f s",
		role - t0, s - t0, c - t0, mon - t0, last - t0 }'
printf '; status:'; kiln-firstboot status | grep -E '^ +monitoring ' | tr -s ' ' | tr -d '\n'
# whether systemd needed a daemon-reload for the units, and why (docs/monitoring.md)
printf '; reload: '; journalctl -b -u kiln-firstboot.service -o cat --no-pager | grep -m1 -oE 'monitoring: (systemd sees every unit as written|systemctl daemon-reload \(.*\))' | tr -d '\n'
MONTIMES
)"
	} >"$T/mondiag.$h" 2>&1 &
	diag_pids+=($!)
done
wait "${diag_pids[@]}"
for h in app1 db1 minio1; do cat "$T/mondiag.$h"; done
for h in app1 db1 minio1; do
	check_output "$h: its agents take under 64 MiB (PSS)" ' KiB$' agents_pss "$T/mem.$h"
done
# --- no monitoring unit had to be restarted in the first boots: on an app host the idle CPU
# weight keeps a unit's start (its sandbox set up, the daemon exec'd) waiting while the container
# is imported, longer than systemd's default start timeout once. Journal upload may exit while
# the monitoring host is not up yet (a peer, retried); nothing may time out starting, and no
# local unit may fail, kiln-metrics (the status page) among them.
mon_unit_faults() {
	local h f faults=""
	for h in "${!IP[@]}"; do
		f=$(adm ${IP[$h]} 'journalctl -b -o cat --no-pager -u "prometheus*" -u "systemd-journal-*" -u "kiln-metrics*" |
			grep -E "start operation timed out|^(prometheus|systemd-journal-remote|kiln-metrics)[^:]*: Failed with result"' 2>/dev/null |
			sed "s/^/$h: /")
		[ -z "$f" ] && continue
		# what the failed units said before they failed (kiln-metrics' own lines)
		f+=$'\n'$(adm ${IP[$h]} 'journalctl -b -o short-monotonic --no-pager -u "kiln-metrics*" -u "prometheus*" \
			-u "systemd-journal-*" | grep -vE ": (Start|Finish|Deactivat)" | tail -n 12' 2>/dev/null | sed "s/^/$h:   /")
		faults+="$f"$'\n'
	done
	[ -z "$faults" ] && echo "none on ${#IP[@]} hosts" || { echo "$faults"; return 1; }
}
check_output "no monitoring unit timed out starting or failed in any host's first boot" '^none on 6 hosts$' mon_unit_faults
# --- Alertmanager's post, then MariaDB started again
for _ in $(seq 40); do grep -q '"alertname":"ServiceDown"' "$T/webhook.log" 2>/dev/null && break; sleep 3; done
check "Alertmanager sent ServiceDown to the profile's webhook receiver" grep -q '"status":"firing".*"alertname":"ServiceDown"' "$T/webhook.log"
adm ${IP[db1]} "systemctl start mariadb.service"
t_start=$SECONDS
for _ in $(seq 60); do [ "$(alert_state 2>/dev/null)" = none ] && break; sleep 3; done
check_output "after MariaDB's restart the alert clears" '^none$' alert_state
echo "# ServiceDown cleared $((SECONDS - t_start)) s after MariaDB started"

# --- what leaves the hosts must hold no secret: targets' labels, the status page, the central journal
central "" >"$T/central.journal" 2>/dev/null
prom "$PROM/api/v1/query?query=%7Bjob%3D~%22.%2B%22%7D" >"$T/series.json" 2>/dev/null

kill $WEBHOOK_PID 2>/dev/null
