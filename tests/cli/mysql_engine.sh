#!/usr/bin/env bash
# roles.mysql.engine: mysql as an operator meets it without Oracle's packages
# (MySQL cannot be downloaded here): kiln check accepts and shows it, and
# kiln build stops before any work with one line when the vendor
# repository's key is not where the recipe pins it, or is not that key.
. "$(dirname "$0")/../lib.sh"
profile=$ROOT/profiles/examples/onprem.yaml
# The example with MySQL 8 (the engine key first in roles.mysql).
sed 's/^  mysql:$/  mysql:\n    engine: mysql/' "$profile" >"$T/my.yaml"
check "the profile has the engine" grep -q '^    engine: mysql$' "$T/my.yaml"
check "kiln check: an engine: mysql profile is valid" "$KILN" check "$T/my.yaml"
check_output "kiln check --json shows engine mysql" '"engine": "mysql"' \
	sh -c '"$1" check --json "$2" | python3 -m json.tool' _ "$KILN" "$T/my.yaml"
check_output "kiln check --json: MariaDB by default" '"engine": "mariadb"' \
	sh -c '"$1" check --json "$2" | python3 -m json.tool' _ "$KILN" "$profile"
sed 's/^    engine: mysql$/    engine: MySQL8/' "$T/my.yaml" >"$T/bad.yaml"
line=$(grep -n 'engine: MySQL8' "$T/bad.yaml" | cut -d: -f1)
check_fails "unknown engine: FILE:LINE:COLUMN and the choices" \
	"^$T/bad.yaml:$line:13: error: unknown engine 'MySQL8' \(expected mariadb or mysql\)$" "$KILN" check "$T/bad.yaml"

# kiln build --role mysql with the shipped recipes, the key path moved into
# the test's directory. A failing mmdebstrap and an empty cache stand for
# the long work, which must not start.
rm -rf "$T/recipes" && cp -r "$ROOT/images/roles" "$T/recipes"
sed -i "s|key: /etc/kiln/apt-keys/mysql.gpg|key: $T/keys/mysql.gpg|" "$T/recipes/mysql-mysql.yaml"
check "the copied recipe names the test's key path" grep -q "key: $T/keys/mysql.gpg" "$T/recipes/mysql-mysql.yaml"
mkdir -p "$T/fakebin" "$T/w"
printf '#!/bin/sh\ntouch %s/ran-mmdebstrap\nexit 1\n' "$T" >"$T/fakebin/mmdebstrap"
chmod +x "$T/fakebin/mmdebstrap"
cp "$T/my.yaml" "$T/w/my.yaml"
build() { (cd "$T/w" && env PATH="$T/fakebin:$PATH" KILN_CACHE_DIR="$T/cache" KILN_RECIPES="$T/recipes" \
	"$KILN" build my.yaml --role mysql --out images "$@"); }
nothing_done() { # name
	check "$1: nothing done (no state, no output directory, no mmdebstrap, no cache)" \
		bash -c "test ! -e '$T/w/.kiln' && test ! -e '$T/w/images' && test ! -e '$T/ran-mmdebstrap' && test ! -e '$T/cache'"
}
fpr=BCA43417C3B485DD128EC6D4B7B3B788A8D3785C
build >"$T/b.out" 2>"$T/b.err"
check "no vendor key: the build fails" test $? = 1
check_output "no vendor key: one line naming the file, the fingerprint and the docs" \
	"^kiln: error: \[mysql\] apt repository 'mysql': key file $T/keys/mysql.gpg is missing: put the repository's signing key \(fingerprint $fpr\) there as a binary OpenPGP keyring \(docs/build.md, \"Third-party apt repositories\"\)$" \
	cat "$T/b.err"
check "no vendor key: that line only" test "$(wc -l <"$T/b.err")" = 1
nothing_done "no vendor key"

# A key that is not Oracle's (made here by gpg): refused the same way.
mkdir -p "$T/keys" "$T/gh" && chmod 700 "$T/gh"
gpg --homedir "$T/gh" --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'not oracle <x@kiln.invalid>' \
	ed25519 sign never >/dev/null 2>&1
gpg --homedir "$T/gh" --batch --export >"$T/keys/mysql.gpg"
gpgconf --homedir "$T/gh" --kill all >/dev/null 2>&1
check "a test key was made" test -s "$T/keys/mysql.gpg"
build >"$T/b.out" 2>"$T/b.err"
check_output "another key: refused, naming the pinned fingerprint" \
	"^kiln: error: \[mysql\] apt repository 'mysql': $T/keys/mysql.gpg holds another key, not only the pinned key $fpr" \
	cat "$T/b.err"
check "another key: that line only" test "$(wc -l <"$T/b.err")" = 1
nothing_done "another key"
gpg --homedir "$T/gh" --batch --export --armor >"$T/keys/mysql.gpg"
check_fails "an armoured key: refused with the dearmor command" "is ASCII-armoured; apt wants a binary keyring: gpg --dearmor" build
nothing_done "an armoured key"

# kiln rootfs mysql --variant mysql: the same recipe and the same refusal.
rm -f "$T/keys/mysql.gpg"
env KILN_RECIPES="$T/recipes" "$KILN" rootfs mysql --variant mysql --suite trixie --print-key --offline >"$T/key.txt" 2>&1
check "rootfs --variant mysql --print-key: MySQL's server" grep -qx 'package mysql-community-server' "$T/key.txt"
check "rootfs --variant mysql --print-key: no MariaDB server" bash -c "! grep -q '^package mariadb-server$' '$T/key.txt'"
check "rootfs --variant mysql --print-key: the suite's repository" \
	grep -qx 'repo mysql http://repo.mysql.com/apt/debian trixie mysql-8.4-lts' "$T/key.txt"
