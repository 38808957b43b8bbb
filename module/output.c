// SPDX-License-Identifier: GPL-2.0
/*
 * synq: SYN-ACKs, over IPv4 or IPv6 as the SYN came.
 *
 * synq builds its SYN-ACKs itself from a 40-byte entry: no request_sock
 * exists before the final ACK.  Window and MSS come from the route and the
 * template exactly as tcp_openreq_init_rwin() and tcp_make_synack() compute
 * them, so the child TCP builds later agrees with what was advertised.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/siphash.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

#include "compat.h"
#include "md5.h"
#include "output.h"

/* RFC 6528: a keyed hash of the 4-tuple plus a 64 ns clock. */
u32 synq_isn(const struct synq_net *sn, const struct synq_tuple *t)
{
	u32 hash = synq_tuple_siphash(t, 0, 0, &sn->isn_key);

	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/*
 * The TSval offset, random per connection as secure_tcp_ts_off() is per
 * address pair, yet found again from the 4-tuple alone (entries and cookies
 * keep no copy).
 */
u32 synq_ts_off(const struct synq_net *sn, const struct synq_tuple *t)
{
	return synq_tuple_siphash(t, 0, 0x7473 /* "ts" */, &sn->cookie_key);
}

/*
 * The transmit hash of an entry's SYN-ACKs and then of its child, random
 * per connection as TCP's net_tx_rndhash() but found again from the
 * 4-tuple and the retransmit count: IPv6 derives the flow label from it.
 * As tcp_rtx_synack() with SO_TXREHASH on (net.core.txrehash, the default)
 * each retransmission gets a new one and the child the last one's; with it
 * off, one for all.  (TCP's answer to a duplicate SYN gets a new one too;
 * synq's repeats the label.)
 */
u32 synq_txhash(const struct synq_sock *ss, const struct synq_entry *e)
{
	const struct synq_net *sn = synq_sk_net(ss);
	u64 n = 0;

	if (READ_ONCE(ss->inet.sk.sk_txrehash) == SOCK_TXREHASH_ENABLED)
		n = e->num_retrans;
	return (u32)synq_tuple_siphash(&e->t, n, 0x7478 /* "tx" */,
				       &sn->cookie_key) ?: 1;
}

/* A route back to an IPv4 client, as inet_csk_route_req() finds it. */
static struct dst_entry *synq_route4(struct sock *tmpl,
				     const struct synq_tuple *t,
				     struct flowi4 *fl4)
{
	struct rtable *rt;

	flowi4_init_output(fl4, READ_ONCE(tmpl->sk_bound_dev_if),
			   READ_ONCE(tmpl->sk_mark),
			   ip_sock_rt_tos(tmpl), ip_sock_rt_scope(tmpl), IPPROTO_TCP,
			   inet_sk_flowi_flags(tmpl), t->raddr, t->laddr,
			   t->rport, t->lport, tmpl->sk_uid);
	security_sk_classify_flow(tmpl, flowi4_to_flowi_common(fl4));
	rt = ip_route_output_flow(sock_net(tmpl), fl4, tmpl);
	return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
}

/*
 * inet6_csk_route_req(): a link-local client is answered on the interface
 * its SYN came in by, unless the listener is bound to one
 * (tcp_v6_init_req()).
 */
static struct dst_entry *synq_route6(struct sock *tmpl,
				     const struct synq_tuple *t,
				     struct flowi6 *fl6)
{
	struct in6_addr *final_p, final;
	int oif = READ_ONCE(tmpl->sk_bound_dev_if);

	if (!oif && ipv6_addr_type(&t->raddr6) & IPV6_ADDR_LINKLOCAL)
		oif = t->ifindex;
	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = IPPROTO_TCP;
	fl6->daddr = t->raddr6;
	rcu_read_lock();
	final_p = fl6_update_dst(fl6, rcu_dereference(inet6_sk(tmpl)->opt),
				 &final);
	rcu_read_unlock();
	fl6->saddr = t->laddr6;
	fl6->flowi6_oif = oif;
	fl6->flowi6_mark = READ_ONCE(tmpl->sk_mark);
	fl6->fl6_dport = t->rport;
	fl6->fl6_sport = t->lport;
	fl6->flowi6_uid = tmpl->sk_uid;
	security_sk_classify_flow(tmpl, flowi6_to_flowi_common(fl6));
	return ip6_dst_lookup_flow(sock_net(tmpl), tmpl, fl6, final_p);
}

/* A route back to the client (an ERR_PTR if none), and its flow in @fl. */
struct dst_entry *synq_route(struct synq_sock *ss, const struct synq_tuple *t,
			     struct flowi *fl)
{
	if (t->v6)
		return synq_route6(synq_tmpl(ss), t, &fl->u.ip6);
	return synq_route4(synq_tmpl(ss), t, &fl->u.ip4);
}

static u16 synq_advmss(const struct sock *tmpl, const struct dst_entry *dst)
{
	return tcp_mss_clamp(tcp_sk(tmpl), dst_metric_advmss(dst));
}

/* tcp_openreq_init_rwin(), for an entry instead of a request. */
void synq_select_window(const struct sock *tmpl, const struct dst_entry *dst,
			const struct synq_entry *e, u32 *rcv_wnd,
			u32 *window_clamp, u8 *rcv_wscale)
{
	int full_space = tcp_full_space(tmpl);
	u32 clamp = READ_ONCE(tcp_sk(tmpl)->window_clamp);
	int mss = synq_advmss(tmpl, dst);

	if (!clamp)
		clamp = dst_metric(dst, RTAX_WINDOW);
	if ((tmpl->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (clamp > full_space || clamp == 0))
		clamp = full_space;
	*rcv_wscale = 0;
	synq_select_initial_window(tmpl, full_space,
				   mss - (e->tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0),
				   rcv_wnd, &clamp, synq_wscale_ok(e), rcv_wscale,
				   dst_metric(dst, RTAX_INITRWND));
	*window_clamp = clamp;
}

/*
 * TCP's millisecond TSval clock (tcp_time_stamp_raw() up to 6.6,
 * tcp_clock_ms() since): the child goes on from it.
 */
static u32 synq_tcp_ts_ms(void)
{
	return div_u64(tcp_clock_ns(), NSEC_PER_MSEC);
}

/* A pure ACK of the SYN-ACK carries only the timestamp option (and MD5). */
static unsigned int synq_optlen(const struct synq_entry *e, bool syn,
				bool md5)
{
	unsigned int len = TCPOLEN_MSS;

	if (md5)
		return TCPOLEN_MD5SIG_ALIGNED + synq_optlen(e, syn, false);
	if (!syn)
		return e->tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0;

	if (e->tstamp_ok)
		len += TCPOLEN_TSTAMP_ALIGNED;	/* SACK_PERM rides in its NOPs */
	else if (e->sack_ok)
		len += TCPOLEN_SACKPERM_ALIGNED;
	if (synq_wscale_ok(e))
		len += TCPOLEN_WSCALE_ALIGNED;
	return len;
}

/* In tcp_options_write()'s order; returns where the MD5 signature goes. */
static u8 *synq_write_options(__be32 *ptr, const struct synq_entry *e,
			      bool syn, bool md5, u16 mss, u8 rcv_wscale,
			      u32 ts_off)
{
	u8 *sig = NULL;

	if (md5) {
		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_MD5SIG << 8) | TCPOLEN_MD5SIG);
		sig = (u8 *)ptr;
		ptr += 4;
	}
	if (syn)
		*ptr++ = htonl((TCPOPT_MSS << 24) | (TCPOLEN_MSS << 16) | mss);
	if (e->tstamp_ok) {
		*ptr++ = htonl(((syn && e->sack_ok ? (TCPOPT_SACK_PERM << 8) |
				  TCPOLEN_SACK_PERM :
				  (TCPOPT_NOP << 8) | TCPOPT_NOP) << 16) |
			       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		*ptr++ = htonl(synq_tcp_ts_ms() + ts_off);
		*ptr++ = htonl(e->ts_recent);
	} else if (syn && e->sack_ok) {
		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK_PERM << 8) | TCPOLEN_SACK_PERM);
	}
	if (syn && synq_wscale_ok(e))
		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) |
			       (TCPOLEN_WINDOW << 8) | rcv_wscale);
	return sig;
}

