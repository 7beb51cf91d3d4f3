#!/usr/bin/env bash
# The app's environment file read by the real parsers (profiles/app_env.c):
# for a systemd service systemd's own env-file reader (its environment.d
# generator: the lexer EnvironmentFile= uses, which also expands $VAR, so
# values with a '$' are left to the e2e test's systemd-run on a booted
# appliance), for a container `podman run --env-file` with a tiny image
# built offline here. Every value must arrive exactly as the template and
# the secrets say: quotes, backslashes, spaces, '#', '=', UTF-8, |url in
# URLs, a multi-line PEM for systemd. Also the units (systemd-analyze verify).
. "$(dirname "$0")/../lib.sh"
DRV=$ROOT/$KILN_BUILD/drivers/app_env
GEN=/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator

. "$ROOT/tests/fixtures/app_env_cases.sh"
env_cases_profile "$T/systemd.yaml" "{exec: /usr/bin/env}" '${secret.tls_key}'
env_cases_profile "$T/container.yaml" "{type: container, image: localhost/kiln-envtest:1, archive: envtest.tar}" '${secret.tls_key|url}'
check "both profiles pass kiln check" bash -c "'$KILN' check '$T/systemd.yaml' >/dev/null && '$KILN' check '$T/container.yaml' >/dev/null"
export "${env_cases_secrets[@]}"

# --- systemd: the env-file lexer of systemd itself
"$DRV" "$T/systemd.yaml" env >"$T/systemd.env" 2>"$T/err"
check "systemd env file rendered" test -s "$T/systemd.env"
check_output "systemd syntax: the PEM spans lines inside its quotes" '^KT_PEM="-----BEGIN PRIVATE KEY-----$' cat "$T/systemd.env"
env_cases_expected 0 >"$T/want-systemd"
if [ -x "$GEN" ]; then
	mkdir -p "$T/xdg/environment.d" && cp "$T/systemd.env" "$T/xdg/environment.d/50-kiln.conf"
	env -i XDG_CONFIG_HOME="$T/xdg" "$GEN" >"$T/gen.out" 2>"$T/gen.err"
	# The generator prints NAME=value, quoting values with C escapes: decode them.
	/usr/bin/python3 - "$T/gen.out" >"$T/got-systemd" <<'PY'
import re, sys
out = []
for line in open(sys.argv[1], "rb").read().decode().splitlines():
    k, _, v = line.partition("=")
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        v = re.sub(r'\\([0-7]{3}|.)', lambda m: chr(int(m.group(1), 8)) if m.group(1)[0].isdigit()
                   else {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}.get(m.group(1), m.group(1)), v[1:-1])
    out.append("%s=%s\0" % (k, v))
sys.stdout.buffer.write("".join(out).encode("utf-8"))
PY
	check "systemd reads every value exactly (but \$ and empty ones: e2e reads those with systemd-run)" \
		env_cases_compare "$T/want-systemd" "$T/got-systemd" generator
	check "systemd's reader sees the multi-line PEM whole" grep -q 'KT_PEM="-----BEGIN PRIVATE KEY-----\\nMIGH' "$T/gen.out"
else
	echo "ok - systemd env-file reader not installed # SKIP"
fi

