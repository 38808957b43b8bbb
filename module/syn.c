// SPDX-License-Identifier: GPL-2.0
/*
 * synq: SYNs, handed over by TCP.
 *
 * A template is a TCP listener whose af_ops->conn_request is
 * synq_conn_request(): tcp_v4_rcv() has found it in TCP's listening hash
 * after the whole of LOCAL_IN (every firewall chain, conntrack's confirm),
 * checked min_ttl, the IPsec policy, TCP-MD5, the socket filter, cgroup
 * BPF and the LSM, and the checksum; a TIME_WAIT the SYN recycles is gone
 * and its successor ISN is in TCP_SKB_CB(skb)->tcp_tw_isn.  Here the SYN
 * gets an entry in the SYN table, a cookie, or nothing, and its SYN-ACK
 * (output.c).  As tcp_conn_request(), the skb is TCP's: it frees it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/filter.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

#include "cookies.h"
#include "input.h"
#include "md5.h"
#include "output.h"
#include "selftest.h"
#include "timers.h"

/* The connection (or TIME_WAIT) of @s's 4-tuple in ehash, referenced. */
struct sock *synq_lookup_established(const struct synq_seg *s)
{
	struct net *net = s->sn->net;
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;

	if (s->t.v6)
		return __inet6_lookup_established(net, hinfo, &s->t.raddr6,
						  s->t.rport, &s->t.laddr6,
						  ntohs(s->t.lport), s->dif,
						  s->sdif);
	return __inet_lookup_established(net, hinfo, s->t.raddr, s->t.rport,
					 s->t.laddr, ntohs(s->t.lport), s->dif,
					 s->sdif);
}

/* Counted as synq's and as TCP's listener counts its drops. */
void synq_count_drop(struct synq_seg *s, enum synq_mib_field why)
{
	struct sock *tmpl = synq_tmpl(s->ss);

	SYNQ_INC_STATS(s->sn, why);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_LISTENDROPS);
	atomic64_inc(&s->ss->drops);
	if (why == SYNQ_MIB_LISTENOVERFLOWS)
		__NET_INC_STATS(sock_net(tmpl), LINUX_MIB_LISTENOVERFLOWS);
	else if (why == SYNQ_MIB_REQQFULLDROP)
		__NET_INC_STATS(sock_net(tmpl), LINUX_MIB_TCPREQQFULLDROP);
	tcp_listendrop(tmpl);
}

/*
 * The socket filter attached to the synq socket (SOL_SOCKET options land
 * on it, not on the template), run as sk_filter_trim_cap() runs a
 * listener's; TCP runs the template's checks (cgroup BPF, the LSM, its
 * own filter) before synq's.  Under RCU; false: drop the segment.
 */
bool synq_filter_accepts(struct synq_sock *ss, struct sk_buff *skb,
			 unsigned int cap)
{
	struct sock *sk = &ss->inet.sk;
	struct sk_filter *filter = rcu_dereference(sk->sk_filter);
	struct sock *save_sk = skb->sk;
	unsigned int pkt_len;

	if (!filter)
		return true;
	skb->sk = sk;
	pkt_len = bpf_prog_run_save_cb(filter->prog, skb);
	skb->sk = save_sk;
	return pkt_len && !pskb_trim(skb, max(cap, pkt_len));
}

static void synq_entry_init(struct synq_seg *s, struct sk_buff *skb,
			    struct synq_entry *e)
{
	struct sock *tmpl = synq_tmpl(s->ss);
	struct net *net = sock_net(tmpl);
	const struct tcphdr *th = s->th;
	u16 user_mss = READ_ONCE(tcp_sk(tmpl)->rx_opt.user_mss);
	struct synq_opts o;
	bool ect;

