#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# synq's benchmarks against Linux's own TCP listener, in one QEMU VM:
# builds tools/bench/synq_bench (into .cache/bench/), boots the VM with
# scripts/vm.sh and runs scripts/bench-vm.sh there, which prints a table of
# medians and synq/TCP ratios.  See Documentation/benchmarks.rst.
#
# Usage: scripts/bench.sh          (make bench: set-up and module build first)
#
# Settings (environment; BENCH_X is passed to the VM as SYNQ_BENCH_X):
#   BENCH_ONLY="accept flood mem mem6 scale"   BENCH_RUNS=3
#   BENCH_ACCEPT_N="1 8 64"  BENCH_ACCEPT_T=2  BENCH_ACCEPT_SECS=5
#   BENCH_ACCEPT_VETH=0      BENCH_FLOOD_SECS=10  BENCH_FLOOD_RATE=0 (--flood)
#   BENCH_PROBE_T=2          BENCH_MEM_N=10000 (a list: one figure each)
#   BENCH_SCALE_N=1000000    BENCH_SCALE_RUNS=1
#   BENCH_PERF=0 (1: perf profiles of the accept and flood runs)
#   BENCH_QUICK=1: RUNS=3, ACCEPT_SECS=3, FLOOD_SECS=5, MEM_N=2000, SCALE_N=50000
# and SYNQ_VM_TIMEOUT (default here 5400), SYNQ_VM_MEM (default here 4096).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$TOP"

mkdir -p .cache/bench
${CC:-cc} -O2 -g -Wall -Wextra -Wno-unused-parameter -Imodule/uapi \
	-o .cache/bench/synq_bench tools/bench/synq_bench.c -lpthread
[ -e module/synq.ko ] || { echo "bench: module/synq.ko missing: make module" >&2; exit 1; }

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_ACCEPT_SECS:=3}" "${BENCH_FLOOD_SECS:=5}" "${BENCH_MEM_N:=2000}"
	: "${BENCH_SCALE_N:=50000}"
fi
for v in ONLY RUNS ACCEPT_N ACCEPT_T ACCEPT_SECS ACCEPT_VETH FLOOD_SECS FLOOD_RATE PROBE_T \
	 MEM_N SCALE_N SCALE_RUNS PERF; do
	b=BENCH_$v
	if [ -n "${!b:-}" ]; then
		export "SYNQ_BENCH_$v=${!b}"
	fi
done
export SYNQ_VM_TIMEOUT=${SYNQ_VM_TIMEOUT:-5400}
export SYNQ_VM_MEM=${SYNQ_VM_MEM:-4096}
exec scripts/vm.sh scripts/bench-vm.sh
