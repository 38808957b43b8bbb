// SPDX-License-Identifier: GPL-2.0
/*
 * synq: a TCP listener with its own hashed SYN table.
 *
 * Module entry points: parameters, init in order, exit in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "compat.h"
#include "cookies.h"
#include "input.h"
#include "listener.h"
#include "md5.h"
#include "selftest.h"

static int proto = IPPROTO_SYNQ;
module_param(proto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number of synq sockets (default 253, below 263, not a taken stream protocol)");

static int __init synq_init(void)
{
	int err;

	if (!synq_cookie_period_valid())
		return -EINVAL;
	err = synq_syn_table_init();
	if (err)
		return err;
	synq_input_key_hold();
	err = synq_md5_init();
	if (err)
		goto err_key;
	err = synq_netns_init();
	if (err)
		goto err_md5;
	err = synq_selftests_run();
	if (err)
		goto err_netns;
	err = synq_socket_init(proto);
	if (err)
		goto err_netns;
	pr_info("loaded, version %s, protocol %d\n", SYNQ_VERSION, proto);
	return 0;

err_netns:
	synq_netns_exit();
err_md5:
	synq_md5_exit();
err_key:
	synq_input_key_release();
	synq_syn_table_exit();
	return err;
}

static void __exit synq_exit(void)
{
	synq_socket_exit();
	synq_netns_exit();
	synq_md5_exit();
	synq_input_key_release();
	synq_syn_table_exit();
	pr_info("unloaded\n");
}

#ifdef SYNQ_SELFTEST
#include "selftest/run.c"
#endif

module_init(synq_init);
module_exit(synq_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("synq: TCP listener with a hashed SYN table and SYN cookies");
MODULE_AUTHOR("synq developers");
MODULE_VERSION(SYNQ_VERSION);
/* Which TCP functions are the kernel's, and which synq's copies (compat.c). */
MODULE_INFO(compat, SYNQ_COMPAT_INFO);
MODULE_ALIAS("net-pf-2-proto-253-type-1");
MODULE_ALIAS("net-pf-10-proto-253-type-1");
