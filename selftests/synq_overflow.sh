#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Overflow of a synq listener's two queues, over veth between two
# namespaces:
#  - the accept queue of a listener that never accepts (backlog 3): exactly
#    4 clients get in, the 5th stalls (its SYN dropped: ListenOverflows,
#    SYNQ_INFO overflows) and completes once accept() makes room;
#  - final ACKs that find the accept queue full: kept pending (SYNQ_INFO
#    acked) and completed after accept(), or with abort_on_overflow (the
#    sysctl, and the SYNQ_ABORT_ON_OVERFLOW override with the sysctl 0)
#    reset: ECONNRESET, OverflowResets moves by exactly the clients reset;
#  - the SYN table with cookies off: a half-open flood fills it exactly
#    (qlen == nr_table_entries), the rest and a real client are dropped
#    (ReqQFullDrop) until the flood entries expire; the kernel log names
#    the listener ("possible SYN flood on ADDR:PORT");
#  - /proc/net/synq's line for the listener agrees with SYNQ_INFO.
# The scenarios are selftests/synq_flood.py; every check prints
# "# ok: ..." or "# FAIL: what: expected X, got Y".

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 sysctl dmesg
require_synq

if ! setup_flood_pair; then
	echo "# FAIL: cannot set up the test namespaces"
	exit $KSFT_FAIL
fi

check_accept_queue() {
	flood accept-queue --backlog 3
}

check_ack_overflow_keep() {
	flood ack-overflow --backlog 3 --clients 6 --mode none --data 0
}

check_ack_overflow_keep_data() {
	flood ack-overflow --backlog 3 --clients 6 --mode none --data 1
}

check_ack_overflow_abort_sysctl() {
	flood ack-overflow --backlog 3 --clients 6 --mode sysctl --data 1
}

check_ack_overflow_abort_override() {
	flood ack-overflow --backlog 3 --clients 6 --mode override --data 1
}

check_table_full() {
	flood table-full --backlog 3 --extra 8
}

check_proc() {
	flood proc --backlog 3 --cookies 1
}

# synq_overflow.sh [NAME...]: only the subtests whose check_NAME is given.
KSFT_ONLY=("$@")

run_selected "accept queue: backlog 3 takes 4, the 5th stalls until accept()" check_accept_queue
run_selected "final ACK on a full accept queue stays pending, completes after accept()" check_ack_overflow_keep
run_selected "a pending client that sent data is not reset, completes after accept()" check_ack_overflow_keep_data
run_selected "abort_on_overflow=1: overflowing clients reset, OverflowResets exact" check_ack_overflow_abort_sysctl
run_selected "SYNQ_ABORT_ON_OVERFLOW=1 with the sysctl 0: clients reset" check_ack_overflow_abort_override
run_selected "syncookies=0: flood fills the SYN table, the rest and a client dropped" check_table_full
run_selected "/proc/net/synq agrees with SYNQ_INFO" check_proc
ksft_exit
