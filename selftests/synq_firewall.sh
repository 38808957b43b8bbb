#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# synq behind a stateful firewall: with nf_conntrack and a policy-drop
# nftables input chain in the server's namespace ("ct state
# established,related accept; ct state invalid drop; tcp dport P accept"),
# clients in another namespace reach the synq listener, exchange data,
# and conntrack holds an ESTABLISHED, ASSURED entry for every connection;
# no packet is ever invalid.  Both orders: the ruleset loaded after synq,
# and loaded before insmod synq (synq is unloaded and reloaded for it).

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 insmod rmmod
require_synq

PEER=(python3 "$SYNQ_SELFTESTS/synq_peer.py")
TMPD=$(mktemp -d /tmp/synq_firewall.XXXXXX)
defer rm -rf "$TMPD"
PORT=8080
NCONN=50

show() {
	sed 's/^\([^#]\)/# \1/' "$1"
}

# fw_ruleset NS: the server's firewall, with counters to check.  They are
# anonymous, found by their rule's comment: named counters need
# CONFIG_NFT_OBJREF, which the debug kernel's small config lacks.
fw_ruleset() {
	ip netns exec "$1" nft -f - <<-EOF
		table inet filter {
			chain input {
				type filter hook input priority 0; policy drop;
				ct state established,related accept
				ct state invalid counter drop comment "invalid"
				tcp dport $PORT counter accept comment "dport"
				iif lo accept
				meta l4proto icmp accept
			}
			# Diagnostics only: SYN-ACKs conntrack could not place.
			chain output {
				type filter hook output priority 0; policy accept;
				tcp sport $PORT tcp flags & (syn | ack) == syn | ack ct state invalid counter comment "synack_invalid"
			}
		}
	EOF
}

# nft_counter NS NAME: the packets of the counter whose rule says NAME.
nft_counter() {
	ip netns exec "$1" nft list table inet filter |
		awk -v c="comment \"$2\"" 'index($0, c) {
			for (i = 1; i < NF; i++)
				if ($i == "packets") print $(i + 1) }'
}

# conntrack entries of the server's namespace for connections to PORT
# from CLI_ADDR that are ESTABLISHED and ASSURED (seen both ways).
ct_established() {
	local ns=$1 cli=$2 srv=$3
	# /proc/net/nf_conntrack needs NF_CONNTRACK_PROCFS, which the debug
	# kernel's small config lacks: there conntrack(8) asks over netlink.
	if [ -r /proc/net/nf_conntrack ]; then
		ip netns exec "$ns" cat /proc/net/nf_conntrack
	else
		ip netns exec "$ns" conntrack -L -p tcp --dport "$PORT" 2>/dev/null
	fi | grep -c -E "ESTABLISHED src=$cli dst=$srv sport=[0-9]+ dport=$PORT .*ASSURED" ||
		true
}

# fw_traffic SRV_NS SRV_IP CLI_NS CLI_IP: NCONN connections with data,
# held open until conntrack is checked.
fw_traffic() {
	local sns=$1 sip=$2 cns=$3 cip=$4 rc=0 crc=0 src=0 n i spid cpid invalid

	rm -f "$TMPD"/srv.* "$TMPD"/cli.* "$TMPD/linger"
	ip netns exec "$sns" "${PEER[@]}" server --addr "$sip" --port "$PORT" \
		--count "$NCONN" --timeout 120 --ready-file "$TMPD/srv.ready" \
		--want-zero drops --want-zero overflows > "$TMPD/srv.log" 2>&1 &
	spid=$!
	# shellcheck disable=SC2064 # the pid of now
	trap "kill $spid 2>/dev/null || true" EXIT
	for ((i = 0; i < 1200; i++)); do
		[ -s "$TMPD/srv.ready" ] || ! kill -0 "$spid" 2>/dev/null && break
		sleep 0.05
	done
	[ -s "$TMPD/srv.ready" ] || { show "$TMPD/srv.log"; fail "server did not start"; }

	ip netns exec "$cns" "${PEER[@]}" client --addr "$sip" --port "$PORT" \
		--count "$NCONN" --concurrency "$NCONN" --timeout 90 \
		--linger-file "$TMPD/linger" --ready-file "$TMPD/cli.ready" \
		> "$TMPD/cli.log" 2>&1 &
	cpid=$!
	# shellcheck disable=SC2064 # the pids of now
	trap "kill $spid $cpid 2>/dev/null || true" EXIT
	for ((i = 0; i < 2400; i++)); do
		[ -s "$TMPD/cli.ready" ] || ! kill -0 "$cpid" 2>/dev/null && break
		sleep 0.05
	done
	if [ -s "$TMPD/cli.ready" ]; then
		n=$(ct_established "$sns" "$cip" "$sip")
		log "conntrack: $n ESTABLISHED, ASSURED entries for port $PORT"
		[ "$n" = "$NCONN" ] ||
			fail "conntrack has $n ESTABLISHED entries for $NCONN open connections" ||
			rc=1
	else
		fail "the clients did not all connect and exchange data" || rc=1
	fi
	touch "$TMPD/linger"
	wait "$cpid" || crc=$?
	show "$TMPD/cli.log"
	wait "$spid" || src=$?
	show "$TMPD/srv.log"
	[ "$crc" = 0 ] || fail "the clients failed (exit $crc)" || rc=1
	[ "$src" = 0 ] || fail "the server failed (exit $src)" || rc=1
	invalid=$(nft_counter "$sns" invalid)
	log "nft: $invalid invalid packets dropped, $(nft_counter "$sns" dport) new packets to port $PORT"
	log "nft: $(nft_counter "$sns" synack_invalid) SYN-ACKs sent with conntrack state invalid"
	[ "$invalid" = 0 ] || fail "conntrack called $invalid packets invalid" || rc=1
	return "$rc"
}

check_ruleset_after_synq() {
	fw_ruleset "$NS_SRV"
	fw_traffic "$NS_SRV" "$SRV_IP" "$NS_CLI" "$CLI_IP"
}

check_ruleset_before_synq() {
	local rc=0

	rmmod synq || { fail "rmmod synq (to load it after the ruleset) failed"; return 1; }
	fw_ruleset "$NS_S" || rc=1
	insmod "$SYNQ_KO" || { fail "insmod $SYNQ_KO failed"; return 1; }
	[ "$rc" = 0 ] || return 1
	fw_traffic "$NS_S" 10.0.4.2 "$NS_C" 10.0.4.1
}

modprobe nf_conntrack 2>/dev/null || true
[ -d /sys/module/nf_conntrack ] || ksft_skip_all "nf_conntrack not available"
[ -r /proc/net/nf_conntrack ] || require_cmd conntrack
setup_pair || ksft_fail_all "cannot create the test namespaces (veth?)"
setup_ns NS_C NS_S || ksft_fail_all "cannot create the test namespaces"
setup_veth "$NS_C" 10.0.4.1/24 "$NS_S" 10.0.4.2/24 ||
	ksft_fail_all "cannot create a veth pair"

ksft_run "ruleset loaded after synq: $NCONN connections, conntrack ESTABLISHED" check_ruleset_after_synq
ksft_run "ruleset loaded before insmod synq: $NCONN connections, conntrack ESTABLISHED" check_ruleset_before_synq
ksft_exit
