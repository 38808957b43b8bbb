#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for synq's shell selftests.  Source it first:
#
#	. "$(dirname "$0")/lib.sh"
#	check_foo() { ...; }		# a subtest: fails on any failing command
#	ksft_run "foo works" check_foo
#	ksft_exit
#
# A test prints nested TAP: one "ok N name" / "not ok N name" per subtest.
# ksft_exit adds a last subtest (no kernel WARN/BUG logged during the test)
# and exits KSFT_PASS, KSFT_FAIL, or KSFT_SKIP when every subtest skipped.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_XFAIL=2
KSFT_XPASS=3
KSFT_SKIP=4

SYNQ_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# The repo and the module: set by scripts/vm.sh, or found from here.
SYNQ_TOP=${SYNQ_TOP:-$(cd "$SYNQ_SELFTESTS/.." && pwd -P)}
SYNQ_KO=${SYNQ_KO:-$SYNQ_TOP/module/synq.ko}
SYNQ_PROTO=253
# SOL_SYNQ, from the uapi header (not a number of Linux's).
SYNQ_SOL=$(awk '$1 == "#define" && $2 == "SOL_SYNQ" { print $3 }' \
	"$SYNQ_TOP/module/uapi/synq.h")
export SYNQ_SOL

ksft_n=0
ksft_npass=0
ksft_nfail=0
ksft_nskip=0

echo "TAP version 13"

# Diagnostics: TAP comments.
log() { echo "# $*"; }
fail() { echo "# FAIL: $*"; return 1; }

# Leave this test (not just a subtest) as skipped.
ksft_skip_all() {
	log "SKIP: $*"
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

# Leave this test as failed: its set-up did not work.
ksft_fail_all() {
	echo "# FAIL: $*"
	echo "1..0"
	exit $KSFT_FAIL
}

# In a subtest: skip it.
skip() {
	echo "# SKIP: $*"
	return $KSFT_SKIP
}

require_root() {
	[ "$(id -u)" = 0 ] || ksft_skip_all "must be root"
}

# Expect-all mode (SYNQ_EXPECT_ALL=1, set by .ci/run): a tool the set-up
# should have installed is missing, so the test fails instead of skipping,
# as MPTCP's selftests do in CI.  A green CI is never a suite that skipped.
synq_expect_all() {
	[ "${SYNQ_EXPECT_ALL:-0}" = 1 ]
}

# In a subtest: a tool is missing.
skip_tool() {
	if synq_expect_all; then
		fail "$* (SYNQ_EXPECT_ALL=1: a missing tool fails)"
	else
		skip "$*"
	fi
}

# require_cmd CMD...: skip the whole test unless every CMD is installed
# (fail it in expect-all mode).
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		synq_expect_all && ksft_fail_all "$c not installed (SYNQ_EXPECT_ALL=1)"
		ksft_skip_all "$c not installed"
	done
}

# The synq module must be loaded; load $SYNQ_KO if it is not.
require_synq() {
	[ -d /sys/module/synq ] && return 0
	if [ -r "$SYNQ_KO" ]; then
		log "synq not loaded: insmod $SYNQ_KO"
		insmod "$SYNQ_KO" || ksft_skip_all "cannot insmod $SYNQ_KO"
	else
		ksft_skip_all "synq not loaded and $SYNQ_KO missing"
	fi
}

# ksft_run NAME FUNC [ARG...]: run one subtest in a subshell with set -e;
# exit status 0 passes, KSFT_SKIP skips, anything else fails.
ksft_run() {
	local name=$1 rc had_e=0
	shift
	case $- in *e*) had_e=1 ;; esac
	set +e
	# What a subtest defers is cleaned up when it ends.
	ksft_defer_file=$(mktemp /tmp/synq-defer.XXXXXX)
	(set -e; "$@")
	rc=$?
	run_defers "$ksft_defer_file"
	ksft_defer_file=$ksft_defer_top
	[ "$had_e" = 1 ] && set -e
	ksft_n=$((ksft_n + 1))
	case $rc in
	0)
		ksft_npass=$((ksft_npass + 1))
		echo "ok $ksft_n $name" ;;
	"$KSFT_SKIP")
		ksft_nskip=$((ksft_nskip + 1))
		echo "ok $ksft_n $name # SKIP" ;;
	*)
		ksft_nfail=$((ksft_nfail + 1))
		echo "not ok $ksft_n $name # exit=$rc" ;;
	esac
	return 0
}

