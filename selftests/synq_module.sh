#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The synq module itself: loaded, its parameters and modinfo, a second
# insmod refused, rmmod leaves no trace, insmod again restores it.
# Ends with synq loaded, as it found it.

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

check_reinsmod() {
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
ksft_run "insmod again restores synq" check_reinsmod
ksft_exit
