#!/usr/bin/env bash
# The lb role on loopback: real HAProxy with the haproxy.cfg kiln renders for
# a profile whose hosts are on 127.0.77.x, in front of two stand-in app hosts
# (TLS on 443 with the certificate `kiln secrets init` issued, as nginx on an
# app host serves it; tests/fixtures/lb/backend.py). Requests through HAProxy
# reach both; one app host killed, HAProxy's health check marks it down and
# requests keep succeeding; the same with TLS passed through. With
# monitoring, HAProxy's metrics frontend (port 8405) answers /metrics over TLS
# to Prometheus' client certificate only, and shows the app host it marked
# down. Then the
# firewall kiln renders for lb profiles (nft -c), keepalived.conf (keepalived
# -t) and the profile's refusals at FILE:LINE:COLUMN.
. "$(dirname "$0")/../lib.sh"
D=$ROOT/$KILN_BUILD/drivers/lb_role
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

profile() { # TLS-MODE [monitoring]
	cat <<EOF
kiln: 1
deployment: {name: lbt, domain: lbt.lan}
subnets:
  - {name: lo, cidr: 127.0.77.0/24}
  - {name: admin, cidr: 10.9.0.0/24}
hosts:
  - {name: lb1, role: lb, subnet: lo, address: 127.0.77.5}
  - {name: app1, role: app, subnet: lo, address: 127.0.77.11}
  - {name: app2, role: app, subnet: lo, address: 127.0.77.12}
ssh: {allow_from: [admin]}
roles:
  app: {service: {exec: /usr/bin/true, port: 8000}}
  lb: {tls: $1, health_check: /healthz}
EOF
	if [ -n "${2:-}" ]; then echo 'monitoring: {host: app2}'; fi
}
profile terminate monitoring >"$T/p.yaml"
S=$T/state
"$KILN" keys init "$T/p.yaml" --state "$S" >/dev/null 2>&1 && "$KILN" secrets init "$T/p.yaml" --state "$S" >/dev/null 2>&1 ||
	{ not_ok "kiln keys/secrets init"; exit 1; }
check "kiln check accepts the lb profile" "$KILN" check "$T/p.yaml"
cat "$S/tls_cert.pem" "$S/secrets/tls_key" >"$T/bundle.pem" && chmod 0600 "$T/bundle.pem"
# the metrics frontend's: lb1's certificate from the deployment CA and its key (role_lb writes it so)
cat "$S/monitoring/hosts/lb1.pem" "$S/monitoring/hosts/lb1.key" >"$T/metrics.pem" && chmod 0600 "$T/metrics.pem"
check_output "the app certificate names the lb host's address (clients reach it)" 'IP Address:127\.0\.77\.5' \
	openssl x509 -in "$S/tls_cert.pem" -noout -ext subjectAltName

for i in 1 2; do
	/usr/bin/python3 "$ROOT/tests/fixtures/lb/backend.py" 127.0.77.1$i app$i "$S/tls_cert.pem" "$S/secrets/tls_key" "$T/sick-app$i" &
	PIDS+=($!)
	eval "BACKEND$i=$!"
done
up() { curl -sf --max-time 2 --cacert "$S/ca.pem" "https://$1/healthz" >/dev/null; }
for _ in $(seq 50); do up 127.0.77.11 && up 127.0.77.12 && break; sleep 0.2; done
check "stand-in app hosts answer TLS with the deployment's certificate" up 127.0.77.12

HAPROXY_PID=
start_haproxy() { # MODE [monitoring]
	[ -n "$HAPROXY_PID" ] && kill "$HAPROXY_PID" 2>/dev/null && wait "$HAPROXY_PID" 2>/dev/null
	profile "$1" "${2:-}" >"$T/p.yaml"
	"$D" "$T/p.yaml" lb1 haproxy "$T/bundle.pem" "$S/ca.pem" "$T/admin.sock" "$T/metrics.pem" >"$T/haproxy.cfg" || return 1
	haproxy -c -q -f "$T/haproxy.cfg" || return 1
	haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
	HAPROXY_PID=$!
	PIDS+=($HAPROXY_PID)
	for _ in $(seq 50); do [ "$(server_state app1)" = UP ] && [ "$(server_state app2)" = UP ] && return 0; sleep 0.2; done
	return 1
}
server_state() { # NAME: HAProxy's view of an app host (UP, DOWN, ...)
	echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/admin.sock" 2>/dev/null |
		awk -F, -v s="$1" '$1 == "app" && $2 == s { print $18 }'
}
fetch() { curl -sf --max-time 3 --cacert "$S/ca.pem" "https://127.0.77.5/"; }
served_by_both() { # every request answered; both app hosts among the answers
	local out=
	for _ in 1 2 3 4 5 6; do out+=$(fetch) || return 1; done
	[[ $out == *app1* && $out == *app2* ]]
}
all_from() { # NAME: every request answered, by NAME
	for _ in 1 2 3 4 5 6; do [ "$(fetch)" = "$1" ] || return 1; done
}
down_then_requests() { # NAME ALIVE: wait for HAProxy to mark NAME down, then all requests go to ALIVE
	for _ in $(seq 50); do [ "$(server_state "$1")" = DOWN ] && break; sleep 0.2; done
	[ "$(server_state "$1")" = DOWN ] && all_from "$2"
}

