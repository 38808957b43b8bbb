/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: what differs between the kernels synq builds for (Debian 12's 6.1,
 * the 6.12 LTS line), hidden behind one interface.
 *
 * The SYNQ_HAVE_* come from compat-generated.h, which compat-probe.sh
 * writes from the headers and Module.symvers of the kernel built against:
 * features, not version numbers, since stable kernels backport them.  No
 * other file tests a SYNQ_HAVE_*; compat.c carries what synq must now do
 * itself, each piece naming the kernel function it mirrors.
 */
#ifndef _SYNQ_COMPAT_H
#define _SYNQ_COMPAT_H

#include <linux/net.h>
#include <linux/sysctl.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/request_sock.h>
#include <net/tcp.h>

#include "compat-generated.h"

/* inet_sk(sk)->transparent, an inet_flags bit since 6.6. */
static inline bool synq_inet_transparent(const struct sock *sk)
{
#ifdef SYNQ_HAVE_INET_TEST_BIT
	return inet_test_bit(TRANSPARENT, sk);
#else
	return inet_sk(sk)->transparent;
#endif
}

/*
 * Where an IPv6 socket's ipv6_pinfo is, for inet6_create(): struct proto's
 * ipv6_pinfo_offset (6.5); before it, always the end of the object.
 */
static inline void synq_proto_set_ipv6_pinfo(struct proto *prot,
					     unsigned int offset)
{
#ifdef SYNQ_HAVE_IPV6_PINFO_OFFSET
	prot->ipv6_pinfo_offset = offset;
#endif
}

/*
 * Register @table's first @n entries, @n not counting the {} sentinel that
 * ends it: register_net_sysctl() (6.1) stops at the sentinel, and
 * register_net_sysctl_sz() (6.6) trusts the count (6.11 refuses a table
 * whose counted entries include the sentinel).
 */
static inline struct ctl_table_header *
synq_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t n)
{
#ifdef SYNQ_HAVE_REGISTER_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * tcp_get_cookie_sock(): the child from a filled request, hashed and on
 * @sk's accept queue, bh-locked with a reference for the caller; it takes
 * the reference on @dst.  The TSval offset is tcp_rsk(req)->ts_off.
 */
struct sock *synq_get_cookie_sock(struct sock *sk, struct sk_buff *skb,
				  struct request_sock *req,
				  struct dst_entry *dst);

/* tcp_select_initial_window(), the running kernel's. */
void synq_select_initial_window(const struct sock *sk, int space, u32 mss,
				u32 *rcv_wnd, u32 *window_clamp, int wscale_ok,
				u8 *rcv_wscale, u32 init_rcv_wnd);

/*
 * The request ops a child is cloned through: only the MD5 key lookup, and
 * only where the kernel exports it (tcp_create_openreq_child() calls it up
 * to 6.5; since 6.6 only tcp_make_synack() does, which synq never calls).
 */
extern const struct tcp_request_sock_ops synq_request_ops;

/*
 * proto_ops->accept(): (sock, newsock, flags, kern) before 6.10, (sock,
 * newsock, struct proto_accept_arg *) since.  compat.c has synq_accept()
 * for the one, calling these two around inet_accept() on the template.
 */
struct socket *synq_accept_begin(struct socket *sock);
int synq_accept_end(struct socket *sock, struct socket *newsock);
#ifdef SYNQ_HAVE_PROTO_ACCEPT_ARG
int synq_accept(struct socket *sock, struct socket *newsock,
		struct proto_accept_arg *arg);
#else
int synq_accept(struct socket *sock, struct socket *newsock, int flags,
		bool kern);
#endif

/*
 * What tcp_v4_rcv() reads of a segment's options for its signature, in
 * one parse: SYNQ_AUTH_BAD to drop it unanswered, counting nothing
 * (tcp_inbound_hash() since 6.7: a bad length, an MD5 or AO option twice),
 * SYNQ_AUTH_NONE (an AO option on a kernel without TCP-AO, which TCP then
 * checks no further), else SYNQ_AUTH_MD5 with *@md5 the MD5 signature or
 * NULL.  Before 6.7 TCP parsed only the MD5 option
 * (tcp_parse_md5sig_option()).  An AO option to a kernel with TCP-AO is
 * dropped as TCP drops it for a socket without AO keys, which a synq
 * listener cannot have.
 */
enum synq_auth {
	SYNQ_AUTH_MD5,
	SYNQ_AUTH_NONE,
	SYNQ_AUTH_BAD,
};

static inline enum synq_auth synq_tcp_auth_opts(const struct tcphdr *th,
						const u8 **md5)
{
#ifdef SYNQ_HAVE_EXPORT_TCP_DO_PARSE_AUTH_OPTIONS
	const u8 *ao;

	if (tcp_do_parse_auth_options(th, md5, &ao))
		return SYNQ_AUTH_BAD;
	if (ao)
		return IS_ENABLED(CONFIG_TCP_AO) ? SYNQ_AUTH_BAD :
						   SYNQ_AUTH_NONE;
	return SYNQ_AUTH_MD5;
#elif defined(CONFIG_TCP_MD5SIG)
	*md5 = tcp_parse_md5sig_option(th);
	return SYNQ_AUTH_MD5;
#else
	*md5 = NULL;
	return SYNQ_AUTH_NONE;
#endif
}

/* TCP-AO's options (6.7), which a synq listener refuses as it does MD5. */
static inline bool synq_tcp_opt_is_ao(int optname)
{
#ifdef TCP_AO_ADD_KEY
	switch (optname) {
	case TCP_AO_ADD_KEY:
	case TCP_AO_DEL_KEY:
	case TCP_AO_INFO:
	case TCP_AO_GET_KEYS:
	case TCP_AO_REPAIR:
		return true;
	}
#endif
	return false;
}

/* Which replacements this build carries (modinfo synq: compat). */
#define SYNQ_COMPAT_INFO						\
	"cookie_sock=" SYNQ_COMPAT_COOKIE_SOCK				\
	" select_initial_window=" SYNQ_COMPAT_WINDOW			\
	" md5_lookup=" SYNQ_COMPAT_MD5

#ifdef SYNQ_HAVE_EXPORT_TCP_GET_COOKIE_SOCK
#define SYNQ_COMPAT_COOKIE_SOCK "kernel"
#else
#define SYNQ_COMPAT_COOKIE_SOCK "synq"
#endif
#ifdef SYNQ_HAVE_EXPORT_TCP_SELECT_INITIAL_WINDOW
#define SYNQ_COMPAT_WINDOW "kernel"
#else
#define SYNQ_COMPAT_WINDOW "synq"
#endif
#ifdef SYNQ_HAVE_EXPORT_TCP_V4_MD5_LOOKUP
#define SYNQ_COMPAT_MD5 "kernel"
#else
#define SYNQ_COMPAT_MD5 "none"
#endif

#endif /* _SYNQ_COMPAT_H */
