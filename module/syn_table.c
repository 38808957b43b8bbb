// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the per-listener hashed SYN table.
 *
 * The design of Linux <= 4.3's listen_sock: a power-of-two array of buckets
 * keyed by a random hash_rnd, qlen/qlen_young kept exact, "full" when
 * qlen >> max_qlen_log, and one table timer whose clock hand (timers.c)
 * sweeps the buckets to retransmit SYN-ACKs and expire entries.  Unlike 4.3 the chains
 * are RCU lists, so lookups take no lock, and writers take one of up to 256
 * hashed bucket locks, so SYNs for different buckets rarely contend.  A
 * bucket is one pointer, for two entries when the table is full, and an
 * entry 56 bytes in its slab (80 for IPv6): memory per pending SYN is a
 * sixth (IPv6: a quarter) of a request_sock's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/rcupdate.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "selftest.h"
#include "syn_table.h"

#define SYNQ_MAX_LOCKS		256
/* Load factor of a full table (nr_table_entries >= 16: buckets >= 8). */
#define SYNQ_ENTRIES_PER_BUCKET	2
/* Entries a closed table frees per kmem_cache_free_bulk() call. */
#define SYNQ_FREE_BATCH		32

/* IPv4 entries, and IPv6 ones: see struct synq_entry. */
static struct kmem_cache *synq_entry_cache;
static struct kmem_cache *synq_entry6_cache;
/* Frees closed tables: close() must not walk a million entries itself. */
static struct workqueue_struct *synq_table_wq;

/* Neither constructor clears next: see synq_entry_alloc(). */
static struct kmem_cache *synq_entry_cache_create(const char *name,
						  size_t size)
{
	return kmem_cache_create(name, size, 0, SLAB_TYPESAFE_BY_RCU, NULL);
}

int synq_syn_table_init(void)
{
	BUILD_BUG_ON(SYNQ_ENTRY4_SIZE > 44);
	BUILD_BUG_ON(sizeof(struct synq_entry) > 72);
	synq_entry_cache = synq_entry_cache_create("synq_entry",
						   SYNQ_ENTRY4_SIZE);
	if (!synq_entry_cache)
		return -ENOMEM;
	synq_entry6_cache = synq_entry_cache_create("synq_entry6",
						    sizeof(struct synq_entry));
	if (!synq_entry6_cache)
		goto err_cache;
	synq_table_wq = alloc_workqueue("synq_table", WQ_UNBOUND, 0);
	if (!synq_table_wq)
		goto err_cache6;
	return 0;

err_cache6:
	kmem_cache_destroy(synq_entry6_cache);
err_cache:
	kmem_cache_destroy(synq_entry_cache);
	return -ENOMEM;
}

void synq_syn_table_exit(void)
{
	rcu_barrier();				/* closed tables' callbacks */
	destroy_workqueue(synq_table_wq);	/* tables still being freed */
	kmem_cache_destroy(synq_entry6_cache);
	kmem_cache_destroy(synq_entry_cache);
}

static struct kmem_cache *synq_entry_cache_of(bool v6)
{
	return v6 ? synq_entry6_cache : synq_entry_cache;
}

/*
 * An entry for a tuple of the family @v6 says.  Reused objects keep their
 * family: each cache holds one, so a reader that lands on one reused meanwhile
 * reads no further than the object's end.
 */
struct synq_entry *synq_entry_alloc(bool v6)
{
	struct synq_entry *e;

	e = kmem_cache_alloc(synq_entry_cache_of(v6),
			     GFP_ATOMIC | __GFP_NOWARN);
	/* All but next: a reader may still be following it. */
	if (e) {
		memset(&e->state, 0, (v6 ? sizeof(*e) : SYNQ_ENTRY4_SIZE) -
				     offsetof(struct synq_entry, state));
		e->t.v6 = v6;
	}
	return e;
}

/* At once: the caches are SLAB_TYPESAFE_BY_RCU, see struct synq_entry. */
void synq_entry_free(struct synq_entry *e)
{
	kmem_cache_free(synq_entry_cache_of(e->t.v6), e);
}

/* What identifies a connection: addresses and ports, not the interface. */
#define SYNQ_TUPLE6_KEY	offsetof(struct synq_tuple, ifindex)
#define SYNQ_TUPLE4_KEY	offsetofend(struct synq_tuple, raddr)

/* Copy @src into an entry's tuple, no further than the entry's end. */
void synq_tuple_copy(struct synq_tuple *dst, const struct synq_tuple *src)
{
	memcpy(dst, src, src->v6 ? sizeof(*src) : SYNQ_TUPLE4_KEY);
}

/*
 * A keyed hash of @tuple's addresses and ports with 96 bits more (@a, @b):
 * ISNs, TSval offsets, transmit hashes and cookie MACs (output.c,
 * cookies.c).
 */
