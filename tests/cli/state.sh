#!/usr/bin/env bash
# The state directory is one transaction: commands at once on one directory
# (keys init, secrets init), proven consistent with real tools (minisign,
# openssl, kiln-firstboot opening the seeds); the lock; a directory of another
# deployment; partial, mismatched, expired-free and empty units named with the
# command that repairs them, and the repair.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
P=$T/d/p.yaml
setup_profile "$T/d"
sed 's/name: acme/name: other/' "$P" >"$T/d/other.yaml"
ROUNDS=10

# The X25519 public key of a role's .key, derived by OpenSSL (PKCS#8 around the
# raw secret half), and the one its .pub holds; both as hex.
role_pk_derived() { # STATE ROLE
	{ printf '302e020100300506032b656e04220420' | xxd -r -p; tail -1 "$1/roles/$2.key" | base64 -d | tail -c 32; } |
		openssl pkey -inform DER -pubout -outform DER | tail -c 32 | xxd -p -c 64
}
role_pk_file() { tail -1 "$1/roles/$2.pub" | base64 -d | tail -c 32 | xxd -p -c 64; }
pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pubkey_of_key() { openssl pkey -in "$1" -pubout; }

# A host's seed, opened by the agent as the appliance would (early stage:
# seed, identity, secrets), from a root holding the role's key.
open_seed() { # STATE HOST ROLE SEED -> root dir
	local r=$T/root-$2-$RANDOM
	mkdir -p "$r/etc/kiln" "$r/sys/block"
	cp "$1/operator.pub" "$r/etc/kiln/operator.pub"
	install -m 0600 "$1/roles/$3.key" "$r/etc/kiln/role.key"
	echo acme >"$r/etc/kiln/deployment"
	cp "$4" "$r/etc/kiln/seed"
	KILN_STATE_DIR=$r/var/lib/kiln "$KILN_FIRSTBOOT" run --stage early --root "$r" --no-services --datasource other \
		>>"$T/fb.log" 2>&1
	echo "$r"
}

