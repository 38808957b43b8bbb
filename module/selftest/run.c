// SPDX-License-Identifier: GPL-2.0
/*
 * synq selftests: the runner (included by main.c with SYNQ_SELFTEST).
 */

int __init synq_selftests_run(void)
{
	static bool (*const tests[])(void) __initconst = {
		synq_selftest_reqsk,
		synq_selftest_inherit,
		synq_selftest_syn_table,
		synq_selftest_syn,
	};
	unsigned int i, failed = 0;

	for (i = 0; i < ARRAY_SIZE(tests); i++)
		failed += !tests[i]();
	if (failed) {
		pr_err("selftests: %u of %zu failed\n", failed, ARRAY_SIZE(tests));
		return -ENOTRECOVERABLE;
	}
	pr_info("selftests: %zu passed\n", ARRAY_SIZE(tests));
	return 0;
}
