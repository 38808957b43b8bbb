#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# synq's SYN cookies, over veth between two namespaces:
#  - syncookies=1, the SYN table full of a half-open flood: a real client
#    connects through a cookie (SyncookiesSent/Recv, SYNQ_INFO
#    cookies_recv) and both ends agree on MSS, window scale and SACK
#    (TCP_INFO), with timestamps and with the client's tcp_timestamps=0;
#  - syncookies=2: no entry is ever made, every SYN gets a cookie;
#  - forged cookie ACKs (random numbers), a valid cookie returned from
#    another port/address/ISN, and a stale cookie (the module reloaded
#    with cookie_period=1) are refused: SyncookiesFailed, an RST, no child;
#  - cookie pause: cookie_pause_threshold table-full SYNs in a second make
#    the listener answer with cookies only for cookie_pause_ms.
# (syncookies=0 with the table full is in synq_overflow.sh.)
# The scenarios are selftests/synq_flood.py; every check prints
# "# ok: ..." or "# FAIL: what: expected X, got Y".
#
# The stale-cookie subtest reloads synq (rmmod; insmod cookie_period=1) and
# leaves it loaded from $SYNQ_KO with default parameters.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip nft python3 sysctl dmesg insmod rmmod
require_synq

if ! setup_flood_pair; then
	echo "# FAIL: cannot set up the test namespaces"
	exit $KSFT_FAIL
fi

check_options_ts() {
	flood cookie-options --backlog 8 --timestamps 1
}

check_options_nots() {
	flood cookie-options --backlog 8 --timestamps 0
}

check_mode2() {
	flood mode2 --flood 30 --clients 5
}

check_forged() {
	flood forged --count 10
}

check_wrong_tuple() {
	flood wrong-tuple
}

check_pause() {
	flood pause --threshold 20 --pause-ms 3000
}

# Put synq back as the suite expects it: loaded, default parameters.
synq_default_loaded() {
	if [ -d /sys/module/synq ] &&
	   [ "$(cat /sys/module/synq/parameters/cookie_period)" = 32 ]; then
		return 0
	fi
	[ -d /sys/module/synq ] && rmmod synq
	insmod "$SYNQ_KO"
}

check_stale() {
	local rc=0

	rmmod synq || { fail "rmmod synq"; return 1; }
	insmod "$SYNQ_KO" cookie_period=1 || {
		fail "insmod $SYNQ_KO cookie_period=1"
		insmod "$SYNQ_KO"
		return 1
	}
	flood stale --wait 5.5 || rc=1
	rmmod synq || { fail "rmmod synq (cookie_period=1)"; rc=1; }
	insmod "$SYNQ_KO" || { fail "insmod $SYNQ_KO"; rc=1; }
	[ "$(cat /sys/module/synq/parameters/cookie_period)" = 32 ] ||
		{ fail "cookie_period not back to 32"; rc=1; }
	return $rc
}
defer synq_default_loaded

# synq_cookies.sh [NAME...]: only the subtests whose check_NAME is given.
KSFT_ONLY=("$@")

run_selected "cookie connection keeps MSS, wscale, SACK (timestamps on)" check_options_ts
run_selected "cookie connection keeps MSS, wscale, SACK (client tcp_timestamps=0)" check_options_nots
run_selected "syncookies=2: no entry ever, every SYN a cookie" check_mode2
run_selected "forged cookie ACKs: SyncookiesFailed, RST, no child" check_forged
run_selected "a cookie from another port, address or ISN is refused" check_wrong_tuple
run_selected "cookie pause engages, keeps the table empty, ends" check_pause
run_selected "stale cookie (cookie_period=1) refused, fresh one accepted" check_stale
ksft_exit