u64 synq_tuple_siphash(const struct synq_tuple *tuple, u64 a, u32 b,
		       const siphash_key_t *key)
{
	struct {
		struct in6_addr laddr;
		struct in6_addr raddr;
		u64 a;
		__be16 lport;
		__be16 rport;
		u32 b;
	} __aligned(SIPHASH_ALIGNMENT) in;

	if (!tuple->v6)
		return siphash_3u64(((u64)(__force u32)tuple->laddr << 32) |
				    (__force u32)tuple->raddr,
				    ((u64)(__force u16)tuple->lport << 48) |
				    ((u64)(__force u16)tuple->rport << 32) | b,
				    a, key);
	in.laddr = tuple->laddr6;
	in.raddr = tuple->raddr6;
	in.a = a;
	in.lport = tuple->lport;
	in.rport = tuple->rport;
	in.b = b;
	return siphash(&in, sizeof(in), key);
}

static u32 synq_hash(const struct synq_table *t, const struct synq_tuple *tuple)
{
	u32 ports = ((__force u32)tuple->rport << 16) | (__force u32)tuple->lport;

	if (tuple->v6)	/* as inet6_ehashfn() */
		return jhash_3words(__ipv6_addr_jhash(&tuple->raddr6, t->hash_rnd),
				    (__force u32)tuple->laddr6.s6_addr32[3],
				    ports, t->hash_rnd) & (t->nr_buckets - 1);
	return jhash_3words((__force u32)tuple->raddr, (__force u32)tuple->laddr,
			    ports, t->hash_rnd) & (t->nr_buckets - 1);
}

struct synq_bucket *synq_table_bucket(const struct synq_table *t,
				      const struct synq_tuple *tuple)
{
	return (struct synq_bucket *)&t->buckets[synq_hash(t, tuple)];
}

static bool synq_tuple_eq(const struct synq_tuple *a,
			  const struct synq_tuple *b)
{
	if (a->rport != b->rport || a->lport != b->lport || a->v6 != b->v6)
		return false;
	if (a->v6)
		return ipv6_addr_equal(&a->raddr6, &b->raddr6) &&
		       ipv6_addr_equal(&a->laddr6, &b->laddr6);
	return a->raddr == b->raddr && a->laddr == b->laddr;
}

/* Walk a chain from @e: the entry for @tuple, or the marker it ends on. */
static struct synq_entry *synq_chain_find(struct synq_entry *e,
					  const struct synq_tuple *tuple)
{
	for (; !synq_is_nulls(e); e = rcu_dereference_raw(e->next))
		if (synq_tuple_eq(&e->t, tuple))
			return e;
	return e;
}

/*
 * Find an entry, under the bucket lock or RCU.  Under RCU alone only the
 * answer "there is one" holds: what it found may be unlinked, or even
 * reused, meanwhile; but "there is none" is exact, thanks to the markers:
 * a walk that strayed into another chain, of this table or of any other
 * live one, ends on a marker other than this bucket's.
 */
struct synq_entry *synq_bucket_find(const struct synq_table *t,
				    struct synq_bucket *b,
				    const struct synq_tuple *tuple)
{
	struct synq_entry *e;

	do {
		e = synq_chain_find(rcu_dereference_raw(b->head), tuple);
		if (!synq_is_nulls(e))
			return e;
		/* An entry freed and reused under us led into another chain. */
	} while (e != synq_nulls(b));
	return NULL;
}

bool synq_table_is_full(const struct synq_table *t)
{
	return atomic_read(&t->qlen) >> t->max_qlen_log;
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
	RCU_INIT_POINTER(e->next, rcu_dereference_raw(b->head));
	rcu_assign_pointer(b->head, e);
	return 0;
}

static void synq_table_uncount(struct synq_table *t,
			       const struct synq_entry *e)
{
	if (!e->num_retrans)
		atomic_dec(&t->qlen_young);
	if (e->acked)
		atomic_dec(&t->qlen_acked);
	atomic_dec(&t->qlen);
}

/*
 * Unlink @e, which is in @b; the caller frees it (or inserts it again).
 * Its next pointer stays: a reader standing on it goes on down the chain.
 */
void synq_table_unlink_locked(struct synq_table *t, struct synq_bucket *b,
			      struct synq_entry *e)
{
	struct synq_entry __rcu **pp = &b->head;
	struct synq_entry *cur;

	while ((cur = rcu_dereference_raw(*pp)) != e)
		pp = &cur->next;
	rcu_assign_pointer(*pp, rcu_dereference_raw(e->next));
	synq_table_uncount(t, e);
}

/* Unlink @e through @pp, which points at it (a sweep's walk); the caller frees it. */
void synq_table_unlink_at_locked(struct synq_table *t,
				 struct synq_entry __rcu **pp,
				 struct synq_entry *e)
{
	rcu_assign_pointer(*pp, rcu_dereference_raw(e->next));
	synq_table_uncount(t, e);
}

