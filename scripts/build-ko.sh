#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build synq.ko for one kernel in a build directory of its own,
# .cache/build-<ver>/ (a copy of module/ and Kbuild), so that builds for
# different kernels never overwrite each other or module/synq.ko.  Prints
# the path of the .ko as its last line; checks its vermagic.
#
# Usage: scripts/build-ko.sh KVER [MAKE-ARGS...]   (e.g. W=1 C=2)
# Environment: SYNQ_BUILD_DIR (default .cache/build-KVER)

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${SYNQ_CACHE:-$TOP/.cache}
KVER=${1:?usage: build-ko.sh KVER [MAKE-ARGS...]}
shift
KDIR=/lib/modules/$KVER/build
BUILD=${SYNQ_BUILD_DIR:-$CACHE/build-$KVER}

[ -d "$KDIR" ] || { echo "build-ko: no kernel build tree $KDIR (linux-headers-$KVER)" >&2; exit 1; }
cd "$TOP"
mkdir -p "$BUILD"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' \
	--exclude='.*.cmd' --exclude='modules.order' --exclude='Module.symvers' \
	--exclude='compat-generated.h' module "$BUILD/"
cp Kbuild "$BUILD/Kbuild"
version=$(git describe --always --dirty 2>/dev/null || echo 0.1)
make -C "$KDIR" M="$BUILD" SYNQ_VERSION="$version" "$@" modules >&2
ko=$BUILD/module/synq.ko
got=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$got" = "$KVER" ] || { echo "build-ko: $ko is for $got, not $KVER" >&2; exit 1; }
echo "$ko"
