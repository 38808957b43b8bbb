// SPDX-License-Identifier: GPL-2.0
/*
 * synq: final ACKs and RSTs for pending entries.
 *
 * SYNs reach synq through TCP (syn.c).  What TCP cannot do for us is the
 * rest of the handshake: an entry is no request_sock, so to TCP the final
 * ACK, an RST for an entry and a returning cookie would meet a bare
 * listener, which answers an ACK with an RST.  A netfilter hook at the end
 * of LOCAL_IN takes exactly those: for a segment to a synq port that is no
 * SYN, belongs to no connection and finds a template in TCP's listening
 * hash (the lookup TCP itself would make, sk_lookup BPF included).
 * Everything else goes on to TCP untouched.
 *
 * The hook runs after every filter, security, NAT and helper hook
 * (NF_IP_PRI_CONNTRACK_CONFIRM - 1): a firewall at any priority sees and
 * may drop these segments before synq acts on them, as it would before
 * tcp_v4_rcv().  Then synq does what tcp_v4_rcv() does for a segment that
 * finds a request (its TCP_NEW_SYN_RECV branch), with the template as the
 * listener: the checksum, the IPsec policy, TCP-MD5 with the template's
 * keys (md5.c), min_ttl, the socket filter; then what
 * tcp_check_req() does (ACK number, PAWS, window); and completes the child
 * as tcp_child_process() does, so the ACK moves it to ESTABLISHED under the
 * child's lock before accept() can take it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/busy_poll.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "child.h"
#include "compat.h"
#include "cookies.h"
#include "input.h"
#include "md5.h"
#include "output.h"

/*
 * Last but conntrack's confirm (NF_IP_PRI_CONNTRACK_CONFIRM for IPv4,
 * NF_IP6_PRI_LAST - 1 for IPv6): see the comment at the top.
 */
#define SYNQ_HOOK_PRIORITY	(NF_IP_PRI_CONNTRACK_CONFIRM - 1)
#define SYNQ_HOOK6_PRIORITY	(NF_IP6_PRI_LAST - 2)

/* A segment synq has answered in full: TCP never sees it. */
static unsigned int synq_consume(struct sk_buff *skb)
{
	consume_skb(skb);
	return NF_STOLEN;
}

static unsigned int synq_drop(struct synq_seg *s, struct sk_buff *skb,
			      enum synq_mib_field why)
{
	synq_count_drop(s, why);
	return synq_consume(skb);
}

/*
 * The ACK's flow leaves LOCAL_IN here, before conntrack's confirm: confirm
 * it now, as the hook would (an ACK can open a flow when conntrack picks up
 * connections mid-stream), through the kernel's nf_ct_hook (no dependency
 * on nf_conntrack.ko); then drop the reference as tcp_v4_rcv() does.
 */
static void synq_ct_leave(struct sk_buff *skb)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	const struct nf_ct_hook *ct_hook;

	if (ct && !nf_ct_is_confirmed(ct)) {
		ct_hook = rcu_dereference(nf_ct_hook);
		if (ct_hook)
			ct_hook->confirm(skb);
	}
	nf_reset_ct(skb);
}

/*
 * tcp_v4_fill_cb() and tcp_v6_fill_cb() (static in tcp_ipv4.c and
 * tcp_ipv6.c): the skb's control block becomes TCP's, as tcp_v4_rcv() and
 * tcp_v6_rcv() make it before the child is built (tcp_v6_syn_recv_sock()
 * reads the interface from it) and the ACK processed.
 */
