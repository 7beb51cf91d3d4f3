#!/usr/bin/env bash
# Monitoring through kiln's commands (docs/monitoring.md), with the real tools
# as oracles: kiln check and render of a profile with monitoring:, every
# rendered Prometheus/Alertmanager/web configuration accepted by promtool and
# amtool, every alert rule's promtool unit tests (tests/monitoring/), the
# derived flows in rulesets nft accepts; kiln secrets init making the
# deployment CA and each host's, Prometheus' and the operator's certificate as
# units (kept, repaired, refused when the profile moved a host), and each
# seed carrying only that host's key.
. "$(dirname "$0")/../lib.sh"
P=$ROOT/profiles/examples/monitored.yaml
S=$T/state

# --- kiln check
check_output "check: monitoring summarised" '^monitoring: on minio1 \(Prometheus, Alertmanager, central journal\), 2 receivers, 9 flows derived$' \
	"$KILN" check "$P"
"$KILN" check --json "$P" >"$T/model.json"
check_output "check --json: derived flows listed under monitoring" '^9 minio1$' /usr/bin/python3 -c 'import json,sys
m=json.load(open(sys.argv[1]))["monitoring"]; print(len(m["flows"]), m["host"])' "$T/model.json"
sed 's/^  host: minio1$/  host: minio9/' "$P" >"$T/unknown-host.yaml"
check_fails "check: an unknown monitoring host, at its line" "unknown-host.yaml:[0-9]+:9: error: monitoring.host names host 'minio9'" \
	"$KILN" check "$T/unknown-host.yaml"

# --- kiln render: Prometheus, Alertmanager, web configs and rules as the tools read them
for h in app1 db1 db2 minio1; do "$KILN" render "$P" --host $h --out "$T/r/$h" 2>/dev/null || not_ok "render $h"; done
R=$T/r/minio1
# The files reference the host's own paths; give the tools a copy that points into $T.
mkdir -p "$T/tools/creds"
"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >"$T/secrets.out" 2>&1 ||
	{ not_ok "keys and secrets init"; cat "$T/secrets.out"; exit 1; }
cp "$S/ca.pem" "$T/tools/ca.pem"; cp "$S/monitoring/hosts/minio1.pem" "$T/tools/host.pem"; cp "$S/monitoring/scrape.pem" "$T/tools/scrape.pem"
cp "$S/monitoring/hosts/minio1.key" "$T/tools/creds/tls_key"; cp "$S/monitoring/scrape.key" "$T/tools/creds/scrape_key"
echo token >"$T/tools/creds/minio_token"
retarget() { sed -e "s|/etc/kiln/tls/|$T/tools/|g" -e "s|/run/credentials/[^/]*/|$T/tools/creds/|g" \
	-e "s|/etc/prometheus/kiln-rules.yml|$R/etc/prometheus/kiln-rules.yml|" "$1"; }
retarget "$R/etc/prometheus/prometheus.yml" >"$T/tools/prometheus.yml"
check "promtool check config accepts prometheus.yml (rules included)" promtool check config "$T/tools/prometheus.yml"
check "promtool check rules accepts kiln-rules.yml" promtool check rules "$R/etc/prometheus/kiln-rules.yml"
check "amtool check-config accepts alertmanager.yml" amtool check-config "$R/etc/prometheus/alertmanager.yml"
for w in "$R/etc/kiln/monitoring/prometheus-web.yml" "$T/r/db1/etc/kiln/monitoring/node-exporter-web.yml" \
	 "$T/r/db1/etc/kiln/monitoring/mysqld-exporter-web.yml"; do
	retarget "$w" >"$T/tools/web.yml"
	check "promtool check web-config accepts $(basename "$w")" promtool check web-config "$T/tools/web.yml"
