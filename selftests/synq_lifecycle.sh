#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The life and death of synq listeners: closing one with half-open
# entries and unaccepted children (RSTs, nothing leaks, rmmod works), or
# with thousands of entries and rmmod at once (their free outlives close());
# the netfilter hook present only while the netns has a listener, and no
# kernel text patched for it;
# listeners opened and closed in a loop while SYNs keep coming;
# rmmod refused while a synq socket exists, while accepted connections
# outlive rmmod; a netns deleted under a live listener; a reconnect onto
# the server's TIME_WAIT that completes on its first SYN.
# Unloads and reloads synq ($SYNQ_KO) on the way; ends with it loaded.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft ss python3 insmod rmmod
require_synq

PEER=(python3 "$SYNQ_SELFTESTS/synq_peer.py")
TMPD=$(mktemp -d /tmp/synq_lifecycle.XXXXXX)
defer rm -rf "$TMPD"

setup_pair || ksft_fail_all "cannot create the test namespaces (veth?)"

show() {
	sed 's/^\([^#]\)/# \1/' "$1"
}

# bg_run NAME NS CMD...: run CMD in NS in the background; killed when the
# subtest ends, whichever way.
declare -A BG_PID
BG_ALL=
bg_run() {
	local name=$1 ns=$2
	shift 2
	rm -f "$TMPD/$name".*
	ip netns exec "$ns" "$@" > "$TMPD/$name.log" 2>&1 &
	BG_PID[$name]=$!
	BG_ALL="$BG_ALL $!"
	# shellcheck disable=SC2064 # the pids of now
	trap "kill $BG_ALL 2>/dev/null || true" EXIT
}

# bg NAME NS ARG...: "synq_peer.py ARG..." in NS, in the background.
bg() {
	local name=$1 ns=$2
	shift 2
	bg_run "$name" "$ns" "${PEER[@]}" "$@"
}

# bg_wait NAME: its exit status, its output shown.
bg_wait() {
	local rc=0
	wait "${BG_PID[$1]}" || rc=$?
	show "$TMPD/$1.log"
	[ "$rc" = 0 ] || fail "$1 exited $rc"
}

# wait_file FILE NAME: until FILE exists, or NAME (a bg process) exited.
wait_file() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[ -s "$1" ] && return 0
		kill -0 "${BG_PID[$2]}" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$1" ] && return 0
	show "$TMPD/$2.log"
	fail "$2 did not get ready ($1)"
}

SLABS="synq_entry request_sock_TCP TCP"
declare -A SLAB_BASE
slab_baseline() {
	local s
	for s in $SLABS; do
		SLAB_BASE[$s]=$(slab_active "$s")
	done
}

# A leak leaves more objects than before; fewer is other tests' sockets
# (orphans, TIME_WAIT) going away meanwhile.
slabs_at_baseline() {
	local s
	for s in $SLABS; do
		[ "$(slab_active "$s")" -le "${SLAB_BASE[$s]}" ] || return 1
	done
}

check_slabs() {
	local s
	wait_until 10 slabs_at_baseline && return 0
	for s in $SLABS; do
		log "slab $s: $(slab_active "$s") active objects, baseline ${SLAB_BASE[$s]}"
	done
	fail "slab objects not back to their baseline"
}

refcnt_is() {
	[ "$(cat /sys/module/synq/refcnt 2>/dev/null)" = "$1" ]
}

# module_unused WHEN [SECONDS]: nothing holds synq within SECONDS (10).
module_unused() {
	wait_until "${2:-10}" refcnt_is 0 ||
		fail "module refcnt is $(cat /sys/module/synq/refcnt) $1"
}

# module_released WHEN [SECONDS]: module_unused, then reload_synq.
module_released() {
	module_unused "$@" && reload_synq
}

# rmmod synq, check it is gone, insmod it again.
reload_synq() {
	rmmod synq || fail "rmmod synq failed"
	[ ! -e /sys/module/synq ] || fail "/sys/module/synq still there after rmmod"
	insmod "$SYNQ_KO" || fail "insmod $SYNQ_KO failed"
}

NSYN=10
NCHILD=5

