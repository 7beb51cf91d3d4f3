#!/usr/bin/env bash
# tests/run: alone
# End to end, the whole deployment: four role images built by kiln, each
# booted under QEMU TCG with its own seed on a KILN_SEED medium, on a private
# network: a network namespace whose bridge joins the VMs' taps and whose
# router holds both subnets' gateways and the admin address 192.168.40.1.
# Nothing leaves the namespace. The app is the demo app as a container: an
# OCI archive made offline here (tests/fixtures/demo-container/build.sh),
# baked into the app image by kiln build, loaded by podman at first boot and
# run under systemd. Pass means the hosts configured themselves
# and joined: an HTTPS upload to the app (checked with the deployment's CA)
# lands as a row in MySQL and an object in the bucket; the container gets
# its environment exactly (a |url-encoded password in a URL included) and is
# restarted when it dies; systemd's EnvironmentFile= reads kiln's systemd
# syntax exactly (tests/fixtures/app_env_cases.sh); the firewall lets the
# app host reach 3306/9000 only, SSH only from the admin range, and a
# stranger's 3306 is dropped, counted and logged; monitoring works
# (tests/e2e/monitoring.sh: scrapes, an alert, central logs, exporter reach,
# the status page); no secret value appears in any console, journal, status
# file or what Prometheus holds. Fault cases on the way:
#   - db1 is powered on two minutes after the app host: the app waits, then joins;
#   - app1 loses power while its join is waiting: after the reboot it resumes
#     (finished steps are not redone) and completes;
#   - a fourth VM gets db1's seed with one byte changed (booted late, beside the
#     monitoring checks, not beside the first hosts): it refuses it and
#     says why on its console;
#   - db1's data disk already holds a kiln-data filesystem with a file on it:
#     it is kept, not formatted;
#   - disaster recovery (issue 13): db1 backs itself up to minio1 (a full
#     backup, then its binary logs shipped), is lost with a row written after
#     the shipment, and a replacement db1 (fresh OS disk, blank data disk, a
#     seed of the profile with backup.restore: latest) restores at first boot:
#     every shipped row is back, the lost one is not, the app serves again;
#     the RPO and RTO are printed. KILN_E2E_BACKUP=0 leaves backup: out of the
#     profile;
#   - db2, a replica of db1 (issue 14), is powered on only after the app has
#     written a row: it copies db1 and follows it (a row written later reaches
#     it), stays read-only (the app's own account is refused a write) and its
#     status says replicating;
#   - two app hosts behind a load balancer (issue 14): app2 and lb1 (the lb
#     role, HAProxy ending TLS with the deployment's certificate, 512 MiB) are
#     powered on with db2, after the first upload, not with the first three:
#     "deployment joined" and the first hosts' boot costs stay comparable
#     with earlier runs (bench/RESULTS.md), and their boots overlap db2's and
#     the replica checks instead of adding to the join. The app answers
#     through lb1's address over TLS checked with the deployment's CA (a
#     client without it refuses), HAProxy's log shows requests on both app
#     hosts, an upload through lb1 lands (row in MySQL, object in the
#     bucket); after monitoring (whose targets include both), app2 powered
#     off: HAProxy marks it DOWN and 20 of 20 requests through lb1 succeed.
#     With lb hosts the app hosts' 80 and 443 admit the lb hosts only
#     (docs/lb.md, "Firewall"): the admin address is dropped there, and the
#     test's requests straight to app1 (the uploads, the restart, restore.sh)
#     go through an SSH forward from the admin address, opened on app1
#     itself; TLS stays end to end between the test's curl and app1's nginx.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/qemu.sh"
. "$(dirname "$0")/vmnet.sh"
. "$(dirname "$0")/lb_lib.sh"
# Images carry the kiln-firstboot found next to the kiln that builds them:
# use the plain build (an ASan binary would need its runtime in the image).
KILN_IMG=$ROOT/build/kiln
[ -x "$KILN_IMG" ] || { not_ok "deployment: $KILN_IMG missing (make all)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "ok - deployment: needs root for network namespaces # SKIP"; exit 0; }
NS=kiln-e2e-$$ OUT=kiln-out-$$
DEADLINE=${KILN_E2E_DEPLOY_SECONDS:-1500}
cleanup() {
	for h in lb1 app1 app2 db1 db2 minio1; do ip netns exec $NS true 2>/dev/null && qemu_stop $h; done
	qemu_stop_all
	# Whatever still names this test's directory (a VM started through
	# `ip netns exec`, a fixture) goes too: no VM may outlive its test.
	pkill -KILL -f -- "$T/" 2>/dev/null
	ip netns del $NS 2>/dev/null; ip netns del $OUT 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# --- deployment: profile with the test's SSH key, keys, secrets, images, seeds
ssh-keygen -q -t ed25519 -N '' -C kiln-e2e -f "$T/id" || { not_ok "ssh-keygen"; exit 1; }
P=$T/deployment.yaml S=$T/state IMG=$T/images
sed "s|@SSH_KEY@|$(cat "$T/id.pub")|" "$ROOT/tests/profiles/fixtures/deployment.yaml" > "$P"
# KILN_E2E_MONITORING=0: the same deployment without its monitoring: section (the last one of the
# fixture), images and seeds alike, and without tests/e2e/monitoring.sh: the other half of a
# with/without pair for monitoring's first-boot cost (bench/RESULTS.md).
MONITORING=${KILN_E2E_MONITORING:-1}
if [ "$MONITORING" = 0 ]; then
	sed -i '/^# Monitoring (docs\/monitoring.md)/,$d' "$P"
	check "without monitoring: the profile has no monitoring: section" bash -c "! grep -q '^monitoring:' '$P'"
fi
BACKUP=${KILN_E2E_BACKUP:-1}
if [ "$BACKUP" = 0 ]; then
	sed -i '/^# Backups of db1/,/^  binlog_minutes:/d' "$P"
	check "without backups: the profile has no backup: section" bash -c "! grep -q '^backup:' '$P'"
fi
check "keys init" "$KILN" keys init "$P" --state "$S"
check "secrets init" "$KILN" secrets init "$P" --state "$S"
[ "$BACKUP" = 0 ] || check "backup keys init (the operator's backup key pair)" "$KILN" backup keys init "$P" --state "$S"
bash "$ROOT/tests/fixtures/s3server/build-deb.sh" "$T/deb" >/dev/null
MINIO_DEB=$(ls "$T"/deb/*.deb)
# From a cold cache the roles' root filesystems are most of the build: about 70 s each, mostly
# one core's work, one after another inside kiln build. Three are built beside the demo
# container's and the app's (kiln rootfs --profile: kiln build's own cache keys), so both cores
# work and kiln build finds all four cached. Warm, each is a cache hit.
(
	"$KILN_IMG" rootfs mysql --profile "$P" >/dev/null &&
		"$KILN_IMG" rootfs minio --profile "$P" --artifact "minio=$MINIO_DEB" >/dev/null &&
		"$KILN_IMG" rootfs lb --profile "$P" >/dev/null
) >"$T/rootfs-beside.log" 2>&1 &
rootfs_pid=$!
check "the demo app's container archive, made offline (kiln rootfs, podman import and save)" \
	bash "$ROOT/tests/fixtures/demo-container/build.sh" "$KILN_IMG" "$T/demo-app.oci.tar"
check "the app's root filesystem (kiln rootfs app --profile)" "$KILN_IMG" rootfs app --profile "$P"
if wait "$rootfs_pid"; then ok "the mysql, minio and lb root filesystems, built beside them"
else not_ok "the mysql, minio and lb root filesystems, built beside them"; failed_output "$T/rootfs-beside.log"; fi
check "kiln build (lb, app with podman and the archive, mysql, minio)" "$KILN_IMG" build "$P" --target raw --state "$S" \
	--out "$IMG" --artifact "minio=$MINIO_DEB"
echo "# the images built in $SECONDS s (root filesystems, the demo container, kiln build)"
for h in lb1 app1 app2 db1 db2 minio1; do
	"$KILN" seed "$P" --host $h --out "$T/$h.seed" --state "$S" 2>/dev/null
	medium $h "$T/$h.seed"
done
# The tampered copy: one character of the sealed part changed.
/usr/bin/python3 - "$T/db1.seed" "$T/bad.seed" <<'PY'
import sys
s = open(sys.argv[1]).read()
i = s.index(";sealed=") + 8 + 40
open(sys.argv[2], "w").write(s[:i] + ("B" if s[i] == "A" else "A") + s[i + 1:])
PY
check "tampered seed differs from db1's" bash -c "! cmp -s '$T/bad.seed' '$T/db1.seed'"
medium bad "$T/bad.seed"
# db2's data disk is blank, as kiln build made it; db1's already carries our
# filesystem, with a file on it.
cp --sparse=always "$IMG/acme-mysql-data.raw" "$T/db2-data.raw"
mkfs.ext4 -q -F -L kiln-data "$IMG/acme-mysql-data.raw"
echo keep-me > "$T/marker"
debugfs -w -R "write $T/marker kiln-e2e-marker" "$IMG/acme-mysql-data.raw" >/dev/null 2>&1

# --- the wire: one bridge in a namespace; the namespace routes between subnets
vmnet_up && ip netns add $OUT || { not_ok "network namespaces"; exit 1; }
# A stranger on the app subnet that is not the app host.
nsx ip link add veth-out type veth peer name eth0 netns $OUT
nsx ip link set veth-out master br0 up
ip -n $OUT link set lo up; ip -n $OUT link set eth0 up
ip -n $OUT addr add 192.168.40.201/28 dev eth0
ip -n $OUT route add default via 192.168.40.193

cp --sparse=always "$IMG/acme-minio-data.raw" "$T/minio-data.raw"
cp --sparse=always "$IMG/acme-mysql-data.raw" "$T/db-data.raw"
t0=$SECONDS
start_vm app1 "$IMG/acme-app.raw" "" 52:54:00:4b:00:01
start_vm minio1 "$IMG/acme-minio.raw" "$T/minio-data.raw" 52:54:00:4b:00:03

# app1 finishes its own steps and waits in join for db1, which is still off.
qemu_wait app1 'waiting for db1 \(mysql\)' 600 && ok "app1: set up, now waiting in join for db1 (still off)"
# Power cut in the middle of the join, then power on again with the same disk.
power_cut app1
start_vm app1 "$IMG/acme-app.raw" "" 52:54:00:4b:00:01 keep
t_cycle=$(date +%s)
sleep $(( 120 - (SECONDS - t0) > 0 ? 120 - (SECONDS - t0) : 0 ))
echo "# db1 powered on $((SECONDS - t0)) s after the app host"
start_vm db1 "$IMG/acme-mysql.raw" "$T/db-data.raw" 52:54:00:4b:00:02

for h in db1 minio1 app1; do
	if qemu_wait $h 'kiln: [0-9]+/[0-9]+ steps done - deployment ready' $((DEADLINE - (SECONDS - t0))); then
		ok "$h: configured itself from its seed ($((SECONDS - t0)) s since the first power-on)"
	else
		not_ok "$h: not ready"
	fi
done
echo "# deployment joined after $((SECONDS - t0)) s under TCG"

declare -A IP=([lb1]=192.168.40.198 [app1]=192.168.40.200 [app2]=192.168.40.202 [db1]=192.168.40.210
	[db2]=192.168.40.211 [minio1]=192.168.40.215)
for h in app1 db1 minio1; do   # sshd may still be starting when the agent reports
	for _ in $(seq 30); do adm ${IP[$h]} true 2>/dev/null && break; sleep 2; done
done
# answer FIELD FILE: a field of the app's JSON answer to an upload (id, object_key)
answer() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[2])).get(sys.argv[1], ""))' "$1" "$2" 2>/dev/null; }
# db_row HOST ID: the record's sha256 in HOST's MariaDB (over SSH from the admin range)
db_row() { adm ${IP[$1]} "mariadb -N -e 'SELECT sha256 FROM appdb.records WHERE id=$2'"; }
# object_size KEY: the object's size in the bucket (a HEAD with the app's credential, from app1)
object_size() {
	adm ${IP[app1]} "set -a; . /etc/kiln/app.env; python3 -c 'import boto3,os; s3=boto3.client(\"s3\",endpoint_url=os.environ[\"S3_ENDPOINT\"],aws_access_key_id=os.environ[\"S3_ACCESS_KEY\"],aws_secret_access_key=os.environ[\"S3_SECRET_KEY\"],region_name=\"us-east-1\"); print(s3.head_object(Bucket=\"uploads\",Key=\"$1\")[\"ContentLength\"])'"
}

# --- app1 straight, not through the lb: the app hosts' 80 and 443 admit the lb hosts only
# (docs/lb.md, "Firewall"), so the test goes through an SSH forward from the admin address,
# which app1's sshd opens on app1 itself; TLS stays end to end, checked with the deployment's CA.
check_output "the admin address cannot reach app1's 443 (the app hosts admit the lb host only): dropped" '^rc=28$' bash -c \
	"ip netns exec $NS curl -s --max-time 8 --interface 192.168.40.1 --cacert '$S/ca.pem' --resolve app1.acme.internal:443:${IP[app1]} -o /dev/null https://app1.acme.internal/healthz; echo rc=\$?"
if nsx ssh "${SSHO[@]}" -b 192.168.40.1 -f -N -o ExitOnForwardFailure=yes -L 127.0.0.1:8443:${IP[app1]}:443 \
	root@${IP[app1]} >/dev/null 2>"$T/forward.err"; then
	ok "an SSH forward from the admin address to app1's 443"
else
	not_ok "an SSH forward from the admin address to app1's 443"; sed 's/^/#   /' "$T/forward.err"
fi
app_curl() { nsx curl -sS --max-time 60 --cacert "$S/ca.pem" --connect-to app1.acme.internal:443:127.0.0.1:8443 "$@"; }

# --- the app works end to end, over TLS checked against the deployment's CA
for _ in $(seq 60); do app_curl -f -o /dev/null https://app1.acme.internal/healthz 2>/dev/null && break; sleep 2; done
if app_curl -f -o /dev/null https://app1.acme.internal/healthz 2>/dev/null; then
	ok "the app answers /healthz through nginx (both backends up)"
else
	not_ok "the app answers /healthz"
	adm ${IP[app1]} 'systemctl status kiln-app.service --no-pager; journalctl -u kiln-app.service --no-pager | tail -30' 2>&1 | sed 's/^/#   /'
fi
head -c 300000 /dev/urandom > "$T/blob"
want=$(sha256sum "$T/blob" | cut -d' ' -f1)
app_curl -F name=e2e -F "file=@$T/blob" https://app1.acme.internal/records > "$T/created.json" 2>"$T/curl.err"
id=$(answer id "$T/created.json")
[ -n "$id" ] && ok "https upload to the app created record $id" || { not_ok "https upload"; sed 's/^/#   /' "$T/created.json" "$T/curl.err"; }
app_curl -o "$T/back" "https://app1.acme.internal/records/${id:-0}/file" 2>/dev/null
check "the file comes back byte for byte" cmp "$T/back" "$T/blob"
# --- the replica: db2 is powered on now that a row exists (it must copy it, then follow db1);
# app2 and lb1 with it (why then: the header). The checks of app1, db1 and minio1 below run
# while the three boot.
t_db2=$SECONDS
start_vm db2 "$IMG/acme-mysql.raw" "$T/db2-data.raw" 52:54:00:4b:00:04
start_vm app2 "$IMG/acme-app.raw" "" 52:54:00:4b:00:05
VM_MEM=512 start_vm lb1 "$IMG/acme-lb.raw" "" 52:54:00:4b:00:06   # HAProxy needs little
check_output "the row is in MySQL (read on db1 over SSH from the admin range)" "^$want\$" db_row db1 "${id:-0}"
key=$(answer object_key "$T/created.json")
check_output "the object is in the bucket (HEAD with the app's credential)" '^300000$' object_size "$key"

# --- the app is the container kiln baked into the image, run by systemd
check_output "app1: the image was loaded from the baked archive" \
	'role +done +nginx serving TLS; image localhost/kiln-demo:e2e loaded from the image.s archive' \
	adm ${IP[app1]} 'kiln-firstboot status'
check "app1: the archive in the image matches its recorded sha256" \
	adm ${IP[app1]} 'cd /usr/share/kiln && sha256sum --quiet -c app-image.tar.sha256'
check_output "app1: kiln-app.service runs the container" '^active kiln-app localhost/kiln-demo:e2e$' \
	adm ${IP[app1]} 'echo "$(systemctl is-active kiln-app.service) $(podman ps --format "{{.Names}} {{.Image}}")"'
# Values reach the container as they are (no quotes), |url decodes back to the secret.
adm ${IP[app1]} 'podman exec kiln-app python3 -c "import os,sys; sys.stdout.write(os.environ[\"DB_PASSWORD\"] + \"\\0\" + os.environ[\"DB_URL\"])"' \
	> "$T/app-env" 2>/dev/null
check "app1: the container's DB_PASSWORD is the secret, without quotes" /usr/bin/python3 -c '
import sys
sys.exit(open(sys.argv[1], "rb").read().decode().split("\0")[0] != open(sys.argv[2]).read())' \
	"$T/app-env" "$S/secrets/mysql_app_password"
check "app1: its DB_URL's password decodes to the secret (|url)" /usr/bin/python3 -c '
import sys, urllib.parse
pw, url = open(sys.argv[1], "rb").read().decode().split("\0")
u = urllib.parse.urlsplit(url)
sys.exit(not (urllib.parse.unquote(u.password) == open(sys.argv[2]).read() == pw and u.hostname == "192.168.40.210"))' \
	"$T/app-env" "$S/secrets/mysql_app_password"
# systemd's own EnvironmentFile= reader (PID 1, through systemd-run) takes
# kiln's systemd syntax exactly, '$' and empty values included.
(
	. "$ROOT/tests/fixtures/app_env_cases.sh"
	env_cases_profile "$T/envcase.yaml" "{exec: /usr/bin/env}" '${secret.tls_key}'
	env "${env_cases_secrets[@]}" "$ROOT/$KILN_BUILD/drivers/app_env" "$T/envcase.yaml" env > "$T/envcase.env"
	env "${env_cases_secrets[@]}" bash -c "$(declare -f env_cases_expected); env_cases_expected 0" > "$T/envcase.want"
	adm ${IP[app1]} 'umask 077; cat > /run/kiln-envcase.env' < "$T/envcase.env"
	adm ${IP[app1]} 'systemd-run --quiet --wait --pipe -p EnvironmentFile=/run/kiln-envcase.env /usr/bin/env -0' \
		> "$T/envcase.got" 2>/dev/null
	check "app1: systemd's EnvironmentFile= reads kiln's systemd syntax exactly (quotes, \$, empty, a PEM)" \
		env_cases_compare "$T/envcase.want" "$T/envcase.got"
)

# The app's key reached MinIO through its admin API only (there is no other way in), with a
# policy that keeps it inside the profile's bucket.
check_output "minio1 registered the app's key through MinIO's admin API" 'role +done +MinIO running, 1 bucket\(s\) ready, app key registered' \
	adm ${IP[minio1]} 'kiln-firstboot status'
check_output "the app's key is refused outside its bucket (CreateBucket: AccessDenied)" '^AccessDenied$' adm ${IP[app1]} \
	"set -a; . /etc/kiln/app.env; python3 -c 'import boto3,botocore,os
s3=boto3.client(\"s3\",endpoint_url=os.environ[\"S3_ENDPOINT\"],aws_access_key_id=os.environ[\"S3_ACCESS_KEY\"],aws_secret_access_key=os.environ[\"S3_SECRET_KEY\"],region_name=\"us-east-1\")
try: s3.create_bucket(Bucket=\"not-the-apps\"); print(\"created\")
except botocore.exceptions.ClientError as e: print(e.response[\"Error\"][\"Code\"])'"
check_output "db1's data disk was kept, not formatted" '^keep-me$' adm ${IP[db1]} 'cat /var/lib/mysql/kiln-e2e-marker'
# The profile's suite (tests/profiles/fixtures/deployment.yaml): Debian 13 and its MariaDB.
for h in app1 db1 minio1; do
	check_output "$h runs Debian 13 (trixie)" '^13 trixie$' adm ${IP[$h]} '. /etc/os-release; echo "$VERSION_ID $VERSION_CODENAME"'
	check_output "$h's apt names trixie, -updates and -security" '^Suites: trixie-security$' \
		adm ${IP[$h]} 'cat /etc/apt/sources.list.d/debian.sources; test ! -e /etc/apt/sources.list'
	# An enable through systemd marks every unit "changed on disk" until the next reload, and each
	# systemctl an operator runs would warn about it: the agent enables client-side (agent_enable).
	# Asked of ssh.service, which the agent never touches (asking every unit takes ~15 s here).
	check_output "$h: after the first boot no enable left every unit \"changed on disk\" (NeedDaemonReload)" '^no$' \
		adm ${IP[$h]} 'systemctl show -p NeedDaemonReload --value ssh.service'
	# No role reloads at a first boot: systemd reads a unit it never loaded from disk when asked
	# (db1's and minio1's servers below; app1's kiln-app.service, written by the role). Read from
	# the console, which has every boot (app1's role ran before its power cut, whose journal a
	# power cut may lose).
	check_output "$h: its role made no daemon-reload" '^role: systemd sees every unit as written: no daemon-reload $' \
		bash -c "grep -aoE 'role: (systemd sees every unit as written: no daemon-reload|systemctl daemon-reload.*)' '$T/$h.log' | tr -d '\r' | sort -u | tr '\n' ' '"
done
# The server's data disk drop-in comes with the image, so systemd loaded the server's unit with it:
# this boot's server already needs its mount, and its unit is not "changed on disk" (when the agent
# wrote the drop-in at first boot, minio.service stayed so on minio1), and the role started it
# without a reload (checked above). fstab's mounts are, until the
# next boot (docs/firstboot.md).
for h in db1 minio1; do
	svc=mariadb.service mnt=/var/lib/mysql
	[ "$h" = minio1 ] && svc=minio.service mnt=/var/lib/minio
	check_output "$h: $svc not \"changed on disk\" after the first boot" '^no$' \
		adm ${IP[$h]} "systemctl show -p NeedDaemonReload --value $svc"
	# (/ too, for the unit's WorkingDirectory=)
	check_output "$h: the running $svc needs its data disk's mount (the image's drop-in)" "(^| )$mnt( |\$)" \
		adm ${IP[$h]} "systemctl show -p RequiresMountsFor --value $svc"
done
check_output "db1 runs MariaDB 11.8" '11\.8\.[0-9]+-MariaDB' adm ${IP[db1]} "mariadb -N -e 'SELECT VERSION()'"
check_output "db1's database has 11.8's collation" '^utf8mb4_uca1400_ai_ci$' adm ${IP[db1]} \
	"mariadb -N -e \"SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='appdb'\""
check_output "kiln-firstboot status on app1" 'join +done' adm ${IP[app1]} 'kiln-firstboot status'
# Restart on failure: the container's process killed, systemd starts it again.
adm ${IP[app1]} 'podman kill kiln-app' >/dev/null 2>&1
for _ in $(seq 60); do
	[ "$(adm ${IP[app1]} 'systemctl show -p NRestarts --value kiln-app.service' 2>/dev/null)" -ge 1 ] 2>/dev/null &&
		app_curl -f -o /dev/null https://app1.acme.internal/healthz 2>/dev/null && break
	sleep 3
done
check_output "app1: the killed container was restarted by systemd and answers again" '^[1-9]' \
	adm ${IP[app1]} 'systemctl show -p NRestarts --value kiln-app.service'
check "app1: ... through nginx" app_curl -f -o /dev/null https://app1.acme.internal/healthz
# Resumed, not redone: the role step finished before the power cut, the join after it.
adm ${IP[app1]} 'cat /var/lib/kiln/status.json' > "$T/app1.status" 2>/dev/null
upd() { /usr/bin/python3 -c 'import json,sys; print([s["updated"] for s in json.load(open(sys.argv[1]))["steps"] if s["name"]==sys.argv[2]][0])' "$T/app1.status" "$1" 2>/dev/null; }
check "app1 resumed after the power cut: role done before it (${t_cycle}), join after" \
	bash -c "[ '$(upd role)' -lt '$t_cycle' ] && [ '$(upd join)' -ge '$t_cycle' ]"
check_output "app1: each step recorded once" '^7$' bash -c "grep -c '\"name\"' '$T/app1.status'"
check "app1: after the power cycle the join waited for db1 again, then finished" \
	bash -c "tr -d '\r' < '$T/app1.log' | sed -n '/=== power cut ===/,\$p' | grep -aq 'waiting for db1'"


# What first boot cost each host (systemd-analyze, the role's server, kiln-firstboot's steps):
# asked only when a check above failed, or with KILN_E2E_DIAG=1. The answers cost the guests
# CPU the rest of the test shares (110-150 s of it while db2, app2 and lb1 boot);
# bench/monitoring_boot.sh takes these figures for bench/RESULTS.md.
diag_hosts="db1 minio1 app1"
[ "${KILN_E2E_DIAG:-0}" = 1 ] || [ "$NOT_OK" -gt 0 ] || diag_hosts=
for h in $diag_hosts; do
	echo "# $h: $(adm ${IP[$h]} "systemd-analyze time | head -1; systemd-analyze blame | grep kiln-firstboot | tr '\n' ' '" 2>/dev/null | tr '\n' ' ')"
	# the slowest units besides, and the role's server in the journal (when each start and stop
	# began and ended, s since boot): what the with/without pairs differ in beyond kiln's steps
	echo "# $h blame: $(adm ${IP[$h]} "systemd-analyze blame | grep -v kiln-firstboot | head -8 | sed 's/^ *//' | tr -s ' ' | tr '\n' ';'" 2>/dev/null)"
	echo "# $h server: $(adm ${IP[$h]} "journalctl -b -o short-monotonic --no-pager -u mariadb.service -u minio.service -u nginx.service 2>/dev/null | grep -E 'Start|Stop|Started|Stopped' | sed -E 's/^\[ *([0-9.]+)\] [^ ]+ [^ ]+ /\1 /' | cut -c1-70 | tr '\n' ';'" 2>/dev/null)"
	# Where kiln-firstboot's time went, step by step and phase by phase (status --json: each step's
	# start in s since the kernel booted, its time, and its phases' times).
	firstboot_steps ${IP[$h]} "$h  "
done

# --- the firewall, as the profile says
check "app1 reaches db1:3306" adm ${IP[app1]} "timeout 5 bash -c '</dev/tcp/${IP[db1]}/3306'"
check "app1 reaches minio1:9000" adm ${IP[app1]} "timeout 5 bash -c '</dev/tcp/${IP[minio1]}/9000'"
check_output "app1 cannot reach SSH on db1 (not in the admin range)" '^closed$' adm ${IP[app1]} \
	"timeout 5 bash -c '</dev/tcp/${IP[db1]}/22' 2>/dev/null && echo open || echo closed"
check "admin range reaches SSH on the data hosts (a new connection)" adm_new ${IP[minio1]} true
before=$(adm ${IP[db1]} "nft -j list counter inet filter input_drop" | /usr/bin/python3 -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])' 2>/dev/null)
check "a stranger on the app subnet cannot reach db1:3306" bash -c "! ip netns exec $OUT timeout 5 bash -c '</dev/tcp/${IP[db1]}/3306'"
after=$(adm ${IP[db1]} "nft -j list counter inet filter input_drop" | /usr/bin/python3 -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])' 2>/dev/null)
check "the stranger's packets were counted as drops (${before:-?} -> ${after:-?})" test "${after:-0}" -gt "${before:-0}"
check_output "and logged" 'kiln-drop: .*SRC=192\.168\.40\.201 .*DPT=3306' adm ${IP[db1]} 'journalctl -k --no-pager'

# --- the replica caught up and follows
if qemu_wait db2 'kiln: [0-9]+/[0-9]+ steps done - deployment ready' 600; then
	ok "db2: the replica configured itself ($((SECONDS - t_db2)) s after its power-on)"
else
	not_ok "db2: not ready"
fi
for _ in $(seq 30); do adm ${IP[db2]} true 2>/dev/null && break; sleep 2; done
check_output "db2 holds the row written before it existed (its copy of db1)" "^$want\$" db_row db2 "${id:-0}"
head -c 1000 /dev/urandom > "$T/blob2"
want2=$(sha256sum "$T/blob2" | cut -d' ' -f1)
app_curl -F name=e2e-replica -F "file=@$T/blob2" https://app1.acme.internal/records > "$T/created2.json" 2>/dev/null
id2=$(answer id "$T/created2.json")
for _ in $(seq 30); do
	[ "$(db_row db2 "${id2:-0}" 2>/dev/null)" = "$want2" ] && break
	sleep 1
done
check_output "a row written through the app after db2 joined reaches db2" "^$want2\$" db_row db2 "${id2:-0}"
# Replica lag under a steady write load (bench/RESULTS.md): 10 uploads back to back through the
# app while db2 samples its own Seconds_Behind_Master twice a second, until the last upload's row
# is on db2 (the test then leaves a marker the sampler stops at; 240 samples at most).
adm ${IP[db2]} 'rm -f /run/kiln-e2e-lag-stop; for i in $(seq 240); do [ -e /run/kiln-e2e-lag-stop ] && break
	mariadb -e "SHOW SLAVE STATUS\G" | sed -n "s/^ *Seconds_Behind_Master: //p"; sleep 0.5; done' \
	> "$T/db2-lag" 2>/dev/null &
lag_pid=$!
t_w=$SECONDS
for i in $(seq 10); do
	app_curl -F name=lag-$i -F "file=@$T/blob2" https://app1.acme.internal/records > "$T/lag.json" 2>/dev/null
done
t_last=$(date +%s.%N) id3=$(answer id "$T/lag.json") t_writes=$((SECONDS - t_w))
for _ in $(seq 60); do
	[ "$(adm ${IP[db2]} "mariadb -N -e 'SELECT COUNT(*) FROM appdb.records WHERE id=${id3:-0}'" 2>/dev/null)" = 1 ] && break
	sleep 0.5
done
t_seen=$(date +%s.%N)
adm ${IP[db2]} 'touch /run/kiln-e2e-lag-stop' 2>/dev/null
wait $lag_pid
echo "# replica lag: 10 writes through the app in $t_writes s; db2's Seconds_Behind_Master max $(sort -n "$T/db2-lag" | tail -1) s over $(wc -l < "$T/db2-lag") samples; the last row seen on db2 $(awk "BEGIN { printf \"%.1f\", $t_seen - $t_last }") s after its write returned (polled over SSH)"
rows() { adm "$1" "mariadb -N -e 'SELECT COUNT(*), MAX(id), SUM(CRC32(sha256)) FROM appdb.records'" 2>/dev/null; }
r1=$(rows ${IP[db1]}) r2=$(rows ${IP[db2]})
check "db2 holds every row db1 holds after the load ($r2 / $r1: rows, last id, checksum)" test -n "$r1" -a "$r1" = "$r2"
adm ${IP[db2]} 'kiln-firstboot status' > "$T/db2.status" 2>&1
check "db2's status: replication from db1, replicating" grep -Pzq 'replication:\n +primary +db1\n +state +replicating\n' "$T/db2.status"
check_output "db2's lag is reported" '^ +lag +[0-9]+ s$' cat "$T/db2.status"
check_output "db2 is read-only: the app's own account is refused a write (1290)" '^1290$' adm ${IP[app1]} \
	'podman exec kiln-app python3 -c "
import os, pymysql
c = pymysql.connect(host=\"192.168.40.211\", user=os.environ[\"DB_USER\"], password=os.environ[\"DB_PASSWORD\"], database=os.environ[\"DB_NAME\"])
try:
    c.cursor().execute(\"DELETE FROM records WHERE id < 0\"); c.commit(); print(\"written\")
except pymysql.err.MySQLError as e:
    print(e.args[0])"'

# --- two app hosts behind lb1: both watched at once, so each one's time is its own; a host
# whose agent gave up (its summary line names the failed step) is not waited for. The watch
# begins after the replica's checks: a host ready before then shows that time, an upper bound.
DEADLINE=900 wait_ready $t_db2 lb1 app2
lb_serves
head -c 20000 /dev/urandom > "$T/blob-lb"
want_lb=$(sha256sum "$T/blob-lb" | cut -d' ' -f1)
lb_curl -F name=e2e-lb -F "file=@$T/blob-lb" https://$LB/records > "$T/created-lb.json" 2>"$T/curl.err"
id_lb=$(answer id "$T/created-lb.json")
[ -n "$id_lb" ] && ok "https upload through the lb created record $id_lb" ||
	{ not_ok "https upload through the lb"; sed 's/^/#   /' "$T/created-lb.json" "$T/curl.err"; }
check_output "its row is in MySQL (db1)" "^$want_lb\$" db_row db1 "${id_lb:-0}"
key_lb=$(answer object_key "$T/created-lb.json")
check_output "its object is in the bucket" '^20000$' object_size "$key_lb"

# --- the tampered seed: a VM given db1's seed with one character changed refuses it before
# anything is configured. It boots now, beside the monitoring checks (which mostly wait on
# Prometheus' rule window), not beside the first three hosts, whose boots it would slow.
start_vm bad "$IMG/acme-mysql.raw" "" 52:54:00:4b:00:09

# --- monitoring: scrapes, alerts, central logs, exporter reach, status page
if [ "$MONITORING" != 0 ]; then
	. "$(dirname "$0")/monitoring.sh"
fi
if qemu_wait bad 'seed failed: seed from medium:.* refused: ' 600; then
	ok "tampered seed refused on the console: $(tr -d '\r' < "$T/bad.log" | grep -ao 'refused: [^;]*' | head -1)"
else
	not_ok "tampered seed refusal on the console"
fi
qemu_stop bad

# --- app2 powered off: the lb keeps serving from app1 (app2's journal kept for the secret scan)
adm ${IP[app2]} 'journalctl -b --no-pager; cat /var/lib/kiln/status.json' > "$T/app2.journal" 2>/dev/null
lb_failover app2 "https://$LB/records/${id_lb:-0}"

# db2's part ends here (its journal kept for the secret scan): the disaster recovery
# below replaces db1, which a replica of the lost primary would not follow.
adm ${IP[db2]} 'journalctl -b --no-pager; cat /var/lib/kiln/status.json' > "$T/db2.journal" 2>/dev/null
qemu_stop db2

# --- disaster recovery: db1 lost after its last shipment, rebuilt from the bucket
if [ "$BACKUP" != 0 ]; then
	. "$(dirname "$0")/restore.sh"
fi

# --- where the CPU went (bench/RESULTS.md): each VM's QEMU on the host, each host's own view
# (the hosts asked side by side: a new SSH connection to a busy guest takes seconds)
# With them, each host's journal and status for the secret scan below.
vm_cpu_report
end_pids=()
for h in lb1 app1 db1 minio1; do
	{
		guest_cpu ${IP[$h]} $h >"$T/$h.cpu-by-service"
		adm ${IP[$h]} 'journalctl -b --no-pager; cat /var/lib/kiln/status.json' > "$T/$h.journal" 2>/dev/null
	} &
	end_pids+=($!)
done
wait "${end_pids[@]}"
for h in lb1 app1 db1 minio1; do cat "$T/$h.cpu-by-service"; done

# --- no secret value in any console, journal or status file
leaks=0
for f in "$S"/secrets/* "$S"/monitoring/*.key "$S"/monitoring/hosts/*.key "$S"/backup.key; do
	[ -f "$f" ] || continue
	v=$(secret_value "$f") || continue
	for out in "$T"/*.log "$T"/*.journal "$T"/*.json; do
		grep -aqF -- "$v" "$out" && { echo "# secret $(basename "$f") found in $(basename "$out")"; leaks=1; }
	done
done
check "no secret value in consoles, journals, status files, Prometheus' targets and series, the status page" test $leaks = 0
