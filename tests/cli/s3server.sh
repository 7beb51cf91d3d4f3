#!/usr/bin/env bash
# The MinIO stand-in (tests/fixtures/s3server) against real S3 clients: s3cmd,
# boto3, libcurl's CURLOPT_AWS_SIGV4; users added through its admin API by
# madmin-go and held to their policies; SigV4 refusals; its .deb.
# (tests/cli/madmin.sh drives the admin API itself with madmin-go.)
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
trap 's3_stop; rm -rf "$T"' EXIT

check "SigV4 verifier matches AWS's published S3 examples" "$S3_PY" "$S3_DIR/test_sigv4_vectors.py"
check "units: address, env file, canonical query, storage, admin crypto (Go vectors), users and policies" \
	"$S3_PY" "$S3_DIR/test_s3server_units.py"
GO=$("$ROOT/tests/fixtures/madmin/build.sh" 2>"$T/gobuild.log") || { not_ok "Go interop program builds"; cat "$T/gobuild.log"; exit 1; }
# add_user AK SECRET POLICY: through the admin API, with madmin-go (the reference client).
add_user() { APP_SECRET_KEY=$2 MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD "$GO" add-user "127.0.0.1:$S3_PORT" "$1" "$3"; }

mkdir -p "$T/data"
if ! s3_start "$T/data"; then
	not_ok "s3server starts"; exit 1
fi
ok "s3server starts on 127.0.0.1:$S3_PORT"
check "madmin-go adds a user with the built-in readwrite policy" add_user app-key app-secret-123456 readwrite

# --- health and refusal of unsigned requests (plain curl, no auth)
check_output "health/live without auth" '^200$' \
	curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/minio/health/live"
check_output "health/ready without auth" '^200$' \
	curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/minio/health/ready"
# curl prints the XML error, then the status: "...<Code>X</Code>...</Error> 403"
check_output "unsigned request refused (403 AccessDenied)" '<Code>AccessDenied</Code>.* 403$' \
	curl -s -w ' %{http_code}' "$S3_ENDPOINT/"
check_output "unsigned PUT refused" '<Code>AccessDenied</Code>.* 403$' \
	curl -s -X PUT -w ' %{http_code}' "$S3_ENDPOINT/sneaky"
check "unsigned PUT created no bucket" test ! -e "$T/data/sneaky"
check_output "old signature v2 refused" '<Code>InvalidRequest</Code>.* 400$' \
	curl -s -H 'Authorization: AWS kiln-root:abc' -w ' %{http_code}' "$S3_ENDPOINT/"

# --- s3cmd with the root credentials
s3cmd_config "$T/s3cfg" "$S3_ROOT_USER" "$S3_ROOT_PASSWORD"
S3CMD=(s3cmd -c "$T/s3cfg" --no-progress)
head -c 100000 /dev/urandom >"$T/payload.bin"
check "s3cmd mb" "${S3CMD[@]}" mb s3://s3cmd-bucket
check "s3cmd put" "${S3CMD[@]}" put "$T/payload.bin" "s3://s3cmd-bucket/dir/payload.bin"
check "s3cmd get" "${S3CMD[@]}" get --force "s3://s3cmd-bucket/dir/payload.bin" "$T/back.bin"
check "s3cmd object bytes equal" cmp "$T/payload.bin" "$T/back.bin"
check_output "s3cmd ls -r shows the object" '100000 +s3://s3cmd-bucket/dir/payload.bin' \
	"${S3CMD[@]}" ls -r s3://s3cmd-bucket
check_output "s3cmd ls shows the prefix" 'DIR +s3://s3cmd-bucket/dir/' "${S3CMD[@]}" ls s3://s3cmd-bucket
check_output "s3cmd ls lists buckets" 's3://s3cmd-bucket$' "${S3CMD[@]}" ls
check_output "s3cmd info reports the MD5" 'MD5 sum: +'"$(md5sum <"$T/payload.bin" | cut -d' ' -f1)" \
	"${S3CMD[@]}" info "s3://s3cmd-bucket/dir/payload.bin"
check_fails "s3cmd rb of a non-empty bucket" 'BucketNotEmpty' "${S3CMD[@]}" rb s3://s3cmd-bucket

