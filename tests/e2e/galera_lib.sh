# The Galera steps and checks of the multi-VM end-to-end tests
# (tests/e2e/galera.sh, in make check; tests/e2e/scaled.sh, opt-in), sourced
# after tests/lib.sh, tests/e2e/qemu.sh and tests/e2e/vmnet.sh. Not executable:
# tests/run runs only executable files.
#
# The caller sets
#   IP            host -> address (an associative array)
#   DBS           the cluster's nodes by name, the first the one that bootstraps
#   DEADLINE      seconds a host gets from power-on to "deployment ready"
#   GALERA_TABLE  the table its writes fill: columns id and sha256
#   S             the deployment's state directory (its secrets/)
# and defines
#   boot HOST [keep]   power HOST on (keep: the same disks, a power cycle)
#   write_row NAME     commit one row as the app does: its id on stdout,
#                      nothing when the write failed
#   row_sha NAME       the sha256 column of the row NAME

declare -A ROW=() EXPLAINED=()


agent_log() { adm ${IP[$1]} 'journalctl -b --no-pager -o cat -u kiln-firstboot.service'; }   # this boot's
agent_count() { agent_log $1 | grep -c -- "$2"; true; }   # host pattern: matching lines, this boot
# agent_count_all HOST PATTERN: matching lines in every boot the journal holds
agent_count_all() { adm ${IP[$1]} 'journalctl --no-pager -o cat -u kiln-firstboot.service' | grep -c -- "$2"; true; }
# Root's reads over the local socket, TLS off there as the agent has it (lib/mysql_local.h: under
# load the handshake on the socket failed).
# wsrep HOST: "size state status" from the server itself
wsrep() {
	adm ${IP[$1]} "mariadb --skip-ssl -N -e \"SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_local_state_comment','wsrep_cluster_status')\"" 2>/dev/null |
		awk '{v[$1]=$2} END {print v["wsrep_cluster_size"], v["wsrep_local_state_comment"], v["wsrep_cluster_status"]}'
}
# wsrep_sync_wait=1: a read waits until the node has applied what the cluster committed before it.
row_on() { # host id -> the row's sha256
	adm ${IP[$1]} "mariadb --skip-ssl -N -e 'SET SESSION wsrep_sync_wait=1; SELECT sha256 FROM $GALERA_TABLE WHERE id=$2'"
}
rows() { # host -> every row's id and sha256, as a checksum
	adm ${IP[$1]} "mariadb --skip-ssl -N -e 'SET SESSION wsrep_sync_wait=1; SELECT id, sha256 FROM $GALERA_TABLE ORDER BY id'" |
		md5sum | cut -d' ' -f1
}
n_nodes() { echo $DBS | wc -w; }
# all_synced N: every node says "N Synced Primary"
all_synced() {
	local h
	for h in $DBS; do [ "$(wsrep $h)" = "$1 Synced Primary" ] || return 1; done
}

