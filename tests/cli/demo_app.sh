#!/usr/bin/env bash
# examples/demo-app against a private MariaDB and the S3 stand-in: a record
# posted with curl lands as a row (checked with the mysql client) and an
# object (checked with s3cmd), byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
. "$ROOT/tests/fixtures/mariadb/mariadb.sh"
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
APP_PID=
app_stop() {
	[ -n "$APP_PID" ] || return 0
	kill "$APP_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$APP_PID" 2>/dev/null; wait "$APP_PID" 2>/dev/null; APP_PID=
}
trap 'app_stop; s3_stop; mariadb_stop; rm -rf "$T"' EXIT
APP=$ROOT/examples/demo-app/app.py
DB_APP_PASSWORD=db-pass-$RANDOM-$RANDOM

# --- MariaDB: database and user as the mysql role makes them (password via stdin, not argv)
if mariadb_start "$T/db"; then ok "private mariadbd starts on 127.0.0.1:$MARIADB_PORT"
else not_ok "private mariadbd starts"; exit 1; fi
check "create appdb and app user" mariadb_root <<EOF
CREATE DATABASE appdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '$DB_APP_PASSWORD';
GRANT ALL PRIVILEGES ON appdb.* TO 'app'@'127.0.0.1';
EOF
(umask 077; printf '[client]\nuser=app\npassword=%s\nhost=127.0.0.1\nport=%s\ndatabase=appdb\n' \
	"$DB_APP_PASSWORD" "$MARIADB_PORT" >"$T/app.my.cnf")
app_sql() { mariadb --defaults-file="$T/app.my.cnf" -N -B -e "$1"; }

# --- S3: the bucket (versioned) and the app's key, made by the minio role's own code
# (buckets over S3, the key registered through the admin API with the profile's policy)
mkdir -p "$T/s3data"
APP_AK=DEMOAPPKEY$RANDOM APP_SK=demo-app-secret-$RANDOM$RANDOM
if s3_start "$T/s3data"; then ok "s3server starts"; else not_ok "s3server starts"; exit 1; fi
s3cmd_config "$T/app.s3cfg" "$APP_AK" "$APP_SK"
minio_setup() { # secrets in the environment, never on a command line
	KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD \
	KILN_SECRET_minio_app_access_key=$APP_AK KILN_SECRET_minio_app_secret_key=$APP_SK \
		"$ROOT/$KILN_BUILD/drivers/minio_role" "$ROOT/profiles/examples/onprem.yaml" - setup "$S3_ENDPOINT"
}
check "the minio role makes the uploads bucket and registers the app key" minio_setup

# --- the app, configured only through its environment (as /etc/kiln/app.env)
APP_PORT=$(free_port)
(umask 077; cat >"$T/app.env" <<EOF
DB_HOST=127.0.0.1
DB_PORT=$MARIADB_PORT
DB_NAME=appdb
DB_USER=app
DB_PASSWORD=$DB_APP_PASSWORD
S3_ENDPOINT=$S3_ENDPOINT
S3_BUCKET=uploads
S3_ACCESS_KEY=$APP_AK
S3_SECRET_KEY=$APP_SK
FLASK_SECRET_KEY=flask-$RANDOM$RANDOM
APP_BIND=127.0.0.1:$APP_PORT
MAX_UPLOAD_MB=1
EOF
)
(set -a; . "$T/app.env"; exec /usr/bin/python3 "$APP") >"$T/app.log" 2>&1 &
APP_PID=$!
URL=http://127.0.0.1:$APP_PORT
for _ in $(seq 150); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ] && break
	kill -0 "$APP_PID" 2>/dev/null || break
	sleep 0.2
done
check_output "healthz reports both backends ok" '"db": ?"ok".*"s3": ?"ok"|"s3": ?"ok".*"db": ?"ok"' curl -sf "$URL/healthz"
check_output "the app created its table" '^records$' app_sql "SHOW TABLES"

# --- a record with a file
head -c 300000 /dev/urandom >"$T/upload.bin"
SUM=$(sha256sum <"$T/upload.bin" | cut -d' ' -f1)
check_output "POST /records returns 201" '^201$' \
	curl -s -o "$T/created.json" -w '%{http_code}' -F 'name=quarterly report' -F "file=@$T/upload.bin" "$URL/records"
json() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
ID=$(json "$T/created.json" id 2>/dev/null)
KEY=$(json "$T/created.json" object_key 2>/dev/null)
check "the response has an id and an object key" test -n "$ID" -a -n "$KEY"
check_output "GET /records/ID returns the row" "\"sha256\": ?\"$SUM\"" curl -sf "$URL/records/$ID"
check_output "the row in MariaDB (mysql client)" "^quarterly report	$KEY	$SUM	300000$" \
	app_sql "SELECT name, object_key, sha256, size FROM records WHERE id = $ID"
check "the object in the bucket (s3cmd, app key)" s3cmd -c "$T/app.s3cfg" --no-progress get --force "s3://uploads/$KEY" "$T/from-s3.bin"
check "the object's bytes equal the upload" cmp "$T/upload.bin" "$T/from-s3.bin"
check "GET /records/ID/file streams it back" curl -sf -o "$T/from-app.bin" "$URL/records/$ID/file"
check "the streamed bytes equal the upload" cmp "$T/upload.bin" "$T/from-app.bin"

# --- bad input
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check_output "POST without a file is 400" '^400$' status -F 'name=x' "$URL/records"
check_output "POST without a name is 400" '^400$' status -F "file=@$T/upload.bin" "$URL/records"
head -c 1100000 /dev/zero >"$T/big.bin"
check_output "POST over MAX_UPLOAD_MB is 413" '^413$' status -F 'name=big' -F "file=@$T/big.bin" "$URL/records"
check_output "GET of a missing record is 404" '^404$' status "$URL/records/999999"
check_output "GET of a non-numeric id is 404" '^404$' status "$URL/records/abc"
check_output "no row was added by the bad requests" '^1$' app_sql "SELECT COUNT(*) FROM records"
check_output "no object was added by the bad requests" '^1$' \
	bash -c "s3cmd -c '$T/app.s3cfg' ls -r s3://uploads | wc -l"
check "no secret in the app's log" bash -c "! grep -qF -e '$DB_APP_PASSWORD' -e '$APP_SK' '$T/app.log'"

# --- health follows the backends
s3_stop
check_output "healthz is 503 with S3 down" '^503$' status "$URL/healthz"
check_output "healthz names the failing backend" '"s3": ?"error' curl -s "$URL/healthz"
app_stop

# --- configuration errors
check_fails "the app names missing settings" 'missing environment: .*DB_PASSWORD.*S3_SECRET_KEY' \
	env -i PATH="$PATH" DB_HOST=x DB_NAME=x DB_USER=x S3_ENDPOINT=x S3_BUCKET=x S3_ACCESS_KEY=x \
	FLASK_SECRET_KEY=x /usr/bin/python3 "$APP"
check_output "the unit reads a 0600 EnvironmentFile under /etc/kiln" '^EnvironmentFile=/etc/kiln/app.env$' \
	cat "$ROOT/examples/demo-app/kiln-demo-app.service"
check "the unit passes systemd-analyze verify" systemd-analyze verify "$ROOT/examples/demo-app/kiln-demo-app.service"
