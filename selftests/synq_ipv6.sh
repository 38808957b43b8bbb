#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 and dual-stack synq listeners (issue 13), each scenario against a
# TCP listener of the same family as the oracle, over veth between two
# namespaces with IPv4 and IPv6 addresses: port conflicts, V6ONLY and
# bindv6only, traffic (1000 sequential, 200 concurrent, 8 MiB both ways,
# v4-mapped clients), cookies (their pause, a stale one), a spoofed IPv6
# SYN flood against a tiny table, a raw IPv6 peer's handshake (options,
# traffic class, flow label, duplicate SYN, RST, expiry), TCP-MD5 of both
# families, xfrm policies, extension headers on the final ACK, accept
# queue overflow, ip6 firewall chains at every priority, pending IPv6
# entries at close(), at netns exit and at rmmod.  The scenarios are
# selftests/synq_ipv6.py.  Unloads and reloads synq ($SYNQ_KO) on the way.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 insmod rmmod
require_synq

# static_neigh NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: each end knows the other's
# link-layer address: a burst of raw packets to a neighbour still being
# resolved is mostly dropped (its queue holds a few).
static_neigh() {
	ip -n "$1" neigh replace "$6" dev "$2" \
		lladdr "$(ip netns exec "$4" cat "/sys/class/net/$5/address")" &&
	ip -n "$4" neigh replace "$3" dev "$5" \
		lladdr "$(ip netns exec "$1" cat "/sys/class/net/$2/address")"
}

setup_pair6 || ksft_fail_all "cannot create the test namespaces (veth?)"
static_neigh "$NS_CLI" veth0 "$CLI_IP6" "$NS_SRV" veth0 "$SRV_IP6" ||
	ksft_fail_all "static IPv6 neighbours"
# The server's net.synq settings, again after a reload of synq.
srv_sysctls() {
	ip netns exec "$NS_SRV" sysctl -qw net.synq.max_syn_backlog=1024 &&
	ip netns exec "$NS_SRV" sysctl -qw net.synq.syncookies=0
}
srv_sysctls || ksft_fail_all "no net.synq sysctls in a new netns"
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=0
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_max_syn_backlog=1024
# SYN-ACKs to the raw peers' (IPv6 and IPv4) and the flood's sources: the
# client kernel has no socket for them and must not reset them; spoofed
# sources are routed back through it.
ip netns exec "$NS_CLI" nft -f - <<-NFT || ksft_fail_all "nft"
	table ip6 synq_ipv6 {
		chain out {
			type filter hook output priority 0; policy accept;
			meta mark != 0x5e tcp sport 40000-43999 tcp flags & rst == rst drop
		}
		chain in {
			type filter hook input priority 0; policy accept;
			ip6 daddr { fd00:2::/64, fd00:3::/64, fd00:5::/64 } drop
		}
	}
	table ip synq_ipv6 {
		chain out {
			type filter hook output priority 0; policy accept;
			meta mark != 0x5e tcp sport 40000-43999 tcp flags & rst == rst drop
		}
	}
NFT
for net in fd00:2::/64 fd00:3::/64 fd00:5::/64; do
	ip -n "$NS_SRV" -6 route add "$net" via "$CLI_IP6" ||
		ksft_fail_all "no route to the spoofed sources $net"
done

TMPD=$(mktemp -d /tmp/synq_ipv6.XXXXXX)
defer rm -rf "$TMPD"

# py SCENARIO [ARG...]: run one scenario, its output as TAP comments.
py() {
	local rc=0
	python3 "$SYNQ_SELFTESTS/synq_ipv6.py" "$@" --cli "$NS_CLI" \
		--srv "$NS_SRV" --cli-ip "$CLI_IP" --srv-ip "$SRV_IP" \
		--cli-ip6 "$CLI_IP6" --srv-ip6 "$SRV_IP6" > "$TMPD/out" 2>&1 || rc=$?
	sed 's/^/# /' "$TMPD/out"
	[ "$rc" = 0 ] || fail "synq_ipv6.py $1 exited $rc"
}

