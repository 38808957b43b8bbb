/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: the per-listener hashed SYN table (syn_table.c), a data structure:
 * it knows entries, buckets, locks and counts, and nothing of SYN-ACKs,
 * listeners or sysctls (the clock hand that ages entries is timers.c's).
 */
#ifndef _SYNQ_SYN_TABLE_H
#define _SYNQ_SYN_TABLE_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/in6.h>
#include <linux/workqueue.h>

/*
 * The 4-tuple of a pending SYN, in the family of its packets: an IPv4
 * client of a dual-stack (IPv6) listener is an IPv4 tuple, as TCP's request
 * is, and only its child is v4-mapped.  @ifindex is IPv6's: the interface a
 * link-local client came in on, which its SYN-ACKs must leave by
 * (tcp_v6_init_req()); it is not part of the key.
 */
struct synq_tuple {
	__be16 lport;
	__be16 rport;
	bool v6;
	union {
		struct {
			__be32 laddr;
			__be32 raddr;
		};
		struct {
			struct in6_addr laddr6;
			struct in6_addr raddr6;
			int ifindex;
		};
	};
};

/*
 * A pending SYN: 44 bytes for IPv4 and 72 for IPv6, 56 and 80 in their
 * slabs (which keep their free pointer beside, not in, an object of a
 * SLAB_TYPESAFE_BY_RCU cache), where Linux spends 315 on a request_sock
 * of either family (none exists here until the final ACK).  An IPv4 entry
 * ends after its IPv4 addresses (SYNQ_ENTRY4_SIZE), in a slab of its own:
 * only t.v6 entries have the rest.  Chains are singly
 * linked RCU lists ending in a "nulls" marker that names the bucket, and
 * entries come from SLAB_TYPESAFE_BY_RCU caches: one is freed at once, with
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
		u16 mss;		/* client's MSS, clamped */
		u8 num_retrans;
		u8 snd_wscale : 4,	/* SYNQ_NO_WSCALE: none offered */
		   tstamp_ok : 1,
		   sack_ok : 1,
		   ecn_ok : 1,
		   acked : 1;		/* final ACK came, found no room */
		struct synq_tuple t;	/* last: an IPv4 entry ends in it */
	);
};

#define SYNQ_ENTRY4_SIZE	offsetofend(struct synq_entry, t.raddr)

static inline size_t synq_entry_size(const struct synq_entry *e)
{
	return e->t.v6 ? sizeof(*e) : SYNQ_ENTRY4_SIZE;
}

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
struct synq_entry *synq_entry_alloc(bool v6);
void synq_entry_free(struct synq_entry *e);
void synq_tuple_copy(struct synq_tuple *dst, const struct synq_tuple *src);
u64 synq_tuple_siphash(const struct synq_tuple *tuple, u64 a, u32 b,
		       const siphash_key_t *key);

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
void synq_table_unlink_at_locked(struct synq_table *t,
				 struct synq_entry __rcu **pp,
				 struct synq_entry *e);
void synq_table_retried_locked(struct synq_table *t, struct synq_entry *e);
void synq_table_mark_acked_locked(struct synq_table *t, struct synq_entry *e);

#endif /* _SYNQ_SYN_TABLE_H */