/* One more SYN-ACK sent for @e: it is young no more. */
void synq_table_retried_locked(struct synq_table *t, struct synq_entry *e)
{
	if (!e->num_retrans)
		atomic_dec(&t->qlen_young);
	e->num_retrans++;
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
 * nr_table_entries = roundup_pow_of_two(max(8, min(backlog, max_syn_backlog))
 * + 1), as reqsk_queue_alloc() did: the most entries the table holds.  It
 * has half as many buckets, so a full table averages two entries a chain:
 * a bucket costs 8 bytes, an entry 48, and 4.3's one bucket per entry put
 * up to 17 bytes of table on each pending SYN of a half-full table.  The
 * buckets and their locks come in one allocation.
 */
struct synq_table *synq_table_alloc(struct synq_sock *owner, u32 backlog,
				    u32 max_syn_backlog)
{
	u32 nr = roundup_pow_of_two(max(8U, min(backlog, max_syn_backlog)) + 1);
	u32 nbuckets = nr / SYNQ_ENTRIES_PER_BUCKET;
	u32 nlocks = min_t(u32, nbuckets, SYNQ_MAX_LOCKS);
	struct synq_table *t;
	u32 i;

	t = kvzalloc(struct_size(t, buckets, nbuckets) +
		     nlocks * sizeof(spinlock_t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return NULL;
	t->owner = owner;
	t->nr_table_entries = nr;
	t->max_qlen_log = ilog2(nr);
	t->nr_buckets = nbuckets;
	t->hash_rnd = get_random_u32();
	t->lock_mask = nlocks - 1;
	t->locks = (spinlock_t *)&t->buckets[nbuckets];
	for (i = 0; i < nbuckets; i++)
		RCU_INIT_POINTER(t->buckets[i].head, synq_nulls(&t->buckets[i]));
	for (i = 0; i < nlocks; i++)
		spin_lock_init(&t->locks[i]);
	atomic_set(&t->qlen, 0);
	atomic_set(&t->qlen_young, 0);
	atomic_set(&t->qlen_acked, 0);
	return t;
}

/*
 * A grace period after close(): no packet can reach the table any more.  A
 * packet that was inserting meanwhile may have armed the timer again (it
 * returns at once on a dead table); once that is stopped the table is
 * private, and its entries go back to the slab directly, in batches, with
 * no lock and no RCU callback each.
 */
/* A closed table's entries, freed in batches of one cache each. */
struct synq_free_batch {
	void *objs[SYNQ_FREE_BATCH];
	size_t n;
};

static void synq_free_batch_add(struct synq_free_batch *fb, bool v6, void *e)
{
	fb->objs[fb->n++] = e;
	if (fb->n == SYNQ_FREE_BATCH) {
		kmem_cache_free_bulk(synq_entry_cache_of(v6), fb->n, fb->objs);
		fb->n = 0;
	}
}

/*
 * A grace period after close(): no packet can reach the table any more.  A
 * packet that was inserting meanwhile may have armed the timer again (it
 * returns at once on a dead table); once that is stopped the table is
 * private, and its entries go back to the slab directly, in batches, with
 * no lock and no RCU callback each.
 */
static void synq_table_free_work(struct work_struct *work)
{
	struct synq_table *t = container_of(work, struct synq_table, free_work);
	struct synq_free_batch fb[2];	/* [0]: IPv4 entries, [1]: IPv6 */
	struct synq_entry *e, *next;
	u32 i;

	del_timer_sync(&t->timer);
	fb[0].n = 0;
	fb[1].n = 0;
	for (i = 0; i < t->nr_buckets; i++) {
		e = rcu_dereference_protected(t->buckets[i].head, true);
		while (!synq_is_nulls(e)) {
			next = rcu_dereference_protected(e->next, true);
			synq_free_batch_add(&fb[e->t.v6], e->t.v6, e);
			e = next;
		}
		if (!(i & 4095))
			cond_resched();
	}
	for (i = 0; i < 2; i++)
		if (fb[i].n)
			kmem_cache_free_bulk(synq_entry_cache_of(i), fb[i].n,
					     fb[i].objs);
	kvfree(t);
}

static void synq_table_free_rcu(struct rcu_head *head)
{
	struct synq_table *t = container_of(head, struct synq_table, rcu);

	queue_work(synq_table_wq, &t->free_work);
}

/*
 * Free the table and every pending entry, which the caller has unpublished.
 * Nothing here waits, neither for the packets that may still be using it
 * nor for a running sweep (a full table's takes hundreds of milliseconds
 * in a slow VM): both run in softirq, which an RCU grace period waits for,
 * and the sweep stops at its next bucket; after the grace period a work
 * item frees the table, so close() returns at once even with a million
 * entries.  The listener, which the sweep uses, is freed after a grace
 * period too (SOCK_RCU_FREE).
 */
void synq_table_destroy(struct synq_table *t)
{
	WRITE_ONCE(t->dead, true);
	del_timer(&t->timer);
	INIT_WORK(&t->free_work, synq_table_free_work);
	call_rcu(&t->rcu, synq_table_free_rcu);
}

#ifdef SYNQ_SELFTEST
#include "timers.h"		/* the test sets up tables as listen() does */
#include "selftest/syn_table.c"
#endif
