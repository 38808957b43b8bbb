// SPDX-License-Identifier: GPL-2.0
/*
 * synq selftest of syn_table.c (included there with SYNQ_SELFTEST): review
 * defect 8, first half (issue 10).  A lockless walker standing on an entry
 * that is freed and reused in another chain follows it there; it must end
 * on a marker other than its own bucket's and start again, or it answers
 * "no entry" for a tuple its own chain holds.  With one marker per bucket
 * index, bucket i of two tables (two listeners) ended alike.
 */

/* The marker an empty bucket ends with: what the table itself put there. */
static struct synq_entry *__init synq_selftest_end(struct synq_table *t, u32 i)
{
	return rcu_dereference_raw(t->buckets[i].head);
}

/* On fresh tables: every bucket of every table ends on its own marker. */
static bool __init synq_selftest_markers(struct synq_table *a,
					 struct synq_table *b)
{
	u32 i, j;

	for (i = 0; i < a->nr_buckets; i++) {
		if (!SYNQ_CHECK(synq_is_nulls(synq_selftest_end(a, i)),
				"bucket %u's marker is no marker", i))
			return false;
		for (j = 0; j < b->nr_buckets; j++)
			if (!SYNQ_CHECK(synq_selftest_end(a, i) !=
					synq_selftest_end(b, j),
					"bucket %u of one table ends as bucket %u of another",
					i, j))
				return false;
		for (j = 0; j < i; j++)
			if (!SYNQ_CHECK(synq_selftest_end(a, i) !=
					synq_selftest_end(a, j),
					"buckets %u and %u end alike", i, j))
				return false;
	}
	return true;
}

/*
 * @a's bucket holds the entry for @tuple behind another; an entry of the
 * same bucket index in @b is where a walker of @a strays to.
 */
static bool __init synq_selftest_strayed(struct synq_table *a,
					 struct synq_table *b)
{
	struct synq_tuple tuple = { .laddr = htonl(0x7f000001),
				    .raddr = htonl(0x0a000001),
				    .lport = htons(80), .rport = htons(4242) };
	struct synq_tuple other = tuple;
	struct synq_entry *e[3], *end, *mark;
	struct synq_bucket *ba, *bb;
	bool ok = true;
	int i;

	for (i = 0; i < 3; i++) {
		e[i] = synq_entry_alloc(false);
		if (!e[i]) {
			while (i--)
				synq_entry_free(e[i]);
			return SYNQ_CHECK(false, "no entry");
		}
	}
	ba = synq_table_bucket(a, &tuple);
	bb = &b->buckets[ba - a->buckets];
	mark = synq_selftest_end(a, ba - a->buckets);
	other.rport = htons(4243);
	synq_tuple_copy(&e[0]->t, &tuple);
	synq_tuple_copy(&e[1]->t, &other);
	synq_tuple_copy(&e[2]->t, &other);
	spin_lock_bh(synq_bucket_lock(a, ba));
	synq_table_insert_locked(a, ba, e[0]);
	synq_table_insert_locked(a, ba, e[1]);		/* head: e1, e0 */
	spin_unlock_bh(synq_bucket_lock(a, ba));
	spin_lock_bh(synq_bucket_lock(b, bb));
	synq_table_insert_locked(b, bb, e[2]);
	spin_unlock_bh(synq_bucket_lock(b, bb));

	rcu_read_lock();
	ok &= SYNQ_CHECK(synq_bucket_find(a, ba, &tuple) == e[0] &&
			 !synq_bucket_find(b, bb, &tuple),
			 "lookups under RCU");
	/* A walker of @a that stood on e[2] when it moved to @b. */
	end = synq_chain_find(e[2], &tuple);
	ok &= SYNQ_CHECK(synq_is_nulls(end) && end != mark,
			 "a walk strayed into another table ends on its own bucket's marker: \"no entry\" though there is one");
	rcu_read_unlock();
	return ok;		/* the entries go with the tables */
}

bool __init synq_selftest_syn_table(void)
{
	struct synq_table *a = synq_table_alloc(NULL, 16, 16);
	struct synq_table *b = synq_table_alloc(NULL, 16, 16);
	bool ok = SYNQ_CHECK(a && b, "no table");

	/* As listen() does: destroy() stops the clock hand (never armed here). */
	if (a)
		synq_timers_init(a);
	if (b)
		synq_timers_init(b);

	ok = ok && synq_selftest_markers(a, b) && synq_selftest_strayed(a, b);
	if (a)
		synq_table_destroy(a);
	if (b)
		synq_table_destroy(b);
	return ok;
}