# --- podman: a real `podman run --env-file` of a static program that prints its environment
"$DRV" "$T/container.yaml" env >"$T/container.env" 2>"$T/err"
check_output "podman syntax: values verbatim, no quotes added" '^KT_RAW=p@ss "w"' cat "$T/container.env"
check "podman syntax: one line per variable" test "$(wc -l <"$T/container.env")" = 10
env_cases_expected 1 >"$T/want-container"
podman_ok=
if command -v podman >/dev/null && [ "$(id -u)" = 0 ] && command -v cc >/dev/null; then
	printf '#include <stdio.h>\n#include <string.h>\nextern char **environ;\nint main(void){for(char**e=environ;*e;e++)fwrite(*e,1,strlen(*e)+1,stdout);return 0;}\n' >"$T/penv.c"
	mkdir -p "$T/img" && cc -static -O2 -o "$T/img/printenv" "$T/penv.c" && tar -C "$T/img" -cf "$T/img.tar" printenv
	PM=(podman --root "$T/storage" --runroot "$T/run" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	"${PM[@]}" import --change 'CMD ["/printenv"]' "$T/img.tar" localhost/kiln-envtest:1 >/dev/null 2>"$T/import.err"
	# Plain `podman run` first; on a host with hybrid cgroups and capped limits
	# (a CI sandbox), the same run in a private mount namespace with cgroup2 alone.
	run_plain() { "${PM[@]}" run --rm --network none "$@" localhost/kiln-envtest:1; }
	run_boxed() {
		unshare -m bash -c 'umount -R /sys/fs/cgroup 2>/dev/null; mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' _ \
			"${PM[@]}" run --rm --network none --cgroups=disabled --ulimit "nofile=1024:$(ulimit -Hn)" \
			--ulimit nproc=1024:1024 "$@" localhost/kiln-envtest:1
	}
	for r in run_plain run_boxed; do
		if $r >/dev/null 2>>"$T/run.err"; then podman_ok=$r; break; fi
	done
fi
if [ -n "$podman_ok" ]; then
	$podman_ok --env-file "$T/container.env" >"$T/got-container" 2>"$T/err"
	check "podman run --env-file: every value arrives exactly (no quotes, |url encoded)" \
		env_cases_compare "$T/want-container" "$T/got-container"
	# What the file looked like before (systemd quoting) is what podman then passed on.
	printf 'KT_RAW="x"\n' >"$T/quoted.env"
	$podman_ok --env-file "$T/quoted.env" >"$T/got-quoted" 2>/dev/null
	check "the old quoted form would have reached the container with its quotes" \
		grep -qa 'KT_RAW="x"' "$T/got-quoted"
else
	echo "ok - podman cannot run containers here ($(tail -1 "$T/run.err" 2>/dev/null)) # SKIP"
fi
# Values podman's file cannot hold are refused when rendering, naming the variable only.
KILN_SECRET_mysql_app_password=$'two\nlines' "$DRV" "$T/container.yaml" env >"$T/lb.out" 2>"$T/lb.err"
check "a value with a line break is refused for podman" bash -c "test -s '$T/lb.err' && ! test -s '$T/lb.out'"
check_output "and the message names the variable, not the value" 'environment variable KT_RAW: a line break' cat "$T/lb.err"
check "nothing of the value in the message" bash -c "! grep -q lines '$T/lb.err'"
check_fails "kiln check refuses the raw PEM in a container's env" \
	'^pem.yaml:22:16: error: this reference renders several lines' \
	bash -c "sed 's/tls_key|url/tls_key/' '$T/container.yaml' > '$T/pem.yaml' && cd '$T' && '$KILN' check pem.yaml"

# --- the units kiln-firstboot writes
"$DRV" "$T/container.yaml" unit >"$T/kiln-app.service"
check_output "container unit: podman reads the env file itself, the stored image, never a pull" \
	'^ExecStart=/usr/bin/podman run .*--env-file /etc/kiln/app.env --network host --pull never localhost/kiln-envtest:1$' \
	cat "$T/kiln-app.service"
check "container unit: systemd does not read the podman-syntax file" bash -c "! grep -q EnvironmentFile '$T/kiln-app.service'"
check_output "container unit: restarts on failure, notify through conmon" '^Restart=on-failure$' cat "$T/kiln-app.service"
check "container unit passes systemd-analyze verify" systemd-analyze verify "$T/kiln-app.service"
mkdir -p "$T/sd" && "$DRV" "$T/systemd.yaml" unit >"$T/sd/kiln-app.service"
check_output "systemd unit reads the env file" '^EnvironmentFile=/etc/kiln/app.env$' cat "$T/sd/kiln-app.service"
check "systemd unit passes systemd-analyze verify" systemd-analyze verify "$T/sd/kiln-app.service"
