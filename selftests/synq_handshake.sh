#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The handshake as a peer on the wire sees it.  A hand-made TCP client
# (synq_rawpeer.py, a raw socket in $NS_CLI) talks to synq listeners in
# $NS_SRV over veth and checks, segment by segment: the SYN-ACK's flags,
# numbers and options; the ISN of a duplicate SYN; RSTs in and out of the
# window; a wrong final ACK and the final ACK's sequence number; SYN-ACK
# retransmission times and expiry; qlen, qlen_young and a full SYN table;
# malformed and random segments.  The
# listeners' SYNQ_INFO is read by the same peer process (it setns()es into
# $NS_SRV to create them), which runs once for the whole test as a coprocess
# answering one command a line.
#
# The client kernel has no socket for these flows and would answer every
# SYN-ACK with an RST: nft drops its RSTs, and lets the peer's own through
# (the peer sends everything with IP TTL 77).

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 jq sysctl
require_synq

PEER_PY=$SYNQ_SELFTESTS/synq_rawpeer.py
PEER_TTL=77
# Seconds to wait for the peer's answer to one command (python is slow to
# start under TCG; commands themselves take at most ~15 s).
PEER_TIMEOUT=${SYNQ_PEER_TIMEOUT:-120}

setup_pair || ksft_fail_all "cannot set up the namespaces"
drop_rsts "$NS_CLI" synq_rawpeer "ip ttl != $PEER_TTL" ||
	ksft_fail_all "nft failed"

coproc PEER {
	exec ip netns exec "$NS_CLI" python3 -B "$PEER_PY" --src "$CLI_IP" \
		--dst "$SRV_IP" --srv-netns "$NS_SRV" --ttl "$PEER_TTL" serve
}
# Plain fds: bash closes a coprocess's own fds in ( ) subshells.
exec {PEER_W}>&"${PEER[1]}" {PEER_R}<&"${PEER[0]}"
defer "kill $PEER_PID"

# peer CMD KEY=VALUE...: one command to the peer; its JSON answer is left
# in $R (no command substitution: every fork counts under TCG).  Fails
# when the peer does not answer or answers an error.
R=
peer() {
	local id="$BASHPID-$RANDOM-$RANDOM" line
	R=
	echo "$id $*" >&"$PEER_W" || { log "peer is gone"; return 1; }
	while IFS= read -r -t "$PEER_TIMEOUT" line <&"$PEER_R"; do
		[ "${line%%$'\t'*}" = "$id" ] || continue
		R=${line#*$'\t'}
		case $R in
		'{"error"'*) log "peer: $*: $R"; return 1 ;;
		esac
		return 0
	done
	log "peer: no answer to: $*"
	return 1
}