# The agent's secrets step is done and each secret it wrote is the state's.
secrets_delivered() { # ROOT STATE
	local f
	grep -q '"name": "secrets", "state": "done"' "$1/var/lib/kiln/status.json" 2>/dev/null || return 1
	for f in "$1"/etc/kiln/secrets/*; do cmp -s "$f" "$2/secrets/$(basename "$f")" || return 1; done
}

# --- 3 keys init and 3 secrets init at once on a fresh directory, ROUNDS times ---
bad_keys=0 bad_secrets=0 bad_sig=0 bad_kiln_sig=0 bad_chain=0 bad_tlskey=0 bad_cakey=0 bad_role=0 bad_open=0
for round in $(seq $ROUNDS); do
	S=$T/race$round
	pids=()
	for i in 1 2 3; do
		"$KILN" keys init "$P" --state "$S" >"$T/keys$i.out" 2>"$T/keys$i.err" & pids+=($!)
		"$KILN" secrets init "$P" --state "$S" >"$T/secrets$i.out" 2>"$T/secrets$i.err" & pids+=($!)
	done
	rcs=""
	for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
	cat "$T"/keys?.out "$T"/keys?.err "$T"/secrets?.out "$T"/secrets?.err >>"$T/transcript"
	# exactly one keys init made the keys; the others refused to overwrite them
	created=$(cat "$T"/keys?.out | grep -c '^operator key .*: created')
	refused=$(cat "$T"/keys?.err | grep -c 'refusing to overwrite')
	[ "$created" = 1 ] && [ "$refused" = 2 ] || {
		bad_keys=$((bad_keys + 1))
		echo "# round $round: keys created $created, refused $refused"; head -3 "$T"/keys?.err | sed 's/^/# /'
	}
	# every secrets init succeeded; one generated, the others kept
	[ "$(cat "$T"/secrets?.out | grep -c '^ca: generated')" = 1 ] && [ "$(cat "$T"/secrets?.out | grep -c '^ca: kept')" = 2 ] &&
		! grep -vq '^kiln: waiting for ' "$T"/secrets?.err || { bad_secrets=$((bad_secrets + 1)); echo "# round $round: exits$rcs"; cat "$T"/secrets?.err | sed 's/^/# /'; }
	# operator pair: minisign signs with operator.key, verifies with operator.pub
	echo "round $round" >"$T/msg"
	minisign -S -s "$S/operator.key" -m "$T/msg" -x "$T/msg.ms" >/dev/null 2>&1 &&
		minisign -V -p "$S/operator.pub" -m "$T/msg" -x "$T/msg.ms" >/dev/null 2>&1 || bad_sig=$((bad_sig + 1))
	"$KILN" sign "$T/msg" --state "$S" >>"$T/transcript" 2>&1 &&
		minisign -V -p "$S/operator.pub" -m "$T/msg" >/dev/null 2>&1 || bad_kiln_sig=$((bad_kiln_sig + 1))
	# the CA set: cert signed by the CA, key matches cert, CA key matches CA
	openssl verify -CAfile "$S/ca.pem" "$S/tls_cert.pem" >/dev/null 2>&1 || bad_chain=$((bad_chain + 1))
	[ "$(pubkey_of_cert "$S/tls_cert.pem")" = "$(pubkey_of_key "$S/secrets/tls_key")" ] || bad_tlskey=$((bad_tlskey + 1))
	[ "$(pubkey_of_cert "$S/ca.pem")" = "$(pubkey_of_key "$S/ca.key")" ] || bad_cakey=$((bad_cakey + 1))
	# role pairs: OpenSSL derives each .pub from its .key; the agent opens each role's seed with its .key
	for h in app1:app db1:mysql minio1:minio; do
		role=${h#*:} host=${h%:*}
		[ "$(role_pk_derived "$S" "$role")" = "$(role_pk_file "$S" "$role")" ] || bad_role=$((bad_role + 1))
		"$KILN" seed "$P" --state "$S" --host "$host" --out "$T/$host.seed" >>"$T/transcript" 2>&1
		r=$(open_seed "$S" "$host" "$role" "$T/$host.seed")
		secrets_delivered "$r" "$S" || { bad_open=$((bad_open + 1)); echo "# round $round: $host's seed did not open"; }
	done
done
check "$ROUNDS rounds: exactly one of 3 concurrent keys init created the keys, 2 refused" test $bad_keys = 0
check "$ROUNDS rounds: 3 concurrent secrets init all succeed (1 generated, 2 kept)" test $bad_secrets = 0
check "$ROUNDS rounds: minisign signs with operator.key and verifies with operator.pub" test $bad_sig = 0
check "$ROUNDS rounds: kiln sign verifies with minisign -V" test $bad_kiln_sig = 0
check "$ROUNDS rounds: openssl verify: tls_cert.pem is signed by ca.pem" test $bad_chain = 0
check "$ROUNDS rounds: secrets/tls_key is tls_cert.pem's key (openssl)" test $bad_tlskey = 0
check "$ROUNDS rounds: ca.key is ca.pem's key (openssl)" test $bad_cakey = 0
check "$ROUNDS rounds: each roles/*.pub is the X25519 public half of its .key (openssl)" test $bad_role = 0
check "$ROUNDS rounds: kiln-firstboot opens every host's seed with its role key; secrets intact" test $bad_open = 0
check "no transaction left behind" bash -c "! ls -d '$T'/race*/.txn 2>/dev/null"

# --- the lock: a command waits for the holder and says so ---
S=$T/race1
flock "$S/lock" sleep 2 &
holder=$!
sleep 0.3
check "seed waits for a held lock, then succeeds" kiln seed "$P" --state "$S" --host db1 --out "$T/w.seed"
check "... saying whom it waits for" grep -q "waiting for $S/lock: another process is using $S" "$T/k.err"
wait $holder
check "... and the seed it wrote opens" test -s "$T/w.seed"

# --- the directory must belong to the profile's deployment ---
other="holds the keys of another deployment \('acme'; the profile is 'other'\)"
S=$T/race1
cp -a "$S" "$T/before"
check_fails "secrets init refuses another deployment's state" "$other" kiln secrets init "$T/d/other.yaml" --state "$S"
check_fails "seed refuses another deployment's state" "$other" kiln seed "$T/d/other.yaml" --state "$S" --host app1 --out "$T/x.seed"
check_fails "sign --profile refuses another deployment's state" "$other" kiln sign "$T/msg" --profile "$T/d/other.yaml" --state "$S"
check_fails "build refuses another deployment's state" "$other" kiln build "$T/d/other.yaml" --state "$S" --role mysql --out "$T/img"
check "nothing written by the refused commands" bash -c "diff -r '$T/before' '$S' && test ! -e '$T/x.seed' && test ! -e '$T/img'"
mkdir -m 700 "$T/unclaimed"
check_fails "seed refuses a directory no keys init claimed" "holds no deployment's keys.*run 'kiln keys init" kiln seed "$P" --state "$T/unclaimed" --host db1 --out "$T/x.seed"

# --- secrets checked for content on read ---
S=$T/race2
repair_secrets="repair with: kiln secrets init $P --repair"
: >"$S/secrets/mysql_root_password"
check_fails "an empty secret is refused by secrets init, naming the repair" "mysql_root_password: it is empty; $repair_secrets" kiln secrets init "$P" --state "$S"
check_fails "... and by seed" "mysql_root_password: it is empty; $repair_secrets" kiln seed "$P" --state "$S" --host db1 --out "$T/x.seed"
check "no seed written" test ! -e "$T/x.seed"
printf 'short' >"$S/secrets/mysql_app_password"; chmod 600 "$S/secrets/mysql_app_password"
check_fails "a too short password is refused" "mysql_app_password: a password must be 16 to 256 characters" kiln secrets init "$P" --state "$S"
cp "$S/secrets/minio_root_user" "$T/ak"
{ cat "$T/ak"; echo; } >"$S/secrets/minio_root_user"
check_fails "an access key with a trailing newline is refused" "minio_root_user: an access key must be 16 to 128 characters of A-Z 0-9" kiln seed "$P" --state "$S" --host minio1 --out "$T/x.seed"
cp -a "$S/secrets" "$T/secrets.before"
check_output "secrets init --repair replaces the bad ones" '^mysql_root_password: repaired \(new value\)$' kiln secrets init "$P" --state "$S" --repair
check "... all three" test "$(grep -c 'repaired (new value)' "$T/k.out")" = 3
check "... keeping the good ones" cmp "$T/secrets.before/minio_app_secret_key" "$S/secrets/minio_app_secret_key"
check "... the new password is 43 URL-safe characters" grep -Eqx '[A-Za-z0-9_-]{43}' "$S/secrets/mysql_root_password"
check "... the new access key is 20 of [A-Z0-9]" grep -Eqx '[A-Z0-9]{20}' "$S/secrets/minio_root_user"
check "... and seeds build again" kiln seed "$P" --state "$S" --host db1 --out "$T/db1r.seed"

# --- a partial CA: named with its repair, then repaired ---
S=$T/race3
mv "$S/ca.pem" "$T/ca.pem.old"
check_fails "ca.key without ca.pem names the repair" "ca.key exists without .*ca.pem; $(echo "repair with: kiln secrets init $P --repair")" kiln secrets init "$P" --state "$S"
check_fails "... seed names it too" "ca.key exists without .*ca.pem; repair with" kiln seed "$P" --state "$S" --host db1 --out "$T/x.seed"
check_output "secrets init --repair makes a new CA and certificate" '^ca: repaired \(new CA\)$' kiln secrets init "$P" --state "$S" --repair
check "... openssl verifies the new certificate with the new CA" openssl verify -CAfile "$S/ca.pem" "$S/tls_cert.pem"
check "... the key matches it" test "$(pubkey_of_cert "$S/tls_cert.pem")" = "$(pubkey_of_key "$S/secrets/tls_key")"
check_output "... a second run keeps them" '^tls_key: kept$' kiln secrets init "$P" --state "$S"

# --- an app certificate not signed by the CA / a key not its certificate's ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=stray -days 30 \
	-keyout "$T/stray.key" -out "$T/stray.crt" >/dev/null 2>&1
cp "$S/ca.pem" "$T/ca.keep"
cp "$T/stray.crt" "$S/tls_cert.pem"
check_fails "a certificate the CA did not sign is refused" "tls_cert.pem: the certificate is not signed by the CA; repair with" kiln secrets init "$P" --state "$S"
check_fails "... by seed too" "tls_cert.pem: the certificate is not signed by the CA" kiln seed "$P" --state "$S" --host app1 --out "$T/x.seed"
check_output "--repair issues a new certificate from the same CA" '^tls_key: repaired \(new certificate and key from the CA\)$' kiln secrets init "$P" --state "$S" --repair
check "... the CA is kept" cmp "$T/ca.keep" "$S/ca.pem"
check "... openssl verifies it" openssl verify -CAfile "$S/ca.pem" "$S/tls_cert.pem"
install -m 600 "$T/stray.key" "$S/secrets/tls_key"
check_fails "a tls_key that is not the certificate's key is refused" "tls_cert.pem: the private key is not the certificate's key" kiln secrets init "$P" --state "$S"
check "secrets init --repair mends it" kiln secrets init "$P" --state "$S" --repair
check "... key and certificate match (openssl)" test "$(pubkey_of_cert "$S/tls_cert.pem")" = "$(pubkey_of_key "$S/secrets/tls_key")"

# --- key pairs that do not match ---
S=$T/race4
cp "$T/race1/roles/app.pub" "$S/roles/app.pub"
check_fails "a role .pub of another key is refused by keys init" "roles/app.pub does not match .*roles/app.key; repair with: kiln keys init $P --repair" kiln keys init "$P" --state "$S"
check_fails "... by seed" "roles/app.pub does not match" kiln seed "$P" --state "$S" --host app1 --out "$T/x.seed"
check_fails "... by build" "roles/app.pub does not match" kiln build "$P" --state "$S" --role app --out "$T/img"
cp "$S/roles/app.key" "$T/app.key.before"
check_output "keys init --repair writes the .pub from the .key" '^role key app: repaired' kiln keys init "$P" --state "$S" --repair
check "... the secret key is unchanged" cmp "$T/app.key.before" "$S/roles/app.key"
check "... openssl derives the same public key" test "$(role_pk_derived "$S" app)" = "$(role_pk_file "$S" app)"
cp "$T/race1/operator.pub" "$S/operator.pub"
check_fails "an operator.pub of another key is refused by sign" "operator.pub does not match .*operator.key; repair with: kiln keys init PROFILE --repair" kiln sign "$T/msg" --state "$S"
rm "$S/roles/minio.key"
check_fails "a role .pub without its .key is refused" "roles/minio.pub exists without its secret key" kiln keys init "$P" --state "$S"
check_output "keys init --repair mends both" '^role key minio: replaced \(repair\)' kiln keys init "$P" --state "$S" --repair
check_output "... and the operator pair" '^operator key [0-9A-F]{16}: repaired' cat "$T/k.out"
check "... minisign verifies a kiln signature again" bash -c "'$KILN' sign '$T/msg' --state '$S' 2>/dev/null && minisign -V -p '$S/operator.pub' -m '$T/msg' >/dev/null"
check_output "keys init --repair with nothing broken says so" '^nothing to repair in ' kiln keys init "$P" --state "$S" --repair
check_fails "--repair and --force together are a usage error" 'Usage: kiln keys' kiln keys init "$P" --state "$S" --repair --force

cat "$T/fb.log" >>"$T/transcript"
for s in "$T"/race?; do check_no_secret_leaks "$s" "$T"/*.seed; done