# --- kernel log -------------------------------------------------------------

SYNQ_BAD_LOG_RE=$(grep -v '^#' "$SYNQ_SELFTESTS/bad_log.re" | paste -sd '|')
ksft_dmesg_mark="synq-selftest: $(basename "$0") start $$"
if [ -w /dev/kmsg ]; then
	echo "$ksft_dmesg_mark" > /dev/kmsg
fi

# Kernel log since this test started.
dmesg_since_start() {
	dmesg | sed -n "/$ksft_dmesg_mark/,\$p"
}

# Fails, printing them, if the kernel logged a WARN/BUG/Oops since the
# test started.
check_dmesg_clean() {
	if ! dmesg >/dev/null 2>&1; then
		skip "cannot read the kernel log"
		return
	fi
	if dmesg_since_start | grep -q -E "$SYNQ_BAD_LOG_RE"; then
		dmesg_since_start | grep -E -A 30 "$SYNQ_BAD_LOG_RE" | sed 's/^/# /'
		fail "the kernel logged a warning"
	fi
}

# --- clean-up ---------------------------------------------------------------

# Deferred commands live in a file, so that a subtest (a subshell) can
# defer too; ksft_run cleans up after each subtest, cleanup at exit.
ksft_defer_top=$(mktemp /tmp/synq-defer.XXXXXX)
ksft_defer_file=$ksft_defer_top

# defer CMD: run CMD (a string for eval) at exit, last deferred first.
defer() {
	printf '%s\n' "$*" >> "$ksft_defer_file"
}

# run_defers FILE: run and forget the commands deferred to FILE.
run_defers() {
	local cmd
	[ -e "$1" ] || return 0
	tac "$1" | while IFS= read -r cmd; do
		eval "$cmd" >/dev/null 2>&1 || true
	done
	rm -f "$1"
}

cleanup() {
	run_defers "$ksft_defer_file"
	run_defers "$ksft_defer_top"
}
trap cleanup EXIT