done
mkdir -p "$T/rules" && cp "$ROOT/tests/monitoring/kiln-rules.test.yml" "$R/etc/prometheus/kiln-rules.yml" "$T/rules/"
check_output "promtool test rules: every alert rule fires when it should, and only then" 'SUCCESS' \
	promtool test rules "$T/rules/kiln-rules.test.yml"
check "without backup: no backup rules" bash -c "! grep -q 'alert: Backup' '$R/etc/prometheus/kiln-rules.yml'"
# With backup: (docs/backup.md#alerts) the backup rules, limits from the schedule.
{ cat "$P"; printf 'backup: {full: daily, binlog_minutes: 5}\n'; } >"$T/backup.yaml"
check "render minio1 of a profile with backup:" "$KILN" render "$T/backup.yaml" --host minio1 --out "$T/r/backup"
check "promtool check rules accepts it" promtool check rules "$T/r/backup/etc/prometheus/kiln-rules.yml"
mkdir -p "$T/brules" && cp "$ROOT/tests/monitoring/kiln-backup-rules.test.yml" "$T/r/backup/etc/prometheus/kiln-rules.yml" "$T/brules/"
check_output "promtool test rules: a failed or overdue backup alerts, a fresh one does not" 'SUCCESS' \
	promtool test rules "$T/brules/kiln-backup-rules.test.yml"
{ cat "$P"; printf 'backup: {full: hourly, binlog_minutes: 1}\n'; } >"$T/backup2.yaml"
"$KILN" render "$T/backup2.yaml" --host minio1 --out "$T/r/backup2" 2>/dev/null
check "hourly full backups, binary logs every minute: limits 2 h and 7 min" \
	grep -q 'kind="full"} > 7200 or time() - kiln_backup_last_run_timestamp_seconds{kind="binlogs"} > 420$' "$T/r/backup2/etc/prometheus/kiln-rules.yml"
# With lb hosts (profiles/examples/balanced.yaml; docs/lb.md#monitoring): the
# haproxy job promtool reads, its rules' unit tests, and HAProxy's metrics port
# on the lb hosts open to the monitoring host (db1) alone.
B=$ROOT/profiles/examples/balanced.yaml
for h in db1 lb1 app1; do "$KILN" render "$B" --host $h --out "$T/r/lb-$h" 2>/dev/null || not_ok "render balanced $h"; done
RB=$T/r/lb-db1
sed -e "s|/etc/kiln/tls/|$T/tools/|g" -e "s|/run/credentials/[^/]*/|$T/tools/creds/|g" \
	-e "s|/etc/prometheus/kiln-rules.yml|$RB/etc/prometheus/kiln-rules.yml|" "$RB/etc/prometheus/prometheus.yml" >"$T/tools/lb-prometheus.yml"
check "lb hosts: promtool check config accepts prometheus.yml with the haproxy job" promtool check config "$T/tools/lb-prometheus.yml"
check_output "lb hosts: the haproxy job scrapes each lb host's own address" "^'10\.70\.1\.5:8405' '10\.70\.1\.6:8405' \$" \
	bash -c "sed -n '/job_name: haproxy/,/job_name:/s/.*targets: \[\(.*\)\]/\1/p' '$RB/etc/prometheus/prometheus.yml' | tr '\n' ' '"
mkdir -p "$T/lbrules" && cp "$ROOT/tests/monitoring/kiln-lb-rules.test.yml" "$RB/etc/prometheus/kiln-rules.yml" "$T/lbrules/"
check_output "promtool test rules: HAProxy down, an app host down as HAProxy sees it, none left" 'SUCCESS' \
	promtool test rules "$T/lbrules/kiln-lb-rules.test.yml"
check "no lb host: no HAProxy rules" bash -c "! grep -q 'alert: LoadBalancer' '$R/etc/prometheus/kiln-rules.yml'"
check_output "lb1 lets only db1 reach HAProxy's metrics" '^10\.70\.2\.10$' bash -c \
	"sed -n '/set tcp_8405_from/,/}/s/.*elements = { \(.*\) }/\1/p' '$T/r/lb-lb1/etc/nftables.conf'"
