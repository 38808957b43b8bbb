#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make check': the selftests on every supported kernel of this machine in
# turn (scripts/kernels.sh: 6.1 and 6.12), or on the one named by KVER.
# For each kernel synq.ko is built in .cache/build-<ver>/
# (scripts/build-ko.sh), and its in-module selftests (SYNQ_SELFTEST=1) in
# .cache/build-<ver>-selftest/, and scripts/check.sh boots that kernel's
# VMs with them.  Each kernel's block starts with "# === kernel <ver>", its boots and
# its failures name the kernel, and its own count is printed as
# "# kernel <ver>: N passed, ...".  Then, for the whole suite, the
# host-side build tests (scripts/check-build.sh: DKMS for each kernel).
# The last line is the one "N passed, N failed, N skipped" of all of it
# together (what CI reads).
#
# Usage: scripts/check-kernels.sh [TEST...]
# Environment: SYNQ_KVERS (kernels, space-separated; default all), and
# what scripts/check.sh takes.  Logs: .cache/check-<ver>.log, and the
# whole output in .cache/check.log.

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${SYNQ_CACHE:-$TOP/.cache}
cd "$TOP" || exit 1
mkdir -p "$CACHE"

kvers=${SYNQ_KVERS:-$(scripts/kernels.sh | paste -sd ' ')}
if [ -z "$kvers" ]; then
	echo "check: no supported kernel with image and headers (run scripts/setup.sh)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

ALL=$(mktemp "${TMPDIR:-/tmp}/synq-check-all.XXXXXX")
CUR=$(mktemp "${TMPDIR:-/tmp}/synq-check-kernel.XXXXXX")
trap 'rm -f "$ALL" "$CUR"' EXIT
total_p=0 total_f=0 total_s=0 start=$SECONDS
for k in $kvers; do
	echo "# === kernel $k" | tee -a "$ALL"
	kstart=$SECONDS
	if ! out=$(scripts/build-ko.sh "$k" 2>&1); then
		echo "$out" | tail -n 30 | tee -a "$ALL"
		summary="0 passed, 1 failed, 0 skipped"
		echo "not ok - kernel $k: module build failed" | tee -a "$ALL"
	else
		ko=$(echo "$out" | tail -n 1)
		# The in-module selftests' build (synq_module.sh loads it).
		if st=$(SYNQ_BUILD_DIR=$CACHE/build-$k-selftest \
			scripts/build-ko.sh "$k" SYNQ_SELFTEST=1 2>&1); then
			st=$(echo "$st" | tail -n 1)
		else
			echo "$st" | tail -n 30 | tee -a "$ALL"
			echo "# kernel $k: the SYNQ_SELFTEST=1 build failed" | tee -a "$ALL"
			st=
		fi
		# check.sh's last line is its count: kept for the sum, and
		# shown below as this kernel's.
		SYNQ_KO=$ko SYNQ_SELFTEST_KO=$st SYNQ_CHECK_LOG=$CACHE/check-$k.log \
			scripts/check.sh "$@" 2>&1 | tee "$CUR" |
			sed -u -E '/^[0-9]+ passed, [0-9]+ failed/d'
		cat "$CUR" >> "$ALL"
		summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$CUR" | tail -n 1)
		# The failures again, each with its kernel (CI shows the end).
		grep -E '^[[:space:]]*not ok' "$CUR" | grep -v -E '# (SKIP|TODO)' |
			sed -E "s/^[[:space:]]*/# $k: /" | tee -a "$ALL"
	fi
	read -r p _ f _ s _ <<< "${summary//,/}"
	case "$p$f" in *[!0-9]*|"") p=0 f=1 s=0 ;; esac
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + ${s:-0}))
	echo "# kernel $k: $p passed, $f failed, ${s:-0} skipped ($((SECONDS - kstart)) s)" | tee -a "$ALL"
done
# The host-side build tests (DKMS for each kernel, an unsupported kernel),
# with the whole suite only (no TEST named), or SYNQ_CHECK_BUILD=1.
if [ $# = 0 ] || [ "${SYNQ_CHECK_BUILD:-0}" = 1 ]; then
	echo "# === host: build checks (scripts/check-build.sh)" | tee -a "$ALL"
	kstart=$SECONDS
	# shellcheck disable=SC2086 # a list of kernels
	scripts/check-build.sh $kvers 2>&1 | tee "$CUR" |
		sed -u -E '/^[0-9]+ passed, [0-9]+ failed/d'
	cat "$CUR" >> "$ALL"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$CUR" | tail -n 1)
	read -r p _ f _ s _ <<< "${summary//,/}"
	case "$p$f" in *[!0-9]*|"") p=0 f=1 s=0 ;; esac
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + ${s:-0}))
	echo "# host build checks: $p passed, $f failed, ${s:-0} skipped ($((SECONDS - kstart)) s)" | tee -a "$ALL"
fi

summary="$total_p passed, $total_f failed, $total_s skipped"
echo "# kernels: $kvers; $((SECONDS - start)) s; log in .cache/check.log"
echo "$summary" >> "$ALL"
cp "$ALL" "$CACHE/check.log"
echo "$summary"
[ "$total_f" = 0 ] && [ "$total_p" != 0 ]
