#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs INSIDE the test VM (scripts/check.sh starts it through scripts/vm.sh):
# insmod module/synq.ko, run the kselftest suite (every test, or the ones
# named), rmmod synq, and check that the kernel logged no WARN/BUG.
# Prints TAP.  Exits non-zero when something failed.
#
# Usage: scripts/run-selftests.sh [TEST...]
# Environment: SYNQ_KO (module to load), SYNQ_INSMOD_ARGS (its parameters).

set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
KO=${SYNQ_KO:-$TOP/module/synq.ko}
BAD_LOG_RE=$(grep -v '^#' "$TOP/selftests/bad_log.re" | paste -sd '|')
mark="synq-check: start $$"

KMEMLEAK=/sys/kernel/debug/kmemleak
LOCKDEP=/proc/lockdep_stats

cd "$TOP" || exit 1
echo "$mark" > /dev/kmsg
# What leaked before synq was loaded is not synq's.
[ -w "$KMEMLEAK" ] && echo clear > "$KMEMLEAK"

echo "# synq: kernel $(uname -r), module $KO"
# shellcheck disable=SC2086 # SYNQ_INSMOD_ARGS is a list of parameters
if ! insmod "$KO" ${SYNQ_INSMOD_ARGS:-}; then
	echo "TAP version 13"
	echo "1..1"
	dmesg | tail -n 20 | sed 's/^/# /'
	echo "not ok 1 vm: insmod $KO"
	exit 1
fi

make -s --no-print-directory -C selftests run_tests T="$*"
make_rc=$?

# kmemleak reports an object only once it is 5 s old and two scans found
# no reference to it.  Loaded, synq's frames have names; unloaded, its
# addresses are the only module text in a kernel with everything built in.
kmemleak_synq() {
	local what=$1 out
	sleep 6
	echo scan > "$KMEMLEAK"
	echo scan > "$KMEMLEAK"
	out=$(cat "$KMEMLEAK")
	# One report a paragraph: keep those naming synq or module text.
	printf '%s\n' "$out" | awk -v RS='unreferenced object' -v what="$what" '
		NR > 1 && (/synq/ || (what == "unloaded" && /\[<ffffffffc0[0-9a-f]*>\] 0x/)) {
			print "unreferenced object" $0
		}'
}

leaks=
[ -r "$KMEMLEAK" ] && leaks=$(kmemleak_synq loaded)

# The VM's own checks, as a TAP document of their own.
checks=3
[ -r "$KMEMLEAK" ] && checks=$((checks + 1))
[ -r "$LOCKDEP" ] && checks=$((checks + 1))
echo "TAP version 13"
echo "1..$checks"
failed=0
if [ "$make_rc" = 0 ]; then
	echo "ok 1 vm: make run_tests"
else
	echo "not ok 1 vm: make run_tests # exit=$make_rc"
	failed=1
fi
if [ ! -d /sys/module/synq ]; then
	echo "# synq was not loaded any more after the tests"
	echo "not ok 2 vm: rmmod synq"
	failed=1
elif ! rmmod synq; then
	lsmod | grep '^synq ' | sed 's/^/# /'
	echo "not ok 2 vm: rmmod synq"
	failed=1
elif [ -e /sys/module/synq ] || grep -q '^synq ' /proc/modules; then
	echo "# synq still in /sys/module or /proc/modules after rmmod"
	echo "not ok 2 vm: rmmod synq"
	failed=1
else
	echo "ok 2 vm: rmmod synq"
fi
if dmesg | sed -n "/$mark/,\$p" | grep -q -E "$BAD_LOG_RE"; then
	dmesg | sed -n "/$mark/,\$p" | grep -E -A 40 "$BAD_LOG_RE" | sed 's/^/# /'
	echo "not ok 3 vm: no kernel WARN/BUG logged"
	failed=1
else
	echo "ok 3 vm: no kernel WARN/BUG logged"
fi
n=3
# Lockdep prints its report (no WARN, so panic_on_warn misses it) and turns
# itself off: check 3 sees the report, this one sees lockdep gone.
if [ -r "$LOCKDEP" ]; then
	n=$((n + 1))
	if grep -q 'debug_locks: *1' "$LOCKDEP"; then
		echo "ok $n vm: lockdep still on (no lock report)"
	else
		grep debug_locks "$LOCKDEP" | sed 's/^/# /'
		echo "not ok $n vm: lockdep still on (no lock report)"
		failed=1
	fi
fi
if [ -r "$KMEMLEAK" ]; then
	n=$((n + 1))
	[ -d /sys/module/synq ] || leaks="$leaks$(kmemleak_synq unloaded)"
	if [ -z "$leaks" ]; then
		echo "ok $n vm: kmemleak: nothing of synq, loaded and after rmmod"
	else
		printf '%s\n' "$leaks" | head -n 80 | sed 's/^/# /'
		echo "not ok $n vm: kmemleak: nothing of synq, loaded and after rmmod"
		failed=1
	fi
fi
exit "$failed"
