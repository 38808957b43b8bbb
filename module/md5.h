/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: TCP-MD5 (RFC 2385) for what synq sends and checks itself: the
 * SYN-ACKs and ACKs of pending entries and the final ACKs and RSTs that
 * reach them (md5.c).  The keys are TCP's, set on the template through
 * TCP_MD5SIG; the SYN is checked by tcp_v4_rcv() or tcp_v6_rcv() and the
 * child's traffic by TCP.
 */
#ifndef _SYNQ_MD5_H
#define _SYNQ_MD5_H

#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/tcp.h>

#include "syn_table.h"

#ifdef CONFIG_TCP_MD5SIG
int synq_md5_init(void);
void synq_md5_exit(void);
bool synq_md5_usable(void);
const struct tcp_md5sig_key *synq_md5_lookup(const struct sock *tmpl,
					     int l3index,
					     const struct synq_tuple *t);
const struct tcp_md5sig_key *synq_md5_send_key(const struct sock *tmpl,
					       const struct synq_tuple *t);
int synq_md5_sign(u8 *sig, const struct tcp_md5sig_key *key,
		  const struct synq_tuple *t, const struct tcphdr *th,
		  unsigned int len);
bool synq_md5_inbound_ok(const struct sock *tmpl, struct sk_buff *skb,
			 const struct synq_tuple *t, int l3index,
			 const u8 *hash_location);
#else
static inline int synq_md5_init(void)
{
	return 0;
}

static inline void synq_md5_exit(void)
{
}

static inline bool synq_md5_usable(void)
{
	return false;
}

static inline const struct tcp_md5sig_key *
synq_md5_lookup(const struct sock *tmpl, int l3index,
		const struct synq_tuple *t)
{
	return NULL;
}

static inline const struct tcp_md5sig_key *
synq_md5_send_key(const struct sock *tmpl, const struct synq_tuple *t)
{
	return NULL;
}

static inline int synq_md5_sign(u8 *sig, const struct tcp_md5sig_key *key,
				const struct synq_tuple *t,
				const struct tcphdr *th, unsigned int len)
{
	return -EOPNOTSUPP;
}

/* Without TCP-MD5 TCP checks nothing either. */
static inline bool synq_md5_inbound_ok(const struct sock *tmpl,
				       struct sk_buff *skb,
				       const struct synq_tuple *t,
				       int l3index, const u8 *hash_location)
{
	return true;
}
#endif

#endif /* _SYNQ_MD5_H */
