// SPDX-License-Identifier: GPL-2.0
/*
 * synq: where segments come in.
 *
 * A netfilter hook at LOCAL_IN sees every IPv4 segment for this host.  Those
 * for other ports leave after one bit test; segments of established
 * connections are left to TCP.  For a listener's port: a SYN goes into the
 * SYN table and is answered with a SYN-ACK (output.c), an in-window RST
 * removes its entry, and the final ACK becomes a child (child.c) and then
 * continues to tcp_v4_rcv().  Anything synq does not claim goes on to TCP,
 * which answers it exactly as it would with no listener: that is Linux's own
 * answer for a bad ACK to a listener too (an RST).
 *
 * At LOCAL_IN skb->data is the IP header, the TCP checksum is unchecked and
 * TCP_SKB_CB is not filled: the header is read here, the checksum verified
 * before acting, and skb->cb is left alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include <net/tcp.h>

#include "synq.h"

/*
 * After raw/filter/nat tables (firewall rules see SYNs first) and before
 * conntrack's confirm at NF_IP_PRI_CONNTRACK_CONFIRM.
 */
#define SYNQ_HOOK_PRIORITY	(NF_IP_PRI_FILTER + 1)

struct synq_seg {
	struct synq_sock *ss;
	struct synq_net *sn;
	const struct tcphdr *th;
	struct synq_tuple t;
	u32 seq;
	u32 ack_seq;
	u32 tw_isn;		/* ISN chosen when a SYN recycles a TIME_WAIT */
};

struct synq_opts {
	u16 mss;
	u8 wscale;
	bool wscale_ok;
	bool sack_ok;
	bool saw_tstamp;
	u32 tsval;
};

/*
 * TCP options of a SYN or ACK (tcp_parse_options() would write TCP_SKB_CB,
 * which at LOCAL_IN is still the IP layer's).  Malformed options end the
 * parse as they do in TCP; what the netns has turned off is ignored.
 */
static void synq_parse_options(const struct net *net, const struct tcphdr *th,
			       struct synq_opts *o)
{
	const u8 *ptr = (const u8 *)(th + 1);
	int length = th->doff * 4 - sizeof(*th);

	memset(o, 0, sizeof(*o));
	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		if (opcode == TCPOPT_EOL)
			return;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return;
		opsize = *ptr++;
		if (opsize < 2 || opsize > length)
			return;
		switch (opcode) {
		case TCPOPT_MSS:
			if (opsize == TCPOLEN_MSS && th->syn)
				o->mss = get_unaligned_be16(ptr);
			break;
		case TCPOPT_WINDOW:
			if (opsize == TCPOLEN_WINDOW && th->syn &&
			    READ_ONCE(net->ipv4.sysctl_tcp_window_scaling)) {
				o->wscale_ok = true;
				o->wscale = min_t(u8, *ptr, TCP_MAX_WSCALE);
			}
			break;
		case TCPOPT_SACK_PERM:
			if (opsize == TCPOLEN_SACK_PERM && th->syn &&
			    READ_ONCE(net->ipv4.sysctl_tcp_sack))
				o->sack_ok = true;
			break;
		case TCPOPT_TIMESTAMP:
			if (opsize == TCPOLEN_TIMESTAMP &&
			    READ_ONCE(net->ipv4.sysctl_tcp_timestamps)) {
				o->saw_tstamp = true;
				o->tsval = get_unaligned_be32(ptr);
			}
			break;
		}
		ptr += opsize - 2;
		length -= opsize;
	}
}

/* A segment synq has answered in full: TCP never sees it. */
static unsigned int synq_consume(struct sk_buff *skb)
{
	consume_skb(skb);
	return NF_STOLEN;
}

/*
 * Conntrack confirms a flow's first packet at NF_IP_PRI_CONNTRACK_CONFIRM,
 * after this hook.  A SYN-ACK sent before that would be a new, invalid flow
 * to it, and a stateful firewall would drop the handshake; so a SYN is
 * confirmed here, before its answer, through the kernel's own nf_ct_hook
 * (no dependency on nf_conntrack.ko).  False: conntrack refused it, drop.
 */
static bool synq_ct_confirm(struct sk_buff *skb)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	const struct nf_ct_hook *ct_hook;

	if (!ct || nf_ct_is_confirmed(ct))
		return true;
	ct_hook = rcu_dereference(nf_ct_hook);
	return !ct_hook || ct_hook->confirm(skb) == NF_ACCEPT;
}

static unsigned int synq_drop(struct synq_seg *s, struct sk_buff *skb,
			      enum synq_mib_field why)
{
	SYNQ_INC_STATS(s->sn, why);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_LISTENDROPS);
	atomic64_inc(&s->ss->drops);
	return synq_consume(skb);
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
	e->t = s->t;
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
	ect = !INET_ECN_is_not_ect(ip_hdr(skb)->tos);
	e->ecn_ok = th->ece && th->cwr && (!ect || th->res1) &&
		    READ_ONCE(net->ipv4.sysctl_tcp_ecn);
}

