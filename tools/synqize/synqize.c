// SPDX-License-Identifier: GPL-2.0
/*
 * libsynqize.so: LD_PRELOAD library that turns a program's TCP listening
 * sockets into synq listeners (scripts/synqize run CMD...).
 *
 * At listen(fd, backlog) on an AF_INET or AF_INET6 SOCK_STREAM socket whose
 * protocol is IPPROTO_TCP and that does not listen yet, the library reads the socket's
 * bound address, its file flags and the options that differ from a fresh
 * TCP socket's, creates a synq socket with the same options, puts it in
 * place of fd with dup3() (which closes the TCP socket and frees its port),
 * binds it to the same address and calls the real listen().  Client sockets
 * never call listen() and stay TCP.  When something fails, fd stays (or
 * becomes again) a TCP socket, and SYNQIZE_DEBUG=1 says why on stderr.
 *
 * Environment: SYNQ_PROTO (synq's protocol number, default 253),
 * SYNQIZE_DEBUG=1 (report every decision on stderr).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "synq.h"		/* module/uapi/synq.h: IPPROTO_SYNQ */

#ifndef SO_INCOMING_CPU
#define SO_INCOMING_CPU		49
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY		60
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT	75
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND		78
#endif
#ifndef TCP_SAVE_SYN
#define TCP_SAVE_SYN		27
#endif

#define __printf(a, b)	__attribute__((__format__(__printf__, a, b)))

#define OPT_MAX		64	/* bytes of the largest option value kept */
#define PREFIX		"synqize: "

/* How an option is carried over. */
enum opt_kind {
	OPT_COPY,	/* set the value read, when it differs from a fresh socket's */
	OPT_HALF,	/* SO_RCVBUF/SO_SNDBUF: the kernel doubles what is set */
	OPT_TCP_ONLY,	/* set: synq would not honour it, stay TCP */
};

struct sockopt_desc {
	int level;
	int name;
	const char *str;
	enum opt_kind kind;
};

#define OPT(l, n, k)	{ l, n, #n, k }

/* The options a listener may carry, in the order they are applied. */
static const struct sockopt_desc sockopts[] = {
	OPT(SOL_SOCKET, SO_REUSEADDR, OPT_COPY),
	OPT(SOL_SOCKET, SO_KEEPALIVE, OPT_COPY),
	OPT(SOL_SOCKET, SO_RCVBUF, OPT_HALF),
	OPT(SOL_SOCKET, SO_SNDBUF, OPT_HALF),
	OPT(SOL_SOCKET, SO_BINDTODEVICE, OPT_COPY),
	OPT(SOL_SOCKET, SO_LINGER, OPT_COPY),
	OPT(SOL_SOCKET, SO_OOBINLINE, OPT_COPY),
	OPT(SOL_SOCKET, SO_DONTROUTE, OPT_COPY),
	OPT(SOL_SOCKET, SO_PRIORITY, OPT_COPY),
	OPT(SOL_SOCKET, SO_MARK, OPT_COPY),
	OPT(SOL_SOCKET, SO_RCVLOWAT, OPT_COPY),
	OPT(SOL_SOCKET, SO_RCVTIMEO, OPT_COPY),
	OPT(SOL_SOCKET, SO_SNDTIMEO, OPT_COPY),
	OPT(SOL_SOCKET, SO_TIMESTAMP, OPT_COPY),
	OPT(SOL_SOCKET, SO_TIMESTAMPNS, OPT_COPY),
	OPT(SOL_SOCKET, SO_RXQ_OVFL, OPT_COPY),
	OPT(SOL_SOCKET, SO_ZEROCOPY, OPT_COPY),
	OPT(SOL_SOCKET, SO_INCOMING_CPU, OPT_COPY),
	OPT(IPPROTO_IP, IP_FREEBIND, OPT_COPY),
	OPT(IPPROTO_IP, IP_TRANSPARENT, OPT_COPY),
	OPT(IPPROTO_IP, IP_TOS, OPT_COPY),
	OPT(IPPROTO_IP, IP_TTL, OPT_COPY),
	/* IPv6 sockets only (an IPv4 one refuses to read them): before bind() */
	OPT(IPPROTO_IPV6, IPV6_V6ONLY, OPT_COPY),
	OPT(IPPROTO_IPV6, IPV6_FREEBIND, OPT_COPY),
	OPT(IPPROTO_IPV6, IPV6_TRANSPARENT, OPT_COPY),
	OPT(IPPROTO_IPV6, IPV6_TCLASS, OPT_COPY),
	OPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_NODELAY, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_MAXSEG, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_DEFER_ACCEPT, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_KEEPIDLE, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_KEEPINTVL, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_KEEPCNT, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_USER_TIMEOUT, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_WINDOW_CLAMP, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_LINGER2, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_NOTSENT_LOWAT, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_CONGESTION, OPT_COPY),
	OPT(IPPROTO_TCP, TCP_FASTOPEN, OPT_TCP_ONLY),
	OPT(IPPROTO_TCP, TCP_SAVE_SYN, OPT_TCP_ONLY),
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_SOCKOPTS	ARRAY_SIZE(sockopts)

