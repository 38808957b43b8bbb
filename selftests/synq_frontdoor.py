#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
synq_frontdoor.py: one listener, TCP's or synq's, and what the rest of the
kernel does to the connections it is offered (selftests/synq_frontdoor.sh).

Every scenario is run once with --kind tcp (Linux's listener: the oracle)
and once with --kind synq, on the same set-up, and prints one line,
"outcome: ...", made only of what can be compared exactly (connect results,
errno names, counter deltas, reply flags); the shell test compares it with
the outcome Linux's listener gives.  Details go to "# " lines.

The listener is made in the server namespace (--srv-ns; setns for the
socket() call only), bound to 0.0.0.0:PORT; clients are made in a client
namespace (--cli-ns), ordinary sockets or a raw socket (the client kernel
must be kept from resetting the raw flows' SYN-ACKs: nft drops RSTs from
source ports 40000-49999 there).

Usage: synq_frontdoor.py --kind tcp|synq --srv-ns NS --cli-ns NS
       --srv-ip IP --port P SCENARIO [ARGS]
       synq_frontdoor.py serve
           the same, one scenario a line "ID ARG..." on stdin; answers
           "ID<TAB>LINE" for each line of its output, then "ID<TAB>end"

  connect --src IP[,IP...] [--backlog N] [--timeout S]
          [--minttl N --minttl-when before|after] [--filter-drop IP]
          [--cgroup DIR --cg-drop IP]
      one connect() per source address ->
      "outcome: IP=connected/accepted IP=timeout/none ..."
      --filter-drop: a classic BPF socket filter (SO_ATTACH_FILTER) on the
      listener that drops segments from IP;  --cgroup: the listener is
      created in cgroup v2 DIR, then a BPF_PROG_TYPE_CGROUP_SKB program
      (raw bpf(2)) dropping segments from --cg-drop is attached to DIR as
      BPF_CGROUP_INET_INGRESS; the clients are made outside DIR.
  badack --mode paws|oow
      raw handshake: SYN (TSval 1000000), then a final ACK with the right
      ack number and TSval 1 (paws) or seq ISN+1+200000 (oow) ->
      "outcome: reply=FLAGS accept=ERRNO sleeps=N fast=yes|no queued=N
      good=..."
      (reply: what came back within 0.5 s other than SYN-ACK
      retransmits, as FLAGS/SEQ-ISS/ACK-ISN, "none" if nothing; accept: a non-blocking accept();
      three times, "accept=EAGAIN" if each said EAGAIN; sleeps: the
      voluntary context switches in them (getrusage); fast: the
      quickest returned within 50 ms; queued: the accept queue after it;
      good: a valid ACK sent next: "accepted" if it made a child).
  ss --backlog N --clients N
      N clients connect, none is accepted; -> the lines of `ss -Hlnt` and
      `ss -Hlnt sport = :PORT` for the port, as "ss-all: ..." and
      "ss-port: ..." lines, then "outcome: ..." of their Recv-Q/Send-Q.
  overflow
      backlog 1, two clients fill the accept queue, a third SYN (raw) ->
      "outcome: reply=FLAGS ListenOverflows=+N ListenDrops=+N"
  cookies --syns N
      with net.ipv4.tcp_syncookies=2 and net.synq.syncookies=2 in the
      server namespace (set back after): N raw SYNs, then a final ACK for one of
      them -> "outcome: synacks=N SyncookiesSent=+N accepted=yes|no
      SyncookiesRecv=+N"
"""

import argparse
import contextlib
import ctypes
import errno
import io
import os
import resource
import select
import shlex
import socket
import struct
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synq_lib  # noqa: E402  (synq's uapi, segments, namespaces)
from synq_lib import ACK, SYN  # noqa: E402

IP_MINTTL = 21
TCP_INFO_FMT = "=8B24I"         # struct tcp_info up to tcpi_... (enough)


def log(msg):
    print("# " + msg, flush=True)


def errname(e):
    return errno.errorcode.get(e, str(e))


class Env:
    def __init__(self, a):
        self.a = a
        self.proto = socket.IPPROTO_TCP if a.kind == "tcp" \
            else synq_lib.IPPROTO_SYNQ

    # --- the listener ----------------------------------------------------

    def listener(self, backlog, before=None, after=None):
        """A listener on 0.0.0.0:port in the server namespace; before(s)
        runs before listen(), after(s) after; they may raise OSError."""
        def make():
            return socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                                 self.proto)
        s = synq_lib.in_netns(self.a.srv_ns, make)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", self.a.port))
        if before:
            before(s)
        s.listen(backlog)
        if after:
            after(s)
        return s

    def queued(self, lsk):
        """Children on the accept queue: TCP_INFO's tcpi_unacked (a
        listener's sk_ack_backlog), and for synq the larger of that and
        SYNQ_INFO's ack_backlog."""
        raw = lsk.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        n = struct.unpack_from("=8B24I", raw)[8 + 4]    # tcpi_unacked
        if self.a.kind == "synq":
            n = max(n, synq_lib.synq_info(lsk)["ack_backlog"])
        return n

    def netstat(self):
        """TcpExt counters of the server namespace."""
        def read():
            with open("/proc/thread-self/net/netstat") as f:
                return f.read().splitlines()
        lines = synq_lib.in_netns(self.a.srv_ns, read)
        out = {}
        for i in range(0, len(lines) - 1, 2):
            names = lines[i].split()
            vals = lines[i + 1].split()
            if names[0] == "TcpExt:":
                out = {n: int(v) for n, v in zip(names[1:], vals[1:])}
        return out

    # --- clients -------------------------------------------------------

    def client(self, src, timeout, dst=None, md5key=None):
        """connect() from src (with TCP_MD5SIG md5key for the server, if
        given); -> "connected", "timeout", "refused"... and the socket (or
        None)."""
        c = synq_lib.in_netns(self.a.cli_ns, lambda: socket.socket(
            socket.AF_INET, socket.SOCK_STREAM))
        c.bind((src, 0))
        if md5key is not None:
            synq_lib.set_md5sig(c, dst or self.a.srv_ip, md5key)
        c.settimeout(timeout)
        try:
            c.connect((dst or self.a.srv_ip, self.a.port))
        except socket.timeout:
            c.close()
            return "timeout", None
        except OSError as e:
            c.close()
            return errname(e.errno), None
        return "connected", c


def try_accept(lsk, timeout):
    lsk.settimeout(timeout)
    try:
        c, _ = lsk.accept()
        return c
    except (socket.timeout, BlockingIOError):
        return None


# --- classic BPF and cgroup BPF ---------------------------------------------

SKF_NET_OFF = -0x100000


def ip_u32(ip):
    return struct.unpack("!I", socket.inet_aton(ip))[0]


def cbpf_drop_source(ip):
    """A socket filter: drop what comes from ip, keep the rest."""
    return [(0x20, 0, 0, (SKF_NET_OFF + 12) & 0xffffffff),  # ld [net+12]
            (0x15, 0, 1, ip_u32(ip)),           # jeq ip, else keep
            (0x06, 0, 0, 0),                    # ret 0: drop
            (0x06, 0, 0, 0xffffffff)]           # ret: all of it


NR_BPF = 321                    # x86_64
BPF_PROG_LOAD, BPF_PROG_ATTACH, BPF_PROG_DETACH = 5, 8, 9
BPF_PROG_TYPE_CGROUP_SKB = 8
BPF_CGROUP_INET_INGRESS = 0
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = _libc.syscall(ctypes.c_long(NR_BPF), ctypes.c_long(cmd), buf,
                      ctypes.c_uint(128))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, "bpf(%d): %s" % (cmd, os.strerror(e)))
    return r


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("=BBhi", code, (src << 4) | dst, off, imm)