# --- versioning through libcurl's CURLOPT_AWS_SIGV4 (s3cmd 2.3.0 has no versioning command)
PROBE=$T/curl_sigv4_probe
if cc -std=c11 -Wall -Wextra -Werror -o "$PROBE" "$S3_DIR/curl_sigv4_probe.c" \
	$(pkg-config --cflags --libs libcurl libcrypto); then ok "curl probe compiles"
else not_ok "curl probe compiles"; fi
probe() { S3_ACCESS_KEY=$1 S3_SECRET_KEY=$2 "$PROBE" "${@:3}"; }
probe_any() { probe "$@"; return 0; }     # for checks on the output of a refused request
R=("$S3_ROOT_USER" "$S3_ROOT_PASSWORD")
check "curl sigv4: PUT bucket" probe "${R[@]}" PUT "$S3_ENDPOINT/curl-bucket"
check "curl sigv4: HEAD bucket" probe "${R[@]}" HEAD "$S3_ENDPOINT/curl-bucket"
check_output "curl sigv4: HEAD missing bucket is 404" '^HTTP 404$' probe_any "${R[@]}" HEAD "$S3_ENDPOINT/no-such-bucket"
printf '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>' >"$T/versioning.xml"
# libcurl 7.88 signs the query string as written: spell it canonically ("versioning=").
check "curl sigv4: enable versioning on the s3cmd bucket" \
	probe "${R[@]}" PUT "$S3_ENDPOINT/s3cmd-bucket?versioning=" "$T/versioning.xml"
check_output "curl sigv4: versioning reads back Enabled" '<Status>Enabled</Status>' \
	probe "${R[@]}" GET "$S3_ENDPOINT/s3cmd-bucket?versioning="
check_output "curl sigv4: wrong secret refused (403 SignatureDoesNotMatch)" '<Code>SignatureDoesNotMatch</Code>' \
	probe_any "$S3_ROOT_USER" wrong-secret-xx GET "$S3_ENDPOINT/curl-bucket"
check_output "curl sigv4: wrong secret fails HEAD (403)" '^HTTP 403$' \
	probe_any "$S3_ROOT_USER" wrong-secret-xx HEAD "$S3_ENDPOINT/curl-bucket"
check_output "curl sigv4: unsorted query is refused (libcurl 7.88 signs it as written)" '<Code>SignatureDoesNotMatch</Code>' \
	probe_any "${R[@]}" GET "$S3_ENDPOINT/curl-bucket?prefix=a&list-type=2"
check_output "curl sigv4: the user added through the admin API works" 'HTTP 200' \
	probe app-key app-secret-123456 HEAD "$S3_ENDPOINT/curl-bucket"
check "madmin-go adds a user with the built-in readonly policy" add_user ro-key ro-secret-123456 readonly
check "an object for the readonly user" probe "${R[@]}" PUT "$S3_ENDPOINT/curl-bucket/ro.txt" "$T/versioning.xml"
check_output "readonly user: GET object allowed" '<Status>Enabled</Status>' probe ro-key ro-secret-123456 GET "$S3_ENDPOINT/curl-bucket/ro.txt"
check_output "readonly user: PUT object refused (403 AccessDenied)" '<Code>AccessDenied</Code>' \
	probe_any ro-key ro-secret-123456 PUT "$S3_ENDPOINT/curl-bucket/ro2.txt" "$T/versioning.xml"
check_output "readonly user: DELETE object refused" '<Code>AccessDenied</Code>' \
	probe_any ro-key ro-secret-123456 DELETE "$S3_ENDPOINT/curl-bucket/ro.txt"
check_output "readonly user: creating a bucket refused" '<Code>AccessDenied</Code>' \
	probe_any ro-key ro-secret-123456 PUT "$S3_ENDPOINT/ro-bucket"
check_output "readonly user: listing buckets refused (no s3:ListBucket anywhere)" '<Code>AccessDenied</Code>' \
	probe_any ro-key ro-secret-123456 GET "$S3_ENDPOINT/"

# --- bad requests get S3's error codes
printf 'not xml' >"$T/junk.xml"
check_output "bad bucket name is 400 InvalidBucketName" '<Code>InvalidBucketName</Code>' \
	probe_any "${R[@]}" PUT "$S3_ENDPOINT/Bad_Name"
