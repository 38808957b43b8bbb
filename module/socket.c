// SPDX-License-Identifier: GPL-2.0
/*
 * synq: the listener socket, socket(AF_INET or AF_INET6, SOCK_STREAM,
 * IPPROTO_SYNQ).
 *
 * Each synq socket owns a kernel TCP socket, the template, created with it.
 * bind() binds the template, so the port is held in TCP's own bind table and
 * TCP's conflict rules apply both ways; listen() makes the template a TCP
 * listener, hashed in TCP's listening hash, whose af_ops are a copy of TCP's
 * with synq's conn_request: every SYN goes through tcp_v4_rcv() (firewall,
 * min_ttl, IPsec policy, socket filter, cgroup BPF, LSM) before synq's SYN
 * table sees it, and ss, inet_diag and TcpExt see a TCP listener.
 * accept(), poll() and the accept queue are the template's, so their
 * semantics are TCP's to the letter.  What accept() returns is a plain TCP
 * socket.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <net/inet_common.h>
#include <net/ipv6.h>
#include <net/inet_connection_sock.h>
#include <net/protocol.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "cookies.h"
#include "input.h"
#include "listener.h"
#include "md5.h"
#include "timers.h"

static struct proto synq_prot;
static struct proto synq_prot6;

/*
 * An IPv6 synq socket: inet6_create() wants the ipv6_pinfo last (6.1's
 * inet6_sk_generic()) or at proto->ipv6_pinfo_offset (6.12).  Its options
 * are the template's; this one only has to exist.
 */
struct synq_sock6 {
	struct synq_sock ss;
	struct ipv6_pinfo inet6;
};

static bool synq_is_synq_sk(const struct sock *sk)
{
	return sk->sk_prot == &synq_prot || sk->sk_prot == &synq_prot6;
}

/*
 * The synq socket's lock is taken around the template's (listen()), and
 * both would be "sk_lock-AF_INET" to lockdep: ours gets classes of its own.
 */
static struct lock_class_key synq_slock_key[2];
static struct lock_class_key synq_lock_key[2];

static void synq_sk_lock_init(struct sock *sk)
{
	if (sk->sk_family == AF_INET6)
		sock_lock_init_class_and_name(sk, "slock-AF_INET6-SYNQ",
					      &synq_slock_key[1],
					      "sk_lock-AF_INET6-SYNQ",
					      &synq_lock_key[1]);
	else
		sock_lock_init_class_and_name(sk, "slock-AF_INET-SYNQ",
					      &synq_slock_key[0],
					      "sk_lock-AF_INET-SYNQ",
					      &synq_lock_key[0]);
}

/*
 * The template is a TCP socket of our family: an IPv6 one starts with the
 * netns' bindv6only as TCP's does, and IPV6_V6ONLY before bind() is the
 * template's own setsockopt.
 */
static int synq_sk_init(struct sock *sk)
{
	struct synq_sock *ss = synq_sk(sk);
	int err;

	synq_sk_lock_init(sk);
	INIT_HLIST_NODE(&ss->lnode);
	RCU_INIT_POINTER(ss->table, NULL);
	ss->syncookies = -1;
	ss->abort_on_overflow = -1;
	ss->synack_retries = -1;
	ss->max_syn_backlog = -1;
	err = __sock_create(sock_net(sk), sk->sk_family, SOCK_STREAM,
			    IPPROTO_TCP, &ss->tmpl, 0);
	if (err)
		return err;
	ss->tmpl_sk = ss->tmpl->sk;
	/* close() does not wait for packets still looking at either. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	sock_set_flag(ss->tmpl_sk, SOCK_RCU_FREE);
	/*
	 * The template wakes (and signals, O_ASYNC) through our socket's wait
	 * queue: acceptors, pollers and SIGIO owners all wait on ours.
	 */
	RCU_INIT_POINTER(ss->tmpl_sk->sk_wq, &sk->sk_socket->wq);
	return 0;
}

/*
 * The template's struct socket is a kernel one, without a file: matches on
 * a packet's owner (xt_owner, nft's meta skuid/skgid) read the owner's
 * credentials from sk->sk_socket->file, so a listening template points at
 * the synq socket's file, and SYN-ACKs it owns are the user's, as TCP's.
 * sk_callback_lock is what those readers hold.
 */