static void synq_fill_cb(const struct synq_seg *s, struct sk_buff *skb)
{
	const struct tcphdr *th = s->th;

	if (s->t.v6) {
		memmove(&TCP_SKB_CB(skb)->header.h6, IP6CB(skb),
			sizeof(struct inet6_skb_parm));
		barrier();
		TCP_SKB_CB(skb)->ip_dsfield = ipv6_get_dsfield(ipv6_hdr(skb));
	} else {
		memmove(&TCP_SKB_CB(skb)->header.h4, IPCB(skb),
			sizeof(struct inet_skb_parm));
		barrier();
		TCP_SKB_CB(skb)->ip_dsfield = ipv4_get_dsfield(ip_hdr(skb));
	}
	TCP_SKB_CB(skb)->seq = ntohl(th->seq);
	TCP_SKB_CB(skb)->end_seq = (TCP_SKB_CB(skb)->seq + th->syn + th->fin +
				    skb->len - th->doff * 4);
	TCP_SKB_CB(skb)->ack_seq = ntohl(th->ack_seq);
	TCP_SKB_CB(skb)->tcp_flags = tcp_flag_byte(th);
	TCP_SKB_CB(skb)->tcp_tw_isn = 0;
	TCP_SKB_CB(skb)->sacked = 0;
	TCP_SKB_CB(skb)->has_rxtstamp =
			skb->tstamp || skb_hwtstamps(skb)->hwtstamp;
}

/* The child for @e, from a segment that TCP would now give to tcp_check_req(). */
static struct sock *synq_make_child(struct synq_seg *s, struct sk_buff *skb,
				    const struct synq_entry *e)
{
	synq_fill_cb(s, skb);
	return synq_child_create(s->ss, skb, e);
}

/*
 * tcp_child_process() (not exported since 6.12), with the child's own
 * backlog_rcv, tcp_v4_do_rcv(), which moves it to ESTABLISHED (data and
 * all) or resets it, and always frees the skb.  The child comes bh-locked
 * with a reference (synq_child_create()); the listener is woken as TCP
 * wakes it.
 */
static unsigned int synq_child_process(struct synq_seg *s,
				       struct sk_buff *skb, struct sock *child)
{
	struct sock *tmpl = synq_tmpl(s->ss);
	int state = child->sk_state;

	__acquire(&child->sk_lock.slock);	/* held since synq_child_create() */
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_CHILDREN);
	synq_ct_leave(skb);
	sk_mark_napi_id_set(child, skb);
	tcp_segs_in(tcp_sk(child), skb);
	if (!sock_owned_by_user(child)) {
		child->sk_backlog_rcv(child, skb);
		if (state == TCP_SYN_RECV && child->sk_state != state)
			tmpl->sk_data_ready(tmpl);
	} else {
		__sk_add_backlog(child, skb);
	}
	bh_unlock_sock(child);
	sock_put(child);
	return NF_STOLEN;
}

/*
 * Is @seq in the window the SYN-ACK offered?  That window field is at most
 * 65535 and never scaled, which bounds it without a route lookup.
 */
static bool synq_in_window(const struct synq_entry *e, u32 seq)
{
	return seq - (e->irs + 1) < 65535U;
}

/*
 * What tcp_v4_rcv() and tcp_v6_rcv() check, with the listener, before
 * tcp_check_req() acts on a segment for a request: false to drop it
 * (counted as TCP counts).  min_ttl (IPV6_MINHOPCOUNT) is checked too,
 * which TCP does for the SYN only.
 */
