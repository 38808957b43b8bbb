// SPDX-License-Identifier: GPL-2.0
/*
 * synq_api: the socket API of a synq listener, with Linux TCP as reference.
 *
 * Tests of the "sock" fixture run twice, once on a TCP listener (variant
 * tcp) and once on a synq listener (variant synq), with the same exact
 * expectations: what passes on tcp is Linux's behaviour, and synq must
 * match it.  Tests named synq_* are synq's own API (SYNQ_INFO, the
 * refused operations).
 *
 * Everything runs on 127.0.0.1 with ports picked by the kernel (bind to
 * port 0, read back with getsockname()); waits are bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "synq.h"
#include "kselftest_harness.h"

#define LO		htonl(INADDR_LOOPBACK)
#define WAIT_MS		3000	/* bound of every wait for an event */

/* ---- helpers ---- */

/*
 * The address family of the TEST_F(sock) variant running (tcp, synq: IPv4;
 * tcp6, synq6: IPv6), set by FIXTURE_SETUP: the helpers below bind,
 * connect and check addresses of this family, on loopback (::1 for IPv6).
 */
static int family_ = AF_INET;

union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

static socklen_t sa_len(void)
{
	return family_ == AF_INET6 ? sizeof(struct sockaddr_in6) :
				     sizeof(struct sockaddr_in);
}

/* The loopback address of family_, with @port; its length. */
static socklen_t sa_lo(union sa *a, __u16 port)
{
	memset(a, 0, sizeof(*a));
	a->sa.sa_family = family_;
	if (family_ == AF_INET6) {
		a->in6.sin6_port = htons(port);
		a->in6.sin6_addr = in6addr_loopback;
	} else {
		a->in.sin_port = htons(port);
		a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	return sa_len();
}

/* An address of family_ that no interface has (RFC 5737, RFC 3849). */
static socklen_t sa_foreign(union sa *a)
{
	socklen_t len = sa_lo(a, 0);

	if (family_ == AF_INET6)
		inet_pton(AF_INET6, "2001:db8::1", &a->in6.sin6_addr);
	else
		a->in.sin_addr.s_addr = inet_addr("192.0.2.1");
	return len;
}

/* Port of either family (sin_port and sin6_port share their place). */
static __u16 sa_port(const union sa *a)
{
	return ntohs(a->in.sin_port);
}

/* Same family, address and port. */
static bool sa_eq(const union sa *a, const union sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family || a->in.sin_port != b->in.sin_port)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

static bool sa_is_any(const union sa *a)
{
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &in6addr_any,
			       sizeof(in6addr_any));
	return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
}

static void addr_lo(struct sockaddr_in *a, __u16 port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = LO;
}

static int bind_lo(int fd, __u16 port)
{
	union sa a;
	socklen_t len = sa_lo(&a, port);

	return bind(fd, &a.sa, len);
}

static __u16 local_port(struct __test_metadata *_metadata, int fd)
{
	socklen_t len = sizeof(union sa);
	union sa a;

	ASSERT_EQ(0, getsockname(fd, &a.sa, &len));
	ASSERT_EQ(sa_len(), len);
	ASSERT_EQ(family_, a.sa.sa_family);
	return sa_port(&a);
}

static int sock_new(struct __test_metadata *_metadata, int proto)
{
	int fd = socket(family_, SOCK_STREAM, proto);

	ASSERT_LE(0, fd) TH_LOG("socket(proto %d): %s", proto, strerror(errno));
	return fd;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static int get_int(struct __test_metadata *_metadata, int fd, int level,
		   int opt)
{
	socklen_t len = sizeof(int);
	int val = -1;

	ASSERT_EQ(0, getsockopt(fd, level, opt, &val, &len))
		TH_LOG("getsockopt(%d, %d): %s", level, opt, strerror(errno));
	ASSERT_EQ(sizeof(int), len);
	return val;
}

/* A listener on 127.0.0.1, port picked by the kernel. */
static int listener(struct __test_metadata *_metadata, int proto, int backlog,
		    __u16 *port)
{
	int fd = sock_new(_metadata, proto);

	ASSERT_EQ(0, bind_lo(fd, 0)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, backlog)) TH_LOG("listen: %s", strerror(errno));
	*port = local_port(_metadata, fd);
	ASSERT_NE(0, *port);
	return fd;
}

/* A plain TCP client, connected (blocking) to 127.0.0.1:port. */
static int client(struct __test_metadata *_metadata, __u16 port)
{
	int fd = sock_new(_metadata, IPPROTO_TCP);
	union sa a;
	socklen_t len = sa_lo(&a, port);

	ASSERT_EQ(0, connect(fd, &a.sa, len))
		TH_LOG("connect to port %u: %s", port, strerror(errno));
	return fd;
}

static int wait_poll(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, ms) != 1)
		return 0;
	return p.revents;
}

static struct tcp_info tcp_info(struct __test_metadata *_metadata, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &len))
		TH_LOG("TCP_INFO: %s", strerror(errno));
	return ti;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Children waiting for accept() on a listener of either kind: TCP_INFO on
 * a listener reports sk_ack_backlog in tcpi_unacked.  Waits (bounded) until
 * there are n, and returns the last count seen.
 */
static unsigned int wait_ack_backlog(struct __test_metadata *_metadata,
				     int fd, unsigned int n)
{
	unsigned int got = 0;
	int i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		got = tcp_info(_metadata, fd).tcpi_unacked;
		if (got == n)
			break;
		sleep_ms(10);
	}
	return got;
}

static int read_full(int fd, void *buf, size_t len, int ms)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (!(wait_poll(fd, POLLIN, ms) & (POLLIN | POLLHUP | POLLERR)))
			return -ETIMEDOUT;
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static int nr_signals_;

static void count_signal(int sig)
{
	__atomic_add_fetch(&nr_signals_, 1, __ATOMIC_SEQ_CST);
}

static int nr_signals(void)
{
	return __atomic_load_n(&nr_signals_, __ATOMIC_SEQ_CST);
}

static void reset_signals(void)
{
	__atomic_store_n(&nr_signals_, 0, __ATOMIC_SEQ_CST);
}

