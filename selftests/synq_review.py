#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
synq_review.py: scenarios for the defects of the 6.1 review
(../shared/reviews/kernel-review.md), driven by synq_review.sh.  Each
prints one JSON object with what it measured; the shell test judges it.
The same scenario runs against a TCP listener (kind=tcp) as the oracle.

Usage:
  synq_review.py wscale KIND SRV_NS CLI_NS SRV_IP PORT
      The final ACK of a connection is held back (nft in CLI_NS) while
      the listener's SO_RCVBUF shrinks; then it is let through.  -> the
      window scale the client was told (its snd_wscale) and the one the
      accepted child uses (its rcv_wscale).
  nfqueue KIND SRV_NS CLI_NS SRV_IP PORT N
      An NFQUEUE consumer in SRV_NS gives every packet to PORT its verdict
      (NF_ACCEPT) from its own sendmsg(), so that the rest of LOCAL_IN runs
      in process context; N connects from CLI_NS meanwhile.  -> connects
      made, children accepted, verdicts given.
  memcg CGROUP N
      Joins cgroup v2 CGROUP, opens N synq listeners on 127.0.0.1.  ->
      memory.current before and after their listen(), and the SYN table
      size (buckets) of one.
"""

import ctypes
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

IPPROTO_SYNQ = 253
SYNQ_INFO = 1
SYNQ_MAX_SYN_BACKLOG = 5
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def sol_synq():
    """SOL_SYNQ from the uapi header: it is not Linux's to number."""
    top = os.environ.get("SYNQ_TOP",
                         os.path.join(os.path.dirname(__file__), ".."))
    with open(os.path.join(top, "module", "uapi", "synq.h")) as f:
        for line in f:
            w = line.split()
            if len(w) >= 3 and w[0] == "#define" and w[1] == "SOL_SYNQ":
                return int(w[2], 0)
    raise RuntimeError("SOL_SYNQ not in module/uapi/synq.h")


def setns(name):
    """This thread into network namespace NAME (ip netns)."""
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (name, os.strerror(e)))
    finally:
        os.close(fd)


def listener(kind, addr, port, backlog=64):
    proto = IPPROTO_SYNQ if kind == "synq" else socket.IPPROTO_TCP
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def tcp_info(s):
    """(state, snd_wscale, rcv_wscale) from TCP_INFO."""
    raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return raw[0], raw[6] & 0x0f, raw[6] >> 4


def nft(ns, script):
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"],
                   input=script.encode(), check=True)


def wscale(kind, srv_ns, cli_ns, srv_ip, port):
    setns(srv_ns)
    ls = listener(kind, srv_ip, port)
    nft(cli_ns, """table ip synq_review_ack {
        chain out {
            type filter hook output priority 0; policy accept;
            tcp dport %d tcp flags & (syn|ack|fin|rst) == ack drop
        }
    }""" % port)
    setns(cli_ns)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex((srv_ip, port))
    deadline = time.monotonic() + 10
    while tcp_info(c)[0] != 1 and time.monotonic() < deadline:  # ESTABLISHED
        time.sleep(0.01)
    state, told, _ = tcp_info(c)
    # The listener now asks for a tiny buffer: scale 0 if chosen now.
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    time.sleep(0.1)
    nft(cli_ns, "delete table ip synq_review_ack")
    # The SYN-ACK retransmission (1 s) makes the client ACK again.
    ls.settimeout(30)
    res = {"kind": kind, "client_state": state, "told": told}
    try:
        child, _ = ls.accept()
        res["child_rcv_wscale"] = tcp_info(child)[2]
        # Data both ways still flows at that scale.
        c.setblocking(True)
        c.settimeout(10)
        child.settimeout(10)
        blob = os.urandom(1 << 20)
        threading.Thread(target=c.sendall, args=(blob,), daemon=True).start()
        got = b""
        while len(got) < len(blob):
            chunk = child.recv(1 << 16)
            if not chunk:
                break
            got += chunk
        res["data_ok"] = got == blob
        child.close()
    except socket.timeout:
        res["child_rcv_wscale"] = None
    c.close()
    ls.close()
    return res


# --- NFQUEUE by hand: nfnetlink_queue over NETLINK_NETFILTER -------------

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def nla(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * ((4 - n % 4) % 4)


def nfq_msg(msg, queue, attrs, flags=NLM_F_REQUEST):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue))
    body += b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body),
                       (NFNL_SUBSYS_QUEUE << 8) | msg, flags, 0, 0) + body


