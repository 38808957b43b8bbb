// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the clock hand of a SYN table.
 *
 * One timer per table turns every SYNQ_TICK while the table holds entries,
 * over a slice of its buckets: a due entry gets its SYN-ACK again after 1,
 * 2, 4 ... s (TCP_TIMEOUT_INIT doubled), and expires after the listener's
 * synack_retries; while the table is more than half full and old entries
 * outnumber the young, old ones get fewer (Linux <= 4.3's pruning).  The
 * table (syn_table.c) only stores; this is the policy, as WireGuard keeps
 * its timers.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/tcp.h>

#include "cookies.h"
#include "output.h"
#include "timers.h"

/* The clock hand turns every tick while the table holds entries. */
#define SYNQ_TICK		(HZ / 10)
/* Buckets visited per tick at most; smaller tables are swept whole. */
#define SYNQ_SWEEP_MIN		4096

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

/* Expired: unlink @e through @pp, which points at it. */
static void synq_expire(struct synq_table *t, struct synq_entry __rcu **pp,
			struct synq_entry *e)
{
	struct synq_sock *ss = t->owner;

	synq_table_unlink_at_locked(t, pp, e);
	synq_entry_free(e);
	atomic64_inc(&ss->expired);
	SYNQ_INC_STATS(synq_pernet(sock_net(synq_tmpl(ss))), SYNQ_MIB_EXPIRED);
}

static void synq_retransmit(struct synq_table *t, struct synq_entry *e,
			    u32 now)
{
	struct synq_sock *ss = t->owner;

	synq_table_retried_locked(t, e);
	synq_entry_set_expires(e, now + synq_rto(e->num_retrans));
	synq_send_synack(ss, e);
	atomic64_inc(&ss->synack_retrans);
	SYNQ_INC_STATS(synq_pernet(sock_net(synq_tmpl(ss))),
		       SYNQ_MIB_SYNACK_RETRANS);
	/* As inet_rtx_syn_ack() counts a request's retransmission. */
	__TCP_INC_STATS(sock_net(synq_tmpl(ss)), TCP_MIB_RETRANSSEGS);
	__NET_INC_STATS(sock_net(synq_tmpl(ss)), LINUX_MIB_TCPSYNRETRANS);
}

static void synq_sweep_bucket(struct synq_table *t, struct synq_bucket *b,
			      int thresh, int max_retries)
{
	spinlock_t *lock = synq_bucket_lock(t, b);
	struct synq_entry __rcu **pp = &b->head;
	struct synq_entry *e;
	u32 now = jiffies;

	spin_lock(lock);
	for (;;) {
		e = rcu_dereference_protected(*pp, lockdep_is_held(lock));
		if (synq_is_nulls(e))
			break;
		if (!synq_entry_due(e, now)) {
			pp = &e->next;
			continue;
		}
		/* An entry whose ACK overflowed keeps its full allowance. */
		if (e->num_retrans >= (e->acked ? max_retries : thresh)) {
			synq_expire(t, pp, e);
			continue;
		}
		synq_retransmit(t, e, now);
		pp = &e->next;
	}
	spin_unlock(lock);
}

static void synq_table_tick(struct timer_list *timer)
{
	struct synq_table *t = from_timer(t, timer, timer);
	int max_retries, thresh;
	u32 budget = t->nr_buckets;
	u32 i;

	/* Armed again by a late insert after close(): the owner may be gone. */
	if (READ_ONCE(t->dead))
		return;
	max_retries = synq_synack_retries(t->owner);
	thresh = synq_table_thresh(t, max_retries);

	if (budget > SYNQ_SWEEP_MIN)
		budget = max_t(u32, SYNQ_SWEEP_MIN, budget / 8);

	/* close() does not wait for a sweep: it stops at the next bucket. */
	for (i = 0; i < budget && !READ_ONCE(t->dead); i++) {
		synq_sweep_bucket(t, &t->buckets[t->clock_hand], thresh,
				  max_retries);
		t->clock_hand = (t->clock_hand + 1) & (t->nr_buckets - 1);
	}

	if (!atomic_read(&t->qlen))
		synq_flood_reset(t->owner);
	else if (!READ_ONCE(t->dead))
		mod_timer(&t->timer, jiffies + SYNQ_TICK);
}

void synq_timers_init(struct synq_table *t)
{
	timer_setup(&t->timer, synq_table_tick, 0);
}

/* After an insert: the hand turns while there are entries. */
void synq_timer_arm(struct synq_table *t)
{
	if (!timer_pending(&t->timer) && !READ_ONCE(t->dead))
		mod_timer(&t->timer, jiffies + SYNQ_TICK);
}
