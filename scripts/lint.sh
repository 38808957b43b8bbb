#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make lint': fails if any of these reports a warning or an error:
#   - the module built with W=1 (extra gcc warnings) and C=2 (sparse on
#     every file), for each supported kernel (scripts/kernels.sh: 6.1 and
#     6.12), each in .cache/lint-<ver>/ (scripts/build-ko.sh);
#   - the selftests' C programs built with -Wall;
#   - scripts/checkpatch.pl --strict --no-tree -f on every source file of
#     ours (module/*.[ch], module/selftest/*.c, module/uapi/*.h, selftests/*.c);
#   - shellcheck warnings and errors in our shell scripts (if installed;
#     its info and style notes are only shown).
# No checkpatch test is --ignore'd.
#
# Environment: SYNQ_KVERS (the kernels, space-separated; 'make lint
# KVER=...' sets it to one), or KDIR (one kernel build tree, built in place).

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$TOP" || exit 1
CACHE=${SYNQ_CACHE:-$TOP/.cache}
CHECKPATCH=$CACHE/ksft/scripts/checkpatch.pl
VERSION=$(git describe --always --dirty 2>/dev/null || echo 0.1)
LOG=$CACHE/lint.log
mkdir -p "$CACHE"
: > "$LOG"

problems=0
report() {
	echo "lint: FAIL: $*"
	problems=$((problems + 1))
}

# lint_build NAME CMD...: one W=1 C=2 build, its warnings counted.
lint_build() {
	local name=$1 rc n
	shift
	echo "== module: W=1 C=2 (sparse) build against $name"
	"$@" > "$LOG" 2>&1
	rc=$?
	grep -v -E '^make\[|^  [A-Z]+ |^Skipping BTF|^/.*/synq\.ko$' "$LOG"
	[ "$rc" = 0 ] || report "module build for $name failed"
	n=$(grep -c -E '(warning|error):' "$LOG")
	[ "$n" = 0 ] || report "module build for $name: $n warning/error lines"
}

if [ -n "${KDIR:-}" ]; then
	lint_build "$KDIR" make -C "$KDIR" M="$TOP" W=1 C=2 SYNQ_VERSION="$VERSION" modules
else
	kvers=${SYNQ_KVERS:-$(scripts/kernels.sh | paste -sd ' ')}
	[ -n "$kvers" ] || report "no supported kernel with headers (scripts/setup.sh)"
	for k in $kvers; do
		# With the in-module selftests: their code is linted too.
		SYNQ_BUILD_DIR=$CACHE/lint-$k lint_build "$k" scripts/build-ko.sh "$k" W=1 C=2 SYNQ_SELFTEST=1
	done
fi

echo "== selftests: -Wall build"
if make -s -B -C selftests > "$LOG" 2>&1; then
	cat "$LOG"
	n=$(grep -c -E '(warning|error):' "$LOG")
	[ "$n" = 0 ] || report "selftests build: $n warning/error lines"
else
	cat "$LOG"
	report "selftests build failed"
fi

echo "== checkpatch --strict"
sources=()
for f in module/*.c module/*.h module/selftest/*.c module/uapi/*.h selftests/*.c; do
	[ -e "$f" ] || continue
	case "$f" in
	*.mod.c|*/compat-generated.h) continue ;;	# generated: modpost, Kbuild
	esac
	sources+=("$f")
done
for f in "${sources[@]}"; do
	if ! perl "$CHECKPATCH" --strict --no-tree --show-types --quiet \
			--no-summary -f "$f"; then
		report "checkpatch: $f"
	fi
done
echo "checked ${#sources[@]} files"

echo "== shellcheck"
if command -v shellcheck > /dev/null; then
	scripts=(.ci/run scripts/*.sh selftests/*.sh module/compat-probe.sh)
	# -x: follow "source" of lib.sh.  Excluded: SC2034 (lib.sh sets
	# variables for the tests that source it), SC2317 (subtests are
	# functions called indirectly, through ksft_run).  Warnings and errors
	# fail; info and style notes (SC2016 on every awk program...) are
	# shown as advice.
	sc=(shellcheck -x -P selftests -e "SC2034,SC2317")
	if ! "${sc[@]}" -S warning "${scripts[@]}"; then
		report "shellcheck"
	elif ! "${sc[@]}" -f gcc "${scripts[@]}"; then
		echo "(shellcheck info/style notes above: advice, not failures)"
	fi
	echo "checked ${#scripts[@]} scripts"
else
	echo "shellcheck not installed: skipped"
fi

if [ "$problems" -gt 0 ]; then
	echo "lint: $problems problem(s)"
	exit 1
fi
echo "lint: clean"