check "terminate + monitoring: haproxy -c accepts the rendered haproxy.cfg, HAProxy starts, both app hosts UP" \
	start_haproxy terminate monitoring
# HAProxy's exporter (docs/lb.md#monitoring): TLS with lb1's certificate, Prometheus' client certificate only
metrics() { # [curl options]: the HTTP status; the body in $T/metrics.out
	curl -sS --max-time 3 --cacert "$S/ca.pem" -o "$T/metrics.out" -w '%{http_code}' "$@" https://127.0.77.5:8405/metrics
}
scrape() { metrics --cert "$S/monitoring/scrape.pem" --key "$S/monitoring/scrape.key"; }
check_output "metrics: Prometheus' client certificate gets /metrics (lb1's certificate verified)" '^200$' scrape
check "metrics: ... HAProxy's own" grep -q '^haproxy_process_start_time_seconds ' "$T/metrics.out"
check_output "metrics: both app hosts UP as HAProxy sees them" '^2$' \
	bash -c "grep -c '^haproxy_server_status{proxy=\"app\",server=\"app[12]\",state=\"UP\"} 1$' '$T/metrics.out'"
check_fails "metrics: no client certificate: refused" '.' metrics
check_output "metrics: the operator's certificate is accepted too" '^200$' \
	metrics --cert "$S/monitoring/operator.pem" --key "$S/monitoring/operator.key"
check_fails "metrics: a host's certificate (server use) is refused" '.' \
	metrics --cert "$S/monitoring/hosts/app1.pem" --key "$S/monitoring/hosts/app1.key"
check_output "metrics: nothing but /metrics is served" '^403$' \
	curl -sS --max-time 3 --cacert "$S/ca.pem" --cert "$S/monitoring/scrape.pem" --key "$S/monitoring/scrape.key" \
	-o /dev/null -w '%{http_code}' https://127.0.77.5:8405/stats
check_fails "metrics: no plain HTTP" '.' curl -sS --max-time 3 -f http://127.0.77.5:8405/metrics
check_output "terminate: HAProxy serves the deployment's certificate" 'subject=.*' \
	bash -c "openssl s_client -connect 127.0.77.5:443 -CAfile '$S/ca.pem' -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -subject"
check "terminate: requests through HAProxy reach both app hosts" served_by_both
touch "$T/sick-app1"
check "terminate: app1's health path answers 503: marked DOWN, requests go to app2" down_then_requests app1 app2
shows_down() { [ "$(scrape)" = 200 ] && grep -q '^haproxy_server_status{proxy="app",server="app1",state="DOWN"} 1$' "$T/metrics.out" &&
	grep -q '^haproxy_backend_active_servers{proxy="app"} 1$' "$T/metrics.out"; }
check "metrics: app1 DOWN as HAProxy sees it, one active server left" shows_down
rm -f "$T/sick-app1"
back_up() { for _ in $(seq 50); do [ "$(server_state "$1")" = UP ] && return 0; sleep 0.2; done; return 1; }
check "terminate: app1 well again: marked UP" back_up app1
check_output "terminate: port 80 sends clients to HTTPS" '^308 https://127\.0\.77\.5/x$' \
	curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://127.0.77.5/x
kill "$BACKEND2"; wait "$BACKEND2" 2>/dev/null
check "terminate: app2 killed: marked DOWN by the health check, requests keep succeeding (app1)" down_then_requests app2 app1
/usr/bin/python3 "$ROOT/tests/fixtures/lb/backend.py" 127.0.77.12 app2 "$S/tls_cert.pem" "$S/secrets/tls_key" "$T/sick-app2" &
BACKEND2=$!; PIDS+=($BACKEND2)
check "terminate: app2 back: marked UP again" back_up app2
check "terminate: ... both app hosts answer again" served_by_both