check_ports() { py ports; }
check_v6only() { py v6only; }
# The debug kernel (KASAN, lockdep) runs ~4x slower under TCG: a fifth of
# the clients there.
check_traffic() {
	local seq=1000 conc=200
	[ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ] && seq=200 conc=50
	py traffic --kind synq --seq "$seq" --conc "$conc"
}
check_cookies() { py cookies; }
check_flood() { py flood; }
check_rawpeer() { py rawpeer; }
check_exthdr() { py exthdr; }
check_overflow() { py overflow; }
check_lifecycle() { py lifecycle; }

check_proc() { py proc; }
check_firewall() { py firewall; }
check_checks() { py checks; }
check_md5() { py md5; }
check_xfrm() { py xfrm; }
check_pause() { py pause; }

# The stale cookie needs synq loaded with cookie_period=1 (seconds): it
# is reloaded so, and then as before.
check_stale() {
	local rc=0
	rmmod synq || { fail "rmmod synq"; return 1; }
	if insmod "$SYNQ_KO" cookie_period=1 && srv_sysctls; then
		py stale || rc=1
		rmmod synq || { fail "rmmod synq (cookie_period=1)"; rc=1; }
	else
		fail "insmod $SYNQ_KO cookie_period=1"
		rc=1
	fi
	insmod "$SYNQ_KO" || { fail "insmod $SYNQ_KO"; return 1; }
	srv_sysctls || { fail "net.synq settings after the reload"; rc=1; }
	return "$rc"
}
check_fuzz() {
	local n=20000
	[ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ] && n=2000
	py fuzz --count "$n" ${SYNQ_FUZZ_SEED:+--seed "$SYNQ_FUZZ_SEED"}
}

# hold NS [SRV_IP6 CLI_IP6]: start the "hold" scenario in NS (a listener
# with NHOLD pending IPv6 entries, SYNs from NS_CLI) in the background;
# HOLD_PID is its pid.
NHOLD=500
hold() {
	rm -f "$TMPD/hold.ready" "$TMPD/hold.go"
	python3 "$SYNQ_SELFTESTS/synq_ipv6.py" hold --cli "$NS_CLI" --srv "$1" \
		--cli-ip "$CLI_IP" --srv-ip "$SRV_IP" --cli-ip6 "${3:-$CLI_IP6}" \
		--srv-ip6 "${2:-$SRV_IP6}" --count "$NHOLD" --ready-file "$TMPD/hold.ready" \
		--hold-file "$TMPD/hold.go" > "$TMPD/hold.log" 2>&1 &
	HOLD_PID=$!
	# shellcheck disable=SC2064 # the pid of now
	trap "kill $HOLD_PID 2>/dev/null || true" EXIT
	wait_until 60 test -s "$TMPD/hold.ready" &&
		[ "$(cat "$TMPD/hold.ready")" = "$NHOLD" ] ||
		{ sed 's/^/# /' "$TMPD/hold.log"; fail "no listener with $NHOLD entries"; }
}

entry6_slab_gone() {
	! grep -q '^synq_entry6 ' /proc/slabinfo
}

refcnt_is() {
	[ "$(cat /sys/module/synq/refcnt 2>/dev/null)" = "$1" ]
}

# The listener's process exits with NHOLD IPv6 entries pending, and synq
# is removed at once: rmmod waits for the table's free, and the
# synq_entry6 cache goes with the module (one left with objects in it
# would WARN, which stops the VM).
check_rmmod() {
	local rc=0
	hold "$NS_SRV"
	log "synq_entry6 in use: $(slab_active synq_entry6)"
	# (SLUB's count of a cache in use is a little off on the debug kernel.)
	[ "$(slab_active synq_entry6)" -ge $((NHOLD * 9 / 10)) ] ||
		fail "fewer than $((NHOLD * 9 / 10)) objects in synq_entry6"
	touch "$TMPD/hold.go"
	wait "$HOLD_PID" || { sed 's/^/# /' "$TMPD/hold.log"; rc=1; }
	wait_until 10 refcnt_is 0 || fail "synq still referenced"
	rmmod synq || fail "rmmod synq failed right after the close"
	entry6_slab_gone || fail "the synq_entry6 cache outlived rmmod" || rc=1
	insmod "$SYNQ_KO" || fail "insmod $SYNQ_KO failed"
	srv_sysctls || fail "net.synq settings after the reload" || rc=1
	return "$rc"
}

