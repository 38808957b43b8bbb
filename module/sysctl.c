// SPDX-License-Identifier: GPL-2.0
/*
 * synq: net.synq.* sysctls, one set per network namespace.
 *
 * A new namespace starts from the defaults; writes need CAP_NET_ADMIN in the
 * namespace's user namespace (net_ctl_permissions), and values out of bounds
 * fail with EINVAL and change nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/tcp.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "netns.h"

static int synq_one = 1;
static int synq_two = 2;
static int synq_max_backlog = 1 << 24;
static int synq_max_retries = MAX_TCP_SYNCNT;	/* as TCP_SYNCNT */
static int synq_max_pause_ms = 60000;

static const struct ctl_table synq_sysctl_template[] = {
	{
		.procname	= "max_syn_backlog",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &synq_one,
		.extra2		= &synq_max_backlog,
	},
	{
		.procname	= "synack_retries",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &synq_max_retries,
	},
	{
		.procname	= "syncookies",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &synq_two,
	},
	{
		.procname	= "abort_on_overflow",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "cookie_pause_threshold",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_INT_MAX,
	},
	{
		.procname	= "cookie_pause_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &synq_one,
		.extra2		= &synq_max_pause_ms,
	},
	{ }
};

int synq_sysctl_net_init(struct synq_net *sn)
{
	struct ctl_table *table;

	table = kmemdup(synq_sysctl_template, sizeof(synq_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &sn->max_syn_backlog;
	table[1].data = &sn->synack_retries;
	table[2].data = &sn->syncookies;
	table[3].data = &sn->abort_on_overflow;
	table[4].data = &sn->cookie_pause_threshold;
	table[5].data = &sn->cookie_pause_ms;

	/* The {} sentinel ends the table, and is not one of its entries. */
	sn->sysctl_hdr = synq_register_net_sysctl(sn->net, "net/synq", table,
						  ARRAY_SIZE(synq_sysctl_template) - 1);
	if (!sn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void synq_sysctl_net_exit(struct synq_net *sn)
{
	const struct ctl_table *table = sn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(sn->sysctl_hdr);
	kfree(table);
}