static void handle(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void timer_ms(int ms)
{
	struct itimerval it = {
		.it_value = { ms / 1000, (ms % 1000) * 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/* A thread that connects to port after delay_ms, SIGALRM blocked. */
struct connector {
	pthread_t thread;
	__u16 port;
	int delay_ms;
	int fd;
	int err;
};

static void *connector_fn(void *arg)
{
	struct connector *c = arg;
	socklen_t len;
	sigset_t set;
	union sa a;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sleep_ms(c->delay_ms);
	len = sa_lo(&a, c->port);
	c->fd = socket(family_, SOCK_STREAM, IPPROTO_TCP);
	if (c->fd < 0 || connect(c->fd, &a.sa, len))
		c->err = errno;
	return NULL;
}

static void connector_start(struct __test_metadata *_metadata,
			    struct connector *c, __u16 port, int delay_ms)
{
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->delay_ms = delay_ms;
	c->fd = -1;
	ASSERT_EQ(0, pthread_create(&c->thread, NULL, connector_fn, c));
}

/* A thread blocked in accept(). */
struct acceptor {
	pthread_t thread;
	pid_t tid;
	int lfd;
	int ret;
	int err;
};

static void *acceptor_fn(void *arg)
{
	struct acceptor *a = arg;

	a->tid = gettid();
	a->ret = accept(a->lfd, NULL, NULL);
	a->err = a->ret < 0 ? errno : 0;
	return NULL;
}

/* Thread state from /proc: 'S' once it sleeps (in accept()). */
static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

static void acceptor_start(struct __test_metadata *_metadata,
			   struct acceptor *a, int lfd)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->lfd = lfd;
	a->ret = -2;
	ASSERT_EQ(0, pthread_create(&a->thread, NULL, acceptor_fn, a));
	for (i = 0; i < WAIT_MS / 10; i++) {
		if (a->tid && thread_state(a->tid) == 'S')
			break;
		sleep_ms(10);
	}
	ASSERT_EQ('S', thread_state(a->tid));
	sleep_ms(20);
}

/* 0 when the thread ended within WAIT_MS. */
static int thread_join(pthread_t t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* ---- the listener, TCP and synq alike ---- */

FIXTURE(sock) {
	int unused;
};

FIXTURE_VARIANT(sock) {
	int proto;
	int family;
};

FIXTURE_VARIANT_ADD(sock, tcp) {
	.proto = IPPROTO_TCP,
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(sock, synq) {
	.proto = IPPROTO_SYNQ,
	.family = AF_INET,
};

/* The same cases on IPv6 sockets, over ::1. */
FIXTURE_VARIANT_ADD(sock, tcp6) {
	.proto = IPPROTO_TCP,
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(sock, synq6) {
	.proto = IPPROTO_SYNQ,
	.family = AF_INET6,
};

FIXTURE_SETUP(sock)
{
	signal(SIGPIPE, SIG_IGN);
	family_ = variant->family;
}

FIXTURE_TEARDOWN(sock)
{
}

/* 1: the socket's identity, SO_ACCEPTCONN before and after listen(). */
TEST_F(sock, socket_opts)
{
	int fd = sock_new(_metadata, variant->proto);
	int v;

	EXPECT_EQ(variant->proto, get_int(_metadata, fd, SOL_SOCKET,
					  SO_PROTOCOL));
	EXPECT_EQ(SOCK_STREAM, get_int(_metadata, fd, SOL_SOCKET, SO_TYPE));
	EXPECT_EQ(family_, get_int(_metadata, fd, SOL_SOCKET, SO_DOMAIN));
	EXPECT_EQ(0, get_int(_metadata, fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, get_int(_metadata, fd, SOL_SOCKET, SO_ERROR));
	ASSERT_EQ(0, bind_lo(fd, 0));
	EXPECT_EQ(0, get_int(_metadata, fd, SOL_SOCKET, SO_ACCEPTCONN));
	ASSERT_EQ(0, listen(fd, 8));
	EXPECT_EQ(1, get_int(_metadata, fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(TCP_LISTEN, tcp_info(_metadata, fd).tcpi_state);
	EXPECT_EQ(variant->proto, get_int(_metadata, fd, SOL_SOCKET,
					  SO_PROTOCOL));
	/* No byte counts on a listener. */
	EXPECT_EQ(-1, ioctl(fd, FIONREAD, &v));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* 2: addresses seen by both ends. */
TEST_F(sock, bind_listen_accept)
{
	union sa a, lo, peer, c_local, c_peer, s_local;
	socklen_t len;
	__u16 port;
	int lfd, cfd, sfd;

	lfd = listener(_metadata, variant->proto, 8, &port);
	len = sizeof(a);
	ASSERT_EQ(0, getsockname(lfd, &a.sa, &len));
	sa_lo(&lo, port);
	EXPECT_TRUE(sa_eq(&lo, &a));
	len = sizeof(a);
	EXPECT_EQ(-1, getpeername(lfd, &a.sa, &len));
	EXPECT_EQ(ENOTCONN, errno);

	cfd = client(_metadata, port);
	len = sizeof(peer);
	memset(&peer, 0, sizeof(peer));
	sfd = accept(lfd, &peer.sa, &len);
	ASSERT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(sa_len(), len);

	len = sizeof(c_local);
	ASSERT_EQ(0, getsockname(cfd, &c_local.sa, &len));
	len = sizeof(c_peer);
	ASSERT_EQ(0, getpeername(cfd, &c_peer.sa, &len));
	len = sizeof(s_local);
	ASSERT_EQ(0, getsockname(sfd, &s_local.sa, &len));

	EXPECT_EQ(family_, peer.sa.sa_family);
	EXPECT_TRUE(sa_eq(&c_local, &peer));
	EXPECT_TRUE(sa_eq(&c_peer, &s_local));
	EXPECT_EQ(port, sa_port(&s_local));
	close(sfd);
	close(cfd);
	close(lfd);
}

/* bind() and accept() errors come from TCP's own checks. */
TEST_F(sock, bind_errors)
{
	int fd = sock_new(_metadata, variant->proto);
	socklen_t len;
	union sa a;

	/* Too short for the family (IPv6: below SIN6_LEN_RFC2133). */
	len = sa_lo(&a, 0);
	EXPECT_EQ(-1, bind(fd, &a.sa, len - 5));
	EXPECT_EQ(EINVAL, errno);
	a.sa.sa_family = family_ == AF_INET6 ? AF_INET : AF_INET6;
	EXPECT_EQ(-1, bind(fd, &a.sa, len));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	len = sa_foreign(&a);
	EXPECT_EQ(-1, bind(fd, &a.sa, len));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	/* accept() before listen(). */
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, bind_lo(fd, 0));
	EXPECT_EQ(-1, bind_lo(fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(-1, bind_lo(fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* accept4() flags it does not know. */
	EXPECT_EQ(-1, accept4(fd, NULL, NULL, 0x1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* IP_FREEBIND lets a listener bind an address the host does not have. */
TEST_F(sock, bind_freebind)
{
	int fd = sock_new(_metadata, variant->proto);
	socklen_t len;
	union sa a;

	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_FREEBIND, 1));
	len = sa_foreign(&a);
	EXPECT_EQ(0, bind(fd, &a.sa, len))
		TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(0, listen(fd, 8));
	EXPECT_NE(0, local_port(_metadata, fd));
	close(fd);
}

TEST_F(sock, accept4_flags)
{
	int lfd, cfd, sfd, sfd2, cfd2;
	__u16 port;
	char c;

	lfd = listener(_metadata, variant->proto, 8, &port);
	cfd = client(_metadata, port);
	sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, sfd) TH_LOG("accept4: %s", strerror(errno));
	EXPECT_TRUE(fcntl(sfd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(sfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_FALSE(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, read(sfd, &c, 1));
	EXPECT_EQ(EAGAIN, errno);

	cfd2 = client(_metadata, port);
	sfd2 = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd2);
	EXPECT_FALSE(fcntl(sfd2, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(sfd2, F_GETFD) & FD_CLOEXEC);
	close(sfd2);
	close(cfd2);
	close(sfd);
	close(cfd);
	close(lfd);
}

/* 4: non-blocking accept() with nothing pending, by either way to ask. */
TEST_F(sock, nonblock_accept)
{
	int lfd, lfd2, cfd, sfd;
	__u16 port;

	lfd = socket(family_, SOCK_STREAM | SOCK_NONBLOCK, variant->proto);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind_lo(lfd, 0));
	ASSERT_EQ(0, listen(lfd, 8));
	port = local_port(_metadata, lfd);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	cfd = client(_metadata, port);
	ASSERT_EQ(POLLIN, wait_poll(lfd, POLLIN, WAIT_MS));
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_FALSE(fcntl(sfd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(sfd);
	close(cfd);

	lfd2 = listener(_metadata, variant->proto, 8, &port);
	ASSERT_EQ(0, fcntl(lfd2, F_SETFL, fcntl(lfd2, F_GETFL) | O_NONBLOCK));
	EXPECT_EQ(-1, accept(lfd2, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(lfd2);
	close(lfd);
}

/* 5: a signal without SA_RESTART interrupts a blocking accept(). */
TEST_F(sock, accept_eintr)
{
	__u16 port;
	int lfd;

	lfd = listener(_metadata, variant->proto, 8, &port);
	handle(SIGALRM, 0);
	reset_signals();
	timer_ms(200);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, nr_signals());
	close(lfd);
}

/* With SA_RESTART, accept() resumes and takes the connection that follows. */
TEST_F(sock, accept_restart)
{
	struct connector c;
	__u16 port;
	int lfd, sfd;

	lfd = listener(_metadata, variant->proto, 8, &port);
	handle(SIGALRM, SA_RESTART);
	reset_signals();
	connector_start(_metadata, &c, port, 600);
	timer_ms(100);
	sfd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(1, nr_signals());
	ASSERT_EQ(0, thread_join(c.thread));
	EXPECT_EQ(0, c.err);
	close(sfd);
	close(c.fd);
	close(lfd);
}

/* SO_RCVTIMEO bounds accept(): EAGAIN, and a signal then gives EINTR. */
TEST_F(sock, accept_rcvtimeo)
{
	struct timeval tv = { 0, 300000 }, t0, t1;
	__u16 port;
	long ms;
	int lfd;

	lfd = listener(_metadata, variant->proto, 8, &port);
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	gettimeofday(&t0, NULL);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	/*
	 * It did wait.  Loose bounds: under a loaded TCG VM the wall clock
	 * and the kernel's timers drift apart (91 ms seen for 300 ms).
	 */
	EXPECT_LE(50, ms);
	EXPECT_GE(3000, ms);

	/* A finite timeout is not restarted, even with SA_RESTART. */
	tv.tv_sec = 2;
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	handle(SIGALRM, SA_RESTART);
	reset_signals();
	timer_ms(100);
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, nr_signals());
	close(lfd);
}

/* 6: poll() and select() on the listener. */
TEST_F(sock, poll_select)
{
	struct timeval tv = { 0, 0 };
	struct pollfd p;
	int lfd, cfd, sfd;
	__u16 port;
	fd_set r, w;

	lfd = listener(_metadata, variant->proto, 8, &port);
	p.fd = lfd;
	p.events = POLLIN | POLLOUT | POLLRDNORM | POLLPRI;
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(lfd, &r);
	FD_SET(lfd, &w);
	EXPECT_EQ(0, select(lfd + 1, &r, &w, NULL, &tv));

	cfd = client(_metadata, port);
	EXPECT_EQ(1, poll(&p, 1, WAIT_MS));
	EXPECT_EQ(POLLIN | POLLRDNORM, p.revents);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(lfd, &r);
	FD_SET(lfd, &w);
	tv.tv_sec = 0;
	EXPECT_EQ(1, select(lfd + 1, &r, &w, NULL, &tv));
	EXPECT_TRUE(FD_ISSET(lfd, &r));
	EXPECT_FALSE(FD_ISSET(lfd, &w));

	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, poll(&p, 1, 0));
	close(sfd);
	close(cfd);
	close(lfd);
}

/* poll() blocked on the listener wakes up when a client connects. */
TEST_F(sock, poll_wakeup)
{
	struct connector c;
	__u16 port;
	int lfd;

	lfd = listener(_metadata, variant->proto, 8, &port);
	connector_start(_metadata, &c, port, 200);
	EXPECT_EQ(POLLIN, wait_poll(lfd, POLLIN, WAIT_MS));
	ASSERT_EQ(0, thread_join(c.thread));
	EXPECT_EQ(0, c.err);
	close(c.fd);
	close(lfd);
}

/* epoll, level-triggered: reported until accepted. */
TEST_F(sock, epoll_lt)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	int lfd, cfd, sfd, ep, i;
	__u16 port;

	lfd = listener(_metadata, variant->proto, 8, &port);
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ev.data.fd = lfd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));

	cfd = client(_metadata, port);
	for (i = 0; i < 3; i++) {
		memset(out, 0, sizeof(out));
		ASSERT_EQ(1, epoll_wait(ep, out, 4, WAIT_MS));
		EXPECT_EQ(lfd, out[0].data.fd);
		EXPECT_EQ(EPOLLIN, out[0].events);
	}
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 100));
	close(sfd);
	close(cfd);
	close(ep);
	close(lfd);
}

/* epoll, edge-triggered: one report per new connection. */
TEST_F(sock, epoll_et)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out[4];
	int lfd, cfd, cfd2, ep;
	__u16 port;

	lfd = listener(_metadata, variant->proto, 8, &port);
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ev.data.fd = lfd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));

	cfd = client(_metadata, port);
	ASSERT_EQ(1, epoll_wait(ep, out, 4, WAIT_MS));
	EXPECT_EQ(EPOLLIN, out[0].events);
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 200));

	cfd2 = client(_metadata, port);
	ASSERT_EQ(1, epoll_wait(ep, out, 4, WAIT_MS));
	EXPECT_EQ(EPOLLIN, out[0].events);
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 200));
	EXPECT_EQ(2, wait_ack_backlog(_metadata, lfd, 2));
	close(cfd2);
	close(cfd);
	close(ep);
	close(lfd);
}

/* SIGIO (O_ASYNC) on the listener when a connection arrives. */
TEST_F(sock, sigio)
{
	sigset_t set;
	__u16 port;
	int lfd, cfd, i;

	lfd = listener(_metadata, variant->proto, 8, &port);
	handle(SIGIO, 0);
	reset_signals();
	ASSERT_EQ(0, fcntl(lfd, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(lfd, F_SETFL,
			   fcntl(lfd, F_GETFL) | O_ASYNC | O_NONBLOCK));
	/* Held back while connecting: it would interrupt connect(). */
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	cfd = client(_metadata, port);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (i = 0; i < WAIT_MS / 10 && !nr_signals(); i++)
		sleep_ms(10);
	EXPECT_LE(1, nr_signals()) TH_LOG("no SIGIO for a new connection");
	close(cfd);
	close(lfd);
}

/* 7: shutdown() wakes accept(); the listener is then closed to clients. */
TEST_F(sock, shutdown_wakes_accept)
{
	struct acceptor acc;
	socklen_t len;
	__u16 port;
	int lfd, cfd;
	union sa a;

	lfd = listener(_metadata, variant->proto, 8, &port);
	acceptor_start(_metadata, &acc, lfd);
	EXPECT_EQ(0, shutdown(lfd, SHUT_RDWR));
	ASSERT_EQ(0, thread_join(acc.thread))
		TH_LOG("accept() not woken by shutdown()");
	EXPECT_EQ(-1, acc.ret);
	EXPECT_EQ(EINVAL, acc.err);

	EXPECT_EQ(0, get_int(_metadata, lfd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(TCP_CLOSE, tcp_info(_metadata, lfd).tcpi_state);
	EXPECT_EQ(POLLOUT | POLLHUP,
		  wait_poll(lfd, POLLIN | POLLOUT | POLLRDHUP, 0));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Nobody answers on the port any more. */
	cfd = sock_new(_metadata, IPPROTO_TCP);
	len = sa_lo(&a, port);
	EXPECT_EQ(-1, connect(cfd, &a.sa, len));
	EXPECT_EQ(ECONNREFUSED, errno);
	close(cfd);
	/* A second shutdown() finds nothing connected. */
	EXPECT_EQ(-1, shutdown(lfd, SHUT_RDWR));
	EXPECT_EQ(ENOTCONN, errno);
	close(lfd);
}

/* SHUT_WR alone leaves a listener listening. */
TEST_F(sock, shutdown_wr)
{
	int lfd, cfd, sfd;
	__u16 port;

	lfd = listener(_metadata, variant->proto, 8, &port);
	EXPECT_EQ(0, shutdown(lfd, SHUT_WR));
	EXPECT_EQ(1, get_int(_metadata, lfd, SOL_SOCKET, SO_ACCEPTCONN));
	cfd = client(_metadata, port);
	sfd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	close(sfd);
	close(cfd);
	close(lfd);
}

/* After shutdown() a listener can listen() again, and serve. */
TEST_F(sock, shutdown_relisten)
{
	int lfd, cfd, sfd;
	__u16 port;

	lfd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, bind_lo(lfd, 0));
	port = local_port(_metadata, lfd);
	ASSERT_EQ(0, listen(lfd, 8));
	ASSERT_EQ(0, shutdown(lfd, SHUT_RDWR));
	ASSERT_EQ(0, listen(lfd, 8)) TH_LOG("listen: %s", strerror(errno));
	EXPECT_EQ(1, get_int(_metadata, lfd, SOL_SOCKET, SO_ACCEPTCONN));
	port = local_port(_metadata, lfd);
	ASSERT_NE(0, port);
	cfd = client(_metadata, port);
	sfd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	close(sfd);
	close(cfd);
	close(lfd);
}

/* 8: a second listen() changes the backlog; tcpi_sacked reports it. */
TEST_F(sock, listen_backlog)
{
	__u16 port;
	int lfd;

	lfd = listener(_metadata, variant->proto, 5, &port);
	EXPECT_EQ(5, tcp_info(_metadata, lfd).tcpi_sacked);
	ASSERT_EQ(0, listen(lfd, 20));
	EXPECT_EQ(20, tcp_info(_metadata, lfd).tcpi_sacked);
	EXPECT_EQ(port, local_port(_metadata, lfd));
	ASSERT_EQ(0, listen(lfd, 0));
	EXPECT_EQ(0, tcp_info(_metadata, lfd).tcpi_sacked);
	/* Clamped to net.core.somaxconn, as listen(2) does for everyone. */
	ASSERT_EQ(0, listen(lfd, -1));
	EXPECT_LT(0, tcp_info(_metadata, lfd).tcpi_sacked);
	close(lfd);
}

/* listen() on an unbound socket picks an ephemeral port and serves it. */
TEST_F(sock, listen_autobind)
{
	socklen_t len = sizeof(union sa);
	int lfd, cfd, sfd;
	__u16 port;
	union sa a;

	lfd = sock_new(_metadata, variant->proto);
	EXPECT_EQ(0, local_port(_metadata, lfd));
	ASSERT_EQ(0, listen(lfd, 8)) TH_LOG("listen: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(lfd, &a.sa, &len));
	EXPECT_TRUE(sa_is_any(&a));
	port = sa_port(&a);
	ASSERT_NE(0, port);
	cfd = client(_metadata, port);
	sfd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	close(sfd);
	close(cfd);
	close(lfd);
}

/* 10: the accepted socket is a plain, working TCP socket. */
TEST_F(sock, child_is_tcp)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	static char buf[65536], got[65536];
	int lfd, cfd, sfd, mfd, ep, pipefd[2];
	size_t done;
	off_t off;
	__u16 port;
	ssize_t n;
	int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7 + (i >> 8);
	lfd = listener(_metadata, variant->proto, 8, &port);
	cfd = client(_metadata, port);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);

	EXPECT_EQ(IPPROTO_TCP, get_int(_metadata, sfd, SOL_SOCKET,
				       SO_PROTOCOL));
	EXPECT_EQ(SOCK_STREAM, get_int(_metadata, sfd, SOL_SOCKET, SO_TYPE));
	EXPECT_EQ(0, get_int(_metadata, sfd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(TCP_ESTABLISHED, tcp_info(_metadata, sfd).tcpi_state);

	/* Both ways. */
	ASSERT_EQ(5, write(cfd, "hello", 5));
	memset(got, 0, 8);
	EXPECT_EQ(5, read_full(sfd, got, 5, WAIT_MS));
	EXPECT_EQ(0, memcmp(got, "hello", 5));
	ASSERT_EQ(6, send(sfd, "world!", 6, 0));
	EXPECT_EQ(6, read_full(cfd, got, 6, WAIT_MS));
	EXPECT_EQ(0, memcmp(got, "world!", 6));

	/* sendfile() from a memfd into the child. */
	mfd = memfd_create("synq_api", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(sizeof(buf), write(mfd, buf, sizeof(buf)));
	off = 0;
	for (done = 0; done < sizeof(buf); done += n) {
		n = sendfile(sfd, mfd, &off, sizeof(buf) - done);
		ASSERT_LT(0, n) TH_LOG("sendfile: %s", strerror(errno));
		ASSERT_EQ(n, read_full(cfd, got, n, WAIT_MS));
		EXPECT_EQ(0, memcmp(got, buf + done, n));
	}
	close(mfd);

	/* splice() from the child into a pipe. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(4096, write(cfd, buf, 4096));
	for (done = 0; done < 4096; done += n) {
		ASSERT_TRUE(wait_poll(sfd, POLLIN, WAIT_MS) & POLLIN);
		n = splice(sfd, NULL, pipefd[1], NULL, 4096 - done, 0);
		ASSERT_LT(0, n) TH_LOG("splice: %s", strerror(errno));
	}
	EXPECT_EQ(4096, read(pipefd[0], got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, buf, 4096));
	close(pipefd[0]);
	close(pipefd[1]);

	/* epoll on the child. */
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ev.data.fd = sfd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	ASSERT_EQ(1, write(cfd, "x", 1));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, WAIT_MS));
	EXPECT_EQ(sfd, out[0].data.fd);
	EXPECT_EQ(EPOLLIN, out[0].events);
	EXPECT_EQ(1, read(sfd, got, sizeof(got)));
	close(ep);

	/* The child outlives its listener. */
	close(lfd);
	ASSERT_EQ(3, write(sfd, "bye", 3));
	EXPECT_EQ(3, read_full(cfd, got, 3, WAIT_MS));
	ASSERT_EQ(2, write(cfd, "ok", 2));
	EXPECT_EQ(2, read_full(sfd, got, 2, WAIT_MS));

	/* close(): an orderly FIN. */
	close(sfd);
	EXPECT_EQ(0, read_full(cfd, got, 1, WAIT_MS));
	close(cfd);
}

/*
 * accept() right as the handshake completes: the child it returns is in
 * ESTABLISHED, never still in SYN_RECV.  The acceptor spins on a
 * non-blocking accept() to take each child the moment it is queued.
 */
#define RACE_ROUNDS	1000

struct race {
	int lfd;
	int bad;
	int bad_state;
	int accepted;
	int err;
};

static void *race_acceptor(void *arg)
{
	struct race *r = arg;
	struct tcp_info ti;
	struct timespec t0, t;
	socklen_t len;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (r->accepted < RACE_ROUNDS) {
		fd = accept(r->lfd, NULL, NULL);
		if (fd < 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (errno == EAGAIN && t.tv_sec - t0.tv_sec < 200)
				continue;
			r->err = errno;
			break;
		}
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &len) ||
		    ti.tcpi_state != TCP_ESTABLISHED) {
			r->bad_state = ti.tcpi_state;
			r->bad++;
		}
		r->accepted++;
		close(fd);
	}
	return NULL;
}

/* 1000 connects: minutes on a debug kernel under TCG. */
TEST_F_TIMEOUT(sock, accept_established, 240)
{
	static int cfd[RACE_ROUNDS];
	struct race r = { 0 };
	struct rlimit rl;
	pthread_t t;
	__u16 port;
	int i;

	/* The clients stay open: room for them and the children. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 2 * RACE_ROUNDS + 64) {
		rl.rlim_cur = 2 * RACE_ROUNDS + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
			TH_LOG("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	}
	r.lfd = listener(_metadata, variant->proto, RACE_ROUNDS, &port);
	ASSERT_EQ(0, fcntl(r.lfd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, pthread_create(&t, NULL, race_acceptor, &r));
	/* Kept open: a FIN would move the child on to CLOSE_WAIT. */
	for (i = 0; i < RACE_ROUNDS; i++)
		cfd[i] = client(_metadata, port);
	ASSERT_EQ(0, pthread_join(t, NULL));
	for (i = 0; i < RACE_ROUNDS; i++)
		close(cfd[i]);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(RACE_ROUNDS, r.accepted);
	EXPECT_EQ(0, r.bad)
		TH_LOG("%d of %d children accepted in state %d", r.bad,
		       RACE_ROUNDS, r.bad_state);
	close(r.lfd);
}

/* 11: who owns a port.  The listener's kind against TCP's. */
static int tcp_reuse(struct __test_metadata *_metadata)
{
	int fd = sock_new(_metadata, IPPROTO_TCP);

	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	return fd;
}

TEST_F(sock, port_listener_excludes_tcp)
{
	int lfd, tfd, tfd2;
	__u16 port;

	lfd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, set_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind_lo(lfd, 0));
	ASSERT_EQ(0, listen(lfd, 8));
	port = local_port(_metadata, lfd);

	tfd = tcp_reuse(_metadata);
	EXPECT_EQ(-1, bind_lo(tfd, port));
	EXPECT_EQ(EADDRINUSE, errno);
	close(tfd);
	tfd = sock_new(_metadata, IPPROTO_TCP);
	EXPECT_EQ(-1, bind_lo(tfd, port));
	EXPECT_EQ(EADDRINUSE, errno);
	close(tfd);

	/* Closed, the listener gives the port back. */
	close(lfd);
	tfd2 = tcp_reuse(_metadata);
	EXPECT_EQ(0, bind_lo(tfd2, port)) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(0, listen(tfd2, 8));
	close(tfd2);
}

TEST_F(sock, port_tcp_excludes_listener)
{
	int tfd, fd;
	__u16 port;

	tfd = tcp_reuse(_metadata);
	ASSERT_EQ(0, bind_lo(tfd, 0));
	ASSERT_EQ(0, listen(tfd, 8));
	port = local_port(_metadata, tfd);

	fd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(-1, bind_lo(fd, port));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);
	fd = sock_new(_metadata, variant->proto);
	EXPECT_EQ(-1, bind_lo(fd, port));
	EXPECT_EQ(EADDRINUSE, errno);

	close(tfd);
	EXPECT_EQ(0, bind_lo(fd, port)) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(0, listen(fd, 8));
	close(fd);
}

/*
 * Both bound with SO_REUSEADDR, neither listening: allowed; then the first
 * to listen() wins the port, answers it, and the other's listen() fails.
 */
TEST_F(sock, port_bound_reuseaddr)
{
	int fd, tfd, cfd, sfd;
	__u16 port;

	/* TCP listens first. */
	fd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind_lo(fd, 0));
	port = local_port(_metadata, fd);
	tfd = tcp_reuse(_metadata);
	EXPECT_EQ(0, bind_lo(tfd, port)) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(0, listen(tfd, 8)) TH_LOG("listen: %s", strerror(errno));
	EXPECT_EQ(-1, listen(fd, 8));
	EXPECT_EQ(EADDRINUSE, errno);
	EXPECT_EQ(0, get_int(_metadata, fd, SOL_SOCKET, SO_ACCEPTCONN));
	cfd = client(_metadata, port);
	sfd = accept(tfd, NULL, NULL);
	EXPECT_LE(0, sfd);
	close(sfd);
	close(cfd);
	close(tfd);
	close(fd);

	/* The listener's kind listens first. */
	fd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind_lo(fd, 0));
	port = local_port(_metadata, fd);
	tfd = tcp_reuse(_metadata);
	EXPECT_EQ(0, bind_lo(tfd, port)) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(0, listen(fd, 8)) TH_LOG("listen: %s", strerror(errno));
	EXPECT_EQ(-1, listen(tfd, 8));
	EXPECT_EQ(EADDRINUSE, errno);
	cfd = client(_metadata, port);
	sfd = accept(fd, NULL, NULL);
	EXPECT_LE(0, sfd);
	close(sfd);
	close(cfd);
	close(tfd);
	close(fd);

	/* Without SO_REUSEADDR on both, a bound socket holds the port. */
	fd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, bind_lo(fd, 0));
	port = local_port(_metadata, fd);
	tfd = tcp_reuse(_metadata);
	EXPECT_EQ(-1, bind_lo(tfd, port));
	EXPECT_EQ(EADDRINUSE, errno);
	close(tfd);
	close(fd);
}

