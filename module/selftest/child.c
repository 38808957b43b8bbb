// SPDX-License-Identifier: GPL-2.0
/*
 * synq selftest of child.c (included there with SYNQ_SELFTEST): review
 * defect 2 (issue 10).  request_sock_TCP is SLAB_TYPESAFE_BY_RCU and
 * shared with TCP's listeners: a lockless __inet_lookup_established() on
 * another CPU may still stand on an object being reused and follow its
 * ehash link, whose nulls end tells it to restart.  synq_reqsk_alloc()
 * must leave that link (and the refcount) as the object's last life left
 * them, as reqsk_alloc() does; a memset() of the whole request clears it.
 */

bool __init synq_selftest_reqsk(void)
{
	struct kmem_cache *slab = tcp_prot.rsk_prot->slab;
	struct hlist_nulls_node *marker = (void *)NULLS_MARKER(0x5e1f);
	struct request_sock *req;
	unsigned int i, reused = 0;
	struct socket *sock;
	struct sock *sk;
	bool ok = true;

	if (sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			     &sock))
		return SYNQ_CHECK(false, "no kernel TCP socket");
	for (i = 0; i < 32 && ok; i++) {
		/* BH off: this CPU's freelist hands the object back. */
		local_bh_disable();
		sk = kmem_cache_alloc(slab, GFP_ATOMIC);
		if (sk) {
			sk->sk_nulls_node.next = marker;
			kmem_cache_free(slab, sk);
		}
		req = synq_reqsk_alloc(sock->sk, false);
		if (req && req_to_sk(req) == sk) {
			reused++;
			ok = SYNQ_CHECK(req_to_sk(req)->sk_nulls_node.next == marker,
					"the reused request's ehash link was overwritten (%p)",
					req_to_sk(req)->sk_nulls_node.next) &&
			     SYNQ_CHECK(!refcount_read(&req->rsk_refcnt) &&
					req->rsk_listener == sock->sk,
					"refcount %u, listener %p",
					refcount_read(&req->rsk_refcnt),
					req->rsk_listener);
		}
		if (req)
			reqsk_free(req);
		local_bh_enable();
	}
	sock_release(sock);
	return ok && SYNQ_CHECK(reused, "the cache never gave an object back");
}
