// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the per-listener hashed SYN table.
 *
 * The design of Linux <= 4.3's listen_sock: a power-of-two array of buckets
 * keyed by a random hash_rnd, qlen/qlen_young kept exact, "full" when
 * qlen >> max_qlen_log, and one table timer whose clock hand sweeps the
 * buckets to retransmit SYN-ACKs and expire entries.  Unlike 4.3 the buckets
 * have their own locks and the chains are RCU (nulls) lists, so SYNs for
 * different buckets never contend and readers take no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/tcp.h>

#include "synq.h"

/* The clock hand turns every tick while the table holds entries. */
#define SYNQ_TICK		(HZ / 10)
/* Buckets visited per tick at most; smaller tables are swept whole. */
#define SYNQ_SWEEP_MIN		4096

static struct kmem_cache *synq_entry_cache;

int synq_entry_cache_init(void)
{
	BUILD_BUG_ON(sizeof(struct synq_entry) > 64);
	synq_entry_cache = kmem_cache_create("synq_entry",
					     sizeof(struct synq_entry), 0,
					     SLAB_TYPESAFE_BY_RCU |
					     SLAB_HWCACHE_ALIGN, NULL);
	return synq_entry_cache ? 0 : -ENOMEM;
}

void synq_entry_cache_exit(void)
{
	kmem_cache_destroy(synq_entry_cache);
}

struct synq_entry *synq_entry_alloc(void)
{
	return kmem_cache_zalloc(synq_entry_cache, GFP_ATOMIC | __GFP_NOWARN);
}

void synq_entry_free(struct synq_entry *e)
{
	kmem_cache_free(synq_entry_cache, e);
}

static u32 synq_hash(const struct synq_table *t, const struct synq_tuple *tuple)
{
	return jhash_3words((__force u32)tuple->raddr, (__force u32)tuple->laddr,
			    ((__force u32)tuple->rport << 16) |
			    (__force u32)tuple->lport,
			    t->hash_rnd) & (t->nr_table_entries - 1);
}

struct synq_bucket *synq_table_bucket(const struct synq_table *t,
				      const struct synq_tuple *tuple)
{
	return (struct synq_bucket *)&t->buckets[synq_hash(t, tuple)];
}

static bool synq_tuple_eq(const struct synq_tuple *a,
			  const struct synq_tuple *b)
{
	return a->raddr == b->raddr && a->laddr == b->laddr &&
	       a->rport == b->rport && a->lport == b->lport;
}

/*
 * Find an entry.  Under the bucket lock the result is stable; under RCU alone
 * it may be freed and reused at any time, so the caller re-checks what it read.
 */
struct synq_entry *synq_bucket_find(struct synq_bucket *b,
				    const struct synq_tuple *tuple)
{
	struct hlist_nulls_node *n;
	struct synq_entry *e;

	hlist_nulls_for_each_entry_rcu(e, n, &b->chain, node)
		if (synq_tuple_eq(&e->t, tuple))
			return e;
	return NULL;
}

bool synq_table_is_full(const struct synq_table *t)
{
	return atomic_read(&t->qlen) >> t->max_qlen_log;
}

static void synq_table_arm(struct synq_table *t)
{
	if (!timer_pending(&t->timer) && !READ_ONCE(t->dead))
		mod_timer(&t->timer, jiffies + SYNQ_TICK);
}

/* Insert @e, counting it young; -ENOSPC when the table is full. */
int synq_table_insert_locked(struct synq_table *t, struct synq_bucket *b,
			     struct synq_entry *e)
{
	if (atomic_inc_return(&t->qlen) > t->nr_table_entries) {
		atomic_dec(&t->qlen);
		return -ENOSPC;
	}
	if (!e->num_retrans)
		atomic_inc(&t->qlen_young);
	if (e->acked)
		atomic_inc(&t->qlen_acked);
	hlist_nulls_add_head_rcu(&e->node, &b->chain);
	synq_table_arm(t);
	return 0;
}

/* Unlink @e; the caller frees it (readers may still see it: typesafe RCU). */
void synq_table_unlink_locked(struct synq_table *t, struct synq_entry *e)
{
	hlist_nulls_del_init_rcu(&e->node);
	if (!e->num_retrans)
		atomic_dec(&t->qlen_young);
	if (e->acked)
		atomic_dec(&t->qlen_acked);
	atomic_dec(&t->qlen);
}

/* The final ACK came but found no room: the entry waits for a retry. */
void synq_table_mark_acked_locked(struct synq_table *t, struct synq_entry *e)
{
	if (e->acked)
		return;
	e->acked = 1;
	atomic_inc(&t->qlen_acked);
}

/*
 * How many retransmits an entry gets: the netns (or listener) maximum, cut
 * down while the table is more than half full and old entries outnumber the
 * young ones, so that a flood of dead SYNs ages out faster than live ones
 * (Linux <= 4.3, inet_csk_reqsk_queue_prune).
 */