/* Room for a reason to stay TCP (a listen() at a time, per thread). */
static __thread char why_buf[64];

/* An option's value on the socket being converted. */
struct sockopt_val {
	bool set;		/* differs from a fresh TCP socket's */
	socklen_t len;
	unsigned char val[OPT_MAX];
};

/* What is read from the TCP socket, to rebuild it as synq (or as TCP). */
struct listener_state {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t alen;
	int fl;			/* F_GETFL */
	int fd_flags;		/* F_GETFD */
	int owner;		/* F_GETOWN, with O_ASYNC */
	struct sockopt_val opts[NR_SOCKOPTS];
};

static int (*real_listen)(int fd, int backlog);

static bool debug(void)
{
	const char *s = getenv("SYNQIZE_DEBUG");

	return s && *s && strcmp(s, "0");
}

static void __printf(1, 2) dbg(const char *fmt, ...)
{
	va_list ap;

	if (!debug())
		return;
	va_start(ap, fmt);
	fputs(PREFIX, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int synq_proto(void)
{
	const char *s = getenv("SYNQ_PROTO");
	char *end;
	long v;

	if (!s || !*s)
		return IPPROTO_SYNQ;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v <= 0 || v > 255) {
		dbg("SYNQ_PROTO=%s is not a protocol number, using %d", s,
		    IPPROTO_SYNQ);
		return IPPROTO_SYNQ;
	}
	return v;
}

static int getopt_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	*val = 0;
	return getsockopt(fd, level, name, val, &len);
}

/* 10.0.0.1:80, [::]:80 */
static const char *addr_str(const struct listener_state *st, char *buf,
			    size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (st->family == AF_INET6) {
		inet_ntop(AF_INET6, &st->addr.in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(st->addr.in6.sin6_port));
	} else {
		inet_ntop(AF_INET, &st->addr.in.sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(st->addr.in.sin_port));
	}
	return buf;
}

/* Is fd a TCP stream socket, IPv4 or IPv6, that does not listen yet? */
static bool convertible(int fd)
{
	int domain, type, proto, acceptconn;

	if (getopt_int(fd, SOL_SOCKET, SO_DOMAIN, &domain) ||
	    (domain != AF_INET && domain != AF_INET6))
		return false;
	if (getopt_int(fd, SOL_SOCKET, SO_TYPE, &type) || type != SOCK_STREAM)
		return false;
	if (getopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &proto) ||
	    proto != IPPROTO_TCP)
		return false;
	/* A second listen() only changes the backlog. */
	if (getopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &acceptconn) ||
	    acceptconn)
		return false;
	return true;
}

/*
 * Read fd's options; note those that differ from a fresh TCP socket's.
 * Returns false, with a reason in why, when fd must stay TCP.
 */
static bool read_options(int fd, struct listener_state *st, const char **why)
{
	unsigned char fresh[OPT_MAX];
	socklen_t flen;
	int ref, val;
	size_t i;

	if (getopt_int(fd, SOL_SOCKET, SO_REUSEPORT, &val) == 0 && val) {
		*why = "SO_REUSEPORT is set (synq refuses it)";
		return false;
	}
	flen = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &flen) == 0 &&
	    flen) {
		*why = "a socket filter is attached";
		return false;
	}

	ref = socket(st->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (ref < 0) {
		*why = "cannot create a TCP socket to compare with";
		return false;
	}
	for (i = 0; i < NR_SOCKOPTS; i++) {
		const struct sockopt_desc *d = &sockopts[i];
		struct sockopt_val *o = &st->opts[i];

		memset(o->val, 0, sizeof(o->val));
		memset(fresh, 0, sizeof(fresh));
		o->len = sizeof(o->val);
		flen = sizeof(fresh);
		o->set = false;
		if (getsockopt(fd, d->level, d->name, o->val, &o->len))
			continue;	/* not known to this kernel */
		if (getsockopt(ref, d->level, d->name, fresh, &flen))
			continue;
		if (o->len == flen && !memcmp(o->val, fresh, flen))
			continue;
		o->set = true;
		if (d->kind == OPT_TCP_ONLY) {
			snprintf(why_buf, sizeof(why_buf),
				 "%s is set (synq would not honour it)",
				 d->str);
			*why = why_buf;
			close(ref);
			return false;
		}
		if (d->kind == OPT_HALF && o->len == sizeof(int)) {
			memcpy(&val, o->val, sizeof(val));
			val /= 2;
			memcpy(o->val, &val, sizeof(val));
		}
	}
	close(ref);
	return true;
}

/* Give socket s the options read; false (and errno) if one is refused. */
static bool apply_options(int s, const struct listener_state *st,
			  const char **why)
{
	size_t i;

	for (i = 0; i < NR_SOCKOPTS; i++) {
		const struct sockopt_val *o = &st->opts[i];

		if (!o->set)
			continue;
		if (setsockopt(s, sockopts[i].level, sockopts[i].name, o->val,
			       o->len)) {
			*why = sockopts[i].str;
			return false;
		}
	}
	return true;
}