/* 13: options of the listener that its children inherit. */
struct opt {
	const char *name;
	int level, opt, set, want, want_child;
};

/*
 * In the order set: IP_TOS sets sk_priority too, and sk_clone_lock()
 * resets the child's sk_priority to 0 (Linux 6.1).
 */
static const struct opt inherited[] = {
	{ "IP_TOS", SOL_IP, IP_TOS, 0x20, 0x20, 0x20 },
	{ "IP_TTL", SOL_IP, IP_TTL, 33, 33, 33 },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 65536, 131072, 131072 },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, 65536, 131072, 131072 },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 1, 1, 1 },
	{ "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY, 5, 5, 0 },
	{ "SO_OOBINLINE", SOL_SOCKET, SO_OOBINLINE, 1, 1, 1 },
	{ "SO_MARK", SOL_SOCKET, SO_MARK, 42, 42, 42 },
	{ "SO_RCVLOWAT", SOL_SOCKET, SO_RCVLOWAT, 10, 10, 10 },
	{ "TCP_NODELAY", SOL_TCP, TCP_NODELAY, 1, 1, 1 },
	{ "TCP_KEEPIDLE", SOL_TCP, TCP_KEEPIDLE, 77, 77, 77 },
	{ "TCP_KEEPINTVL", SOL_TCP, TCP_KEEPINTVL, 11, 11, 11 },
	{ "TCP_KEEPCNT", SOL_TCP, TCP_KEEPCNT, 3, 3, 3 },
	{ "TCP_USER_TIMEOUT", SOL_TCP, TCP_USER_TIMEOUT, 12345, 12345, 12345 },
};