check_close_pending() {
	local rc=0 port

	slab_baseline
	drop_rsts "$NS_CLI" synq_raw "tcp sport 41000-$((41000 + NSYN - 1))"
	bg srv "$NS_SRV" server --mode hold --hold-file "$TMPD/srv.hold" \
		--ready-file "$TMPD/srv.ready" --info-file "$TMPD/srv.info" \
		--want-qlen "$NSYN" --want-backlog "$NCHILD"
	wait_file "$TMPD/srv.ready" srv
	port=$(cat "$TMPD/srv.ready")
	bg syn "$NS_CLI" raw-syn --src "$CLI_IP" --addr "$SRV_IP" --port "$port" \
		--sport 41000 --count "$NSYN"
	bg_wait syn
	bg hold "$NS_CLI" hold --addr "$SRV_IP" --port "$port" --count "$NCHILD" \
		--ready-file "$TMPD/hold.ready" --timeout 30
	wait_file "$TMPD/hold.ready" hold
	[ "$(cat /sys/module/synq/refcnt)" -ge 1 ] ||
		fail "module refcnt $(cat /sys/module/synq/refcnt) with a live synq socket"
	# The listener closes: SYNQ_INFO checked first (qlen, ack_backlog).
	touch "$TMPD/srv.hold"
	bg_wait srv || rc=1
	# Every unaccepted client is reset.
	bg_wait hold || rc=1
	ip netns exec "$NS_CLI" nft delete table ip synq_raw
	check_slabs || rc=1
	module_released "after every synq socket closed" || rc=1
	return "$rc"
}

# A closed listener's entries are freed by a work item after close()
# returns: rmmod at once must wait for it, not destroy the slab under it.
# On the debug kernel (~4x slower) 3000 SYNs take longer to send than a
# more-than-half-full table keeps its entries (the clock hand's thresh):
# 1000 keep it under half.
NFULL=3000
[ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ] && NFULL=1000

check_close_full_rmmod() {
	local rc=0 port old

	old=$(ip netns exec "$NS_SRV" sysctl -n net.synq.max_syn_backlog)
	ip netns exec "$NS_SRV" sysctl -qw net.synq.max_syn_backlog=4096
	drop_rsts "$NS_CLI" synq_raw "tcp sport 50000-$((50000 + NFULL - 1))"
	bg srv "$NS_SRV" server --mode hold --backlog 4096 \
		--hold-file "$TMPD/srv.hold" --ready-file "$TMPD/srv.ready" \
		--want-qlen "$NFULL" --want-backlog 0
	wait_file "$TMPD/srv.ready" srv
	port=$(cat "$TMPD/srv.ready")
	bg syn "$NS_CLI" raw-syn --src "$CLI_IP" --addr "$SRV_IP" --port "$port" \
		--sport 50000 --count "$NFULL" --timeout 120
	bg_wait syn || rc=1
	touch "$TMPD/srv.hold"
	bg_wait srv || rc=1
	ip netns exec "$NS_SRV" sysctl -qw net.synq.max_syn_backlog="$old"
	ip netns exec "$NS_CLI" nft delete table ip synq_raw
	module_unused "after the listener closed" || rc=1
	rmmod synq || fail "rmmod synq failed right after the close" || rc=1
	[ ! -e /sys/module/synq ] || fail "/sys/module/synq still there" || rc=1
	# A cache destroyed with objects in it stays (and WARNs: the VM's
	# panic_on_warn stops the run there); an empty one is gone.
	if grep -q '^synq_entry ' /proc/slabinfo; then
		grep '^synq_entry ' /proc/slabinfo | sed 's/^/# /'
		fail "the synq_entry cache outlived rmmod" || rc=1
	fi
	insmod "$SYNQ_KO" || fail "insmod $SYNQ_KO failed" || rc=1
	return "$rc"
}

TRACE=/sys/kernel/tracing

# Calls of synq_hook() while NS_CLI sends the server 3 UDP datagrams: the
# kprobe event counts them (Debian's kernel has no NETFILTER_NETLINK_HOOK
# for "nft list hooks" to ask directly).
hook_calls() {
	echo > "$TRACE/trace"
	ip netns exec "$NS_CLI" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"x", (sys.argv[1], 9))' "$SRV_IP"
	sleep 0.2
	grep -c 'synq_hook' "$TRACE/trace" || true
}

