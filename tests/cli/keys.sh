#!/usr/bin/env bash
# kiln keys init / kiln secrets init: files, modes, idempotence, refusals.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
P=$T/d/p.yaml
S=$T/d/.kiln/acme
setup_profile "$T/d"
mode() { stat -c %a "$1"; }

check_output "keys --help" 'Usage: kiln keys init' kiln keys --help
check_output "keys --help names --repair" '--repair +mend broken pairs' kiln keys --help
check_output "secrets --help names --repair" '--repair +replace what is broken' kiln secrets --help
check_fails "keys without PROFILE is a usage error" 'Usage: kiln keys' kiln keys init
"$KILN" keys frob "$P" >/dev/null 2>&1; [ $? -eq 2 ] && ok "keys unknown action exits 2" || not_ok "keys unknown action exits 2"
check_output "keys init creates keys" 'operator key [0-9A-F]{16}: created' kiln keys init "$P"
check "state dir is 0700" test "$(mode "$S")" = 700
check "operator.key is 0600" test "$(mode "$S/operator.key")" = 600
check "operator.pub is 0644" test "$(mode "$S/operator.pub")" = 644
check "role keys 0600 for app mysql minio" test "$(stat -c %a "$S"/roles/{app,mysql,minio}.key | sort -u)" = 600
check "role dir is 0700" test "$(mode "$S/roles")" = 700
check_output "operator.pub is a minisign public key" '^untrusted comment: minisign public key [0-9A-F]{16}$' head -1 "$S/operator.pub"
check_fails "keys init refuses to overwrite" 'refusing to overwrite.*--force' kiln keys init "$P"
cp "$S/operator.pub" "$T/old.pub"
check_output "keys init --force (option after args) replaces" 'operator key .*created' kiln keys init "$P" --force
check "--force made a new operator key" bash -c "! cmp -s '$T/old.pub' '$S/operator.pub'"
check_output "--state in any position" 'role key app: created' kiln keys --state "$T/st2" init "$P"
check "--state dir created 0700" test "$(mode "$T/st2")" = 700
rm "$S/roles/minio.key" "$S/roles/minio.pub"
check_output "keys init adds a missing role key, keeps the rest" 'role key minio: created' kiln keys init "$P"
check_output "... and said kept for the others" 'operator key: kept' cat "$T/k.out"

# refusals: open modes
chmod 0644 "$S/operator.key"
check_fails "operator.key 0644 refused with the fix" "operator.key is readable by group/others.*chmod 600" kiln keys init "$P"
chmod 0600 "$S/operator.key"
chmod 0644 "$S/roles/app.key"
check_fails "role key 0644 refused" "app.key is readable.*chmod 600" kiln keys init "$P"
chmod 0600 "$S/roles/app.key"
chmod 0755 "$S"
check_fails "state dir 0755 refused" "state directory .* chmod 700" kiln keys init "$P"
chmod 0700 "$S"
printf 'kiln: 1\ndeployment: {name: acme\n' >"$T/bad.yaml"
check_fails "bad profile reports file:line:col" 'bad.yaml:[0-9]+:[0-9]+: error' kiln keys init "$T/bad.yaml"

# secrets init
check_output "secrets init generates" '^mysql_root_password: generated$' kiln secrets init "$P"
check_output "... the TLS key and CA" '^tls_key: generated$' cat "$T/k.out"
check "secrets dir is 0700" test "$(mode "$S/secrets")" = 700
check "every secret file is 0600" test "$(stat -c %a "$S"/secrets/* | sort -u)" = 600
check "ca.key is 0600" test "$(mode "$S/ca.key")" = 600
check "password is 43 url-safe chars" grep -Eqx '[A-Za-z0-9_-]{43}' "$S/secrets/mysql_root_password"
check "access key is 20 [A-Z0-9]" grep -Eqx '[A-Z0-9]{20}' "$S/secrets/minio_root_user"
check "app extra secret generated" test -s "$S/secrets/flask_secret_key"
check "no replication password without replicas" test ! -e "$S/secrets/mysql_replication_password"
cp -r "$S/secrets" "$T/secrets.before"
check_output "secrets init again keeps" '^mysql_root_password: kept$' kiln secrets init --state "$S" "$P"
check "kept secrets are unchanged" diff -r "$T/secrets.before" "$S/secrets"
check "output has names only" bash -c "! grep -v -E '^[a-z_]+: (generated|kept|copied)$' '$T/k.out'"
check "openssl verifies the app cert with the CA" openssl verify -CAfile "$S/ca.pem" "$S/tls_cert.pem"
openssl x509 -in "$S/tls_cert.pem" -noout -ext subjectAltName >"$T/san" 2>&1
check "SAN has the app FQDN" grep -q 'DNS:app1.acme.internal' "$T/san"
check "SAN has the app static IP" grep -q 'IP Address:192.168.40.200' "$T/san"
check "tls_key matches the certificate" test "$(openssl x509 -in "$S/tls_cert.pem" -noout -pubkey)" = "$(openssl pkey -in "$S/secrets/tls_key" -pubout)"
check "CA is a CA, P-256" bash -c "openssl x509 -in '$S/ca.pem' -noout -text | grep -q 'CA:TRUE' && openssl x509 -in '$S/ca.pem' -noout -text | grep -q 'prime256v1'"
mv "$S/tls_cert.pem" "$T/tls_cert.pem"
check_fails "tls_key without its certificate names the repair" 'tls_key exists without .*tls_cert.pem; repair with: kiln secrets init .*p.yaml --repair' kiln secrets init "$P"
mv "$T/tls_cert.pem" "$S/tls_cert.pem"
chmod 0644 "$S/secrets/mysql_app_password"
check_fails "secret file 0644 refused" 'mysql_app_password is readable by group/others.*chmod 600' kiln secrets init "$P"
chmod 0600 "$S/secrets/mysql_app_password"

