# The load balancer's checks of the multi-VM end-to-end tests
# (tests/e2e/deployment.sh, tests/e2e/scaled.sh): one lb host, lb1, with
# roles.lb.tls: terminate (HAProxy ending TLS with the deployment's
# certificate, docs/lb.md) in front of the app hosts app1 and app2. Sourced
# after tests/lib.sh and tests/e2e/vmnet.sh; the functions use the caller's
# IP (addresses by host name), S (the state directory: ca.pem), NS and T.

LB=lb1.acme.internal
# lb_curl ARGS...: curl from the namespace to the lb's address, TLS checked with the deployment's CA.
lb_curl() { nsx curl -sS --max-time 30 --cacert "$S/ca.pem" --resolve $LB:443:${IP[lb1]} "$@"; }
# lb_log: HAProxy's log (its standard output, in lb1's journal).
lb_log() { adm ${IP[lb1]} 'journalctl -u haproxy.service --no-pager -o cat'; }
# lb_backends: the app hosts HAProxy sent requests to, from its log ("app1 app2").
lb_backends() { lb_log | grep -ao ' app/app[12] ' | tr -d ' ' | sort -u | sed 's|app/||' | paste -sd' '; }

# lb_serves: the app answers through the lb's address over TLS checked with
# the deployment's CA, a client without the CA refuses the certificate, and
# HAProxy sends requests to both app hosts (10 requests, round robin).
lb_serves() {
	for _ in $(seq 60); do lb_curl -f -o /dev/null https://$LB/healthz 2>/dev/null && break; sleep 2; done
	check "the app answers /healthz through the lb (TLS: the deployment's certificate)" lb_curl -f -o /dev/null https://$LB/healthz
	check_output "the lb's certificate is checked against the deployment CA (a client without it refuses)" '^rc=60$' bash -c \
		"ip netns exec $NS curl -s --max-time 20 --resolve $LB:443:${IP[lb1]} -o /dev/null https://$LB/healthz; echo rc=\$?"
	for _ in $(seq 10); do lb_curl -f -o /dev/null https://$LB/healthz 2>/dev/null; done
	check_output "HAProxy sent requests to both app hosts (its log in the journal)" '^app1 app2$' lb_backends
}

# lb_state HOST: HAProxy's last word on the app host HOST (UP, DOWN; nothing before a change).
lb_state() { lb_log 2>/dev/null | grep -ao "Server app/$1 is [A-Z]*" | tail -1 | sed 's/.* //'; }
# lb_downs HOST: how many times HAProxy marked HOST DOWN.
lb_downs() { lb_log 2>/dev/null | grep -ac "Server app/$1 is DOWN"; }
# lb_failover HOST URL: the app host HOST loses power (its QEMU killed) once
# HAProxy holds both app hosts up (a test may have had them DOWN before: the
# app's /healthz fails while MariaDB is stopped); HAProxy marks HOST DOWN
# again and 20 of 20 requests for URL through the lb succeed.
lb_failover() {
	local h=$1 url=$2 t n0 good=0
	for _ in $(seq 60); do
		[ "$(lb_state app1)" != DOWN ] && [ "$(lb_state app2)" != DOWN ] && break
		sleep 2
	done
	n0=$(lb_downs "$h")
	power_cut "$h"
	t=$SECONDS
	for _ in $(seq 30); do [ "$(lb_downs "$h")" -gt "${n0:-0}" ] && break; sleep 1; done
	check "HAProxy marked $h DOWN ($((SECONDS - t)) s after its power-off)" test "$(lb_downs "$h")" -gt "${n0:-0}"
	for _ in $(seq 20); do lb_curl -f -o /dev/null "$url" 2>/dev/null && good=$((good + 1)); done
	check_output "$h off: 20 of 20 requests through the lb succeed" '^20$' echo $good
}