static bool synq_listener_accepts(struct synq_seg *s, struct sk_buff *skb)
{
	struct sock *tmpl = synq_tmpl(s->ss);
	struct net *net = sock_net(tmpl);
	enum synq_auth auth;
	const u8 *md5;

	if (s->t.v6 ? ipv6_hdr(skb)->hop_limit <
		      READ_ONCE(inet6_sk(tmpl)->min_hopcount) :
		      ip_hdr(skb)->ttl < READ_ONCE(inet_sk(tmpl)->min_ttl)) {
		__NET_INC_STATS(net, LINUX_MIB_TCPMINTTLDROP);
		return false;
	}
	if (s->t.v6 ? !xfrm6_policy_check(tmpl, XFRM_POLICY_IN, skb) :
		      !xfrm4_policy_check(tmpl, XFRM_POLICY_IN, skb))
		return false;
	auth = synq_tcp_auth_opts(s->th, &md5);
	if (auth == SYNQ_AUTH_BAD ||
	    (auth == SYNQ_AUTH_MD5 &&
	     !synq_md5_inbound_ok(tmpl, skb, &s->t, s->sdif ? s->dif : 0,
				  md5)))
		return false;
	/* tcp_filter(): socket filter, cgroup BPF ingress, the LSM. */
	if (sk_filter_trim_cap(tmpl, skb, s->th->doff * 4) ||
	    !synq_filter_accepts(s->ss, skb, s->th->doff * 4))
		return false;
	s->th = (const struct tcphdr *)skb->data;	/* it may have moved */
	return true;
}

static unsigned int synq_refuse(struct synq_seg *s, struct sk_buff *skb)
{
	sk_drops_add(synq_tmpl(s->ss), skb);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_LISTENDROPS);
	atomic64_inc(&s->ss->drops);
	kfree_skb(skb);
	return NF_STOLEN;
}

/*
 * tcp_check_req()'s PAWS test, tcp_paws_reject() with a zero window, on
 * the entry's ts_recent.
 */
static bool synq_paws_reject(const struct synq_opts *o,
			     const struct synq_entry *e)
{
	return e->tstamp_ok && o->saw_tstamp && e->ts_recent &&
	       (s32)(e->ts_recent - o->tsval) > 0;
}

/* RFC 5961 3.2 is TCP's business; a pending SYN only needs the RST in window. */
static unsigned int synq_rcv_rst(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_table *t = rcu_dereference(s->ss->table);
	struct synq_bucket *b;
	struct synq_entry *e;
	struct synq_opts o;
	spinlock_t *lock;		/* of the bucket */

	if (!t)
		return NF_ACCEPT;
	b = synq_table_bucket(t, &s->t);
	if (!synq_bucket_find(t, b, &s->t))
		return NF_ACCEPT;
	if (!synq_listener_accepts(s, skb))
		return synq_refuse(s, skb);
	synq_parse_options(s->sn->net, s->th, &o);

	lock = synq_bucket_lock(t, b);
	spin_lock(lock);
	e = synq_bucket_find(t, b, &s->t);
	if (!e) {
		spin_unlock(lock);
		return NF_ACCEPT;	/* a child meanwhile: TCP's */
	}
	/* tcp_check_req(): PAWS holds for RSTs too (the request is young). */
	if (synq_paws_reject(&o, e) || !synq_in_window(e, s->seq)) {
		spin_unlock(lock);
		return synq_consume(skb);	/* as TCP: no answer to an RST */
	}
	synq_table_unlink_locked(t, b, e);
	spin_unlock(lock);
	synq_entry_free(e);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_RSTS);
	__NET_INC_STATS(sock_net(synq_tmpl(s->ss)), LINUX_MIB_EMBRYONICRSTS);
	return synq_consume(skb);
}

/* As tcp_check_req() keeps the TSval of an acceptable segment. */
static void synq_update_ts_recent(const struct synq_seg *s,
				  const struct synq_opts *o,
				  struct synq_entry *e)
{
	if (e->tstamp_ok && o->saw_tstamp && !after(s->seq, e->irs + 1))
		e->ts_recent = o->tsval;
}

/*
 * The accept queue is full at the final ACK.  abort_on_overflow: forget the
 * connection and let TCP answer the ACK with an RST.  Otherwise drop the ACK;
 * the caller keeps any entry so that the client's retransmission completes
 * once accept() makes room.
 */
