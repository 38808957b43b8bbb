// SPDX-License-Identifier: GPL-2.0
/*
 * synq: per network namespace state and the listener lookup.
 *
 * Each namespace has its own listeners, port bitmap, counters, sysctls,
 * netfilter hook (registered while it has listeners) and ISN secret.  The
 * bitmap answers "is this a synq port?" with one bit test, so segments for
 * other ports cost next to nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <net/netns/generic.h>
#include <net/tcp.h>

#include "input.h"
#include "listener.h"

unsigned int synq_net_id __read_mostly;

static struct hlist_head *synq_lhash(struct synq_net *sn, u16 port)
{
	return &sn->listeners[hash_32(port, SYNQ_LHASH_BITS)];
}

static u16 synq_port(const struct synq_sock *ss)
{
	return inet_sk(synq_tmpl(ss))->inet_num;
}

void synq_listener_publish(struct synq_net *sn, struct synq_sock *ss)
{
	u16 port = synq_port(ss);

	spin_lock_bh(&sn->lock);
	hlist_add_head_rcu(&ss->lnode, synq_lhash(sn, port));
	set_bit(port, sn->ports);
	spin_unlock_bh(&sn->lock);
}

/* What @ss owns is freed an RCU grace period later (SOCK_RCU_FREE). */
void synq_listener_unpublish(struct synq_net *sn, struct synq_sock *ss)
{
	u16 port = synq_port(ss);
	struct synq_sock *other;
	bool busy = false;

	spin_lock_bh(&sn->lock);
	hlist_del_init_rcu(&ss->lnode);
	hlist_for_each_entry(other, synq_lhash(sn, port), lnode)
		busy |= synq_port(other) == port;
	if (!busy)
		clear_bit(port, sn->ports);
	spin_unlock_bh(&sn->lock);
}

static int __net_init synq_net_init(struct net *net)
{
	struct synq_net *sn = synq_pernet(net);
	int i, err;

	sn->net = net;
	spin_lock_init(&sn->lock);
	for (i = 0; i < ARRAY_SIZE(sn->listeners); i++)
		INIT_HLIST_HEAD(&sn->listeners[i]);
	bitmap_zero(sn->ports, 65536);
	get_random_bytes(&sn->isn_key, sizeof(sn->isn_key));
	get_random_bytes(&sn->cookie_key, sizeof(sn->cookie_key));
	sn->max_syn_backlog = READ_ONCE(net->ipv4.sysctl_max_syn_backlog);
	sn->synack_retries = TCP_SYNACK_RETRIES;
	sn->syncookies = 1;
	sn->cookie_pause_threshold = 1000;
	sn->cookie_pause_ms = 2000;

	sn->mib = alloc_percpu(struct synq_mib);
	if (!sn->mib)
		return -ENOMEM;
	err = synq_sysctl_net_init(sn);
	if (err)
		goto err_mib;
	err = synq_proc_net_init(sn);
	if (err)
		goto err_sysctl;
	synq_input_init(sn);
	return 0;

err_sysctl:
	synq_sysctl_net_exit(sn);
err_mib:
	free_percpu(sn->mib);
	return err;
}

static void __net_exit synq_net_exit(struct net *net)
{
	struct synq_net *sn = synq_pernet(net);
	int i;

	synq_input_exit(sn);
	synq_proc_net_exit(sn);
	synq_sysctl_net_exit(sn);
	free_percpu(sn->mib);
	/* Listeners hold a reference to their netns: none can be left. */
	for (i = 0; i < ARRAY_SIZE(sn->listeners); i++)
		WARN_ON_ONCE(!hlist_empty(&sn->listeners[i]));
}

static struct pernet_operations synq_net_ops = {
	.init = synq_net_init,
	.exit = synq_net_exit,
	.id = &synq_net_id,
	.size = sizeof(struct synq_net),
};

int synq_netns_init(void)
{
	return register_pernet_subsys(&synq_net_ops);
}

void synq_netns_exit(void)
{
	unregister_pernet_subsys(&synq_net_ops);
}
