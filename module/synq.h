/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: shared declarations.
 *
 * A synq listener is a socket of our own protocol that owns a kernel TCP
 * socket, the template: the template holds the port in TCP's bind table, is
 * a TCP listener in TCP's listening hash, the parent children are cloned
 * from, and carries the accept queue.  TCP hands its SYNs to synq (the
 * template's af_ops->conn_request), which answers them from a per-listener
 * hashed SYN table; a netfilter hook at the end of LOCAL_IN takes the final
 * ACK, and only then is a child built.
 */
#ifndef _SYNQ_H
#define _SYNQ_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "uapi/synq.h"

/* ---- per network namespace (netns.c, sysctl.c, stats.c) ---- */

enum synq_mib_field {
	SYNQ_MIB_SYNS,			/* SYNs taken by a listener */
	SYNQ_MIB_SYNACKS,		/* SYN-ACKs sent (first copies) */
	SYNQ_MIB_SYNACK_RETRANS,	/* SYN-ACKs retransmitted */
	SYNQ_MIB_DUPSYNS,		/* SYNs for an existing entry */
	SYNQ_MIB_EXPIRED,		/* entries dropped after the last retry */
	SYNQ_MIB_RSTS,			/* entries removed by an RST */
	SYNQ_MIB_CHILDREN,		/* handshakes completed into a child */
	SYNQ_MIB_LISTENOVERFLOWS,	/* accept queue full */
	SYNQ_MIB_LISTENDROPS,		/* SYNs or ACKs dropped for any reason */
	SYNQ_MIB_REQQFULLDROP,		/* SYN table full, SYN dropped */
	SYNQ_MIB_BADACKS,		/* ACKs matching an entry but invalid */
	SYNQ_MIB_CSUMERRORS,		/* bad TCP checksum */
	SYNQ_MIB_MALFORMED,		/* truncated or malformed segments */
	SYNQ_MIB_TWREUSE,		/* SYNs that recycled a TIME_WAIT */
	SYNQ_MIB_NOROUTE,		/* no route back to the client */
	SYNQ_MIB_NOMEM,			/* allocation failures */
	SYNQ_MIB_REQQFULLDOCOOKIES,	/* SYN answered with a cookie */
	SYNQ_MIB_SYNCOOKIESSENT,	/* cookie SYN-ACKs sent */
	SYNQ_MIB_SYNCOOKIESRECV,	/* valid cookies returned */
	SYNQ_MIB_SYNCOOKIESFAILED,	/* ACKs whose cookie did not check */
	SYNQ_MIB_PAUSES,		/* cookie pause episodes begun */
	SYNQ_MIB_PAUSEDCOOKIES,		/* cookies sent because paused */
	SYNQ_MIB_OVERFLOWRESETS,	/* abort_on_overflow RSTs */
	SYNQ_MIB_DEFERACCEPTDROP,	/* bare ACKs held for TCP_DEFER_ACCEPT */
	SYNQ_MIB_CTDROP,		/* SYNs conntrack refused to confirm */
	SYNQ_MIB_MAX
};

struct synq_mib {
	u64 mibs[SYNQ_MIB_MAX];
};

#define SYNQ_LHASH_BITS		6

struct synq_net {
	struct net *net;
	spinlock_t lock;		/* listeners and ports, writers */
	struct hlist_head listeners[1 << SYNQ_LHASH_BITS];
	unsigned long ports[BITS_TO_LONGS(65536)];
	struct synq_mib __percpu *mib;
	struct ctl_table_header *sysctl_hdr;
	siphash_key_t isn_key;
	siphash_key_t cookie_key;
	struct nf_hook_ops hook_ops;	/* registered while hook_users */
	struct mutex hook_mutex;	/* hook_users, registration */
	int hook_users;			/* listeners in this namespace */
	int max_syn_backlog;
	int synack_retries;
	int syncookies;
	int abort_on_overflow;
	int cookie_pause_threshold;
	int cookie_pause_ms;
};

extern unsigned int synq_net_id;

static inline struct synq_net *synq_pernet(const struct net *net)
{
	return net_generic(net, synq_net_id);
}

#define SYNQ_INC_STATS(sn, field) this_cpu_inc((sn)->mib->mibs[field])

int synq_netns_init(void);
void synq_netns_exit(void);
u64 synq_mib_read(const struct synq_net *sn, enum synq_mib_field field);
int synq_proc_net_init(struct synq_net *sn);
void synq_proc_net_exit(struct synq_net *sn);
int synq_sysctl_net_init(struct synq_net *sn);
void synq_sysctl_net_exit(struct synq_net *sn);

/* ---- the SYN table (syn_table.c) ---- */

struct synq_tuple {
	__be32 laddr;
	__be32 raddr;
	__be16 lport;
	__be16 rport;
};

/*
 * A pending SYN: 40 bytes (48 in its slab), where Linux spends 312 on a
 * request_sock (none exists here until the final ACK).  Chains are singly
 * linked RCU lists ending in a "nulls" marker that names the bucket, and
 * entries come from a SLAB_TYPESAFE_BY_RCU cache: one is freed at once, with
 * no RCU callback, and a lockless reader standing on it when it is reused
 * in another chain sees that chain's marker and starts again (as TCP's
 * sk_nulls lists).  What can be found again is not stored: the TSval offset
 * is a keyed hash of the 4-tuple (synq_ts_off()), the interface and TOS
 * come from the final ACK, the route from the template's binding.
 */
struct synq_entry {
	struct synq_entry __rcu *next;	/* kept across free and reuse */

	struct_group(state,		/* zeroed at allocation */
		u32 irs;		/* client's ISN */
		u32 iss;		/* our ISN */
		u32 ts_recent;		/* client's last TSval */
		/* jiffies of the next retransmit, in SYNQ_EXPIRES_SHIFT units */
		u32 expires : 28,
		    /* 1 + the window scale the first SYN-ACK announced; 0: none yet */
		    rcv_wscale1 : 4;
		struct synq_tuple t;
		u16 mss;		/* client's MSS, clamped */
		u8 num_retrans;
		u8 snd_wscale : 4,	/* SYNQ_NO_WSCALE: none offered */
		   tstamp_ok : 1,
		   sack_ok : 1,
		   ecn_ok : 1,
		   acked : 1;		/* final ACK came, found no room */
	);
};

#define SYNQ_NO_WSCALE		15

/*
 * Retransmit times are kept to 16 jiffies (the clock hand turns every
 * 100 ms anyway), and their 4 low bits hold rcv_wscale1.  Rounded up: an
 * entry is never due early.
 */
#define SYNQ_EXPIRES_SHIFT	4
#define SYNQ_EXPIRES_MASK	(U32_MAX >> SYNQ_EXPIRES_SHIFT)

static inline void synq_entry_set_expires(struct synq_entry *e,
					  unsigned long when)
{
	e->expires = (((u32)when + (1U << SYNQ_EXPIRES_SHIFT) - 1) >>
		      SYNQ_EXPIRES_SHIFT) & SYNQ_EXPIRES_MASK;
}

/* Wraps as jiffies do: due when less than half the 28-bit range ahead. */
static inline bool synq_entry_due(const struct synq_entry *e,
				  unsigned long now)
{
	u32 d = (((u32)now >> SYNQ_EXPIRES_SHIFT) - e->expires) &
		SYNQ_EXPIRES_MASK;

	return d <= SYNQ_EXPIRES_MASK / 2;
}

/*
 * The receive window scale is chosen once, at the first SYN-ACK, and the
 * child is built with it (tcp_openreq_init_rwin() keeps it in the
 * request): recomputed later from a changed SO_RCVBUF or tcp_rmem, it
 * would disagree with what the peer was told.
 */
static inline bool synq_rcv_wscale_chosen(const struct synq_entry *e)
{
	return e->rcv_wscale1 != 0;
}

static inline u8 synq_rcv_wscale(const struct synq_entry *e)
{
	return e->rcv_wscale1 - 1;
}

static inline void synq_set_rcv_wscale(struct synq_entry *e, u8 wscale)
{
	e->rcv_wscale1 = wscale + 1;
}

static inline bool synq_wscale_ok(const struct synq_entry *e)
{
	return e->snd_wscale != SYNQ_NO_WSCALE;
}

/* 8 bytes a bucket: writers take one of the table's hashed locks. */
struct synq_bucket {
	struct synq_entry __rcu *head;
};

/*
 * The end of a bucket's chain: the bucket's own address, made odd so that
 * it is never an entry's.  Unique among all tables alive (a walker holds
 * RCU, and tables are freed after a grace period): an index alone would
 * let a walk that strayed from bucket i of one table into bucket i of
 * another end on the "right" marker and miss an entry.
 */
static inline struct synq_entry *synq_nulls(const struct synq_bucket *b)
{
	return (struct synq_entry *)((unsigned long)b | 1UL);
}

static inline bool synq_is_nulls(const struct synq_entry *e)
{
	return (unsigned long)e & 1UL;
}

struct synq_sock;

struct synq_table {
	struct synq_sock *owner;
	struct timer_list timer;
	atomic_t qlen;
	atomic_t qlen_young;
	atomic_t qlen_acked;
	u32 hash_rnd;
	u32 nr_table_entries;		/* the most entries it holds */
	u32 nr_buckets;			/* nr_table_entries / 2 */
	u8 max_qlen_log;
	bool dead;
	u32 clock_hand;
	u32 lock_mask;
	spinlock_t *locks;		/* bucket i: locks[i & lock_mask] */
	struct rcu_head rcu;		/* a closed table: grace period, */
	struct work_struct free_work;	/* then freed by a work item */
	struct synq_bucket buckets[];
};

/* A bucket's writers' lock: one of up to 256, shared by buckets. */
static inline spinlock_t *synq_bucket_lock(const struct synq_table *t,
					   const struct synq_bucket *b)
{
	return &t->locks[(b - t->buckets) & t->lock_mask];
}

int synq_syn_table_init(void);
void synq_syn_table_exit(void);
struct synq_entry *synq_entry_alloc(void);
void synq_entry_free(struct synq_entry *e);

struct synq_table *synq_table_alloc(struct synq_sock *owner, u32 backlog,
				    u32 max_syn_backlog);
void synq_table_destroy(struct synq_table *t);
struct synq_bucket *synq_table_bucket(const struct synq_table *t,
				      const struct synq_tuple *tuple);
struct synq_entry *synq_bucket_find(const struct synq_table *t,
				    struct synq_bucket *b,
				    const struct synq_tuple *tuple);
bool synq_table_is_full(const struct synq_table *t);
int synq_table_insert_locked(struct synq_table *t, struct synq_bucket *b,
			     struct synq_entry *e);
void synq_table_unlink_locked(struct synq_table *t, struct synq_bucket *b,
			      struct synq_entry *e);
void synq_table_mark_acked_locked(struct synq_table *t, struct synq_entry *e);

/* ---- the listener socket (socket.c) ---- */

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

int synq_socket_init(int protocol);
void synq_socket_exit(void);
int synq_synack_retries(const struct synq_sock *ss);
int synq_abort_on_overflow(const struct synq_sock *ss);
void synq_get_info(struct synq_sock *ss, struct synq_info *info);
bool synq_is_tmpl(const struct sock *sk);
struct synq_sock *synq_tmpl_owner(const struct sock *tmpl);
void synq_child_init_ops(struct sock *child);
void synq_sync_inherited_bh(const struct sock *sk, struct sock *tmpl);

/* ---- SYN cookies (cookies.c) ---- */

bool synq_cookie_period_valid(void);
u32 synq_cookie_make(const struct synq_net *sn, const struct synq_entry *e);
bool synq_cookie_check(const struct synq_net *sn, struct synq_entry *e,
		       u32 cookie);
int synq_syncookies(const struct synq_sock *ss);
bool synq_paused(const struct synq_sock *ss);
bool synq_cookie_expected(const struct synq_sock *ss);
bool synq_want_cookie(struct synq_sock *ss, struct synq_net *sn, bool full);
void synq_flood_reset(struct synq_sock *ss);

/* ---- listeners by port (netns.c) ---- */

void synq_listener_publish(struct synq_net *sn, struct synq_sock *ss);
void synq_listener_unpublish(struct synq_net *sn, struct synq_sock *ss);

/* ---- packet path: syn.c, input.c -> output.c -> child.c ---- */

int synq_conn_request(struct sock *tmpl, struct sk_buff *skb);

void synq_input_key_hold(void);
void synq_input_key_release(void);
void synq_input_init(struct synq_net *sn);
void synq_input_exit(struct synq_net *sn);
int synq_input_hold(struct synq_net *sn);
void synq_input_release(struct synq_net *sn);

struct rtable *synq_route(struct synq_sock *ss, const struct synq_entry *e,
			  struct flowi4 *fl4);
void synq_select_window(const struct sock *tmpl, const struct dst_entry *dst,
			const struct synq_entry *e, u32 *rcv_wnd,
			u32 *window_clamp, u8 *rcv_wscale);
int synq_send_synack(struct synq_sock *ss, struct synq_entry *e);
int synq_send_cookie_synack(struct synq_sock *ss, struct synq_entry *e);
int synq_send_ack(struct synq_sock *ss, const struct synq_entry *e);
u32 synq_isn(const struct synq_net *sn, const struct synq_tuple *t);
u32 synq_ts_off(const struct synq_net *sn, const struct synq_tuple *t);

struct sock *synq_child_create(struct synq_sock *ss, struct sk_buff *skb,
			       const struct synq_entry *e);

#endif /* _SYNQ_H */