static const struct linger linger_set = { 1, 7 };
static const struct timeval tmo_set = { 1, 500000 };

static void set_inherited(struct __test_metadata *_metadata, int fd)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(inherited); i++) {
		const struct opt *o = &inherited[i];

		if (set_int(fd, o->level, o->opt, o->set)) {
			TH_LOG("set %s: %s", o->name, strerror(errno));
			ASSERT_TRUE(0);
		}
	}
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger_set,
				sizeof(linger_set)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo_set,
				sizeof(tmo_set)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo_set,
				sizeof(tmo_set)));
	ASSERT_EQ(0, setsockopt(fd, SOL_TCP, TCP_CONGESTION, "reno", 4));
}

/* Every option on fd as set by set_inherited(); returns the failures. */
static int check_inherited(struct __test_metadata *_metadata, int fd,
			   bool child)
{
	const char *what = child ? "child" : "listener";
	struct timeval tv;
	struct linger l;
	char ca[16];
	socklen_t len;
	int i, v, bad = 0;

	for (i = 0; i < ARRAY_SIZE(inherited); i++) {
		const struct opt *o = &inherited[i];
		int want = child ? o->want_child : o->want;

		v = get_int(_metadata, fd, o->level, o->opt);
		if (v != want) {
			TH_LOG("%s: %s is %d, want %d", what, o->name, v,
			       want);
			bad++;
		}
	}
	len = sizeof(l);
	memset(&l, 0, sizeof(l));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len));
	if (l.l_onoff != linger_set.l_onoff ||
	    l.l_linger != linger_set.l_linger) {
		TH_LOG("%s: SO_LINGER is {%d, %d}", what, l.l_onoff,
		       l.l_linger);
		bad++;
	}
	len = sizeof(tv);
	memset(&tv, 0, sizeof(tv));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	if (tv.tv_sec != 1 || tv.tv_usec < 490000 || tv.tv_usec > 510000) {
		TH_LOG("%s: SO_RCVTIMEO is %ld.%06ld", what,
		       (long)tv.tv_sec, (long)tv.tv_usec);
		bad++;
	}
	len = sizeof(tv);
	memset(&tv, 0, sizeof(tv));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len));
	if (tv.tv_sec != 1 || tv.tv_usec < 490000 || tv.tv_usec > 510000) {
		TH_LOG("%s: SO_SNDTIMEO is %ld.%06ld", what,
		       (long)tv.tv_sec, (long)tv.tv_usec);
		bad++;
	}
	len = sizeof(ca);
	memset(ca, 0, sizeof(ca));
	ASSERT_EQ(0, getsockopt(fd, SOL_TCP, TCP_CONGESTION, ca, &len));
	if (strcmp(ca, "reno")) {
		TH_LOG("%s: TCP_CONGESTION is %s", what, ca);
		bad++;
	}
	return bad;
}

