#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# To the rest of the kernel a synq listener is a TCP listener (issue 11):
# every scenario runs twice on the same set-up, against Linux's TCP
# listener (the oracle, subtests ending ": tcp") and a synq listener
# (": synq"), and both must give the same exact outcome, the one written
# here, which is what Linux's listener gives:
#  1. an nft input chain at priority -10, 0, 10, 50 (firewalld: 10) that
#     drops the port: connect() times out, nothing to accept;
#  2. an nft `ip saddr` accept-list (priority 0 and 10) for the port: the
#     allowed client connects, the other does not;
#  3. iptables-nft `-A INPUT -p tcp --dport PORT -j DROP`;
#  4. IP_MINTTL 255 (set before listen(), and after) with a client one
#     hop away behind a router namespace (TTL 63 arrives): no connection;
#     IP_MINTTL 1: it connects;
#  5. a classic socket filter (SO_ATTACH_FILTER) on the listener dropping
#     one source address: that source cannot connect, another can;
#  6. a cgroup/skb ingress BPF program (loaded with the raw bpf(2)
#     syscall) on the cgroup v2 the listener was created in, dropping one
#     source: that source cannot connect, another can;
#  7. a final ACK failing PAWS (TSval 1 after a SYN's 1000000), and one
#     out of the window (seq ISN+1+200000): no child; three non-blocking
#     accept()s say EAGAIN without sleeping (no voluntary context switch)
#     and the quickest within 50 ms (synq's old accept() waited 200 ms);
#     the accept queue is empty; the peer gets TCP's answer, a duplicate
#     ACK with seq ISS+1, ack ISN+1 (tcp_check_req()); and a valid final
#     ACK afterwards still makes the child;
#  8. `ss -lnt` and `ss -lnt sport = :PORT` list the listener: Send-Q the
#     listen() backlog (7), Recv-Q the 3 connections not accepted;
#  9. TcpExt counters (/proc/net/netstat, what nstat reads): a SYN to a
#     full accept queue (backlog 1) moves ListenOverflows and ListenDrops
#     by exactly 1; with syncookies 2 (net.ipv4.tcp_syncookies and
#     net.synq.syncookies) 5 SYNs move SyncookiesSent by 5 and a cookie's
#     final ACK SyncookiesRecv by 1.
# 10. TCP_MD5SIG on the listener: a kernel client with the right key
#     connects and data goes both ways; with a wrong key, without one, or
#     signed to a listener without keys it does not (TcpExt TCPMD5Failure,
#     TCPMD5NotFound, TCPMD5Unexpected move); a key for another address
#     leaves an unsigned client alone; with syncookies 2 the signed cookie
#     handshake completes.  A raw client checks the SYN-ACK's signature
#     and options (MSS, TS, MD5; MD5 with SACK drops TS, as
#     tcp_synack_options()), sends a final ACK wrongly signed or unsigned
#     (no reply, no child, the counter moves), then the signed one with
#     data, which the child reads.  Before this, synq refused TCP_MD5SIG
#     (EOPNOTSUPP): every synq half fails.
# (TCP_FASTOPEN/TCP_SAVE_SYN failing with EOPNOTSUPP on a synq listener
# has no TCP oracle and is synq_api.c's synq_unimplemented_opts.)
#
# The scenarios are selftests/synq_frontdoor.py; each prints one line
# "outcome: ...", compared here with the expected one.  Against the synq
# of before issue 11 (a netfilter hook at LOCAL_IN priority 1 takes SYNs
# and final ACKs) the synq half fails, on 6.1 and 6.12, for: 1 at
# priorities 10 and 50; 2 at priority 10; 4 with IP_MINTTL 255 (both);
# 5; 6; 7 with PAWS (a SYN_RECV child after a 200 ms accept()); 8 (not
# listed); 9 (no TcpExt counter moves).  It passes the rest: chains
# before priority 1, IP_MINTTL 1, and the out-of-window ACK (synq's own
# window check drops it and sends the same ACK).
#
# Arguments: subtest names (check_ functions without "check_") to run only
# those, e.g. "synq_frontdoor.sh nft_prio bad_ack".

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft iptables ss python3 sysctl mount
require_synq

