#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# net.synq.* sysctls: defaults, bounds, per-netns independence, privilege;
# and /proc/net/synq, /proc/net/stat/synq and SYNQ_INFO against what a
# scenario creates (N half-open SYNs, M unaccepted connections).

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 hping3 nft setpriv unshare
require_synq

SYSCTLS="max_syn_backlog synack_retries syncookies abort_on_overflow cookie_pause_threshold cookie_pause_ms"
PORT=7301

# nsget NS NAME / nsset NS NAME VALUE
nsget() { ip netns exec "$1" cat "/proc/sys/net/synq/$2"; }
nsset() { ip netns exec "$1" sh -c "echo '$3' > /proc/sys/net/synq/$2" 2>/dev/null; }

check_defaults() {
	local ns want
	setup_ns NSA
	ns=$NSA
	want=$(ip netns exec "$ns" cat /proc/sys/net/ipv4/tcp_max_syn_backlog)
	[ "$(nsget "$ns" max_syn_backlog)" = "$want" ] ||
		fail "max_syn_backlog $(nsget "$ns" max_syn_backlog), want $want"
	[ "$(nsget "$ns" synack_retries)" = 5 ] || fail "synack_retries"
	[ "$(nsget "$ns" syncookies)" = 1 ] || fail "syncookies"
	[ "$(nsget "$ns" abort_on_overflow)" = 0 ] || fail "abort_on_overflow"
	[ "$(nsget "$ns" cookie_pause_threshold)" = 1000 ] ||
		fail "cookie_pause_threshold"
	[ "$(nsget "$ns" cookie_pause_ms)" = 2000 ] || fail "cookie_pause_ms"
}

# bounds NAME MIN MAX: MIN and MAX are taken, MIN-1, MAX+1 and junk fail
# with EINVAL and leave the value alone.
bounds() {
	local ns=$1 name=$2 min=$3 max=$4 bad err
	nsset "$ns" "$name" "$min" || fail "$name=$min refused"
	[ "$(nsget "$ns" "$name")" = "$min" ] || fail "$name is not $min"
	nsset "$ns" "$name" "$max" || fail "$name=$max refused"
	for bad in $((min - 1)) $((max + 1)) junk; do
		err=$(ip netns exec "$ns" bash -c \
			"echo $bad > /proc/sys/net/synq/$name" 2>&1) &&
			fail "$name=$bad accepted"
		echo "$err" | grep -q "Invalid argument" ||
			fail "$name=$bad: '$err', want EINVAL"
		[ "$(nsget "$ns" "$name")" = "$max" ] ||
			fail "$name changed to $(nsget "$ns" "$name") by $bad"
	done
}

check_bounds() {
	local ns
	setup_ns NSA
	ns=$NSA
	bounds "$ns" max_syn_backlog 1 16777216
	bounds "$ns" synack_retries 0 127
	bounds "$ns" syncookies 0 2
	bounds "$ns" abort_on_overflow 0 1
	bounds "$ns" cookie_pause_threshold 0 2147483647
	bounds "$ns" cookie_pause_ms 1 60000
}

check_per_netns() {
	local a b c name init
	setup_ns NSA NSB
	a=$NSA
	b=$NSB
	init=$(cat /proc/sys/net/synq/syncookies)
	for name in $SYSCTLS; do
		nsset "$a" "$name" 1 || fail "set $name in a"
	done
	nsset "$a" syncookies 2
	[ "$(nsget "$a" syncookies)" = 2 ] || fail "a: syncookies not 2"
	[ "$(nsget "$b" syncookies)" = 1 ] || fail "b: syncookies changed"
	[ "$(nsget "$b" synack_retries)" = 5 ] || fail "b: synack_retries changed"
	[ "$(cat /proc/sys/net/synq/syncookies)" = "$init" ] ||
		fail "init netns syncookies changed"
	# A new namespace starts from defaults, not from a changed one.
	setup_ns NSC
	c=$NSC
	[ "$(nsget "$c" synack_retries)" = 5 ] || fail "c: not the default"
}