def nfq_open(queue):
    q = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    q.bind((0, 0))
    q.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    for attrs in ([nla(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_BIND,
                                                 socket.htons(socket.AF_INET)))],
                  [nla(NFQA_CFG_PARAMS, struct.pack(">IB", 0xffff,
                                                    NFQNL_COPY_META))]):
        q.send(nfq_msg(NFQNL_MSG_CONFIG, queue, attrs,
                       NLM_F_REQUEST | NLM_F_ACK))
        data = q.recv(65536)
        kind, = struct.unpack_from("=H", data, 4)
        err, = struct.unpack_from("=i", data, 16)
        if kind != NLMSG_ERROR or err:
            raise OSError(-err, "nfqueue config: %s" % os.strerror(-err))
    return q


def nfq_serve(q, queue, stop, counts):
    """Accept every queued packet, from this thread's sendmsg()."""
    q.settimeout(0.2)
    while not stop.is_set():
        try:
            data = q.recv(1 << 16)
        except socket.timeout:
            continue
        off = 0
        while off + 16 <= len(data):
            n, kind = struct.unpack_from("=IH", data, off)
            if n < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20
                while a + 4 <= off + n:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype & 0x7fff == NFQA_PACKET_HDR:
                        pid, = struct.unpack_from(">I", data, a + 4)
                        q.send(nfq_msg(NFQNL_MSG_VERDICT, queue, [
                            nla(NFQA_VERDICT_HDR,
                                struct.pack(">II", NF_ACCEPT, pid))]))
                        counts["verdicts"] += 1
                    a += (alen + 3) & ~3
            off += (n + 3) & ~3


def nfqueue(kind, srv_ns, cli_ns, srv_ip, port, n):
    setns(srv_ns)
    nft(srv_ns, """table ip synq_review_q {
        chain in {
            type filter hook input priority -10; policy accept;
            tcp dport %d queue num 7
        }
    }""" % port)
    q = nfq_open(7)
    ls = listener(kind, srv_ip, port, backlog=n + 16)
    counts = {"verdicts": 0}
    stop = threading.Event()
    server = threading.Thread(target=nfq_serve, args=(q, 7, stop, counts))
    server.start()
    accepted = []

    def acceptor():
        ls.settimeout(15)
        try:
            while len(accepted) < n:
                c, _ = ls.accept()
                accepted.append(c)
        except socket.timeout:
            pass
    acc = threading.Thread(target=acceptor)
    acc.start()
    setns(cli_ns)
    made = 0
    for _ in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(10)
        try:
            c.connect((srv_ip, port))
            c.sendall(b"x")
            made += 1
        except OSError:
            pass
        c.close()
    acc.join()
    stop.set()
    server.join()
    q.close()
    for c in accepted:
        c.close()
    ls.close()
    return {"kind": kind, "connects": made, "accepted": len(accepted),
            "verdicts": counts["verdicts"]}


def memcg(cgroup, n):
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))

    def current():
        with open(os.path.join(cgroup, "memory.current")) as f:
            return int(f.read())
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SYNQ)
        # Root may go past net.synq.max_syn_backlog: tables of 32 KiB.
        s.setsockopt(sol_synq(), SYNQ_MAX_SYN_BACKLOG, 8192)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    before = current()
    for s in socks:
        s.listen(4096)
    after = current()
    raw = socks[0].getsockopt(sol_synq(), SYNQ_INFO, 256)
    nr_buckets, = struct.unpack_from("=I", raw, 112)
    for s in socks:
        s.close()
    return {"before": before, "after": after, "nr_buckets": nr_buckets}


def main(argv):
    cmd = argv[1]
    if cmd == "wscale":
        res = wscale(argv[2], argv[3], argv[4], argv[5], int(argv[6]))
    elif cmd == "nfqueue":
        res = nfqueue(argv[2], argv[3], argv[4], argv[5], int(argv[6]),
                      int(argv[7]))
    elif cmd == "memcg":
        res = memcg(argv[2], int(argv[3]))
    else:
        raise SystemExit("unknown command " + cmd)
    print(json.dumps(res))


if __name__ == "__main__":
    main(sys.argv)
