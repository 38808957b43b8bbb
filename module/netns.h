/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: per network namespace state (netns.c), its sysctls (sysctl.c), its
 * counters and /proc files (proc.c), and its listeners by port.
 */
#ifndef _SYNQ_NETNS_H
#define _SYNQ_NETNS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

enum synq_mib_field {
	SYNQ_MIB_SYNS,			/* SYNs taken by a listener */
	SYNQ_MIB_SYNACKS,		/* SYN-ACKs sent (first copies) */
	SYNQ_MIB_SYNACK_RETRANS,	/* SYN-ACKs retransmitted */
	SYNQ_MIB_DUPSYNS,		/* SYNs for an existing entry */
	SYNQ_MIB_EXPIRED,		/* entries dropped after the last retry */
	SYNQ_MIB_RSTS,			/* entries removed by an RST */
	SYNQ_MIB_CHILDREN,		/* handshakes completed into a child */
	SYNQ_MIB_LISTENOVERFLOWS,	/* accept queue full */
	SYNQ_MIB_LISTENDROPS,		/* SYNs or ACKs dropped for any reason */
	SYNQ_MIB_REQQFULLDROP,		/* SYN table full, SYN dropped */
	SYNQ_MIB_BADACKS,		/* ACKs matching an entry but invalid */
	SYNQ_MIB_CSUMERRORS,		/* bad TCP checksum */
	SYNQ_MIB_MALFORMED,		/* truncated or malformed segments */
	SYNQ_MIB_TWREUSE,		/* SYNs that recycled a TIME_WAIT */
	SYNQ_MIB_NOROUTE,		/* no route back to the client */
	SYNQ_MIB_NOMEM,			/* allocation failures */
	SYNQ_MIB_REQQFULLDOCOOKIES,	/* SYN answered with a cookie */
	SYNQ_MIB_SYNCOOKIESSENT,	/* cookie SYN-ACKs sent */
	SYNQ_MIB_SYNCOOKIESRECV,	/* valid cookies returned */
	SYNQ_MIB_SYNCOOKIESFAILED,	/* ACKs whose cookie did not check */
	SYNQ_MIB_PAUSES,		/* cookie pause episodes begun */
	SYNQ_MIB_PAUSEDCOOKIES,		/* cookies sent because paused */
	SYNQ_MIB_OVERFLOWRESETS,	/* abort_on_overflow RSTs */
	SYNQ_MIB_DEFERACCEPTDROP,	/* bare ACKs held for TCP_DEFER_ACCEPT */
	SYNQ_MIB_CTDROP,		/* SYNs conntrack refused to confirm */
	SYNQ_MIB_MAX
};

struct synq_mib {
	u64 mibs[SYNQ_MIB_MAX];
};

#define SYNQ_LHASH_BITS		6

#define SYNQ_NR_HOOKS	2

struct synq_net {
	struct net *net;
	spinlock_t lock;		/* listeners and ports, writers */
	struct hlist_head listeners[1 << SYNQ_LHASH_BITS];
	unsigned long ports[BITS_TO_LONGS(65536)];
	struct synq_mib __percpu *mib;
	struct ctl_table_header *sysctl_hdr;
	siphash_key_t isn_key;
	siphash_key_t cookie_key;
	/* IPv4 and IPv6 LOCAL_IN, registered while hook_users */
	struct nf_hook_ops hook_ops[SYNQ_NR_HOOKS];
	struct mutex hook_mutex;	/* hook_users, registration */
	int hook_users;			/* listeners in this namespace */
	int max_syn_backlog;
	int synack_retries;
	int syncookies;
	int abort_on_overflow;
	int cookie_pause_threshold;
	int cookie_pause_ms;
};

extern unsigned int synq_net_id;

static inline struct synq_net *synq_pernet(const struct net *net)
{
	return net_generic(net, synq_net_id);
}

#define SYNQ_INC_STATS(sn, field) this_cpu_inc((sn)->mib->mibs[field])

int synq_netns_init(void);
void synq_netns_exit(void);
u64 synq_mib_read(const struct synq_net *sn, enum synq_mib_field field);
int synq_proc_net_init(struct synq_net *sn);
void synq_proc_net_exit(struct synq_net *sn);
int synq_sysctl_net_init(struct synq_net *sn);
void synq_sysctl_net_exit(struct synq_net *sn);

struct synq_sock;

/* Listeners by port (netns.c): /proc and the final-ACK hook's port test. */
void synq_listener_publish(struct synq_net *sn, struct synq_sock *ss);
void synq_listener_unpublish(struct synq_net *sn, struct synq_sock *ss);

#endif /* _SYNQ_NETNS_H */