check_output "existing bucket is 409 BucketAlreadyOwnedByYou" '<Code>BucketAlreadyOwnedByYou</Code>' \
	probe_any "${R[@]}" PUT "$S3_ENDPOINT/curl-bucket"
check_output "junk versioning XML is 400 MalformedXML" '<Code>MalformedXML</Code>' \
	probe_any "${R[@]}" PUT "$S3_ENDPOINT/curl-bucket?versioning=" "$T/junk.xml"
check_output "missing key is 404 NoSuchKey" '<Code>NoSuchKey</Code>' \
	probe_any "${R[@]}" GET "$S3_ENDPOINT/curl-bucket/nothing-here"
check_output "missing bucket is 404 NoSuchBucket" '<Code>NoSuchBucket</Code>' \
	probe_any "${R[@]}" GET "$S3_ENDPOINT/no-such-bucket/key"
check_output "unsupported sub-resource is 501 NotImplemented" '<Code>NotImplemented</Code>' \
	probe_any "${R[@]}" GET "$S3_ENDPOINT/curl-bucket?uploads="

head -c 12000000 /dev/urandom >"$T/big.bin"
check "s3cmd multipart put (5 MiB parts)" "${S3CMD[@]}" put --multipart-chunk-size-mb=5 "$T/big.bin" s3://s3cmd-bucket/big.bin
check_output "s3cmd really used multipart (POST, PUT parts)" 'POST /s3cmd-bucket/big.bin 200' cat "$S3_LOG"
check "s3cmd get of the multipart object" "${S3CMD[@]}" get --force s3://s3cmd-bucket/big.bin "$T/big.back"
check "multipart object bytes equal" cmp "$T/big.bin" "$T/big.back"
check "s3cmd del of the multipart object" "${S3CMD[@]}" del s3://s3cmd-bucket/big.bin
check "s3cmd del" "${S3CMD[@]}" del "s3://s3cmd-bucket/dir/payload.bin"
empty_listing() { [ -z "$("${S3CMD[@]}" ls -r "$1")" ]; }
check "s3cmd ls after del is empty" empty_listing s3://s3cmd-bucket
# The bucket is versioned (above): the deletes left the old versions and delete markers.
check_fails "s3cmd rb of a bucket holding old versions refused" 'BucketNotEmpty' "${S3CMD[@]}" rb s3://s3cmd-bucket
check_output "boto3 deletes every version" '^4 versions deleted$' \
	env S3_ACCESS_KEY="$S3_ROOT_USER" S3_SECRET_KEY="$S3_ROOT_PASSWORD" "$S3_PY" "$S3_DIR/boto3_versions.py" "$S3_ENDPOINT" s3cmd-bucket --purge
check "s3cmd rb" "${S3CMD[@]}" rb s3://s3cmd-bucket
check_fails "s3cmd get from a deleted bucket" 'does not exist|NoSuchBucket' \
	"${S3CMD[@]}" get --force "s3://s3cmd-bucket/dir/payload.bin" "$T/gone.bin"

# --- wrong credentials with s3cmd
s3cmd_config "$T/bad-secret.cfg" "$S3_ROOT_USER" wrong-secret-xx
check_fails "s3cmd wrong secret refused (403 SignatureDoesNotMatch)" '403.*SignatureDoesNotMatch' \
	s3cmd -c "$T/bad-secret.cfg" ls
s3cmd_config "$T/bad-key.cfg" no-such-key "$S3_ROOT_PASSWORD"
check_fails "s3cmd unknown access key refused (403 InvalidAccessKeyId)" '403.*InvalidAccessKeyId' \
	s3cmd -c "$T/bad-key.cfg" ls

# --- boto3
B3=("$S3_PY" "$S3_DIR/boto3_roundtrip.py" "$S3_ENDPOINT" boto3-bucket)
check "boto3 round trip (bucket, object, ranges, list, versioning, presigned, multipart, delete)" \
	env S3_ACCESS_KEY="$S3_ROOT_USER" S3_SECRET_KEY="$S3_ROOT_PASSWORD" "${B3[@]}"