PY=$SYNQ_SELFTESTS/synq_frontdoor.py
CLI_IP2=10.0.1.3		# a second client address in $NS_CLI
RTR_SRV_IP=10.0.5.1		# the router, on the server's side
SRV_IP_FAR=10.0.5.2		# the server, seen from behind the router
RTR_FAR_IP=10.0.6.1		# the router, on the far client's side
FAR_IP=10.0.6.2			# the far client, one hop away
# A port of its own for every subtest ($PORT_BASE + its number): nothing
# is left of the last one.
PORT_BASE=9100
# Seconds to wait for one scenario's answer (each takes a few seconds).
PY_TIMEOUT=${SYNQ_PY_TIMEOUT:-60}
CG_ROOT=/sys/fs/cgroup
KINDS=(tcp synq)

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces.
link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
		ip -n "$1" addr add "$3" dev "$2" &&
		ip -n "$4" addr add "$6" dev "$5" &&
		ip -n "$1" link set "$2" up &&
		ip -n "$4" link set "$5" up
}

# NS_CLI (10.0.1.1, 10.0.1.3) -- NS_SRV (10.0.1.2; 10.0.5.2) -- NS_RTR
# (10.0.5.1; 10.0.6.1) -- NS_FAR (10.0.6.2).
setup_net() {
	setup_pair || return 1
	setup_ns NS_RTR NS_FAR || return 1
	ip -n "$NS_CLI" addr add "$CLI_IP2/24" dev veth0 || return 1
	link "$NS_SRV" veth1 "$SRV_IP_FAR/24" "$NS_RTR" veth1 "$RTR_SRV_IP/24" ||
		return 1
	link "$NS_RTR" veth2 "$RTR_FAR_IP/24" "$NS_FAR" veth0 "$FAR_IP/24" ||
		return 1
	ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_FAR" route add default via "$RTR_FAR_IP" || return 1
	ip -n "$NS_SRV" route add "${FAR_IP%.*}.0/24" via "$RTR_SRV_IP" || return 1
	# The raw flows (source ports 40000-49999) have no socket in the
	# client kernel, which must not reset the server's answers.
	drop_rsts "$NS_CLI" synq_frontdoor_cli "tcp sport 40000-49999"
}

# frontdoor KIND WANT PY-ARGS...: run a scenario with KIND's listener in
# $NS_SRV (one line to the helper); fails unless its outcome is WANT.
frontdoor() {
	local kind=$1 want=$2 id="$BASHPID-$RANDOM" line got="(no outcome)"
	shift 2
	echo "$id --kind $kind --srv-ns $NS_SRV $*" >&"$PY_W" ||
		fail "synq_frontdoor.py is gone" || return 1
	while IFS= read -r -t "$PY_TIMEOUT" line <&"$PY_R"; do
		[ "${line%%$'\t'*}" = "$id" ] || continue
		line=${line#*$'\t'}
		case $line in
		end) break ;;
		'outcome: '*) got=${line#outcome: } ;;
		esac
		case $line in
		'#'*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done
	[ "$line" = end ] || fail "synq_frontdoor.py did not answer: $*" ||
		return 1
	[ "$got" = "$want" ] ||
		fail "$kind: outcome '$got', want '$want' (Linux's listener's)"
}

# near KIND WANT PY-ARGS...: a client in $NS_CLI to 10.0.1.2.
near() {
	local kind=$1 want=$2
	shift 2
	frontdoor "$kind" "$want" --cli-ns "$NS_CLI" --srv-ip "$SRV_IP" "$@"
}

# srv_nft RULESET: load an nft ruleset in the server namespace; its table
# (one, named in the ruleset) is deleted when the subtest ends.
srv_nft() {
	local table=$1
	shift
	ip netns exec "$NS_SRV" nft -f - <<< "$*" || fail "nft: cannot load $table"
	defer ip netns exec "$NS_SRV" nft delete table ip "$table"
}

# 1. An input chain at priority P drops the port.
check_nft_prio() {
	local kind=$1 prio=$2 p=$((PORT_BASE + ksft_n))
	srv_nft fd_prio "table ip fd_prio {
		chain input {
			type filter hook input priority $prio; policy accept;
			tcp dport $p drop
		}
	}" || return 1
	near "$kind" "$CLI_IP=timeout/none" --port "$p" connect
}

# 2. An accept-list for the port: policy drop but for one client.
check_nft_saddr() {
	local kind=$1 prio=$2 p=$((PORT_BASE + ksft_n))
	srv_nft fd_saddr "table ip fd_saddr {
		chain input {
			type filter hook input priority $prio; policy accept;
			tcp dport $p ip saddr $CLI_IP accept
			tcp dport $p drop
		}
	}" || return 1
	near "$kind" "$CLI_IP=connected/accepted $CLI_IP2=timeout/none" \
		--port "$p" --src "$CLI_IP,$CLI_IP2" connect
}