static unsigned int synq_overflow(struct synq_seg *s, struct sk_buff *skb)
{
	atomic64_inc(&s->ss->overflows);
	if (synq_abort_on_overflow(s->ss)) {
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_LISTENOVERFLOWS);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_OVERFLOWRESETS);
		__NET_INC_STATS(s->sn->net, LINUX_MIB_LISTENOVERFLOWS);
		tcp_listendrop(synq_tmpl(s->ss));
		return NF_ACCEPT;
	}
	return synq_drop(s, skb, SYNQ_MIB_LISTENOVERFLOWS);
}

/*
 * TCP_DEFER_ACCEPT on the listener: a bare final ACK makes no child; the
 * entry waits (SYN-ACKs still go out) for the first data, as tcp_check_req().
 */
static bool synq_defer_accept(const struct synq_seg *s,
			      const struct sk_buff *skb,
			      const struct synq_entry *e)
{
	const struct sock *tmpl = synq_tmpl(s->ss);
	u8 defer = READ_ONCE(inet_csk(tmpl)->icsk_accept_queue.rskq_defer_accept);

	return e->num_retrans < defer && !s->th->fin &&
	       skb->len == s->th->doff * 4;
}

/*
 * An ACK with no entry: a returning cookie, where one could be (cookies on,
 * and the listener overflowed recently or is in mode 2 or paused; as Linux's
 * tcp_synq_no_recent_overflow()).  A bad one goes to TCP, which resets it.
 */
static unsigned int synq_rcv_cookie_ack(struct synq_seg *s,
					struct sk_buff *skb)
{
	struct sock *tmpl = synq_tmpl(s->ss);
	struct synq_entry e = {};
	struct synq_opts o;
	struct sock *child;

	if (!synq_cookie_expected(s->ss))
		return NF_ACCEPT;
	synq_tuple_copy(&e.t, &s->t);
	e.irs = s->seq - 1;
	if (!synq_cookie_check(s->sn, &e, s->ack_seq - 1)) {
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNCOOKIESFAILED);
		__NET_INC_STATS(s->sn->net, LINUX_MIB_SYNCOOKIESFAILED);
		return NF_ACCEPT;
	}
	if (!synq_listener_accepts(s, skb))
		return synq_refuse(s, skb);
	atomic64_inc(&s->ss->cookies_recv);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNCOOKIESRECV);
	__NET_INC_STATS(s->sn->net, LINUX_MIB_SYNCOOKIESRECV);

	synq_parse_options(s->sn->net, s->th, &o);
	if (o.saw_tstamp) {
		e.tstamp_ok = 1;
		e.ts_recent = o.tsval;
	}
	if (sk_acceptq_is_full(tmpl))
		return synq_overflow(s, skb);

	child = synq_make_child(s, skb, &e);
	if (!child)
		return synq_drop(s, skb, SYNQ_MIB_NOMEM);
	return synq_child_process(s, skb, child);
}

/* An ACK of ours that tcp_check_req() would refuse: re-ACK, keep the entry. */
static unsigned int synq_bad_ack(struct synq_seg *s, struct sk_buff *skb,
				 struct synq_entry *e, spinlock_t *lock,
				 bool paws)
	__releases(lock)
{
	synq_send_ack(s->ss, e);
	spin_unlock(lock);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_BADACKS);
	if (paws)
		__NET_INC_STATS(s->sn->net, LINUX_MIB_PAWSESTABREJECTED);
	return synq_consume(skb);
}