def cg_skb_drop_source(ip):
    """BPF_PROG_TYPE_CGROUP_SKB: return 0 (drop) for IPv4 packets from ip,
    1 for the rest.  Ingress programs see the packet from its IP header
    (direct packet access: __sk_buff data at 76, data_end at 80)."""
    imm = struct.unpack("=i", socket.inet_aton(ip))[0]  # as loaded (LE)
    prog = [insn(0x61, 2, 1, 76),        # r2 = skb->data
            insn(0x61, 3, 1, 80),        # r3 = skb->data_end
            insn(0xbf, 4, 2),            # r4 = r2
            insn(0x07, 4, 0, 0, 20),     # r4 += 20
            insn(0xb7, 0, 0, 0, 1),      # r0 = 1 (keep)
            insn(0x2d, 4, 3, 3),         # if r4 > r3 goto exit
            insn(0x61, 5, 2, 12),        # r5 = *(u32 *)(r2 + 12): saddr
            insn(0x56, 5, 0, 1, imm),    # if w5 != ip goto exit
            insn(0xb7, 0, 0, 0, 0),      # r0 = 0 (drop)
            insn(0x95)]                  # exit
    code = b"".join(prog)
    cbuf = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(b"GPL")
    logbuf = ctypes.create_string_buffer(65536)
    attr = struct.pack("=IIQQIIQ", BPF_PROG_TYPE_CGROUP_SKB, len(prog),
                       ctypes.addressof(cbuf), ctypes.addressof(lic),
                       1, len(logbuf), ctypes.addressof(logbuf))
    try:
        return bpf(BPF_PROG_LOAD, attr)
    except OSError:
        log("verifier: " + logbuf.value.decode(errors="replace"))
        raise


