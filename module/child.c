// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the final ACK becomes a kernel TCP child.
 *
 * Only now does a request_sock exist, and only for the length of the call:
 * it is filled from the entry as tcp_conn_request() would have filled it,
 * and tcp_get_cookie_sock() (compat.c: the syncookie path of TCP itself) clones the
 * template into a child in TCP_SYN_RECV, hashes it in ehash and puts it on
 * the template's accept queue.  The caller (input.c) then has TCP process
 * the ACK on the child, still locked, which moves it to ESTABLISHED: no
 * accept() sees it before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/security.h>
#include <net/inet_connection_sock.h>
#include <net/request_sock.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

#include "child.h"
#include "compat.h"
#include "output.h"
#include "selftest.h"

/*
 * Zero a request from a SLAB_TYPESAFE_BY_RCU cache (request_sock_TCP,
 * shared with TCP's own listeners) except what sock_copy() also leaves
 * alone: between skc_dontcopy_begin and skc_dontcopy_end lie the ehash
 * link, whose nulls end a lockless __inet_lookup_established() on another
 * CPU may still be following from the object's previous life, and the
 * refcount such a walker tests.  reqsk_alloc() has set those as it must.
 */
static void synq_reqsk_clear(struct request_sock *req, unsigned int size)
{
	struct sock *sk = req_to_sk(req);
	size_t end = offsetof(struct sock, sk_dontcopy_end);

	memset(sk, 0, offsetof(struct sock, sk_dontcopy_begin));
	memset((char *)sk + end, 0, size - end);
}

/*
 * inet_reqsk_alloc() leaves most of the request as its last user left it;
 * tcp_conn_request() and cookie_v4_check() then set every field they use.
 * synq clears it instead (fields added in later kernels start as zero) and
 * sets again what inet_reqsk_alloc() had set.
 */
static struct request_sock *synq_reqsk_alloc(struct sock *tmpl, bool v6)
{
	/* Of the segment's family: tcp_v6_conn_request() makes IPv4 ones too. */
	const struct request_sock_ops *ops = v6 ? tmpl->sk_prot->rsk_prot :
						  tcp_prot.rsk_prot;
	struct request_sock *req;
	struct sock *listener;

	req = inet_reqsk_alloc(ops, tmpl, true);
	if (!req)
		return NULL;
	listener = req->rsk_listener;
	synq_reqsk_clear(req, ops->obj_size);
	req->rsk_ops = ops;
	req->rsk_listener = listener;
	req_to_sk(req)->sk_prot = tmpl->sk_prot;
	inet_rsk(req)->ireq_state = TCP_NEW_SYN_RECV;
	write_pnet(&inet_rsk(req)->ireq_net, sock_net(tmpl));
	inet_rsk(req)->ireq_family = v6 ? AF_INET6 : AF_INET;
	req->timeout = TCP_TIMEOUT_INIT;
	return req;
}

/*
 * The addresses, and the interface (tcp_v6_init_req(): a link-local
 * client's, on a listener bound to none).  IPv6 options of the SYN
 * (ireq->pktopts, for IPV6_RECVPKTINFO and the like) are not kept: the
 * child starts without them, and its IPv6 options are the listener's.
 */
static void synq_reqsk_addrs(struct request_sock *req, const struct sock *tmpl,
			     const struct synq_tuple *t, struct sk_buff *skb)
{
	struct inet_request_sock *ireq = inet_rsk(req);

	ireq->ir_num = ntohs(t->lport);
	ireq->ir_rmt_port = t->rport;
	ireq->ir_iif = inet_request_bound_dev_if(tmpl, skb);
	if (!t->v6) {
		sk_rcv_saddr_set(req_to_sk(req), t->laddr);
		sk_daddr_set(req_to_sk(req), t->raddr);
		return;
	}
	ireq->ir_v6_loc_addr = t->laddr6;
	ireq->ir_v6_rmt_addr = t->raddr6;
	if ((!tmpl->sk_bound_dev_if ||
	     ipv6_l3mdev_skb(TCP_SKB_CB(skb)->header.h6.flags)) &&
	    ipv6_addr_type(&t->raddr6) & IPV6_ADDR_LINKLOCAL)
		ireq->ir_iif = tcp_v6_iif(skb);
}

/*
 * Fill @req as tcp_conn_request() would have.  The route to the client
 * (*dst, referenced) and its flow go on to the child, as cookie_v4_check()
 * hands over its own: one route lookup less per connection.
 */