/* No state: the SYN-ACK's ISS is the cookie, its TSval offset a hash. */
static unsigned int synq_send_cookie(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_entry e = {};

	synq_entry_init(s, skb, &e);
	e.iss = synq_cookie_make(s->sn, &e);
	synq_send_synack(s->ss, &e);
	atomic64_inc(&s->ss->cookies_sent);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNCOOKIESSENT);
	return synq_consume(skb);
}

/*
 * Whether a SYN without an entry gets one, a cookie or nothing; returns 0,
 * or the MIB field to drop it under.  Under the bucket lock.
 */
static int synq_syn_verdict(struct synq_seg *s, struct sk_buff *skb,
			    const struct synq_table *t, bool *cookie)
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
	if (!synq_ct_confirm(skb))
		return SYNQ_MIB_CTDROP;
	return 0;
}

/*
 * Has the 4-tuple become a connection since synq_established() looked?  A
 * final ACK on another CPU puts its child in ehash, then unlinks the entry,
 * both under the bucket lock we hold now: a SYN that found neither would
 * make a second entry for a connected peer.  TCP answers that SYN.
 */
static bool synq_connected_meanwhile(const struct synq_seg *s,
				     struct sk_buff *skb)
{
	struct net *net = s->sn->net;
	struct sock *sk;

	if (s->tw_isn)
		return false;	/* we killed its TIME_WAIT: nothing else there */
	sk = __inet_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
				       s->t.raddr, s->t.rport, s->t.laddr,
				       ntohs(s->t.lport), inet_iif(skb),
				       inet_sdif(skb));
	if (!sk)
		return false;
	sock_gen_put(sk);
	return true;
}

/* One critical section: a twin SYN on another CPU waits, then is a dup. */
static unsigned int synq_rcv_syn(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_table *t = rcu_dereference(s->ss->table);
	struct synq_bucket *b;
	struct synq_entry *e;
	spinlock_t *lock;		/* of the bucket: one per SYN */
	bool cookie;
	int why;

	if (!t)
		return NF_ACCEPT;
	if (skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))
		return synq_drop(s, skb, SYNQ_MIB_MALFORMED);
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
		return synq_consume(skb);
	}
	if (synq_connected_meanwhile(s, skb)) {
		spin_unlock(lock);
		return NF_ACCEPT;
	}
	why = synq_syn_verdict(s, skb, t, &cookie);
	if (why || cookie) {
		spin_unlock(lock);
		return why ? synq_drop(s, skb, why) : synq_send_cookie(s, skb);
	}

	e = synq_entry_alloc();
	if (!e) {
		spin_unlock(lock);
		return synq_drop(s, skb, SYNQ_MIB_NOMEM);
	}
	synq_entry_init(s, skb, e);
	if (!e->iss)
		e->iss = synq_isn(s->sn, &s->t);
	if (synq_table_insert_locked(t, b, e)) {
		spin_unlock(lock);
		synq_entry_free(e);
		return synq_drop(s, skb, SYNQ_MIB_REQQFULLDROP);
	}
	synq_send_synack(s->ss, e);
	spin_unlock(lock);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNACKS);
	return synq_consume(skb);
}

/*
 * Is @seq in the window the SYN-ACK offered?  That window field is at most
 * 65535 and never scaled, which bounds it without a route lookup.
 */
static bool synq_in_window(const struct synq_entry *e, u32 seq)
{
	return seq - (e->irs + 1) < 65535U;
}

/* RFC 5961 3.2 is TCP's business; a pending SYN only needs the RST in window. */
static unsigned int synq_rcv_rst(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_table *t = rcu_dereference(s->ss->table);
	struct synq_bucket *b;
	struct synq_entry *e;
	spinlock_t *lock;		/* of the bucket */

	if (!t)
		return NF_ACCEPT;
	b = synq_table_bucket(t, &s->t);
	if (!synq_bucket_find(t, b, &s->t))
		return NF_ACCEPT;

	lock = synq_bucket_lock(t, b);
	spin_lock(lock);
	e = synq_bucket_find(t, b, &s->t);
	if (!e || !synq_in_window(e, s->seq)) {
		spin_unlock(lock);
		return NF_ACCEPT;
	}
	synq_table_unlink_locked(t, b, e);
	spin_unlock(lock);
	synq_entry_free(e);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_RSTS);
	return synq_consume(skb);
}

