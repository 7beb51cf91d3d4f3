#!/usr/bin/env bash
# Bucket replication (roles.minio.buckets[].replicate_to, docs/profile.md
# "Bucket replication"), no VM: the profile's checks (each bad field at
# FILE:LINE:COLUMN; versioning required), the remote's keys as secrets the
# operator brings (never generated; on the minio hosts only); then two S3
# stand-ins on loopback, the deployment's and the remote: the minio role's
# setup registers the remote target through MinIO's admin API and puts the
# bucket's replication configuration (boto3 reads it back), an object put
# into the app's bucket appears in the remote bucket and its delete follows;
# re-runs keep the one target; an unversioned remote bucket, a missing one,
# wrong keys and an unreachable remote are refused with MinIO's reason in
# the step's error (what `kiln-firstboot status` shows), never a key.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
D=$ROOT/$KILN_BUILD/drivers/minio_role
C=$S3_DIR/replication_client.py
RPID=
trap 's3_stop; local_server_stop "$RPID"; rm -rf "$T"' EXIT
run_t() { "$@" >"$T/t1" 2>"$T/t2"; local r=$?; cat "$T/t1"; cat "$T/t2" >&2; cat "$T/t1" "$T/t2" >>"$T/transcript"; return $r; }
drv() { run_t "$D" "$@"; }

check "the stand-in's signer and replication checks (unit tests)" "$S3_PY" "$S3_DIR/test_replication_units.py"

# --- the remote endpoint: a stand-in with root credentials of its own
RU=remote-root RP=remote-secret-$$-$RANDOM$RANDOM
mkdir -p "$T/remote" "$T/local"
MINIO_ROOT_USER=$RU MINIO_ROOT_PASSWORD=$RP \
	"$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.1:0 "$T/remote" >"$T/remote.log" 2>&1 &