static int synq_reqsk_fill(struct synq_sock *ss, struct request_sock *req,
			   struct sk_buff *skb, const struct synq_entry *e,
			   struct dst_entry **dst, struct flowi *fl)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct tcp_request_sock *treq = tcp_rsk(req);
	struct sock *tmpl = synq_tmpl(ss);
	const struct synq_net *sn = synq_pernet(sock_net(tmpl));
	u32 rcv_wnd, clamp;
	u8 rcv_wscale;

	synq_reqsk_addrs(req, tmpl, &e->t, skb);
	ireq->ir_mark = inet_request_mark(tmpl, skb);
	ireq->no_srccheck = synq_inet_transparent(tmpl);
	ireq->tstamp_ok = e->tstamp_ok;
	ireq->sack_ok = e->sack_ok;
	ireq->wscale_ok = synq_wscale_ok(e);
	ireq->snd_wscale = synq_wscale_ok(e) ? e->snd_wscale : 0;
	ireq->ecn_ok = e->ecn_ok;

	req->mss = e->mss;
	req->ts_recent = e->ts_recent;
	req->num_retrans = e->num_retrans;
	req->num_timeout = min_t(u8, e->num_retrans, 127);

	treq->af_specific = &synq_request_ops;
	treq->rcv_isn = e->irs;
	treq->rcv_nxt = e->irs + 1;
	treq->snt_isn = e->iss;
	treq->ts_off = e->tstamp_ok ? synq_ts_off(sn, &e->t) : 0;
	/* IPv6: the last SYN-ACK's, its flow label; IPv4: TCP's random one. */
	treq->txhash = e->t.v6 ? synq_txhash(ss, e) : net_tx_rndhash();
	treq->syn_tos = TCP_SKB_CB(skb)->ip_dsfield;

	*dst = synq_route(ss, &e->t, fl);
	if (IS_ERR(*dst))
		return PTR_ERR(*dst);
	synq_select_window(tmpl, *dst, e, &rcv_wnd, &clamp, &rcv_wscale);
	/*
	 * The scale the SYN-ACK announced, whatever SO_RCVBUF or tcp_rmem say
	 * now; the window and its clamp are cut to what that scale can
	 * express (as tcp_select_initial_window() cuts them).  A cookie has
	 * no room for it: recomputed, as cookie_v4_check() does.
	 */
	if (synq_rcv_wscale_chosen(e)) {
		rcv_wscale = synq_rcv_wscale(e);
		clamp = min(clamp, 65535U << rcv_wscale);
		rcv_wnd = min(rcv_wnd, clamp);
	}
	req->rsk_rcv_wnd = rcv_wnd;
	req->rsk_window_clamp = clamp;
	ireq->rcv_wscale = rcv_wscale;
	return 0;
}

/*
 * Make the child and put it on the accept queue: it comes back bh-locked,
 * with a reference for the caller, in TCP_SYN_RECV.  NULL when TCP refused
 * it (accept queue full, no memory, the listener closing, or the 4-tuple
 * already in ehash).
 */
struct sock *synq_child_create(struct synq_sock *ss, struct sk_buff *skb,
			       const struct synq_entry *e)
{
	struct sock *tmpl = synq_tmpl(ss);
	struct request_sock *req;
	struct dst_entry *dst;
	struct sock *child;
	struct flowi fl;

	synq_sync_inherited_bh(&ss->inet.sk, tmpl);
	req = synq_reqsk_alloc(tmpl, e->t.v6);
	if (!req)
		return NULL;
	if (synq_reqsk_fill(ss, req, skb, e, &dst, &fl)) {
		__reqsk_free(req);
		return NULL;
	}
	if (security_inet_conn_request(tmpl, skb, req)) {
		dst_release(dst);
		__reqsk_free(req);
		return NULL;
	}
	/* It takes our reference on dst, and drops it if it fails. */
	child = synq_get_cookie_sock(tmpl, skb, req, dst);
	if (!child)
		return NULL;
	synq_child_init_ops(child);
	/*
	 * ip_queue_xmit() builds the child's IP headers from this flow, which
	 * inet_csk_route_child_sock() would have filled: without it the
	 * child's segments have no addresses (cookie_v4_check() does the same).
	 * An IPv6 child has its route and flow from ip6_dst_store().
	 */
	if (!e->t.v6)
		inet_sk(child)->cork.fl.u.ip4 = fl.u.ip4;
	return child;
}

#ifdef SYNQ_SELFTEST
#include "selftest/child.c"
#endif