check_privilege() {
	local ns err
	setup_ns NSA
	ns=$NSA
	err=$(ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 \
		--clear-groups sh -c 'echo 0 > /proc/sys/net/synq/syncookies' \
		2>&1) && fail "an unprivileged user wrote a sysctl"
	log "unprivileged: $err"
	[ "$(nsget "$ns" syncookies)" = 1 ] || fail "value changed"
	# Root of a user namespace (made by an unprivileged user) owns the
	# netns it creates ...
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn sh -c \
		'echo 2 > /proc/sys/net/synq/syncookies &&
		 [ "$(cat /proc/sys/net/synq/syncookies)" = 2 ]' ||
		fail "userns root cannot tune its own netns"
	# ... but not the one it came from.
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Ur sh -c \
		'echo 0 > /proc/sys/net/synq/syncookies' 2>/dev/null &&
		fail "userns root wrote the initial netns' sysctl"
	[ "$(cat /proc/sys/net/synq/syncookies)" != 0 ] ||
		fail "init netns value changed"
}

# --- /proc against reality ---------------------------------------------------

# The listener: in $NS_SRV, backlog 8, never accepts; SYNQ_INFO and its
# /proc/net/synq line are written to $1 on SIGUSR1.
LISTENER='
import json, os, signal, socket, struct, sys, time
NAMES = ("version state nr_table_entries max_qlen_log qlen qlen_young "
	 "ack_backlog max_ack_backlog acked syncookies synack_retrans expired "
	 "accepted overflows drops").split()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.bind(("0.0.0.0", int(sys.argv[2])))
s.listen(8)
def dump(*_):
	v = struct.unpack("10I5Q", s.getsockopt(int(os.environ["SYNQ_SOL"], 0), 1, 80))
	info = dict(zip(NAMES, v))
	line = [l for l in open("/proc/net/synq").read().splitlines()[1:]
		if l.split()[0].endswith(":" + sys.argv[2])]
	info["proc"] = line[0].split() if line else []
	open(sys.argv[1] + ".tmp", "w").write(json.dumps(info))
	os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.signal(signal.SIGUSR1, dump)
dump()
while True:
	time.sleep(1)
'

stat_get() {
	ip netns exec "$NS_SRV" awk -v k="$1" \
		'NR == 1 { for (i = 2; i <= NF; i++) if ($i == k) c = i }
		 NR == 2 { print $c }' /proc/net/stat/synq
}

info_get() {
	kill -USR1 "$LPID"
	sleep 0.3
	if [ "$1" = all ]; then
		cat "$INFO"
		return
	fi
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d[sys.argv[2]] if sys.argv[2] != "proc" else " ".join(d["proc"]))' "$INFO" "$1"
}

# proc field N of the listener's line: 2 backlog, 3 accq, 4 table, 5 mql,
# 6 qlen, 7 young, 8 old.
proc_get() { info_get proc | awk -v n="$1" '{ print $n }'; }

wait_info() {
	local key=$1 want=$2 i
	for i in $(seq 40); do
		[ "$(info_get "$key")" = "$want" ] && return 0
		sleep 0.2
	done
	fail "SYNQ_INFO $key is $(info_get "$key"), want $want"
}

setup_scenario() {
	local i
	setup_pair
	INFO=/tmp/synq-sysctl-info.$$
	defer rm -f "$INFO"
	# Half-open stays half-open: the client's kernel may not reset them.
	ip netns exec "$NS_CLI" nft -f - <<-NFT
	table ip synqtest {
		chain out {
			type filter hook output priority 0;
			tcp dport $PORT tcp flags rst drop
		}
	}
	NFT
	nsset "$NS_SRV" max_syn_backlog 1024
	ip netns exec "$NS_SRV" python3 -c "$LISTENER" "$INFO" "$PORT" &
	LPID=$!
	defer kill "$LPID"
	for i in $(seq 50); do
		[ -e "$INFO" ] && return 0
		sleep 0.2
	done
	fail "listener did not start"
}

