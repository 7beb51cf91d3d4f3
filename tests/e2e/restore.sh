# The disaster-recovery scenario of tests/e2e/deployment.sh's deployment
# (sourced by it once the three hosts are ready and checked; not a test of its
# own). The profile has backup: (tests/profiles/fixtures/deployment.yaml), so
# db1 backs itself up to a bucket of minio1. Here:
#   - db1's first full backup (started by its first boot) finishes;
#   - a row A is written through the app, then db1's binary logs are shipped
#     (the binlog timer's service, started by hand: its schedule is an hour
#     away), then a row B is written: B is the data an RPO loses;
#   - db1 loses power and its disks: a replacement boots from the same image
#     with a fresh OS disk, a blank data disk and a seed of the same profile
#     with backup.restore: latest, restores at first boot from the bucket and
#     the app serves again through it: rows A and the earlier upload are back,
#     B is not;
#   - before that, the store unreachable (minio1's server stopped): db1's
#     shipment fails and says so, the database keeps serving, and the next
#     shipment, the store back, ships what the failed one could not;
#   - the replacement's first restore meets a binary log changed by one byte
#     in the bucket: refused by name, nothing of it used (no database, the
#     app not served); the object put back, the agent run again restores;
#   - printed: the RPO (seconds between the shipment's start, which closes the
#     binary log, and the loss) and the RTO (the replacement's power-on to the
#     app answering a request that reads the database).
# Uses deployment.sh's nsx, adm, app_curl, start_vm, medium, IP, P, S, T, IMG and id.
DB=${IP[db1]}
status_db1() { adm "$DB" 'kiln-firstboot status' 2>/dev/null; }
for _ in $(seq 150); do status_db1 | grep -Eq 'backup-full +(done|failed)' && break; sleep 4; done
# Its exit status is not asked here: a binary-log shipment may have failed meanwhile
# (the timer's run while monitoring.sh had MariaDB stopped), which makes it 1.
status_db1_text() { status_db1; return 0; }
check_output "db1: its first full backup (started at first boot) is in the bucket" \
	'backup-full +done .*db1/full/[0-9T]+Z\.kbk' status_db1_text

# --- the store unreachable: the shipment fails visibly, the database keeps serving
MINIO=${IP[minio1]}
check "minio1's object store stopped: the backup bucket is unreachable" adm "$MINIO" 'systemctl stop minio.service'
check_fails "db1's binary-log shipment fails" 'failed' adm "$DB" 'systemctl start kiln-backup-binlogs.service'
status_db1 >"$T/db1-unreachable.status"; rc=$?
check "... and says so in its status" grep -Eq 'backup-binlogs +failed ' "$T/db1-unreachable.status"
check "... whose exit status is 1 while the last run failed (exit $rc)" test "$rc" = 1
check "the database keeps serving: the app reads a record from it" app_curl -f -o /dev/null "https://app1.acme.internal/records/${id:-0}"
check "minio1's object store started again" adm "$MINIO" 'systemctl start minio.service'
for _ in $(seq 30); do adm "${IP[app1]}" "timeout 5 bash -c '</dev/tcp/$MINIO/9000'" 2>/dev/null && break; sleep 1; done

upload() { # name -> the new record's id
	head -c 20000 /dev/urandom > "$T/$1"
	app_curl -F "name=$1" -F "file=@$T/$1" https://app1.acme.internal/records 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null
}
# (the app's first upload may meet the object store still starting: a client tries again)
for _ in 1 2 3 4 5; do row_a=$(upload dr-a); [ -n "$row_a" ] && break; sleep 3; done
check "a row written through the app before the shipment (record ${row_a:-?})" test -n "$row_a"
t_ship=$(date +%s.%N)
check "db1 ships its binary logs (kiln-backup-binlogs.service)" adm "$DB" 'systemctl start kiln-backup-binlogs.service'
check_output "... and says so" 'backup-binlogs +done .* binary logs? \(mysql-bin\.' status_db1
row_b=$(upload dr-b)
check "a row written after the shipment (record ${row_b:-?}): the writes an RPO loses" test -n "$row_b"

# The loss: db1's power and both its disks (its journal kept for the secret scan).
adm "$DB" 'journalctl -b --no-pager; cat /var/lib/kiln/status.json' > "$T/db1-lost.journal" 2>/dev/null
vm_cpu_save db1
kill -9 "$(cat "$T/db1.pid")" 2>/dev/null
t_loss=$(date +%s.%N)
adm_forget "$DB"   # db1b comes back at db1's address
for _ in $(seq 100); do kill -0 "$(cat "$T/db1.pid")" 2>/dev/null || break; sleep 0.1; done
nsx ip link del tap-db1 2>/dev/null
rm -f "$T/db1.qcow2" "$T/db-data.raw"

