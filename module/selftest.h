/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: in-module selftests, built only with `make SYNQ_SELFTEST=1` (the
 * test suite's synq_selftest.sh loads such a build).  Each checks, with
 * the module's own static functions, a property that only a race on
 * another CPU would show from outside; selftest/<file>.c is included at
 * the end of the <file>.c it tests, as WireGuard includes its own.  They
 * run at insmod, before synq registers its socket type; one failing makes
 * the insmod fail (-ENOTRECOVERABLE) after naming itself in the log.
 */
#ifndef _SYNQ_SELFTEST_H
#define _SYNQ_SELFTEST_H

#include <linux/printk.h>
#include <linux/types.h>

#ifdef SYNQ_SELFTEST
/* true if @cond holds; else the failure, with the test's name, is logged */
#define SYNQ_CHECK(cond, fmt, ...) ({					\
	bool __synq_ok = (cond);					\
	if (!__synq_ok)							\
		pr_err("selftest %s: FAIL: " fmt "\n", __func__,	\
		       ##__VA_ARGS__);					\
	__synq_ok;							\
})

bool synq_selftest_reqsk(void);
bool synq_selftest_inherit(void);
bool synq_selftest_syn_table(void);
bool synq_selftest_syn(void);
int synq_selftests_run(void);
#else
static inline int synq_selftests_run(void)
{
	return 0;
}
#endif

#endif /* _SYNQ_SELFTEST_H */