# probe_start FUNC: trace FUNC's calls with a kprobe event, not with the
# function tracer: starting and stopping that tracer flips the scheduler's
# tracepoints (cmdline recording), rewriting __schedule() under the other
# CPU's feet, and under TCG a CPU once stayed trapped on that INT3 (CI, on
# both kernels).  With record-cmd off an event flips nothing but FUNC's
# own call site.
probe_start() {
	[ -w "$TRACE/kprobe_events" ] || return 1
	echo 0 > "$TRACE/options/record-cmd" || return 1
	echo "p:synq_probe $1" >> "$TRACE/kprobe_events" || return 1
	echo 1 > "$TRACE/events/kprobes/synq_probe/enable"
}

probe_stop() {
	echo 0 > "$TRACE/events/kprobes/synq_probe/enable"
	echo "-:synq_probe" >> "$TRACE/kprobe_events"
	echo 1 > "$TRACE/options/record-cmd"
}

# The hook exists only while the namespace has a listener: other traffic
# pays nothing for synq before the first listen() and after the last close().
check_hook_lifetime() {
	local rc=0 n

	if ! probe_start synq_hook; then
		log "SKIP: no kprobe events at $TRACE"
		return "$KSFT_SKIP"
	fi
	defer probe_stop
	n=$(hook_calls)
	[ "$n" = 0 ] || fail "synq_hook called $n times before any listener" || rc=1
	bg srv "$NS_SRV" server --mode hold --hold-file "$TMPD/srv.hold" \
		--ready-file "$TMPD/srv.ready"
	bg srv2 "$NS_SRV" server --mode hold --hold-file "$TMPD/srv2.hold" \
		--ready-file "$TMPD/srv2.ready"
	wait_file "$TMPD/srv.ready" srv
	wait_file "$TMPD/srv2.ready" srv2
	n=$(hook_calls)
	log "synq_hook calls for 3 datagrams with two listeners: $n"
	[ "$n" -ge 3 ] || fail "synq_hook called $n times with two listeners" || rc=1
	touch "$TMPD/srv.hold"
	bg_wait srv || rc=1
	n=$(hook_calls)
	[ "$n" -ge 3 ] || fail "synq_hook called $n times with one listener left" || rc=1
	touch "$TMPD/srv2.hold"
	bg_wait srv2 || rc=1
	n=$(hook_calls)
	[ "$n" = 0 ] || fail "synq_hook called $n times after the last listener closed" || rc=1
	return "$rc"
}

# Kernel text patches (jump label flips) while CMD... runs.
text_patches() {
	echo > "$TRACE/trace"
	"$@" >&2	# its messages, not the count
	grep -c 'arch_jump_label_transform_apply' "$TRACE/trace" || true
}

# N listeners opened on port P of NS and closed, one after the other.
listen_close() {
	ip netns exec "$1" python3 -c '
import socket, sys
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
    s.bind(("127.0.0.1", int(sys.argv[2])))
    s.listen(8)
    s.close()' "$2" "$3"
}

# Registering the first LOCAL_IN hook flips netfilter's jump label, which
# rewrites kernel text on every CPU under the packets' feet (in CI a CPU
# trapped on the patching INT3 in ip_local_deliver()).  synq holds the
# label from insmod to rmmod: listen() and close() must patch nothing.
# Reloading synq with no other LOCAL_IN hook shows the tracer sees flips.
check_no_text_patching() {
	local rc=0 n

	if ! probe_start arch_jump_label_transform_apply; then
		log "SKIP: no kprobe event on arch_jump_label_transform_apply"
		return "$KSFT_SKIP"
	fi
	defer probe_stop
	n=$(text_patches reload_synq)
	log "text patches by rmmod + insmod: $n"
	[ "$n" -ge 2 ] || fail "rmmod + insmod patched text $n times, want >= 2" ||
		rc=1
	n=$(text_patches listen_close "$NS_SRV" 5 8097)
	log "text patches by 5 listen() + close(): $n"
	[ "$n" = 0 ] || fail "listen() + close() patched kernel text $n times" ||
		rc=1
	return "$rc"
}