# 3. iptables (nft backend) INPUT drop.
check_iptables() {
	local kind=$1 p=$((PORT_BASE + ksft_n))
	ip netns exec "$NS_SRV" iptables -A INPUT -p tcp --dport "$p" -j DROP ||
		fail "iptables -A INPUT failed" || return 1
	defer ip netns exec "$NS_SRV" iptables -D INPUT -p tcp --dport "$p" -j DROP
	near "$kind" "$CLI_IP=timeout/none" --port "$p" connect
}

# 4. IP_MINTTL, the client behind the router (TTL 63 arrives).
check_minttl() {
	local kind=$1 ttl=$2 when=$3 want p=$((PORT_BASE + ksft_n))
	if [ "$ttl" -gt 63 ]; then
		want="$FAR_IP=timeout/none"
	else
		want="$FAR_IP=connected/accepted"
	fi
	frontdoor "$kind" "$want" --cli-ns "$NS_FAR" --srv-ip "$SRV_IP_FAR" \
		--src "$FAR_IP" --port "$p" connect --minttl "$ttl" \
		--minttl-when "$when"
}

# 5. SO_ATTACH_FILTER dropping one source.
check_sock_filter() {
	local kind=$1 p=$((PORT_BASE + ksft_n))
	near "$kind" "$CLI_IP=connected/accepted $CLI_IP2=timeout/none" \
		--port "$p" --src "$CLI_IP,$CLI_IP2" connect --filter-drop "$CLI_IP2"
}

# cgroup v2, mounted here if the system has not.
cgroup2_ready() {
	local _dev dir type _rest
	while read -r _dev dir type _rest; do
		[ "$dir" = "$CG_ROOT" ] && [ "$type" = cgroup2 ] && return 0
	done < /proc/mounts
	mount -t cgroup2 none "$CG_ROOT"
}

# 6. cgroup/skb ingress BPF dropping one source.
check_cgroup_bpf() {
	local kind=$1 p=$((PORT_BASE + ksft_n)) cg
	cgroup2_ready || fail "cannot mount cgroup2 on $CG_ROOT" || return 1
	cg=$CG_ROOT/synq-frontdoor-$$-$p
	mkdir "$cg" || fail "cannot make cgroup $cg" || return 1
	defer rmdir "$cg"
	near "$kind" "$CLI_IP=connected/accepted $CLI_IP2=timeout/none" \
		--port "$p" --src "$CLI_IP,$CLI_IP2" connect --cgroup "$cg" \
		--cg-drop "$CLI_IP2"
}

# 7. Final ACKs tcp_check_req() refuses.
check_bad_ack() {
	local kind=$1 mode=$2 p=$((PORT_BASE + ksft_n))
	near "$kind" "reply=A/1/1 accept=EAGAIN sleeps=0 fast=yes queued=0 good=accepted" \
		--port "$p" badack --mode "$mode"
}

# 8. ss -lnt: Recv-Q and Send-Q.
check_ss() {
	local kind=$1 p=$((PORT_BASE + ksft_n))
	near "$kind" "all=LISTEN/recvq=3/sendq=7 port=LISTEN/recvq=3/sendq=7" \
		--port "$p" --backlog 7 ss --clients 3
}

# 9a. Accept queue overflow: ListenOverflows, ListenDrops.
check_overflow() {
	local kind=$1 p=$((PORT_BASE + ksft_n))
	near "$kind" "reply=none ListenOverflows=+1 ListenDrops=+1" \
		--port "$p" overflow
}

# 9b. Cookies: SyncookiesSent, SyncookiesRecv (the helper sets
# net.ipv4.tcp_syncookies and net.synq.syncookies to 2, and back).
check_cookies() {
	local kind=$1 p=$((PORT_BASE + ksft_n))
	near "$kind" "synacks=5 SyncookiesSent=+5 accepted=yes SyncookiesRecv=+1" \
		--port "$p" cookies --syns 5
}

# 10a. TCP_MD5SIG: kernel clients with the right key, a wrong one, none;
# a listener without a key; a key for another address; with cookies.
check_md5() {
	local kind=$1 want=$2 p=$((PORT_BASE + ksft_n))
	shift 2
	near "$kind" "$want" --port "$p" "$@"
}

# 10b. A signed handshake by hand: the final ACK wrongly signed or not.
check_md5_ack() {
	local kind=$1 want=$2 p=$((PORT_BASE + ksft_n))
	shift 2
	near "$kind" "$want" --port "$p" md5ack --srv-key s3cret "$@"
}

KSFT_ONLY=("$@")
setup_net || ksft_fail_all "cannot set up the namespaces"