def cgroup_enter(path):
    with open(os.path.join(path, "cgroup.procs"), "w") as f:
        f.write("%d\n" % os.getpid())


# --- raw TCP peer ------------------------------------------------------------

class Raw:
    """A raw TCP socket in the client namespace, one flow at a time."""

    def __init__(self, env, src):
        self.env = env
        self.src = src
        self.dst = env.a.srv_ip
        self.sock = synq_lib.in_netns(env.a.cli_ns,
                                      synq_lib.raw_tcp_socket)

    def send(self, sport, seq, ack, flags, ts=None, mss=None, sack=False,
             md5key=None, payload=b""):
        opts = synq_lib.linux_options(mss=mss, ts=ts, sack=sack)
        seg = synq_lib.tcp_segment(self.src, self.dst, sport,
                                   self.env.a.port, seq, ack, flags,
                                   opts=opts, md5key=md5key, payload=payload)
        self.sock.sendto(seg, (self.dst, 0))

    def recv(self, sports, seconds):
        """Segments from the server to sports within seconds."""
        out = []
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data = self.sock.recv(65535)
            p = synq_lib.parse_packet(data, raw=True)
            if p and p["src"] == self.dst and p["sport"] == \
                    self.env.a.port and p["dport"] in sports:
                out.append(p)


def raw_synack(raw, sport, isn, **opts):
    """A SYN from sport (opts as Raw.send()'s); the SYN-ACK, or None."""
    raw.send(sport, isn, 0, SYN, ts=(1000000, 0), mss=1460, **opts)
    synack = [p for p in raw.recv({sport}, 2.0) if p["flags"] == "SA"]
    return synack[0] if synack else None


def raw_sport():
    return 40000 + int.from_bytes(os.urandom(2), "big") % 10000


# --- scenarios -----------------------------------------------------------------

