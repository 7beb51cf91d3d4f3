#!/usr/bin/env bash
# Monitoring against the real programs, on loopback (docs/monitoring.md):
#   - Debian's node exporter with the web configuration kiln renders answers
#     Prometheus' client certificate only: not a host's certificate (made
#     for server use), not a client without one;
#   - Debian's mysqld exporter, logged in to a private MariaDB with the
#     account kiln's SQL makes (PROCESS, SLAVE MONITOR), reports mysql_up 1
#     and the replication state; the account can do nothing else;
#   - systemd-journal-upload with a host's certificate sends a journal to
#     systemd-journal-remote with the monitoring host's, which refuses a
#     client that does not trust the deployment CA's server;
#   - the MinIO stand-in serves /minio/v2/metrics/cluster for kiln's bearer
#     token of the metrics user (registered through the admin API) and
#     refuses every other token as MinIO does; PyJWT reads kiln's token;
#   - kiln-firstboot archive-drops puts a day's kiln-drop lines of the central
#     journal into the bucket with the archive writer, who can do nothing else.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
D=$ROOT/$KILN_BUILD/drivers/monitoring
P=$ROOT/tests/profiles/fixtures/loopback.yaml
S=$T/state
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; mariadb_stop; s3_stop; rm -rf "$T"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 50); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# The loopback profile with monitoring on minio1 (127.0.1.3); db1 is 127.0.1.2.
{ sed '/^targets:/d' "$P"; printf 'monitoring:\n  host: minio1\n'; } >"$T/p.yaml"
"$KILN" keys init "$T/p.yaml" --state "$S" >/dev/null && "$KILN" secrets init "$T/p.yaml" --state "$S" >/dev/null ||
	{ not_ok "keys and secrets init"; exit 1; }
"$KILN" render "$T/p.yaml" --host db1 --out "$T/db1" 2>/dev/null
mkdir -p "$T/tls" "$T/creds"
cp "$S/ca.pem" "$T/tls/ca.pem"; cp "$S/monitoring/hosts/db1.pem" "$T/tls/host.pem"; cp "$S/monitoring/hosts/db1.key" "$T/creds/tls_key"
retarget() { sed -e "s|/etc/kiln/tls/|$T/tls/|g" -e "s|/run/credentials/[^/]*/|$T/creds/|g" "$1"; }

# --- the node exporter, with kiln's web configuration
retarget "$T/db1/etc/kiln/monitoring/node-exporter-web.yml" >"$T/node-web.yml"
NP=$(free_port)
prometheus-node-exporter --web.listen-address=127.0.1.2:$NP --web.config.file="$T/node-web.yml" --no-collector.systemd \
	--collector.textfile.directory="$T" >"$T/node.log" 2>&1 &
pids+=($!)
wait_port 127.0.1.2 $NP || { not_ok "node exporter starts"; cat "$T/node.log"; }
scrape() { curl -sS --max-time 10 --cacert "$S/ca.pem" -o "$T/scrape.out" -w '%{http_code}' "$@"; }
check_output "node exporter: Prometheus' client certificate gets metrics" '^200$' \
	scrape --cert "$S/monitoring/scrape.pem" --key "$S/monitoring/scrape.key" https://127.0.1.2:$NP/metrics
check "node exporter: ... real ones" grep -q '^node_filesystem_size_bytes' "$T/scrape.out"
check "node exporter: it speaks TLS with db1's certificate from the deployment CA" bash -c \
	"echo | openssl s_client -connect 127.0.1.2:$NP -CAfile '$S/ca.pem' -verify_ip 127.0.1.2 -verify_return_error \
	 -cert '$S/monitoring/scrape.pem' -key '$S/monitoring/scrape.key' 2>&1 | grep -q 'Verify return code: 0 (ok)'"
check_fails "node exporter: a host's certificate (server use) is refused" '.' \
	scrape --cert "$S/monitoring/hosts/app1.pem" --key "$S/monitoring/hosts/app1.key" https://127.0.1.2:$NP/metrics
