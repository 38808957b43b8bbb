// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the kernel-dependent pieces (see compat.h).
 *
 * Where the kernel exports a TCP function synq needs, synq calls it; where
 * it does not (EXPORT_IPV6_MOD(), mainline 6.15 and stable 6.12.94, with
 * CONFIG_IPV6=y), the copy below stands in, taken from Debian's 6.12.117
 * source and changed only in name.  Module.symvers decides, at build time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/inet_common.h>
#include <net/inet_connection_sock.h>
#include <net/mptcp.h>
#include <net/tcp.h>

#include "compat.h"
#include "listener.h"

#ifdef SYNQ_HAVE_EXPORT_TCP_GET_COOKIE_SOCK
struct sock *synq_get_cookie_sock(struct sock *sk, struct sk_buff *skb,
				  struct request_sock *req,
				  struct dst_entry *dst)
{
#ifdef SYNQ_HAVE_COOKIE_SOCK_TSOFF
	return tcp_get_cookie_sock(sk, skb, req, dst, tcp_rsk(req)->ts_off);
#else
	return tcp_get_cookie_sock(sk, skb, req, dst);
#endif
}
#else
/*
 * tcp_get_cookie_sock() of net/ipv4/syncookies.c (6.12.117).  Since 6.8 the
 * child's tsoffset comes from tcp_rsk(req)->ts_off alone, as synq sets it.
 */
struct sock *synq_get_cookie_sock(struct sock *sk, struct sk_buff *skb,
				  struct request_sock *req,
				  struct dst_entry *dst)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct sock *child;
	bool own_req;

#ifdef SYNQ_HAVE_SYN_RECV_OPT_CHILD_INIT
	child = icsk->icsk_af_ops->syn_recv_sock(sk, skb, req, dst,
						 NULL, &own_req, NULL);
#else
	child = icsk->icsk_af_ops->syn_recv_sock(sk, skb, req, dst,
						 NULL, &own_req);
#endif
	if (child) {
		refcount_set(&req->rsk_refcnt, 1);
		sock_rps_save_rxhash(child, skb);

		if (rsk_drop_req(req)) {
			reqsk_put(req);
			return child;
		}

		if (inet_csk_reqsk_queue_add(sk, req, child))
			return child;

		/* For sparse: syn_recv_sock() returned it bh-locked. */
		__acquire(&child->sk_lock.slock);
		bh_unlock_sock(child);
		sock_put(child);
		reqsk_put(req);
		return NULL;
	}
	__reqsk_free(req);

	return NULL;
}
#endif

#ifdef SYNQ_HAVE_EXPORT_TCP_SELECT_INITIAL_WINDOW
void synq_select_initial_window(const struct sock *sk, int space, u32 mss,
				u32 *rcv_wnd, u32 *window_clamp, int wscale_ok,
				u8 *rcv_wscale, u32 init_rcv_wnd)
{
	tcp_select_initial_window(sk, space, mss, rcv_wnd, window_clamp,
				  wscale_ok, rcv_wscale, init_rcv_wnd);
}
#else
/*
 * tcp_select_initial_window() of net/ipv4/tcp_output.c (6.12.117): since
 * 6.10 the initial window is no longer capped at 64 KiB.  Only built where
 * the kernel does not export its own, that is 6.12.94 and later.
 */
void synq_select_initial_window(const struct sock *sk, int __space, u32 mss,
				u32 *rcv_wnd, u32 *__window_clamp,
				int wscale_ok, u8 *rcv_wscale,
				u32 init_rcv_wnd)
{
	unsigned int space = (__space < 0 ? 0 : __space);
	u32 window_clamp = READ_ONCE(*__window_clamp);

	/* If no clamp set the clamp to the max possible scaled window */
	if (window_clamp == 0)
		window_clamp = (U16_MAX << TCP_MAX_WSCALE);
	space = min(window_clamp, space);

	/* Quantize space offering to a multiple of mss if possible. */
	if (space > mss)
		space = rounddown(space, mss);

	/* NOTE: offering an initial window larger than 32767
	 * will break some buggy TCP stacks. If the admin tells us
	 * it is likely we could be speaking with such a buggy stack
	 * we will truncate our initial window offering to 32K-1
	 * unless the remote has sent us a window scaling option,
	 * which we interpret as a sign the remote TCP is not
	 * misinterpreting the window field as a signed quantity.
	 */
	if (READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_workaround_signed_windows))
		(*rcv_wnd) = min(space, MAX_TCP_WINDOW);
	else
		(*rcv_wnd) = space;

	if (init_rcv_wnd)
		*rcv_wnd = min(*rcv_wnd, init_rcv_wnd * mss);

	*rcv_wscale = 0;
	if (wscale_ok) {
		/* Set window scaling on max possible window */
		space = max_t(u32, space, READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]));
		space = max_t(u32, space, READ_ONCE(sysctl_rmem_max));
		space = min_t(u32, space, window_clamp);
		*rcv_wscale = clamp_t(int, ilog2(space) - 15,
				      0, TCP_MAX_WSCALE);
	}
	/* Set the clamp no higher than max representable value */
	WRITE_ONCE(*__window_clamp,
		   min_t(__u32, U16_MAX << (*rcv_wscale), window_clamp));
}
#endif

const struct tcp_request_sock_ops synq_request_ops = {
	.mss_clamp	= TCP_MSS_DEFAULT,
#if defined(CONFIG_TCP_MD5SIG) && defined(SYNQ_HAVE_EXPORT_TCP_V4_MD5_LOOKUP)
	.req_md5_lookup	= tcp_v4_md5_lookup,
#endif
};

#ifdef SYNQ_HAVE_PROTO_ACCEPT_ARG
int synq_accept(struct socket *sock, struct socket *newsock,
		struct proto_accept_arg *arg)
{
	int err = inet_accept(synq_accept_begin(sock), newsock, arg);

	return err ? err : synq_accept_end(sock, newsock);
}
#else
int synq_accept(struct socket *sock, struct socket *newsock, int flags,
		bool kern)
{
	int err = inet_accept(synq_accept_begin(sock), newsock, flags, kern);

	return err ? err : synq_accept_end(sock, newsock);
}
#endif