/* The SYN-ACK, or (!syn) the ACK a SYN_RECV peer gets for a stray segment. */
static struct sk_buff *synq_build(const struct sock *tmpl,
				  const struct dst_entry *dst,
				  struct synq_entry *e, bool syn,
				  const struct tcp_md5sig_key *md5, u32 txhash)
{
	unsigned int len = sizeof(struct tcphdr) + synq_optlen(e, syn, md5);
	u32 rcv_wnd, clamp;
	struct sk_buff *skb;
	struct tcphdr *th;
	u8 rcv_wscale;
	u8 *sig;

	skb = alloc_skb(MAX_TCP_HEADER, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_TCP_HEADER);
	th = skb_push(skb, len);
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));

	synq_select_window(tmpl, dst, e, &rcv_wnd, &clamp, &rcv_wscale);
	/* What the first SYN-ACK announced holds for the connection. */
	if (!synq_rcv_wscale_chosen(e))
		synq_set_rcv_wscale(e, rcv_wscale);
	rcv_wscale = synq_rcv_wscale(e);
	th->source = e->t.lport;
	th->dest = e->t.rport;
	th->seq = htonl(e->iss + !syn);
	th->ack_seq = htonl(e->irs + 1);
	th->doff = len >> 2;
	th->syn = syn;
	th->ack = 1;
	th->ece = syn && e->ecn_ok;
	/* RFC 7323 2.2: the window of a SYN-ACK is never scaled. */
	if (!syn && synq_wscale_ok(e))
		rcv_wnd >>= rcv_wscale;
	th->window = htons(min(rcv_wnd, 65535U));
	sig = synq_write_options((__be32 *)(th + 1), e, syn, md5,
				 synq_advmss(tmpl, dst), rcv_wscale,
				 e->tstamp_ok ? synq_ts_off(synq_pernet(sock_net(tmpl)),
							    &e->t) : 0);
	/* A zero signature, as TCP's on failure: the peer drops the segment. */
	if (md5)
		synq_md5_sign(sig, md5, &e->t, th, len);
	if (e->t.v6)
		th->check = tcp_v6_check(len, &e->t.laddr6, &e->t.raddr6,
					 csum_partial(th, len, 0));
	else
		th->check = tcp_v4_check(len, e->t.laddr, e->t.raddr,
					 csum_partial(th, len, 0));
	skb->ip_summed = CHECKSUM_NONE;
	if (txhash)	/* IPv6: the flow label's source */
		skb_set_hash(skb, txhash, PKT_HASH_TYPE_L4);
	return skb;
}