# server_name and operator-supplied TLS files
mkdir -p "$T/e"
sed 's/^  app:$/  app:\n    tls: {server_name: shop.example.com}/' "$P" >"$T/e/p.yaml"
check_output "secrets init with tls.server_name" 'tls_key: generated' kiln secrets init "$T/e/p.yaml"
openssl x509 -in "$T/e/.kiln/acme/tls_cert.pem" -noout -ext subjectAltName >"$T/san2" 2>&1
check "SAN is the server_name" grep -q 'DNS:shop.example.com' "$T/san2"
mkdir -p "$T/o/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=own -days 1 \
	-keyout "$T/o/tls/own.key" -out "$T/o/tls/own.crt" >/dev/null 2>&1
chmod 600 "$T/o/tls/own.key"
sed 's/^  app:$/  app:\n    tls: {cert: tls\/own.crt, key: tls\/own.key}/' "$P" >"$T/o/p.yaml"
check_output "operator TLS files are copied" '^tls_key: copied$' kiln secrets init "$T/o/p.yaml"
check "copied cert is the operator's" cmp "$T/o/tls/own.crt" "$T/o/.kiln/acme/tls_cert.pem"
check "copied key is the operator's" cmp "$T/o/tls/own.key" "$T/o/.kiln/acme/secrets/tls_key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/o/tls/stray.key" 2>/dev/null
install -m 600 "$T/o/tls/stray.key" "$T/o/.kiln/acme/secrets/tls_key"
check_fails "a copied key that is not the certificate's names the repair" "tls_cert.pem: the private key is not the certificate's key; repair with: kiln secrets init .*--repair \(it copies the roles.app.tls" kiln secrets init "$T/o/p.yaml"
check_output "--repair copies the operator's files again" '^tls_key: repaired \(copied again\)$' kiln secrets init "$T/o/p.yaml" --repair
check "... the key is the operator's again" cmp "$T/o/tls/own.key" "$T/o/.kiln/acme/secrets/tls_key"
check "... and no CA was made" test ! -e "$T/o/.kiln/acme/ca.pem"
rm -rf "$T/o/.kiln"
sed 's/^  app:$/  app:\n    tls: {cert: tls\/own.crt, key: tls\/stray.key}/' "$P" >"$T/o/mismatch.yaml"
check_fails "operator TLS files that are not a pair" "roles.app.tls cert .*own.crt and key .*stray.key: the private key is not the certificate's key" kiln secrets init "$T/o/mismatch.yaml"
check "... nothing written" test ! -e "$T/o/.kiln/acme/tls_cert.pem"
check "no CA made when the operator brings TLS" test ! -e "$T/o/.kiln/acme/ca.key"
rm -rf "$T/o/.kiln"
chmod 644 "$T/o/tls/own.key"
check_fails "operator TLS key 0644 refused" 'own.key is readable.*chmod 600' kiln secrets init "$T/o/p.yaml"

rm -rf "$T/o/.kiln"
chmod 600 "$T/o/tls/own.key"
cp "$T/o/tls/own.crt" "$T/o/tls/own.crt.bak"
echo "not a certificate" >"$T/o/tls/own.crt"
check_fails "operator TLS files that are not PEM" 'roles.app.tls cert/key are not PEM' kiln secrets init "$T/o/p.yaml"
rm "$T/o/tls/own.crt"
check_fails "missing operator TLS cert" 'cannot read roles.app.tls.cert .*own.crt' kiln secrets init "$T/o/p.yaml"
sed 's/name: acme/name: other/' "$P" >"$T/d/other.yaml"
check_fails "state of another deployment is refused" "holds the keys of another deployment \('acme'; the profile is 'other'\)" kiln keys init "$T/d/other.yaml" --state "$S"
check_fails "... even with --force" 'holds the keys of another deployment' kiln keys init "$T/d/other.yaml" --state "$S" --force

check_no_secret_leaks "$S"
check_no_secret_leaks "$T/e/.kiln/acme"
