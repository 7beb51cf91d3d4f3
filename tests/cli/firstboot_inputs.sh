#!/usr/bin/env bash
# Every file and device kiln-firstboot reads is opened without blocking and
# checked for type and size before use, with an error naming it (issue 15,
# defect 2: SIGSEGV when /etc/kiln/deployment was missing or a directory);
# every numeric option is parsed strictly (defect 11: --join-deadline abc
# was accepted). Every run is under `timeout`, so a hang is a failure, not
# a stuck test. Hosts are directories (--root) with service commands recorded.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/fb_host.sh"
FB=$KILN_FIRSTBOOT
P=$ROOT/tests/profiles/fixtures/loopback.yaml
S=$T/state
"$KILN" keys init "$P" --state "$S" >/dev/null && "$KILN" secrets init "$P" --state "$S" >/dev/null &&
	"$KILN" seed "$P" --host db1 --out "$T/db1.seed" --state "$S" 2>/dev/null || { not_ok "kiln keys/secrets/seed"; exit 1; }
R=$T/host
run() { timeout 30 "$FB" run --root "$R" --no-services --datasource other "$@"; }
fresh() { fb_mkroot "$R" "$S" mysql "$T/db1.seed"; fb_adddisk "$R" vdb; }
big() { head -c 100000 /dev/zero | tr '\0' a > "$1"; }

# --- /etc/kiln/deployment, the crash of defect 2, and the rest of its class ---
bad_etc() { # name pattern setup...
	local name=$1 pat=$2; shift 2
	fresh; "$@"
	check_fails "$name: refused with the file named" "$pat" run
	check_output "$name: the status says why" "seed +failed +.*$pat" fb_status "$R"
	check "$name: nothing secret written" test ! -e "$R/etc/kiln/secrets"
}
D=$R/etc/kiln/deployment
bad_etc "deployment missing" '/etc/kiln/deployment is missing' rm "$D"
bad_etc "deployment a directory" '/etc/kiln/deployment is a directory, not a regular file' eval 'rm "$D"; mkdir "$D"'
bad_etc "deployment a FIFO" '/etc/kiln/deployment is not a regular file' eval 'rm "$D"; mkfifo "$D"'
bad_etc "deployment a symlink" '/etc/kiln/deployment is a symbolic link' eval 'rm "$D"; ln -s "$S/deployment" "$D"'
bad_etc "deployment too large" '/etc/kiln/deployment is larger than expected' big "$D"
bad_etc "deployment empty" '/etc/kiln/deployment does not hold a deployment name' truncate -s 0 "$D"
bad_etc "deployment not a name" '/etc/kiln/deployment does not hold a deployment name' eval 'echo "ACME corp" > "$D"'
bad_etc "operator key a FIFO" '/etc/kiln/operator.pub is not a regular file' eval 'rm "$R/etc/kiln/operator.pub"; mkfifo "$R/etc/kiln/operator.pub"'
bad_etc "operator key a directory" '/etc/kiln/operator.pub is a directory' eval 'rm "$R/etc/kiln/operator.pub"; mkdir "$R/etc/kiln/operator.pub"'
bad_etc "role key a symlink" '/etc/kiln/role.key is a symbolic link' eval 'mv "$R/etc/kiln/role.key" "$T/role.key"; ln -s "$T/role.key" "$R/etc/kiln/role.key"'
bad_etc "role key a FIFO" '/etc/kiln/role.key is not a regular file' eval 'rm "$R/etc/kiln/role.key"; mkfifo "$R/etc/kiln/role.key"'
fresh; printf 'acme\r\n' > "$D"
check "deployment with a CRLF ending is accepted" run

