#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# synq and DKMS (dkms.conf).
#
#   scripts/dkms.sh install   'make dkms': copy the sources to
#                             /usr/src/synq-<version>, dkms add, then dkms
#                             build and install for every installed kernel
#                             with headers (and, AUTOINSTALL, for kernels
#                             installed later); modprobe synq works then
#   scripts/dkms.sh remove    'make dkms-remove': dkms remove --all, and
#                             the copy in /usr/src
#   scripts/dkms.sh stage DIR only the copy, into DIR/synq-<version>
#                             (scripts/check-dkms.sh builds from there)
#   scripts/dkms.sh version   the version: 'git describe', '-' made '.'
#
# Run as root for install and remove.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$TOP"

version() {
	local v
	v=$(git describe --always --dirty 2>/dev/null) || v=0.1
	v=${v#v}
	echo "${v//-/.}"
}

# stage DIR: DIR/synq-VERSION holds what DKMS builds from.
stage() {
	local dir=$1/synq-$VERSION
	rm -rf "$dir"
	mkdir -p "$dir/module/uapi"
	cp Kbuild COPYING "$dir/"
	cp module/Kbuild module/compat-probe.sh module/*.c module/*.h "$dir/module/"
	rm -f "$dir"/module/*.mod.c "$dir/module/compat-generated.h"
	cp module/uapi/*.h "$dir/module/uapi/"
	sed "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$VERSION\"/" dkms.conf > "$dir/dkms.conf"
}

# Installed kernels that have headers to build against.
kernels() {
	local d
	for d in /lib/modules/*; do
		[ -e "$d/build/Makefile" ] && echo "${d##*/}"
	done | sort -V
}

VERSION=$(version)
case "${1:-}" in
version)
	echo "$VERSION"
	;;
stage)
	stage "${2:?usage: dkms.sh stage DIR}"
	echo "$2/synq-$VERSION"
	;;
install)
	command -v dkms >/dev/null || { echo "dkms.sh: dkms missing: apt-get install dkms" >&2; exit 1; }
	if dkms status -m synq -v "$VERSION" | grep -q .; then
		dkms remove -m synq -v "$VERSION" --all
	fi
	stage /usr/src
	dkms add -m synq -v "$VERSION"
	rc=0
	for k in $(kernels); do
		if dkms build -m synq -v "$VERSION" -k "$k" &&
		   dkms install -m synq -v "$VERSION" -k "$k"; then
			echo "dkms.sh: synq $VERSION installed for $k"
		else
			echo "dkms.sh: synq $VERSION: build for $k FAILED (see /var/lib/dkms/synq/$VERSION/build/make.log)" >&2
			rc=1
		fi
	done
	dkms status -m synq
	exit "$rc"
	;;
remove)
	if dkms status -m synq -v "$VERSION" | grep -q .; then
		dkms remove -m synq -v "$VERSION" --all
	fi
	rm -rf "/usr/src/synq-$VERSION"
	;;
*)
	echo "usage: scripts/dkms.sh install|remove|stage DIR|version" >&2
	exit 2
	;;
esac
