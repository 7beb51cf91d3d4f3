#!/usr/bin/env bash
# kiln's side of MinIO's admin API against MinIO's own Go clients, as Debian
# packages them (madmin-go 2.0.7, minio-go 7.0.46; built offline by
# tests/fixtures/madmin/build.sh): lib/madmin_crypt.c and madmin's
# EncryptData/DecryptData open each other's output, both ways, at sizes
# across the 16 KiB fragment boundaries and beyond 64 KiB; the checked-in
# known-answer vectors are what the Go generator gives; madmin drives the
# stand-in's admin endpoints; and the app key kiln registers works with
# minio-go inside its bucket and is refused outside it.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/s3server/server.sh"
trap 's3_stop; rm -rf "$T"' EXIT
C=$ROOT/$KILN_BUILD/drivers/madmin_crypt
D=$ROOT/$KILN_BUILD/drivers/minio_role
P=$ROOT/profiles/examples/onprem.yaml

if GO=$("$ROOT/tests/fixtures/madmin/build.sh" 2>"$T/gobuild.log"); then
	ok "the Go interop program builds offline against Debian's madmin-go and minio-go"
else
	not_ok "the Go interop program builds offline"; sed 's/^/#   /' "$T/gobuild.log" | tail -20; exit 1
fi

# --- EncryptData / DecryptData, both directions
export MADMIN_PASSWORD=root-password-$RANDOM$RANDOM
"$GO" vectors >"$T/vectors.h"
check "tests/unit/madmin_vectors.h is what the Go generator gives (and madmin.DecryptData opens each)" \
	cmp "$T/vectors.h" "$ROOT/tests/unit/madmin_vectors.h"
for n in 0 1 100 16384 16385 32768 70000 200000; do
	head -c $n /dev/urandom >"$T/plain.$n"
	"$C" encrypt <"$T/plain.$n" >"$T/kiln.$n" && "$GO" decrypt <"$T/kiln.$n" >"$T/back.$n" &&
		cmp -s "$T/plain.$n" "$T/back.$n" && ok "kiln encrypts, madmin.DecryptData opens: $n bytes" ||
		not_ok "kiln encrypts, madmin.DecryptData opens: $n bytes"
	"$GO" encrypt <"$T/plain.$n" >"$T/go.$n" && "$C" decrypt <"$T/go.$n" >"$T/back2.$n" &&
		cmp -s "$T/plain.$n" "$T/back2.$n" && ok "madmin.EncryptData encrypts, kiln opens: $n bytes" ||
		not_ok "madmin.EncryptData encrypts, kiln opens: $n bytes"
done
check_output "kiln writes AEAD id 0 (Argon2id + AES-256-GCM) by default" '^00$' bash -c "head -c 33 '$T/kiln.100' | tail -c 1 | od -An -tx1 | tr -d ' '"
# What kiln's add-user sends (firstboot/minio_admin.c): id 2, PBKDF2 + AES-256-GCM. MinIO's add-user
# handler opens the body with madmin.DecryptData, which picks the KDF by that byte, FIPS or not.
for n in 0 100 16385 70000; do
	"$C" encrypt 2 <"$T/plain.$n" >"$T/kiln2.$n" && "$GO" decrypt <"$T/kiln2.$n" >"$T/back3.$n" &&
		cmp -s "$T/plain.$n" "$T/back3.$n" && ok "kiln encrypts with PBKDF2 (id 2), madmin.DecryptData opens: $n bytes" ||
		not_ok "kiln encrypts with PBKDF2 (id 2), madmin.DecryptData opens: $n bytes"
done
check_output "... and that is id 2 in the header" '^02$' bash -c "head -c 33 '$T/kiln2.100' | tail -c 1 | od -An -tx1 | tr -d ' '"
check_fails "madmin.DecryptData refuses kiln's PBKDF2 body under another password" 'not authentic' \
	env MADMIN_PASSWORD=another-password "$GO" decrypt <"$T/kiln2.100"
flip() { # file offset -> stdout with that byte inverted
	/usr/bin/python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 0xff; sys.stdout.buffer.write(b)' "$1" "$2"
}
flip "$T/kiln.70000" 20000 >"$T/kiln.tampered"
check_fails "madmin.DecryptData refuses kiln's ciphertext with a byte changed" 'not authentic' "$GO" decrypt <"$T/kiln.tampered"
check_fails "madmin.DecryptData refuses kiln's ciphertext under another password" 'not authentic' \
	env MADMIN_PASSWORD=another-password "$GO" decrypt <"$T/kiln.100"
head -c 40000 "$T/go.70000" >"$T/go.truncated"
check_fails "kiln refuses madmin's ciphertext cut short" 'Bad message' "$C" decrypt <"$T/go.truncated"
flip "$T/go.16385" 60 >"$T/go.tampered"
check_fails "kiln refuses madmin's ciphertext with a byte changed" 'Bad message' "$C" decrypt <"$T/go.tampered"
unset MADMIN_PASSWORD

# --- madmin and minio-go against the stand-in
mkdir -p "$T/data"
s3_start "$T/data" || { not_ok "s3 server starts"; exit 1; }
EP=127.0.0.1:$S3_PORT
export MINIO_ROOT_USER=$S3_ROOT_USER MINIO_ROOT_PASSWORD=$S3_ROOT_PASSWORD
export KILN_SECRET_minio_root_user=$S3_ROOT_USER KILN_SECRET_minio_root_password=$S3_ROOT_PASSWORD
export KILN_SECRET_minio_app_access_key=APPKEY$RANDOM$RANDOM KILN_SECRET_minio_app_secret_key=app-secret-$RANDOM$RANDOM
check "kiln creates the buckets and registers the app's key (admin API)" "$D" "$P" - setup "$S3_ENDPOINT"
"$GO" admin "$EP" uploads || echo "not ok - madmin admin suite exited non-zero"

check_output "madmin GetUserInfo: kiln's app user is enabled with policy kiln-app" '^policy=kiln-app status=enabled$' \
	"$GO" user-info "$EP" "$KILN_SECRET_minio_app_access_key"
same_json() { /usr/bin/python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' "$1" "$2"; }
check "madmin InfoCannedPolicyV2 returns kiln's policy as kiln rendered it" \
	same_json "$("$GO" policy "$EP" kiln-app 2>&1)" "$("$D" "$P" - policy)"
APP_ACCESS_KEY=$KILN_SECRET_minio_app_access_key APP_SECRET_KEY=$KILN_SECRET_minio_app_secret_key \
	"$GO" app "$EP" uploads private-bucket || echo "not ok - minio-go app suite exited non-zero"
s3_stop
