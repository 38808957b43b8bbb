#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Traffic through a synq listener: plain TCP clients, sequential and
# concurrent, over veth between two namespaces and over loopback, each
# connection's data checked byte for byte both ways; a multi-megabyte
# transfer; data carried on the handshake's final ACK; curl against a
# tiny HTTP server on a synq socket.  After each run the listener's
# SYNQ_INFO must show qlen 0, ack_backlog 0 and exactly N accepted.
# The clients and servers are selftests/synq_peer.py.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3
require_synq

PEER=(python3 "$SYNQ_SELFTESTS/synq_peer.py")
TMPD=$(mktemp -d /tmp/synq_traffic.XXXXXX)
defer rm -rf "$TMPD"

setup_pair || ksft_fail_all "cannot create the test namespaces (veth?)"
# The SYN table and the accept queue hold every concurrent client; SYN
# cookies are not what these tests are about.
ip netns exec "$NS_SRV" sysctl -qw net.synq.max_syn_backlog=1024 ||
	ksft_fail_all "no net.synq sysctls in a new netns"
ip netns exec "$NS_SRV" sysctl -qw net.synq.syncookies=0

# Print a log file as TAP comments.
show() {
	sed 's/^\([^#]\)/# \1/' "$1"
}

# srv_start NS NAME ARG...: start "synq_peer.py server ARG..." in NS and
# wait until it listens: sets SRV_PID and SRV_PORT.  The server is killed
# when the subtest ends, whichever way.
srv_start() {
	local ns=$1 name=$2 i
	shift 2
	SRV_NAME=$name
	rm -f "$TMPD/$name.ready"
	ip netns exec "$ns" "${PEER[@]}" server --ready-file "$TMPD/$name.ready" \
		"$@" > "$TMPD/$name.log" 2>&1 &
	SRV_PID=$!
	# shellcheck disable=SC2064 # the pid of now
	trap "kill $SRV_PID 2>/dev/null || true" EXIT
	for ((i = 0; i < 1200; i++)); do
		[ -s "$TMPD/$name.ready" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$TMPD/$name.ready" ]; then
		show "$TMPD/$name.log"
		fail "server $name did not start listening"
		return 1
	fi
	SRV_PORT=$(cat "$TMPD/$name.ready")
}

# srv_wait: the server's exit status, its log shown.
srv_wait() {
	local rc=0
	wait "$SRV_PID" || rc=$?
	show "$TMPD/$SRV_NAME.log"
	[ "$rc" = 0 ] || fail "server $SRV_NAME exited $rc"
}

# peer NS ARG...: run synq_peer.py in NS, output as TAP comments.
peer() {
	local ns=$1 rc=0
	shift
	ip netns exec "$ns" "${PEER[@]}" "$@" > "$TMPD/peer.log" 2>&1 || rc=$?
	show "$TMPD/peer.log"
	[ "$rc" = 0 ] || fail "synq_peer.py $1 exited $rc"
}

# One server, bound to the wildcard address, takes every plain client
# connection of the first subtests (one python start-up, not five: TCG is
# slow); its own checks are a subtest of their own, after them.
# The debug kernel (KASAN, lockdep) runs ~4x slower under TCG: a tenth of
# the connections, a quarter of the concurrency, 1 MiB in bulk.
NSEQ=1000 NCONC=200 BULK=$((8 << 20))
if [ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ]; then
	NSEQ=100 NCONC=50 BULK=$((1 << 20))
fi
NSHARED=$((NSEQ + NCONC + NSEQ + NCONC + 1))
SHARED_PORT=
shared_start() {
	local i
	# Its exit status goes to a file: subtests (subshells) cannot wait().
	(
		rc=0
		ip netns exec "$NS_SRV" "${PEER[@]}" server --addr 0.0.0.0 \
			--count "$NSHARED" --timeout 60 \
			--ready-file "$TMPD/shared.ready" --want-zero drops \
			--want-zero overflows --want-zero expired \
			> "$TMPD/shared.log" 2>&1 &
		echo $! > "$TMPD/shared.pid"
		wait $! || rc=$?
		echo "$rc" > "$TMPD/shared.rc"
	) &
	SHARED_PID=$!
	defer "kill \$(cat '$TMPD/shared.pid') $SHARED_PID"
	for ((i = 0; i < 1200; i++)); do
		[ -s "$TMPD/shared.ready" ] && break
		kill -0 "$SHARED_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -s "$TMPD/shared.ready" ]; then
		SHARED_PORT=$(cat "$TMPD/shared.ready")
	else
		show "$TMPD/shared.log"
		log "the shared server did not start"
	fi
}

# run_clients CLI_NS SRV_ADDR N CONCURRENCY [CLIENT ARG...]
run_clients() {
	local cns=$1 addr=$2 n=$3 conc=$4
	shift 4
	[ -n "$SHARED_PORT" ] || fail "no server"
	peer "$cns" client --addr "$addr" --port "$SHARED_PORT" --count "$n" \
		--concurrency "$conc" "$@"
}

# The Tcp OutRsts counter of a namespace.
tcp_outrsts() {
	# shellcheck disable=SC2016 # awk's own $i
	ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++)
		if ($i == "OutRsts") c = i; h = 1 } else print $c }' /proc/net/snmp
}