check_fails "node exporter: no client certificate, no metrics" '.' scrape https://127.0.1.2:$NP/metrics
check_output "node exporter: the operator's certificate is accepted" '^200$' \
	scrape --cert "$S/monitoring/operator.pem" --key "$S/monitoring/operator.key" https://127.0.1.2:$NP/metrics
check_fails "node exporter: no plain HTTP" '.' curl -sS --max-time 5 -f http://127.0.1.2:$NP/metrics

# --- the mysqld exporter, with kiln's account on a real MariaDB
export KILN_SECRET_mysql_exporter_password
KILN_SECRET_mysql_exporter_password=$(cat "$S/secrets/mysql_exporter_password")
if mariadb_start "$T/db" >/dev/null; then
	check "exporter account: kiln's SQL runs (twice: idempotent)" bash -c \
		"'$D' exporter-sql | mariadb --no-defaults -S '$MARIADB_SOCKET' -uroot && '$D' exporter-sql | mariadb --no-defaults -S '$MARIADB_SOCKET' -uroot"
	check_output "exporter account: PROCESS and SLAVE MONITOR only, local only" \
		"^GRANT PROCESS, SLAVE MONITOR ON \*\.\* TO \`kiln_exporter\`@\`localhost\` IDENTIFIED BY PASSWORD '\*[0-9A-F]+' WITH MAX_USER_CONNECTIONS 3$" \
		mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -N -e "SHOW GRANTS FOR 'kiln_exporter'@'localhost'"
	(umask 077; "$D" exporter-cnf "$MARIADB_SOCKET" >"$T/creds/my.cnf")
	check_fails "exporter account: may not read the data" 'denied' \
		mariadb --defaults-file="$T/creds/my.cnf" -e 'SELECT user FROM mysql.user'
	mariadb --no-defaults -S "$MARIADB_SOCKET" -uroot -e "CHANGE MASTER TO MASTER_HOST='127.0.1.9', MASTER_USER='r', MASTER_PASSWORD='r', MASTER_CONNECT_RETRY=60"
	retarget "$T/db1/etc/kiln/monitoring/mysqld-exporter-web.yml" >"$T/mysqld-web.yml"
	MP=$(free_port)
	prometheus-mysqld-exporter --web.listen-address=127.0.1.2:$MP --web.config.file="$T/mysqld-web.yml" \
		--config.my-cnf="$T/creds/my.cnf" >"$T/mysqld.log" 2>&1 &
	pids+=($!)
	wait_port 127.0.1.2 $MP || { not_ok "mysqld exporter starts"; cat "$T/mysqld.log"; }
	check_output "mysqld exporter: logged in with kiln's account (TLS, Prometheus' certificate)" '^200$' \
		scrape --cert "$S/monitoring/scrape.pem" --key "$S/monitoring/scrape.key" https://127.0.1.2:$MP/metrics
	check "mysqld exporter: mysql_up 1" grep -q '^mysql_up 1$' "$T/scrape.out"
	check "mysqld exporter: replication seen (the alert rules' series)" \
		grep -q '^mysql_slave_status_slave_io_running{.*} 0$' "$T/scrape.out"
	check_fails "mysqld exporter: a host's certificate is refused" '.' \
		scrape --cert "$S/monitoring/hosts/db1.pem" --key "$S/monitoring/hosts/db1.key" https://127.0.1.2:$MP/metrics
else
	not_ok "a private MariaDB starts"
fi

# --- journal upload to journal-remote, both with the deployment's certificates
JP=$(free_port)
/lib/systemd/systemd-journal-remote --listen-https=127.0.1.3:$JP --key="$S/monitoring/hosts/minio1.key" \
	--cert="$S/monitoring/hosts/minio1.pem" --output="$T/remote/" --split-mode=host >"$T/remote.log" 2>&1 &
