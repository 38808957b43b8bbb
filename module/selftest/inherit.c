// SPDX-License-Identifier: GPL-2.0
/*
 * synq selftest of inherit.c (included there with SYNQ_SELFTEST): review
 * defect 4 (issue 10).  sk_flags and sk_userlocks are written with plain
 * read-modify-writes by the template's owner (close(), setsockopt(), TCP
 * under lock_sock()); a child's copy from softirq that wrote them then
 * could lose the owner's update (a lost SOCK_DEAD).  While the owner holds
 * the template, the copy must write nothing; once it lets go, the next one
 * copies, and only the inherited bits.
 */

static bool __init synq_selftest_inherit_owned(struct sock *sk,
					       struct sock *tmpl)
{
	bool ok;

	sock_valbool_flag(sk, SOCK_KEEPOPEN, true);
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	WRITE_ONCE(sk->sk_rcvbuf, 123456);
	tmpl->sk_userlocks |= SOCK_BINDPORT_LOCK;

	lock_sock(tmpl);
	local_bh_disable();
	synq_sync_inherited_bh(sk, tmpl);
	local_bh_enable();
	ok = SYNQ_CHECK(!sock_flag(tmpl, SOCK_KEEPOPEN) &&
			!(tmpl->sk_userlocks & SOCK_RCVBUF_LOCK) &&
			tmpl->sk_rcvbuf != 123456,
			"a child's copy wrote the template while its owner held it");
	release_sock(tmpl);

	local_bh_disable();
	synq_sync_inherited_bh(sk, tmpl);
	local_bh_enable();
	return SYNQ_CHECK(sock_flag(tmpl, SOCK_KEEPOPEN) &&
			  (tmpl->sk_userlocks & SOCK_RCVBUF_LOCK) &&
			  tmpl->sk_rcvbuf == 123456,
			  "no copy once the owner let go") &&
	       SYNQ_CHECK(tmpl->sk_userlocks & SOCK_BINDPORT_LOCK,
			  "the copy cleared the template's own bind lock") && ok;
}

bool __init synq_selftest_inherit(void)
{
	struct socket *a, *b;
	bool ok;

	if (sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &a))
		return SYNQ_CHECK(false, "no kernel TCP socket");
	if (sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &b)) {
		sock_release(a);
		return SYNQ_CHECK(false, "no kernel TCP socket");
	}
	ok = synq_selftest_inherit_owned(a->sk, b->sk);
	sock_release(b);
	sock_release(a);
	return ok;
}
