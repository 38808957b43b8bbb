// SPDX-License-Identifier: GPL-2.0
/*
 * synq: /proc/net/synq (one line per listener) and /proc/net/stat/synq
 * (the netns counters, in /proc/net/netstat's two-line layout).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/tcp.h>

#include "cookies.h"
#include "listener.h"

static const char * const synq_mib_names[SYNQ_MIB_MAX] = {
	[SYNQ_MIB_SYNS]			= "Syns",
	[SYNQ_MIB_SYNACKS]		= "SynAcks",
	[SYNQ_MIB_SYNACK_RETRANS]	= "SynAckRetrans",
	[SYNQ_MIB_DUPSYNS]		= "DupSyns",
	[SYNQ_MIB_EXPIRED]		= "Expired",
	[SYNQ_MIB_RSTS]			= "RstRemoved",
	[SYNQ_MIB_CHILDREN]		= "Children",
	[SYNQ_MIB_LISTENOVERFLOWS]	= "ListenOverflows",
	[SYNQ_MIB_LISTENDROPS]		= "ListenDrops",
	[SYNQ_MIB_REQQFULLDROP]		= "ReqQFullDrop",
	[SYNQ_MIB_BADACKS]		= "BadAcks",
	[SYNQ_MIB_CSUMERRORS]		= "CsumErrors",
	[SYNQ_MIB_MALFORMED]		= "Malformed",
	[SYNQ_MIB_TWREUSE]		= "TwRecycled",
	[SYNQ_MIB_NOROUTE]		= "NoRoute",
	[SYNQ_MIB_NOMEM]		= "NoMem",
	[SYNQ_MIB_REQQFULLDOCOOKIES]	= "ReqQFullDoCookies",
	[SYNQ_MIB_SYNCOOKIESSENT]	= "SyncookiesSent",
	[SYNQ_MIB_SYNCOOKIESRECV]	= "SyncookiesRecv",
	[SYNQ_MIB_SYNCOOKIESFAILED]	= "SyncookiesFailed",
	[SYNQ_MIB_PAUSES]		= "CookiePauses",
	[SYNQ_MIB_PAUSEDCOOKIES]	= "PausedCookies",
	[SYNQ_MIB_OVERFLOWRESETS]	= "OverflowResets",
	[SYNQ_MIB_DEFERACCEPTDROP]	= "DeferAcceptDrop",
	[SYNQ_MIB_CTDROP]		= "ConntrackDrops",
};

u64 synq_mib_read(const struct synq_net *sn, enum synq_mib_field field)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(sn->mib, cpu)->mibs[field];
	return sum;
}

static int synq_stat_show(struct seq_file *seq, void *v)
{
	const struct synq_net *sn = synq_pernet(seq_file_single_net(seq));
	int i;

	seq_puts(seq, "Synq:");
	for (i = 0; i < SYNQ_MIB_MAX; i++)
		seq_printf(seq, " %s", synq_mib_names[i]);
	seq_puts(seq, "\nSynq:");
	for (i = 0; i < SYNQ_MIB_MAX; i++)
		seq_printf(seq, " %llu", synq_mib_read(sn, i));
	seq_putc(seq, '\n');
	return 0;
}

/* ---- /proc/net/synq ---- */

static struct synq_sock *synq_seq_idx(struct seq_file *seq, loff_t pos)
{
	struct synq_net *sn = synq_pernet(seq_file_net(seq));
	struct synq_sock *ss;
	int i;

	for (i = 0; i < ARRAY_SIZE(sn->listeners); i++)
		hlist_for_each_entry_rcu(ss, &sn->listeners[i], lnode)
			if (pos-- == 0)
				return ss;
	return NULL;
}

static void *synq_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	rcu_read_lock();
	return *pos ? synq_seq_idx(seq, *pos - 1) : SEQ_START_TOKEN;
}

static void *synq_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	return synq_seq_idx(seq, (*pos)++);
}

static void synq_seq_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

/* A listener's address as ss prints it: 10.0.0.1:80, [::]:80. */
void synq_addr_str(const struct sock *tmpl, char *buf, size_t len)
{
	if (tmpl->sk_family == AF_INET6)
		snprintf(buf, len, "[%pI6c]:%u", &tmpl->sk_v6_rcv_saddr,
			 inet_sk(tmpl)->inet_num);
	else
		snprintf(buf, len, "%pI4:%u", &tmpl->sk_rcv_saddr,
			 inet_sk(tmpl)->inet_num);
}

static int synq_seq_show(struct seq_file *seq, void *v)
{
	struct synq_sock *ss = v;
	struct synq_info info;
	struct sock *tmpl;
	char addr[SYNQ_ADDR_STR];

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "local_address         backlog  accq  table mql   qlen  young    old cookies paused  drops overflows    uid    inode\n");
		return 0;
	}
	tmpl = synq_tmpl(ss);
	synq_get_info(ss, &info);
	synq_addr_str(tmpl, addr, sizeof(addr));
	seq_printf(seq, "%-21s %7u %5u %6u %3u %6u %6u %6u %7u %6u %6llu %9llu %6u %8lu\n",
		   addr, info.max_ack_backlog, info.ack_backlog,
		   info.nr_table_entries, info.max_qlen_log, info.qlen,
		   info.qlen_young, info.qlen - info.qlen_young,
		   info.syncookies, info.paused, info.drops, info.overflows,
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(&ss->inet.sk)),
		   sock_i_ino(&ss->inet.sk));
	return 0;
}

static const struct seq_operations synq_seq_ops = {
	.start	= synq_seq_start,
	.next	= synq_seq_next,
	.stop	= synq_seq_stop,
	.show	= synq_seq_show,
};

int synq_proc_net_init(struct synq_net *sn)
{
	struct net *net = sn->net;

	if (!proc_create_net("synq", 0444, net->proc_net, &synq_seq_ops,
			     sizeof(struct seq_net_private)))
		return -ENOMEM;
	if (!proc_create_net_single("synq", 0444, net->proc_net_stat,
				    synq_stat_show, NULL)) {
		remove_proc_entry("synq", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void synq_proc_net_exit(struct synq_net *sn)
{
	remove_proc_entry("synq", sn->net->proc_net_stat);
	remove_proc_entry("synq", sn->net->proc_net);
}
