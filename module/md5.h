/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: TCP-MD5 (RFC 2385) for what synq sends and checks itself: the
 * SYN-ACKs and ACKs of pending entries and the final ACKs and RSTs that
 * reach them (md5.c).  The keys are TCP's, set on the template through
 * TCP_MD5SIG; the SYN is checked by tcp_v4_rcv() and the child's traffic
 * by TCP.
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
					     int l3index, __be32 raddr);
const struct tcp_md5sig_key *synq_md5_send_key(const struct sock *tmpl,
					       __be32 raddr);
int synq_md5_sign(u8 *sig, const struct tcp_md5sig_key *key, __be32 saddr,
		  __be32 daddr, const struct tcphdr *th, unsigned int len);
bool synq_md5_inbound_ok(const struct sock *tmpl, struct sk_buff *skb,
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
synq_md5_lookup(const struct sock *tmpl, int l3index, __be32 raddr)
{
	return NULL;
}

static inline const struct tcp_md5sig_key *
synq_md5_send_key(const struct sock *tmpl, __be32 raddr)
{
	return NULL;
}

static inline int synq_md5_sign(u8 *sig, const struct tcp_md5sig_key *key,
				__be32 saddr, __be32 daddr,
				const struct tcphdr *th, unsigned int len)
{
	return -EOPNOTSUPP;
}

/* Without TCP-MD5 TCP checks nothing either. */
static inline bool synq_md5_inbound_ok(const struct sock *tmpl,
				       struct sk_buff *skb,
				       const u8 *hash_location)
{
	return true;
}
#endif

/*
 * The key for what synq sends on @t.  IPv4 only: a synq IPv6 socket refuses
 * TCP_MD5SIG (socket.c), so its template has no keys, IPv4-mapped or not.
 */
static inline const struct tcp_md5sig_key *
synq_md5_tuple_key(const struct sock *tmpl, const struct synq_tuple *t)
{
	return t->v6 ? NULL : synq_md5_send_key(tmpl, t->raddr);
}

/* The l3mdev (VRF) a key may be scoped to, for a segment that came in. */
static inline int synq_md5_l3index(const struct sk_buff *skb)
{
	int sdif = inet_sdif(skb);

	return sdif ? inet_iif(skb) : 0;
}

#endif /* _SYNQ_MD5_H */