static void synq_tmpl_set_file(struct socket *tmpl, struct file *file)
{
	write_lock_bh(&tmpl->sk->sk_callback_lock);
	WRITE_ONCE(tmpl->file, file);
	write_unlock_bh(&tmpl->sk->sk_callback_lock);
}

static void synq_sk_destroy(struct sock *sk)
{
	struct synq_sock *ss = synq_sk(sk);

	if (ss->tmpl) {
		/* Or sock_release() would take the file for the template's. */
		synq_tmpl_set_file(ss->tmpl, NULL);
		sock_release(ss->tmpl);
		ss->tmpl = NULL;
	}
}

/* synq sockets are never in a protocol hash: sk_common_release() asks. */
static void synq_sk_unhash(struct sock *sk)
{
}

/*
 * What listen() needs before the template enters TCP's listening hash: the
 * SYN table, the final-ACK hook, and the template's tie to us (af_ops and
 * sk_user_data), so that the first SYN TCP hands over finds them all.
 */
static int synq_listen_prepare(struct synq_sock *ss, int backlog)
{
	struct sock *tmpl = synq_tmpl(ss);
	struct synq_table *t;
	int err;

	t = synq_table_alloc(ss, backlog, synq_max_syn_backlog(ss));
	if (!t)
		return -ENOMEM;
	synq_timers_init(t);
	err = synq_input_hold(synq_sk_net(ss));
	if (err) {
		synq_table_destroy(t);
		return err;
	}
	rcu_assign_pointer(ss->table, t);
	lock_sock(tmpl);
	synq_template_attach(ss, tmpl);
	release_sock(tmpl);
	return 0;
}

/*
 * Stop answering SYNs.  Packets that found the listener before it was
 * unpublished may still be at work: the table, this socket and the
 * template all outlive them by an RCU grace period (synq_table_destroy(),
 * SOCK_RCU_FREE).  The template keeps synq's af_ops until it is closed: a
 * SYN that still finds it gets no answer (synq_conn_request()), where
 * TCP's af_ops would make TCP requests on a closing synq listener.
 */
static void synq_listen_unprepare(struct synq_sock *ss)
{
	struct sock *sk = &ss->inet.sk;
	struct synq_table *t;

	t = rcu_dereference_protected(ss->table, lockdep_sock_is_held(sk));
	if (!t)
		return;
	RCU_INIT_POINTER(ss->table, NULL);
	synq_table_destroy(t);
	synq_input_release(synq_sk_net(ss));
}

/*
 * close() or shutdown(SHUT_RD): synq lets go first, then TCP closes the
 * template, resetting the children still on its accept queue.
 */
static void synq_listen_stop(struct synq_sock *ss)
{
	struct sock *sk = &ss->inet.sk;

	if (!rcu_access_pointer(ss->table))
		return;
	synq_listener_unpublish(synq_sk_net(ss), ss);
	synq_listen_unprepare(ss);
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
}

static int synq_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	/* do_accept() releases a never-filled new socket through our ops. */
	if (!sk)
		return 0;
	lock_sock(sk);
	synq_listen_stop(synq_sk(sk));
	release_sock(sk);
	sock->sk = NULL;
	/* destroy() closes the template: unaccepted children get an RST. */
	sk_common_release(sk);
	return 0;
}

/*
 * SO_REUSEPORT is refused: the template is never in TCP's reuseport
 * groups, and synq does not steer one port's SYNs across listeners.
 */
static int synq_bind(struct socket *sock, struct sockaddr *uaddr, int len)
{
	struct sock *sk = sock->sk;
	struct socket *tmpl = synq_sk(sk)->tmpl;

	if (sk->sk_reuseport)
		return -EOPNOTSUPP;
	lock_sock(tmpl->sk);
	synq_sync_tmpl(sk, tmpl->sk);
	release_sock(tmpl->sk);
	return tmpl->ops->bind(tmpl, uaddr, len);
}

/*
 * inet_listen() on the template does the rest as for TCP: the backlog (a
 * second listen() only changes it), the port check, the listening hash,
 * the ULP check (CVE-2023-0461) and BPF_SOCK_OPS_TCP_LISTEN_CB.
 */
