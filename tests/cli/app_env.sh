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

profile() { # file service pem-template
	cat >"$1" <<EOF
kiln: 1
deployment: {name: envt, domain: envt.lan}
subnets:
  - {name: a, cidr: 10.9.0.0/24}
hosts:
  - {name: app1, role: app, subnet: a, address: 10.9.0.10}
  - {name: db1, role: mysql, subnet: a, address: 10.9.0.11}
  - {name: minio1, role: minio, subnet: a, address: 10.9.0.12}
roles:
  app:
    service: $2
    env:
      KT_LIT: 'say "hi" \\ back \`tick\` \$\$HOME \${deployment.name} it''s'
      KT_SPACES: '  lead and trail  '
      KT_UTF8: "caf\u00e9 \u2615"
      KT_HASH: '#not a comment; x'
      KT_EQ: a=b=c
      KT_EMPTY: ""
      KT_RAW: "\${secret.mysql_app_password}"
      KT_URL: "mysql://\${mysql.user}:\${secret.mysql_app_password|url}@\${host.db1}:3306/\${mysql.database}"
      KT_S3: "s3://\${secret.minio_app_access_key|url}:\${secret.minio_app_secret_key|url}@\${role.minio}:9000/uploads"
      KT_PEM: "$3"
EOF
}
profile "$T/systemd.yaml" "{exec: /usr/bin/env}" '${secret.tls_key}'
profile "$T/container.yaml" "{type: container, image: localhost/kiln-envtest:1, archive: envtest.tar}" '${secret.tls_key|url}'
check "both profiles pass kiln check" bash -c "'$KILN' check '$T/systemd.yaml' >/dev/null && '$KILN' check '$T/container.yaml' >/dev/null"
export KILN_SECRET_mysql_app_password="p@ss \"w\" \\ \$x 'q' %41 é \`id\`"
export KILN_SECRET_minio_app_access_key=AKIAEXAMPLE012345678
export KILN_SECRET_minio_app_secret_key='s/e+c=r#e t'
export KILN_SECRET_tls_key=$'-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n'

# What each variable must hold, worked out here from the secrets (Python's
# urllib as the |url oracle), as NUL-separated NAME=value.
expected() { # url-encode-the-pem(0|1)
	/usr/bin/python3 - "$1" <<'PY'
import os, sys, urllib.parse
q = lambda s: urllib.parse.quote(s, safe="")
e = os.environ
pw = e["KILN_SECRET_mysql_app_password"]
v = {
 "KT_LIT": 'say "hi" \\ back `tick` $HOME envt it\'s',
 "KT_SPACES": "  lead and trail  ",
 "KT_UTF8": "caf\u00e9 \u2615",
 "KT_HASH": "#not a comment; x",
 "KT_EQ": "a=b=c",
 "KT_EMPTY": "",
 "KT_RAW": pw,
 "KT_URL": "mysql://app:%s@10.9.0.11:3306/app" % q(pw),
 "KT_S3": "s3://%s:%s@10.9.0.12:9000/uploads" % (q(e["KILN_SECRET_minio_app_access_key"]), q(e["KILN_SECRET_minio_app_secret_key"])),
 "KT_PEM": q(e["KILN_SECRET_tls_key"]) if sys.argv[1] == "1" else e["KILN_SECRET_tls_key"],
}
sys.stdout.buffer.write(b"".join(("%s=%s\0" % kv).encode() for kv in sorted(v.items())))
PY
}
# compare expected-file actual-file [generator]: every KT_ variable, exactly
compare() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
def load(p):
    d = {}
    for item in open(p, "rb").read().split(b"\0"):
        if item.startswith(b"KT_"):
            k, _, v = item.partition(b"=")
            d[k.decode()] = v
    return d
want, got = load(sys.argv[1]), load(sys.argv[2])
# systemd's environment.d generator expands $VAR (EnvironmentFile= does not)
# and drops empty values (EnvironmentFile= keeps them): the e2e test reads
# those through systemd-run on an appliance.
generator = len(sys.argv) > 3
bad = 0
for k, v in want.items():
    if generator and (b"$" in v or not v):
        continue
    if got.get(k) != v:
        print("# %s: wanted %r, got %r" % (k, v, got.get(k))); bad = 1
sys.exit(bad)
PY
}

# --- systemd: the env-file lexer of systemd itself
"$DRV" "$T/systemd.yaml" env >"$T/systemd.env" 2>"$T/err"
check "systemd env file rendered" test -s "$T/systemd.env"
check_output "systemd syntax: the PEM spans lines inside its quotes" '^KT_PEM="-----BEGIN PRIVATE KEY-----$' cat "$T/systemd.env"
expected 0 >"$T/want-systemd"
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
		compare "$T/want-systemd" "$T/got-systemd" generator
	check "systemd's reader sees the multi-line PEM whole" grep -q 'KT_PEM="-----BEGIN PRIVATE KEY-----\\nMIGH' "$T/gen.out"
else
	echo "ok - systemd env-file reader not installed # SKIP"
fi

# --- podman: a real `podman run --env-file` of a static program that prints its environment
"$DRV" "$T/container.yaml" env >"$T/container.env" 2>"$T/err"
check_output "podman syntax: values verbatim, no quotes added" '^KT_RAW=p@ss "w"' cat "$T/container.env"
check "podman syntax: one line per variable" test "$(wc -l <"$T/container.env")" = 10
expected 1 >"$T/want-container"
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
		compare "$T/want-container" "$T/got-container"
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
