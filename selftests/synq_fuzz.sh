#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile segments must find nothing.  synq_fuzz.py sends, from a raw socket
# in $NS_CLI over veth, SYNQ_FUZZ_N (default 10^5) IPv4/TCP segments at two
# synq listeners in $NS_SRV, a table one and a cookie one: random garbage
# (flags, numbers, doff, every option kind with bogus lengths, truncated
# headers, bad checksums, IP options, fragments, spoofed sources) and,
# above all, mutated final ACKs and RSTs built on SYN-ACKs it sniffs, whose
# outcome (child or not) a model of synq's rules predicts flow by flow; with
# a real connect() every 1000 segments.  Then: every real connection was
# accepted, exactly the predicted children were, SYNQ_INFO qlen matches
# the entries allocated and reaches 0 with qlen_young after expiry, the
# counters add up, the listeners close, the synq_entry slab is back to its
# baseline, and the kernel logged no WARN.
#
# SYNQ_FUZZ_N sets the count; SYNQ_FUZZ_SECS (default 240) bounds the
# sending time, so that a slow (debug) kernel still ends within the
# runner's 400 s, having sent fewer; SYNQ_FUZZ_SEED (default 1, printed)
# reproduces a run's segments; SYNQ_FUZZ_RR=1 puts IP record route options
# on the modelled segments too (synq misreads their checksum, see
# synq_fuzz.py).  10^6 segments take ~15 min under TCG, past the runner's
# timeout: run them in a VM of their own, e.g.
#
#	SYNQ_VM_TIMEOUT=1800 SYNQ_FUZZ_N=1000000 SYNQ_FUZZ_SECS=0 \
#		scripts/vm.sh sh -c 'insmod module/synq.ko && selftests/synq_fuzz.sh'


. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 jq
require_synq

FUZZ_PY=$SYNQ_SELFTESTS/synq_fuzz.py
FUZZ_N=${SYNQ_FUZZ_N:-100000}
FUZZ_SEED=${SYNQ_FUZZ_SEED:-1}
# A bound on the sending time (the count comes first on the stock kernel,
# in ~80 s under TCG): the kselftest runner stops a test at 400 s.
FUZZ_SECS=${SYNQ_FUZZ_SECS:-240}
# Everything the fuzzer sends has this TTL: the client kernel's own RSTs
# from the fuzz ports (20000-29999) are dropped, the fuzzer's are not.
FUZZ_TTL=77
TMPD=$(mktemp -d /tmp/synq_fuzz.XXXXXX)
defer rm -rf "$TMPD"
RESULT=$TMPD/result.json

setup_pair || ksft_fail_all "cannot create the test namespaces (veth?)"
# The flows' sources: 10.0.1.64-95 on the client.
for h in $(seq 64 95); do
	echo "addr add 10.0.1.$h/24 dev veth0"
done | ip -n "$NS_CLI" -batch - || ksft_fail_all "cannot add the flow addresses"
# Answers to spoofed sources (10.99.0.0/16) go to the client, which drops them.
ip -n "$NS_SRV" route add default via "$CLI_IP" || ksft_fail_all "no default route"
drop_rsts "$NS_CLI" synq_fuzz "tcp sport 20000-29999 ip ttl != $FUZZ_TTL" ||
	ksft_fail_all "nft failed"
# Lone fragments wait 30 s for their other half: make room for them.
ip netns exec "$NS_SRV" sysctl -q -w net.ipv4.ipfrag_high_thresh=33554432 \
	net.ipv4.ipfrag_time=5 || ksft_fail_all "cannot set the ipfrag sysctls"

# Objects in use in a slab cache, after flushing its per-CPU slabs (lib.sh
# has it, or will).
declare -F slab_active >/dev/null || slab_active() {
	local n=$1
	[ -w "/sys/kernel/slab/$n/shrink" ] && echo 1 > "/sys/kernel/slab/$n/shrink"
	awk -v n="$n" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' /proc/slabinfo
}

SLAB_BASE=$(slab_active synq_entry)

check_fuzz() {
	local rc=0 t0=$SECONDS

	log "seed $FUZZ_SEED (SYNQ_FUZZ_SEED), $FUZZ_N segments (SYNQ_FUZZ_N)," \
		"sending for at most ${FUZZ_SECS} s (SYNQ_FUZZ_SECS, 0: no bound)"
	python3 -B "$FUZZ_PY" --srv-ns "$NS_SRV" --cli-ns "$NS_CLI" \
		--srv-ip "$SRV_IP" --cli-ip "$CLI_IP" --flow-net 10.0.1.0 \
		--ttl "$FUZZ_TTL" -n "$FUZZ_N" --seed "$FUZZ_SEED" \
		--secs "$FUZZ_SECS" --out "$RESULT" || rc=$?
	log "synq_fuzz.py: exit $rc after $((SECONDS - t0)) s"
	[ -s "$RESULT" ] || fail "no result from synq_fuzz.py" || return 1
	[ "$rc" != 2 ] || fail "synq_fuzz.py could not set up" || return 1
	check_group run
	# Count-based unless the time bound was given and hit.
	jq -e --argjson n "$FUZZ_N" \
		'.counts.segments >= $n or (.time_bound_hit and .counts.segments > 0)' \
		"$RESULT" >/dev/null ||
		fail "sent $(jq .counts.segments "$RESULT") segments, want $FUZZ_N"
	log "$(jq -r '"sent \(.counts.segments) segments (\(.counts.packets) packets) in \(.fuzz_seconds) s" +
		(if .time_bound_hit then " (time bound hit)" else "" end) +
		": \(.counts.garbage) garbage, \(.counts.flows) flows, \(.counts.flow_segs) mutated"' "$RESULT")"
}

# check_group PREFIX: every check synq_fuzz.py named "PREFIX.*" held (and
# there is at least one).
check_group() {
	local out

	[ -s "$RESULT" ] || fail "no result from synq_fuzz.py" || return 1
	out=$(jq -r --arg p "$1." '
		[.checks | to_entries[] | select(.key | startswith($p))] |
		if length == 0 then "FAIL: no \($p)* check ran"
		else .[] | select(.value.ok | not) |
			"FAIL: \(.key | ltrimstr($p)): got \(.value.got | tojson), want \(.value.want | tojson)"
		end' "$RESULT") || fail "jq failed" || return 1
	[ -z "$out" ] && return 0
	printf '%s\n' "$out" | sed 's/^/# /'
	return 1
}

check_real() { check_group real; }
check_children() { check_group child; }
check_qlen() { check_group qlen; }
check_stats() { check_group stats; }
check_close() { check_group close; }

check_slab() {
	local n
	for _ in $(seq 100); do
		n=$(slab_active synq_entry)
		[ "$n" -le "$SLAB_BASE" ] && return 0
		sleep 0.1
	done
	fail "synq_entry: $n objects in use, $SLAB_BASE before the fuzz"
}

ksft_run "fuzz: $FUZZ_N hostile segments (seed $FUZZ_SEED) at a table and a cookie listener" check_fuzz
ksft_run "every real connect() amid the fuzz accepted, data both ways" check_real
ksft_run "children exactly as the model predicts from mutated ACKs/RSTs; none from garbage" check_children
ksft_run "SYNQ_INFO qlen == synq_entry objects; qlen, qlen_young 0 after expiry" check_qlen
ksft_run "counters add up: SynAcks == Expired + RstRemoved + table children" check_stats
ksft_run "both listeners close at once; their ports listen again" check_close
ksft_run "synq_entry slab back to its baseline" check_slab
ksft_exit
