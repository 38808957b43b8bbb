/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: the listener (socket.c): the synq socket, its template, and the
 * knobs in force for it.
 *
 * A synq listener is a socket of our own protocol that owns a kernel TCP
 * socket, the template: the template holds the port in TCP's bind table, is
 * a TCP listener in TCP's listening hash, the parent children are cloned
 * from, and carries the accept queue.  TCP hands its SYNs to synq (the
 * template's af_ops->conn_request), which answers them from a per-listener
 * hashed SYN table; a netfilter hook at the end of LOCAL_IN takes the final
 * ACK, and only then is a child built.
 */
#ifndef _SYNQ_LISTENER_H
#define _SYNQ_LISTENER_H

#include <linux/atomic.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "uapi/synq.h"
#include "netns.h"
#include "syn_table.h"

/*
 * Packets find a listener under RCU and may still be using it, its table
 * and its template when close() returns: the synq socket and the template
 * are SOCK_RCU_FREE, the table goes through call_rcu(), and tmpl_sk stays
 * set after the template's struct socket is released (which clears ->sk).
 */
struct synq_sock {
	struct inet_sock inet;		/* first: inet_create() relies on it */
	struct socket *tmpl;		/* kernel TCP socket: port, parent, queue */
	struct sock *tmpl_sk;		/* tmpl->sk, for readers under RCU */
	struct hlist_node lnode;	/* in synq_net.listeners, RCU */
	struct synq_table __rcu *table;	/* non-NULL while listening */
	/* per-listener overrides of the netns sysctls, -1: use the sysctl */
	int syncookies;
	int abort_on_overflow;
	int synack_retries;
	int max_syn_backlog;
	/* flood state (cookies.c) */
	unsigned long last_overflow;
	unsigned long pause_until;
	unsigned long ovf_window;
	atomic_t ovf_count;
	u32 pause_ms;
	int paused;
	int flood_warned;
	/* per-listener numbers for SYNQ_INFO and /proc/net/synq */
	atomic64_t pauses;
	atomic64_t cookies_sent;
	atomic64_t cookies_recv;
	atomic64_t synack_retrans;
	atomic64_t expired;
	atomic64_t accepted;
	atomic64_t overflows;
	atomic64_t drops;
};

static inline struct synq_sock *synq_sk(const struct sock *sk)
{
	return (struct synq_sock *)sk;
}

static inline struct sock *synq_tmpl(const struct synq_sock *ss)
{
	return ss->tmpl_sk;
}

static inline struct synq_net *synq_sk_net(const struct synq_sock *ss)
{
	return synq_pernet(sock_net(&ss->inet.sk));
}

/*
 * The knobs in force for a listener: its SOL_SYNQ override, else the netns
 * sysctl (-1 in the listener: none set).  The one place of that rule.
 */
static inline int synq_knob(const int *override, const int *sysctl)
{
	int v = READ_ONCE(*override);

	return v >= 0 ? v : READ_ONCE(*sysctl);
}

static inline int synq_syncookies(const struct synq_sock *ss)
{
	return synq_knob(&ss->syncookies, &synq_sk_net(ss)->syncookies);
}

static inline int synq_abort_on_overflow(const struct synq_sock *ss)
{
	return synq_knob(&ss->abort_on_overflow,
			 &synq_sk_net(ss)->abort_on_overflow);
}

static inline int synq_synack_retries(const struct synq_sock *ss)
{
	return synq_knob(&ss->synack_retries, &synq_sk_net(ss)->synack_retries);
}

static inline int synq_max_syn_backlog(const struct synq_sock *ss)
{
	return synq_knob(&ss->max_syn_backlog,
			 &synq_sk_net(ss)->max_syn_backlog);
}

/* proc.c: "[%pI6c]:%u" is at most 48 with its NUL */
#define SYNQ_ADDR_STR	48
void synq_addr_str(const struct sock *tmpl, char *buf, size_t len);

/* socket.c */
int synq_socket_init(int protocol);
void synq_socket_exit(void);
void synq_get_info(struct synq_sock *ss, struct synq_info *info);

/* template.c: synq's af_ops on the template, and the way back */
int synq_template_init(void);
bool synq_is_tmpl(const struct sock *sk);
struct synq_sock *synq_tmpl_owner(const struct sock *tmpl);
bool synq_tmpl_hold(struct sock *tmpl);
void synq_template_attach(struct synq_sock *ss, struct sock *tmpl);
void synq_child_init_ops(struct sock *child);

/* inherit.c: option state of the synq socket copied into its template */
void synq_sync_tmpl(const struct sock *sk, struct sock *tmpl);
void synq_sync_inherited_bh(const struct sock *sk, struct sock *tmpl);

#endif /* _SYNQ_LISTENER_H */
