#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The synq demo.  Runs INSIDE a VM ('make demo' starts it through
# scripts/vm.sh): loads module/synq.ko and shows it at work.
#
# Usage: scripts/demo.sh    (as root, on a machine that may load modules)

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
KO=${SYNQ_KO:-$TOP/module/synq.ko}

step() { printf '\n== %s\n' "$*"; }

step "kernel $(uname -r): insmod $KO"
insmod "$KO"

step "lsmod"
lsmod | grep -E '^(Module|synq) '

step "modinfo $KO"
modinfo "$KO"

step "parameters: /sys/module/synq/parameters/*"
if [ -d /sys/module/synq/parameters ]; then
	for p in /sys/module/synq/parameters/*; do
		printf '%-28s %s\n' "${p##*/}" "$(cat "$p")"
	done
else
	echo "(none)"
fi

step "dmesg | grep synq"
dmesg | grep -i synq | grep -v 'synq-vm:' || true

step "rmmod synq"
rmmod synq
dmesg | grep -i 'synq' | grep -v 'synq-vm:' | tail -n 1
echo
echo "demo done"