def sc_connect(env, a):
    before = after = None
    pre = []
    if a.minttl is not None:
        def minttl(s):
            s.setsockopt(socket.IPPROTO_IP, IP_MINTTL, a.minttl)
        if a.minttl_when == "before":
            before = minttl
        else:
            after = minttl
    if a.filter_drop:
        pre.append(lambda s: synq_lib.attach_filter(
            s, cbpf_drop_source(a.filter_drop)))
    prog = None
    if a.cgroup:
        prog = cg_skb_drop_source(a.cg_drop)
        cgroup_enter(a.cgroup)

    def before_all(s):
        for f in pre:
            f(s)
        if before:
            before(s)
    try:
        lsk = env.listener(a.backlog, before_all, after)
    except OSError as e:
        print("outcome: setsockopt=%s" % errname(e.errno))
        return 0
    if a.cgroup:
        # Back to the parent: the clients' sockets are not in DIR.
        cgroup_enter(os.path.dirname(a.cgroup.rstrip("/")))
        bpf(BPF_PROG_ATTACH, struct.pack("=IIII", os.open(
            a.cgroup, os.O_RDONLY | os.O_DIRECTORY), prog,
            BPF_CGROUP_INET_INGRESS, 0))
    res = []
    for src in a.src.split(","):
        t0 = time.monotonic()
        r, c = env.client(src, a.timeout)
        child = try_accept(lsk, 2.0 if c else 0.1)
        log("%s: %s from %s in %.3f s, server: %s" % (
            a.kind, r, src, time.monotonic() - t0,
            "accepted" if child else "nothing to accept"))
        res.append("%s=%s/%s" % (src, r, "accepted" if child else "none"))
        for s in (c, child):
            if s:
                s.close()
    print("outcome: " + " ".join(res))
    return 0


def sc_badack(env, a):
    lsk = env.listener(16)
    raw = Raw(env, a.src.split(",")[0])
    sport = raw_sport()
    isn = synq_lib.rand32()
    sa = raw_synack(raw, sport, isn)
    if not sa:
        print("outcome: no-synack")
        return 0
    iss = sa["seq"]
    tsecr = sa["options"].get("ts", [0])[0]
    log("%s: SYN-ACK seq %u ack %u options %s" % (
        a.kind, iss, sa["ack"], sa["options"]))
    if a.mode == "paws":
        seq, tsval = isn + 1, 1
    else:
        seq, tsval = isn + 1 + 200000, 1000001
    raw.send(sport, seq & 0xffffffff, iss + 1, ACK, ts=(tsval, tsecr))
    replies = [p for p in raw.recv({sport}, 0.5) if p["flags"] != "SA"]
    for p in replies:
        log("%s: reply %s seq %u ack %u options %s" % (
            a.kind, p["flags"], p["seq"], p["ack"], p["options"]))
    # FLAGS/seq - ISS/ack - the client's ISN: TCP's duplicate ACK is
    # A/1/1 (tcp_v4_reqsk_send_ack(): snt_isn + 1, rcv_nxt).
    reply = ",".join("%s/%d/%d" % (p["flags"], (p["seq"] - iss) & 0xffffffff,
                                   (p["ack"] - isn) & 0xffffffff)
                     for p in replies) or "none"
    # Three non-blocking accept()s: each must say EAGAIN without sleeping
    # (no voluntary context switch: synq's old accept() waited 200 ms),
    # and the quickest return within 50 ms (one call may lose the CPU on
    # a loaded machine under TCG).
    lsk.setblocking(False)
    errs, times, sleeps = [], [], 0
    for _ in range(3):
        nv0 = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
        t0 = time.monotonic()
        try:
            c = lsk.accept()[0]
        except BlockingIOError as e:
            c = None
            errs.append(errname(e.errno))
        times.append(time.monotonic() - t0)
        sleeps += resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw - nv0
        if c:
            errs.append("child")
            c.close()
    log("%s: non-blocking accept()s: %s in %s ms, %d sleeps" % (
        a.kind, ",".join(errs), ", ".join("%.1f" % (t * 1000)
                                          for t in times), sleeps))
    acc = errs[0] if len(set(errs)) == 1 else ",".join(errs)
    dt = min(times)
    queued = env.queued(lsk)
    # Then the valid final ACK: the handshake can still complete.
    raw.send(sport, isn + 1, iss + 1, ACK, ts=(1000001, tsecr))
    child = try_accept(lsk, 1.0)
    good = "accepted" if child else "none"
    if child:
        child.close()
    print("outcome: reply=%s accept=%s sleeps=%d fast=%s queued=%d good=%s"
          % (reply, acc, sleeps, "yes" if dt < 0.05 else "no", queued,
             good))
    return 0