pids+=($!)
mkdir -p "$T/remote"
wait_port 127.0.1.3 $JP || { not_ok "journal-remote starts"; cat "$T/remote.log"; }
line=kiln-journal-$RANDOM$RANDOM
printf '__REALTIME_TIMESTAMP=1700000000000000\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=db1\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=kiln-drop: IN=ens192 SRC=127.0.9.9 %s\n\n' "$line" |
	/lib/systemd/systemd-journal-remote -o "$T/db1.journal" - 2>/dev/null
url=$(sed -n 's|^URL=https://127.0.1.3:19532$|https://127.0.1.3:'"$JP"'|p' "$T/db1/etc/systemd/journal-upload.conf.d/kiln.conf")
check "the rendered upload URL names the monitoring host's address" test -n "$url"
up_args=(--key="$S/monitoring/hosts/db1.key" --cert="$S/monitoring/hosts/db1.pem" --trust="$S/ca.pem" --file="$T/db1.journal")
timeout 20 /lib/systemd/systemd-journal-upload --url="$url" "${up_args[@]}" >"$T/upload.log" 2>&1
for _ in $(seq 50); do journalctl --file "$T/remote/*.journal" -o cat 2>/dev/null | grep -q "$line" && break; sleep 0.2; done
check_output "journal-upload with db1's certificate reaches journal-remote over TLS" "^kiln-drop: IN=ens192 SRC=127\.0\.9\.9 $line$" \
	journalctl --file "$T/remote/*.journal" -o cat
"$KILN" secrets init "$T/p.yaml" --state "$T/other" >/dev/null 2>&1 || "$KILN" keys init "$T/p.yaml" --state "$T/other" >/dev/null 2>&1
"$KILN" secrets init "$T/p.yaml" --state "$T/other" >/dev/null 2>&1
check_fails "journal-upload refuses a server the deployment CA did not certify" 'fail|certificate|SSL' \
	timeout 20 /lib/systemd/systemd-journal-upload --url="$url" --key="$S/monitoring/hosts/db1.key" \
	--cert="$S/monitoring/hosts/db1.pem" --trust="$T/other/ca.pem" --file="$T/db1.journal"

# --- MinIO's metrics with the metrics user's bearer token
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
export KILN_SECRET_minio_metrics_access_key KILN_SECRET_minio_metrics_secret_key
KILN_SECRET_minio_metrics_access_key=$(cat "$S/secrets/minio_metrics_access_key")
KILN_SECRET_minio_metrics_secret_key=$(cat "$S/secrets/minio_metrics_secret_key")
mkdir -p "$T/s3"
s3_start "$T/s3" || { not_ok "s3 stand-in starts"; exit 1; }
metrics() { curl -sS --max-time 10 -o "$T/m.out" -w '%{http_code}' "$@" "$S3_ENDPOINT/minio/v2/metrics/cluster"; }
now=$(date +%s)
token=$("$D" token "$now")
check_output "before the user exists, kiln's token is refused" '^403$' metrics -H "Authorization: Bearer $token"
check "the metrics user is registered through the admin API" "$D" register "$S3_ENDPOINT"
check "... idempotently" "$D" register "$S3_ENDPOINT"
check_output "kiln's token reads the metrics" '^200$' metrics -H "Authorization: Bearer $token"
check "... Prometheus' text format" grep -q '^minio_cluster_nodes_online_total 1$' "$T/m.out"
check_output "PyJWT verifies kiln's token: HS512, issuer prometheus, the metrics user, 100 years" \
	"^HS512 prometheus $KILN_SECRET_minio_metrics_access_key 3153600000$" /usr/bin/python3 -c 'import jwt, os, sys