static int synq_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct synq_sock *ss = synq_sk(sk);
	struct sock *tmpl = synq_tmpl(ss);
	bool first = false;
	int err = -EINVAL;

	lock_sock(sk);
	if (sk->sk_reuseport) {
		err = -EOPNOTSUPP;
		goto out;
	}
	if (sock->state != SS_UNCONNECTED)
		goto out;
	lock_sock(tmpl);
	synq_sync_tmpl(sk, tmpl);
	release_sock(tmpl);
	if (!rcu_access_pointer(ss->table)) {
		err = synq_listen_prepare(ss, backlog);
		if (err)
			goto out;
		first = true;
	}
	err = inet_listen(ss->tmpl, backlog);
	if (err) {
		if (first)
			synq_listen_unprepare(ss);
		goto out;
	}
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (first) {
		synq_tmpl_set_file(ss->tmpl, sock->file);
		WRITE_ONCE(sk->sk_state, TCP_LISTEN);
		synq_listener_publish(synq_sk_net(ss), ss);
	}
out:
	release_sock(sk);
	return err;
}

/* Before inet_accept() on the template (compat.c: synq_accept()). */
struct socket *synq_accept_begin(struct socket *sock)
{
	struct socket *tmpl = synq_sk(sock->sk)->tmpl;

	lock_sock(tmpl->sk);
	synq_sync_tmpl(sock->sk, tmpl->sk);
	release_sock(tmpl->sk);
	return tmpl;
}

/*
 * After inet_accept() gave @newsock its child.  The child is a TCP socket:
 * from here on it has TCP's ops, and the module reference do_accept() took
 * for our ops is given back, or rmmod would never work again.
 */
int synq_accept_end(struct socket *sock, struct socket *newsock)
{
	newsock->ops = synq_sk(sock->sk)->tmpl->ops;	/* inet(6)_stream_ops */
	module_put(THIS_MODULE);
	atomic64_inc(&synq_sk(sock->sk)->accepted);
	return 0;
}

/*
 * do_accept() asks the listener's ops for the new socket's address since
 * 6.6 (ops->getname(newsock), not newsock->ops->getname()): @sock may be a
 * child, a TCP socket, which has no template.
 */
static int synq_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct socket *tmpl;

	if (!synq_is_synq_sk(sock->sk))
		return sock->sk->sk_family == AF_INET6 ?
		       inet6_getname(sock, uaddr, peer) :
		       inet_getname(sock, uaddr, peer);
	tmpl = synq_sk(sock->sk)->tmpl;
	return tmpl->ops->getname(tmpl, uaddr, peer);
}

static __poll_t synq_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	sock_poll_wait(file, sock, wait);
	return tcp_poll(file, synq_sk(sock->sk)->tmpl, NULL);
}

static int synq_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct socket *tmpl = synq_sk(sock->sk)->tmpl;

	return tmpl->ops->ioctl(tmpl, cmd, arg);
}

static int synq_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;

	/* As inet_shutdown(): a bad @how changes nothing. */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	how--;
	/* SHUT_RD stops listening, as for TCP; synq stops first. */
	if ((how + 1) & RCV_SHUTDOWN) {
		lock_sock(sk);
		synq_listen_stop(synq_sk(sk));
		release_sock(sk);
	}
	return inet_shutdown(synq_sk(sk)->tmpl, how);
}

void synq_get_info(struct synq_sock *ss, struct synq_info *info)
{
	struct sock *tmpl = synq_tmpl(ss);
	struct synq_table *t;

	memset(info, 0, sizeof(*info));
	info->version = SYNQ_INFO_VERSION;
	info->state = inet_sk_state_load(tmpl);
	info->ack_backlog = READ_ONCE(tmpl->sk_ack_backlog);
	info->max_ack_backlog = READ_ONCE(tmpl->sk_max_ack_backlog);
	info->synack_retrans = atomic64_read(&ss->synack_retrans);
	info->expired = atomic64_read(&ss->expired);
	info->accepted = atomic64_read(&ss->accepted);
	info->overflows = atomic64_read(&ss->overflows);
	info->drops = atomic64_read(&ss->drops);
	info->syncookies = synq_syncookies(ss);
	info->paused = synq_paused(ss);
	info->synack_retries = synq_synack_retries(ss);
	info->pauses = atomic64_read(&ss->pauses);
	info->cookies_sent = atomic64_read(&ss->cookies_sent);
	info->cookies_recv = atomic64_read(&ss->cookies_recv);

	rcu_read_lock();
	t = rcu_dereference(ss->table);
	if (t) {
		info->nr_table_entries = t->nr_table_entries;
		info->nr_buckets = t->nr_buckets;
		info->max_qlen_log = t->max_qlen_log;
		info->qlen = atomic_read(&t->qlen);
		info->qlen_young = atomic_read(&t->qlen_young);
		info->acked = atomic_read(&t->qlen_acked);
	}
	rcu_read_unlock();
}

