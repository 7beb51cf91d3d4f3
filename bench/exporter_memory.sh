#!/usr/bin/env bash
# The node exporter's memory after bursts of scrapes, with and without a
# GOMEMLIMIT (issue 12's 64 MiB per host for the agents; the drop-in's
# GO_AGENT_ENV in profiles/render_monitoring.c). Both run side by side with
# kiln's settings: GOGC=50, a TLS web config that asks for a client
# certificate of a throwaway CA, the systemd collector off. Each gets five
# bursts of eight scrapes at once (curl --compressed, as Prometheus asks
# gzip), then four single scrapes 5 s apart; printed: RssAnon after the
# bursts, then VmRSS, RssAnon, RssFile at the end (KiB).
#   usage: bench/exporter_memory.sh [EXPORTER [LIMIT]]
# EXPORTER defaults to /usr/bin/prometheus-node-exporter (pass trixie's,
# e.g. from `dpkg-deb -x` of its .deb, to measure what the images run);
# LIMIT defaults to 10MiB.
set -u
B=${1:-/usr/bin/prometheus-node-exporter}
LIMIT=${2:-10MiB}
T=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj /CN=ca -days 2 2>/dev/null
key server; key client
printf 'subjectAltName=IP:127.0.0.1\n' > san
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
printf 'tls_server_config:\n  cert_file: %s/server.pem\n  key_file: %s/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: %s/ca.pem\n' \
	"$T" "$T" "$T" > web.yml
mkdir textfile
scrape() { curl -s --compressed --cacert ca.pem --cert client.pem --key client.key "https://127.0.0.1:$1/metrics" >/dev/null; }
one() { # PORT LABEL [ENV...]: run, scrape, print
	local port=$1 label=$2; shift 2
	env GOGC=50 "$@" "$B" --web.listen-address=127.0.0.1:$port --web.config.file=web.yml --no-collector.systemd \
		--collector.textfile.directory=textfile >/dev/null 2>&1 &
	local pid=$! r i pids
	sleep 2
	for r in 1 2 3 4 5; do
		pids=""; for i in 1 2 3 4 5 6 7 8; do scrape $port & pids+=" $!"; done; wait $pids
	done
	local burst; burst=$(awk '/^RssAnon/ {print $2}' /proc/$pid/status)
	for i in 1 2 3 4; do sleep 5; scrape $port; done
	printf '%-22s after the bursts RssAnon %6s; at the end %s\n' "$label" "$burst" \
		"$(awk '/^(VmRSS|RssAnon|RssFile)/ {printf "%s %s ", $1, $2}' /proc/$pid/status)"
	kill $pid
}
"$B" --version 2>&1 | head -1
one 19310 "no limit" > a.out & one 19311 "GOMEMLIMIT=$LIMIT" GOMEMLIMIT=$LIMIT > b.out & wait
cat a.out b.out
