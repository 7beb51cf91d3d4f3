#!/usr/bin/env bash
# The minio role: env file, bucket creation + versioning through the S3 API
# and the app's key registered through MinIO's admin API (user, canned
# policy, attachment; SigV4 with the root credential, bodies encrypted as
# madmin's) against the stand-in; idempotent on re-run, on a new app
# secret, a new app access key and new root credentials; HEAD bucket with
# the app's credential as the app host's join does; with monitoring, the
# metrics user and the archive writer. madmin-go (the Go interop program)
# reads back what kiln registered.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
D=$ROOT/$KILN_BUILD/drivers/minio_role
P=$ROOT/profiles/examples/onprem.yaml
trap 's3_stop; rm -rf "$T"' EXIT
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
export KILN_SECRET_minio_app_access_key=APPKEY0123456789ABCD KILN_SECRET_minio_app_secret_key=app-secret-$RANDOM$RANDOM
export MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD   # for madmin-go
GO=$("$ROOT/tests/fixtures/madmin/build.sh" 2>"$T/gobuild.log") || { not_ok "Go interop program builds"; cat "$T/gobuild.log"; exit 1; }

check_output "env: root credentials and single-drive volume" '^MINIO_VOLUMES="/var/lib/minio/data"$' "$D" "$P" minio1 env
check_output "env: bound to the host address" '^MINIO_OPTS="--address 192.168.40.215:9000"$' "$D" "$P" minio1 env
check "env: no stand-in-only setting (real MinIO reads this file)" bash -c "! '$D' '$P' minio1 env | grep -q STANDIN"
no_root() { env -u KILN_SECRET_minio_root_user "$@"; }
check_fails "env: missing root user is a clear error" 'lacks secret minio_root_user' no_root "$D" "$P" minio1 env
if [ -f "$ROOT/profiles/examples/scaled.yaml" ]; then
	check_output "env: 4 minio hosts run distributed" '^MINIO_VOLUMES="http://[a-z0-9-]+\.[^ ]+:9000/var/lib/minio/data( http[^ ]+){3}"$' \
		"$D" "$ROOT/profiles/examples/scaled.yaml" minio1 env
	same_env() { for h in minio2 minio3 minio4; do "$D" "$ROOT/profiles/examples/scaled.yaml" $h env | cmp -s - <("$D" "$ROOT/profiles/examples/scaled.yaml" minio1 env) || return 1; done; }
	check "env: distributed, every minio host's file is the same" same_env
	check_output "env: distributed, MinIO listens on every address" '^MINIO_OPTS="--address :9000"$' \
		"$D" "$ROOT/profiles/examples/scaled.yaml" minio3 env
	check_output "kiln check: 4 minio hosts are one distributed set" '^object store: 4 minio hosts run as one distributed' \
		"$KILN" check "$ROOT/profiles/examples/scaled.yaml"
	sed '/name: minio[34],/d' "$ROOT/profiles/examples/scaled.yaml" >"$T/two-minio.yaml"
	check_output "kiln check: 2 minio hosts stay separate servers, and says so" \
		'^object store: 2 minio hosts run as separate single-drive servers \(a distributed set needs 4 or more\)$' \
		"$KILN" check "$T/two-minio.yaml"
	check_output "env: 2 minio hosts: each its own single-drive server" '^MINIO_VOLUMES="/var/lib/minio/data"$' \
		"$D" "$T/two-minio.yaml" minio2 env
fi
policy_json() { "$D" "$P" - policy | /usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin)["Version"] == "2012-10-17"'; }
check "policy: valid JSON" policy_json
check_output "policy: only the profile's bucket and its objects" \
	'"Resource":\["arn:aws:s3:::uploads"\].*"Resource":\["arn:aws:s3:::uploads/\*"\]' "$D" "$P" - policy

mkdir -p "$T/data"
s3_start "$T/data" || { not_ok "s3 server starts"; exit 1; }
EP=127.0.0.1:$S3_PORT
check "app key before registration: refused" bash -c "! '$D' - - head '$S3_ENDPOINT' uploads"
check "buckets created through the S3 API" "$D" "$P" - buckets "$S3_ENDPOINT"
check "bucket creation is idempotent" "$D" "$P" - buckets "$S3_ENDPOINT"
check_output "versioning enabled as the profile asks" '^Enabled$' "$D" - - versioning "$S3_ENDPOINT" uploads
check "app key registered through the admin API" "$D" "$P" - register "$S3_ENDPOINT"
check_output "madmin-go sees the user: enabled, policy kiln-app" '^policy=kiln-app status=enabled$' \
	"$GO" user-info "$EP" "$KILN_SECRET_minio_app_access_key"
check "app credential: HEAD bucket works" "$D" - - head "$S3_ENDPOINT" uploads
check "registration is idempotent (second run)" "$D" "$P" - setup "$S3_ENDPOINT"
check "app credential still works after the re-run" "$D" - - head "$S3_ENDPOINT" uploads
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
check "root makes a bucket outside the profile" s3cmd -c "$T/root.s3cfg" mb s3://elsewhere
check_fails "app credential: HEAD of another bucket is refused (policy)" 'Permission denied \(HTTP 403\)' \
	"$D" - - head "$S3_ENDPOINT" elsewhere
s3cmd_config "$T/app.s3cfg" "$KILN_SECRET_minio_app_access_key" "$KILN_SECRET_minio_app_secret_key"
echo kiln >"$T/obj"
check "s3cmd with the app key: put into its bucket" s3cmd -c "$T/app.s3cfg" put "$T/obj" s3://uploads/obj
check_fails "s3cmd with the app key: put into another bucket is AccessDenied" 'AccessDenied' \
	s3cmd -c "$T/app.s3cfg" put "$T/obj" s3://elsewhere/obj