/* The per-listener overrides: where each lives and what it may be. */
struct synq_override {
	size_t offset;
	int min;
	int max;
};

static const struct synq_override synq_overrides[] = {
	[SYNQ_SYNCOOKIES] = {
		offsetof(struct synq_sock, syncookies), 0, 2 },
	[SYNQ_ABORT_ON_OVERFLOW] = {
		offsetof(struct synq_sock, abort_on_overflow), 0, 1 },
	[SYNQ_SYNACK_RETRIES] = {
		offsetof(struct synq_sock, synack_retries), 0, MAX_TCP_SYNCNT },
	[SYNQ_MAX_SYN_BACKLOG] = {
		offsetof(struct synq_sock, max_syn_backlog), 1, 1 << 24 },
};

static int *synq_override_ptr(struct synq_sock *ss, int optname)
{
	if (optname <= SYNQ_INFO || optname >= ARRAY_SIZE(synq_overrides))
		return NULL;
	return (int *)((char *)ss + synq_overrides[optname].offset);
}

/*
 * The two overrides that cost kernel memory (the table's size, and how long
 * entries stay) go no higher than the netns sysctl unless the caller is the
 * namespace's administrator: the sysctl is the admin's limit, and a user's
 * listener must not raise it for itself.
 */
static int synq_override_clamp(const struct synq_sock *ss, int optname,
			       int val)
{
	const struct synq_net *sn = synq_sk_net(ss);
	int limit;

	if (val == -1 ||
	    ns_capable(sock_net(&ss->inet.sk)->user_ns, CAP_NET_ADMIN))
		return val;
	switch (optname) {
	case SYNQ_MAX_SYN_BACKLOG:
		limit = READ_ONCE(sn->max_syn_backlog);
		break;
	case SYNQ_SYNACK_RETRIES:
		limit = READ_ONCE(sn->synack_retries);
		break;
	default:
		return val;
	}
	return min(val, limit);
}

/*
 * -1 goes back to the netns sysctl.  All but the SYN table size act on the
 * next packet; the table is sized at listen(), so that one is refused
 * (EBUSY) on a listener.
 */
static int synq_setsockopt_synq(struct synq_sock *ss, int optname,
				sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = &ss->inet.sk;
	int *ptr = synq_override_ptr(ss, optname);
	int val, err = 0;

	if (!ptr)
		return optname == SYNQ_INFO ? -EINVAL : -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val != -1 && (val < synq_overrides[optname].min ||
			  val > synq_overrides[optname].max))
		return -EINVAL;
	val = synq_override_clamp(ss, optname, val);

	lock_sock(sk);
	if (optname == SYNQ_MAX_SYN_BACKLOG && rcu_access_pointer(ss->table))
		err = -EBUSY;
	else
		WRITE_ONCE(*ptr, val);
	release_sock(sk);
	return err;
}

static int synq_getsockopt_synq(struct synq_sock *ss, int optname,
				char __user *optval, int __user *optlen)
{
	struct synq_info info;
	int *ptr, val, len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	if (optname == SYNQ_INFO) {
		synq_get_info(ss, &info);
		len = min_t(unsigned int, len, sizeof(info));
		if (put_user(len, optlen) || copy_to_user(optval, &info, len))
			return -EFAULT;
		return 0;
	}
	ptr = synq_override_ptr(ss, optname);
	if (!ptr)
		return -ENOPROTOOPT;
	if (len < sizeof(int))
		return -EINVAL;
	val = READ_ONCE(*ptr);
	len = sizeof(int);
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/*
 * Listener options of TCP's that act on SYNs or on the handshake, which
 * synq's SYN path does not implement: refused, never silently ignored.
 */
static bool synq_tcp_opt_unsupported(int optname)
{
	switch (optname) {
	case TCP_MD5SIG:
	case TCP_MD5SIG_EXT:
		/* TCP's keys, on the template; md5.c signs with them */
		return !synq_md5_usable();
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_KEY:
	case TCP_SAVE_SYN:
		return true;
	}
	return synq_tcp_opt_is_ao(optname);
}

static int synq_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	struct socket *tmpl = synq_sk(sock->sk)->tmpl;
	int err;

	if (level == SOL_SYNQ)
		return synq_setsockopt_synq(synq_sk(sock->sk), optname, optval,
					    optlen);
	if (level == SOL_TCP && synq_tcp_opt_unsupported(optname))
		return -EOPNOTSUPP;
	err = tmpl->ops->setsockopt(tmpl, level, optname, optval, optlen);
	/* IP_TOS sets the priority too, and SO_PRIORITY is read from us. */
	if (!err && level == SOL_IP && optname == IP_TOS)
		WRITE_ONCE(sock->sk->sk_priority, READ_ONCE(tmpl->sk->sk_priority));
	return err;
}

