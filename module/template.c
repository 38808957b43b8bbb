// SPDX-License-Identifier: GPL-2.0
/*
 * synq: what makes a TCP listener a synq template.
 *
 * A template is an ordinary TCP socket in TCP's listening hash; what is
 * synq's about it is its icsk_af_ops, a copy of TCP's whose conn_request is
 * synq_conn_request() (syn.c), and its sk_user_data, which leads back to
 * the synq socket.  Children are cloned with both: child.c hands them TCP's
 * af_ops before anyone else sees them, and sk_user_data is not copied.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "input.h"
#include "listener.h"

/*
 * TCP's af_ops for IPv4 and IPv6 (ipv4_specific, no longer exported since
 * 6.12's EXPORT_IPV6_MOD, and ipv6_specific, never exported), read from TCP
 * sockets at init, and the templates' copies of them, which differ in
 * conn_request only.  [0]: IPv4, [1]: IPv6.
 */
static const struct inet_connection_sock_af_ops *synq_tcp_af_ops[2];
static struct inet_connection_sock_af_ops synq_af_ops[2] __ro_after_init;

static int synq_af_index(const struct sock *sk)
{
	return sk->sk_family == AF_INET6;
}

/* Is @sk a synq template (a TCP listener whose SYNs are synq's)? */
bool synq_is_tmpl(const struct sock *sk)
{
	return inet_csk(sk)->icsk_af_ops == &synq_af_ops[synq_af_index(sk)];
}

/*
 * The synq socket of a template, under RCU (sk_user_data, tagged NOCOPY so
 * that children do not inherit it); NULL once the listener is closing.
 */
struct synq_sock *synq_tmpl_owner(const struct sock *tmpl)
{
	return __rcu_dereference_sk_user_data_with_flags(tmpl,
							 SK_USER_DATA_NOCOPY);
}

/*
 * A reference on the template for an skb charged to it (synq_send()), as
 * reqsk_alloc() takes one on the listener: tcp_v4_rcv() and the hook find
 * it under RCU only, and a close() on another CPU may have dropped its last
 * reference meanwhile (SOCK_RCU_FREE keeps the memory, not the socket: a
 * SYN-ACK charged to it then would add to a freed sk_wmem_alloc).  Nothing
 * else a segment does with the template needs more than RCU.  False: closed.
 */
bool synq_tmpl_hold(struct sock *tmpl)
{
	return refcount_inc_not_zero(&tmpl->sk_refcnt);
}

/* Under the template's lock, before it enters TCP's listening hash. */
void synq_template_attach(struct synq_sock *ss, struct sock *tmpl)
{
	__rcu_assign_sk_user_data_with_flags(tmpl, ss, SK_USER_DATA_NOCOPY);
	inet_csk(tmpl)->icsk_af_ops = &synq_af_ops[synq_af_index(tmpl)];
}

/*
 * A child is cloned with the template's af_ops: give it TCP's before it is
 * released to anyone, so that it owes nothing to this module (an accepted
 * connection outlives rmmod).  An IPv4 child of an IPv6 template already
 * has TCP's ipv6_mapped (tcp_v6_syn_recv_sock()).
 */
void synq_child_init_ops(struct sock *child)
{
	int i = synq_af_index(child);

	if (inet_csk(child)->icsk_af_ops == &synq_af_ops[i])
		inet_csk(child)->icsk_af_ops = synq_tcp_af_ops[i];
}

static int synq_af_ops_init(int family)
{
	int i = family == AF_INET6;
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return err;
	synq_tcp_af_ops[i] = inet_csk(sock->sk)->icsk_af_ops;
	sock_release(sock);
	synq_af_ops[i] = *synq_tcp_af_ops[i];
	synq_af_ops[i].conn_request = synq_conn_request;
	return 0;
}

/*
 * The templates' af_ops: TCP's own, read from TCP sockets, with synq's
 * conn_request (syn.c), which tcp_rcv_state_process() calls for a SYN
 * to a listener once tcp_v4_rcv() or tcp_v6_rcv() has run its checks.
 */
int synq_template_init(void)
{
	return synq_af_ops_init(AF_INET) ?: synq_af_ops_init(AF_INET6);
}