def ss_lines(env, *filt):
    out = subprocess.run(["ip", "netns", "exec", env.a.srv_ns, "ss",
                          "-Hlnt"] + list(filt), capture_output=True,
                         text=True, check=True).stdout
    return [ln.split() for ln in out.splitlines()
            if ln.split() and ln.split()[3].endswith(":%d" % env.a.port)]


def sc_ss(env, a):
    lsk = env.listener(a.backlog)
    clients = []
    for _ in range(a.clients):
        r, c = env.client(a.src.split(",")[0], a.timeout)
        log("%s: client %s" % (a.kind, r))
        if c:
            clients.append(c)
    # The children appear when the final ACKs are processed.
    end = time.monotonic() + 2.0
    while env.queued(lsk) < a.clients and time.monotonic() < end:
        time.sleep(0.05)
    lines_all = ss_lines(env)
    lines_port = ss_lines(env, "sport = :%d" % a.port)
    for w in lines_all:
        print("ss-all: " + " ".join(w))
    for w in lines_port:
        print("ss-port: " + " ".join(w))

    def fmt(lines):
        if len(lines) != 1:
            return "%d-lines" % len(lines)
        w = lines[0]
        return "%s/recvq=%s/sendq=%s" % (w[0], w[1], w[2])
    print("outcome: all=%s port=%s" % (fmt(lines_all), fmt(lines_port)))
    for c in clients:
        c.close()
    return 0


def delta(before, after, name):
    return "%s=+%d" % (name, after.get(name, 0) - before.get(name, 0))


def sc_overflow(env, a):
    lsk = env.listener(1)
    clients = []
    for _ in range(2):
        r, c = env.client(a.src.split(",")[0], a.timeout)
        log("%s: client %s" % (a.kind, r))
        if c:
            clients.append(c)
    end = time.monotonic() + 2.0
    while env.queued(lsk) < 2 and time.monotonic() < end:
        time.sleep(0.05)
    log("%s: accept queue %d" % (a.kind, env.queued(lsk)))
    raw = Raw(env, a.src.split(",")[0])
    sport = raw_sport()
    n0 = env.netstat()
    raw.send(sport, synq_lib.rand32(), 0, SYN, mss=1460)
    replies = raw.recv({sport}, 0.5)
    n1 = env.netstat()
    reply = ",".join(p["flags"] for p in replies) or "none"
    print("outcome: reply=%s %s %s" % (
        reply, delta(n0, n1, "ListenOverflows"),
        delta(n0, n1, "ListenDrops")))
    for c in clients:
        c.close()
    return 0


def sc_cookies(env, a):
    return syncookies_2(env, lambda: cookies(env, a))


def syncookies_2(env, fn):
    """fn() with net.ipv4.tcp_syncookies=2 and net.synq.syncookies=2 in
    the server namespace (set here, and set back after)."""
    names = ("net.ipv4.tcp_syncookies", "net.synq.syncookies")

    def read():
        return [open("/proc/sys/" + n.replace(".", "/")).read().strip()
                for n in names]

    def write(vals):
        for n, v in zip(names, vals):
            synq_lib.write_sysctl(n, v)
    old = synq_lib.in_netns(env.a.srv_ns, read)
    synq_lib.in_netns(env.a.srv_ns, lambda: write(["2", "2"]))
    try:
        return fn()
    finally:
        synq_lib.in_netns(env.a.srv_ns, lambda: write(old))