# --- the seed: file, stored copy, media ---
fresh; rm "$R/etc/kiln/seed"; mkfifo "$R/etc/kiln/seed"
check_fails "seed file a FIFO: refused, not waited on" 'no seed: /etc/kiln/seed is not a regular file' run
fresh; rm "$R/etc/kiln/seed"; mkdir "$R/etc/kiln/seed"
check_fails "seed file a directory" 'no seed: /etc/kiln/seed is a directory' run
fresh; rm "$R/etc/kiln/seed"; ln -s "$T/db1.seed" "$R/etc/kiln/seed"
check_fails "seed file a symlink" 'no seed: /etc/kiln/seed is a symbolic link' run
fresh; big "$R/etc/kiln/seed"; head -c 1100000 /dev/zero >> "$R/etc/kiln/seed"
check_fails "seed file over 1 MiB" 'no seed: /etc/kiln/seed is larger than expected' run
fresh; check "a first boot to store the seed" run
rm "$R/etc/kiln/seed"; mv "$R/var/lib/kiln/seed" "$T/stored"; mkfifo "$R/var/lib/kiln/seed"
check_fails "stored seed a FIFO, datasource gone: no seed, no hang" 'no seed' run --seed-file /nonexistent
mkfifo "$T/medium.fifo"
fresh; rm "$R/etc/kiln/seed"
check_fails "seed medium a FIFO: named, no hang" "no seed: the seed medium $T/medium.fifo is not a regular file" run --seed-iso "$T/medium.fifo"
truncate -s 1M "$T/medium.blank"
check_fails "seed medium not ISO 9660" "no seed: reading file 'seed' from $T/medium.blank" run --seed-iso "$T/medium.blank"
fresh; rm "$R/etc/kiln/seed"; mkfifo "$R/dev/sr0"
check_fails "OVF CD-ROM a FIFO: passed over, no hang" 'VMware: no OVF environment on a CD-ROM' \
	timeout 30 "$FB" run --root "$R" --no-services --datasource vmware --vmtoolsd /nonexistent

# --- state files and the rest ---
fresh; check "first boot" run
mv "$R/var/lib/kiln/status.json" "$T/status.json"; mkfifo "$R/var/lib/kiln/status.json"
check_fails "status.json a FIFO: status names it, no hang" 'status.json is not a regular file' timeout 30 env KILN_STATE_DIR="$R/var/lib/kiln" "$FB" status
check_fails "status.json a FIFO: run names it, no hang" 'status.json is not a regular file' run
rm "$R/var/lib/kiln/status.json"; mv "$T/status.json" "$R/var/lib/kiln/status.json"
sed -i 's/"seed_serial": [0-9]*/"seed_serial": 12abc/' "$R/var/lib/kiln/status.json"
check_fails "status.json with a malformed serial is corrupt (not read as 12)" 'status.json is corrupt' timeout 30 env KILN_STATE_DIR="$R/var/lib/kiln" "$FB" status
mkfifo "$R/var/lib/kiln/overrides"
check_output "overrides record a FIFO: warned about, no hang" 'overrides is unreadable or corrupt' bash -c "timeout 30 '$FB' run --root '$R' --no-services --datasource other 2>&1"

fresh; rm -f "$R/etc/fstab"; mkfifo "$R/etc/fstab"
check_fails "/etc/fstab a FIFO: the data disk step names it" 'datadisk: /etc/fstab is not a regular file' run
fresh; rm "$R/dev/vdb"; mkfifo "$R/dev/vdb"
check_fails "a FIFO where a disk should be: passed over, named in the report" 'vdb: is not a regular file' run
mkdir -p "$T/dmi/sys/class/dmi/id"; mkfifo "$T/dmi/sys/class/dmi/id/sys_vendor"; echo 'VMware7,1' > "$T/dmi/sys/class/dmi/id/product_name"
check_output "detect: a FIFO in /sys is passed over, no hang" '^vmware ' timeout 30 "$FB" detect --sysroot "$T/dmi"

# --- numeric options: strict, usage error (exit 2) with the value named ---
usage_error() { # name pattern cmd...
	local name=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ $rc = 2 ] && grep -Eq -- "$pat" "$T/err"; then ok "$name"; else not_ok "$name (exit $rc)"; sed 's/^/#   /' "$T/err" | head -5; fi
}
ere() { printf '%s' "$1" | sed 's/[][^$.*+?(){}|\/]/\\&/g'; }   # a value as an ERE matching itself
for v in abc -1 +5 ' 5' 5s 0x10 0 86401 99999999999999999999 ''; do
	usage_error "run --join-deadline '$v' refused" "--join-deadline takes whole seconds, 1\.\.86400 \(got '$(ere "$v")'\)" \
		"$FB" run --join-deadline "$v" --root "$R" --no-services --datasource other
done
check_output "run --join-deadline 86400 accepted" 'Usage: kiln-firstboot run' "$FB" run --join-deadline 86400 --help
check_output "run --join-deadline 1 accepted" 'Usage: kiln-firstboot run' "$FB" run --join-deadline 1 --help
for v in abc -1 ' 5' 0 3601 5s; do
	usage_error "fetch-seed --deadline '$v' refused" "--deadline takes whole seconds, 1\.\.3600 \(got '$(ere "$v")'\)" \
		"$FB" fetch-seed --deadline "$v" --out "$T/x"
done
check_output "fetch-seed --deadline 3600 accepted" 'Usage: kiln-firstboot fetch-seed' "$FB" fetch-seed --deadline 3600 --help
usage_error "run takes no arguments" "run takes no arguments \(got 'extra'" "$FB" run extra --root "$R"