b3_error() { S3_ACCESS_KEY=$1 S3_SECRET_KEY=$2 "${B3[@]}" --error; return 0; }
check_output "boto3 wrong secret refused" '^SignatureDoesNotMatch$' b3_error "$S3_ROOT_USER" wrong-secret-xx
check_output "boto3 unknown access key refused" '^InvalidAccessKeyId$' b3_error no-such-key "$S3_ROOT_PASSWORD"
check "boto3 with the user added through the admin API (readwrite)" \
	env S3_ACCESS_KEY=app-key S3_SECRET_KEY=app-secret-123456 "${B3[@]/boto3-bucket/app-bucket}"
check "boto3: object versions (ids, delete markers, ListObjectVersions, Suspended) and object lock (default and per-object retention, GOVERNANCE bypass only with s3:BypassGovernanceRetention, COMPLIANCE never shortened, the refusals' codes)" \
	env S3_ACCESS_KEY="$S3_ROOT_USER" S3_SECRET_KEY="$S3_ROOT_PASSWORD" "$S3_PY" "$S3_DIR/boto3_versions.py" "$S3_ENDPOINT" b3v

# --- the admin API refuses what MinIO refuses
admin_attack() { S3_ACCESS_KEY=$S3_ROOT_USER S3_SECRET_KEY=$S3_ROOT_PASSWORD "$S3_PY" "$S3_DIR/sigv4_attack.py" "$S3_ENDPOINT" - "$1"; }
check_output "admin add-user with a plain JSON body refused (XMinioAdminConfigBadJSON)" '^HTTP 400 XMinioAdminConfigBadJSON$' \
	admin_attack admin-plain-body
check_output "admin add-user encrypted under another password refused" '^HTTP 400 XMinioAdminConfigBadJSON$' \
	admin_attack admin-other-password
user_info() { MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD "$GO" user-info "127.0.0.1:$S3_PORT" "$1"; }
check_fails "neither made a user" 'XMinioAdminNoSuchUser' user_info ATTACKER
check_output "unsigned admin request refused (403 AccessDenied, JSON as MinIO's)" '"Code":"AccessDenied".* 403$' \
	curl -s -X PUT -w ' %{http_code}' "$S3_ENDPOINT/minio/admin/v3/add-user?accessKey=x"

# --- tampering, skew, presigned URLs (botocore signs, then the request is altered)
check "bucket for tampering tests" probe "${R[@]}" PUT "$S3_ENDPOINT/tamper"
attack() { S3_ACCESS_KEY=$S3_ROOT_USER S3_SECRET_KEY=$S3_ROOT_PASSWORD "$S3_PY" "$S3_DIR/sigv4_attack.py" "$S3_ENDPOINT" tamper "$1"; }
check_output "signed PUT accepted" '^HTTP 200 -$' attack ok-put
check_output "tampered body refused (XAmzContentSHA256Mismatch)" '^HTTP 400 XAmzContentSHA256Mismatch$' attack tamper-body
check_output "tampered signed header refused (403 SignatureDoesNotMatch)" '^HTTP 403 SignatureDoesNotMatch$' attack tamper-header
check_output "request 20 minutes old refused (RequestTimeTooSkewed)" '^HTTP 403 RequestTimeTooSkewed$' attack skew
check_output "presigned GET accepted" '^HTTP 200 -$' attack presign-ok
check_output "expired presigned GET refused" '^HTTP 403 AccessDenied$' attack presign-expired
check_output "presigned GET for another key refused" '^HTTP 403 SignatureDoesNotMatch$' attack presign-tampered
check_output "the tampered body was not stored" '^the signed body$' probe "${R[@]}" GET "$S3_ENDPOINT/tamper/attack.txt"

# --- data survives a restart
check "object for the restart test" probe "${R[@]}" PUT "$S3_ENDPOINT/tamper/kept.txt" "$T/versioning.xml"
s3_stop
if s3_start "$T/data"; then ok "s3server restarts on the same directory"
else not_ok "s3server restarts on the same directory"; fi
check_output "bucket and object survive a restart" '<Status>Enabled</Status>' \
	probe "${R[@]}" GET "$S3_ENDPOINT/tamper/kept.txt"
check_output "users and their policies survive a restart" 'HTTP 200' probe app-key app-secret-123456 HEAD "$S3_ENDPOINT/curl-bucket"

# --- MinIO's distributed MINIO_VOLUMES (4 nodes): this node's volume is served alone
s3_stop
if MINIO_VOLUMES="http://203.0.113.1:9000/x http://127.0.0.1:9000$T/vdata http://203.0.113.3:9000/x http://203.0.113.4:9000/x" \
	s3_start ""; then ok "s3server starts with distributed MINIO_VOLUMES"; else not_ok "s3server starts with distributed MINIO_VOLUMES"; fi