check_fails "s3cmd with the app key: making a bucket is AccessDenied" 'AccessDenied' s3cmd -c "$T/app.s3cfg" mb s3://appmade

# A new app secret (kiln secrets + a new seed): the old one stops working.
OLD_SK=$KILN_SECRET_minio_app_secret_key
export KILN_SECRET_minio_app_secret_key=app-secret-rotated-$RANDOM$RANDOM
check "rotation: the new app secret is registered" "$D" "$P" - setup "$S3_ENDPOINT"
check "rotation: the new secret works" "$D" - - head "$S3_ENDPOINT" uploads
check_fails "rotation: the old secret is refused" 'SignatureDoesNotMatch' s3cmd -c "$T/app.s3cfg" ls s3://uploads

# A new app access key: the user of the old one is removed.
OLD_AK=$KILN_SECRET_minio_app_access_key
export KILN_SECRET_minio_app_access_key=APPKEYROTATED0000001
check "rotation of the access key: registered" "$D" "$P" - setup "$S3_ENDPOINT"
check "rotation of the access key: the new key works" "$D" - - head "$S3_ENDPOINT" uploads
check_fails "rotation of the access key: the old key's user is gone" 'XMinioAdminNoSuchUser' "$GO" user-info "$EP" "$OLD_AK"
s3cmd_config "$T/app.s3cfg" "$OLD_AK" "$KILN_SECRET_minio_app_secret_key"
check_fails "rotation of the access key: the old key is unknown to S3" 'InvalidAccessKeyId' s3cmd -c "$T/app.s3cfg" ls s3://uploads
APP_SECRET_KEY=operator-secret-123 "$GO" add-user "$EP" OPERATORUSER readwrite
check "a user the operator made with another policy is left alone" "$GO" user-info "$EP" OPERATORUSER

# New root credentials (MinIO restarted with them): users are kept, the new root registers.
s3_stop
S3_ROOT_USER=kiln-root-2 S3_ROOT_PASSWORD=root-secret-2-$RANDOM$RANDOM
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
export MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD   # for madmin-go
s3_start "$T/data" || { not_ok "s3 server restarts with new root credentials"; exit 1; }
check "after a restart with new root credentials the app key still works" "$D" - - head "$S3_ENDPOINT" uploads
check "the new root credential registers the app (idempotent)" "$D" "$P" - setup "$S3_ENDPOINT"
badroot() { KILN_SECRET_minio_root_password=wrong-root-secret "$@"; }
check_fails "registration with a wrong root secret names the call and the answer" \
	'add-canned-policy: HTTP 403 SignatureDoesNotMatch: The request signature' badroot "$D" "$P" - register "$S3_ENDPOINT"
check_fails "bucket creation with wrong root secret names the bucket" 'creating bucket uploads: HTTP 403 SignatureDoesNotMatch' \
	badroot "$D" "$P" - setup "$S3_ENDPOINT"
rootapp() { KILN_SECRET_minio_app_access_key=$S3_ROOT_USER "$@"; }
check_fails "an app key MinIO refuses: the step names the admin call and MinIO's code" \
	'registering the app.s key with MinIO.s admin API: add-user: HTTP 403 XMinioInvalidIAMCredentials' \
	rootapp "$D" "$P" - setup "$S3_ENDPOINT"
noapp() { env -u KILN_SECRET_minio_app_secret_key "$@"; }
check_fails "a seed without the app secret is a clear error" 'lacks secret minio_app_secret_key' noapp "$D" "$P" - register "$S3_ENDPOINT"
# With monitoring the role registers the metrics user and the archive writer too: the monitoring
# step runs before the role and needs nothing of MinIO.
{ cat "$P"; printf 'monitoring:\n  host: minio1\n  archive_drops: {bucket: uploads}\n'; } >"$T/mon.yaml"
check_fails "with monitoring, a seed without the metrics user's key is a clear error" 'lacks secret minio_metrics_access_key' \
	"$D" "$T/mon.yaml" - setup "$S3_ENDPOINT"
export KILN_SECRET_minio_metrics_access_key=METRICS0123456789ABC KILN_SECRET_minio_metrics_secret_key=metrics-$RANDOM$RANDOM
check_fails "... and without the archive writer's" 'lacks secret minio_archive_access_key' "$D" "$T/mon.yaml" - setup "$S3_ENDPOINT"
export KILN_SECRET_minio_archive_access_key=ARCHIVE0123456789ABC KILN_SECRET_minio_archive_secret_key=archive-$RANDOM$RANDOM
check "with monitoring, the role's setup registers them" "$D" "$T/mon.yaml" - setup "$S3_ENDPOINT"
check_output "madmin-go sees the metrics user: policy kiln-metrics" '^policy=kiln-metrics status=enabled$' \
	"$GO" user-info "${S3_ENDPOINT#http://}" "$KILN_SECRET_minio_metrics_access_key"
check_output "madmin-go sees the archive writer: policy kiln-archive" '^policy=kiln-archive status=enabled$' \
	"$GO" user-info "${S3_ENDPOINT#http://}" "$KILN_SECRET_minio_archive_access_key"
s3cmd_config "$T/root.s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
check_output "s3cmd (a real client) sees the bucket" 's3://uploads' s3cmd -c "$T/root.s3cfg" ls
check "no secret in the server's log" bash -c "! grep -qF -e '$KILN_SECRET_minio_app_secret_key' -e '$S3_ROOT_PASSWORD' -e '$OLD_SK' '$S3_LOG'"
s3_stop
check_fails "unreachable server is a clear error" 'Connection refused' "$D" - - head "$S3_ENDPOINT" uploads