static void synq_update_ts_recent(struct synq_seg *s, struct synq_entry *e)
{
	struct synq_opts o;

	if (!e->tstamp_ok)
		return;
	synq_parse_options(s->sn->net, s->th, &o);
	if (o.saw_tstamp && (s32)(o.tsval - e->ts_recent) > 0)
		e->ts_recent = o.tsval;
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
	const struct iphdr *iph = ip_hdr(skb);

	return e->num_retrans < defer && !s->th->fin &&
	       ntohs(iph->tot_len) == iph->ihl * 4 + s->th->doff * 4;
}

/* The child is on the accept queue: TCP takes the ACK and finds it. */
static unsigned int synq_child_ready(struct synq_seg *s)
{
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_CHILDREN);
	return NF_ACCEPT;
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

	if (!synq_cookie_expected(s->ss))
		return NF_ACCEPT;
	e.t = s->t;
	e.irs = s->seq - 1;
	if (!synq_cookie_check(s->sn, &e, s->ack_seq - 1)) {
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNCOOKIESFAILED);
		return NF_ACCEPT;
	}
	atomic64_inc(&s->ss->cookies_recv);
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_SYNCOOKIESRECV);

	synq_parse_options(s->sn->net, s->th, &o);
	if (o.saw_tstamp) {
		e.tstamp_ok = 1;
		e.ts_recent = o.tsval;
	}
	if (sk_acceptq_is_full(tmpl))
		return synq_overflow(s, skb);

	if (!synq_child_create(s->ss, skb, &e))
		return synq_drop(s, skb, SYNQ_MIB_NOMEM);
	return synq_child_ready(s);
}

static unsigned int synq_rcv_ack(struct synq_seg *s, struct sk_buff *skb)
{
	struct synq_table *t = rcu_dereference(s->ss->table);
	struct sock *tmpl = synq_tmpl(s->ss);
	struct synq_bucket *b;
	struct synq_entry *e;
	spinlock_t *lock;		/* of the bucket */

	if (!t)
		return NF_ACCEPT;
	b = synq_table_bucket(t, &s->t);
	if (!synq_bucket_find(t, b, &s->t))
		return synq_rcv_cookie_ack(s, skb);

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
	if (!synq_in_window(e, s->seq)) {
		/* As tcp_check_req(): re-ACK, keep the entry. */
		synq_send_ack(s->ss, e);
		spin_unlock(lock);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_BADACKS);
		return synq_consume(skb);
	}
	synq_update_ts_recent(s, e);
	if (synq_defer_accept(s, skb, e)) {
		synq_table_mark_acked_locked(t, e);
		spin_unlock(lock);
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_DEFERACCEPTDROP);
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
	if (synq_child_create(s->ss, skb, e)) {
		synq_table_unlink_locked(t, b, e);
		spin_unlock(lock);
		synq_entry_free(e);
		return synq_child_ready(s);
	}
	/* Refused (the queue filled meanwhile, or no memory): retry later. */
	synq_table_mark_acked_locked(t, e);
	spin_unlock(lock);
	return synq_drop(s, skb, SYNQ_MIB_LISTENOVERFLOWS);
}

/*
 * A SYN for the 4-tuple of a TIME_WAIT socket starts a new connection at
 * once when it is clearly new (tcp_timewait_state_process()): then the
 * TIME_WAIT is killed and the new ISN follows the old sequence space.
 * Returns that ISN, or 0 to leave the SYN to TCP.
 */
static u32 synq_tw_recycle(struct synq_seg *s, struct sock *sk)
{
	struct tcp_timewait_sock *tcptw = tcp_twsk(sk);
	struct synq_opts o;
	u32 isn;

	synq_parse_options(s->sn->net, s->th, &o);
	if (tcptw->tw_ts_recent_stamp && o.saw_tstamp &&
	    (s32)(tcptw->tw_ts_recent - o.tsval) > 0)
		return 0;	/* PAWS */
	if (!after(s->seq, tcptw->tw_rcv_nxt) &&
	    !(o.saw_tstamp && tcptw->tw_ts_recent_stamp &&
	      (s32)(tcptw->tw_ts_recent - o.tsval) < 0))
		return 0;
	isn = tcptw->tw_snd_nxt + 65535 + 2;
	return isn ? isn : 1;
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

/*
 * Leave segments of existing connections to TCP.  Returns true when TCP
 * should have the segment; a SYN that recycles a TIME_WAIT sets s->tw_isn.
 */
static bool synq_established(struct synq_seg *s, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct net *net = state->net;
	struct sock *sk = skb->sk;

	if (sk) {
		if (sk_fullsock(sk) || sk->sk_state != TCP_TIME_WAIT)
			return true;
		refcount_inc(&sk->sk_refcnt);
	} else {
		sk = __inet_lookup_established(net,
					       net->ipv4.tcp_death_row.hashinfo,
					       s->t.raddr, s->t.rport,
					       s->t.laddr, ntohs(s->t.lport),
					       inet_iif(skb), inet_sdif(skb));
		if (!sk)
			return false;
		if (sk->sk_state != TCP_TIME_WAIT || !s->th->syn) {
			synq_demux(skb, sk);
			return true;
		}
	}
	if (sk->sk_state == TCP_TIME_WAIT && s->th->syn && !s->th->ack &&
	    !s->th->rst && !s->th->fin)
		s->tw_isn = synq_tw_recycle(s, sk);
	if (!s->tw_isn) {
		sock_gen_put(sk);
		return true;
	}
	skb_orphan(skb);
	inet_twsk_deschedule_put(inet_twsk(sk));
	SYNQ_INC_STATS(s->sn, SYNQ_MIB_TWREUSE);
	return false;
}

/* Pull and check the TCP header; false for what TCP itself should judge. */
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
	if (nf_checksum(skb, NF_INET_LOCAL_IN, thoff, IPPROTO_TCP, AF_INET)) {
		SYNQ_INC_STATS(s->sn, SYNQ_MIB_CSUMERRORS);
		return false;
	}
	th = (const struct tcphdr *)(skb->data + thoff);
	s->th = th;
	s->t.laddr = ip_hdr(skb)->daddr;
	s->t.raddr = ip_hdr(skb)->saddr;
	s->t.lport = th->dest;
	s->t.rport = th->source;
	s->seq = ntohl(th->seq);
	s->ack_seq = ntohl(th->ack_seq);
	return true;
}