/*
 * @owned: the skb is charged to the template, as tcp_make_synack() charges
 * a request's SYN-ACK to the request (whose full socket is the listener):
 * egress cgroup BPF, owner matches and the mark see the listener's.  A
 * cookie's is nobody's, as TCP's (no false sharing under a flood).
 *
 * Callers hold the template under RCU only, as tcp_v4_rcv() does, and a
 * close() on another CPU may drop its last reference meanwhile: its memory
 * stays (SOCK_RCU_FREE), but charging an skb to it would then add to a
 * sk_wmem_alloc already at zero.  So an owned send takes a reference first,
 * as reqsk_alloc() does on the listener, and a closed template sends none.
 */
/*
 * tcp_v6_send_synack()'s ip6_xmit(): the listener's traffic class, IPv6
 * options, mark and priority; the flow label from the skb's hash.
 */
static int synq_xmit6(struct sock *tmpl, struct sk_buff *skb,
		      struct flowi6 *fl6)
{
	const struct ipv6_pinfo *np = inet6_sk(tmpl);
	int err;

	rcu_read_lock();
	err = ip6_xmit(tmpl, skb, fl6, READ_ONCE(tmpl->sk_mark),
		       rcu_dereference(np->opt), READ_ONCE(np->tclass),
		       READ_ONCE(tmpl->sk_priority));
	rcu_read_unlock();
	return err;
}

/*
 * @owned: the skb is charged to the template, as tcp_make_synack() charges
 * a request's SYN-ACK to the request (whose full socket is the listener):
 * egress cgroup BPF, owner matches and the mark see the listener's.  A
 * cookie's is nobody's, as TCP's (no false sharing under a flood).
 *
 * Callers hold the template under RCU only, as tcp_v4_rcv() does, and a
 * close() on another CPU may drop its last reference meanwhile: its memory
 * stays (SOCK_RCU_FREE), but charging an skb to it would then add to a
 * sk_wmem_alloc already at zero.  So an owned send takes a reference first,
 * as reqsk_alloc() does on the listener, and a closed template sends none.
 */
static int synq_send(struct synq_sock *ss, struct synq_entry *e, bool syn,
		     bool owned)
{
	struct sock *tmpl = synq_tmpl(ss);
	struct net *net = sock_net(tmpl);
	struct dst_entry *dst;
	struct sk_buff *skb;
	struct flowi fl;
	int err;

	if (owned && !synq_tmpl_hold(tmpl))
		return -ESHUTDOWN;
	dst = synq_route(ss, &e->t, &fl);
	if (IS_ERR(dst)) {
		SYNQ_INC_STATS(synq_pernet(net), SYNQ_MIB_NOROUTE);
		err = PTR_ERR(dst);
		goto out;
	}
	/* IPv4 has no flow label: no keyed hash per SYN-ACK for it. */
	skb = synq_build(tmpl, dst, e, syn, synq_md5_send_key(tmpl, &e->t),
			 e->t.v6 ? synq_txhash(ss, e) : 0);
	if (!skb) {
		dst_release(dst);
		SYNQ_INC_STATS(synq_pernet(net), SYNQ_MIB_NOMEM);
		err = -ENOMEM;
		goto out;
	}
	skb_dst_set(skb, dst);
	if (owned)
		skb_set_owner_w(skb, tmpl);
	if (e->t.v6)
		err = synq_xmit6(tmpl, skb, &fl.u.ip6);
	else
		err = ip_build_and_send_pkt(skb, tmpl, e->t.laddr, e->t.raddr,
					    NULL, READ_ONCE(inet_sk(tmpl)->tos));
	__TCP_INC_STATS(net, TCP_MIB_OUTSEGS);
	err = net_xmit_eval(err);
out:
	if (owned)
		sock_put(tmpl);
	return err;
}

/* The first one chooses the entry's receive window scale. */
int synq_send_synack(struct synq_sock *ss, struct synq_entry *e)
{
	return synq_send(ss, e, true, true);
}

int synq_send_cookie_synack(struct synq_sock *ss, struct synq_entry *e)
{
	return synq_send(ss, e, true, false);
}

int synq_send_ack(struct synq_sock *ss, const struct synq_entry *e)
{
	struct synq_entry copy;		/* chooses nothing */

	memcpy(&copy, e, synq_entry_size(e));
	return synq_send(ss, &copy, false, true);
}