t = sys.argv[1]; c = jwt.decode(t, os.environ["KILN_SECRET_minio_metrics_secret_key"], algorithms=["HS512"], issuer="prometheus")
print(jwt.get_unverified_header(t)["alg"], c["iss"], c["sub"], c["exp"] - int(sys.argv[2]))' "$token" "$now"
pyjwt() { /usr/bin/python3 -c 'import jwt, json, sys; print(jwt.encode(json.loads(sys.argv[1]), sys.argv[2], algorithm=sys.argv[3]))' "$@"; }
ak=$KILN_SECRET_minio_metrics_access_key sk=$KILN_SECRET_minio_metrics_secret_key
check_output "a token without a bearer prefix is read as MinIO reads it" '^200$' metrics -H "Authorization: $token"
check_output "a token of the root credential (mc admin prometheus generate's) is accepted" '^200$' \
	metrics -H "Authorization: Bearer $(pyjwt "{\"exp\":$((now + 60)),\"iss\":\"prometheus\",\"sub\":\"$S3_ROOT_USER\"}" "$S3_ROOT_PASSWORD" HS256)"
check_output "accessKey wins over sub" '^200$' \
	metrics -H "Authorization: Bearer $(pyjwt "{\"iss\":\"prometheus\",\"sub\":\"nobody\",\"accessKey\":\"$ak\"}" "$sk" HS384)"
