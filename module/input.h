/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: what the two ways in share: SYNs (syn.c, from TCP's conn_request)
 * and final ACKs and RSTs (input.c, the netfilter hook).
 */
#ifndef _SYNQ_INPUT_H
#define _SYNQ_INPUT_H

#include <linux/tcp.h>

#include "listener.h"

/* One segment for a listener, as both ways see it. */
struct synq_seg {
	struct synq_sock *ss;
	struct synq_net *sn;
	const struct tcphdr *th;
	struct synq_tuple t;
	int dif;		/* the interface it came in by, */
	int sdif;		/* and its l3mdev slave, for ehash lookups */
	u32 seq;
	u32 ack_seq;
	u32 tw_isn;		/* ISN TCP chose when a SYN recycles a TIME_WAIT */
};

struct synq_opts {
	u16 mss;
	u8 wscale;
	bool wscale_ok;
	bool sack_ok;
	bool saw_tstamp;
	u32 tsval;
};

/* syn.c: the templates' af_ops->conn_request */
int synq_conn_request(struct sock *tmpl, struct sk_buff *skb);

/* input.c: the final-ACK hook, registered per netns while it has listeners */
void synq_input_key_hold(void);
void synq_input_key_release(void);
void synq_input_init(struct synq_net *sn);
void synq_input_exit(struct synq_net *sn);
int synq_input_hold(struct synq_net *sn);
void synq_input_release(struct synq_net *sn);

/* options.c, syn.c */
void synq_parse_options(const struct net *net, const struct tcphdr *th,
			struct synq_opts *o);
bool synq_filter_accepts(struct synq_sock *ss, struct sk_buff *skb,
			 unsigned int cap);
struct sock *synq_lookup_established(const struct synq_seg *s);
void synq_count_drop(struct synq_seg *s, enum synq_mib_field why);

#endif /* _SYNQ_INPUT_H */