check "passthrough: rendered haproxy.cfg accepted, HAProxy starts, both app hosts UP" start_haproxy passthrough
check_output "passthrough: the TLS session is the app host's (HAProxy has no key)" 'no ssl crt' \
	bash -c "grep -q 'ssl crt' '$T/haproxy.cfg' || echo no ssl crt"
check "without monitoring: no metrics frontend" bash -c "! grep -qE 'frontend metrics|8405|prometheus-exporter' '$T/haproxy.cfg'"
check "passthrough: requests through HAProxy reach both app hosts" served_by_both
kill "$BACKEND1"; wait "$BACKEND1" 2>/dev/null
check "passthrough: app1 killed: marked DOWN, requests keep succeeding (app2)" down_then_requests app1 app2

# The firewall kiln renders for lb profiles, checked by nft itself.
nft_check() { if [ "$(id -u)" = 0 ]; then nft -c -f "$1"; else unshare -rn nft -c -f "$1"; fi; }
cat >"$T/two.yaml" <<'EOF'
kiln: 1
deployment: {name: two, domain: two.lan}
subnets:
  - {name: web, cidr: 10.60.1.0/24, gateway: 10.60.1.1}
  - {name: admin, cidr: 10.60.9.0/24}
hosts:
  - {name: lb1, role: lb, subnet: web, address: 10.60.1.5}
  - {name: lb2, role: lb, subnet: web, address: 10.60.1.6}
  - {name: app1, role: app, subnet: web, address: 10.60.1.11}
  - {name: app2, role: app, subnet: web, address: 10.60.1.12}
ssh: {allow_from: [admin]}
flows:
  - {from: {subnet: admin}, to: {role: app}, port: 443}
roles:
  app: {service: {exec: /usr/bin/true}}
  lb: {virtual_address: 10.60.1.10}
EOF
for h in lb1 lb2 app1; do
	check "two lb hosts: kiln render $h" "$KILN" render "$T/two.yaml" --host $h --out "$T/r2/$h"
	check "two lb hosts: nft -c accepts $h's ruleset" nft_check "$T/r2/$h/etc/nftables.conf"
done
check_output "two lb hosts: app1's web ports only from the lb hosts and the virtual address" \
	'elements = \{ 10\.60\.1\.5, 10\.60\.1\.6, 10\.60\.1\.10 \}' cat "$T/r2/app1/etc/nftables.conf"
check_output "two lb hosts: lb1 takes VRRP from lb2 only" 'ip protocol vrrp ip saddr 10\.60\.1\.6 counter' \
	cat "$T/r2/lb1/etc/nftables.conf"
check_output "two lb hosts: the admins' flow to the app's 443 ends on the lb hosts" 'tcp dport 443 ip saddr @tcp_443_from' \
	cat "$T/r2/lb2/etc/nftables.conf"
check "two lb hosts: ... and not on the app hosts" bash -c "! grep -q tcp_443 '$T/r2/app1/etc/nftables.conf'"
check "two lb hosts: keepalived -t accepts lb1's keepalived.conf (in a namespace with its NIC)" \
	unshare -n sh -c "ip link add kiln0 type veth peer name kiln1 && '$D' '$T/two.yaml' lb1 keepalived kiln0 >'$T/ka.conf' && keepalived -t -n -l -f '$T/ka.conf'"
cat >"$T/ext.yaml" <<'EOF'
kiln: 1
deployment: {name: ext, domain: ext.lan}
subnets:
  - {name: web, cidr: 10.60.1.0/24, gateway: 10.60.1.1}
hosts:
  - {name: app1, role: app, subnet: web, address: 10.60.1.11}
  - {name: app2, role: app, subnet: web, address: 10.60.1.12}
roles:
  app:
    service: {exec: /usr/bin/true}
    load_balancer: {external: [10.70.0.0/16]}
EOF
check "own balancer: kiln render app1" "$KILN" render "$T/ext.yaml" --host app1 --out "$T/re/app1"
check "own balancer: nft -c accepts app1's ruleset" nft_check "$T/re/app1/etc/nftables.conf"
check_output "own balancer: app1's web ports only from it" 'elements = \{ 10\.70\.0\.0/16 \}' cat "$T/re/app1/etc/nftables.conf"
check_output "own balancer: kiln check says so" '^app: behind your own load balancer: web ports 80, 443 only from cidr 10\.70\.0\.0/16$' \
	"$KILN" check "$T/ext.yaml"