check "app1 does not open 8405" bash -c "! grep -q 8405 '$T/r/lb-app1/etc/nftables.conf'"
if [ "$(id -u)" = 0 ] || unshare -rn true 2>/dev/null; then
	check "nft -c accepts lb1's ruleset with the metrics flow" unshare -rn nft -c -f "$T/r/lb-lb1/etc/nftables.conf"
fi
# Without a replica, no replication rules; without receivers, none in Alertmanager.
sed -e '/replica_of/s/, replica_of: db1//' -e '/^  receivers:/,/^  smtp:/{/^  smtp:/!d}' -e '/^  smtp:/,/^    from:/d' "$P" >"$T/plain.yaml"
"$KILN" render "$T/plain.yaml" --host minio1 --out "$T/r/plain" 2>/dev/null
check "no replica: no replication rules" bash -c "! grep -q Replication '$T/r/plain/etc/prometheus/kiln-rules.yml'"
check "no receivers: Alertmanager keeps the alerts (amtool accepts it)" amtool check-config "$T/r/plain/etc/prometheus/alertmanager.yml"
for h in app1 db1 db2 minio1; do
	if [ "$(id -u)" = 0 ] || unshare -rn true 2>/dev/null; then
		check "nft -c accepts $h's ruleset with the derived flows" unshare -rn nft -c -f "$T/r/$h/etc/nftables.conf"
	fi
done
check_output "db1 lets only minio1 reach its exporters" '^192\.168\.60\.215$' bash -c \
	"sed -n '/set tcp_9104_from/,/}/s/.*elements = { \(.*\) }/\1/p' '$T/r/db1/etc/nftables.conf'"
check_output "minio1 takes logs from every other host" '^192\.168\.60\.200, 192\.168\.60\.210, 192\.168\.60\.211$' bash -c \
	"sed -n '/set tcp_19532_from/,/}/s/.*elements = { \(.*\) }/\1/p' '$R/etc/nftables.conf'"
check_output "the status page only from the admin subnet" '^192\.168\.60\.0/26$' bash -c \
	"sed -n '/set tcp_9090_from/,/}/s/.*elements = { \(.*\) }/\1/p' '$R/etc/nftables.conf'"

# --- kiln secrets init: the CA and every certificate, as units
check_output "secrets init: a certificate per host, Prometheus' and the operator's" \
	'monitoring/hosts/app1.pem: generated.*monitoring/hosts/minio1.pem: generated.*monitoring/scrape.pem: generated.*monitoring/operator.pem: generated' \
	bash -c "tr '\n' ' ' < '$T/secrets.out'"
check_output "secrets init: the exporter's and MinIO users' secrets" 'mysql_exporter_password: generated.*minio_metrics_access_key: generated.*minio_archive_secret_key: generated' \
	bash -c "tr '\n' ' ' < '$T/secrets.out'"
check_output "keys are 0600 in a 0700 directory" '^600 600 600 700$' bash -c \
	"stat -c %a '$S/monitoring/hosts/db1.key' '$S/monitoring/scrape.key' '$S/monitoring/operator.key' '$S/monitoring'| tr '\n' ' ' | sed 's/ \$//'"
check "openssl: db1's certificate comes from the CA and names db1 and its address" bash -c \
	"openssl verify -CAfile '$S/ca.pem' '$S/monitoring/hosts/db1.pem' && openssl x509 -in '$S/monitoring/hosts/db1.pem' -noout -ext subjectAltName | grep -q 'DNS:db1.watch.internal, DNS:db1, IP Address:192.168.60.210'"
check_output "openssl: Prometheus' certificate is for client use only" 'TLS Web Client Authentication$' \
	openssl x509 -in "$S/monitoring/scrape.pem" -noout -ext extendedKeyUsage
check_output "openssl: a host's certificate is for server use only" 'TLS Web Server Authentication$' \
	openssl x509 -in "$S/monitoring/hosts/db1.pem" -noout -ext extendedKeyUsage
