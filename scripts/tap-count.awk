# SPDX-License-Identifier: GPL-2.0
#
# Counts the results in kselftest TAP output at the innermost level: the
# subtests of a test that prints nested TAP ("# ok 3 global.foo" from
# kselftest_harness.h, "# ok 2 rmmod ..." from selftests/lib.sh), else the
# test itself.  A test that fails with no failed subtest (crash, timeout)
# counts one more failure.  "ok ... # SKIP" is a skip; "# XFAIL" a pass.
#
# Prints: "<passed> <failed> <skipped>".

function add_subtests() {
	passed += sp; failed += sf; skipped += ss
	sp = sf = ss = nsub = 0
}

{
	line = $0
	depth = 0
	while (substr(line, 1, 2) == "# ") {
		line = substr(line, 3)
		depth++
	}
	if (line !~ /^(not )?ok( |$)/)
		next
	notok = (line ~ /^not ok/)
	skip = (line ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
	if (depth == 1) {
		nsub++
		if (notok)
			sf++
		else if (skip)
			ss++
		else
			sp++
	} else if (depth == 0) {
		if (nsub > 0) {
			if (notok && sf == 0)
				failed++
			add_subtests()
		} else if (notok) {
			failed++
		} else if (skip) {
			skipped++
		} else {
			passed++
		}
	}
}

END {
	add_subtests()
	printf "%d %d %d\n", passed, failed, skipped
}