	synq_parse_options(net, th, &o);
	synq_tuple_copy(&e->t, &s->t);
	e->irs = s->seq;
	e->iss = s->tw_isn;
	e->mss = o.mss ? o.mss : TCP_MSS_DEFAULT;
	if (user_mss && user_mss < e->mss)
		e->mss = user_mss;
	e->tstamp_ok = o.saw_tstamp;
	e->ts_recent = o.saw_tstamp ? o.tsval : 0;
	e->sack_ok = o.sack_ok;
	e->snd_wscale = o.wscale_ok ? o.wscale : SYNQ_NO_WSCALE;
	synq_entry_set_expires(e, jiffies + TCP_TIMEOUT_INIT);
	/* RFC 3168 6.1.1, as tcp_ecn_create_request(). */
	ect = !INET_ECN_is_not_ect(s->t.v6 ? ipv6_get_dsfield(ipv6_hdr(skb)) :
					     ip_hdr(skb)->tos);
	e->ecn_ok = th->ece && th->cwr && (!ect || th->res1) &&
		    READ_ONCE(net->ipv4.sysctl_tcp_ecn);
}

/* No state: the SYN-ACK's ISS is the cookie, its TSval offset a hash. */
static void synq_send_cookie(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_entry e = {};

	synq_entry_init(s, skb, &e);
	e.iss = synq_cookie_make(s->sn, &e);
	synq_send_cookie_synack(s->ss, &e);
	atomic64_inc(&s->ss->cookies_sent);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNCOOKIESSENT);
	__NET_INC_STATS(sock_net(synq_tmpl(s->ss)), LINUX_MIB_SYNCOOKIESSENT);
}

/*
 * Whether a SYN without an entry gets one, a cookie or nothing; returns 0,
 * or the MIB field to drop it under.  Under the bucket lock.
 */
static int synq_syn_verdict(struct synq_seg *s, const struct synq_table *t,
			    bool *cookie)
{
	/* A recycled TIME_WAIT needs no table slot to prove itself (as TCP). */
	bool full = synq_table_is_full(t) && !s->tw_isn;

	*cookie = !s->tw_isn && synq_want_cookie(s->ss, s->sn, full);
	if (full && !*cookie)
		return SYNQ_MIB_REQQFULLDROP;
	if (sk_acceptq_is_full(synq_tmpl(s->ss))) {
		atomic64_inc(&s->ss->overflows);
		return SYNQ_MIB_LISTENOVERFLOWS;
	}
	return 0;
}

/*
 * Has the 4-tuple become a connection since tcp_v4_rcv() looked?  A final
 * ACK on another CPU puts its child in ehash, then unlinks the entry, both
 * under the bucket lock we hold now: a SYN that found neither would make a
 * second entry for a connected peer.  TCP answers that SYN (the caller
 * drops this copy; the client's retransmission meets the child).
 */
static bool synq_connected_meanwhile(const struct synq_seg *s)
{
	struct sock *sk;

	if (s->tw_isn)
		return false;	/* TCP killed its TIME_WAIT: nothing else there */
	sk = synq_lookup_established(s);
	if (!sk)
		return false;
	sock_gen_put(sk);
	return true;
}

/*
 * One critical section: a twin SYN on another CPU waits, then is a dup.
 * Returns 0 when answered, else the MIB field to count its drop under.
 */
static int synq_rcv_syn(struct synq_seg *s, struct sk_buff *skb,
			struct synq_table *t)
{
	struct synq_bucket *b;
	struct synq_entry *e;
	spinlock_t *lock;		/* of the bucket: one per SYN */
	bool cookie;
	int why;

	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNS);
	b = synq_table_bucket(t, &s->t);
	lock = synq_bucket_lock(t, b);
	spin_lock(lock);
	e = synq_bucket_find(t, b, &s->t);
	if (e) {
		/* A retransmitted SYN: same entry, same ISN. */
		synq_send_synack(s->ss, e);
		spin_unlock(lock);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_DUPSYNS);
		return 0;
	}
	if (synq_connected_meanwhile(s)) {
		spin_unlock(lock);
		return 0;
	}
	why = synq_syn_verdict(s, t, &cookie);
	if (why || cookie) {
		spin_unlock(lock);
		if (!why)
			synq_send_cookie(s, skb);
		return why;
	}

	e = synq_entry_alloc(s->t.v6);
	if (!e) {
		spin_unlock(lock);
		return SYNQ_MIB_NOMEM;
	}
	synq_entry_init(s, skb, e);
	/* tcp_synack_options(): MD5 and TS leave no room for SACK blocks. */
	if (e->sack_ok && synq_md5_send_key(synq_tmpl(s->ss), &s->t))
		e->tstamp_ok = 0;
	if (!e->iss)
		e->iss = synq_isn(s->sn, &s->t);
	if (synq_table_insert_locked(t, b, e)) {
		spin_unlock(lock);
		synq_entry_free(e);
		return SYNQ_MIB_REQQFULLDROP;
	}
	synq_timer_arm(t);
	synq_send_synack(s->ss, e);
	spin_unlock(lock);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNACKS);
	return 0;
}

