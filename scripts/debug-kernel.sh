#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds (once) the debug kernel of 'make check-debug' from Debian's
# linux-source-6.1 and selftests/config.debug, and prints the directory it
# is cached in.  The cache is outside the clone, keyed by the source
# tarball and the config, so a second run is instant:
#
#   $SYNQ_DEBUG_CACHE/<key>/linux/     build tree (for M= module builds)
#   $SYNQ_DEBUG_CACHE/<key>/bzImage    the kernel
#   $SYNQ_DEBUG_CACHE/<key>/root/lib/modules/<release>/   modules.builtin...
#   $SYNQ_DEBUG_CACHE/<key>/release    the kernel release (uname -r)
#
# Usage: scripts/debug-kernel.sh          build when missing, print the dir
#        scripts/debug-kernel.sh --dir    print the dir only (no build)
# Environment: SYNQ_DEBUG_CACHE (default /var/cache/synq/debug-kernel).
# The build log is kept in <key>.log beside the directory.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BASE=${SYNQ_DEBUG_CACHE:-/var/cache/synq/debug-kernel}
SERIES=6.1
TARBALL=/usr/src/linux-source-$SERIES.tar.xz
FRAGMENT=$TOP/selftests/config.debug

[ -r "$TARBALL" ] || { echo "debug-kernel: $TARBALL missing (scripts/setup.sh)" >&2; exit 1; }
key=$( { stat -c '%n %s %Y' "$TARBALL"; cat "$FRAGMENT"; } | sha256sum | cut -c1-16)
DIR=$BASE/$SERIES-$key
if [ "${1:-}" = --dir ]; then
	echo "$DIR"
	exit 0
fi
if [ -s "$DIR/release" ] && [ -s "$DIR/bzImage" ]; then
	echo "$DIR"
	exit 0
fi

mkdir -p "$BASE"
LOGF=$DIR.log
exec 3>&1 >"$LOGF" 2>&1
echo "debug-kernel: building in $DIR (log $LOGF)" >&3
start=$SECONDS
# Built where it stays: the tree's .cmd files hold absolute paths.  The
# release file, written last, marks a finished build.
rm -rf "$DIR"
mkdir -p "$DIR"
tar -xJf "$TARBALL" -C "$DIR"
mv "$DIR"/linux-source-$SERIES "$DIR/linux"
cd "$DIR/linux"
make -s x86_64_defconfig
scripts/kconfig/merge_config.sh -m .config "$FRAGMENT"
make -s olddefconfig
# What the fragment asks for and olddefconfig dropped (a dependency).
missing=0
while read -r line; do
	case "$line" in
	CONFIG_*=*) grep -qx "$line" .config || { echo "debug-kernel: not in .config: $line"; missing=1; } ;;
	esac
done < "$FRAGMENT"
[ "$missing" = 0 ] || { echo "debug-kernel: the config fragment does not hold" >&3; tail -n 30 "$LOGF" >&3; exit 1; }
if ! make -j"$(nproc)" bzImage modules; then
	echo "debug-kernel: build failed; log $LOGF" >&3
	tail -n 40 "$LOGF" >&3
	exit 1
fi
make -s modules_install INSTALL_MOD_PATH="$DIR/root" INSTALL_MOD_STRIP=1
cp arch/x86/boot/bzImage "$DIR/bzImage"
make -s kernelrelease > "$DIR/release.tmp"
mv "$DIR/release.tmp" "$DIR/release"
echo "debug-kernel: built $(cat "$DIR/release") in $((SECONDS - start)) s" >&3
echo "$DIR" >&3