check "distributed: serves the local volume" probe "${R[@]}" PUT "$S3_ENDPOINT/dist-bucket"
check "distributed: data lands in the local volume's path" test -f "$T/vdata/dist-bucket/bucket.json"
check_output "distributed: says it serves one node only" 'serving only this node' cat "$S3_LOG"
s3_stop

# --- command line errors
check_fails "server refuses to start without root credentials" 'MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set' \
	env -u MINIO_ROOT_USER -u MINIO_ROOT_PASSWORD timeout 20 "$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.1:0 "$T/data"
check_fails "server refuses a short root password" 'MINIO_ROOT_PASSWORD 8\+' \
	env MINIO_ROOT_USER=abc MINIO_ROOT_PASSWORD=short timeout 20 "$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.1:0 "$T/data"
check_fails "server needs a data directory" 'a data directory is required' \
	timeout 20 env -u MINIO_VOLUMES MINIO_ROOT_USER=abc MINIO_ROOT_PASSWORD=long-enough "$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.1:0
check_fails "server refuses several plain directories" 'erasure sets\) are not supported' \
	timeout 20 env MINIO_ROOT_USER=abc MINIO_ROOT_PASSWORD=long-enough "$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.1:0 "$T/a" "$T/b"
check_fails "server refuses distributed volumes none of which is local" 'none of the MINIO_VOLUMES URLs names this host' \
	env MINIO_ROOT_USER=abc MINIO_ROOT_PASSWORD=long-enough MINIO_VOLUMES="http://203.0.113.1:9000/d http://203.0.113.2:9000/d" \
	timeout 20 "$S3_PY" "$S3_DIR/s3server.py" server --address 127.0.0.1:0
check_fails "server refuses a bad address" "is not HOST:PORT" \
	timeout 20 env MINIO_ROOT_USER=abc MINIO_ROOT_PASSWORD=long-enough "$S3_PY" "$S3_DIR/s3server.py" server --address nowhere "$T/data"
check_fails "server reports a missing env file" 'cannot read env file' \
	timeout 20 "$S3_PY" "$S3_DIR/s3server.py" server --env-file "$T/no-such-env" "$T/data"
s3_stop

# --- the .deb: deterministic, MinIO-shaped, and the packaged server works from its env file
check "build-deb.sh builds" "$S3_DIR/build-deb.sh" "$T/deb1"
check "build-deb.sh again" "$S3_DIR/build-deb.sh" "$T/deb2"
DEB=$(ls "$T"/deb1/minio-standin_*_all.deb 2>/dev/null)
check "the .deb is byte-for-byte reproducible" cmp "$DEB" "$T/deb2/$(basename "$DEB")"
check_fails "build-deb.sh without OUTDIR is a usage error" 'Usage: build-deb.sh' "$S3_DIR/build-deb.sh"
check_output "deb control: package, arch all, depends python3 and the admin crypto modules" \
	'Depends: python3, python3-argon2, python3-cryptography' dpkg-deb -f "$DEB" Package Architecture Depends
check_output "deb ships the server 0755" '^-rwxr-xr-x root/root .* \./usr/lib/minio-standin/s3server\.py$' dpkg-deb -c "$DEB"
check_output "deb ships /usr/bin/minio (a relative symlink to it)" \
	'^lrwxrwxrwx root/root .* \./usr/bin/minio -> \.\./lib/minio-standin/s3server\.py$' dpkg-deb -c "$DEB"