check_output "two lb hosts: kiln check says what runs" \
	'^lb: lb1 and lb2, HAProxy ending TLS, health check GET / on each app host.s 443; keepalived moves virtual address 10\.60\.1\.10$' \
	"$KILN" check "$T/two.yaml"
check_output "two lb hosts: kiln check --json has roles.lb" '"lb":\{"tls":"terminate","virtual_address":"10\.60\.1\.10","health_check":"/"\}' \
	"$KILN" check --json "$T/two.yaml"

# Bad input: the profile's refusals at FILE:LINE:COLUMN, the renderer's.
sed 's/  lb: {virtual_address: 10.60.1.10}/  lb: {tls: passthrough}/' "$T/two.yaml" >"$T/novip.yaml"
check_fails "two lb hosts without virtual_address: FILE:LINE:COLUMN" 'novip.yaml:16:7: error: two hosts have role lb' \
	"$KILN" check "$T/novip.yaml"
sed 's/virtual_address: 10.60.1.10/virtual_address: 10.61.1.10/' "$T/two.yaml" >"$T/outside.yaml"
check_fails "virtual address outside the lb hosts' subnet" 'outside.yaml:16:25: error: .*outside subnet' \
	"$KILN" check "$T/outside.yaml"
profile offload >"$T/badtls.yaml"
check_fails "unknown roles.lb.tls" "badtls.yaml:[0-9]+:[0-9]+: error: unknown roles.lb.tls 'offload'" \
	"$KILN" check "$T/badtls.yaml"
check_fails "the renderer refuses an app host" 'not an lb host' "$D" "$T/p.yaml" app1 haproxy
check_fails "keepalived.conf for one lb host: refused" 'two lb hosts' "$D" "$T/p.yaml" lb1 keepalived eth0
check_fails "keepalived.conf with a bad interface name: refused" 'not an interface name' "$D" "$T/two.yaml" lb1 keepalived 'a b'

# Two lb hosts: keepalived with the keepalived.conf kiln renders, in two
# network namespaces joined by a veth pair (each with HAProxy on the
# haproxy.cfg kiln renders, the backup binding the virtual address it does
# not hold as role_lb's sysctl allows). lb1 (first, priority 150) holds the
# virtual address; its keepalived killed, lb2 takes it over, and HAProxy
# answers on it from there.
NA=kiln-lb-a-$$ NB=kiln-lb-b-$$
cleanup_ns() { ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null; }
trap 'cleanup; cleanup_ns' EXIT
cat >"$T/vrrp.yaml" <<'EOF'
kiln: 1
deployment: {name: vrrp, domain: vrrp.lan}
subnets:
  - {name: web, cidr: 10.77.0.0/24}
hosts:
  - {name: lb1, role: lb, subnet: web, address: 10.77.0.5}
  - {name: lb2, role: lb, subnet: web, address: 10.77.0.6}
  - {name: app1, role: app, subnet: web, address: 10.77.0.11}
roles:
  app: {service: {exec: /usr/bin/true}}
  lb: {virtual_address: 10.77.0.10, tls: passthrough}
EOF
# kiln-firstboot's lb role without a VM (--root DIR, service commands
# recorded with --no-services), from real seeds: the terminate seed carries
# the app certificate and its key, the bundle is root-only, haproxy.cfg is
# the renderer's, HAProxy is checked then started; with passthrough the seed
# carries no key; with two lb hosts keepalived is configured and started.
. "$ROOT/tests/fixtures/fb_host.sh"
fb_run() { "$KILN_FIRSTBOOT" run --root "$1" --no-services --datasource other --join-deadline 1 >/dev/null 2>&1; }
profile terminate >"$T/seed-t.yaml"
"$KILN" seed "$T/seed-t.yaml" --host lb1 --out "$T/lb1.seed" --state "$S" 2>/dev/null || not_ok "kiln seed lb1"
check_output "terminate: lb1's seed carries the app certificate's key" 'tls_key' "$KILN" seed --inspect "$T/lb1.seed" --state "$S"
R=$T/root-lb1; fb_mkroot "$R" "$S" lb "$T/lb1.seed"; fb_run "$R"
check_output "terminate: role step done" 'role +done +HAProxy ending TLS for the app hosts' fb_status "$R"
check_output "terminate: the certificate bundle is root-only" '^600$' stat -c %a "$R/etc/haproxy/kiln.pem"
check "terminate: the bundle is the seed's certificate and key" \
	bash -c "cat '$S/tls_cert.pem' '$S/secrets/tls_key' | cmp -s - '$R/etc/haproxy/kiln.pem'"