# One helper process for the whole test (python starts slowly under TCG).
coproc FRONTDOOR { exec python3 -B "$PY" serve; }
# Plain fds: bash closes a coprocess's own fds in ( ) subshells.
exec {PY_W}>&"${FRONTDOOR[1]}" {PY_R}<&"${FRONTDOOR[0]}"
defer "kill $FRONTDOOR_PID"

# both NAME FUNC [ARG...]: FUNC for TCP's listener, then for synq's.
both() {
	local name=$1 func=$2 kind t0
	shift 2
	if [ ${#KSFT_ONLY[@]} != 0 ] &&
	   [[ " ${KSFT_ONLY[*]} " != *" ${func#check_} "* ]]; then
		return 0
	fi
	for kind in "${KINDS[@]}"; do
		t0=$SECONDS
		ksft_run "$name: $kind" "$func" "$kind" "$@"
		log "$func $kind $*: $((SECONDS - t0)) s"
	done
}

for prio in -10 0 10 50; do
	both "nft input priority $prio drops the port: no connection" \
		check_nft_prio "$prio"
done
for prio in 0 10; do
	both "nft ip saddr accept-list at priority $prio: one client of two" \
		check_nft_saddr "$prio"
done
both "iptables-nft INPUT -p tcp --dport DROP: no connection" check_iptables
both "IP_MINTTL 255 before listen(), peer one hop away: no connection" \
	check_minttl 255 before
both "IP_MINTTL 255 after listen(), peer one hop away: no connection" \
	check_minttl 255 after
both "IP_MINTTL 1, peer one hop away: connects" check_minttl 1 before
both "SO_ATTACH_FILTER dropping one source: one client of two" \
	check_sock_filter
both "cgroup/skb ingress BPF dropping one source: one client of two" \
	check_cgroup_bpf
both "final ACK failing PAWS: no child, accept EAGAIN, dup ACK" \
	check_bad_ack paws
both "final ACK out of the window: no child, accept EAGAIN, dup ACK" \
	check_bad_ack oow
both "ss -lnt: Recv-Q 3 not accepted, Send-Q backlog 7" check_ss
both "accept queue overflow: ListenOverflows +1, ListenDrops +1" \
	check_overflow
both "syncookies 2: SyncookiesSent +5, SyncookiesRecv +1" check_cookies
both "TCP_MD5SIG, client with the right key: connects, data both ways" \
	check_md5 "$CLI_IP=connected/accepted/echo md5drops=none" \
	md5 --srv-key s3cret --cli-key s3cret
both "TCP_MD5SIG, client with a wrong key: no connection, TCPMD5Failure" \
	check_md5 "$CLI_IP=timeout/none md5drops=TCPMD5Failure" \
	md5 --srv-key s3cret --cli-key wrong
both "TCP_MD5SIG, client without a key: no connection, TCPMD5NotFound" \
	check_md5 "$CLI_IP=timeout/none md5drops=TCPMD5NotFound" \
	md5 --srv-key s3cret
both "no key on the listener, signed client: no connection, TCPMD5Unexpected" \
	check_md5 "$CLI_IP=timeout/none md5drops=TCPMD5Unexpected" \
	md5 --cli-key s3cret
both "TCP_MD5SIG for another address: an unsigned client connects" \
	check_md5 "$CLI_IP2=connected/accepted/echo md5drops=none" \
	--src "$CLI_IP2" md5 --srv-key s3cret --key-for "$CLI_IP"
both "TCP_MD5SIG with syncookies 2: the cookie handshake is signed" \
	check_md5 "$CLI_IP=connected/accepted/echo md5drops=none" \
	md5 --srv-key s3cret --cli-key s3cret --cookies
both "TCP_MD5SIG, final ACK with a wrong signature: dropped, then the right one" \
	check_md5_ack "synack=signed opts=2,8,19 reply=none accept=EAGAIN md5drops=TCPMD5Failure good=accepted/synq" \
	--mode wrongkey
both "TCP_MD5SIG, unsigned final ACK: dropped, then the signed one" \
	check_md5_ack "synack=signed opts=2,8,19 reply=none accept=EAGAIN md5drops=TCPMD5NotFound good=accepted/synq" \
	--mode unsigned
both "TCP_MD5SIG, SYN with SACK and TS: the SYN-ACK drops TS, as TCP" \
	check_md5_ack "synack=signed opts=2,4,19 reply=none accept=EAGAIN md5drops=TCPMD5Failure good=accepted/synq" \
	--mode wrongkey --sack
log "[$SECONDS s] done"
ksft_exit