def cookies(env, a):
    lsk = env.listener(16)
    raw = Raw(env, a.src.split(",")[0])
    base = raw_sport()
    ports = [base + i for i in range(a.syns)]
    isn = {p: synq_lib.rand32() for p in ports}
    n0 = env.netstat()
    for p in ports:
        raw.send(p, isn[p], 0, SYN, mss=1460)
    segs = raw.recv(set(ports), 0.5)
    n1 = env.netstat()
    synacks = {p["dport"]: p for p in segs if p["flags"] == "SA"}
    log("%s: SYN-ACKs for %d of %d SYNs" % (a.kind, len(synacks), a.syns))
    acc = "no"
    if ports[0] in synacks:
        raw.send(ports[0], isn[ports[0]] + 1, synacks[ports[0]]["seq"] + 1,
                 ACK)
        child = try_accept(lsk, 1.0)
        if child:
            acc = "yes"
            child.close()
    n2 = env.netstat()
    print("outcome: synacks=%d %s accepted=%s %s" % (
        len(synacks), delta(n0, n1, "SyncookiesSent"), acc,
        delta(n1, n2, "SyncookiesRecv")))
    return 0


MD5_MIBS = ("TCPMD5NotFound", "TCPMD5Unexpected", "TCPMD5Failure")


def md5_drops(n0, n1):
    """Which of TcpExt's TCPMD5* drop counters moved between n0 and n1."""
    moved = [n for n in MD5_MIBS if n1.get(n, 0) != n0.get(n, 0)]
    return "md5drops=" + (",".join(moved) or "none")


def key_arg(k):
    return None if k in (None, "none") else k.encode()


def sc_md5(env, a):
    """TCP_MD5SIG on the listener (--srv-key, for --key-for, default the
    first client) and on kernel clients (--cli-key): who connects, whether
    data goes both ways on the signed connection, which drop counters
    moved."""
    srv_key = key_arg(a.srv_key)
    key_for = a.key_for or a.src.split(",")[0]

    def before(s):
        if srv_key:
            synq_lib.set_md5sig(s, key_for, srv_key)
    if a.cookies:
        return syncookies_2(env, lambda: md5_connects(env, a, before))
    return md5_connects(env, a, before)


def md5_connects(env, a, before):
    try:
        lsk = env.listener(a.backlog, before)
    except OSError as e:
        print("outcome: setsockopt=%s" % errname(e.errno))
        return 0
    n0 = env.netstat()
    res = []
    for src in a.src.split(","):
        r, c = env.client(src, a.timeout, md5key=key_arg(a.cli_key))
        child = try_accept(lsk, 2.0 if c else 0.1)
        echo = ""
        if c and child:
            c.settimeout(2.0)
            child.settimeout(2.0)
            c.sendall(b"ping")
            child.sendall(child.recv(4))
            echo = "/echo" if c.recv(4) == b"ping" else "/noecho"
        log("%s: %s from %s, server: %s%s" % (
            a.kind, r, src, "accepted" if child else "nothing", echo))
        res.append("%s=%s/%s%s" % (src, r, "accepted" if child else "none",
                                   echo))
        for s in (c, child):
            if s:
                s.close()
    print("outcome: %s %s" % (" ".join(res), md5_drops(n0, env.netstat())))
    return 0


def sc_md5ack(env, a):
    """A raw client with the listener's key: a signed SYN; the SYN-ACK's
    signature and options; a final ACK signed with the wrong key or not
    signed (--mode): no reply, no child, which counter moved; then the
    right ACK, with data (the signature covers it), makes the child, which
    reads the data."""
    key = a.srv_key.encode()
    src = a.src.split(",")[0]
    lsk = env.listener(16, lambda s: synq_lib.set_md5sig(s, src, key))
    raw = Raw(env, src)
    sport = raw_sport()
    isn = synq_lib.rand32()
    sa = raw_synack(raw, sport, isn, sack=a.sack, md5key=key)
    if not sa:
        print("outcome: no-synack")
        return 0
    iss = sa["seq"]
    tsecr = sa["options"].get("ts", [0])[0]
    kinds = ",".join(str(k) for k in sorted(set(sa["options"]["kinds"]) -
                                            {synq_lib.TCPOPT_NOP}))
    log("%s: SYN-ACK seq %u options %s" % (a.kind, iss, sa["options"]))
    n0 = env.netstat()
    bad = None if a.mode == "unsigned" else b"not-" + key
    raw.send(sport, isn + 1, iss + 1, ACK, ts=(1000001, tsecr), md5key=bad)
    replies = [p for p in raw.recv({sport}, 0.5) if p["flags"] != "SA"]
    lsk.setblocking(False)
    try:
        lsk.accept()[0].close()
        acc = "child"
    except BlockingIOError as e:
        acc = errname(e.errno)
    drops = md5_drops(n0, env.netstat())
    raw.send(sport, isn + 1, iss + 1, ACK | synq_lib.PSH,
             ts=(1000002, tsecr), md5key=key, payload=b"synq")
    child = try_accept(lsk, 1.0)
    good = "none"
    if child:
        child.settimeout(1.0)
        try:
            good = "accepted/" + child.recv(16).decode(errors="replace")
        except OSError as e:
            good = "accepted/" + errname(e.errno)
        child.close()
    print("outcome: synack=%s opts=%s reply=%s accept=%s %s good=%s" % (
        "signed" if synq_lib.tcp_md5_ok(sa, key) else "unsigned", kinds,
        ",".join(p["flags"] for p in replies) or "none", acc, drops, good))
    return 0