check "terminate: haproxy.cfg is the renderer's" bash -c "'$D' '$T/seed-t.yaml' lb1 haproxy | cmp -s - '$R/etc/haproxy/haproxy.cfg'"
check_output "terminate: HAProxy checked, enabled and started; no keepalived with one lb host" \
	'^haproxy -c -q -f /etc/haproxy/haproxy.cfg,systemctl enable --now haproxy.service,systemctl restart haproxy.service,$' \
	bash -c "grep -E '^(haproxy|systemctl .*(haproxy|keepalived))' '$R/var/lib/kiln/commands.log' | tr '\n' ','"
check "terminate: no keepalived.conf with one lb host" test ! -e "$R/etc/keepalived/keepalived.conf"
check "terminate: the deployment CA is there for checking the app hosts" cmp -s "$S/ca.pem" "$R/etc/kiln/tls/ca.pem"
check "terminate: no metrics pem without monitoring" test ! -e "$R/etc/haproxy/kiln-metrics.pem"
# With monitoring: the role writes the metrics frontend's pem from the seed's host certificate and key.
profile terminate monitoring >"$T/seed-m.yaml"
"$KILN" seed "$T/seed-m.yaml" --host lb1 --out "$T/lb1m.seed" --state "$S" 2>/dev/null || not_ok "kiln seed lb1 (monitoring)"
R=$T/root-lb1m; fb_mkroot "$R" "$S" lb "$T/lb1m.seed"; fb_run "$R"
check_output "monitoring: role step done" 'role +done +HAProxy ending TLS' fb_status "$R"
check_output "monitoring: the metrics pem is root-only" '^600$' stat -c %a "$R/etc/haproxy/kiln-metrics.pem"
check "monitoring: ... lb1's certificate and its key" \
	bash -c "cat '$S/monitoring/hosts/lb1.pem' '$S/monitoring/hosts/lb1.key' | cmp -s - '$R/etc/haproxy/kiln-metrics.pem'"
check "monitoring: haproxy.cfg is the renderer's, with the metrics frontend" bash -c \
	"'$D' '$T/seed-m.yaml' lb1 haproxy | cmp -s - '$R/etc/haproxy/haproxy.cfg' && grep -q '^frontend metrics$' '$R/etc/haproxy/haproxy.cfg'"

S2=$T/state2
"$KILN" keys init "$T/vrrp.yaml" --state "$S2" >/dev/null 2>&1 && "$KILN" secrets init "$T/vrrp.yaml" --state "$S2" >/dev/null 2>&1 &&
	"$KILN" seed "$T/vrrp.yaml" --host lb2 --out "$T/lb2.seed" --state "$S2" 2>/dev/null || not_ok "keys, secrets, seed for two lb hosts"
check "passthrough: lb2's seed carries no app key" bash -c "! '$KILN' seed --inspect '$T/lb2.seed' --state '$S2' | grep -q tls_key"
R=$T/root-lb2; fb_mkroot "$R" "$S2" lb "$T/lb2.seed"; fb_run "$R"
check_output "two lb hosts: role step done, sharing the virtual address" \
	'role +done +HAProxy passing through TLS for the app hosts; keepalived sharing 10\.77\.0\.10' fb_status "$R"
check "passthrough: no certificate bundle" test ! -e "$R/etc/haproxy/kiln.pem"
check "passthrough: the deployment CA is there for checking the app hosts" cmp -s "$S2/ca.pem" "$R/etc/kiln/tls/ca.pem"
check_output "two lb hosts: keepalived.conf for lb2 (priority 100, unicast to lb1)" 'unicast_peer \{' \
	cat "$R/etc/keepalived/keepalived.conf"
check_output "two lb hosts: HAProxy may bind the virtual address it does not hold" '^net\.ipv4\.ip_nonlocal_bind = 1$' \
	cat "$R/etc/sysctl.d/60-kiln-lb.conf"
check_output "two lb hosts: sysctl applied, keepalived enabled and started" \
	'sysctl -q -p /etc/sysctl.d/60-kiln-lb.conf,.*systemctl enable --now keepalived.service,systemctl restart keepalived.service,$' \
	bash -c "grep -E '^(sysctl|haproxy|systemctl .*(haproxy|keepalived))' '$R/var/lib/kiln/commands.log' | tr '\n' ','"