static unsigned int synq_rcv_ack(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_table *t = rcu_dereference(s->ss->table);
	struct sock *tmpl = synq_tmpl(s->ss);
	struct synq_bucket *b;
	struct synq_entry *e;
	struct synq_opts o;
	struct sock *child;
	spinlock_t *lock;		/* of the bucket */

	if (!t)
		return NF_ACCEPT;
	b = synq_table_bucket(t, &s->t);
	if (!synq_bucket_find(t, b, &s->t))
		return synq_rcv_cookie_ack(s, skb);
	if (!synq_listener_accepts(s, skb))
		return synq_refuse(s, skb);

	lock = synq_bucket_lock(t, b);
	spin_lock(lock);
	e = synq_bucket_find(t, b, &s->t);
	if (!e) {
		spin_unlock(lock);
		return NF_ACCEPT;
	}
	if (s->ack_seq != e->iss + 1) {
		/* TCP answers it with an RST, as Linux's listener does. */
		spin_unlock(lock);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_BADACKS);
		return NF_ACCEPT;
	}
	synq_parse_options(s->sn->net, s->th, &o);
	if (synq_paws_reject(&o, e))
		return synq_bad_ack(s, skb, e, lock, true);
	if (!synq_in_window(e, s->seq))
		return synq_bad_ack(s, skb, e, lock, false);
	synq_update_ts_recent(s, &o, e);
	if (synq_defer_accept(s, skb, e)) {
		synq_table_mark_acked_locked(t, e);
		spin_unlock(lock);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_DEFERACCEPTDROP);
		__NET_INC_STATS(s->sn->net, LINUX_MIB_TCPDEFERACCEPTDROP);
		return synq_consume(skb);
	}
	if (sk_acceptq_is_full(tmpl)) {
		if (synq_abort_on_overflow(s->ss)) {
			synq_table_unlink_locked(t, b, e);
			spin_unlock(lock);
			synq_entry_free(e);
		} else {
			synq_table_mark_acked_locked(t, e);
			spin_unlock(lock);
		}
		return synq_overflow(s, skb);
	}
	/*
	 * The entry stays until the child is in ehash: a segment racing on
	 * another CPU then finds one or the other, never neither (which
	 * would make TCP reset the connection).
	 */
	child = synq_make_child(s, skb, e);
	if (child) {
		synq_table_unlink_locked(t, b, e);
		spin_unlock(lock);
		synq_entry_free(e);
		return synq_child_process(s, skb, child);
	}
	/* Refused (the queue filled meanwhile, or no memory): retry later. */
	synq_table_mark_acked_locked(t, e);
	spin_unlock(lock);
	return synq_drop(s, skb, SYNQ_MIB_LISTENOVERFLOWS);
}

/*
 * Hand the socket just looked up to TCP with the segment, as early demux
 * does (loopback and forwarded segments skip early demux): tcp_v4_rcv()
 * then takes it from skb->sk instead of looking it up again.  Our reference
 * goes with it.
 */
static void synq_demux(struct sk_buff *skb, struct sock *sk)
{
	skb->sk = sk;
	skb->destructor = sock_edemux;
}

/* Segments of existing connections (TIME_WAIT too) are TCP's. */
static bool synq_established(const struct synq_seg *s, struct sk_buff *skb)
{
	struct sock *sk;

	if (skb->sk)
		return true;	/* early demux found it */
	sk = synq_lookup_established(s);
	if (!sk)
		return false;
	synq_demux(skb, sk);
	return true;
}

/*
 * The template TCP would give this segment, if it is synq's: TCP's own
 * listener lookup (bound device, address, sk_lookup BPF).  Under RCU, as
 * tcp_v4_rcv() holds a listener: what needs it alive takes a reference
 * (reqsk_alloc(), synq_send()).
 */
static struct synq_sock *synq_listener(const struct synq_seg *s,
				       struct sk_buff *skb)
{
	struct net *net = s->sn->net;
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk;

	if (s->t.v6)
		sk = inet6_lookup_listener(net, hinfo, skb, __tcp_hdrlen(s->th),
					   &s->t.raddr6, s->t.rport,
					   &s->t.laddr6, ntohs(s->t.lport),
					   s->dif, s->sdif);
	else
		sk = __inet_lookup_listener(net, hinfo, skb,
					    __tcp_hdrlen(s->th), s->t.raddr,
					    s->t.rport, s->t.laddr,
					    ntohs(s->t.lport), s->dif, s->sdif);
	if (!sk || !synq_is_tmpl(sk))
		return NULL;
	return synq_tmpl_owner(sk);
}