check_proc_scenario() {
	local n=6 m=3 syns0 syn1 children0 i
	setup_scenario
	[ "$(info_get nr_table_entries)" = 16 ] || fail "table not 16"
	[ "$(proc_get 4)" = 16 ] || fail "/proc table not 16"
	[ "$(proc_get 5)" = 4 ] || fail "/proc mql not 4"
	[ "$(proc_get 2)" = 8 ] || fail "/proc backlog not 8"
	syns0=$(stat_get Syns)
	children0=$(stat_get Children)

	# N half-open: hping3 moves the source port on every packet.
	ip netns exec "$NS_CLI" hping3 -q -S -p "$PORT" -s 20000 -c "$n" \
		-i u20000 "$SRV_IP" >/dev/null 2>&1 || true
	wait_info qlen "$n"
	[ "$(proc_get 6)" = "$n" ] || fail "/proc qlen $(proc_get 6), want $n"
	# /proc's young and old are SYNQ_INFO's qlen_young and the rest, read
	# in one dump (how many are still young depends on timing).
	info_get all | jq -e --argjson n "$n" \
		'.proc[6] == (.qlen_young | tostring) and
		 .proc[7] == ((.qlen - .qlen_young) | tostring) and .qlen == $n' \
		>/dev/null || fail "/proc young/old disagree with SYNQ_INFO: $(info_get all)"

	# M completed, never accepted.
	for i in $(seq "$m"); do
		ip netns exec "$NS_CLI" python3 -c '
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
time.sleep(30)' "$SRV_IP" "$PORT" &
		defer kill $!
	done
	wait_info ack_backlog "$m"
	[ "$(proc_get 3)" = "$m" ] || fail "/proc accq $(proc_get 3), want $m"
	[ "$(proc_get 6)" = "$n" ] || fail "/proc qlen changed"

	syn1=$(stat_get Syns)
	[ $((syn1 - syns0)) = $((n + m)) ] ||
		fail "Syns moved by $((syn1 - syns0)), want $((n + m))"
	[ $(($(stat_get Children) - children0)) = "$m" ] ||
		fail "Children moved by $(($(stat_get Children) - children0))"

	# After the first retransmission every half-open entry is old.
	sleep 1.5
	wait_info qlen_young 0
	[ "$(proc_get 8)" = "$n" ] || fail "/proc old $(proc_get 8), want $n"
	[ "$(stat_get SynAckRetrans)" -ge "$n" ] || fail "no retransmissions"
}

# Every namespace registers the whole table, no more, no less: the count
# given to register_net_sysctl_sz() (6.6+) must leave out the {} sentinel,
# or from 6.11 the registration, the netns and insmod fail.  Namespaces
# made and used, one deleted, and one made after that deletion.
check_netns_tables() {
	local ns name want got
	# shellcheck disable=SC2086 # a list of names
	want=$(printf '%s\n' $SYSCTLS | sort | paste -sd ' ')
	setup_ns NSA NSB
	for ns in "$NSA" "$NSB"; do
		got=$(ip netns exec "$ns" ls /proc/sys/net/synq | sort | paste -sd ' ')
		[ "$got" = "$want" ] || fail "$ns: net/synq holds '$got', want '$want'"
		got=$(ip netns exec "$ns" sysctl -a 2>/dev/null | grep -c '^net\.synq\.')
		[ "$got" = 6 ] || fail "$ns: sysctl -a lists $got net.synq.* entries, want 6"
	done
	for name in $SYSCTLS; do
		nsset "$NSB" "$name" 1 || fail "$NSB: set $name"
		[ "$(nsget "$NSB" "$name")" = 1 ] || fail "$NSB: $name is not 1"
	done
	nsset "$NSB" syncookies 2 || fail "$NSB: set syncookies"
	ns=synq-gone-$ksft_ns_suffix
	ip netns add "$ns" || fail "ip netns add $ns"
	[ "$(nsget "$ns" max_syn_backlog)" -ge 1 ] || fail "$ns: no max_syn_backlog"
	ip netns del "$ns"
	setup_ns NSC
	got=$(ip netns exec "$NSC" ls /proc/sys/net/synq | sort | paste -sd ' ')
	[ "$got" = "$want" ] || fail "$NSC (after a deletion): net/synq holds '$got'"
	[ "$(nsget "$NSC" syncookies)" = 1 ] || fail "$NSC: syncookies not the default"
	[ "$(nsget "$NSB" syncookies)" = 2 ] || fail "$NSB: changed by another netns"
	! dmesg_since_start |
		grep -E 'sysctl table check failed|sysctl could not|sysctl duplicate|net/synq' ||
		fail "the kernel logged a sysctl registration problem"
}

[ -n "${SYNQ_ONLY:-}" ] && { ksft_run "$SYNQ_ONLY" "$SYNQ_ONLY"; ksft_exit; }
ksft_run "defaults in a new netns" check_defaults
ksft_run "bounds: EINVAL, value kept" check_bounds
ksft_run "per-netns independence" check_per_netns
ksft_run "writes need CAP_NET_ADMIN over the netns" check_privilege
ksft_run "every netns registers the whole table (second netns, after a deletion)" \
	check_netns_tables
ksft_run "/proc/net/synq, stat and SYNQ_INFO agree with reality" \
	check_proc_scenario
ksft_exit