# close() does not wait for the packets still using a listener: listeners
# opened and closed in a loop on one port while SYNs (and the client
# kernel's RSTs for their SYN-ACKs) keep coming must leave nothing behind.
NCYCLES=300
[ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ] && NCYCLES=100

check_close_under_flood() {
	local rc=0 port=8070 cycles syns

	command -v hping3 > /dev/null || { skip_tool "hping3 not installed"; return; }
	slab_baseline
	syns=$(synq_stat "$NS_SRV" Syns)
	bg_run syns "$NS_CLI" timeout 60 hping3 -q -S -p "$port" -i u200 "$SRV_IP"
	cycles=$(ip netns exec "$NS_SRV" python3 -c '
import random, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    time.sleep(random.random() / 50)
    s.close()
print(n)' "$port" "$NCYCLES") || fail "the listen/close loop failed" || rc=1
	kill "${BG_PID[syns]}" 2>/dev/null || true
	wait "${BG_PID[syns]}" 2>/dev/null || true
	syns=$(($(synq_stat "$NS_SRV" Syns) - syns))
	log "listeners opened and closed: $cycles; SYNs they took: $syns"
	[ "$cycles" = "$NCYCLES" ] || rc=1
	[ "$syns" -gt 0 ] || fail "no SYN reached the listeners" || rc=1
	check_slabs || rc=1
	module_released "after the loop" || rc=1
	return "$rc"
}

check_rmmod_busy() {
	local rc=0 port out

	bg srv "$NS_SRV" server --mode survive --accepted-file "$TMPD/srv.accepted" \
		--go-file "$TMPD/go" --ready-file "$TMPD/srv.ready"
	wait_file "$TMPD/srv.ready" srv
	port=$(cat "$TMPD/srv.ready")
	[ "$(cat /sys/module/synq/refcnt)" -ge 1 ] ||
		fail "module refcnt $(cat /sys/module/synq/refcnt) with a live synq socket" ||
		rc=1
	if out=$(rmmod synq 2>&1); then
		fail "rmmod synq succeeded while a synq socket exists"
		insmod "$SYNQ_KO"
		return 1
	fi
	log "rmmod while listening: $out"
	[ -d /sys/module/synq ] || fail "synq gone after a refused rmmod" || rc=1
	# The client connects, then waits for the go before sending.
	bg cli "$NS_CLI" client --addr "$SRV_IP" --port "$port" --count 1 \
		--size 200000 --wait-file "$TMPD/go" --timeout 60
	wait_file "$TMPD/srv.accepted" srv
	# Listener closed, connection accepted: nothing holds synq now.
	module_unused "with only an accepted connection" || rc=1
	rmmod synq || fail "rmmod synq failed with only an accepted connection" || rc=1
	[ ! -e /sys/module/synq ] || fail "/sys/module/synq still there" || rc=1
	# Data both ways on the accepted connection, synq gone.
	touch "$TMPD/go"
	bg_wait cli || rc=1
	bg_wait srv || rc=1
	[ -d /sys/module/synq ] || insmod "$SYNQ_KO" || fail "insmod $SYNQ_KO failed" || rc=1
	return "$rc"
}

check_netns_delete() {
	local rc=0 port NS_X NS_Y

	# Before the namespaces: each has a TCP socket of synq's (its sink).
	slab_baseline
	setup_ns NS_X NS_Y
	setup_veth "$NS_X" 10.0.2.2/24 "$NS_Y" 10.0.2.1/24
	drop_rsts "$NS_Y" synq_raw "tcp sport 41000-$((41000 + NSYN - 1))"
	# The listener never closes by itself (no hold file comes).
	bg srv "$NS_X" server --mode hold --hold-file "$TMPD/never" \
		--ready-file "$TMPD/srv.ready"
	wait_file "$TMPD/srv.ready" srv
	port=$(cat "$TMPD/srv.ready")
	bg syn "$NS_Y" raw-syn --src 10.0.2.1 --addr 10.0.2.2 --port "$port" \
		--sport 41000 --count "$NSYN"
	bg_wait syn
	bg hold "$NS_Y" hold --addr 10.0.2.2 --port "$port" --count "$NCHILD" \
		--ready-file "$TMPD/hold.ready" --timeout 30
	wait_file "$TMPD/hold.ready" hold
	# The namespace goes while its listener lives: the listener keeps it
	# until the process dies.
	ip netns del "$NS_X"
	kill -9 "${BG_PID[srv]}"
	wait "${BG_PID[srv]}" 2>/dev/null || true
	bg_wait hold || rc=1
	ip netns del "$NS_Y"
	check_slabs || rc=1
	module_released "after the netns went" 20 || rc=1
	return "$rc"
}

check_timewait_reconnect() {
	local rc=0 port=8090 sport=42000 syns

	# Count the client's SYNs to the server (an anonymous counter: named
	# ones need NFT_OBJREF, which the debug kernel's 6.1 config lacks).
	ip netns exec "$NS_CLI" nft -f - <<-EOF
		table ip synq_count {
			chain out {
				type filter hook output priority 0; policy accept;
				tcp dport $port tcp flags & (syn | ack) == syn counter
			}
		}
	EOF
	bg srv "$NS_SRV" server --mode close-first --count 2 --port "$port" \
		--addr "$SRV_IP" --ready-file "$TMPD/srv.ready"
	wait_file "$TMPD/srv.ready" srv
	ip netns exec "$NS_CLI" "${PEER[@]}" client --addr "$SRV_IP" --port "$port" \
		--sport "$sport" --no-shutdown --count 1 > "$TMPD/c1.log" 2>&1 ||
		{ show "$TMPD/c1.log"; fail "first connection failed"; }
	show "$TMPD/c1.log"
	# The server closed first: its side is in TIME_WAIT; the client's
	# side (passive close) goes away once its FIN is acked.
	wait_until 10 eval "ip netns exec '$NS_SRV' ss -Htan state time-wait \
		'( sport = :$port and dport = :$sport )' | grep -q ." ||
		fail "no TIME_WAIT on the server side"
	ip netns exec "$NS_SRV" ss -Htan state time-wait | sed 's/^/# server: /'
	wait_until 10 eval "! ip netns exec '$NS_CLI' ss -Htan '( sport = :$sport )' | grep -q ." ||
		fail "the client's first socket did not go away"
	ip netns exec "$NS_CLI" "${PEER[@]}" client --addr "$SRV_IP" --port "$port" \
		--sport "$sport" --no-shutdown --count 1 --max-connect-time 0.5 \
		> "$TMPD/c2.log" 2>&1 || rc=1
	show "$TMPD/c2.log"
	[ "$rc" = 0 ] || fail "the reconnect failed or was slow"
	bg_wait srv || rc=1
	syns=$(ip netns exec "$NS_CLI" nft list chain ip synq_count out |
		awk '/counter packets/ { for (i = 1; i < NF; i++)
			if ($i == "packets") print $(i + 1) }')
	log "SYNs sent by the client: $syns"
	[ "$syns" = 2 ] || fail "the client sent $syns SYNs for 2 connections, want 2" ||
		rc=1
	ip netns exec "$NS_CLI" nft delete table ip synq_count
	return "$rc"
}

KSFT_ONLY=("$@")

run_selected "close with half-open entries and unaccepted children: RSTs, no leak, rmmod" check_close_pending
run_selected "close of a listener with $NFULL half-open entries, rmmod at once: clean" check_close_full_rmmod
run_selected "netfilter hook registered only while the netns has a listener" check_hook_lifetime
run_selected "listen() and close() patch no kernel text (jump labels)" check_no_text_patching
run_selected "$NCYCLES listeners opened and closed under a SYN stream: no leak, rmmod" check_close_under_flood
run_selected "rmmod refused while listening; accepted connection outlives rmmod" check_rmmod_busy
run_selected "netns deleted under a live listener: clean, rmmod works" check_netns_delete
run_selected "reconnect onto the server's TIME_WAIT connects on the first SYN" check_timewait_reconnect
ksft_exit