/* skb_checksum_init() is a macro: one pseudo-header function a call. */
static __sum16 synq_checksum_init(const struct synq_seg *s,
				  struct sk_buff *skb)
{
	if (s->t.v6)
		return skb_checksum_init(skb, IPPROTO_TCP, ip6_compute_pseudo);
	return skb_checksum_init(skb, IPPROTO_TCP, inet_compute_pseudo);
}

/*
 * Bring the segment to where tcp_v4_rcv() has it: skb->data at the TCP
 * header (as ip_local_deliver_finish() pulls it), the header in the linear
 * part, the checksum verified from the TCP header on (IP options that the
 * receive path rewrote do not matter).  False, with the skb as it came,
 * for what TCP itself should judge (and count).
 */
static bool synq_pull(struct synq_seg *s, struct sk_buff *skb,
		      unsigned int thoff)
{
	const struct tcphdr *th;

	if (!pskb_may_pull(skb, thoff + sizeof(*th)))
		return false;
	th = (const struct tcphdr *)(skb->data + thoff);
	if (th->doff < sizeof(*th) / 4 ||
	    !pskb_may_pull(skb, thoff + th->doff * 4))
		return false;
	__skb_pull(skb, thoff);
	if (synq_checksum_init(s, skb) || tcp_checksum_complete(skb)) {
		__skb_push(skb, thoff);
		return false;
	}
	th = (const struct tcphdr *)skb->data;
	s->th = th;
	s->seq = ntohl(th->seq);
	s->ack_seq = ntohl(th->ack_seq);
	return true;
}

/* @s has the tuple and interfaces; the rest is family-blind. */
static unsigned int synq_rcv(struct synq_seg *s, struct sk_buff *skb,
			     unsigned int thoff)
{
	unsigned int verdict;

	if (skb->pkt_type != PACKET_HOST || synq_established(s, skb))
		return NF_ACCEPT;
	s->ss = synq_listener(s, skb);
	if (!s->ss)
		return NF_ACCEPT;
	verdict = NF_ACCEPT;
	if (synq_pull(s, skb, thoff)) {
		verdict = s->th->rst ? synq_rcv_rst(s, skb) :
				       synq_rcv_ack(s, skb);
		if (verdict == NF_ACCEPT)
			__skb_push(skb, thoff);
		else	/* TCP's, had it come */
			__TCP_INC_STATS(s->sn->net, TCP_MIB_INSEGS);
	}
	return verdict;
}

/*
 * The TCP header of @skb if it is a segment for synq's final-ACK path:
 * no SYN (those are TCP's, then synq_conn_request()'s), no SYN-ACK
 * (TCP's: they reset); any RST, SYN|RST too, may be for an entry, as it
 * would be for a request in tcp_check_req().
 */
static const struct tcphdr *synq_hook_th(const struct synq_net *sn,
					 const struct sk_buff *skb,
					 unsigned int thoff,
					 struct tcphdr *buf)
{
	const struct tcphdr *th = skb_header_pointer(skb, thoff, sizeof(*buf),
						     buf);

	if (!th || !test_bit(ntohs(th->dest), sn->ports))
		return NULL;
	if (!th->rst && (th->syn || !th->ack))
		return NULL;
	return th;
}

/*
 * Hooks run in softirq, except after an NFQUEUE verdict: nf_reinject()
 * runs the rest of LOCAL_IN from the verdict's sendmsg(), in process
 * context with BH on.  The bucket locks are also taken by the table's
 * timer, and TCP's child path wants BH off: disable it, as ipt_do_table()
 * and conntrack's confirm do.
 */
static unsigned int synq_rcv_bh(struct synq_seg *s, struct sk_buff *skb,
				unsigned int thoff)
{
	unsigned int verdict;

	local_bh_disable();
	verdict = synq_rcv(s, skb, thoff);
	local_bh_enable();
	return verdict;
}

