// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the synq socket's option state, copied into its template.
 *
 * SOL_SOCKET options land on the synq socket itself (the kernel sends them
 * to sock_setsockopt() without asking our ops), where getsockopt() reads
 * them back; the template binds, and children inherit from it, so it gets
 * a copy at bind(), listen() and accept() (socket.c) and for every child
 * (child.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/sock.h>

#include "listener.h"
#include "selftest.h"

/* The flags a TCP child inherits from its listener (sock_copy()). */
static const enum sock_flags synq_inherited_flags[] = {
	SOCK_KEEPOPEN, SOCK_LINGER, SOCK_URGINLINE, SOCK_RCVTSTAMP,
	SOCK_RCVTSTAMPNS, SOCK_TSTAMP_NEW, SOCK_LOCALROUTE, SOCK_RXQ_OVFL,
	SOCK_ZEROCOPY, SOCK_NOFCS, SOCK_SELECT_ERR_QUEUE, SOCK_TXTIME,
	SOCK_FASYNC,
};

/*
 * What children inherit, copied into the template under its lock (its
 * sk_flags and the sk_userlocks bitfield are written with plain
 * read-modify-writes by close(), setsockopt() and TCP: see
 * synq_sync_inherited_bh()).  Only what differs is written, so the
 * steady state, every child of a listener whose options do not change,
 * stores nothing.
 */
static void synq_sync_inherited(const struct sock *sk, struct sock *tmpl)
{
	const u8 locks = SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK;
	u8 userlocks;
	int i;

	for (i = 0; i < ARRAY_SIZE(synq_inherited_flags); i++) {
		bool on = sock_flag(sk, synq_inherited_flags[i]);

		if (sock_flag(tmpl, synq_inherited_flags[i]) != on)
			sock_valbool_flag(tmpl, synq_inherited_flags[i], on);
	}
	/* Unless set, the template keeps TCP's defaults (tcp_rmem/wmem[1]). */
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		WRITE_ONCE(tmpl->sk_rcvbuf, READ_ONCE(sk->sk_rcvbuf));
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		WRITE_ONCE(tmpl->sk_sndbuf, READ_ONCE(sk->sk_sndbuf));
	userlocks = (tmpl->sk_userlocks & ~locks) | (sk->sk_userlocks & locks);
	if (tmpl->sk_userlocks != userlocks)
		tmpl->sk_userlocks = userlocks;
	WRITE_ONCE(tmpl->sk_rcvtimeo, READ_ONCE(sk->sk_rcvtimeo));
	WRITE_ONCE(tmpl->sk_sndtimeo, READ_ONCE(sk->sk_sndtimeo));
	WRITE_ONCE(tmpl->sk_rcvlowat, READ_ONCE(sk->sk_rcvlowat));
	WRITE_ONCE(tmpl->sk_priority, READ_ONCE(sk->sk_priority));
	WRITE_ONCE(tmpl->sk_mark, READ_ONCE(sk->sk_mark));
	WRITE_ONCE(tmpl->sk_lingertime, READ_ONCE(sk->sk_lingertime));
	WRITE_ONCE(tmpl->sk_tsflags, READ_ONCE(sk->sk_tsflags));
}

/*
 * The same for every child (child.c, softirq), so that an option set on the
 * listener after listen() reaches the next connection, as on TCP.  The
 * template's owner (lock_sock()) may be in the middle of a read-modify-write
 * of the same words: then this child keeps what the template has, and the
 * owner's accept() or the next child copies the rest.
 */
void synq_sync_inherited_bh(const struct sock *sk, struct sock *tmpl)
{
	bh_lock_sock(tmpl);
	if (!sock_owned_by_user(tmpl))
		synq_sync_inherited(sk, tmpl);
	bh_unlock_sock(tmpl);
}

/* At bind(), listen() and accept(): what the template itself uses too. */
void synq_sync_tmpl(const struct sock *sk, struct sock *tmpl)
{
	synq_sync_inherited(sk, tmpl);
	tmpl->sk_reuse = sk->sk_reuse;
	WRITE_ONCE(tmpl->sk_bound_dev_if, READ_ONCE(sk->sk_bound_dev_if));
}

#ifdef SYNQ_SELFTEST
#include "selftest/inherit.c"
#endif