# galera_formed: one bootstrap (the first node's agent), the others joined,
# every node Synced in one Primary component of them all.
galera_formed() {
	local first=${DBS%% *} n h
	n=$(n_nodes)
	check_output "$first's agent bootstrapped the cluster (its journal)" 'galera: bootstrapping a new cluster' agent_log $first
	for h in ${DBS#"$first"}; do
		check_output "$h's agent joined it" 'galera: joining' agent_log $h
		check_output "$h's agent did not bootstrap" '^0$' agent_count $h 'galera: bootstrapping'
	done
	for h in $DBS; do
		adm ${IP[$h]} 'kiln-firstboot status' > "$T/$h.status" 2>&1
		check "$h: Synced in a Primary component of $n (kiln-firstboot status)" \
			grep -Pzq "\n +state +Synced\n +cluster +Primary, $n nodes\n" "$T/$h.status"
	done
}

# galera_times: each node's first-boot step times (kiln-firstboot status
# --times) and its server's state-transfer lines, as comments.
galera_times() {
	local h
	for h in $DBS; do
		echo "# $h: kiln-firstboot status --times"
		adm ${IP[$h]} 'kiln-firstboot status --times' 2>/dev/null | sed -n '/^times:/,$p' | sed 's/^/#   /'
		echo "# $h: mariadb.service's state transfer (seconds since boot)"
		adm ${IP[$h]} "journalctl -b --no-pager -o short-monotonic -u mariadb.service" 2>/dev/null |
			grep -aE 'SST (request|received|completed|failed)|State transfer (to|from) .* (complete|failed)|Prepared SST|mariabackup.*(completed|started)|Synchronized with group|Shifting JOINED -> SYNCED' |
			head -12 | cut -c1-160 | sed 's/^/#   /'
	done
}

# galera_write NAME WHAT: one committed row (write_row); its id in ROW[NAME]
galera_write() {
	local id
	id=$(write_row "$1")
	ROW[$1]=${id:-0}
	if [ -n "$id" ]; then ok "$2: a committed write (row $id)"; return; fi
	not_ok "$2: a committed write"
	tail -5 "$T/app.err" | sed 's/^/#   app1: /'
}

# galera_explain HOST...: galera_why_not for each HOST not explained yet
# (once per host: a node that fails one check often fails the next ones),
# with the peers whose VM runs (asking a powered-off one waits out ssh's
# ConnectTimeout).
galera_explain() {
	local h p peers
	for h; do
		[ -n "${EXPLAINED[$h]:-}" ] && continue
		EXPLAINED[$h]=1
		peers=()
		for p in $DBS; do
			[ $p != $h ] && kill -0 "$(cat "$T/$p.pid" 2>/dev/null)" 2>/dev/null && peers+=($p)
		done
		galera_why_not $h "${peers[@]}"
	done
}

# galera_row_on NAME WHAT HOST...: the row NAME, as written, on each HOST
galera_row_on() {
	local name=$1 what=$2 h
	shift 2
	for h; do
		local before=$NOT_OK
		check_output "$what: row ${ROW[$name]} is on $h" "^$(row_sha "$name")\$" row_on $h "${ROW[$name]}"
		[ $NOT_OK = $before ] || galera_explain $h
	done
}

# galera_node_off NODE: NODE powered off (its QEMU killed); writes go on in a
# Primary component of the others; NODE powered on again with the same disks
# rejoins with the rows it missed. REJOIN_S: power-on to Synced, n nodes.
galera_node_off() {
	local off=$1 n h t on=() before
	n=$(n_nodes)
	for h in $DBS; do [ $h = $off ] || on+=($h); done
	power_cut $off
	galera_write "while-$off-off" "$off off"
	for _ in $(seq 30); do [ "$(wsrep ${on[0]} | cut -d' ' -f1)" = $((n - 1)) ] && break; sleep 2; done
	for h in "${on[@]}"; do
		before=$NOT_OK
		check_output "$off off: $h is Synced in a Primary component of $((n - 1))" "^$((n - 1)) Synced Primary\$" wsrep $h
		[ $NOT_OK = $before ] || galera_explain $h
	done
	galera_row_on "while-$off-off" "$off off" "${on[@]}"
	galera_write "while-$off-off-2" "$off off, a second"
	t=$SECONDS
	boot $off keep
	local st end=$((SECONDS + 600))   # by the clock: a wsrep call to a host that is not up takes up to ssh's ConnectTimeout
	until st=$(wsrep $off); [ "$st" = "$n Synced Primary" ] || [ $SECONDS -ge $end ]; do sleep 4; done
	REJOIN_S=$((SECONDS - t))
	check_output "$off powered on again: back in the cluster, Synced, $n nodes ($REJOIN_S s after its power-on)" \
		"^$n Synced Primary\$" echo "$st"
	[ "$st" = "$n Synced Primary" ] || galera_explain $off
	galera_row_on "while-$off-off" "$off back" $off
	galera_row_on "while-$off-off-2" "$off back" $off
	echo "# $off rejoined $REJOIN_S s after its power-on"
}

# galera_why_not NODE PEER...: why NODE is not in the cluster, as comments:
# its server's and agent's journal this boot (their last lines), what its
# peers' servers said of it, and its Galera state files.
galera_why_not() {
	local h=$1 p f v; shift
	{
		echo "# $h: mariadb.service this boot (the last 40 lines)"
		adm ${IP[$h]} 'journalctl -b --no-pager -o short-monotonic -u mariadb.service | tail -40' 2>&1 | cut -c1-200 | sed 's/^/#   /'
		echo "# $h: kiln-firstboot.service this boot (the last 10 lines)"
		adm ${IP[$h]} 'journalctl -b --no-pager -o short-monotonic -u kiln-firstboot.service | tail -10' 2>&1 | cut -c1-200 | sed 's/^/#   /'
		echo "# $h: grastate.dat, gvwstate.dat; systemctl status mariadb"
		adm ${IP[$h]} 'cat /var/lib/mysql/grastate.dat /var/lib/mysql/gvwstate.dat; systemctl status --no-pager -n0 mariadb.service' 2>&1 |
			cut -c1-200 | sed 's/^/#   /'
		# what its threads wait for (an applier stuck behind a lock holds up
		# every later write set and view change on this node) and its queues
		echo "# $h: the server's threads and its replication queues"
		adm ${IP[$h]} "mariadb --skip-ssl -e 'SHOW FULL PROCESSLIST; SHOW GLOBAL STATUS WHERE Variable_name RLIKE \"^wsrep_(local_(state_comment|recv_queue|send_queue|bf_aborts|cert_failures)|flow_control_paused|last_committed|cluster_(size|status|conf_id)|ready|connected)\$\"'" 2>&1 |
			cut -c1-200 | sed 's/^/#   /'
		for p; do
			echo "# $p: mariadb.service's last 15 WSREP lines (what it said of $h)"
			adm ${IP[$p]} 'journalctl -b --no-pager -o short-monotonic -u mariadb.service | grep -a WSREP | tail -15' 2>&1 |
				cut -c1-200 | sed 's/^/#   /'
		done
	} >"$T/why-$h.txt"
	# printed only when it holds no secret value of the deployment (the SST account's included)
	for f in "$S"/secrets/*; do
		v=$(secret_value "$f") || continue
		grep -aqF -- "$v" "$T/why-$h.txt" && { echo "# $h: its journals hold a secret value ($(basename "$f")): not printed"; return 0; }
	done
	cat "$T/why-$h.txt"
}

# galera_power_cut: every node's QEMU killed together, all powered on with
# the same disks: the cluster must form again by itself (pc.recovery) with
# every committed row, take writes, and show one bootstrap over the whole
# test (the first node's first boot). RECOVERY_S: power-on to all Synced.
galera_power_cut() {
	local first=${DBS%% *} n h t before n_before sum_before cuts=() from
	n=$(n_nodes)
	# the committed rows, from a node in the Primary component (the first
	# node unless it is out: then the checks below are about the others)
	from=$first
	for h in $DBS; do [ "$(wsrep $h | cut -d' ' -f3)" = Primary ] && { from=$h; break; }; done
	before=$(adm ${IP[$from]} "mariadb --skip-ssl -N -e 'SET SESSION wsrep_sync_wait=1; SELECT id, sha256 FROM $GALERA_TABLE ORDER BY id'" 2>/dev/null)
	n_before=$(printf '%s\n' "$before" | grep -c .)
	sum_before=$(printf '%s\n' "$before" | md5sum | cut -d' ' -f1)
	for h in $DBS; do power_cut $h & cuts+=($!); done
	wait "${cuts[@]}"
	ok "power cut: $(echo $DBS | sed 's/ /, /g') killed together ($n_before committed rows)"
	t=$SECONDS
	for h in $DBS; do boot $h keep; done
	local end=$((SECONDS + 900))   # by the clock, as in galera_node_off
	until all_synced $n || [ $SECONDS -ge $end ]; do sleep 4; done
	RECOVERY_S=$((SECONDS - t))
	echo "# after the power cut:$(for h in $DBS; do printf " %s '%s'" $h "$(wsrep $h)"; done) after $RECOVERY_S s"
	for h in $DBS; do
		check_output "after the power cut: $h is back by itself, Synced, $n nodes, Primary" "^$n Synced Primary\$" wsrep $h
		check_output "after the power cut: $h has every committed row ($n_before)" "^$sum_before\$" rows $h
	done
	echo "# the cluster formed again $RECOVERY_S s after the power-on"
	galera_write after-power-cut "after the power cut"
	galera_row_on after-power-cut "after the power cut" $DBS
	# Exactly one bootstrap over the whole test: the first node's agent at its
	# first boot (its journal holds every boot), recorded in that node's
	# galera-bootstrapped only; after the power cut the agents started no
	# server (every step was done), systemd did.
	for h in $DBS; do
		check_output "after the power cut: $h's agent started no server (no galera: line in this boot's journal)" '^0$' \
			agent_count $h 'galera:'
	done
	for h in $DBS; do
		local want=0 file=absent
		[ $h = $first ] && want=1 file=node=$first
		check_output "$h's agent bootstrapped $want time(s) over the test (every boot in its journal)" "^$want\$" \
			agent_count_all $h 'galera: bootstrapping'
		check_output "$h: galera-bootstrapped is $file" "^$file\$" \
			adm ${IP[$h]} 'cat /var/lib/kiln/galera-bootstrapped 2>/dev/null || echo absent'
	done
	# The servers' own word (their journal, every boot it holds): MariaDB logs
	# "'wsrep-new-cluster' option used" when it starts a new cluster; 11.8
	# (trixie) was seen not to, so on 11.8 this check shows little; the
	# agents' lines above do.
	for h in $DBS; do
		printf '%s:%s ' $h "$(adm ${IP[$h]} "journalctl --no-pager -o cat -u mariadb.service | grep -c \"'wsrep-new-cluster' option used\"; journalctl --list-boots --no-pager | grep -c ." 2>/dev/null | paste -sd/ -)"
	done > "$T/new-cluster"
	echo "# MariaDB's bootstraps per node (count/boots in its journal): $(cat "$T/new-cluster")"
	check_output "no server started a new cluster after $first's first boot (MariaDB's journal)" \
		"^$first:[01]/[0-9]+ $(for h in ${DBS#"$first"}; do printf '%s:0/[0-9]+ ' $h; done)\$" cat "$T/new-cluster"
	for h in $DBS; do
		check_output "$h's server restored the primary component from gvwstate.dat (pc.recovery)" 'restore pc from disk successfully' \
			adm ${IP[$h]} "journalctl -b --no-pager -o cat -u mariadb.service"
	done
}

# no_secret_in_consoles: no secret value of the deployment (a PEM key: its
# first line of key material) in any VM's console log.
no_secret_in_consoles() {
	local f v out leaks=0
	for f in "$S"/secrets/*; do
		v=$(secret_value "$f") || continue
		for out in "$T"/*.log; do grep -aqF -- "$v" "$out" && { echo "# secret $(basename "$f") found in $(basename "$out")"; leaks=1; }; done
	done
	check "no secret value in any console" test $leaks = 0
}