def parser():
    p = argparse.ArgumentParser(prog="synq_frontdoor.py")
    p.add_argument("--kind", choices=("tcp", "synq"), required=True)
    p.add_argument("--srv-ns", required=True)
    p.add_argument("--cli-ns", required=True)
    p.add_argument("--srv-ip", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--src", default="10.0.1.1")
    p.add_argument("--timeout", type=float, default=1.5)
    p.add_argument("--backlog", type=int, default=16)
    sub = p.add_subparsers(dest="scenario", required=True)
    c = sub.add_parser("connect")
    c.add_argument("--minttl", type=int)
    c.add_argument("--minttl-when", choices=("before", "after"),
                   default="before")
    c.add_argument("--filter-drop")
    c.add_argument("--cgroup")
    c.add_argument("--cg-drop")
    b = sub.add_parser("badack")
    b.add_argument("--mode", choices=("paws", "oow"), required=True)
    s = sub.add_parser("ss")
    s.add_argument("--clients", type=int, default=3)
    sub.add_parser("overflow")
    k = sub.add_parser("cookies")
    k.add_argument("--syns", type=int, default=5)
    m = sub.add_parser("md5")
    m.add_argument("--srv-key")
    m.add_argument("--key-for")
    m.add_argument("--cli-key")
    m.add_argument("--cookies", action="store_true")
    m = sub.add_parser("md5ack")
    m.add_argument("--srv-key", required=True)
    m.add_argument("--mode", choices=("wrongkey", "unsigned"),
                   required=True)
    m.add_argument("--sack", action="store_true")
    return p


SCENARIOS = {"connect": sc_connect, "badack": sc_badack, "ss": sc_ss,
             "overflow": sc_overflow, "cookies": sc_cookies, "md5": sc_md5,
             "md5ack": sc_md5ack}


def run(argv):
    a = parser().parse_args(argv)
    return SCENARIOS[a.scenario](Env(a), a)


def serve():
    """One scenario a line, "ID ARG...", read from stdin: its output lines
    are answered as "ID<TAB>LINE", then "ID<TAB>end" (one process for the
    whole test: under TCG every python start costs seconds)."""
    for line in sys.stdin:
        words = shlex.split(line)
        if not words:
            continue
        cid, argv = words[0], words[1:]
        buf = io.StringIO()
        t0 = time.monotonic()
        with contextlib.redirect_stdout(buf):
            try:
                run(argv)
            except SystemExit as e:
                print("outcome: bad arguments (%s)" % e)
            except Exception:           # answer, never die
                for ln in traceback.format_exc().splitlines():
                    log(ln)
                print("outcome: error")
            log("%s: %.1f s in synq_frontdoor.py" % (
                " ".join(argv[-3:]), time.monotonic() - t0))
        for ln in buf.getvalue().splitlines():
            print("%s\t%s" % (cid, ln))
        print("%s\tend" % cid, flush=True)
    return 0


def main():
    if sys.argv[1:] == ["serve"]:
        return serve()
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