static void inherit(struct __test_metadata *_metadata, int proto,
		    bool after_listen)
{
	int lfd, cfd, sfd;
	__u16 port;

	lfd = sock_new(_metadata, proto);
	ASSERT_EQ(0, bind_lo(lfd, 0));
	if (!after_listen)
		set_inherited(_metadata, lfd);
	ASSERT_EQ(0, listen(lfd, 8));
	if (after_listen)
		set_inherited(_metadata, lfd);
	port = local_port(_metadata, lfd);
	EXPECT_EQ(0, check_inherited(_metadata, lfd, false));

	cfd = client(_metadata, port);
	EXPECT_EQ(1, wait_ack_backlog(_metadata, lfd, 1));
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, check_inherited(_metadata, sfd, true));
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_F(sock, inherit_opts)
{
	inherit(_metadata, variant->proto, false);
}

/* Set on the listener after listen(), before the client connects. */
TEST_F(sock, inherit_opts_after_listen)
{
	inherit(_metadata, variant->proto, true);
}

/* IP_TOS sets the listener's SO_PRIORITY (rt_tos2priority), as on TCP. */
TEST_F(sock, priority_after_tos)
{
	int fd = sock_new(_metadata, variant->proto);

	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_PRIORITY, 5));
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_TOS, IPTOS_LOWDELAY));
	/* TC_PRIO_INTERACTIVE */
	EXPECT_EQ(6, get_int(_metadata, fd, SOL_SOCKET, SO_PRIORITY));
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_PRIORITY, 2));
	EXPECT_EQ(2, get_int(_metadata, fd, SOL_SOCKET, SO_PRIORITY));
	EXPECT_EQ(IPTOS_LOWDELAY, get_int(_metadata, fd, SOL_IP, IP_TOS));
	close(fd);
}

/*
 * TCP_DEFER_ACCEPT: a connection is not offered to accept() before its
 * first data, and then comes with it.
 */
TEST_F(sock, defer_accept)
{
	int lfd, cfd, sfd;
	__u16 port;
	char buf[8];

	lfd = sock_new(_metadata, variant->proto);
	ASSERT_EQ(0, bind_lo(lfd, 0));
	ASSERT_EQ(0, set_int(lfd, SOL_TCP, TCP_DEFER_ACCEPT, 5));
	ASSERT_EQ(0, listen(lfd, 8));
	port = local_port(_metadata, lfd);
	EXPECT_LT(0, get_int(_metadata, lfd, SOL_TCP, TCP_DEFER_ACCEPT));

	cfd = client(_metadata, port);
	EXPECT_EQ(0, wait_poll(lfd, POLLIN, 500))
		TH_LOG("offered to accept() before any data");
	ASSERT_EQ(4, write(cfd, "data", 4));
	EXPECT_EQ(POLLIN, wait_poll(lfd, POLLIN, WAIT_MS));
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(4, read_full(sfd, buf, 4, WAIT_MS));
	EXPECT_EQ(0, memcmp(buf, "data", 4));
	close(sfd);
	close(cfd);
	close(lfd);
}