# The replacement: same image, a fresh OS disk, a blank data disk, a seed with restore: latest.
sed 's/^  binlog_minutes: 60$/  binlog_minutes: 60\n  restore: latest/' "$P" > "$T/restore.yaml"
check "the profile for the rebuild says backup.restore: latest" grep -q '^  restore: latest$' "$T/restore.yaml"
check "kiln seed for the replacement db1" "$KILN" seed "$T/restore.yaml" --host db1 --out "$T/db1b.seed" --state "$S"
medium db1b "$T/db1b.seed"
truncate -s 2G "$T/db1b-data.raw"
# A changed object: the newest binary log in the bucket, one byte flipped on minio1's disk (the
# stand-in keeps each object's bytes in <bucket>/<sha256 of the key>.data), the original kept.
BL=$(adm "$MINIO" 'sh -s' 2>/dev/null <<'TAMPER'
for j in /var/lib/minio/data/*/*.json; do
	k=$(sed -n 's/.*"key": "\(db1\/binlog\/[^"]*\)".*/\1/p' "$j")
	[ -n "$k" ] && echo "$k ${j%.json}.data"
done | sort | tail -1 | {
	read -r key f
	cp "$f" /root/pristine.data
	n=$(( $(stat -c %s "$f") / 2 ))
	b=$(dd if="$f" bs=1 skip=$n count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	printf "$(printf '\\%03o' $(( b ^ 1 )))" | dd of="$f" bs=1 seek=$n conv=notrunc 2>/dev/null
	cmp -s "$f" /root/pristine.data || echo "$key $f"
}
TAMPER
)
check "one byte of db1's newest binary log changed in the bucket (${BL%% *})" test -n "$BL"
t_on=$(date +%s.%N)
start_vm db1b "$IMG/acme-mysql.raw" "$T/db1b-data.raw" 52:54:00:4b:00:02
for _ in $(seq 150); do status_db1 | grep -Eq 'backup-restore +(done|failed)' && break; sleep 4; done
t_refused=$(date +%s.%N)
status_db1 >"$T/db1b-refused.status"
check "db1 (rebuilt): the restore refuses the changed object, naming it" \
	grep -Eq "backup-restore +failed .*${BL%% *}: refused" "$T/db1b-refused.status"
if adm "$DB" 'test -e /var/lib/mysql/appdb' 2>/dev/null; then not_ok "... and uses nothing of it: no database restored"
else ok "... and uses nothing of it: no database restored"; fi
if app_curl -f -o /dev/null "https://app1.acme.internal/records/${id:-0}" 2>/dev/null; then not_ok "... the app does not serve through it"
else ok "... the app does not serve through it"; fi
# The status says failed as soon as the role gives up, but the agent's run goes on to its end
# (the monitoring check, which in a boot that is not over waits for the idle-weighted units): a
# `systemctl start` while kiln-firstboot.service is still activating joins that run and starts
# no new one. So, as an operator must, wait for the run to be over.
agent_run_over() {
	local st
	for _ in $(seq 100); do
		st=$(adm "$DB" 'systemctl is-active kiln-firstboot.service' 2>/dev/null)
		[ "$st" = activating ] || { echo "$st"; return 0; }
		sleep 3
	done
	echo "$st"
}
check_output "db1 (rebuilt): its agent's run is over (kiln-firstboot.service failed)" '^failed$' agent_run_over
check "the object put back on minio1" adm "$MINIO" "cp /root/pristine.data '${BL#* }' && rm /root/pristine.data"
t_fix=$(date +%s.%N)
check "db1 (rebuilt): its first-boot agent run again" adm "$DB" 'systemctl start --no-block kiln-firstboot.service'
# RTO: until the app answers a request that reads its database (the record's row).
rto=
for _ in $(seq 300); do
	if app_curl -f -o /dev/null "https://app1.acme.internal/records/${id:-0}" 2>/dev/null; then
		rto=$(awk -v a="$(date +%s.%N)" -v b="$t_on" -v f="$t_fix" -v r="$t_refused" 'BEGIN { printf "%.1f", a - b - (f - r) }')
		break
	fi
	sleep 2
done
check "the app serves again through the rebuilt db1 (a record read from the database)" test -n "$rto"
if qemu_wait db1b 'kiln: [0-9]+/[0-9]+ steps done - deployment ready' 120; then
	ok "db1 (rebuilt): deployment ready"
else
	not_ok "db1 (rebuilt): not ready"
fi
check_output "db1 (rebuilt): restored at first boot from the full backup and the shipped binary log" \
	'backup-restore +done .* restored to latest: db1/full/[0-9T]+Z\.kbk, then [0-9]+ binary logs? to db1/binlog/' status_db1
rows=$(adm "$DB" 'mariadb -N -e "SELECT id FROM appdb.records ORDER BY id"' 2>/dev/null | tr '\n' ' ')
check "the first upload's row is back (record ${id:-?}; rows now: $rows)" bash -c "grep -qw -- '${id:-x}' <<< '$rows'"
check "the row written before the shipment is back (record ${row_a:-?})" bash -c "grep -qw -- '${row_a:-x}' <<< '$rows'"
check "the row written after the shipment is lost, as the RPO says (record ${row_b:-?})" \
	bash -c "! grep -qw -- '${row_b:-x}' <<< '$rows'"
app_curl -o "$T/dr-back" "https://app1.acme.internal/records/${row_a:-0}/file" 2>/dev/null
check "record ${row_a:-?}'s file comes back through the app" cmp "$T/dr-back" "$T/dr-a"
check_output "db1 (rebuilt): the backup key and the reader's key are gone from the host" '^gone$' \
	adm "$DB" 'ls /etc/kiln/secrets | grep -Eq "^(backup_key|minio_backup_reader_)" && echo kept || echo gone'
rpo=$(awk -v a="$t_loss" -v b="$t_ship" 'BEGIN { printf "%.1f", a - b }')
echo "# disaster recovery: RPO $rpo s (the shipment began that long before the loss; writes since are lost)," \
	"RTO ${rto:-?} s (the replacement's power-on to the app reading its database again, less the" \
	"time the test kept the changed object in the store)"