/* The SYN's tuple, and whether TCP's listener would take it at all. */
static int synq_syn_seg4(struct synq_seg *s, struct sk_buff *skb)
{
	s->t.laddr = ip_hdr(skb)->daddr;
	s->t.raddr = ip_hdr(skb)->saddr;
	s->dif = inet_iif(skb);
	s->sdif = tcp_v4_sdif(skb);
	if (skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))
		return SYNQ_MIB_MALFORMED;
	return 0;
}

/* tcp_v6_conn_request()'s checks; -1: drop uncounted by the listener. */
static int synq_syn_seg6(struct synq_seg *s, struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	s->t.v6 = true;
	s->t.laddr6 = ip6h->daddr;
	s->t.raddr6 = ip6h->saddr;
	s->t.ifindex = tcp_v6_iif(skb);
	s->dif = tcp_v6_iif(skb);
	s->sdif = tcp_v6_sdif(skb);
	if (!ipv6_unicast_destination(skb))
		return SYNQ_MIB_MALFORMED;
	if (ipv6_addr_v4mapped(&ip6h->saddr)) {
		__IP6_INC_STATS(s->sn->net, NULL, IPSTATS_MIB_INHDRERRORS);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_MALFORMED);
		return -1;
	}
	return 0;
}

/*
 * icsk_af_ops->conn_request of a template: called by
 * tcp_rcv_state_process() for a SYN (no ACK, RST or FIN) to a listener,
 * under rcu_read_lock() with BH off.  IPv4 or IPv6 as the SYN came: an
 * IPv6 template that is not V6ONLY takes IPv4 SYNs too (TCP's
 * tcp_v6_conn_request() hands those to tcp_v4_conn_request()).  Always 0,
 * as tcp_v4_conn_request() (non-zero would make TCP answer with an RST).
 */
int synq_conn_request(struct sock *tmpl, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct synq_seg s = {
		.sn = synq_pernet(sock_net(tmpl)),
		.th = th,
		.t = {
			.lport = th->dest,
			.rport = th->source,
		},
		.seq = TCP_SKB_CB(skb)->seq,
		.tw_isn = TCP_SKB_CB(skb)->tcp_tw_isn,
	};
	struct synq_table *t = NULL;
	int why;

	s.ss = synq_tmpl_owner(tmpl);
	if (s.ss)
		t = rcu_dereference(s.ss->table);
	if (!t) {
		/* Closing: TCP's own listener drops as it unhashes. */
		tcp_listendrop(tmpl);
		return 0;
	}
	if (!synq_filter_accepts(s.ss, skb, th->doff * 4)) {
		sk_drops_add(tmpl, skb);
		return 0;
	}
	why = skb->protocol == htons(ETH_P_IP) ? synq_syn_seg4(&s, skb) :
						 synq_syn_seg6(&s, skb);
	if (!why)
		why = synq_rcv_syn(&s, skb, t);
	if (why > 0)
		synq_count_drop(&s, why);
	return 0;
}

#ifdef SYNQ_SELFTEST
#include "selftest/syn.c"
#endif