/* 15: closing a listener resets the connections it did not accept. */
TEST_F(sock, close_resets_unaccepted)
{
	int lfd, cfd[3], i;
	__u16 port;
	char c;

	lfd = listener(_metadata, variant->proto, 8, &port);
	for (i = 0; i < 3; i++)
		cfd[i] = client(_metadata, port);
	ASSERT_EQ(3, wait_ack_backlog(_metadata, lfd, 3));
	close(lfd);
	for (i = 0; i < 3; i++) {
		EXPECT_TRUE(wait_poll(cfd[i], POLLIN, WAIT_MS) & POLLERR);
		EXPECT_EQ(-1, recv(cfd[i], &c, 1, 0));
		EXPECT_EQ(ECONNRESET, errno);
		close(cfd[i]);
	}
}

/* ---- synq's own API ---- */

static struct synq_info synq_info(struct __test_metadata *_metadata, int fd)
{
	struct synq_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, getsockopt(fd, SOL_SYNQ, SYNQ_INFO, &info, &len))
		TH_LOG("SYNQ_INFO: %s", strerror(errno));
	ASSERT_EQ(sizeof(info), len);
	ASSERT_EQ(SYNQ_INFO_VERSION, info.version);
	return info;
}

static int read_sysctl(const char *path)
{
	char buf[32] = "";
	int fd, n;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* roundup_pow_of_two(max(8, min(backlog, max_syn_backlog)) + 1) */
static unsigned int table_entries(int backlog, int max_syn_backlog)
{
	int n = backlog < max_syn_backlog ? backlog : max_syn_backlog;
	unsigned int r = 1;

	if (n < 8)
		n = 8;
	while (r < n + 1)
		r <<= 1;
	return r;
}

/* 9: a synq socket carries no data: connect, send and receive refused. */
/* shutdown() with a bad @how: EINVAL, and the listener goes on serving. */
TEST_F(sock, shutdown_bad_how)
{
	static const int bad[] = { 3, 4, 6, -1, -2, 0x7fffffff };
	int lfd, cfd, sfd, i;
	__u16 port;

	lfd = listener(_metadata, variant->proto, 8, &port);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, shutdown(lfd, bad[i])) TH_LOG("how %d", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("how %d", bad[i]);
	}
	EXPECT_EQ(1, get_int(_metadata, lfd, SOL_SOCKET, SO_ACCEPTCONN));
	cfd = client(_metadata, port);
	ASSERT_EQ(POLLIN, wait_poll(lfd, POLLIN, WAIT_MS));
	sfd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, sfd) TH_LOG("accept: %s", strerror(errno));
	close(sfd);
	close(cfd);
	close(lfd);
}

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

/*
 * Level 283 is SOL_XDP: a listener answers it as a TCP socket does (synq's
 * own level was 283 once), errno for errno.
 */
TEST_F(sock, level_sol_xdp)
{
	int lfd, ref, err, ref_err;
	char buf[128];
	socklen_t len;
	__u16 port;

	ASSERT_NE(SOL_XDP, SOL_SYNQ);
	lfd = listener(_metadata, variant->proto, 8, &port);
	ref = sock_new(_metadata, IPPROTO_TCP);

	len = sizeof(buf);
	EXPECT_EQ(-1, getsockopt(lfd, SOL_XDP, 1, buf, &len));
	err = errno;
	len = sizeof(buf);
	EXPECT_EQ(-1, getsockopt(ref, SOL_XDP, 1, buf, &len));
	ref_err = errno;
	EXPECT_EQ(ref_err, err) TH_LOG("getsockopt: %s", strerror(err));

	EXPECT_EQ(-1, set_int(lfd, SOL_XDP, 2, 1));
	err = errno;
	EXPECT_EQ(-1, set_int(ref, SOL_XDP, 2, 1));
	ref_err = errno;
	EXPECT_EQ(ref_err, err) TH_LOG("setsockopt: %s", strerror(err));
	close(ref);
	close(lfd);
}

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/*
 * A ULP without clone() (espintcp) on a socket that then listens: Linux
 * refuses the listen() (the CVE-2023-0461 fix), or its children would all
 * share the ULP's context.  Kernels without espintcp skip.
 */
TEST_F(sock, ulp_before_listen)
{
	int fd = sock_new(_metadata, variant->proto);

	if (setsockopt(fd, SOL_TCP, TCP_ULP, "espintcp", sizeof("espintcp"))) {
		int e = errno;

		close(fd);
		if (e == ENOENT)
			SKIP(return, "no espintcp ULP in this kernel");
		ASSERT_EQ(0, e) TH_LOG("TCP_ULP espintcp: %s", strerror(e));
	}
	ASSERT_EQ(0, bind_lo(fd, 0));
	errno = 0;
	EXPECT_EQ(-1, listen(fd, 8));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * Listener options TCP implements and synq does not (issue 11): on a synq
 * socket, bound or listening, they fail loudly with EOPNOTSUPP instead of
 * being silently ignored (TCP_FASTOPEN: SYN data dropped, no cookie;
 * TCP_SAVE_SYN: an empty TCP_SAVED_SYN on children).  There is no TCP
 * oracle for the errno, since TCP supports them: the same calls on a TCP
 * socket must succeed, which shows the arguments are valid.  TCP_MD5SIG
 * works on both (synq_frontdoor.sh tests the signed handshakes).
 */
TEST(synq_unimplemented_opts)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_SYNQ };
	struct tcp_md5sig md5;
	unsigned int i, listening;
	int fd, r, e;

	memset(&md5, 0, sizeof(md5));
	addr_lo((struct sockaddr_in *)&md5.tcpm_addr, 0);
	md5.tcpm_keylen = 8;
	memcpy(md5.tcpm_key, "synqsynq", 8);

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		for (listening = 0; listening < 2; listening++) {
			const char *what = listening ? "listening" : "bound";
			int want = protos[i] == IPPROTO_TCP ? 0 : EOPNOTSUPP;

			fd = sock_new(_metadata, protos[i]);
			ASSERT_EQ(0, bind_lo(fd, 0));
			if (listening)
				ASSERT_EQ(0, listen(fd, 8));

			errno = 0;
			r = setsockopt(fd, SOL_TCP, TCP_MD5SIG, &md5,
				       sizeof(md5));
			e = r ? errno : 0;
			EXPECT_EQ(0, e) TH_LOG("proto %d %s: TCP_MD5SIG: %s",
					       protos[i], what, strerror(e));
			errno = 0;
			r = set_int(fd, SOL_TCP, TCP_FASTOPEN, 5);
			e = r ? errno : 0;
			EXPECT_EQ(want, e) TH_LOG("proto %d %s: TCP_FASTOPEN: %s",
						  protos[i], what, strerror(e));
			errno = 0;
			r = set_int(fd, SOL_TCP, TCP_SAVE_SYN, 1);
			e = r ? errno : 0;
			EXPECT_EQ(want, e) TH_LOG("proto %d %s: TCP_SAVE_SYN: %s",
						  protos[i], what, strerror(e));
			close(fd);
		}
	}
}