# A namespace deleted under a live IPv6 listener with pending entries:
# when its last user (the listener's process) goes, the netns exits and
# every entry is freed.
check_netns_exit() {
	local base ns_x
	base=$(slab_active synq_entry6)
	setup_ns NS_X
	ip link add veth1 netns "$NS_X" type veth peer name veth1 netns "$NS_CLI"
	ip -n "$NS_X" addr add fd00:4::2/64 dev veth1 nodad
	ip -n "$NS_CLI" addr add fd00:4::1/64 dev veth1 nodad
	ip -n "$NS_X" link set veth1 up
	ip -n "$NS_CLI" link set veth1 up
	ip -n "$NS_X" -6 route add fd00:3::/64 via fd00:4::1
	static_neigh "$NS_CLI" veth1 fd00:4::1 "$NS_X" veth1 fd00:4::2
	# Room for NHOLD entries in a table less than half full (a fuller one
	# ages its entries out early, as Linux 4.3's did).
	ip netns exec "$NS_X" sysctl -qw net.synq.max_syn_backlog=1024
	hold "$NS_X" fd00:4::2 fd00:4::1
	log "synq_entry6 in use: $(slab_active synq_entry6) (was $base)"
	ns_x=$NS_X
	ip netns del "$ns_x"	# its name; the netns lives while the process does
	kill -9 "$HOLD_PID"
	wait "$HOLD_PID" 2>/dev/null || true
	wait_until 10 slab_at_most synq_entry6 "$base" ||
		fail "synq_entry6 at $(slab_active synq_entry6), not back to $base"
}

# synq_ipv6.sh [NAME...]: only the subtests whose check_NAME is given.
# The debug kernel (~4x slower) runs those that drive the most kernel
# code, within the runner's timeout: the rest is timing-free API and
# policy, which the stock kernels cover.
KSFT_ONLY=("$@")
if [ ${#KSFT_ONLY[@]} = 0 ] && [ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ]; then
	KSFT_ONLY=(traffic cookies stale rawpeer md5 exthdr lifecycle fuzz
		netns_exit rmmod)
	log "debug kernel: only ${KSFT_ONLY[*]}"
fi
run_selected "IPv6: port conflicts of IPv4, dual-stack and V6ONLY listeners as TCP's" check_ports
run_selected "IPv6: V6ONLY and bindv6only as TCP: v4-mapped or refused" check_v6only
run_selected "IPv6: 1000 sequential, 200 concurrent, 8 MiB both ways, v4-mapped clients" check_traffic
run_selected "IPv6: cookies (syncookies=2), IPv6 MSS table, forged cookie ACK" check_cookies
run_selected "IPv6: cookie pause on a spoofed flood begins, holds, ends" check_pause
run_selected "IPv6: a stale cookie (cookie_period=1) refused, a fresh one good" check_stale
run_selected "IPv6: spoofed SYN flood against a 32-entry table" check_flood
run_selected "IPv6: raw peer: options, tclass, flow label, dup SYN, RST, expiry" check_rawpeer
run_selected "IPv6: extension headers on the final ACK as TCP" check_exthdr
run_selected "IPv6: accept queue overflow, abort_on_overflow 0 and 1" check_overflow
run_selected "IPv6: pending entries freed at close()" check_lifecycle
run_selected "IPv6: /proc/net/synq and ss show IPv6 listeners" check_proc
run_selected "IPv6: ip6 input chains at every priority drop the final ACK as for TCP" check_firewall
run_selected "IPv6: netns deleted under a listener with pending entries: all freed" check_netns_exit
run_selected "IPv6: IPV6_MINHOPCOUNT, socket filter as TCP; reuseport refused; SOL_SYNQ" check_checks
run_selected "IPv6: TCP_MD5SIG, IPv6 and v4-mapped keys, signed handshakes as TCP" check_md5
run_selected "IPv6: xfrm block policies on the SYN and the final ACK as for TCP" check_xfrm
run_selected "IPv6: hostile packets (extension headers, lengths, v4-mapped)" check_fuzz
run_selected "IPv6: rmmod right after a close with 500 pending IPv6 entries" check_rmmod
ksft_exit