RPID=$!
RPORT=$(local_server_port "$T/remote.log" 's|^API: http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$RPID" s3server) ||
	{ not_ok "the remote stand-in starts"; exit 1; }
REP=http://127.0.0.1:$RPORT
remote() { S3_ACCESS_KEY=$RU S3_SECRET_KEY=$RP "$S3_PY" "$C" "$REP" "$@"; }
check "the remote bucket, unversioned for now" remote mkbucket uploads-dr

# --- the profile
P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
VL=$(grep -n '^        versioning: true$' "$P" | cut -d: -f1)
sed -i "${VL}a\\        replicate_to: {endpoint: \"$REP\", bucket: uploads-dr}" "$P"
RL=$((VL + 1))
check_output "check: the replication line" \
	"^replication: bucket uploads to uploads-dr at $REP \\(region us-east-1; MinIO replicates new versions and delete markers" \
	"$KILN" check "$P"
check_output "check --json: replicate_to in the bucket" \
	'"buckets":\[\{"name":"uploads","versioning":true,"replicate_to":\{"endpoint":"http://127\.0\.0\.1:[0-9]+","bucket":"uploads-dr","region":"us-east-1"\}\}\]' \
	"$KILN" check "$P" --json
bad() { # NAME PATTERN SED-SCRIPT
	sed "$3" "$P" >"$T/d/bad.yaml"
	check_fails "$1" "$2" "$KILN" check "$T/d/bad.yaml"
}
bad "check: replicate_to without versioning, at FILE:LINE:COLUMN" \
	"bad\\.yaml:$RL:[0-9]+: .*bucket 'uploads': replicate_to needs versioning: true" "${VL}s/true/false/"
bad "check: an endpoint with a path" "bad\\.yaml:$RL:[0-9]+: .*replicate_to.endpoint 'https://dr.example.com/x' must be http\\(s\\)://HOST\\[:PORT\\]" \
	"${RL}s|endpoint: \"[^\"]*\"|endpoint: \"https://dr.example.com/x\"|"
bad "check: no endpoint" "bad\\.yaml:$RL:[0-9]+: .*replicate_to needs endpoint" "${RL}s|endpoint: \"[^\"]*\", ||"
bad "check: no bucket" "bad\\.yaml:$RL:[0-9]+: .*replicate_to needs bucket" "${RL}s|, bucket: uploads-dr||"
bad "check: a bad bucket name" "bad\\.yaml:$RL:[0-9]+: .*bucket name 'Up_Loads'" "${RL}s|bucket: uploads-dr|bucket: Up_Loads|"
bad "check: a bad region" "bad\\.yaml:$RL:[0-9]+: .*replicate_to.region 'EU' must be" "${RL}s|}|, region: EU}|"
bad "check: keys in the profile are refused (unknown key)" "bad\\.yaml:$RL:[0-9]+: .*unknown key 'secret_key'" \
	"${RL}s|}|, secret_key: x}|"
two() { # NAME PATTERN SECOND-REPLICATE_TO
	sed "${RL}a\\      - name: media\\n        versioning: true\\n        replicate_to: $3" "$P" >"$T/d/bad.yaml"
	check_fails "$1" "$2" "$KILN" check "$T/d/bad.yaml"
}
two "check: a second endpoint is refused (one key pair)" \
	"bad\\.yaml:$((RL + 3)):[0-9]+: .*every replicated bucket goes to the same endpoint and region as bucket 'uploads''s" \
	'{endpoint: "https://dr.example.com", bucket: media-dr}'
two "check: two buckets into one remote bucket" "bad\\.yaml:$((RL + 3)):[0-9]+: .*remote bucket 'uploads-dr' is already bucket 'uploads''s replica" \
	"{endpoint: \"$REP\", bucket: uploads-dr}"
sed "${RL}a\\      - name: media\\n        versioning: true\\n        replicate_to: {endpoint: \"$REP\", bucket: media-dr}" "$P" >"$T/d/two.yaml"
check "check: two buckets to the same endpoint" "$KILN" check "$T/d/two.yaml"

# --- the remote's keys: the operator's secrets, on the minio hosts only
init_state "$P" --secrets
check_output "secrets init: the remote's keys are not generated, it says where they go" \
	"^minio_replication_access_key: missing \\(the operator's: put the key your S3 provider gave you for replicate_to into secrets/minio_replication_access_key, mode 0600\\)" \
	kiln secrets init "$P"
check_fails "seed for minio1 refused without them, naming the file" \
	"secret minio_replication_access_key is missing: put the key your S3 provider gave you for replicate_to into .*secrets/minio_replication_access_key.*docs/profile.md" \
	kiln seed "$P" --host minio1 --out "$T/minio1.seed"
(umask 077; printf '%s' "$RU" >"$S/secrets/minio_replication_access_key"; printf '%s' "$RP" >"$S/secrets/minio_replication_secret_key")
check_output "secrets init keeps them" '^minio_replication_secret_key: kept$' kiln secrets init "$P"
check "seed for minio1" kiln seed "$P" --host minio1 --out "$T/minio1.seed"
check_output "minio1's seed carries the remote's keys" 'minio_replication_access_key minio_replication_secret_key' \
	kiln seed --inspect "$T/minio1.seed"
check "seed for app1" kiln seed "$P" --host app1 --out "$T/app1.seed"
kiln seed --inspect "$T/app1.seed" >"$T/app1.inspect" 2>&1
check "app1's seed: not the remote's keys" bash -c "! grep -q minio_replication '$T/app1.inspect'"
"$KILN" keys init "$ROOT/profiles/examples/onprem.yaml" --state "$T/plain-state" >/dev/null 2>&1
"$KILN" secrets init "$ROOT/profiles/examples/onprem.yaml" --state "$T/plain-state" >"$T/plain.out" 2>&1
check "a profile without replicate_to: secrets init made its secrets and does not ask for the remote's keys" \
	bash -c "grep -q '^minio_app_secret_key: generated' '$T/plain.out' && ! grep -q minio_replication '$T/plain.out'"
# minio1's first boot without services (no MinIO to talk to: the setup itself is driven below)
R=$T/root-minio1
fb_mkroot "$R" "$S" minio "$T/minio1.seed"
fb_adddisk "$R" vdb
check "minio1: first boot (no services) succeeds" run_t "$KILN_FIRSTBOOT" run --root "$R" --no-services --datasource other
check "minio1: the remote's keys from the seed, root-only" \
	test "$(stat -c %a "$R/etc/kiln/secrets/minio_replication_secret_key")" = 600
check_output "minio1: kiln-firstboot status: the role says MinIO replicates the bucket" \
	'role +done +MinIO running, 1 bucket\(s\) ready, 1 replicated by MinIO, app key registered' fb_status "$R"

# --- the deployment's MinIO: the role's setup, as its first boot runs it
s3_start "$T/local" || { not_ok "the deployment's stand-in starts"; exit 1; }
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
export KILN_SECRET_minio_app_access_key=APPKEY0123456789ABCD KILN_SECRET_minio_app_secret_key=app-secret-$RANDOM$RANDOM
local_() { S3_ACCESS_KEY=$S3_ROOT_USER S3_SECRET_KEY=$S3_ROOT_PASSWORD "$S3_PY" "$C" "$S3_ENDPOINT" "$@"; }
app() { S3_ACCESS_KEY=$KILN_SECRET_minio_app_access_key S3_SECRET_KEY=$KILN_SECRET_minio_app_secret_key "$S3_PY" "$C" "$S3_ENDPOINT" "$@"; }
check_fails "without the remote's keys: the seed's missing secret named" 'lacks secret minio_replication_access_key' \
	drv "$P" - setup "$S3_ENDPOINT"
export KILN_SECRET_minio_replication_access_key=$RU KILN_SECRET_minio_replication_secret_key=$RP
check_fails "an unversioned remote bucket: MinIO's refusal named, with the bucket and the remote" \
	"replicating bucket uploads to uploads-dr at $REP: set-remote-target: HTTP 400 RemoteTargetNotVersionedError" \
	drv "$P" - setup "$S3_ENDPOINT"
check_fails "... and no replication configuration was put" 'ReplicationConfigurationNotFoundError' local_ get-replication uploads
sed "${RL}s|bucket: uploads-dr|bucket: nowhere-dr|" "$P" >"$T/d/nowhere.yaml"
check_fails "a missing remote bucket: MinIO's refusal named" \
	'replicating bucket uploads to nowhere-dr at .*set-remote-target: HTTP 404 XMinioAdminRemoteTargetNotFoundError' \
	drv "$T/d/nowhere.yaml" - setup "$S3_ENDPOINT"
check "the operator versions the remote bucket" remote version uploads-dr
check "setup: buckets, users, the remote target and the replication configuration" drv "$P" - setup "$S3_ENDPOINT"
check_output "GetBucketReplication (boto3): the rule names MinIO's ARN for the remote bucket, delete markers on" \
	'^arn:minio:replication:us-east-1:[0-9a-f-]{36}:uploads-dr delete-markers=Enabled status=Enabled$' local_ get-replication uploads
ARN1=$(local_ get-replication uploads)
check "re-run: idempotent" drv "$P" - setup "$S3_ENDPOINT"
check "re-run: the same target (MinIO answers its ARN)" test "$(local_ get-replication uploads)" = "$ARN1"
# MinIO's own clients, built offline from Debian's packages (tests/fixtures/madmin)
if GO=$("$ROOT/tests/fixtures/madmin/build.sh" 2>"$T/gobuild.log"); then
	gorun() { MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD REMOTE_ACCESS_KEY=$RU \
		REMOTE_SECRET_KEY=$RP "$GO" "$@"; }
	gorun remote-target "127.0.0.1:$S3_PORT" uploads "127.0.0.1:$RPORT" uploads-dr >"$T/go.out" 2>&1
	check "madmin-go's SetRemoteTarget for the same remote, bucket and key: the server answers kiln's target's ARN" \
		grep -qx "arn=${ARN1%% *}" "$T/go.out"
	check "minio-go's GetBucketReplication reads kiln's rule: enabled, the ARN, delete markers on, deletes off" \
		grep -qx "rule=Enabled destination=${ARN1%% *} delete-markers=Enabled deletes=Disabled" "$T/go.out"
else
	not_ok "the Go interop program builds"; sed 's/^/#   /' "$T/gobuild.log"
fi

# --- MinIO copies: a put appears on the remote, a delete follows
head -c 3000 /dev/urandom >"$T/obj"
check "the app puts an object into its bucket" app put uploads photos/one.bin <"$T/obj"
remote wait uploads-dr photos/one.bin 10 >"$T/copy" 2>"$T/copy.err"
check "the object appears in the remote bucket, the same bytes" cmp "$T/obj" "$T/copy"
check "the app deletes it" app delete uploads photos/one.bin
check "the delete reaches the remote bucket (delete marker replication)" remote wait uploads-dr photos/one.bin 10 gone
echo two | app put uploads a/two.txt && echo three | app put uploads a/three.txt
both() { remote wait uploads-dr a/two.txt 10 "$@" >/dev/null && remote wait uploads-dr a/three.txt 10 "$@" >/dev/null; }
check "two more objects reach the remote" both
check "the app deletes both at once (DeleteObjects)" app delete-many uploads a/two.txt a/three.txt
check "both deletes reach the remote" both gone
check_output "the remote saw the copy signed with its keys (SigV4 verified)" 'PUT /uploads-dr/photos/one\.bin 200' cat "$T/remote.log"

# --- the stand-in refuses what MinIO refuses (boto3 as the client)
check "an unversioned bucket on the deployment's MinIO" local_ mkbucket plain
check_output "PutBucketReplication on an unversioned bucket: InvalidRequest" '^InvalidRequest$' local_ put-replication plain "$(cut -d' ' -f1 <<<"$ARN1")"
check_output "PutBucketReplication naming an unknown ARN: the target is not found" '^XMinioAdminRemoteTargetNotFoundError$' \
	local_ put-replication uploads "arn:minio:replication:us-east-1:00000000-0000-0000-0000-000000000000:uploads-dr"

# --- wrong keys, an unreachable remote
sed "${RL}s|bucket: uploads-dr|bucket: other-dr|" "$P" >"$T/d/other.yaml"
remote mkbucket other-dr versioned
badkey() { KILN_SECRET_minio_replication_secret_key=wrong-secret-$RANDOM "$@"; }
check_fails "wrong remote keys: MinIO's connection error, the remote's access key not shown" \
	'replicating bucket uploads to other-dr at .*set-remote-target: HTTP 503 XMinioAdminReplicationRemoteConnectionError: .*credentials: \*+ invalid' \
	badkey drv "$T/d/other.yaml" - setup "$S3_ENDPOINT"
check "... the access key is not in the error" bash -c "! grep -qF -- '$RU' '$T/err'"
DEAD=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "${RL}s|endpoint: \"[^\"]*\"|endpoint: \"http://127.0.0.1:$DEAD\"|" "$P" >"$T/d/dead.yaml"
check_fails "an unreachable remote: MinIO's connection error, named with the endpoint" \
	"replicating bucket uploads to uploads-dr at http://127.0.0.1:$DEAD: set-remote-target: HTTP 503 XMinioAdminReplicationRemoteConnectionError" \
	drv "$T/d/dead.yaml" - setup "$S3_ENDPOINT"

check "no secret in either server's log" bash -c "! grep -qF -e '$RP' -e '$S3_ROOT_PASSWORD' -e '$KILN_SECRET_minio_app_secret_key' '$S3_LOG' '$T/remote.log'"
check_no_secret_leaks "$S" "$R/var/lib/kiln"