check_output "no token: refused" '^403$' metrics
check "... as MinIO words it" grep -q '"Code":"AccessDenied"' "$T/m.out"
check_output "another issuer: refused" '^403$' metrics -H "Authorization: Bearer $(pyjwt "{\"iss\":\"minio\",\"sub\":\"$ak\"}" "$sk" HS512)"
check_output "no issuer: refused" '^403$' metrics -H "Authorization: Bearer $(pyjwt "{\"sub\":\"$ak\"}" "$sk" HS512)"
check_output "expired: refused" '^403$' metrics -H "Authorization: Bearer $(pyjwt "{\"exp\":$((now - 10)),\"iss\":\"prometheus\",\"sub\":\"$ak\"}" "$sk" HS512)"
check_output "not yet valid: refused" '^403$' metrics -H "Authorization: Bearer $(pyjwt "{\"nbf\":$((now + 600)),\"iss\":\"prometheus\",\"sub\":\"$ak\"}" "$sk" HS512)"
check_output "signed with another secret: refused" '^403$' metrics -H "Authorization: Bearer $(pyjwt "{\"iss\":\"prometheus\",\"sub\":\"$ak\"}" "wrong-secret-0123456789" HS512)"
check_output "an unknown user: refused" '^403$' metrics -H "Authorization: Bearer $(pyjwt "{\"iss\":\"prometheus\",\"sub\":\"NOSUCHUSER\"}" "$sk" HS512)"
check_output "alg none: refused" '^403$' metrics -H "Authorization: Bearer $(printf '%s.%s.' "$(printf '{"alg":"none"}' | basenc --base64url | tr -d =)" "$(printf '{"iss":"prometheus","sub":"%s"}' "$ak" | basenc --base64url | tr -d =)")"
# (the signature's middle: its last character's low bits are padding, ignored by Go's base64 as by Python's)
bad=${token:0:$((${#token} - 10))}$([ "${token: -10:1}" = A ] && echo B || echo A)${token: -9}
check_output "a tampered signature: refused" '^403$' metrics -H "Authorization: Bearer $bad"
# The app's key (a user without admin:Prometheus) cannot read metrics with a valid token.
export KILN_SECRET_minio_app_access_key=APPKEY0123456789ABCD KILN_SECRET_minio_app_secret_key=app-secret-$RANDOM$RANDOM
"$ROOT/$KILN_BUILD/drivers/minio_role" "$ROOT/profiles/examples/onprem.yaml" - register "$S3_ENDPOINT" >/dev/null 2>&1
check_output "a user whose policy lacks admin:Prometheus: refused" '^403$' \
	metrics -H "Authorization: Bearer $(pyjwt "{\"iss\":\"prometheus\",\"sub\":\"$KILN_SECRET_minio_app_access_key\"}" "$KILN_SECRET_minio_app_secret_key" HS512)"

# --- the daily archive of denied traffic
export KILN_SECRET_minio_archive_access_key KILN_SECRET_minio_archive_secret_key
KILN_SECRET_minio_archive_access_key=$(cat "$S/secrets/minio_archive_access_key" 2>/dev/null || echo ARCHIVEKEY0123456789)
KILN_SECRET_minio_archive_secret_key=$(cat "$S/secrets/minio_archive_secret_key" 2>/dev/null || echo archive-secret-$RANDOM$RANDOM-$RANDOM)
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
s3cmd_config "$T/archive.s3cfg" "$KILN_SECRET_minio_archive_access_key" "$KILN_SECRET_minio_archive_secret_key"
s3cmd -c "$T/root.s3cfg" mb s3://audit >/dev/null 2>&1
check "the archive writer is registered through the admin API" "$D" register-archive audit "$S3_ENDPOINT"
A=$T/mon
mkdir -p "$A/etc/kiln/monitoring" "$A/etc/kiln/secrets" "$A/var/log/journal/remote"
printf 'deployment=acme\narchive_bucket=audit\narchive_endpoint=%s\n' "$S3_ENDPOINT" >"$A/etc/kiln/monitoring/metrics.conf"
(umask 077; printf %s "$KILN_SECRET_minio_archive_access_key" >"$A/etc/kiln/secrets/minio_archive_access_key"
 printf %s "$KILN_SECRET_minio_archive_secret_key" >"$A/etc/kiln/secrets/minio_archive_secret_key")
entry() { printf '__REALTIME_TIMESTAMP=%s000000\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=%s\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=%s\n\n' "$@"; }
{ entry 1699919999 db1 "kiln-drop: IN=ens192 SRC=10.0.0.99 DPT=3306 on-the-13th"
  entry 1700000000 db1 "kiln-drop: IN=ens192 SRC=10.0.0.99 DPT=3306 on-the-14th"
  entry 1700000001 app1 "kiln-drop: IN=ens192 SRC=10.0.0.98 DPT=22 also-14th"
  entry 1700000002 app1 "not a drop line"; } | /lib/systemd/systemd-journal-remote -o "$A/var/log/journal/remote/remote-x.journal" - 2>/dev/null
check_output "archive-drops: the day's drop lines go to the bucket" 'archived 2 lines of denied traffic of 2023-11-14 to audit/kiln-drops/acme/2023-11-14.log.gz' \
	bash -c "'$KILN_FIRSTBOOT' archive-drops --root '$A' --day 2023-11-14 2>&1"
s3cmd -c "$T/root.s3cfg" get --force s3://audit/kiln-drops/acme/2023-11-14.log.gz "$T/day.gz" >/dev/null 2>&1
check_output "archive-drops: that day's kiln-drop lines of every host, nothing else" '^db1 .*on-the-14th app1 .*also-14th $' \
	bash -c "zcat '$T/day.gz' | sed 's/^[^ ]* //' | tr '\n' ' '"
check "archive-drops: a quiet day is archived too (empty)" bash -c \
	"'$KILN_FIRSTBOOT' archive-drops --root '$A' --day 2023-11-12 2>/dev/null && s3cmd -c '$T/root.s3cfg' get --force s3://audit/kiln-drops/acme/2023-11-12.log.gz '$T/quiet.gz' >/dev/null 2>&1 && test -z \"\$(zcat '$T/quiet.gz')\""
check_fails "archive-drops: the archive writer cannot read it back" 'AccessDenied|403' \
	s3cmd -c "$T/archive.s3cfg" get --force s3://audit/kiln-drops/acme/2023-11-14.log.gz "$T/x.gz"
check_fails "archive-drops: ... nor write elsewhere" 'AccessDenied|403' \
	s3cmd -c "$T/archive.s3cfg" put "$T/day.gz" s3://elsewhere-bucket/x
check_fails "archive-drops: a bad day is refused" "--day takes a date YYYY-MM-DD, not '2023-02-30'" \
	"$KILN_FIRSTBOOT" archive-drops --root "$A" --day 2023-02-30
sed -i '/^archive_/d' "$A/etc/kiln/monitoring/metrics.conf"
check_fails "archive-drops: a host without the archive says so" 'keeps no archive' "$KILN_FIRSTBOOT" archive-drops --root "$A"