# expect JSON [-l LABEL JQ-EXPR] JQ-EXPR WHAT [JQ-EXPR WHAT]...: fails,
# showing JSON and every WHAT whose JQ-EXPR is not true for it.  -l logs
# "LABEL: value of JQ-EXPR" first.  One jq run for all: under TCG every
# process counts.
expect() {
	local json=$1 label="" logexpr=null prog sep="" out bad i
	local -a exprs=() whats=()

	shift
	if [ "${1:-}" = -l ]; then
		label=$2
		logexpr=$3
		shift 3
	fi
	while [ $# -ge 2 ]; do
		exprs+=("$1")
		whats+=("$2")
		shift 2
	done
	prog="(try ($logexpr) catch \"?\" | tojson), (["
	for i in "${!exprs[@]}"; do
		prog+="$sep(try ((${exprs[i]}) == true) catch false)"
		sep=", "
	done
	prog+='] | to_entries | map(select(.value | not) | .key | tostring) | "!" + join(" "))'
	if ! out=$(jq -r "$prog" <<<"$json" 2>&1); then
		log "got: ${json:0:1500}"
		fail "jq: $out"
		return
	fi
	[ -n "$label" ] && log "$label: ${out%%$'\n'*}"
	bad=${out##*$'\n'}
	bad=${bad#!}
	[ -z "$bad" ] && return 0
	log "got: ${json:0:1500}"
	for i in $bad; do
		echo "# FAIL: ${whats[i]} (want ${exprs[i]})"
	done
	return 1
}

# jv JSON JQ-EXPR: one value.
jv() {
	jq -r "$2" <<<"$1"
}

# srv_sysctl KEY=VALUE...: in $NS_SRV, through the peer (no process).
srv_sysctl() {
	peer sysctl "$@"
}

# What every subtest starts from, whatever the others did.
srv_defaults() {
	srv_sysctl net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=2 \
		net.synq.max_syn_backlog=4096 \
		net.synq.synack_retries=5 net.synq.syncookies=0
}

# Start: the peer answers (python may take long to start under TCG).
check_peer_up() {
	local r
	peer hello
	r=$R
	expect "$r" '.ok' "the raw peer does not answer"
	peer send sport=39999 dport=7 flags=R seq=1
	r=$R
	expect "$r" '.sent.len == 20' "the raw peer cannot send"
}

# 1. The SYN-ACK's flags, numbers and options.
check_synack_options() {
	local r port=8001

	srv_defaults
	peer listen port="$port" backlog=16
	peer send sport=40001 dport="$port" flags=S seq=1000000 \
		mss=1400 ws=7 sack=1 ts=12345 wait=3
	r=$R
	expect "$r" -l SYN-ACK '.reply | {flags, seq, ack, window, options}' \
		'.reply != null' "no SYN-ACK for a SYN" \
		'.reply.flags == "SA"' "flags are not exactly SYN|ACK" \
		'.reply.ack == 1000001' "ack is not the client's ISN + 1" \
		'.reply.csum_ok' "the SYN-ACK's TCP checksum is wrong" \
		'.reply.len == 0' "the SYN-ACK carries data" \
		'.reply.window > 0' "zero window" \
		'.reply.options.bad | not' "malformed SYN-ACK options" \
		'.reply.options.mss == 1460' "MSS is not the route's advmss 1460" \
		'.reply.options.ws != null and .reply.options.ws <= 14' \
		"no (valid) window scale option" \
		'.reply.options.sack_perm == true' "no SACK_PERM option" \
		'.reply.options.ts != null' "no timestamp option" \
		'.reply.options.ts[1] == 12345' "TS echo reply is not 12345"

	peer send sport=40002 dport="$port" flags=S seq=2000000 wait=3
	r=$R
	expect "$r" -l SYN-ACK '.reply | {flags, seq, ack, window, options}' \
		'.reply.flags == "SA"' "no SYN-ACK for a SYN without options" \
		'.reply.ack == 2000001' "ack is not the client's ISN + 1" \
		'.reply.csum_ok' "the SYN-ACK's TCP checksum is wrong" \
		'.reply.options.kinds == [2]' \
		"a SYN without options got more than MSS back" \
		'.reply.options.mss == 1460' "MSS is not 1460"

	# RFC 3168 ECN setup SYN (ECE|CWR): the SYN-ACK has ECE (tcp_ecn=2).
	peer send sport=40004 dport="$port" flags=SEC seq=4000000 wait=3
	r=$R
	expect "$r" -l "SYN-ACK (ECN SYN)" '.reply.flags' \
		'.reply.flags == "SAE"' "an ECN-setup SYN got no SYN-ACK with ECE"

	srv_sysctl net.ipv4.tcp_timestamps=0
	peer send sport=40003 dport="$port" flags=S seq=3000000 \
		mss=1400 ws=7 sack=1 ts=12345 wait=3
	r=$R
	srv_sysctl net.ipv4.tcp_timestamps=1
	expect "$r" -l "SYN-ACK (tcp_timestamps=0)" '.reply | {flags, options}' \
		'.reply.flags == "SA"' "no SYN-ACK with tcp_timestamps=0" \
		'.reply.options.ts == null' \
		"timestamp option although the netns has tcp_timestamps=0" \
		'.reply.options.sack_perm == true' "no SACK_PERM option" \
		'.reply.options.ws != null' "no window scale option"
	peer close port="$port"
}

# 2. A duplicate SYN is answered with the same ISN, from the same entry.
check_dup_syn() {
	local r1 r2 r port=8002

	srv_defaults
	peer listen port="$port" backlog=16
	peer send sport=40101 dport="$port" flags=S seq=5000 mss=1460 wait=3
	r1=$R
	peer send sport=40101 dport="$port" flags=S seq=5000 mss=1460 wait=3
	r2=$R
	expect "$r1" -l "first SYN-ACK" '.reply | {flags, seq, ack}' \
		'.reply.flags == "SA"' "no SYN-ACK for the SYN"
	expect "$r2" -l "second SYN-ACK" '.reply | {flags, seq, ack}' \
		'.reply.flags == "SA"' "no SYN-ACK for the duplicate SYN" \
		".reply.seq == $(jv "$r1" .reply.seq)" \
		"the duplicate SYN got another ISN" \
		'.reply.ack == 5001' "ack is not ISN + 1"
	peer info port="$port"
	r=$R
	# Young until its first retransmission (1 s: the shell may be slower).
	expect "$r" \
		'.qlen == 1' "two SYNs of one flow made other than 1 entry" \
		'.qlen_young == (if .synack_retrans == 0 then 1 else 0 end)' \
		"qlen_young is not 1 before, 0 after the first retransmission"
	peer close port="$port"
}

# 3. An RST in the window removes the entry; one far outside does not.
check_rst() {
	local r port=8003 isn=7000

	srv_defaults
	peer listen port="$port" backlog=16
	peer send sport=40201 dport="$port" flags=S seq="$isn" wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK"
	peer info port="$port"
	expect "$R" '.qlen == 1' "qlen is not 1 after a SYN"

	peer send sport=40201 dport="$port" flags=R \
		seq=$(( (isn + 1 + (1 << 30)) & 0xffffffff ))
	# A duplicate SYN after it: once its SYN-ACK is back, the RST was seen.
	peer send sport=40201 dport="$port" flags=S seq="$isn" wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' \
		"no SYN-ACK for the duplicate SYN after an out-of-window RST"
	peer info port="$port"
	r=$R
	expect "$r" '.qlen == 1' "an RST far outside the window removed the entry"

	peer send sport=40201 dport="$port" flags=R seq=$((isn + 1))
	peer wait port="$port" field=qlen value=0 timeout=3
	r=$R
	expect "$r" \
		'.ok' "an RST with seq = ISN + 1 did not remove the entry" \
		'.info.qlen_young == 0' "qlen_young is not 0"
	peer close port="$port"
}

# 4. A wrong final ACK makes no child and is answered with an RST; then
#    the right one completes the handshake, data and all.
check_bad_ack() {
	local r iss port=8004 isn=9000

	srv_defaults
	peer listen port="$port" backlog=16
	peer send sport=40301 dport="$port" flags=S seq="$isn" mss=1460 wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK"
	iss=$(jv "$r" .reply.seq)

	peer send sport=40301 dport="$port" flags=A seq=$((isn + 1)) \
		ack=$(( (iss + 2) & 0xffffffff )) wait=3 want=R
	r=$R
	expect "$r" -l "answer to the wrong ACK" '.reply | {flags, seq, ack}' \
		'.reply != null' "no RST for an ACK with ack = ISN + 2" \
		".reply.seq == $(( (iss + 2) & 0xffffffff ))" \
		"the RST's seq is not the wrong ACK's ack number"
	peer info port="$port"
	r=$R
	expect "$r" \
		'.ack_backlog == 0' "a wrong ACK made a child" \
		'.qlen == 1' "a wrong ACK removed the entry"
	peer accept port="$port" timeout=0.5
	r=$R
	expect "$r" '.ok == false' "accept() found a child after a wrong ACK"

	peer send sport=40301 dport="$port" flags=PA seq=$((isn + 1)) \
		ack=$(( (iss + 1) & 0xffffffff )) payload=hello
	peer wait port="$port" field=ack_backlog value=1 timeout=3
	r=$R
	expect "$r" \
		'.ok' "the right ACK made no child" \
		'.info.qlen == 0' "the entry is still there after the child"
	peer accept port="$port" timeout=2 read=5
	r=$R
	expect "$r" \
		'.ok' "accept() failed" \
		".peer == [\"$CLI_IP\", 40301]" "the child's peer is wrong" \
		'.data == "hello"' "the child did not read the ACK's data"
	peer info port="$port"
	r=$R
	expect "$r" '.ack_backlog == 0 and .accepted == 1' "accepted is not 1"
	peer close port="$port"
}

# 4b, 4c. The final ACK's sequence number, as tcp_check_req() judges it: in
#     the window but past ISN + 1 (the ACK and the first data segment were
#     lost, this is the second) it makes the child; far outside the window
#     it makes none and is not answered with an RST (Linux sends an ACK).
check_ack_seq() {
	local r iss port=8009

	srv_defaults
	peer listen port="$port" backlog=16
	peer send sport=40501 dport="$port" flags=S seq=20000 mss=1460 wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK"
	iss=$(jv "$r" .reply.seq)
	peer send sport=40501 dport="$port" flags=PA seq=21001 \
		ack=$(( (iss + 1) & 0xffffffff )) payload=world wait=1 want=R
	r=$R
	expect "$r" -l "answer to an in-window ACK past ISN + 1" '.reply | if . then {flags, seq, ack} else . end' \
		'.reply == null' "an in-window ACK past ISN + 1 was answered with an RST"
	peer wait port="$port" field=ack_backlog value=1 timeout=2
	r=$R
	expect "$r" \
		'.ok' "an in-window ACK past ISN + 1 with the right ack made no child" \
		'.info.qlen == 0' "its entry is still there"
	peer close port="$port"
}

check_ack_seq_out() {
	local r iss port=8010

	srv_defaults
	peer listen port="$port" backlog=16
	peer send sport=40502 dport="$port" flags=S seq=30000 mss=1460 wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK"
	iss=$(jv "$r" .reply.seq)
	peer send sport=40502 dport="$port" flags=A \
		seq=$(( (30001 + (1 << 30)) & 0xffffffff )) ack=$(( (iss + 1) & 0xffffffff )) \
		wait=1 want=R
	r=$R
	expect "$r" -l "answer to an ACK far outside the window" '.reply | if . then {flags, seq, ack} else . end' \
		'.reply == null' "an ACK far outside the window was answered with an RST"
	peer info port="$port"
	r=$R
	expect "$r" '.qlen == 1' "an ACK far outside the window removed the entry" \
		'.ack_backlog == 0' "an ACK far outside the window made a child"
	peer close port="$port"
}

# 5. SYN-ACK retransmissions 1 s, then 2 s apart, and with
#    synack_retries=2 the entry expires 4 s after the last (at ~7 s).
#    Times are the kernel's receive stamps.
check_retrans() {
	local r w port=8005 retries=2

	srv_defaults
	srv_sysctl net.synq.synack_retries="$retries"
	peer listen port="$port" backlog=16
	peer send sport=40401 dport="$port" flags=S seq=11000 wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK"
	peer watch sport=40401 dport="$port" seconds=10 gone=1 grace=0.5
	w=$(jq -c --argjson r "$r" \
		'.segs = [$r.reply] + .segs | .times = [.segs[].t - $r.reply.t]' <<<"$R")
	expect "$w" -l "SYN-ACK copies at (s); last seen pending, gone at (s)" \
		'[[.times[] * 1000 | round / 1000], .pending.rel, .gone_at]' \
		'.segs | length == 3' "not exactly $retries retransmissions" \
		'[.segs[] | .flags == "SA"] | all' "a copy is not a SYN-ACK" \
		'[.segs[].seq] | unique | length == 1' "a copy has another ISN" \
		'[.segs[].ack] | unique == [11001]' "a copy has another ack" \
		'.times[1] - .times[0] | . > 0.6 and . < 1.4' \
		"first retransmission not 1 s (±0.4) after the SYN-ACK" \
		'.times[2] - .times[1] | . > 1.6 and . < 2.4' \
		"second retransmission not 2 s (±0.4) after the first" \
		'.pending.rel > 6.3' "the entry was gone before its last timeout" \
		".pending.info.synack_retrans == $retries and .pending.info.expired == 0" \
		"synack_retrans/expired wrong before the last timeout" \
		'.pending.info.qlen == 1 and .pending.info.qlen_young == 0' \
		"qlen/qlen_young not 1/0 before the last timeout" \
		'.gone_at != null' "the entry did not expire after the last timeout" \
		'.gone_at > 6.6 and .gone_at < 7.7' \
		"the entry did not expire 4 s (±0.4, + timer ticks) after the last retransmission" \
		".info.expired == 1 and .info.synack_retrans == $retries" \
		"expired is not 1 or synack_retrans is not $retries after expiry"
	peer close port="$port"
}

# 6. qlen, qlen_young, max_qlen_log; a full table drops SYNs.
check_qlen() {
	local r f port=8006

	srv_defaults
	peer listen port="$port" backlog=16
	peer info port="$port"
	r=$R
	expect "$r" \
		'.nr_table_entries == 32 and .max_qlen_log == 5' \
		"backlog 16: table is not 32 entries, max_qlen_log 5" \
		'.qlen == 0 and .qlen_young == 0' "a new table is not empty"
	peer flood sport=41000 n=10 dport="$port" wait=0.2 info="$port"
	f=$R
	# Each entry is young until its first retransmission (1 s; 3 s for
	# the second): qlen_young is 10 - synack_retrans in between.
	expect "$f" -l "10 SYNs: answered; SYNQ_INFO s after the first" \
		'[.n_answered, .age, (.info | {qlen, qlen_young, synack_retrans})]' \
		'.n_answered == 10' "not all of 10 SYNs were answered" \
		'.info.qlen == 10' "10 half-open entries: qlen is not 10" \
		'.info.qlen_young == ([10 - .info.synack_retrans, 0] | max)' \
		"qlen_young is not 10 minus the entries retransmitted"
	peer wait port="$port" field=synack_retrans value=10 cmp=ge timeout=3
	r=$R
	expect "$r" \
		'.ok' "no first retransmission for the 10 entries" \
		'.info.qlen == 10 and .info.qlen_young == 0' \
		"after the first retransmission: qlen/qlen_young are not 10/0" \
		'.info.drops == 0' "SYNs dropped below the limit"
	peer close port="$port"

	# net.synq.max_syn_backlog caps the table: min(100, 8) -> 16 entries.
	srv_sysctl net.synq.max_syn_backlog=8
	peer listen port=8017 backlog=100
	srv_sysctl net.synq.max_syn_backlog=4096
	peer info port=8017
	r=$R
	expect "$r" '.nr_table_entries == 16 and .max_qlen_log == 4' \
		"backlog 100, max_syn_backlog 8: table is not 16 entries"
	peer close port=8017

	port=8007
	peer listen port="$port" backlog=5
	peer info port="$port"
	r=$R
	expect "$r" '.nr_table_entries == 16 and .max_qlen_log == 4' \
		"backlog 5: table is not 16 entries, max_qlen_log 4"
	peer flood sport=42000 n=20 dport="$port" wait=0.5 info="$port"
	f=$R
	expect "$f" -l "20 SYNs: answered; SYNQ_INFO s after the first" \
		'[.n_answered, .age, (.info | {qlen, qlen_young, drops})]' \
		'.n_answered == 16' "a full table (16) did not answer exactly 16 SYNs" \
		'[.ports[] | select(.replies == [])] | length == 4' \
		"the SYNs a full table drops are not dropped silently" \
		'.info.qlen == 16' "qlen is not 16 with the table full" \
		'.info.drops == 4' "drops does not count the 4 SYNs dropped"
	peer close port="$port"
}

# 7. Malformed and random segments: dropped or answered, never a crash,
#    and qlen always what was answered.
check_malformed() {
	local r f port=8008 n=0 iss sp answered opts rs i base

	base=$(slab_active synq_entry)
	srv_defaults
	# Nothing expires while this runs, however slow the machine.
	srv_sysctl net.synq.synack_retries=10
	peer listen port="$port" backlog=1024

	# Each of these must go unanswered: bad checksum, SYN+FIN, doff < 5,
	# doff beyond the segment, a header cut short.
	peer send sport=43001 dport="$port" flags=S mss=1460 badcsum=1
	peer send sport=43002 dport="$port" flags=SF
	peer send sport=43003 dport="$port" flags=S doff=4
	peer send sport=43004 dport="$port" flags=S doff=0
	peer send sport=43005 dport="$port" flags=S doff=15
	peer send sport=43006 dport="$port" flags=S trunc=12
	peer send sport=43007 dport="$port" flags=S mss=1460 trunc=22
	# A good SYN after them: once answered, the others were seen.
	peer send sport=43000 dport="$port" flags=S seq=100 wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK for a good SYN"
	iss=$(jv "$r" .reply.seq)
	n=$((n + 1))
	# An in-window RST and the right ACK for it, with bad checksums.
	peer send sport=43000 dport="$port" flags=R seq=101 badcsum=1
	peer send sport=43000 dport="$port" flags=A seq=101 \
		ack=$(( (iss + 1) & 0xffffffff )) badcsum=1
	peer send sport=43010 dport="$port" flags=S wait=3
	r=$R
	expect "$r" '.reply.flags == "SA"' "no SYN-ACK for a good SYN"
	n=$((n + 1))
	peer collect sport=43001,43002,43003,43004,43005,43006,43007 \
		dport="$port" seconds=0.3
	r=$R
	expect "$r" '.n == 0' "a malformed segment was answered"
	peer info port="$port"
	r=$R
	expect "$r" \
		".qlen == $n" "qlen is not $n after malformed SYNs" \
		'.ack_backlog == 0' "an ACK with a bad checksum made a child"

	# Broken options: answered (with a SYN-ACK) or not, qlen must agree.
	sp=43020
	rs=
	for opts in 0200 0201 080a0000 0204 02 03 ff 0402080a random; do
		if [ "$opts" = random ]; then
			opts=
			for i in {1..40}; do
				opts+=$(printf %02x $((RANDOM % 256)))
			done
		fi
		peer send sport="$sp" dport="$port" flags=S opts="$opts" wait=0.5
		rs+=${rs:+,}$R
		sp=$((sp + 1))
	done
	answered=$(jq '[.[] | select(.reply != null)] | length' <<<"[$rs]")
	n=$((n + answered))
	expect "[$rs]" -l "SYNs with broken options answered" \
		'[.[] | select(.reply != null)] | length' \
		'[.[].reply | select(. != null) | .flags == "SA"] | all' \
		"a SYN with broken options answered, not with a SYN-ACK"
	peer info port="$port"
	r=$R
	expect "$r" ".qlen == $n" "qlen is not the $n SYNs answered"

	# Hundreds of random segments: pure SYNs answered, nothing else.  From
	# 6.7 TCP drops a segment whose options tcp_do_parse_auth_options()
	# finds malformed before any listener sees it (auth_bad: the peer
	# reads them as that function does).
	peer flood sport=44000 n=200 dport="$port" random=1 wait=1.5 info="$port"
	f=$R
	n=$((n + $(jv "$f" .n_answered)))
	expect "$f" -l "random segments answered" .n_answered \
		'[.ports[] | select(.synack) | .sent | test("^[^ARF]*S[^ARF]*$")] | all' \
		"a random segment other than a pure SYN got a SYN-ACK" \
		'[.ports[] | select((.sent | test("^[^ARF]*S[^ARF]*$")) and (.auth_bad | not)) | .synack] | all' \
		"a pure SYN among random segments got no SYN-ACK" \
		'[.ports[] | select(.auth_bad) | .synack | not] | all' \
		"a segment TCP drops for its auth options got a SYN-ACK" \
		".info.qlen == $n" "qlen is not the $n SYNs answered" \
		'.info.ack_backlog == 0' "random segments made a child"
	# Closing frees every entry: the slab is back where it was (the table
	# is freed by a work item after a grace period).
	peer close port="$port"
	wait_until 10 slab_at_most synq_entry "$base" ||
		fail "synq_entry holds $(slab_active synq_entry) objects after close, $base before"
}

# Each subtest's start time, for slow machines.
run() {
	log "[$SECONDS s] $1"
	ksft_run "$@"
}

run "raw peer up" check_peer_up
run "SYN-ACK flags, ack and options (MSS, WS, SACK_PERM, TS)" check_synack_options
run "duplicate SYN: same ISN, one entry" check_dup_syn
run "RST in window removes the entry, far outside does not" check_rst
run "wrong ACK: RST, no child; right ACK: child with data" check_bad_ack
run "final ACK with seq past ISN + 1, in the window: child, no RST" check_ack_seq
run "final ACK with seq far outside the window: no child, no RST" check_ack_seq_out
run "SYN-ACK retransmits 1 s, then 2 s apart, entry expires 4 s later" check_retrans
run "qlen, qlen_young, max_qlen_log; full table drops SYNs" check_qlen
run "malformed and random segments: dropped or answered, qlen exact" check_malformed
log "[$SECONDS s] done"
ksft_exit
