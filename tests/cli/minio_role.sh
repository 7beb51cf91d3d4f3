#!/usr/bin/env bash
# The minio role: env file, app key file, bucket creation + versioning through
# the S3 API (libcurl SigV4) against the SigV4-verifying stand-in server, and
# HEAD bucket with the app's credential as the app host's join does.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
D=$ROOT/$KILN_BUILD/drivers/minio_role
P=$ROOT/profiles/examples/onprem.yaml
trap 's3_stop; rm -rf "$T"' EXIT
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
export KILN_SECRET_minio_app_access_key=APPKEY0123456789ABCD KILN_SECRET_minio_app_secret_key=app-secret-$RANDOM

check_output "env: root credentials and single-drive volume" '^MINIO_VOLUMES="/var/lib/minio/data"$' "$D" "$P" minio1 env
check_output "env: bound to the host address" '^MINIO_OPTS="--address 192.168.40.215:9000"$' "$D" "$P" minio1 env
check_output "keys: app credential line" "^APPKEY0123456789ABCD app-secret-" "$D" "$P" minio1 keys
no_root() { env -u KILN_SECRET_minio_root_user "$@"; }
check_fails "env: missing root user is a clear error" 'lacks secret minio_root_user' no_root "$D" "$P" minio1 env
if [ -f "$ROOT/profiles/examples/scaled.yaml" ]; then
	check_output "env: 4 minio hosts run distributed" '^MINIO_VOLUMES="http://[a-z0-9-]+\.[^ ]+:9000/var/lib/minio/data( http[^ ]+){3}"$' \
		"$D" "$ROOT/profiles/examples/scaled.yaml" minio1 env
fi

"$D" "$P" minio1 keys > "$T/keys"
s3_start "$T/data" --keys-file "$T/keys" || { not_ok "s3 server starts"; exit 1; }
check "buckets created through the S3 API" "$D" "$P" - buckets "$S3_ENDPOINT"
check "bucket creation is idempotent" "$D" "$P" - buckets "$S3_ENDPOINT"
check_output "versioning enabled as the profile asks" '^Enabled$' "$D" - - versioning "$S3_ENDPOINT" uploads
check "app credential: HEAD bucket works" "$D" - - head "$S3_ENDPOINT" uploads
check_fails "HEAD of a missing bucket says so" 'No such file' "$D" - - head "$S3_ENDPOINT" nosuchbucket
wrong() { KILN_SECRET_minio_app_secret_key=wrong "$@"; }
check_fails "wrong app secret is refused" 'Permission denied' wrong "$D" - - head "$S3_ENDPOINT" uploads
badroot() { KILN_SECRET_minio_root_password=wrong "$@"; }
check_fails "bucket creation with wrong root secret names the bucket" 'creating bucket uploads: HTTP 403 SignatureDoesNotMatch' badroot "$D" "$P" - buckets "$S3_ENDPOINT"
s3cmd_config "$T/s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
check_output "s3cmd (a real client) sees the bucket" 's3://uploads' s3cmd -c "$T/s3cfg" ls
s3_stop
check_fails "unreachable server is a clear error" 'Connection refused' "$D" - - head "$S3_ENDPOINT" uploads