netns_up() {
	ip netns add "$NA" && ip netns add "$NB" &&
	ip link add kla netns "$NA" type veth peer name klb netns "$NB" &&
	ip -n "$NA" addr add 10.77.0.5/24 dev kla && ip -n "$NB" addr add 10.77.0.6/24 dev klb &&
	ip -n "$NA" link set kla up && ip -n "$NB" link set klb up &&
	ip -n "$NA" link set lo up && ip -n "$NB" link set lo up &&
	ip netns exec "$NA" sysctl -qw net.ipv4.ip_nonlocal_bind=1 && ip netns exec "$NB" sysctl -qw net.ipv4.ip_nonlocal_bind=1
}
vip_on() { ip -n "$1" -4 addr show dev "$2" | grep -q 'inet 10\.77\.0\.10/24'; }
wait_vip() { for _ in $(seq 50); do vip_on "$1" "$2" && return 0; sleep 0.2; done; return 1; }
if [ "$(id -u)" != 0 ]; then
	ok "# SKIP keepalived failover in network namespaces (needs root)"
elif ! netns_up; then
	not_ok "network namespaces with a veth pair"
else
	KA=()
	for x in "a $NA lb1 kla" "b $NB lb2 klb"; do
		set -- $x
		"$D" "$T/vrrp.yaml" "$3" haproxy "$T/bundle.pem" "$S/ca.pem" "$T/$1.sock" >"$T/$1-haproxy.cfg" &&
			"$D" "$T/vrrp.yaml" "$3" keepalived "$4" >"$T/$1-keepalived.conf" || not_ok "render $3's configuration"
		ip netns exec "$2" haproxy -db -f "$T/$1-haproxy.cfg" >"$T/$1-haproxy.log" 2>&1 &
		PIDS+=($!)
		ip netns exec "$2" keepalived -n -l -P -f "$T/$1-keepalived.conf" -p "$T/$1-ka.pid" -r "$T/$1-vrrp.pid" \
			>"$T/$1-keepalived.log" 2>&1 &
		KA+=($!); PIDS+=($!)
	done
	check "keepalived: lb1 (priority 150) holds the virtual address" wait_vip "$NA" kla
	vip_on "$NA" kla || sed 's/^/#   /' "$T/a-keepalived.log" "$T/b-keepalived.log" "$T/a-haproxy.log" | tail -30
	check "keepalived: ... and lb2 does not" bash -c "! ip -n '$NB' -4 addr show dev klb | grep -q 10.77.0.10"
	via_vip() { [ "$(ip netns exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://10.77.0.10/)" = 308 ]; }
	check "HAProxy answers on the virtual address (from lb2's side)" via_vip "$NB"
	kill "${KA[0]}"; wait "${KA[0]}" 2>/dev/null
	check "keepalived on lb1 killed: lb2 takes the virtual address" wait_vip "$NB" klb
	check "... lb1 no longer holds it" bash -c "! ip -n '$NA' -4 addr show dev kla | grep -q 10.77.0.10"
	check "HAProxy answers on the virtual address from lb2 now (from lb1's side)" via_vip "$NA"
	ip netns exec "$NA" keepalived -n -l -P -f "$T/a-keepalived.conf" -p "$T/a-ka.pid" -r "$T/a-vrrp.pid" \
		>>"$T/a-keepalived.log" 2>&1 &
	KA[0]=$!; PIDS+=($!)
	check "keepalived on lb1 back: lb1 (higher priority) takes the address back" wait_vip "$NA" kla
	gone_from() { for _ in $(seq 50); do vip_on "$1" "$2" || return 0; sleep 0.2; done; return 1; }
	check "... and lb2 gives it up" gone_from "$NB" klb
	# (a veth pair's link down takes the peer's carrier too, so lb1 goes silent instead)
	ip netns exec "$NA" nft -f - <<'EOF'
table inet silence {
	chain out {
		type filter hook output priority 0; policy drop;
	}
}
EOF
	check "lb1 silent (all it sends dropped, as a hung host): lb2 takes the address" wait_vip "$NB" klb
	check "keepalived logged no warning or unknown keyword" \
		bash -c "! grep -E 'Unknown keyword|WARNING' '$T/a-keepalived.log' '$T/b-keepalived.log'"
fi
