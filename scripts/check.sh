#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs synq's kselftest suite in QEMU VMs (scripts/vm.sh), one boot per
# test group, and sums up the TAP results.  Called by 'make check', which
# first runs scripts/setup.sh and builds the module and the selftests.
#
# Usage: scripts/check.sh [TEST...]     (default: every test, by group)
#
# Groups: each line of selftests/groups lists tests that share one boot;
# the tests no line names share a last boot.  Naming tests on the command
# line runs just those, in one boot.
#
# Output: the TAP of every boot, then as the very last line
# "N passed, N failed, N skipped", counted at the innermost TAP level
# (see scripts/tap-count.awk).  Exits 1 if anything failed or no test ran.
# The whole output is also kept in .cache/check.log.
#
# Environment: SYNQ_VM_TIMEOUT (seconds per boot; default 120 s plus the
# runner's per-test timeout from selftests/settings for each test of the
# boot) and the other SYNQ_* settings of scripts/vm.sh and
# scripts/run-selftests.sh.

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${SYNQ_CACHE:-$TOP/.cache}
LOG=${SYNQ_CHECK_LOG:-$CACHE/check.log}
# Per test, the kselftest runner's own timeout (selftests/settings).
per_test=$(sed -n 's/^timeout=//p' "$TOP/selftests/settings" 2>/dev/null)
per_test=${per_test:-45}

cd "$TOP" || exit 1
mkdir -p "$CACHE"
# Private files while running: another check may run in the same tree.
RUNLOG=$(mktemp "${TMPDIR:-/tmp}/synq-check.XXXXXX")
GLOG=$(mktemp "${TMPDIR:-/tmp}/synq-check-group.XXXXXX")
trap 'rm -f "$RUNLOG" "$GLOG"' EXIT

groups=()
if [ $# -gt 0 ]; then
	groups+=("$*")
else
	mapfile -t all < <(make -s --no-print-directory -C selftests emit_tests |
			   sed -n 's/^[^:]*://p')
	declare -A grouped=()
	if [ -r selftests/groups ]; then
		while read -r line; do
			line=${line%%#*}
			[ -n "${line// /}" ] || continue
			groups+=("$line")
			for t in $line; do grouped[$t]=1; done
		done < selftests/groups
	fi
	rest=
	for t in "${all[@]}"; do
		[ -n "${grouped[$t]:-}" ] || rest="$rest $t"
	done
	[ -n "$rest" ] && groups+=("${rest# }")
fi
if [ "${#groups[@]}" = 0 ]; then
	echo "check: no tests found in selftests/"
	echo "0 passed, 1 failed"
	exit 1
fi

# The kernel the boots run (scripts/vm.sh boots the one the module is for).
KO=${SYNQ_KO:-$TOP/module/synq.ko}
kver=$(modinfo -F vermagic "$KO" 2>/dev/null | cut -d' ' -f1)
kver=${kver:-unknown kernel}

start=$SECONDS
n=0
for g in "${groups[@]}"; do
	n=$((n + 1))
	glog=$GLOG
	echo "# === boot $n/${#groups[@]} ($kver): $g" | tee -a "$RUNLOG"
	# No boot outlasts its tests' own timeouts: past that, the kernel hangs.
	# shellcheck disable=SC2086 # a group is a list of test names
	set -- $g
	SYNQ_VM_TIMEOUT=${SYNQ_VM_TIMEOUT:-$((120 + per_test * $#))} \
		scripts/vm.sh scripts/run-selftests.sh "$@" 2>&1 | tee "$glog"
	rc=${PIPESTATUS[0]}
	read -r _ gfailed _ < <(awk -f scripts/tap-count.awk "$glog")
	case $rc in
	0) line= ;;
	124) line="not ok $n vm: $kver boot $n ($g) TIMED OUT" ;;
	125) line="not ok $n vm: $kver boot $n ($g) kernel crashed or logged a WARN/BUG" ;;
	*) line="not ok $n vm: $kver boot $n ($g) exited $rc" ;;
	esac
	# A failure that the TAP already counts is not counted twice.
	if [ -n "$line" ] && { [ "$rc" = 124 ] || [ "$rc" = 125 ] || [ "$gfailed" = 0 ]; }; then
		echo "$line" | tee -a "$glog"
	fi
	cat "$glog" >> "$RUNLOG"
done

read -r passed failed skipped < <(awk -f scripts/tap-count.awk "$RUNLOG")
if [ $((passed + failed + skipped)) = 0 ]; then
	echo "not ok - no test ran" | tee -a "$RUNLOG"
	failed=1
fi
echo "# $kver: ${#groups[@]} boot(s), $((SECONDS - start)) s; log in ${LOG#"$TOP"/}"
summary="$passed passed, $failed failed, $skipped skipped"
echo "$summary" >> "$RUNLOG"
cp "$RUNLOG" "$LOG"
echo "$summary"
[ "$failed" = 0 ]
