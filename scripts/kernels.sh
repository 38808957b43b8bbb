#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernels synq is built and tested for on this machine, oldest first:
# every Debian -amd64 kernel of a supported line (6.1, 6.12) that has both
# its image (/boot/vmlinuz-<ver>, for the VM) and its headers
# (/lib/modules/<ver>/build).  scripts/setup.sh installs one of each line.
#
# Usage: scripts/kernels.sh [--newest]

set -euo pipefail

list() {
	local d v
	for d in /lib/modules/*-amd64; do
		v=${d##*/}
		case "$v" in
		6.1.*|6.12.*) ;;
		*) continue ;;
		esac
		[ -e "/boot/vmlinuz-$v" ] && [ -e "$d/build/Module.symvers" ] && echo "$v"
	done | sort -V
}

# Of each line, the newest (a machine may keep an older 6.12 beside a newer).
newest_of_each() {
	list | awk '{ s = $0; sub(/^6\.1\..*/, "6.1", s); sub(/^6\.12\..*/, "6.12", s);
		      last[s] = $0; if (!(s in seen)) { seen[s] = 1; order[n++] = s } }
		    END { for (i = 0; i < n; i++) print last[order[i]] }'
}

if [ "${1:-}" = --newest ]; then
	newest_of_each | tail -n 1
else
	newest_of_each
fi