check_output "deb ships the admin API modules" 'minio-standin/standin_iam\.py$' dpkg-deb -c "$DEB"
check_output "deb ships the versions and object lock module" 'minio-standin/standin_versions\.py$' dpkg-deb -c "$DEB"
check_output "deb ships minio.service" 'root/root .* \./lib/systemd/system/minio\.service$' dpkg-deb -c "$DEB"
dpkg-deb -x "$DEB" "$T/pkg" && dpkg-deb -e "$DEB" "$T/pkg/DEBIAN"
UNIT=$T/pkg/lib/systemd/system/minio.service
check_output "unit runs as minio-user" '^User=minio-user$' cat "$UNIT"
check_output "unit reads /etc/default/minio" '^EnvironmentFile=-/etc/default/minio$' cat "$UNIT"
check_output "unit ExecStart is MinIO's" '^ExecStart=/usr/bin/minio server \$MINIO_OPTS \$MINIO_VOLUMES$' cat "$UNIT"
sed "s|/usr/bin/minio|$T/pkg/usr/bin/minio|g" "$UNIT" >"$T/minio.service"
check "unit passes systemd-analyze verify" systemd-analyze verify "$T/minio.service"
check_output "postinst creates minio-user" 'useradd --system' cat "$T/pkg/DEBIAN/postinst"
check "postinst is valid sh" sh -n "$T/pkg/DEBIAN/postinst"
# Run postinst for real against a copy of /etc in a private mount namespace:
# it must create minio-user and minio-user's group, and be idempotent.
postinst_in_namespace() {
	cp -a /etc "$T/etc" &&
	unshare -m --propagation private sh -c '
		mount --bind "$1/etc" /etc &&
		sh "$1/pkg/DEBIAN/postinst" configure && sh "$1/pkg/DEBIAN/postinst" configure &&
		getent passwd minio-user | grep -q ":/nonexistent:/usr/sbin/nologin$" &&
		getent group minio-user >/dev/null' sh "$T"
}
if [ "$(id -u)" = 0 ]; then
	sha256sum /etc/passwd /etc/group >"$T/etc.sums"
	check "postinst creates the minio-user account, twice without error" postinst_in_namespace
	check "postinst left the real /etc alone" sha256sum -c --quiet "$T/etc.sums"
else
	echo "ok - postinst run skipped: needs root for a private mount namespace # SKIP"
fi
(umask 077; cat >"$T/default-minio" <<EOF
# as the first-boot agent writes /etc/default/minio
MINIO_VOLUMES="$T/pkgdata"
MINIO_OPTS="--address 127.0.0.1:0"
MINIO_ROOT_USER=pkg-root
MINIO_ROOT_PASSWORD='pkg-secret-123456'
EOF
)
mkdir -p "$T/pkgdata"
# Run the packaged binary as the unit would: env file, then `minio server $MINIO_OPTS $MINIO_VOLUMES`.
(set -a; . "$T/default-minio"; exec "$T/pkg/usr/bin/minio" server $MINIO_OPTS $MINIO_VOLUMES) >"$T/pkg.log" 2>&1 &
S3_PID=$!
S3_PORT=$(local_server_port "$T/pkg.log" 's|^API: http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$S3_PID" "packaged minio") || echo "$S3_PORT"
check_output "packaged minio --version" 'kiln stand-in' "$T/pkg/usr/bin/minio" --version
check "packaged minio serves from its env file (PUT bucket)" probe pkg-root pkg-secret-123456 PUT "http://127.0.0.1:$S3_PORT/pkg-bucket"
check "packaged minio stores under MINIO_VOLUMES" test -f "$T/pkgdata/pkg-bucket/bucket.json"
pkg_add_user() { APP_SECRET_KEY=pkg-app-secret-1 MINIO_ROOT_USER=pkg-root MINIO_ROOT_PASSWORD=pkg-secret-123456 "$GO" add-user "127.0.0.1:$S3_PORT" PKGAPP readwrite; }
check "packaged minio: madmin-go adds a user through the admin API" pkg_add_user
check "packaged minio: the user works" probe PKGAPP pkg-app-secret-1 HEAD "http://127.0.0.1:$S3_PORT/pkg-bucket"
s3_stop
# The same env file read by the server itself (MINIO_CONFIG_ENV_FILE, as MinIO).
MINIO_CONFIG_ENV_FILE=$T/default-minio "$T/pkg/usr/bin/minio" server --address 127.0.0.1:0 >"$T/pkg2.log" 2>&1 &
S3_PID=$!
S3_PORT=$(local_server_port "$T/pkg2.log" 's|^API: http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$S3_PID" "packaged minio") || echo "$S3_PORT"
check_output "MINIO_CONFIG_ENV_FILE gives credentials and volumes" 'HTTP 200' \
	probe pkg-root pkg-secret-123456 HEAD "http://127.0.0.1:$S3_PORT/pkg-bucket"
s3_stop
