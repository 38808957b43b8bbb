# SPDX-License-Identifier: GPL-2.0
# Kernel log lines that mean a test failed: one extended regex a line,
# joined with '|' by selftests/lib.sh, scripts/run-selftests.sh and
# scripts/vm.sh.  ' [#1] ' is an oops header ("int3: 0000 [#1] ...").
WARNING:
BUG:
Oops
 \[#[0-9]+\]
general protection fault
Kernel panic
kernel BUG
Call Trace:
UBSAN:
KASAN:
INFO: task .* blocked
INFO: rcu
watchdog: BUG
refcount_t:
list_add corruption
list_del corruption
