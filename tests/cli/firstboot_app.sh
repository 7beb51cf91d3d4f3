#!/usr/bin/env bash
# kiln-firstboot's app role for a container app, without a VM (--root DIR,
# service commands recorded with --no-services): the image baked in by kiln
# build is loaded with podman and checked to hold service.image, a registry
# image is pulled, the env file is in podman's syntax, the unit is podman's;
# and the failures say what is wrong. The join fails at once here (no
# peers): the role step before it is what is under test.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
container_profile() { # out image [archive]
	local svc="    service:\n      type: container\n      image: $2\n      port: 8000"
	[ -n "${3:-}" ] && svc="$svc\n      archive: $3"
	/usr/bin/python3 - "$ROOT/tests/profiles/fixtures/loopback.yaml" "$1" "$svc" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"    service:\n      type: systemd\n      exec: .*\n      port: 8000", sys.argv[3].replace("\\n", "\n"), s)
open(sys.argv[2], "w").write(s)
PY
}
container_profile "$T/archive.yaml" localhost/kiln-demo:1 demo.tar
container_profile "$T/registry.yaml" registry.example.com/shop/web:1.4.2
check "container profiles pass kiln check" bash -c "'$KILN' check '$T/archive.yaml' >/dev/null && '$KILN' check '$T/registry.yaml' >/dev/null"
S=$T/state
"$KILN" keys init "$T/archive.yaml" --state "$S" >/dev/null && "$KILN" secrets init "$T/archive.yaml" --state "$S" >/dev/null ||
	{ not_ok "kiln keys/secrets init"; exit 1; }
"$KILN" seed "$T/archive.yaml" --host app1 --out "$T/archive.seed" --state "$S" 2>/dev/null || not_ok "seed (archive)"
"$KILN" seed "$T/registry.yaml" --host app1 --out "$T/registry.seed" --state "$S" 2>/dev/null || not_ok "seed (registry)"
run() { "$FB" run --root "$1" --no-services --datasource other --join-deadline 1 > >(tee -a "$T/runlog") 2> >(tee -a "$T/runlog" >&2); }
SEC() { cat "$S/secrets/$1"; }

# --- the archive kiln build baked in
R=$T/root-archive; fb_mkroot "$R" "$S" app "$T/archive.seed"
mkdir -p "$R/usr/share/kiln"; head -c 4096 /dev/urandom >"$R/usr/share/kiln/app-image.tar"
(cd "$R/usr/share/kiln" && sha256sum app-image.tar >app-image.tar.sha256)
sha=$(cut -c1-16 "$R/usr/share/kiln/app-image.tar.sha256")
run "$R" >/dev/null 2>&1
check_output "archive: role step done, naming the image and the archive's sha256" \
	"role +done +nginx serving TLS; image localhost/kiln-demo:1 loaded from the image's archive \(sha256 $sha\.\.\.\); app starts after join" \
	fb_status "$R"
check "archive: podman loads the baked archive, then finds the image in it" bash -c \
	"grep -A1 '^podman load --quiet --input /usr/share/kiln/app-image.tar$' '$R/var/lib/kiln/commands.log' | grep -qx 'podman image exists localhost/kiln-demo:1'"
check "archive: nothing is pulled" bash -c "! grep -q 'podman pull' '$R/var/lib/kiln/commands.log'"
check "archive: env file root-only" test "$(stat -c %a "$R/etc/kiln/app.env")" = 600
check_output "archive: env file in podman's syntax (the value as is, no quotes)" "^DB_PASSWORD=$(SEC mysql_app_password)$" cat "$R/etc/kiln/app.env"
check_output "archive: unit runs the loaded image, never pulls" \
	'^ExecStart=/usr/bin/podman run .*--name kiln-app --env-file /etc/kiln/app.env --network host --pull never localhost/kiln-demo:1$' \
	cat "$R/etc/systemd/system/kiln-app.service"
check "archive: unit passes systemd-analyze verify" systemd-analyze verify "$R/etc/systemd/system/kiln-app.service"
check "archive: nginx proxies to the app's port" grep -q 'proxy_pass http://127.0.0.1:8000;' "$R/etc/nginx/sites-enabled/kiln.conf"
check "archive: the app is not started before join" bash -c "! grep -q 'kiln-app.service' '$R/var/lib/kiln/commands.log'"

R=$T/root-noarchive; fb_mkroot "$R" "$S" app "$T/archive.seed"
check_fails "archive missing from the image: the role fails, saying so" \
	'role: the image carries no /usr/share/kiln/app-image.tar for service.archive' run "$R"
check_output "archive missing: status names it" 'role +failed +the image carries no /usr/share/kiln/app-image.tar' fb_status "$R"

# --- a registry image: pulled at first boot (bounded: timeout per try)
R=$T/root-registry; fb_mkroot "$R" "$S" app "$T/registry.seed"
run "$R" >/dev/null 2>&1
check "registry: the image is pulled, each try bounded" grep -qx 'timeout 600 podman pull --quiet registry.example.com/shop/web:1.4.2' \
	"$R/var/lib/kiln/commands.log"
check_output "registry: status says it was pulled" 'role +done +nginx serving TLS; image registry.example.com/shop/web:1.4.2 pulled' fb_status "$R"
check_output "registry: the unit never pulls at start" '--pull never registry.example.com/shop/web:1.4.2$' \
	cat "$R/etc/systemd/system/kiln-app.service"

leaks=0
for f in "$S"/secrets/*; do
	v=$(cat "$f"); [ ${#v} -ge 8 ] || continue
	for out in "$T"/root-*/var/lib/kiln/status.json "$T"/root-*/var/lib/kiln/commands.log "$T/runlog"; do
		[ -f "$out" ] && grep -qF -- "$v" "$out" && { echo "# secret $(basename "$f") found in $out"; leaks=1; }
	done
done
check "no secret value in status, command log or output" test $leaks = 0