check_fails "rootfs --variant mysql without the key: the same line" \
	"^kiln: error: \[mysql\] apt repository 'mysql': key file $T/keys/mysql.gpg is missing" \
	env PATH="$T/fakebin:$PATH" KILN_CACHE_DIR="$T/cache" KILN_RECIPES="$T/recipes" "$KILN" rootfs mysql --variant mysql --offline
nothing_done "rootfs without the key"

# MariaDB (the default) has no vendor repository: the same build gets past
# the key check to the (fake) long work.
cp "$profile" "$T/w/maria.yaml"
(cd "$T/w" && env PATH="$T/fakebin:$PATH" KILN_CACHE_DIR="$T/cache" KILN_RECIPES="$T/recipes" \
	"$KILN" build maria.yaml --role mysql --out images) >"$T/m.out" 2>"$T/m.err"
check "MariaDB: no repository key asked for" bash -c "! grep -q 'apt repository' '$T/m.err'"
check "MariaDB: the build reached mmdebstrap" test -e "$T/ran-mmdebstrap"

# Monitoring a MySQL 8.4 deployment with a replica: promtool reads the rules,
# which watch the exporter's SHOW REPLICA STATUS metrics.
sed 's/^  mysql:$/  mysql:\n    engine: mysql/' "$ROOT/profiles/examples/monitored.yaml" >"$T/mon.yaml"
"$KILN" render "$T/mon.yaml" --host minio1 --out "$T/mon" >/dev/null 2>&1
check "monitored MySQL: promtool accepts the rules" promtool check rules "$T/mon/etc/prometheus/kiln-rules.yml"
check "monitored MySQL: replication alerts on replica_io_running and seconds_behind_source" bash -c \
	"grep -q 'mysql_slave_status_replica_io_running == 0' '$T/mon/etc/prometheus/kiln-rules.yml' &&
	 grep -q 'mysql_slave_status_seconds_behind_source > 300' '$T/mon/etc/prometheus/kiln-rules.yml' &&
	 ! grep -q 'behind_master' '$T/mon/etc/prometheus/kiln-rules.yml'"
"$KILN" render "$T/mon.yaml" --host db1 --out "$T/mondb" >/dev/null 2>&1
check "monitored MySQL: the exporter follows mysql.service" \
	grep -qx 'After=network-online.target mysql.service' "$T/mondb/etc/systemd/system/prometheus-mysqld-exporter.service.d/kiln.conf"

# kiln-firstboot on a MySQL host, its root a directory and its service
# commands recorded (--no-services): MySQL's file, programs and service.
. "$ROOT/tests/fixtures/fb_host.sh"
sed 's/^  mysql:$/  mysql:\n    engine: mysql/' "$ROOT/tests/profiles/fixtures/loopback.yaml" >"$T/lo.yaml"
S=$T/fbstate
"$KILN" keys init "$T/lo.yaml" --state "$S" >/dev/null && "$KILN" secrets init "$T/lo.yaml" --state "$S" >/dev/null &&
	"$KILN" seed "$T/lo.yaml" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null
check "seed of a MySQL host" test -s "$T/db1.seed"
R=$T/root-db1
fb_mkroot "$R" "$S" mysql "$T/db1.seed"
fb_adddisk "$R" vdb
mkdir -p "$R/var/lib/mysql/lost+found"
check "db1 (MySQL): first boot succeeds" "$KILN_FIRSTBOOT" run --root "$R" --no-services --datasource other
L=$R/var/lib/kiln/commands.log
check "db1 (MySQL): datadir initialised by mysqld --initialize-insecure" \
	grep -qx 'mysqld --initialize-insecure --user=mysql --datadir=/var/lib/mysql' "$L"
check "db1 (MySQL): no MariaDB program or service" bash -c "! grep -q 'mariadb' '$L'"
check "db1 (MySQL): mysql.service restarted, SQL applied by the mysql client on stdin, TLS off its way (--skip-ssl is gone in 8.0)" bash -c \
	"grep -qx 'systemctl restart mysql.service' '$L' && grep -qx 'mysql --protocol=socket -uroot --ssl-mode=DISABLED <stdin>' '$L'"
check "db1 (MySQL): the empty lost+found removed before initialising" test ! -e "$R/var/lib/mysql/lost+found"
C=$R/etc/mysql/mysql.conf.d/90-kiln.cnf
check "db1 (MySQL): its option file in mysql.conf.d" grep -q '^# MySQL 8.4 ' "$C"
check "db1 (MySQL): root's auth_socket loaded, GTIDs on" bash -c \
	"grep -qx 'plugin-load-add = auth_socket.so' '$C' && grep -qx 'gtid_mode = ON' '$C'"
check "db1 (MySQL): nothing in MariaDB's directory" test ! -e "$R/etc/mysql/mariadb.conf.d/90-kiln.cnf"
check_output "db1 (MySQL): status says MySQL" '"name": "role", "state": "done".*MySQL initialised and configured' \
	cat "$R/var/lib/kiln/status.json"