static unsigned int synq_rcv(struct synq_net *sn, struct sk_buff *skb,
			     unsigned int thoff, const struct tcphdr *hdr,
			     const struct nf_hook_state *state)
{
	struct synq_seg s = { .sn = sn };
	const struct tcphdr *th;

	if (skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	if (skb->sk && sk_fullsock(skb->sk))
		return NF_ACCEPT;	/* early demux found the connection */
	s.ss = synq_listener_lookup(sn, ip_hdr(skb)->daddr, hdr->dest,
				    inet_iif(skb), inet_sdif(skb));
	if (!s.ss)
		return NF_ACCEPT;
	if (!synq_pull(&s, skb, thoff)) {
		SYNQ_INC_STATS(sn, SYNQ_MIB_MALFORMED);
		return NF_ACCEPT;
	}
	if (synq_established(&s, skb, state))
		return NF_ACCEPT;

	th = s.th;
	if (th->rst)
		return synq_rcv_rst(&s, skb);
	if (th->syn) {
		if (th->ack)
			return NF_ACCEPT;
		if (th->fin)
			return synq_drop(&s, skb, SYNQ_MIB_MALFORMED);
		return synq_rcv_syn(&s, skb);
	}
	if (th->ack)
		return synq_rcv_ack(&s, skb);
	return NF_ACCEPT;
}

static unsigned int synq_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct synq_net *sn = priv;
	struct tcphdr _th;
	const struct tcphdr *th;
	unsigned int thoff, verdict;

	if (iph->protocol != IPPROTO_TCP)
		return NF_ACCEPT;
	thoff = iph->ihl * 4;
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th || !test_bit(ntohs(th->dest), sn->ports))
		return NF_ACCEPT;
	/*
	 * Hooks run in softirq, except after an NFQUEUE verdict: nf_reinject()
	 * runs the rest of LOCAL_IN from the verdict's sendmsg(), in process
	 * context with BH on.  The bucket locks are also taken by the table's
	 * timer, and TCP's child path wants BH off: disable it, as
	 * ipt_do_table() and conntrack's confirm do.
	 */
	local_bh_disable();
	verdict = synq_rcv(sn, skb, thoff, th, state);
	local_bh_enable();
	return verdict;
}

static const struct nf_hook_ops synq_hook_template = {
	.hook		= synq_hook,
	.pf		= NFPROTO_IPV4,
	.hooknum	= NF_INET_LOCAL_IN,
	.priority	= SYNQ_HOOK_PRIORITY,
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
#endif
}

void synq_input_key_release(void)
{
#ifdef CONFIG_JUMP_LABEL
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
		err = nf_register_net_hook(sn->net, &sn->hook_ops);
	if (!err)
		sn->hook_users++;
	mutex_unlock(&sn->hook_mutex);
	return err;
}

void synq_input_release(struct synq_net *sn)
{
	mutex_lock(&sn->hook_mutex);
	if (!--sn->hook_users)
		nf_unregister_net_hook(sn->net, &sn->hook_ops);
	mutex_unlock(&sn->hook_mutex);
}

void synq_input_init(struct synq_net *sn)
{
	mutex_init(&sn->hook_mutex);
	sn->hook_users = 0;
	sn->hook_ops = synq_hook_template;
	sn->hook_ops.priv = sn;
}

/* Listeners hold their namespace: the last one has released the hook. */
void synq_input_exit(struct synq_net *sn)
{
	WARN_ON_ONCE(sn->hook_users);
}
