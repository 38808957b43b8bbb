#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make check-debug': the selftests in a VM booting the project's debug
# kernel (6.1 with KASAN, lockdep, PROVE_RCU, DEBUG_OBJECTS, KMEMLEAK, UBSAN,
# KFENCE, DEBUG_NET...; scripts/debug-kernel.sh builds it once and caches
# it outside the clone).  synq.ko is built for it in .cache/debug-build/,
# beside the stock module/synq.ko.  Any report of those detectors is a
# failed test: the kernel-log checks of selftests/lib.sh and
# scripts/run-selftests.sh catch lockdep, KASAN, UBSAN, KFENCE and
# DEBUG_OBJECTS reports; run-selftests.sh also fails when lockdep turned
# itself off, and scans kmemleak before and after rmmod.
#
# Usage: scripts/check-debug.sh [TEST...]   (default: every test)
#        SYNQ_DEBUG_TESTS="a b" selects the tests too (CI's subset).
# Output ends with "N passed, N failed, N skipped" (scripts/check.sh).

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${SYNQ_CACHE:-$TOP/.cache}
BUILD=$CACHE/debug-build

fail() {
	echo "check-debug: $*"
	echo "0 passed, 1 failed"
	exit 1
}

cd "$TOP" || exit 1
dir=$(scripts/debug-kernel.sh | tail -n 1) || fail "debug kernel build failed"
[ -s "$dir/release" ] || fail "no debug kernel in $dir"
release=$(cat "$dir/release")

# The module, for the debug kernel, from a copy of the sources.
mkdir -p "$BUILD"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' \
	--exclude='.*.cmd' --exclude='modules.order' --exclude='Module.symvers' \
	module "$BUILD/" || fail "cannot copy module/"
cp Kbuild "$BUILD/Kbuild"
version=$(git describe --always --dirty 2>/dev/null || echo 0.1)
if ! out=$(make -C "$dir/linux" M="$BUILD" SYNQ_VERSION="$version" modules 2>&1); then
	echo "$out"
	fail "module build for $release failed"
fi
ko=$BUILD/module/synq.ko
[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ] ||
	fail "$ko is not for $release"
# The in-module selftests' build (synq_module.sh loads it), from the same
# copy: KASAN and lockdep watch them too.
mkdir -p "$BUILD-selftest"
rsync -a --delete "$BUILD/module" "$BUILD-selftest/" --exclude='*.o' \
	--exclude='*.ko' --exclude='*.mod*' --exclude='.*.cmd' \
	--exclude='modules.order' --exclude='Module.symvers' ||
	fail "cannot copy module/"
cp Kbuild "$BUILD-selftest/Kbuild"
if ! out=$(make -C "$dir/linux" M="$BUILD-selftest" SYNQ_VERSION="$version" \
		SYNQ_SELFTEST=1 modules 2>&1); then
	echo "$out"
	fail "selftest module build for $release failed"
fi

# defconfig makes SELinux the major LSM; Debian's kernel does not enable
# it (AppArmor is Debian's), and its hooks change errnos the tests compare
# with TCP (bind() of an AF_INET6 address to an AF_INET socket: EINVAL).
DEBUG_APPEND="lsm=landlock,lockdown,yama,integrity,apparmor,bpf"
# The fuzzer sends ~60 segments/s there (against ~1300 on the stock
# kernel): bound its sending time so that the test ends within the
# runner's 400 s; it prints how many it sent.
export SYNQ_FUZZ_SECS=${SYNQ_FUZZ_SECS:-120}
echo "# check-debug: kernel $release ($dir), $DEBUG_APPEND"
# shellcheck disable=SC2086 # a list of test names
SYNQ_KO=$ko SYNQ_SELFTEST_KO=$BUILD-selftest/module/synq.ko \
SYNQ_VM_KERNEL=$dir/bzImage \
SYNQ_VM_MODDIR=$dir/root/lib/modules/$release \
SYNQ_CHECK_LOG=$CACHE/check-debug.log SYNQ_DEBUG_KERNEL=1 \
SYNQ_VM_APPEND="${SYNQ_VM_APPEND:-} $DEBUG_APPEND" \
	scripts/check.sh "$@" ${SYNQ_DEBUG_TESTS:-}
