#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Defects the 6.1 review found (../shared/reviews/kernel-review.md), one
# subtest each, each run against Linux's TCP listener too where Linux
# defines the outcome (the oracle):
#  - NFQUEUE: a verdict reinjects packets from the consumer's sendmsg(),
#    in process context with BH on (finding 1; lockdep on the debug kernel
#    reports the bucket lock taken with softirqs on);
#  - the receive window scale of the first SYN-ACK holds for the child
#    when SO_RCVBUF changes before the final ACK (finding 9);
#  - the SYN table is charged to the listener's memory cgroup (finding 7).
# The API-level findings (shutdown's how, SOL_SYNQ's number, option
# bounds and clamps, TCP_ULP before listen) are in synq_api.c.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 jq mount
require_synq

PY=$SYNQ_SELFTESTS/synq_review.py

setup_pair || ksft_fail_all "cannot set up the namespaces"

# review PY-ARGS...: run a scenario; its JSON in $R.
R=
review() {
	R=$(python3 -B "$PY" "$@") || fail "synq_review.py $* failed"
	log "$1 $2: $R"
}

# expect JSON JQ-EXPR WHAT: fails, saying WHAT, unless JQ-EXPR holds.
expect() {
	[ "$(jq -r "$2" <<< "$1")" = true ] || fail "$3: $1"
}

check_nfqueue() {
	local kind port=7100 rc=0
	for kind in tcp synq; do
		review nfqueue "$kind" "$NS_SRV" "$NS_CLI" "$SRV_IP" "$port" 100 ||
			return 1
		expect "$R" '.connects == 100 and .accepted == 100' \
			"$kind: not every connect through NFQUEUE was accepted" || rc=1
		# SYN, final ACK and data (or data with FIN) of each at least.
		expect "$R" '.verdicts >= 300' \
			"$kind: the queue did not see every packet" || rc=1
		port=$((port + 1))
	done
	return "$rc"
}

check_wscale() {
	local kind port=7110 rc=0
	# On the debug kernel TCP's own run (the oracle) once got no child
	# within the accept timeout; not understood yet: the stock lanes run
	# this scenario, the debug lane does not.
	if [ "${SYNQ_DEBUG_KERNEL:-0}" = 1 ]; then
		skip "TCP's run of it is not reliable on the debug kernel yet"
		return
	fi
	for kind in tcp synq; do
		review wscale "$kind" "$NS_SRV" "$NS_CLI" "$SRV_IP" "$port" ||
			return 1
		expect "$R" '.client_state == 1 and .told > 0' \
			"$kind: the client got no scaled SYN-ACK" || rc=1
		expect "$R" '.child_rcv_wscale == .told' \
			"$kind: the child's window scale is not the one announced" || rc=1
		expect "$R" '.data_ok == true' "$kind: 1 MiB did not arrive" || rc=1
		port=$((port + 1))
	done
	return "$rc"
}

# cgroup v2 with the memory controller, mounted here when the system has
# none (the test VM).
CG_ROOT=/sys/fs/cgroup
cgroup2_ready() {
	if ! grep -q "^cgroup2 $CG_ROOT " /proc/mounts; then
		mount -t cgroup2 none "$CG_ROOT" || return 1
		defer umount "$CG_ROOT"
	fi
	grep -qw memory "$CG_ROOT/cgroup.controllers" || return 1
	grep -qw memory "$CG_ROOT/cgroup.subtree_control" ||
		echo +memory > "$CG_ROOT/cgroup.subtree_control"
}

check_memcg() {
	local cg n=32 min
	cgroup2_ready || fail "no cgroup v2 memory controller" || return 1
	cg=$CG_ROOT/synq-review-$$
	mkdir "$cg"
	defer rmdir "$cg"
	review memcg "$cg" "$n" || return 1
	# Each table is at least its buckets, 8 bytes each.
	min=$(jq "$n * .nr_buckets * 8" <<< "$R")
	log "memory.current grew by $(jq '.after - .before' <<< "$R") B at listen(), tables >= $min B"
	expect "$R" ".after - .before >= $min" \
		"the SYN tables were not charged to the listener's memory cgroup"
}

ksft_run "NFQUEUE reinjection (process context): every connect accepted" check_nfqueue
ksft_run "SO_RCVBUF changed before the final ACK: child keeps the announced window scale" check_wscale
ksft_run "SYN tables are charged to the memory cgroup" check_memcg
ksft_exit
