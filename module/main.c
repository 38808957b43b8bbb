// SPDX-License-Identifier: GPL-2.0
/*
 * synq: a TCP listener with its own hashed SYN table.
 *
 * Module entry points: parameters, init in order, exit in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>

#include "synq.h"

static int __init synq_init(void)
{
	pr_info("loaded, version %s\n", SYNQ_VERSION);
	return 0;
}

static void __exit synq_exit(void)
{
	pr_info("unloaded\n");
}

module_init(synq_init);
module_exit(synq_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("synq: TCP listener with a hashed SYN table and SYN cookies");
MODULE_AUTHOR("synq developers");
MODULE_VERSION(SYNQ_VERSION);
MODULE_ALIAS("net-pf-2-proto-253-type-1");