static unsigned int synq_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct synq_seg s = { .sn = priv };
	struct tcphdr _th;
	unsigned int thoff;

	if (iph->protocol != IPPROTO_TCP)
		return NF_ACCEPT;
	thoff = iph->ihl * 4;
	s.th = synq_hook_th(s.sn, skb, thoff, &_th);
	if (!s.th)
		return NF_ACCEPT;
	s.t.laddr = iph->daddr;
	s.t.raddr = iph->saddr;
	s.t.lport = s.th->dest;
	s.t.rport = s.th->source;
	s.dif = inet_iif(skb);
	s.sdif = inet_sdif(skb);
	return synq_rcv_bh(&s, skb, thoff);
}

/*
 * Does ip6_parse_tlv() pass this Destination Options header without acting
 * on it?  Padding (zeros, at most 7 bytes in a row) and unknown options
 * whose action bits say "skip" (RFC 8200 4.2), no more of those than
 * net.ipv6.max_dst_opts_cnt allows.  Anything else is the kernel's to judge
 * after LOCAL_IN (discard, ICMP, Home Address), as it is before TCP's.
 */
static bool synq_destopts_pass(const struct net *net, const struct sk_buff *skb,
			       unsigned int off, unsigned int len)
{
	int max = READ_ONCE(net->ipv6.sysctl.max_dst_opts_cnt);
	unsigned int i, j, optlen, pad = 0, count = 0;
	u8 buf[8];
	const u8 *h;

	if (off + len > skb->len)
		return false;
	for (i = 2; i < len; i += optlen) {
		h = skb_header_pointer(skb, off + i, 1, buf);
		if (h[0] == IPV6_TLV_PAD1) {
			optlen = 1;
			if (++pad > 7)
				return false;
			continue;
		}
		if (i + 2 > len)
			return false;
		h = skb_header_pointer(skb, off + i, 2, buf);
		optlen = h[1] + 2;
		if (i + optlen > len)
			return false;
		if (h[0] == IPV6_TLV_PADN) {
			pad += optlen;
			if (pad > 7)
				return false;
			h = skb_header_pointer(skb, off + i, optlen, buf);
			for (j = 2; j < optlen; j++)
				if (h[j])
					return false;
			continue;
		}
		pad = 0;
		if (max < 0 || ++count > max || (h[0] & 0xc0))
			return false;
	}
	return true;
}

/*
 * Where an IPv6 segment's TCP header starts, or -1 for one whose extension
 * headers the kernel must process before any transport sees it, as it does
 * after LOCAL_IN: a fragment (reassembled after this hook unless conntrack
 * did it before), AH or ESP (xfrm brings the plain segment through LOCAL_IN
 * again), a Routing header with segments left (not for this host yet), a
 * Destination option the kernel acts on.  Hop-by-Hop options, the first
 * header if any, ip6_rcv_core() has processed already.
 */
static int synq_tcp_offset6(const struct net *net, const struct sk_buff *skb)
{
	unsigned int off = sizeof(struct ipv6hdr);
	u8 nexthdr = ipv6_hdr(skb)->nexthdr;
	const struct ipv6_rt_hdr *rth;
	struct ipv6_rt_hdr buf;

	for (;;) {
		switch (nexthdr) {
		case IPPROTO_TCP:
			return off;
		case NEXTHDR_HOP:
			if (off != sizeof(struct ipv6hdr))
				return -1;
			break;
		case NEXTHDR_DEST:
		case NEXTHDR_ROUTING:
			break;
		default:
			return -1;
		}
		rth = skb_header_pointer(skb, off, sizeof(buf), &buf);
		if (!rth)
			return -1;
		if (nexthdr == NEXTHDR_ROUTING ? rth->segments_left :
		    nexthdr == NEXTHDR_DEST &&
		    !synq_destopts_pass(net, skb, off, ipv6_optlen(rth)))
			return -1;
		nexthdr = rth->nexthdr;
		off += ipv6_optlen(rth);
	}
}