TEST(synq_no_data_ops)
{
	struct sockaddr_in a;
	struct msghdr msg;
	struct iovec iov;
	__u16 port;
	int fd, lfd;
	char c = 0;

	signal(SIGPIPE, SIG_IGN);
	lfd = listener(_metadata, IPPROTO_TCP, 8, &port);
	fd = sock_new(_metadata, IPPROTO_SYNQ);
	addr_lo(&a, port);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, tcp_info(_metadata, lfd).tcpi_unacked);
	close(lfd);

	ASSERT_EQ(0, listen(fd, 8));
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, send(fd, &c, 1, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, write(fd, &c, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	iov.iov_base = &c;
	iov.iov_len = 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	EXPECT_EQ(-1, sendmsg(fd, &msg, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(fd, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, read(fd, &c, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recvmsg(fd, &msg, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(1, get_int(_metadata, fd, SOL_SOCKET, SO_ACCEPTCONN));
	close(fd);
}

/* 12: SO_REUSEPORT is accepted as an option, refused at bind()/listen(). */
TEST(synq_reuseport)
{
	int fd, cfd, sfd;
	__u16 port;

	fd = sock_new(_metadata, IPPROTO_SYNQ);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(1, get_int(_metadata, fd, SOL_SOCKET, SO_REUSEPORT));
	EXPECT_EQ(-1, bind_lo(fd, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, local_port(_metadata, fd));
	/* Nor does listen() autobind it. */
	EXPECT_EQ(-1, listen(fd, 8));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, get_int(_metadata, fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, local_port(_metadata, fd));

	/* Cleared again, the socket works. */
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 0));
	ASSERT_EQ(0, bind_lo(fd, 0));
	ASSERT_EQ(0, listen(fd, 8));
	port = local_port(_metadata, fd);

	/* Set after bind(), a later listen() refuses it too. */
	close(fd);
	fd = sock_new(_metadata, IPPROTO_SYNQ);
	ASSERT_EQ(0, bind_lo(fd, 0));
	port = local_port(_metadata, fd);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(-1, listen(fd, 8));
	EXPECT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEPORT, 0));
	ASSERT_EQ(0, listen(fd, 8));
	cfd = client(_metadata, port);
	sfd = accept(fd, NULL, NULL);
	EXPECT_LE(0, sfd);
	close(sfd);
	close(cfd);
	close(fd);
}

/* 14: SYNQ_INFO's table geometry follows listen()'s backlog. */
TEST(synq_info_table)
{
	static const int backlogs[] = { 0, 1, 7, 8, 15, 16, 100, 511, 4096 };
	struct synq_info info;
	socklen_t len;
	int msb, fd, i;
	unsigned int nr;

	msb = read_sysctl("/proc/sys/net/synq/max_syn_backlog");
	ASSERT_LT(0, msb) TH_LOG("no net.synq.max_syn_backlog");

	fd = sock_new(_metadata, IPPROTO_SYNQ);
	info = synq_info(_metadata, fd);
	EXPECT_EQ(TCP_CLOSE, info.state);
	EXPECT_EQ(0, info.nr_table_entries);
	EXPECT_EQ(0, info.nr_buckets);
	EXPECT_EQ(0, info.max_ack_backlog);
	close(fd);

	for (i = 0; i < ARRAY_SIZE(backlogs); i++) {
		int b = backlogs[i];

		nr = table_entries(b, msb);
		fd = sock_new(_metadata, IPPROTO_SYNQ);
		ASSERT_EQ(0, bind_lo(fd, 0));
		ASSERT_EQ(0, listen(fd, b));
		info = synq_info(_metadata, fd);
		EXPECT_EQ(TCP_LISTEN, info.state);
		EXPECT_EQ(nr, info.nr_table_entries)
			TH_LOG("backlog %d, max_syn_backlog %d", b, msb);
		EXPECT_EQ(nr, 1U << info.max_qlen_log);
		EXPECT_EQ(nr / 2, info.nr_buckets);
		EXPECT_EQ(b, info.max_ack_backlog);
		EXPECT_EQ(0, info.qlen);
		EXPECT_EQ(0, info.qlen_young);
		EXPECT_EQ(0, info.ack_backlog);
		EXPECT_EQ(0, info.accepted);

		/* A short buffer gets the head of the structure. */
		len = sizeof(info.version);
		memset(&info, 0, sizeof(info));
		ASSERT_EQ(0, getsockopt(fd, SOL_SYNQ, SYNQ_INFO, &info, &len));
		EXPECT_EQ(sizeof(info.version), len);
		EXPECT_EQ(SYNQ_INFO_VERSION, info.version);
		EXPECT_EQ(0, info.state);
		close(fd);
	}
}

/* SYNQ_INFO: backlog changes, unknown options, after shutdown(). */
TEST(synq_info_listen)
{
	struct synq_info info;
	socklen_t len;
	int fd, v;

	fd = sock_new(_metadata, IPPROTO_SYNQ);
	ASSERT_EQ(0, listen(fd, 5));
	EXPECT_EQ(5, synq_info(_metadata, fd).max_ack_backlog);
	ASSERT_EQ(0, listen(fd, 50));
	info = synq_info(_metadata, fd);
	EXPECT_EQ(50, info.max_ack_backlog);
	EXPECT_EQ(TCP_LISTEN, info.state);
	EXPECT_NE(0, local_port(_metadata, fd));

	len = sizeof(v);
	EXPECT_EQ(-1, getsockopt(fd, SOL_SYNQ, 0x7fff, &v, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = -1;
	EXPECT_EQ(-1, getsockopt(fd, SOL_SYNQ, SYNQ_INFO, &info, &len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_SYNQ, SYNQ_INFO, &info,
				 sizeof(info)));

	ASSERT_EQ(0, shutdown(fd, SHUT_RDWR));
	info = synq_info(_metadata, fd);
	EXPECT_EQ(TCP_CLOSE, info.state);
	EXPECT_EQ(0, info.nr_table_entries);
	EXPECT_EQ(0, info.qlen);
	close(fd);
}

/* SYNQ_INFO counts the children waiting for accept(), and accept()s. */
TEST(synq_info_ack_backlog)
{
	struct synq_info info;
	int lfd, cfd[5], sfd, i;
	__u16 port;

	lfd = listener(_metadata, IPPROTO_SYNQ, 16, &port);
	for (i = 0; i < 5; i++)
		cfd[i] = client(_metadata, port);
	for (i = 0; i < WAIT_MS / 10; i++) {
		info = synq_info(_metadata, lfd);
		if (info.ack_backlog == 5 && !info.qlen)
			break;
		sleep_ms(10);
	}
	EXPECT_EQ(5, info.ack_backlog);
	EXPECT_EQ(0, info.qlen);
	EXPECT_EQ(0, info.qlen_young);
	EXPECT_EQ(16, info.max_ack_backlog);
	EXPECT_EQ(0, info.accepted);
	EXPECT_EQ(0, info.overflows);
	EXPECT_EQ(0, info.drops);
	EXPECT_EQ(5, tcp_info(_metadata, lfd).tcpi_unacked);

	for (i = 0; i < 2; i++) {
		sfd = accept(lfd, NULL, NULL);
		ASSERT_LE(0, sfd);
		close(sfd);
	}
	info = synq_info(_metadata, lfd);
	EXPECT_EQ(3, info.ack_backlog);
	EXPECT_EQ(2, info.accepted);
	for (i = 0; i < 3; i++) {
		sfd = accept(lfd, NULL, NULL);
		ASSERT_LE(0, sfd);
		close(sfd);
	}
	info = synq_info(_metadata, lfd);
	EXPECT_EQ(0, info.ack_backlog);
	EXPECT_EQ(5, info.accepted);
	for (i = 0; i < 5; i++)
		close(cfd[i]);
	close(lfd);
}

/* Option bounds: EINVAL, and the value in force is kept. */
TEST(synq_option_bounds)
{
	int fd = sock_new(_metadata, IPPROTO_SYNQ);

	EXPECT_EQ(0, set_int(fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES, 127));
	EXPECT_EQ(-1, set_int(fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES, 128));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_int(fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES, -2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(127, get_int(_metadata, fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES));
	EXPECT_EQ(0, set_int(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, 1 << 24));
	EXPECT_EQ(-1, set_int(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, (1 << 24) + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_int(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1 << 24, get_int(_metadata, fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG));
	close(fd);
}

/* In a child of ours, as uid/gid 65534 (no capabilities): 0 or a code. */
static int unprivileged_overrides(int backlog_limit, int retries_limit)
{
	int fd, v;
	socklen_t len = sizeof(v);

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 10;
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SYNQ);
	if (fd < 0)
		return 11;
	if (set_int(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, 1 << 20))
		return 12;
	if (getsockopt(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, &v, &len) ||
	    v != backlog_limit)
		return 13;
	if (set_int(fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES, 127))
		return 14;
	if (getsockopt(fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES, &v, &len) ||
	    v != retries_limit)
		return 15;
	/* Below the limits, a user's value stands. */
	if (set_int(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, 16) ||
	    getsockopt(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, &v, &len) || v != 16)
		return 16;
	close(fd);
	return 0;
}

/*
 * The overrides that cost kernel memory go no higher than the netns
 * sysctls for a user without CAP_NET_ADMIN; root's stand as set.
 */
TEST(synq_override_clamp)
{
	int backlog = read_sysctl("/proc/sys/net/synq/max_syn_backlog");
	int retries = read_sysctl("/proc/sys/net/synq/synack_retries");
	int fd, status;
	pid_t pid;

	ASSERT_LT(0, backlog);
	ASSERT_LT(0, retries);
	ASSERT_GT(1 << 20, backlog);
	ASSERT_GT(127, retries);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_overrides(backlog, retries));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d failed as uid 65534 (limits %d, %d)",
		       WEXITSTATUS(status), backlog, retries);

	fd = sock_new(_metadata, IPPROTO_SYNQ);
	EXPECT_EQ(0, set_int(fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG, 1 << 20));
	EXPECT_EQ(1 << 20, get_int(_metadata, fd, SOL_SYNQ, SYNQ_MAX_SYN_BACKLOG));
	EXPECT_EQ(0, set_int(fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES, 127));
	EXPECT_EQ(127, get_int(_metadata, fd, SOL_SYNQ, SYNQ_SYNACK_RETRIES));
	close(fd);
}

/* ---- what differs between kernels (module/compat.c), TCP the oracle ---- */

/*
 * The accepted socket's address, by every form of the call: since 6.6
 * do_accept() asks the listener's getname() for it, with the new socket.
 */
static void expect_peer(struct __test_metadata *_metadata, int cfd,
			const union sa *got, socklen_t len)
{
	socklen_t clen = sizeof(union sa);
	union sa c_local;

	ASSERT_EQ(0, getsockname(cfd, &c_local.sa, &clen));
	EXPECT_EQ(sa_len(), len);
	EXPECT_EQ(family_, got->sa.sa_family);
	EXPECT_TRUE(sa_eq(&c_local, got));
}

/* accept() with an address, of the child of @cfd after @cfd sent an RST. */
static int accept_reset_child(struct __test_metadata *_metadata, int lfd,
			      int cfd)
{
	struct linger lg = { 1, 0 };
	socklen_t len;
	union sa a, c;
	int sfd;
	char ch;

	ASSERT_EQ(0, setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	len = sizeof(c);
	ASSERT_EQ(0, getsockname(cfd, &c.sa, &len));
	close(cfd);
	sleep_ms(100);
	memset(&a, 0, sizeof(a));
	len = sizeof(a);
	sfd = accept(lfd, &a.sa, &len);
	ASSERT_LE(0, sfd) TH_LOG("accept(reset child): %s", strerror(errno));
	EXPECT_EQ(sa_len(), len);
	EXPECT_EQ(sa_port(&c), sa_port(&a));
	EXPECT_EQ(-1, read(sfd, &ch, 1));
	EXPECT_EQ(ECONNRESET, errno);
	return sfd;
}

/* Bytes [from, to) of @a are all 0xff: nothing was written there. */
static bool sa_untouched(const union sa *a, size_t from, size_t to)
{
	const unsigned char *p = (const unsigned char *)a;

	for (; from < to; from++)
		if (p[from] != 0xff)
			return false;
	return true;
}

TEST_F(sock, accept_addr_forms)
{
	int lfd, cfd[6], sfd[6], i;
	union sa a, l0, l1;
	socklen_t len;
	__u16 port;

	lfd = listener(_metadata, variant->proto, 16, &port);
	len = sizeof(l0);
	ASSERT_EQ(0, getsockname(lfd, &l0.sa, &len));
	for (i = 0; i < 6; i++)
		cfd[i] = client(_metadata, port);

	/* No address buffer. */
	sfd[0] = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd[0]) TH_LOG("accept(NULL): %s", strerror(errno));

	/* A full one. */
	memset(&a, 0, sizeof(a));
	len = sizeof(a);
	sfd[1] = accept(lfd, &a.sa, &len);
	ASSERT_LE(0, sfd[1]) TH_LOG("accept(addr): %s", strerror(errno));
	expect_peer(_metadata, cfd[1], &a, len);

	/* A short one: truncated, the full length reported. */
	memset(&a, 0xff, sizeof(a));
	len = 4;
	sfd[2] = accept(lfd, &a.sa, &len);
	ASSERT_LE(0, sfd[2]) TH_LOG("accept(short addr): %s", strerror(errno));
	EXPECT_EQ(sa_len(), len);
	EXPECT_EQ(family_, a.sa.sa_family);
	EXPECT_TRUE(sa_untouched(&a, 4, sizeof(a)));

	/* A zero length: nothing written but the length. */
	memset(&a, 0xff, sizeof(a));
	len = 0;
	sfd[3] = accept(lfd, &a.sa, &len);
	ASSERT_LE(0, sfd[3]) TH_LOG("accept(len 0): %s", strerror(errno));
	EXPECT_EQ(sa_len(), len);
	EXPECT_TRUE(sa_untouched(&a, 0, sizeof(a)));

	/* accept4() with an address and flags. */
	memset(&a, 0, sizeof(a));
	len = sizeof(a);
	sfd[4] = accept4(lfd, &a.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, sfd[4]) TH_LOG("accept4(addr): %s", strerror(errno));
	expect_peer(_metadata, cfd[4], &a, len);
	EXPECT_TRUE(fcntl(sfd[4], F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(sfd[4], F_GETFD) & FD_CLOEXEC);

	/* A child whose client has reset it while it was queued. */
	sfd[5] = accept_reset_child(_metadata, lfd, cfd[5]);
	cfd[5] = -1;

	/* The names of the children, and the listener's, are unchanged. */
	for (i = 0; i < 6; i++) {
		len = sizeof(a);
		EXPECT_EQ(0, getsockname(sfd[i], &a.sa, &len));
		EXPECT_EQ(port, sa_port(&a));
		EXPECT_EQ(family_, a.sa.sa_family);
		EXPECT_EQ(IPPROTO_TCP, get_int(_metadata, sfd[i], SOL_SOCKET,
					       SO_PROTOCOL));
	}
	len = sizeof(l1);
	ASSERT_EQ(0, getsockname(lfd, &l1.sa, &len));
	EXPECT_EQ(0, memcmp(&l0, &l1, sa_len()));
	for (i = 0; i < 6; i++) {
		close(sfd[i]);
		if (cfd[i] >= 0)
			close(cfd[i]);
	}
	close(lfd);
}

/* The window a child starts with, for a listener of @proto. */
struct child_window {
	int clamp;		/* TCP_WINDOW_CLAMP */
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 client_snd_wscale;
	__u32 rcv_ssthresh;
	__u32 rcv_space;
};

static struct child_window child_window(struct __test_metadata *_metadata,
					int proto, int rcvbuf, int clamp)
{
	struct child_window w;
	struct tcp_info si, ci;
	int lfd, cfd, sfd;
	__u16 port;

	lfd = sock_new(_metadata, proto);
	if (rcvbuf)
		ASSERT_EQ(0, set_int(lfd, SOL_SOCKET, SO_RCVBUF, rcvbuf));
	if (clamp)
		ASSERT_EQ(0, set_int(lfd, IPPROTO_TCP, TCP_WINDOW_CLAMP, clamp));
	ASSERT_EQ(0, bind_lo(lfd, 0));
	ASSERT_EQ(0, listen(lfd, 8));
	port = local_port(_metadata, lfd);
	cfd = client(_metadata, port);
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	si = tcp_info(_metadata, sfd);
	ci = tcp_info(_metadata, cfd);
	w.clamp = get_int(_metadata, sfd, IPPROTO_TCP, TCP_WINDOW_CLAMP);
	w.rcv_wscale = si.tcpi_rcv_wscale;
	w.snd_wscale = si.tcpi_snd_wscale;
	w.client_snd_wscale = ci.tcpi_snd_wscale;
	w.rcv_ssthresh = si.tcpi_rcv_ssthresh;
	w.rcv_space = si.tcpi_rcv_space;
	close(sfd);
	close(cfd);
	close(lfd);
	return w;
}

/*
 * The initial window and its scale (tcp_select_initial_window(): the
 * kernel's on 6.1, synq's copy where it is not exported) are TCP's.
 */
TEST(child_window_as_tcp)
{
	static const struct { int rcvbuf, clamp; } cases[] = {
		{ 0, 0 }, { 4096, 0 }, { 65536, 0 }, { 1 << 20, 0 },
		{ 0, 20000 }, { 0, 1 << 20 },
	};
	struct child_window t, q;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		t = child_window(_metadata, IPPROTO_TCP, cases[i].rcvbuf,
				 cases[i].clamp);
		q = child_window(_metadata, IPPROTO_SYNQ, cases[i].rcvbuf,
				 cases[i].clamp);
		TH_LOG("SO_RCVBUF %d TCP_WINDOW_CLAMP %d:", cases[i].rcvbuf,
		       cases[i].clamp);
		TH_LOG("  tcp:  clamp %d wscale %u/%u ssthresh %u space %u",
		       t.clamp, t.rcv_wscale, t.snd_wscale, t.rcv_ssthresh,
		       t.rcv_space);
		TH_LOG("  synq: clamp %d wscale %u/%u ssthresh %u space %u",
		       q.clamp, q.rcv_wscale, q.snd_wscale, q.rcv_ssthresh,
		       q.rcv_space);
		EXPECT_EQ(t.clamp, q.clamp);
		EXPECT_EQ(t.rcv_wscale, q.rcv_wscale);
		EXPECT_EQ(t.snd_wscale, q.snd_wscale);
		EXPECT_EQ(t.client_snd_wscale, q.client_snd_wscale);
		EXPECT_EQ(t.rcv_ssthresh, q.rcv_ssthresh);
		EXPECT_EQ(t.rcv_space, q.rcv_space);
	}
}

TEST_HARNESS_MAIN
