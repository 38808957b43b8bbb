// SPDX-License-Identifier: GPL-2.0
/*
 * synq_bench: the programs behind scripts/bench-vm.sh.
 *
 *   synq_bench server PROTO ADDR PORT THREADS BACKLOG
 *	listen with PROTO (tcp or synq) and accept in THREADS threads; each
 *	connection: read 1 byte, write it back, close.  THREADS 0: never
 *	accept (a listener that only holds half-open connections).  Prints
 *	"ready" once listening.  SIGUSR1: print SYNQ_INFO qlen (synq) and go
 *	on; SIGTERM: close the listener, print "close_us N", exit.
 *
 *   synq_bench client ADDR PORT CONNS SECS
 *	CONNS threads, each looping connect / write 1 byte / read 1 byte /
 *	close (SO_LINGER 0: no TIME_WAIT) for SECS seconds.
 *	Prints "conns N secs S rate R errors E".
 *
 *   synq_bench probe ADDR PORT THREADS SECS TIMEOUT_MS
 *	legitimate clients under a flood: THREADS threads each doing connect
 *	(non-blocking, TIMEOUT_MS) and a 1-byte exchange, one after the other.
 *	Prints attempts, successes, connect latency median and p99 (us), and
 *	the median time of connect + exchange.
 *
 *   synq_bench raw SYN|RST SRC_BASE COUNT DADDR DPORT PPS
 *	COUNT raw segments from COUNT distinct sources SRC_BASE+i (port 40000,
 *	ISN derived from i) to DADDR:DPORT, at most PPS a second (0: as fast
 *	as possible).  SYN: a Linux-like SYN (MSS, SACK, TS, WS).  RST: an RST
 *	far outside the window of the connection SYN i opened, so that a
 *	listener looks the entry up and ignores it.  Prints "sent N us T".
 *
 *   synq_bench count PORT
 *	TCP request socks (SYN_RECV) of local port PORT, counted with
 *	inet_diag in the current network namespace (synq's own pending SYNs
 *	are its qlen: server's SIGUSR1, or /proc/net/synq).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synq.h"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct sockaddr_in mkaddr(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		exit(2);
	}
	return sa;
}

static void rst_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* ---- server ---- */

static int listen_fd;
static volatile sig_atomic_t got_term, got_usr1;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else
		got_usr1 = 1;
}

static void *accept_loop(void *arg)
{
	char c;

	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		if (read(fd, &c, 1) == 1)
			(void)!write(fd, &c, 1);
		close(fd);
	}
}

static void print_qlen(void)
{
	struct synq_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(listen_fd, SOL_SYNQ, SYNQ_INFO, &info, &len) == 0)
		printf("qlen %u buckets %u\n", info.qlen, info.nr_buckets);
	else
		printf("qlen -1 buckets 0\n");
	fflush(stdout);
}

static int cmd_server(int argc, char **argv)
{
	struct sockaddr_in sa;
	int proto, threads, backlog, one = 1, i;
	struct sigaction act = { .sa_handler = on_signal };
	uint64_t t0;

	if (argc != 5)
		return 2;
	proto = strcmp(argv[0], "synq") ? IPPROTO_TCP : IPPROTO_SYNQ;
	sa = mkaddr(argv[1], argv[2]);
	threads = atoi(argv[3]);
	backlog = atoi(argv[4]);

	listen_fd = socket(AF_INET, SOCK_STREAM, proto);
	if (listen_fd < 0)
		die("socket");
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	if (listen(listen_fd, backlog))
		die("listen");
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGUSR1, &act, NULL);
	for (i = 0; i < threads; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, accept_loop, NULL))
			die("pthread_create");
		pthread_detach(th);
	}
	printf("ready\n");
	fflush(stdout);
	while (!got_term) {
		pause();
		if (got_usr1) {
			got_usr1 = 0;
			print_qlen();
		}
	}
	t0 = now_us();
	close(listen_fd);
	printf("close_us %llu\n", (unsigned long long)(now_us() - t0));
	fflush(stdout);
	_exit(0);
}

/* ---- client ---- */

static struct sockaddr_in target;
static uint64_t deadline;

struct worker {
	pthread_t th;
	unsigned long conns, errors;
	/* probe */
	unsigned long attempts;
	uint32_t *lat, *tot;
	size_t nlat, ntot, maxlat;
	int timeout_ms;
};

static void *client_loop(void *arg)
{
	struct worker *w = arg;
	char c = 'x';

	while (now_us() < deadline) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			w->errors++;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&target, sizeof(target)) ||
		    write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			w->errors++;
		else
			w->conns++;
		rst_close(fd);
	}
	return NULL;
}