# wait_until SECONDS CMD...: poll CMD until it succeeds.
wait_until() {
	local n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# Objects in use in a slab cache, after flushing its per-CPU slabs.
slab_active() {
	local n=$1
	[ -w "/sys/kernel/slab/$n/shrink" ] && echo 1 > "/sys/kernel/slab/$n/shrink"
	awk -v n="$n" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' /proc/slabinfo
}

# slab_at_most CACHE N: CACHE has at most N objects in use.
slab_at_most() {
	[ "$(slab_active "$1")" -le "$2" ]
}

# --- network namespaces -----------------------------------------------------

# Unique to this test run, so that tests can run side by side.
ksft_ns_suffix="$(basename "$0" .sh)-$$-$RANDOM"

# setup_ns VAR...: create one fresh namespace per VAR (its name is stored
# in VAR), loopback up; deleted at exit.
setup_ns() {
	local var ns
	for var in "$@"; do
		ns="synq-$var-$ksft_ns_suffix"
		ip netns add "$ns" || return 1
		defer ip netns del "$ns"
		ip -n "$ns" link set lo up || return 1
		printf -v "$var" '%s' "$ns"
	done
}

# setup_veth NS1 ADDR1 NS2 ADDR2: join NS1 and NS2 by a veth pair (veth0
# in each), addresses with prefix length, e.g. 10.0.1.1/24 10.0.1.2/24.
setup_veth() {
	local ns1=$1 addr1=$2 ns2=$3 addr2=$4
	ip link add veth0 netns "$ns1" type veth peer name veth0 netns "$ns2" ||
		return 1
	ip -n "$ns1" addr add "$addr1" dev veth0 || return 1
	ip -n "$ns2" addr add "$addr2" dev veth0 || return 1
	ip -n "$ns1" link set veth0 up || return 1
	ip -n "$ns2" link set veth0 up || return 1
}

# setup_pair: the usual two namespaces, $NS_CLI (10.0.1.1) and $NS_SRV
# (10.0.1.2), joined by veth.  These addresses exist only inside them.
CLI_IP=10.0.1.1
SRV_IP=10.0.1.2
setup_pair() {
	setup_ns NS_CLI NS_SRV || return 1
	setup_veth "$NS_CLI" "$CLI_IP/24" "$NS_SRV" "$SRV_IP/24"
}

# setup_pair6: setup_pair, and IPv6 on the same veth: $NS_CLI fd00:1::1,
# $NS_SRV fd00:1::2 (no DAD: usable at once).
CLI_IP6=fd00:1::1
SRV_IP6=fd00:1::2
setup_pair6() {
	setup_pair || return 1
	ip -n "$NS_CLI" addr add "$CLI_IP6/64" dev veth0 nodad || return 1
	ip -n "$NS_SRV" addr add "$SRV_IP6/64" dev veth0 nodad
}

# run_selected NAME FUNC: ksft_run NAME FUNC and log its duration, unless
# the script was given subtest names (FUNC without "check_") in KSFT_ONLY
# and FUNC is not among them.
KSFT_ONLY=()
run_selected() {
	local name=$1 func=$2 t0=$SECONDS
	if [ ${#KSFT_ONLY[@]} = 0 ] ||
	   [[ " ${KSFT_ONLY[*]} " == *" ${func#check_} "* ]]; then
		ksft_run "$name" "$func"
		log "$func: $((SECONDS - t0)) s"
	fi
}

# drop_rsts NS TABLE MATCH: NS's kernel has no socket for a test's raw
# flows and would reset every answer they get: its RSTs that MATCH (an nft
# expression) are dropped, by table TABLE ("nft delete table ip TABLE").
drop_rsts() {
	ip netns exec "$1" nft -f - <<-EOF
		table ip $2 {
			chain out {
				type filter hook output priority 0; policy accept;
				$3 tcp flags & rst == rst drop
			}
		}
	EOF
}

# --- synq_flood.py scenarios ---------------------------------------------------

# setup_flood_pair: setup_pair for synq_flood.py, whose raw flows use source
# ports 20000-29999: SYN-ACKs to its spoofed sources need a default route
# in the server namespace, and the client kernel, which has no socket for
# those flows, must not reset their SYN-ACKs.
setup_flood_pair() {
	setup_pair || return 1
	ip netns exec "$NS_SRV" sysctl -q net.synq.syncookies >/dev/null ||
		fail "no net.synq sysctls in a new netns" || return 1
	ip -n "$NS_SRV" route add default via "$CLI_IP" || return 1
	drop_rsts "$NS_CLI" synq_flood "tcp sport 20000-29999"
}

# synq_stat NS NAME: a /proc/net/stat/synq counter of NS.
# shellcheck disable=SC2016 # awk programs
synq_stat() {
	ip netns exec "$1" awk -v n="$2" \
		'NR == 1 { for (i = 2; i <= NF; i++) if ($i == n) c = i }
		 NR == 2 { print $c }' /proc/net/stat/synq
}

# flood SCENARIO ARG...: one synq_flood.py scenario (it first sets the
# net.synq sysctls of $NS_SRV back to their defaults).
flood() {
	python3 "$SYNQ_SELFTESTS/synq_flood.py" "$@" --srv-ns "$NS_SRV" \
		--cli-ns "$NS_CLI" --srv-ip "$SRV_IP" --cli-ip "$CLI_IP"
}

# --- end ----------------------------------------------------------------------

ksft_exit() {
	local npass=$ksft_npass

	ksft_run "no kernel WARN/BUG logged" check_dmesg_clean
	echo "1..$ksft_n"
	echo "# Totals: pass:$ksft_npass fail:$ksft_nfail xfail:0 xpass:0 skip:$ksft_nskip error:0"
	cleanup
	if [ "$ksft_nfail" -gt 0 ]; then
		exit $KSFT_FAIL
	elif [ "$npass" = 0 ] && [ "$ksft_nskip" -gt 0 ]; then
		exit $KSFT_SKIP
	fi
	exit $KSFT_PASS
}
