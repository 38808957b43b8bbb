// SPDX-License-Identifier: GPL-2.0
/*
 * synq selftest of syn.c (included there with SYNQ_SELFTEST): review defect
 * 8, second half (issue 10).  A SYN that tcp_v4_rcv() found no connection
 * for may meet, under the bucket lock, a connection a final ACK on another
 * CPU has made meanwhile (child hashed, entry unlinked): it must see the
 * connection there and make no entry.  The check is
 * synq_connected_meanwhile(); here against a real connection on loopback.
 */

static int __init synq_selftest_connect(struct socket **l, struct socket **c,
					struct socket **a,
					struct sockaddr_in *srv,
					struct sockaddr_in *cli)
{
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int err;

	*l = *c = *a = NULL;
	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, l) ?:
	      kernel_bind(*l, (struct sockaddr *)&any, sizeof(any)) ?:
	      kernel_listen(*l, 1);
	if (err)
		return err;
	err = kernel_getsockname(*l, (struct sockaddr *)srv);
	if (err < 0)
		return err;
	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, c) ?:
	      kernel_connect(*c, (struct sockaddr *)srv, sizeof(*srv), 0) ?:
	      kernel_accept(*l, a, 0);
	if (err)
		return err;
	err = kernel_getsockname(*c, (struct sockaddr *)cli);
	return err < 0 ? err : 0;
}

static bool __init synq_selftest_meanwhile(const struct sockaddr_in *srv,
					   const struct sockaddr_in *cli)
{
	struct synq_seg s = {
		.sn = synq_pernet(&init_net),
		.t = { .laddr = srv->sin_addr.s_addr,
		       .raddr = cli->sin_addr.s_addr,
		       .lport = srv->sin_port, .rport = cli->sin_port },
		.dif = LOOPBACK_IFINDEX,
	};
	bool seen, other, tw;

	rcu_read_lock();
	local_bh_disable();
	seen = synq_connected_meanwhile(&s);
	s.t.rport = htons(ntohs(cli->sin_port) ^ 1);
	other = synq_connected_meanwhile(&s);
	s.t.rport = cli->sin_port;
	s.tw_isn = 1;	/* TCP killed a TIME_WAIT: nothing else is there */
	tw = synq_connected_meanwhile(&s);
	local_bh_enable();
	rcu_read_unlock();
	return SYNQ_CHECK(seen, "a connection made meanwhile is not seen") &&
	       SYNQ_CHECK(!other && !tw, "a connection seen that is not there");
}

bool __init synq_selftest_syn(void)
{
	struct sockaddr_in srv, cli;
	struct socket *l, *c, *a;
	bool ok;
	int err;

	err = synq_selftest_connect(&l, &c, &a, &srv, &cli);
	ok = SYNQ_CHECK(!err, "no loopback connection: %d", err) &&
	     synq_selftest_meanwhile(&srv, &cli);
	if (a)
		sock_release(a);
	if (c)
		sock_release(c);
	if (l)
		sock_release(l);
	return ok;
}
