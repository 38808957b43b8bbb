#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 and dual-stack synq listeners (issue 13), each scenario against a
# TCP listener of the same family as the oracle, over veth between two
# namespaces with IPv4 and IPv6 addresses: port conflicts, V6ONLY and
# bindv6only, traffic (1000 sequential, 200 concurrent, 8 MiB both ways,
# v4-mapped clients), cookies, a spoofed IPv6 SYN flood against a tiny
# table, a raw IPv6 peer's handshake (options, traffic class, flow label,
# duplicate SYN, RST, expiry), extension headers on the final ACK, accept
# queue overflow, and pending IPv6 entries at close().  The scenarios are
# selftests/synq_ipv6.py.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3
require_synq

setup_pair6 || ksft_fail_all "cannot create the test namespaces (veth?)"
ip netns exec "$NS_SRV" sysctl -qw net.synq.max_syn_backlog=1024 ||
	ksft_fail_all "no net.synq sysctls in a new netns"
ip netns exec "$NS_SRV" sysctl -qw net.synq.syncookies=0
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=0
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_max_syn_backlog=1024
# SYN-ACKs to the raw peers' and the flood's sources: the client kernel
# has no socket for them and must not reset them; spoofed sources are
# routed back through it.
ip netns exec "$NS_CLI" nft -f - <<-NFT || ksft_fail_all "nft"
	table ip6 synq_ipv6 {
		chain out {
			type filter hook output priority 0; policy accept;
			meta mark != 0x5e tcp sport 40000-43999 tcp flags & rst == rst drop
		}
		chain in {
			type filter hook input priority 0; policy accept;
			ip6 daddr { fd00:2::/64, fd00:3::/64 } drop
		}
	}
NFT
for net in fd00:2::/64 fd00:3::/64; do
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

run_selected "IPv6: port conflicts of IPv4, dual-stack and V6ONLY listeners as TCP's" check_ports
run_selected "IPv6: V6ONLY and bindv6only as TCP: v4-mapped or refused" check_v6only
run_selected "IPv6: 1000 sequential, 200 concurrent, 8 MiB both ways, v4-mapped clients" check_traffic
run_selected "IPv6: cookies (syncookies=2), IPv6 MSS table, forged cookie ACK" check_cookies
run_selected "IPv6: spoofed SYN flood against a 32-entry table" check_flood
run_selected "IPv6: raw peer: options, tclass, flow label, dup SYN, RST, expiry" check_rawpeer
run_selected "IPv6: extension headers on the final ACK as TCP" check_exthdr
run_selected "IPv6: accept queue overflow, abort_on_overflow 0 and 1" check_overflow
run_selected "IPv6: pending entries freed at close()" check_lifecycle
run_selected "IPv6: /proc/net/synq and ss show IPv6 listeners" check_proc
ksft_exit
