#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Idempotent set-up of a synq build and test machine (Debian 12, amd64).
#
#  1. apt-get installs what the build, the QEMU test bed and the tests need
#     (apt-get update first, and only when something is missing);
#  2. installs the second kernel synq supports, the 6.12 LTS line, beside
#     Debian 12's 6.1: its image, headers and source.  It adds the
#     bookworm-backports suite to apt's sources for that (once, as
#     /etc/apt/sources.list.d/synq-bookworm-backports.sources) and takes
#     the newest linux-image-6.12.*+deb12-amd64 apt offers (backports, or
#     bookworm-security, which carries the newer 6.12 builds), or the one
#     SYNQ_K612=<abi> names (e.g. 6.12.95+deb12-amd64);
#  3. extracts the kselftest framework and checkpatch.pl from Debian's
#     linux-source tarball of the newest kernel into .cache/ksft/ (never
#     into the repo).
#
# A second run is a quick no-op.  Must run as root when packages are missing.
#
# Usage: scripts/setup.sh [--check]
#   --check  only report what is missing; exit 1 if anything is.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${SYNQ_CACHE:-$TOP/.cache}
KSFT=$CACHE/ksft

# Build, VM test bed, lint, and the tools later tests use.
PACKAGES=(
	gcc make perl python3 git xz-utils cpio kmod procps util-linux rsync
	sparse shellcheck
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	# 6.12's headers ship vmlinux: module BTF needs pahole; DKMS packaging
	pahole dkms
	qemu-system-x86 busybox-static
	iproute2 nftables hping3 tcpdump curl ethtool linux-perf jq
	# synq_frontdoor.sh: iptables-nft; synq_firewall.sh on the debug
	# kernel (no /proc/net/nf_conntrack): conntrack -L
	iptables conntrack
	nginx-light apache2-utils
	# the debug kernel (scripts/debug-kernel.sh)
	flex bison bc libelf-dev libssl-dev
)

check_only=0
[ "${1:-}" = "--check" ] && check_only=1

log() { echo "setup: $*"; }

missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}" "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		case "$status" in
		ii*) ;;
		*) echo "$pkg" ;;
		esac
	done
}

apt_install() {
	local policy=/usr/sbin/policy-rc.d made_policy=0

	if [ "$(id -u)" != 0 ]; then
		echo "setup: need root to install: $*" >&2
		exit 1
	fi
	# Installing nginx must not start a web server on this machine.
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	log "apt-get install $*"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "$@" </dev/null; then
		log "install failed; running apt-get update and retrying"
		apt-get update -q </dev/null
		apt-get install -y -q --no-install-recommends "$@" </dev/null
	fi
	[ "$made_policy" = 1 ] && rm -f "$policy"
	return 0
}

# --- the 6.12 line, beside 6.1 --------------------------------------------

BACKPORTS_LIST=/etc/apt/sources.list.d/synq-bookworm-backports.sources

# An installed 6.12 kernel with its headers, if any.
installed_612() {
	local d
	for d in /lib/modules/6.12.*+deb12-amd64; do
		[ -e "$d/build/Module.symvers" ] && [ -e "/boot/vmlinuz-${d##*/}" ] &&
			echo "${d##*/}"
	done | sort -V | tail -n 1
}

