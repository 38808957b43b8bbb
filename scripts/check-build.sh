#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side build tests, part of 'make check' (nothing here is loaded):
#
#  - the DKMS packaging: stage the sources as scripts/dkms.sh does, then
#    'dkms add' and 'dkms build' for each supported kernel
#    (scripts/kernels.sh), all in private DKMS trees (--sourcetree,
#    --dkmstree, --installtree below a temporary directory: nothing is
#    installed, /usr/src and /var/lib/dkms are left alone), and check each
#    synq.ko's vermagic, version and compat line;
#  - an unsupported kernel: a copy (symlinks) of the oldest kernel's
#    headers with one feature synq needs taken out of them fails the build
#    at once, naming that feature, with no compiler errors.
#
# Output: TAP, then "N passed, N failed, N skipped".
# Usage: scripts/check-build.sh [KVER...]   (default: scripts/kernels.sh)

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$TOP" || exit 1

kvers=("$@")
[ "${#kvers[@]}" -gt 0 ] || mapfile -t kvers < <(scripts/kernels.sh)
passed=0 failed=0 skipped=0 n=0
result() {	# result ok|fail|skip NAME [WHY]
	n=$((n + 1))
	case $1 in
	ok) echo "ok $n build: $2"; passed=$((passed + 1)) ;;
	skip) echo "ok $n build: $2 # SKIP $3"; skipped=$((skipped + 1)) ;;
	*) echo "not ok $n build: $2${3:+: $3}"; failed=$((failed + 1)) ;;
	esac
}
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

echo "1..$((${#kvers[@]} + 2))"
if ! command -v dkms >/dev/null; then
	if [ -n "${SYNQ_EXPECT_ALL:-}" ]; then
		result fail "dkms installed" "dkms missing (scripts/setup.sh installs it)"
	else
		result skip "dkms installed" "dkms missing"
	fi
	finish
fi
version=$(scripts/dkms.sh version)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/synq-dkms.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/src" "$TMP/dkms" "$TMP/install"
trees=(--sourcetree "$TMP/src" --dkmstree "$TMP/dkms" --installtree "$TMP/install")
if src=$(scripts/dkms.sh stage "$TMP/src") &&
   out=$(dkms add "${trees[@]}" -m synq -v "$version" 2>&1); then
	result ok "dkms add synq/$version ($src)"
else
	echo "$out" | sed 's/^/# /'
	result fail "dkms add synq/$version"
	kvers=()
fi
for k in "${kvers[@]}"; do
	name="dkms build -k $k"
	if ! out=$(dkms build "${trees[@]}" -m synq -v "$version" -k "$k" 2>&1); then
		echo "$out" | tail -n 20 | sed 's/^/# /'
		log=$TMP/dkms/synq/$version/build/make.log
		[ -r "$log" ] && tail -n 20 "$log" | sed 's/^/# make.log: /'
		result fail "$name" "build failed"
		continue
	fi
	ko=$(find "$TMP/dkms/synq/$version/$k" -name 'synq.ko*' | head -n 1)
	if [ -z "$ko" ]; then
		result fail "$name" "no synq.ko in the DKMS tree"
		continue
	fi
	vermagic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
	ver=$(modinfo -F version "$ko")
	compat=$(modinfo -F compat "$ko")
	echo "# $k: $(basename "$ko"): vermagic $vermagic, version $ver, compat: $compat"
	if [ "$vermagic" != "$k" ]; then
		result fail "$name" "vermagic $vermagic"
	elif [ "$ver" != "$version" ]; then
		result fail "$name" "version $ver, want $version"
	elif [ -z "$compat" ]; then
		result fail "$name" "no compat line in modinfo"
	else
		result ok "$name: vermagic $vermagic"
	fi
done

# A kernel without ip_sock_rt_tos(): the oldest kernel's headers, but for
# that one function in include/net/route.h.
unsupported() {
	local k=$1 kdir common route fake out n l t
	kdir=$(readlink -f "/lib/modules/$k/build")
	# Debian's split headers: the -amd64 tree includes the -common one.
	common=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$kdir/Makefile")
	route=${common:-$kdir}/include/net/route.h
	fake=$TMP/fake
	mkdir -p "$fake/usr/src" "$fake/usr/lib"
	# The build tree's relative links (scripts -> ../../lib/linux-kbuild-X).
	for l in "$kdir"/scripts "$kdir"/tools; do
		[ -L "$l" ] || continue
		t=$(readlink -f "$l")
		t=${t%/*}
		[ -e "$fake/usr/lib/${t##*/}" ] || ln -s "$t" "$fake/usr/lib/${t##*/}"
	done
	cp -as "$kdir" "$fake/usr/src/" || return 1
	rm -f "$fake/usr/src/${kdir##*/}/Makefile"
	if [ -n "$common" ]; then
		cp -as "$common" "$fake/usr/src/" || return 1
		echo "include $fake/usr/src/${common##*/}/Makefile" > "$fake/usr/src/${kdir##*/}/Makefile"
		common=$fake/usr/src/${common##*/}
	else
		cp "$kdir/Makefile" "$fake/usr/src/${kdir##*/}/Makefile"
		common=$fake/usr/src/${kdir##*/}
	fi
	rm -f "$common/include/net/route.h"
	sed 's/ip_sock_rt_tos/ip_sock_rt_tos_gone/g' "$route" > "$common/include/net/route.h"
	cp -r module Kbuild "$TMP/"
	rm -f "$TMP/module/compat-generated.h" "$TMP"/module/*.o
	out=$(make -C "$fake/usr/src/${kdir##*/}" M="$TMP" SYNQ_VERSION=x modules 2>&1) && {
		echo "# the build succeeded"
		return 1
	}
	echo "$out" | grep '^synq:' | sed 's/^/# /'
	n=$(echo "$out" | grep -c -E '(error|warning):')
	echo "$out" | grep -q 'synq: unsupported kernel.*ip_sock_rt_tos()' || {
		echo "$out" | tail -n 20 | sed 's/^/# /'
		echo "# no message naming ip_sock_rt_tos()"
		return 1
	}
	[ "$n" = 0 ] || { echo "# $n compiler error/warning lines as well"; return 1; }
}
if [ "${#kvers[@]}" = 0 ]; then
	result skip "unsupported kernel: clear build error" "no kernel"
elif unsupported "${kvers[0]}"; then
	result ok "unsupported kernel (${kvers[0]} without ip_sock_rt_tos()): one clear build error"
else
	result fail "unsupported kernel (${kvers[0]} without ip_sock_rt_tos()): one clear build error"
fi
finish
