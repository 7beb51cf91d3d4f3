#!/usr/bin/env bash
# kiln build --host and the installer media's command line (no image is
# built: every refusal comes before the long work), kiln check of a
# profile's install: section, kiln-installer outside an initramfs.
. "$(dirname "$0")/../lib.sh"
INSTALLER="$ROOT/$KILN_BUILD/kiln-installer"
P=$ROOT/profiles/examples/onprem.yaml

check_fails "--host names a host the profile lacks" '--host nosuch: .* has no such host' \
	"$KILN" build "$P" --target iso --host nosuch --out "$T/o" --state "$T/none"
check_fails "--host without a per-host target" '--host picks the hosts of the targets that make something per host \(iso or usb\)' \
	"$KILN" build "$P" --target raw --host db1 --out "$T/o" --state "$T/none"
check_fails "--version wants a number" '--version wants a number' \
	"$KILN" build "$P" --target iso --version 1x
check_output "kiln build --help lists iso and usb" 'usb +OUT/<deployment>-<host>\.img per host' "$KILN" build --help
check_output "kiln build --help: the media boot with UEFI and legacy BIOS" \
	'iso +OUT/<deployment>-<host>\.iso per host .*: a UEFI and BIOS$' "$KILN" build --help
check_output "kiln build --help has --host" '--host NAME' "$KILN" build --help

sed 's/^targets: \[raw, esxi\]$/targets: [raw, iso, usb]/' "$P" >"$T/p.yaml"
cat >>"$T/p.yaml" <<'YAML'
install:
  disk: {size_gib: [8, 9], serial: "OS-*"}
  data_disk: {model: ""}
  unattended: maybe
YAML
check_fails "kiln check: install: errors at FILE:LINE:COLUMN" \
	'p\.yaml:[0-9]+:[0-9]+: error: install.disk.size_gib allows at most 9 GiB' "$KILN" check "$T/p.yaml"
check_fails "kiln check: an empty glob" 'p\.yaml:[0-9]+:[0-9]+: error: install.data_disk.model must be a glob' \
	"$KILN" check "$T/p.yaml"
check_fails "kiln check: unattended is a bool" "p\.yaml:[0-9]+:[0-9]+: error: 'unattended' must be true or false" \
	"$KILN" check "$T/p.yaml"
sed -i 's/size_gib: \[8, 9\]/size_gib: [8, 16]/; s/{model: ""}/{serial: "DATA-*"}/; s/unattended: maybe/unattended: true/' "$T/p.yaml"
check "kiln check accepts install: and the iso and usb targets" "$KILN" check "$T/p.yaml"
check_output "kiln check --json: a host's resolved install rules" '"install":\{"machine":null,"disk":\{"size_gib":\[8,16\],"model":null,"serial":"OS-\*"' \
	"$KILN" check --json "$T/p.yaml"

# install.machine and --per-role: refused before any image is built
check_output "kiln build --help has --per-role" '--per-role ' "$KILN" build --help
check_fails "--per-role without a per-host target" '--per-role is for the targets that make something per host \(iso or usb\)' \
	"$KILN" build "$T/p.yaml" --target raw --per-role --out "$T/o" --state "$T/none"
check_fails "--per-role: a host without install.machine, at its FILE:LINE:COLUMN" \
	"p\.yaml:[0-9]+:[0-9]+: host 'db1' has no install.machine rule: a medium per role \(--per-role\) picks its host by that rule" \
	"$KILN" build "$T/p.yaml" --target iso --per-role --role mysql --out "$T/o" --state "$T/none"
check "nothing was written by the refused builds" test ! -e "$T/o"
sed 's/^    data_disk_gib: 50$/    data_disk_gib: 50\n    install: {machine: {mac: "52:54:00:0A:0B:0C"}}/' "$T/p.yaml" >"$T/m.yaml"
check_output "kiln check --json: install.machine, MAC in lower case" '"machine":\{"mac":"52:54:00:0a:0b:0c","dmi_serial":null,"dmi_uuid":null\}' \
	"$KILN" check --json "$T/m.yaml"
sed -i 's/{mac: "52:54:00:0A:0B:0C"}/{mac: "52:54:00:0a:0b", dmi_serial: "Default string"}/' "$T/m.yaml"
check_fails "kiln check: a bad MAC at FILE:LINE:COLUMN" \
	"m\.yaml:[0-9]+:[0-9]+: error: install.machine.mac '52:54:00:0a:0b' is not a MAC address" "$KILN" check "$T/m.yaml"
check_fails "kiln check: a placeholder DMI serial" \
	'm\.yaml:[0-9]+:[0-9]+: error: install.machine.dmi_serial "Default string" is what firmware says when no serial was set' \
	"$KILN" check "$T/m.yaml"

check_output "kiln-installer --help" 'installer media' "$INSTALLER" --help
check_fails "kiln-installer refuses to run as anything but the first process" 'Usage: kiln-installer' "$INSTALLER"
