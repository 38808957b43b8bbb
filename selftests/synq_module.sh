#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The synq module itself: loaded, its parameters and modinfo, a second
# insmod refused, rmmod leaves no trace; the in-module selftests (a build
# with SYNQ_SELFTEST=1, $SYNQ_SELFTEST_KO, which make check builds beside
# the module: their insmod runs them, see module/selftest.h); insmod again
# restores synq.  Ends with synq loaded, as it found it.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd insmod rmmod lsmod modinfo
require_synq

check_loaded() {
	[ -d /sys/module/synq ] || fail "/sys/module/synq missing"
	lsmod | grep -q '^synq ' || fail "synq not in lsmod"
	[ "$(cat /sys/module/synq/initstate)" = live ] ||
		fail "initstate is $(cat /sys/module/synq/initstate)"
	# The loaded module is this repo's module/synq.ko.
	[ "$(cat /sys/module/synq/srcversion)" = "$(modinfo -F srcversion "$SYNQ_KO")" ] ||
		fail "loaded synq is not $SYNQ_KO (srcversion differs)"
}

check_params() {
	local p
	[ -d /sys/module/synq/parameters ] || fail "no /sys/module/synq/parameters"
	for p in /sys/module/synq/parameters/*; do
		log "${p##*/} = $(cat "$p")"
	done
	[ -r /sys/module/synq/parameters/proto ] || fail "no parameter proto"
	[ "$(cat /sys/module/synq/parameters/proto)" = "$SYNQ_PROTO" ] ||
		fail "proto is $(cat /sys/module/synq/parameters/proto), want $SYNQ_PROTO"
	modinfo -F parm "$SYNQ_KO" | grep -q '^proto:' ||
		fail "modinfo lists no parameter proto"
}

check_modinfo() {
	local ver
	modinfo "$SYNQ_KO" | sed 's/^/# /'
	[ "$(modinfo -F license "$SYNQ_KO")" = GPL ] || fail "license is not GPL"
	[ -n "$(modinfo -F description "$SYNQ_KO")" ] || fail "no description"
	ver=$(modinfo -F version "$SYNQ_KO")
	[ -n "$ver" ] || fail "no version"
	[ "$(cat /sys/module/synq/version)" = "$ver" ] ||
		fail "/sys/module/synq/version differs from modinfo"
	modinfo -F alias "$SYNQ_KO" | grep -qx "net-pf-2-proto-$SYNQ_PROTO-type-1" ||
		fail "no alias net-pf-2-proto-$SYNQ_PROTO-type-1"
}

check_second_insmod() {
	local out
	if out=$(insmod "$SYNQ_KO" 2>&1); then
		fail "a second insmod succeeded"
	fi
	log "insmod: $out"
	echo "$out" | grep -q "File exists" || fail "insmod did not say File exists"
	[ -d /sys/module/synq ] || fail "synq gone after the second insmod"
}

check_rmmod() {
	[ "$(cat /sys/module/synq/refcnt)" = 0 ] ||
		fail "refcnt is $(cat /sys/module/synq/refcnt) before rmmod"
	rmmod synq || fail "rmmod failed"
	[ ! -e /sys/module/synq ] || fail "/sys/module/synq still there"
	! grep -q '^synq ' /proc/modules || fail "synq still in /proc/modules"
	! lsmod | grep -q '^synq ' || fail "synq still in lsmod"
}

# The selftest build: its insmod must succeed and log every test passed
# (one failing fails the insmod); then it goes as it came.
check_selftests() {
	local out mark=$RANDOM$RANDOM
	if [ -z "${SYNQ_SELFTEST_KO:-}" ] || [ ! -r "$SYNQ_SELFTEST_KO" ]; then
		skip_tool "no selftest build (SYNQ_SELFTEST_KO=${SYNQ_SELFTEST_KO:-}: make check builds it)"
		return
	fi
	[ ! -d /sys/module/synq ] || fail "synq is loaded" || return 1
	echo "synq_module.sh: selftests $mark" > /dev/kmsg
	out=$(insmod "$SYNQ_SELFTEST_KO" 2>&1) || fail "insmod $SYNQ_SELFTEST_KO: $out"
	dmesg | sed -n "/synq_module.sh: selftests $mark/,\$p" | grep 'synq: selftest' |
		sed 's/^/# /'
	out=$(dmesg | sed -n "/synq_module.sh: selftests $mark/,\$p")
	! grep -q 'synq: selftest.*FAIL' <<< "$out" || fail "a selftest failed"
	grep -Eq 'synq: selftests: [1-9][0-9]* passed' <<< "$out" ||
		fail "no 'synq: selftests: N passed' in the log"
	rmmod synq || fail "rmmod of the selftest build failed"
}

check_reinsmod() {
	# A selftest build left behind by a failure above goes first.
	if [ -d /sys/module/synq ] &&
	   [ "$(cat /sys/module/synq/srcversion)" != "$(modinfo -F srcversion "$SYNQ_KO")" ]; then
		rmmod synq || fail "cannot rmmod the synq loaded"
	fi
	if [ ! -d /sys/module/synq ]; then
		insmod "$SYNQ_KO" || fail "insmod failed"
	fi
	check_loaded
	[ "$(cat /sys/module/synq/parameters/proto)" = "$SYNQ_PROTO" ] ||
		fail "proto is not $SYNQ_PROTO after reloading"
}

ksft_run "synq is loaded" check_loaded
ksft_run "parameters in /sys/module/synq/parameters" check_params
ksft_run "modinfo: license, description, version, alias" check_modinfo
ksft_run "second insmod fails with File exists" check_second_insmod
ksft_run "rmmod leaves no trace" check_rmmod
ksft_run "in-module selftests (SYNQ_SELFTEST=1 build): all pass at insmod" \
	check_selftests
ksft_run "insmod again restores synq" check_reinsmod
ksft_exit
