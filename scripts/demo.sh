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

step "sysctls: net.synq.*"
if [ -d /proc/sys/net/synq ]; then
	sysctl net.synq
else
	echo "(none yet)"
fi

step "socket(AF_INET, SOCK_STREAM, $(cat /sys/module/synq/parameters/proto 2>/dev/null || echo 253))"
python3 - "$(cat /sys/module/synq/parameters/proto 2>/dev/null || echo 253)" <<'PY' || true
import socket, sys
proto = int(sys.argv[1])
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
except OSError as e:
    print(f"socket(): {e}")
    sys.exit(0)
s.bind(("127.0.0.1", 0))
s.listen(16)
print(f"listening on {s.getsockname()} with protocol {proto}")
s.close()
PY

step "dmesg | grep synq"
dmesg | grep -i synq | grep -v 'synq-vm:' || true

step "rmmod synq"
rmmod synq
dmesg | grep -i 'synq' | grep -v 'synq-vm:' | tail -n 1
echo
echo "demo done"