/* A new socket of protocol proto with fd's flags and options, or -1. */
static int new_socket(int proto, const struct listener_state *st,
		      const char **why)
{
	int type = SOCK_STREAM | SOCK_CLOEXEC;
	int s, err;

	if (st->fl & O_NONBLOCK)
		type |= SOCK_NONBLOCK;
	s = socket(st->family, type, proto);
	if (s < 0) {
		*why = "socket()";
		return -1;
	}
	if (st->fl & O_ASYNC) {
		if (fcntl(s, F_SETOWN, st->owner) ||
		    fcntl(s, F_SETFL, st->fl & (O_ASYNC | O_NONBLOCK))) {
			*why = "O_ASYNC";
			goto fail;
		}
	}
	if (!apply_options(s, st, why))
		goto fail;
	return s;
fail:
	err = errno;
	close(s);
	errno = err;
	return -1;
}

/* Put s in place of fd, with fd's FD_CLOEXEC. */
static int replace_fd(int s, int fd, const struct listener_state *st)
{
	int err, ret;

	ret = dup3(s, fd, (st->fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0);
	err = errno;
	close(s);
	errno = err;
	return ret < 0 ? -1 : 0;
}

static bool bound(const struct listener_state *st)
{
	if (st->family == AF_INET6)
		return st->addr.in6.sin6_port ||
		       !IN6_IS_ADDR_UNSPECIFIED(&st->addr.in6.sin6_addr);
	return st->addr.in.sin_port ||
	       st->addr.in.sin_addr.s_addr != htonl(INADDR_ANY);
}

static void warn_no_synq(int family, int proto)
{
	static bool warned;

	if (__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		return;
	fprintf(stderr,
		PREFIX "socket(%s, SOCK_STREAM, %d): %s: %s\n",
		family == AF_INET6 ? "AF_INET6" : "AF_INET", proto,
		strerror(errno),
		"listeners stay TCP (is the synq module loaded?)");
}

/*
 * Convert fd; 0 on success or when fd stays TCP untouched, -1 (errno set)
 * when fd was closed and could not be restored: listen() then fails.
 */
static int synqize(int fd)
{
	struct listener_state st;
	const char *why = NULL;
	int proto = synq_proto();
	char buf[INET6_ADDRSTRLEN + 8];
	int s, err;

	memset(&st, 0, sizeof(st));
	st.alen = sizeof(st.addr);
	if (getsockname(fd, &st.addr.sa, &st.alen) ||
	    (st.addr.sa.sa_family != AF_INET &&
	     st.addr.sa.sa_family != AF_INET6)) {
		dbg("fd %d: getsockname(): %s: stays TCP", fd, strerror(errno));
		return 0;
	}
	st.family = st.addr.sa.sa_family;
	addr_str(&st, buf, sizeof(buf));
	st.fl = fcntl(fd, F_GETFL);
	st.fd_flags = fcntl(fd, F_GETFD);
	if (st.fl < 0 || st.fd_flags < 0) {
		dbg("fd %d %s: fcntl(): %s: stays TCP", fd, buf, strerror(errno));
		return 0;
	}
	if (st.fl & O_ASYNC)
		st.owner = fcntl(fd, F_GETOWN);
	if (!read_options(fd, &st, &why)) {
		dbg("fd %d %s: %s: stays TCP", fd, buf, why);
		return 0;
	}

	s = new_socket(proto, &st, &why);
	if (s < 0) {
		if (!strcmp(why, "socket()") &&
		    (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT ||
		     errno == EPROTOTYPE || errno == EAFNOSUPPORT))
			warn_no_synq(st.family, proto);
		dbg("fd %d %s: synq socket: %s: %s: stays TCP", fd, buf, why,
		    strerror(errno));
		return 0;
	}
	if (replace_fd(s, fd, &st)) {
		/* dup3() fails before it closes anything. */
		dbg("fd %d %s: dup3(): %s: stays TCP", fd, buf, strerror(errno));
		return 0;
	}
	if (!bound(&st) || bind(fd, &st.addr.sa, st.alen) == 0) {
		dbg("fd %d %s: now a synq listener (protocol %d)", fd, buf,
		    proto);
		return 0;
	}

	/* The TCP socket is gone: make a new one, as it was. */
	err = errno;
	dbg("fd %d %s: bind() of the synq socket: %s: back to TCP", fd, buf,
	    strerror(err));
	s = new_socket(IPPROTO_TCP, &st, &why);
	if (s < 0 || replace_fd(s, fd, &st) ||
	    (bound(&st) && bind(fd, &st.addr.sa, st.alen))) {
		err = errno;
		dbg("fd %d %s: cannot restore the TCP socket: %s", fd, buf,
		    strerror(err));
		errno = err;
		return -1;
	}
	return 0;
}

int listen(int fd, int backlog)
{
	int err = errno;

	if (!real_listen) {
		real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
		if (!real_listen) {
			errno = EOPNOTSUPP;
			return -1;
		}
	}
	if (convertible(fd) && synqize(fd))
		return -1;
	errno = err;
	return real_listen(fd, backlog);
}