add_backports() {
	if grep -rqs --include='*.list' --include='*.sources' -E \
		'^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d; then
		return 1
	fi
	log "adding bookworm-backports to apt's sources ($BACKPORTS_LIST)"
	cat > "$BACKPORTS_LIST" <<'SOURCES'
# Added by synq's scripts/setup.sh: the 6.12 LTS kernel line for Debian 12.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}

install_612() {
	local abi version
	[ -z "$(installed_612)" ] || return 0
	if [ "$check_only" = 1 ]; then
		log "missing: a linux-image-6.12.*+deb12-amd64 kernel with headers"
		exit 1
	fi
	[ "$(id -u)" = 0 ] || { echo "setup: need root to install the 6.12 kernel" >&2; exit 1; }
	if add_backports || [ -z "$(apt-cache search --names-only '^linux-image-6\.12\.' 2>/dev/null)" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
	fi
	abi=${SYNQ_K612:-$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{ sub(/^linux-image-/, "", $1); print $1 }' | sort -V | tail -n 1)}
	[ -n "$abi" ] || { echo "setup: apt offers no linux-image-6.12.*+deb12-amd64" >&2; exit 1; }
	version=$(apt-cache show --no-all-versions "linux-image-$abi" | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$version" ] || { echo "setup: no package linux-image-$abi" >&2; exit 1; }
	log "installing the 6.12 kernel $abi ($version) beside 6.1"
	apt_install "linux-image-$abi" "linux-headers-$abi" "linux-source-6.12=$version"
}

# The newest Debian -amd64 kernel with both an image and headers.
kernel_version() {
	local d v
	for d in /lib/modules/*-amd64; do
		v=${d##*/}
		if [ -e "/boot/vmlinuz-$v" ] && [ -e "$d/build" ]; then
			echo "$v"
		fi
	done | sort -V | tail -n 1
}

# --- 1. packages ----------------------------------------------------------

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$check_only" = 1 ]; then
		log "missing packages: ${missing[*]}"
		exit 1
	fi
	if [ "$(id -u)" = 0 ]; then
		log "missing packages: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
		apt_install "${missing[@]}"
	else
		echo "setup: missing packages (run as root): ${missing[*]}" >&2
		exit 1
	fi
fi

install_612

KVER=$(kernel_version)
if [ -z "$KVER" ]; then
	echo "setup: no -amd64 kernel with headers found in /lib/modules" >&2
	exit 1
fi
# linux-source-X.Y matching the kernel (e.g. 6.1.0-56-amd64 -> 6.1).
KSERIES=$(echo "$KVER" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
SRCPKG=linux-source-$KSERIES
TARBALL=/usr/src/$SRCPKG.tar.xz

mapfile -t missing < <(missing_packages "$SRCPKG")
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$check_only" = 1 ]; then
		log "missing packages: ${missing[*]}"
		exit 1
	fi
	apt_install "${missing[@]}"
fi
if [ ! -r "$TARBALL" ]; then
	echo "setup: $TARBALL not found (package $SRCPKG)" >&2
	exit 1
fi

# --- 3. kselftest framework and checkpatch from the kernel source --------

# What we take from the kernel source tree, and nothing else.
KSRC_FILES=(
	'tools/testing/selftests/lib.mk'
	'tools/testing/selftests/kselftest.h'
	'tools/testing/selftests/kselftest_harness.h'
	'tools/testing/selftests/kselftest_module.h'
	'tools/testing/selftests/kselftest/*'
	'scripts/checkpatch.pl'
	'scripts/spelling.txt'
	'scripts/const_structs.checkpatch'
)

stamp_want="$(stat -c '%n %s %Y' "$TARBALL") ${KSRC_FILES[*]}"
if [ -r "$KSFT/.stamp" ] && [ "$(cat "$KSFT/.stamp")" = "$stamp_want" ]; then
	[ "$check_only" = 1 ] && log "all set (kernel $KVER)"
	exit 0
fi
if [ "$check_only" = 1 ]; then
	log "kselftest framework not extracted in $KSFT"
	exit 1
fi

log "extracting kselftest framework and checkpatch from $TARBALL"
rm -rf "$KSFT.tmp"
mkdir -p "$KSFT.tmp"
tar -xJf "$TARBALL" -C "$KSFT.tmp" --strip-components=1 --wildcards \
	"${KSRC_FILES[@]/#/$SRCPKG/}"
for f in tools/testing/selftests/lib.mk tools/testing/selftests/kselftest_harness.h \
	 tools/testing/selftests/kselftest/runner.sh scripts/checkpatch.pl; do
	if [ ! -e "$KSFT.tmp/$f" ]; then
		echo "setup: $f missing from $TARBALL" >&2
		exit 1
	fi
done
echo "$stamp_want" > "$KSFT.tmp/.stamp"
rm -rf "$KSFT"
mv "$KSFT.tmp" "$KSFT"
log "done (kernel $KVER, kselftest in ${KSFT#"$TOP"/})"