check_output "second run keeps everything" '^monitoring/hosts/db1.pem: kept$' "$KILN" secrets init "$P" --state "$S"
# The profile moves db2: its certificate no longer names it.
sed 's/address: 192.168.60.211,/address: 192.168.60.212,/' "$P" >"$T/moved.yaml"
check_fails "a host moved by the profile: its certificate is refused, with the repair" \
	"monitoring/hosts/db2.pem: the certificate does not name the host's address .*kiln secrets init .*--repair" \
	"$KILN" secrets init "$T/moved.yaml" --state "$S"
check_output "--repair makes db2 a new certificate, keeps the others" '^monitoring/hosts/db2.pem: repaired \(new certificate\)$' \
	"$KILN" secrets init "$T/moved.yaml" --state "$S" --repair
check_output "... and the others are kept" '^monitoring/hosts/db1.pem: kept$' "$KILN" secrets init "$T/moved.yaml" --state "$S"
rm "$S/monitoring/scrape.pem"
check_fails "a partial unit is refused" 'monitoring/scrape.key exists without .*monitoring/scrape.pem' \
	"$KILN" secrets init "$T/moved.yaml" --state "$S"
"$KILN" secrets init "$T/moved.yaml" --state "$S" --repair >/dev/null
# A new CA (repair of a broken one) issues every certificate anew.
echo junk >"$S/ca.pem"
check_output "a repaired CA reissues every monitoring certificate" 'ca: repaired \(new CA\).*monitoring/hosts/db1.pem: repaired \(new certificate from the new CA\)' \
	bash -c "'$KILN' secrets init '$T/moved.yaml' --state '$S' --repair | tr '\n' ' '"
check "... which the new CA signed" openssl verify -CAfile "$S/ca.pem" "$S/monitoring/hosts/db1.pem" "$S/monitoring/scrape.pem"

# --- seeds: each host its own key; the monitoring host Prometheus' and the metrics user
for h in app1 db1 minio1; do "$KILN" seed "$T/moved.yaml" --host $h --out "$T/$h.seed" --state "$S" 2>/dev/null || not_ok "seed $h"; done
check_output "db1's seed: CA, its certificate, its key, the exporter's password" \
	'file: ca.pem .*file: host.pem .*secrets \(sealed, values not shown\): mysql_root_password mysql_app_password mysql_replication_password mysql_exporter_password host_tls_key$' \
	bash -c "'$KILN' seed --inspect '$T/db1.seed' | tr '\n' ' ' | sed 's/ signed by.*//'"
check_output "minio1's seed also carries Prometheus' certificate and the metrics user" \
	'file: scrape.pem .*minio_metrics_access_key minio_metrics_secret_key minio_archive_access_key minio_archive_secret_key host_tls_key scrape_tls_key$' \
	bash -c "'$KILN' seed --inspect '$T/minio1.seed' | tr '\n' ' ' | sed 's/ signed by.*//'"
check "app1's seed has no MinIO or scrape secret" bash -c "! '$KILN' seed --inspect '$T/app1.seed' | grep -E 'minio_metrics|scrape'"

# --- no secret value in anything printed or written that is public
leaks=0
for f in "$S"/secrets/* "$S"/monitoring/*.key "$S"/monitoring/hosts/*.key; do
	v=$(sed -n 2p "$f"); [ -n "$v" ] && [ "${v#-----}" = "$v" ] || v=$(cat "$f")
	for out in "$T"/*.seed "$T"/secrets.out "$T"/model.json; do
		grep -aqF -- "$v" "$out" && { echo "# $(basename "$f") in $(basename "$out")"; leaks=1; }
	done
	grep -raqF -- "$v" "$T/r" && { echo "# $(basename "$f") in a rendered file"; leaks=1; }
done
check "no secret or key in seeds, outputs or rendered files" test $leaks = 0