static int cmd_client(int argc, char **argv)
{
	unsigned long conns = 0, errors = 0;
	struct worker *w;
	double secs;
	uint64_t t0;
	int n, i;

	if (argc != 4)
		return 2;
	target = mkaddr(argv[0], argv[1]);
	n = atoi(argv[2]);
	secs = atof(argv[3]);
	w = calloc(n, sizeof(*w));
	t0 = now_us();
	deadline = t0 + (uint64_t)(secs * 1e6);
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].th, NULL, client_loop, &w[i]))
			die("pthread_create");
	for (i = 0; i < n; i++) {
		pthread_join(w[i].th, NULL);
		conns += w[i].conns;
		errors += w[i].errors;
	}
	secs = (now_us() - t0) / 1e6;
	printf("conns %lu secs %.2f rate %.1f errors %lu\n", conns, secs,
	       conns / secs, errors);
	return 0;
}

/* ---- probe: legitimate clients under a flood ---- */

static int wait_fd(int fd, short ev, uint64_t until)
{
	struct pollfd p = { .fd = fd, .events = ev };
	uint64_t t = now_us();

	if (t >= until)
		return 0;
	return poll(&p, 1, (until - t + 999) / 1000) == 1;
}

static void *probe_loop(void *arg)
{
	struct worker *w = arg;
	char c = 'x';

	while (now_us() < deadline) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		uint64_t t0 = now_us(), until = t0 + w->timeout_ms * 1000ULL;
		int err = 0;
		socklen_t len = sizeof(err);
		bool ok = false;

		if (fd < 0)
			continue;
		w->attempts++;
		if (connect(fd, (struct sockaddr *)&target, sizeof(target)) &&
		    errno != EINPROGRESS)
			goto out;
		if (!wait_fd(fd, POLLOUT, until) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
			goto out;
		if (w->nlat < w->maxlat)
			w->lat[w->nlat++] = now_us() - t0;
		if (write(fd, &c, 1) != 1 || !wait_fd(fd, POLLIN, until) ||
		    read(fd, &c, 1) != 1)
			goto out;
		ok = true;
		if (w->ntot < w->maxlat)
			w->tot[w->ntot++] = now_us() - t0;
out:
		if (ok)
			w->conns++;
		else
			w->errors++;
		rst_close(fd);
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_probe(int argc, char **argv)
{
	unsigned long ok = 0, attempts = 0;
	uint32_t *all, *tot;
	size_t nall = 0, ntot = 0;
	struct worker *w;
	double secs;
	int n, i;

	if (argc != 5)
		return 2;
	target = mkaddr(argv[0], argv[1]);
	n = atoi(argv[2]);
	secs = atof(argv[3]);
	w = calloc(n, sizeof(*w));
	deadline = now_us() + (uint64_t)(secs * 1e6);
	for (i = 0; i < n; i++) {
		w[i].timeout_ms = atoi(argv[4]);
		w[i].maxlat = 1 << 20;
		w[i].lat = malloc(w[i].maxlat * sizeof(uint32_t));
		w[i].tot = malloc(w[i].maxlat * sizeof(uint32_t));
		if (pthread_create(&w[i].th, NULL, probe_loop, &w[i]))
			die("pthread_create");
	}
	all = malloc((size_t)n * (1 << 20) * sizeof(uint32_t));
	tot = malloc((size_t)n * (1 << 20) * sizeof(uint32_t));
	for (i = 0; i < n; i++) {
		pthread_join(w[i].th, NULL);
		ok += w[i].conns;
		attempts += w[i].attempts;
		memcpy(all + nall, w[i].lat, w[i].nlat * sizeof(uint32_t));
		nall += w[i].nlat;
		memcpy(tot + ntot, w[i].tot, w[i].ntot * sizeof(uint32_t));
		ntot += w[i].ntot;
	}
	qsort(all, nall, sizeof(*all), cmp_u32);
	qsort(tot, ntot, sizeof(*tot), cmp_u32);
	printf("attempts %lu ok %lu success %.1f median_us %u p99_us %u exchange_median_us %u\n",
	       attempts, ok, attempts ? 100.0 * ok / attempts : 0.0,
	       nall ? all[nall / 2] : 0, nall ? all[nall * 99 / 100] : 0,
	       ntot ? tot[ntot / 2] : 0);
	return 0;
}

/* ---- raw SYNs and RSTs from many sources ---- */

/* One's complement sum, in network byte order, read byte by byte. */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

#define RAW_BATCH 64
#define RAW_LEN (20 + 40)

static size_t build_seg(uint8_t *buf, int syn, uint32_t saddr, uint32_t daddr,
			uint16_t dport, uint32_t i)
{
	struct iphdr *ip = (struct iphdr *)buf;
	struct tcphdr *th = (struct tcphdr *)(buf + 20);
	uint8_t *opt = buf + 40;
	uint32_t isn = i * 2654435761u + 12345, sum;
	size_t tcplen = syn ? 40 : 20;
	struct { uint32_t s, d; uint8_t z, p; uint16_t l; } ph;

	memset(buf, 0, RAW_LEN);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(20 + tcplen);
	ip->id = htons(i);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = saddr;
	ip->daddr = daddr;
	th->source = htons(40000);
	th->dest = dport;
	th->doff = tcplen / 4;
	if (syn) {
		th->seq = htonl(isn);
		th->syn = 1;
		th->window = htons(64240);
		/* MSS 1460, SACK_PERM, TS, NOP, WS 7: what Linux sends. */
		memcpy(opt, "\x02\x04\x05\xb4\x04\x02\x08\x0a", 8);
		opt[8] = i >> 24; opt[9] = i >> 16; opt[10] = i >> 8; opt[11] = i;
		memcpy(opt + 16, "\x01\x03\x03\x07", 4);
	} else {
		th->seq = htonl(isn + 1 + 0x80000000u);
		th->rst = 1;
	}
	ph.s = saddr;
	ph.d = daddr;
	ph.z = 0;
	ph.p = IPPROTO_TCP;
	ph.l = htons(tcplen);
	sum = csum_add(0, &ph, sizeof(ph));
	sum = csum_add(sum, th, tcplen);
	th->check = csum_fold(sum);
	return 20 + tcplen;
}

static int cmd_raw(int argc, char **argv)
{
	static uint8_t bufs[RAW_BATCH][RAW_LEN];
	struct mmsghdr msgs[RAW_BATCH];
	struct iovec iov[RAW_BATCH];
	struct sockaddr_in dst;
	uint32_t base, daddr, count, i = 0;
	uint64_t t0, pps;
	int fd, one = 1, syn;
	uint16_t dport;
	unsigned long sent = 0;

	if (argc != 6)
		return 2;
	syn = !strcmp(argv[0], "SYN");
	base = ntohl(inet_addr(argv[1]));
	count = strtoul(argv[2], NULL, 0);
	daddr = inet_addr(argv[3]);
	dport = htons(atoi(argv[4]));
	pps = strtoull(argv[5], NULL, 0);
	dst = mkaddr(argv[3], argv[4]);

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("raw socket");
	setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	memset(msgs, 0, sizeof(msgs));
	t0 = now_us();
	while (i < count) {
		int n = 0, r, k;

		while (n < RAW_BATCH && i + n < count) {
			iov[n].iov_base = bufs[n];
			iov[n].iov_len = build_seg(bufs[n], syn, htonl(base + i + n),
						   daddr, dport, i + n);
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			msgs[n].msg_hdr.msg_name = &dst;
			msgs[n].msg_hdr.msg_namelen = sizeof(dst);
			n++;
		}
		for (k = 0; k < n; k += r) {
			r = sendmmsg(fd, msgs + k, n - k, 0);
			if (r < 0) {
				if (errno == ENOBUFS || errno == EAGAIN) {
					usleep(100);
					r = 0;
					continue;
				}
				die("sendmmsg");
			}
		}
		i += n;
		sent += n;
		if (pps) {
			uint64_t due = t0 + sent * 1000000ULL / pps, t = now_us();

			if (due > t)
				usleep(due - t);
		}
	}
	printf("sent %lu us %llu\n", sent, (unsigned long long)(now_us() - t0));
	return 0;
}

/* ---- count: TCP request socks of a port, by inet_diag ---- */

static int cmd_count(int argc, char **argv)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1 << TCP_SYN_RECV },
	};
	static char buf[1 << 16];
	unsigned long n = 0;
	uint16_t port;
	int fd;

	if (argc != 1)
		return 2;
	port = htons(atoi(argv[0]));
	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
	if (fd < 0 || send(fd, &req, sizeof(req), 0) < 0)
		die("sock_diag");
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			die("recv");
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE) {
				printf("%lu\n", n);
				return 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				die("sock_diag error");
			if (m->id.idiag_sport == port)
				n++;
		}
	}
}

int main(int argc, char **argv)
{
	int rc = 2;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2) {
		if (!strcmp(argv[1], "server"))
			rc = cmd_server(argc - 2, argv + 2);
		else if (!strcmp(argv[1], "client"))
			rc = cmd_client(argc - 2, argv + 2);
		else if (!strcmp(argv[1], "probe"))
			rc = cmd_probe(argc - 2, argv + 2);
		else if (!strcmp(argv[1], "raw"))
			rc = cmd_raw(argc - 2, argv + 2);
		else if (!strcmp(argv[1], "count"))
			rc = cmd_count(argc - 2, argv + 2);
	}
	if (rc == 2)
		fprintf(stderr, "usage: see the header of tools/bench/synq_bench.c\n");
	return rc;
}