static unsigned int synq_hook6(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct synq_seg s = { .sn = priv };
	struct tcphdr _th;
	int thoff;

	thoff = synq_tcp_offset6(state->net, skb);
	if (thoff < 0)
		return NF_ACCEPT;
	s.th = synq_hook_th(s.sn, skb, thoff, &_th);
	if (!s.th)
		return NF_ACCEPT;
	s.t.v6 = true;
	s.t.laddr6 = ip6h->daddr;
	s.t.raddr6 = ip6h->saddr;
	s.t.ifindex = inet6_iif(skb);
	s.t.lport = s.th->dest;
	s.t.rport = s.th->source;
	s.dif = inet6_iif(skb);
	s.sdif = inet6_sdif(skb);
	return synq_rcv_bh(&s, skb, thoff);
}

static const struct nf_hook_ops synq_hook_template[SYNQ_NR_HOOKS] = {
	{
		.hook		= synq_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= SYNQ_HOOK_PRIORITY,
	}, {
		.hook		= synq_hook6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= SYNQ_HOOK6_PRIORITY,
	},
};

/*
 * LOCAL_IN's jump label stays on while synq is loaded.  The first hook of a
 * kind turns it on, and that rewrites kernel text on every CPU
 * (text_poke_bp()); with our hook coming and going with listeners, it was
 * rewritten at every first listen() and last close() while packets ran
 * through the patched site, and under QEMU TCG a CPU then stopped on the
 * patching INT3 in ip_local_deliver() ("int3: 0000 [#1]").  Held, the label
 * flips at insmod and rmmod only; a netns without a listener still has no
 * hook, which nf_hook() sees from one pointer.
 */
void synq_input_key_hold(void)
{
#ifdef CONFIG_JUMP_LABEL
	static_key_slow_inc(&nf_hooks_needed[NFPROTO_IPV4][NF_INET_LOCAL_IN]);
	static_key_slow_inc(&nf_hooks_needed[NFPROTO_IPV6][NF_INET_LOCAL_IN]);
#endif
}

void synq_input_key_release(void)
{
#ifdef CONFIG_JUMP_LABEL
	static_key_slow_dec(&nf_hooks_needed[NFPROTO_IPV6][NF_INET_LOCAL_IN]);
	static_key_slow_dec(&nf_hooks_needed[NFPROTO_IPV4][NF_INET_LOCAL_IN]);
#endif
}

/*
 * The hook is registered only while the namespace has a synq listener:
 * before the first listen() and after the last close() its segments do not
 * pay for a hook call (nf_hook_slow() is not even entered when LOCAL_IN has
 * no hook).
 */
int synq_input_hold(struct synq_net *sn)
{
	int err = 0;

	mutex_lock(&sn->hook_mutex);
	if (!sn->hook_users)
		err = nf_register_net_hooks(sn->net, sn->hook_ops,
					    SYNQ_NR_HOOKS);
	if (!err)
		sn->hook_users++;
	mutex_unlock(&sn->hook_mutex);
	return err;
}

void synq_input_release(struct synq_net *sn)
{
	mutex_lock(&sn->hook_mutex);
	if (!--sn->hook_users)
		nf_unregister_net_hooks(sn->net, sn->hook_ops, SYNQ_NR_HOOKS);
	mutex_unlock(&sn->hook_mutex);
}

void synq_input_init(struct synq_net *sn)
{
	int i;

	mutex_init(&sn->hook_mutex);
	sn->hook_users = 0;
	for (i = 0; i < SYNQ_NR_HOOKS; i++) {
		sn->hook_ops[i] = synq_hook_template[i];
		sn->hook_ops[i].priv = sn;
	}
}

/* Listeners hold their namespace: the last one has released the hook. */
void synq_input_exit(struct synq_net *sn)
{
	WARN_ON_ONCE(sn->hook_users);
}
