#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-mem6.py: memory per pending IPv6 SYN, for scripts/bench-vm.sh's
"mem6" figure.  Not a test.

  bench-mem6.py PROTO SRV_NS FLD_NS SRV_ADDR PORT N

Listens in SRV_NS on [::]:PORT (PROTO tcp or synq, backlog 2N), sends N
SYNs from spoofed sources fd00:bb::/32 out of FLD_NS (raw IPv6), waits until
the pending count stops moving, and prints one line:

  pending bytes_per_syn cache active_before active_after objsize

bytes_per_syn is the growth of the cache's active objects (request_sock_TCPv6
or synq_entry6) times the bytes each takes in its slab (slab pages x 4096 /
objects per slab), divided by the pending count.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "selftests"))
import synq_lib as sl  # noqa: E402


def slab(cache):
    """(active_objs, bytes per object in its slab)."""
    sl.slab_active(cache)           # flushes the per-CPU slabs
    with open("/proc/slabinfo") as f:
        for line in f:
            w = line.split()
            if w and w[0] == cache:
                return int(w[1]), int(w[5]) * 4096 / int(w[4])
    return 0, 0.0


def pending(proto, lsock, port):
    if proto == "synq":
        return sl.synq_info(lsock)["qlen"]
    # SYN_RECV requests of the port, from /proc/net/tcp6 (state 03).
    n = 0
    with open("/proc/thread-self/net/tcp6") as f:
        for line in f.readlines()[1:]:
            w = line.split()
            if w[3] == "03" and int(w[1].split(":")[1], 16) == port:
                n += 1
    return n


def main():
    proto, srv_ns, fld_ns, srv_addr, port, n = sys.argv[1:7]
    port, n = int(port), int(n)
    cache = "synq_entry6" if proto == "synq" else "request_sock_TCPv6"
    srv, fld = sl.Netns(srv_ns), sl.Netns(fld_ns)
    srv.enter()
    a0, per = slab(cache)
    l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM,
                      sl.IPPROTO_SYNQ if proto == "synq" else 6)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("::", port))
    l.listen(2 * n)
    fld.enter()
    w = sl.raw_ip6_socket()
    srv.enter()
    for i in range(n):
        src = "fd00:bb:%x::%x" % (i >> 16, (i & 0xffff) + 1)
        seg = sl.tcp_segment(src, srv_addr, 20000 + i % 40000, port,
                             sl.rand32(), 0, sl.flags_num("S"),
                             opts=sl.linux_options(mss=1440, sack=True,
                                                   ts=(1, 0), ws=7))
        w.sendto(sl.ip6_header(src, srv_addr, len(seg)) + seg, (srv_addr, 0))
    q, last = 0, -1
    for _ in range(100):
        q = pending(proto, l, port)
        if q == last and q >= n * 99 // 100:
            break
        last = q
        time.sleep(0.3)
    a1, _ = slab(cache)
    print("%d %.1f %s %d %d %.1f" % (q, (a1 - a0) * per / (q or 1), cache,
                                     a0, a1, per))
    l.close()
    w.close()


if __name__ == "__main__":
    main()