static int synq_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct synq_sock *ss = synq_sk(sock->sk);

	if (level == SOL_SYNQ)
		return synq_getsockopt_synq(ss, optname, optval, optlen);
	return ss->tmpl->ops->getsockopt(ss->tmpl, level, optname, optval,
					 optlen);
}

#define SYNQ_PROTO_OPS(fam) {			\
	.family		= fam,				\
	.owner		= THIS_MODULE,			\
	.release	= synq_release,			\
	.bind		= synq_bind,			\
	.connect	= sock_no_connect,		\
	.socketpair	= sock_no_socketpair,		\
	.accept		= synq_accept,			\
	.getname	= synq_getname,			\
	.poll		= synq_poll,			\
	.ioctl		= synq_ioctl,			\
	.listen		= synq_listen,			\
	.shutdown	= synq_shutdown,		\
	.setsockopt	= synq_setsockopt,		\
	.getsockopt	= synq_getsockopt,		\
	.sendmsg	= sock_no_sendmsg,		\
	.recvmsg	= sock_no_recvmsg,		\
	.mmap		= sock_no_mmap,			\
}

static const struct proto_ops synq_ops = SYNQ_PROTO_OPS(PF_INET);
static const struct proto_ops synq_ops6 = SYNQ_PROTO_OPS(PF_INET6);

static struct proto synq_prot = {
	.name		= "SYNQ",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct synq_sock),
	.init		= synq_sk_init,
	.destroy	= synq_sk_destroy,
	.unhash		= synq_sk_unhash,
};

static struct proto synq_prot6 = {
	.name		= "SYNQv6",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct synq_sock6),
	.init		= synq_sk_init,
	.destroy	= synq_sk_destroy,
	.unhash		= synq_sk_unhash,
};

static struct inet_protosw synq_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &synq_prot,
	.ops		= &synq_ops,
};

static struct inet_protosw synq_protosw6 = {
	.type		= SOCK_STREAM,
	.prot		= &synq_prot6,
	.ops		= &synq_ops6,
};

/* SOCK_STREAM protocols the kernel registers itself. */
static bool synq_proto_taken(int protocol)
{
	return protocol == IPPROTO_IP || protocol == IPPROTO_TCP ||
	       protocol == IPPROTO_SCTP || protocol == IPPROTO_MPTCP;
}

int synq_socket_init(int protocol)
{
	int err;

	if (protocol <= 0 || protocol >= IPPROTO_MAX ||
	    synq_proto_taken(protocol)) {
		pr_err("protocol %d is invalid or taken\n", protocol);
		return -EINVAL;
	}
	err = synq_template_init();
	if (err)
		return err;
	err = proto_register(&synq_prot, 1);
	if (err)
		return err;
	synq_proto_set_ipv6_pinfo(&synq_prot6,
				  offsetof(struct synq_sock6, inet6));
	err = proto_register(&synq_prot6, 1);
	if (err)
		goto err_prot;
	synq_protosw.protocol = protocol;
	synq_protosw6.protocol = protocol;
	inet_register_protosw(&synq_protosw);
	err = inet6_register_protosw(&synq_protosw6);
	if (err)
		goto err_protosw;
	return 0;

err_protosw:
	inet_unregister_protosw(&synq_protosw);
	proto_unregister(&synq_prot6);
err_prot:
	proto_unregister(&synq_prot);
	return err;
}

void synq_socket_exit(void)
{
	inet6_unregister_protosw(&synq_protosw6);
	inet_unregister_protosw(&synq_protosw);
	proto_unregister(&synq_prot6);
	proto_unregister(&synq_prot);
}