static int synq_table_thresh(const struct synq_table *t, int max_retries)
{
	int qlen = atomic_read(&t->qlen);
	int young = atomic_read(&t->qlen_young) << 1;
	int thresh = max_retries;

	if (t->max_qlen_log && qlen >> (t->max_qlen_log - 1)) {
		while (thresh > 2) {
			if (qlen < young)
				break;
			thresh--;
			young <<= 1;
		}
	}
	return thresh;
}

static u32 synq_rto(unsigned int num_retrans)
{
	u64 rto = (u64)TCP_TIMEOUT_INIT << min(num_retrans, 16U);

	return min_t(u64, rto, TCP_RTO_MAX);
}

static void synq_sweep_bucket(struct synq_table *t, struct synq_bucket *b,
			      int thresh, int max_retries)
{
	struct synq_sock *ss = t->owner;
	struct hlist_nulls_node *n;
	u32 now = jiffies;
	struct synq_entry *e;

	spin_lock(&b->lock);
	hlist_nulls_for_each_entry_safe(e, n, &b->chain, node) {
		if ((s32)(now - e->expires) < 0)	/* u32 jiffies */
			continue;
		/* An entry whose ACK overflowed keeps its full allowance. */
		if (e->num_retrans >= (e->acked ? max_retries : thresh)) {
			synq_table_unlink_locked(t, e);
			synq_entry_free(e);
			atomic64_inc(&ss->expired);
			SYNQ_INC_STATS(synq_pernet(sock_net(synq_tmpl(ss))),
				       SYNQ_MIB_EXPIRED);
			continue;
		}
		if (!e->num_retrans)
			atomic_dec(&t->qlen_young);
		e->num_retrans++;
		e->expires = now + synq_rto(e->num_retrans);
		synq_send_synack(ss, e);
		atomic64_inc(&ss->synack_retrans);
		SYNQ_INC_STATS(synq_pernet(sock_net(synq_tmpl(ss))),
			       SYNQ_MIB_SYNACK_RETRANS);
	}
	spin_unlock(&b->lock);
}

static void synq_table_tick(struct timer_list *timer)
{
	struct synq_table *t = from_timer(t, timer, timer);
	int max_retries = synq_synack_retries(t->owner);
	int thresh = synq_table_thresh(t, max_retries);
	u32 budget = t->nr_table_entries;
	u32 i;

	if (budget > SYNQ_SWEEP_MIN)
		budget = max_t(u32, SYNQ_SWEEP_MIN, budget / 8);

	for (i = 0; i < budget; i++) {
		synq_sweep_bucket(t, &t->buckets[t->clock_hand], thresh,
				  max_retries);
		t->clock_hand = (t->clock_hand + 1) & (t->nr_table_entries - 1);
	}

	if (!atomic_read(&t->qlen))
		synq_flood_reset(t->owner);
	else if (!READ_ONCE(t->dead))
		mod_timer(&t->timer, jiffies + SYNQ_TICK);
}

/*
 * nr_table_entries = roundup_pow_of_two(max(8, min(backlog, max_syn_backlog))
 * + 1), as reqsk_queue_alloc() did.
 */
struct synq_table *synq_table_alloc(struct synq_sock *owner, u32 backlog,
				    u32 max_syn_backlog)
{
	u32 nr = roundup_pow_of_two(max(8U, min(backlog, max_syn_backlog)) + 1);
	struct synq_table *t;
	u32 i;

	t = kvzalloc(struct_size(t, buckets, nr), GFP_KERNEL);
	if (!t)
		return NULL;
	t->owner = owner;
	t->nr_table_entries = nr;
	t->max_qlen_log = ilog2(nr);
	t->hash_rnd = get_random_u32();
	atomic_set(&t->qlen, 0);
	atomic_set(&t->qlen_young, 0);
	atomic_set(&t->qlen_acked, 0);
	timer_setup(&t->timer, synq_table_tick, 0);
	for (i = 0; i < nr; i++) {
		spin_lock_init(&t->buckets[i].lock);
		INIT_HLIST_NULLS_HEAD(&t->buckets[i].chain, i);
	}
	return t;
}

/*
 * Free the table and every pending entry.  The caller has made sure that no
 * packet can reach it any more (unpublished, then an RCU grace period).
 */
void synq_table_destroy(struct synq_table *t)
{
	struct hlist_nulls_node *n;
	struct synq_entry *e;
	u32 i;

	WRITE_ONCE(t->dead, true);
	del_timer_sync(&t->timer);
	for (i = 0; i < t->nr_table_entries; i++) {
		struct synq_bucket *b = &t->buckets[i];

		spin_lock_bh(&b->lock);
		hlist_nulls_for_each_entry_safe(e, n, &b->chain, node) {
			synq_table_unlink_locked(t, e);
			synq_entry_free(e);
		}
		spin_unlock_bh(&b->lock);
	}
	WARN_ON_ONCE(atomic_read(&t->qlen) || atomic_read(&t->qlen_young) ||
		     atomic_read(&t->qlen_acked));
	kvfree(t);
}