check_veth_sequential() {
	run_clients "$NS_CLI" "$SRV_IP" "$NSEQ" 1
}

check_veth_concurrent() {
	run_clients "$NS_CLI" "$SRV_IP" "$NCONC" "$NCONC"
}

check_lo_sequential() {
	run_clients "$NS_SRV" 127.0.0.1 "$NSEQ" 1
}

check_lo_concurrent() {
	run_clients "$NS_SRV" 127.0.0.1 "$NCONC" "$NCONC"
}

check_bulk() {
	run_clients "$NS_CLI" "$SRV_IP" 1 1 --size "$BULK" --timeout 60
}

# The server accepted exactly NSHARED connections, checked every one, and
# its SYNQ_INFO shows qlen 0, ack_backlog 0, accepted NSHARED, no drops.
check_shared_server() {
	local rc i
	[ -n "$SHARED_PORT" ] || fail "no server"
	# It has 60 s to finish a connection, and then exits.
	for ((i = 0; i < 1500; i++)); do
		[ -s "$TMPD/shared.rc" ] && break
		sleep 0.1
	done
	show "$TMPD/shared.log"
	rc=$(cat "$TMPD/shared.rc" 2>/dev/null || echo "(still running)")
	# Diagnostics: resets the server's TCP sent (none are expected).
	log "server netns: TCP OutRsts $(tcp_outrsts "$NS_SRV")"
	[ "$rc" = 0 ] || fail "the server exited $rc"
}

check_data_on_ack() {
	local sport=40001 rc=0

	# The client's kernel has no socket for the raw flow: keep its RSTs in.
	drop_rsts "$NS_CLI" synq_raw "tcp sport $sport"
	srv_start "$NS_SRV" "ack" --count 1 --mode recv --expect hello-on-ack \
		--timeout 10
	peer "$NS_CLI" raw-ack --src "$CLI_IP" --addr "$SRV_IP" \
		--port "$SRV_PORT" --sport "$sport" --payload hello-on-ack \
		--timeout 10 || rc=1
	srv_wait || rc=1
	ip netns exec "$NS_CLI" nft delete table ip synq_raw
	return "$rc"
}

check_curl() {
	local i out rc=0

	command -v curl >/dev/null || { skip_tool "curl not installed"; return; }
	srv_start "$NS_SRV" "http" --count 3 --mode http --timeout 20
	for i in 1 2 3; do
		out=$(ip netns exec "$NS_CLI" curl -sS --max-time 30 \
			"http://$SRV_IP:$SRV_PORT/page$i" 2>&1) || out="curl failed: $out"
		[ "$out" = "synq says hello to /page$i" ] ||
			fail "curl $i got '$out'" || rc=1
	done
	srv_wait || rc=1
	return "$rc"
}

shared_start
ksft_run "veth: $NSEQ sequential clients, data checked both ways" check_veth_sequential
ksft_run "veth: $NCONC concurrent clients, data checked both ways" check_veth_concurrent
ksft_run "loopback: $NSEQ sequential clients, data checked both ways" check_lo_sequential
ksft_run "loopback: $NCONC concurrent clients, data checked both ways" check_lo_concurrent
ksft_run "veth: $((BULK >> 20)) MiB each way, sha256 checked" check_bulk
ksft_run "server: exactly $NSHARED accepted and checked; qlen 0, ack_backlog 0" check_shared_server
ksft_run "data on the final ACK reaches accept()+recv()" check_data_on_ack
ksft_run "curl GETs from an HTTP server on a synq socket" check_curl
ksft_exit
