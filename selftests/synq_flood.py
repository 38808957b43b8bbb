#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""synq_flood: overflow, SYN flood and SYN cookie scenarios for synq.

One process plays every part: it setns()es into the server namespace to
own a synq listener (and read its SYNQ_INFO and the namespace's
/proc/net/stat/synq), into the client namespace to run real TCP clients
and a raw socket that sends hand-made SYNs and ACKs and reads the server's
answers.  Each subcommand is one scenario; it prints "# ..." diagnostics,
"# FAIL: <what>: expected <x>, got <y>" for every failed check (it goes on
checking after a failure), and exits 0 when every check held, 1 when one
failed, 2 on a set-up error.

Set-up the caller provides (synq_overflow.sh / synq_cookies.sh):
  * --srv-ns/--cli-ns joined by veth, --srv-ip/--cli-ip;
  * a default route in the server namespace towards the client namespace,
    so that SYN-ACKs to spoofed flood sources (10.0.128.0/17 and
    10.99.0.0/16) have a route; the client namespace drops them (it does
    not forward);
  * nft in the client namespace dropping the RSTs its kernel would send
    from the raw flows' source ports (RAW_SPORTS) to the server's
    SYN-ACKs.

Scenarios: see the "scenario_*" functions and --help.
"""

import argparse
import errno
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synq_lib  # noqa: E402  (synq's uapi, segments, namespaces)
from synq_lib import (SOL_SYNQ, SYNQ_SYNCOOKIES,  # noqa: E402
                      SYNQ_ABORT_ON_OVERFLOW, SYN, RST, ACK)

TCPI_OPT_TIMESTAMPS = 1
TCPI_OPT_SACK = 2
TCPI_OPT_WSCALE = 4

# Source ports of the raw flows from the client's own address: the client
# namespace drops its kernel's RSTs from these (see synq_*.sh).
RAW_SPORTS = (20000, 29999)

SYNQ_DEFAULTS = {"syncookies": 1, "abort_on_overflow": 0, "synack_retries": 5,
                 "cookie_pause_threshold": 1000, "cookie_pause_ms": 2000}

T0 = time.monotonic()


def log(msg):
    if os.environ.get("SYNQ_FLOOD_TIMES"):
        msg = "[%6.2f] %s" % (time.monotonic() - T0, msg)
    sys.stdout.write("# %s\n" % msg)
    sys.stdout.flush()


class SetupError(Exception):
    pass


class Checker:
    def __init__(self):
        self.failed = 0

    def eq(self, what, got, want):
        if got != want:
            log("FAIL: %s: expected %r, got %r" % (what, want, got))
            self.failed += 1
            return False
        log("ok: %s == %r" % (what, got))
        return True

    def true(self, what, cond, detail=""):
        if not cond:
            log("FAIL: %s%s" % (what, (": " + detail) if detail else ""))
            self.failed += 1
            return False
        log("ok: %s%s" % (what, (" (" + detail + ")") if detail else ""))
        return True


CHK = Checker()


# --- namespaces -----------------------------------------------------------

Netns = synq_lib.Netns


class Ctx:
    """The test's two namespaces and addresses."""

    def __init__(self, args):
        self.srv = Netns(args.srv_ns)
        self.cli = Netns(args.cli_ns)
        self.srv_ip = args.srv_ip
        self.cli_ip = args.cli_ip
        self.cli.enter()
        # Raw sockets of the client: one to send (IP_HDRINCL, any source
        # address), one to read every TCP segment the client receives.
        self.tx = synq_lib.raw_ip_socket()
        self.rx = synq_lib.raw_tcp_socket(rcvbuf=1 << 22, force=False)
        self.rx.setblocking(False)
        # Every scenario starts from the defaults.
        for k, v in SYNQ_DEFAULTS.items():
            self.srv.sysctl("net.synq." + k, v)
        self.cli.sysctl("net.ipv4.tcp_timestamps", 1)
        self.srv.enter()
        self.next_sport = random.randint(RAW_SPORTS[0], RAW_SPORTS[1] - 2000)
        self.flood_seq = random.randint(0, 1 << 20)

    # --- server side ---

    def listener(self, port=0, backlog=3, addr=None):
        self.srv.enter()
        s = synq_lib.synq_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr or self.srv_ip, port))
        s.listen(backlog)
        s.setblocking(False)
        return s

    def stats(self):
        self.srv.enter()
        return synq_lib.read_synq_stats()

    def proc_line(self, port):
        self.srv.enter()
        with open("/proc/thread-self/net/synq") as f:
            lines = f.read().splitlines()
        hdr = lines[0].split()
        for line in lines[1:]:
            f = line.split()
            if f[0] == "%s:%d" % (self.srv_ip, port):
                return dict(zip(hdr, f))
        return None

    def accept_all(self, lsock, timeout=0.0, want=None):
        """accept() for @timeout s (or until @want children)."""
        self.srv.enter()
        out = []
        end = time.monotonic() + timeout
        while True:
            try:
                c, _ = lsock.accept()
                out.append(c)
                continue
            except BlockingIOError:
                pass
            left = end - time.monotonic()
            if left <= 0 or (want and len(out) >= want):
                return out
            select.select([lsock], [], [], left)

    # --- client side ---

    def client_socket(self):
        self.cli.enter()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        return s

    def connect_start(self, port):
        s = self.client_socket()
        err = s.connect_ex((self.srv_ip, port))
        if err not in (0, errno.EINPROGRESS):
            raise SetupError("connect: %s" % os.strerror(err))
        return s

    def tx_seg(self, src, sport, dport, seq, ack, flags, opts=b"",
               payload=b"", window=64240):
        self.cli.enter()
        seg = synq_lib.tcp_segment(src, self.srv_ip, sport, dport, seq, ack,
                                   flags, window=window, opts=opts,
                                   payload=payload)
        ip = synq_lib.ip_header(src, self.srv_ip, len(seg))
        self.tx.sendto(ip + seg, (self.srv_ip, 0))

    def rx_segs(self, timeout, match, want=None):
        """Segments the client got within @timeout s for which match(seg);
        with @want, return as soon as that many matched."""
        out = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or (want and len(out) >= want):
                return out
            r, _, _ = select.select([self.rx], [], [], left)
            if not r:
                continue
            while True:
                try:
                    pkt = self.rx.recv(65535)
                except BlockingIOError:
                    break
                seg = synq_lib.parse_packet(pkt, csum=False)
                if seg and match(seg):
                    out.append(seg)

    def rx_drain(self):
        self.rx_segs(0.05, lambda s: False)

    def raw_sport(self):
        p = self.next_sport
        self.next_sport += 1
        return p

    def flood(self, port, n, spoof=True):
        """n SYNs from n distinct (spoofed) sources; never completed."""
        for _ in range(n):
            self.flood_seq += 1
            k = self.flood_seq
            if spoof:
                src = "10.%d.%d.%d" % (99 if k & 1 else 100 + (k >> 17) % 100,
                                       (k >> 9) & 255, 1 + (k >> 1) % 250)
                sport = 1024 + (k * 7919) % 60000
            else:
                src, sport = self.cli_ip, self.raw_sport()
            self.tx_seg(src, sport, port, random.getrandbits(32), 0, SYN,
                        syn_opts())

    def raw_syn(self, port, sport, mss=1460, ws=7, sack=True, ts=True):
        """SYN from the client's address; returns (isn, SYN-ACK or None)."""
        isn = random.getrandbits(32)
        self.rx_drain()
        self.tx_seg(self.cli_ip, sport, port, isn, 0, SYN,
                    syn_opts(mss, ws, sack, ts))
        got = self.rx_segs(2.0, lambda s: s["sport"] == port and
                           s["dport"] == sport and
                           s["flagbits"] & (SYN | ACK) == SYN | ACK, 1)
        return isn, (got[0] if got else None)


def syn_opts(mss=1460, ws=7, sack=True, ts=True):
    return synq_lib.linux_options(
        mss=mss, sack=sack, ts=(random.getrandbits(32), 0) if ts else None,
        ws=ws)


info = synq_lib.synq_info


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    (state, _ca, _retr, _probes, _backoff, options, wscale, _b,
     _rto, _ato, snd_mss, rcv_mss) = struct.unpack("=8B4I", raw[:24])
    advmss = struct.unpack("=I", raw[84:88])[0]
    return {"state": state, "options": options,
            "snd_wscale": wscale & 15, "rcv_wscale": wscale >> 4,
            "snd_mss": snd_mss, "rcv_mss": rcv_mss, "advmss": advmss}


def wait_for(what, fn, timeout, step=0.02):
    """Poll fn() until true; returns (ok, seconds waited)."""
    t0 = time.monotonic()
    while True:
        if fn():
            return True, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            log("%s: still not so after %.1f s" % (what, timeout))
            return False, time.monotonic() - t0
        time.sleep(step)


def connected(s, timeout):
    """Wait for a non-blocking connect: 0, an errno, or None (pending)."""
    _, w, _ = select.select([], [s], [], timeout)
    if not w:
        return None
    return s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


def snap(ctx, ls):
    """The namespace's counters and the listener's SYNQ_INFO, read so that
    they agree: segments may arrive while they are read (retransmits)."""
    for _ in range(20):
        i0 = info(ls)
        st = ctx.stats()
        i1 = info(ls)
        if (i0["overflows"], i0["drops"], i0["qlen"]) == \
           (i1["overflows"], i1["drops"], i1["qlen"]):
            return st, i1
    return st, i1


def delta(before, after, *names):
    return {n: after[n] - before[n] for n in names}


def dmesg_has(text):
    out = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    return text in out


# --- synq_overflow.sh scenarios -------------------------------------------

def scenario_accept_queue(ctx, a):
    """Backlog B, never accepted: B+1 connect, the next stalls; accept one
    and the stalled client completes through its retransmitted SYN."""
    b = a.backlog
    ls = ctx.listener(backlog=b)
    port = ls.getsockname()[1]
    clients = []
    for i in range(b + 1):
        c = ctx.connect_start(port)
        r = connected(c, 2.0)
        CHK.eq("client %d connect() result" % (i + 1), r, 0)
        clients.append(c)
        ctx.srv.enter()
        wait_for("ack_backlog %d" % (i + 1),
                         lambda: info(ls)["ack_backlog"] >= i + 1, 2.0)
    ctx.srv.enter()
    CHK.eq("SYNQ_INFO ack_backlog after %d clients" % (b + 1),
           info(ls)["ack_backlog"], b + 1)
    CHK.eq("SYNQ_INFO max_ack_backlog", info(ls)["max_ack_backlog"], b)

    st0, i0 = snap(ctx, ls)
    stalled = ctx.connect_start(port)
    r = connected(stalled, 2.0)
    CHK.eq("client %d connect() within 2 s (None: still pending)" % (b + 2),
           r, None)
    st1, i1 = snap(ctx, ls)
    d = delta(st0, st1, "ListenOverflows", "ListenDrops", "Children")
    CHK.true("ListenOverflows moved while client %d stalled" % (b + 2),
             d["ListenOverflows"] >= 1, "delta %d" % d["ListenOverflows"])
    CHK.eq("SYNQ_INFO overflows delta == ListenOverflows delta",
           i1["overflows"] - i0["overflows"], d["ListenOverflows"])
    CHK.eq("Children delta while stalled", d["Children"], 0)
    CHK.eq("SYNQ_INFO ack_backlog while stalled", i1["ack_backlog"], b + 1)
    CHK.eq("SYNQ_INFO qlen while stalled (its SYN is dropped)",
           i1["qlen"], 0)

    ctx.srv.enter()
    got = []
    if select.select([ls], [], [], 0.5)[0]:
        got.append(ls.accept()[0])
    CHK.eq("accept() returns one child", len(got), 1)
    CHK.eq("SYNQ_INFO ack_backlog after one accept()",
           info(ls)["ack_backlog"], b)
    # The client retransmits its SYN 3 s after the first one.
    r = connected(stalled, 8.0)
    CHK.eq("stalled client connect() after accept() made room", r, 0)
    ctx.srv.enter()
    wait_for("ack_backlog back to B+1",
                     lambda: info(ls)["ack_backlog"] == b + 1, 3.0)
    CHK.eq("SYNQ_INFO ack_backlog after the stalled client got in",
           info(ls)["ack_backlog"], b + 1)
    if r == 0:
        stalled.send(b"x")
    ctx.srv.enter()
    kids = got + ctx.accept_all(ls, 1.0)
    CHK.eq("children accepted in all", len(kids), b + 2)
    data = []
    for k in kids:
        k.settimeout(2.0)
        try:
            data.append(k.recv(1, socket.MSG_PEEK))
        except OSError:
            data.append(None)
    CHK.eq("children that got the stalled client's byte", data.count(b"x"), 1)
    CHK.eq("SYNQ_INFO accepted", info(ls)["accepted"], b + 2)


def block_acks(ctx, port, on):
    """nft in the client namespace: drop its non-SYN segments to port."""
    if on:
        rules = ("table ip synq_flood_ack {\n chain out {\n"
                 "  type filter hook output priority 0; policy accept;\n"
                 "  tcp dport %d tcp flags & syn == 0 drop\n }\n}\n" % port)
        subprocess.run(["ip", "netns", "exec", ctx.cli.name, "nft", "-f",
                        "-"], input=rules, text=True, check=True)
    else:
        subprocess.run(["ip", "netns", "exec", ctx.cli.name, "nft",
                        "delete", "table", "ip", "synq_flood_ack"],
                       check=True)


def scenario_ack_overflow(ctx, a):
    """K clients whose final ACKs reach a listener (backlog B) only once
    all their SYNs are in the table: B+1 become children, K-B-1 overflow
    at the ACK.  abort: they get ECONNRESET; else they stay pending
    (SYNQ_INFO acked) and complete once accept() makes room."""
    b, k = a.backlog, a.clients
    ctx.srv.enter()
    if a.mode == "sysctl":
        ctx.srv.sysctl("net.synq.abort_on_overflow", 1)
    else:
        ctx.srv.sysctl("net.synq.abort_on_overflow", 0)
    ls = ctx.listener(backlog=b)
    if a.mode == "override":
        ls.setsockopt(SOL_SYNQ, SYNQ_ABORT_ON_OVERFLOW, 1)
        CHK.eq("getsockopt(SYNQ_ABORT_ON_OVERFLOW)",
               ls.getsockopt(SOL_SYNQ, SYNQ_ABORT_ON_OVERFLOW), 1)
    abort = a.mode in ("sysctl", "override")
    port = ls.getsockname()[1]

    block_acks(ctx, port, True)
    try:
        clients = [ctx.connect_start(port) for _ in range(k)]
        res = [connected(c, 3.0) for c in clients]
        CHK.eq("client connect() results (ACKs held back)", res, [0] * k)
        ctx.srv.enter()
        CHK.eq("SYNQ_INFO qlen with every ACK held back",
               info(ls)["qlen"], k)
        st0, i0 = snap(ctx, ls)
    finally:
        block_acks(ctx, port, False)
    # With --data each client's first byte completes its handshake (or
    # overflows); else the ACK the client sends for the SYN-ACK that the
    # server retransmits after 1 s does.
    # A slow VM may already have seen the SYN-ACK retransmit's ACK
    # overflow, and (abort) the client reset: count it below.
    reset = set()
    if a.data:
        for i, c in enumerate(clients):
            try:
                c.send(b"%d" % (i % 10))
            except (ConnectionResetError, BrokenPipeError):
                reset.add(i)
    ctx.srv.enter()
    wait_for("ack_backlog B+1",
             lambda: info(ls)["ack_backlog"] >= b + 1, 4.0)
    time.sleep(1.0)
    for i, c in enumerate(clients):
        try:
            c.recv(1)
        except ConnectionResetError:
            reset.add(i)
        except BlockingIOError:
            pass
    resets = len(reset)
    st1, i1 = snap(ctx, ls)
    d = delta(st0, st1, "ListenOverflows", "OverflowResets", "Children",
              "BadAcks")
    log("counter deltas: %s" % d)
    CHK.eq("SYNQ_INFO ack_backlog", i1["ack_backlog"], b + 1)
    CHK.eq("Children delta", d["Children"], b + 1)
    if abort:
        CHK.eq("clients reset (ECONNRESET)", resets, k - b - 1)
        CHK.eq("OverflowResets delta", d["OverflowResets"], k - b - 1)
        CHK.eq("ListenOverflows delta", d["ListenOverflows"], k - b - 1)
        CHK.eq("SYNQ_INFO overflows delta", i1["overflows"] - i0["overflows"],
               k - b - 1)
        CHK.eq("SYNQ_INFO qlen (reset entries removed)", i1["qlen"], 0)
        kids = ctx.accept_all(ls, 0.5)
        CHK.eq("children accepted", len(kids), b + 1)
        return
    CHK.eq("clients reset", resets, 0)
    CHK.eq("OverflowResets delta", d["OverflowResets"], 0)
    CHK.true("ListenOverflows moved", d["ListenOverflows"] >= k - b - 1,
             "delta %d" % d["ListenOverflows"])
    CHK.eq("SYNQ_INFO overflows delta == ListenOverflows delta",
           i1["overflows"] - i0["overflows"], d["ListenOverflows"])
    CHK.eq("SYNQ_INFO qlen (overflowed entries kept)", i1["qlen"], k - b - 1)
    if not a.data:
        CHK.eq("SYNQ_INFO acked (entries whose ACK overflowed)",
               i1["acked"], k - b - 1)
    # Accept everything, as room appears: the pending clients complete
    # through their retransmitted data (or the SYN-ACK retransmit's ACK).
    kids = ctx.accept_all(ls, 0.2)

    def all_in():
        kids.extend(ctx.accept_all(ls, 0.0))
        return len(kids) >= k
    ok, t = wait_for("every client accepted", all_in, 12.0, 0.1)
    CHK.eq("children accepted in all", len(kids), k)
    CHK.eq("SYNQ_INFO qlen after all completed", info(ls)["qlen"], 0)
    log("the pending clients completed %.1f s after accept()" % t)


def scenario_table_full(ctx, a):
    """syncookies=0: a half-open flood fills the SYN table, the rest of it
    and a real client's SYNs are dropped until the flood entries expire."""
    ctx.srv.sysctl("net.synq.syncookies", 0)
    ctx.srv.sysctl("net.synq.synack_retries", 2)
    ls = ctx.listener(backlog=a.backlog)
    port = ls.getsockname()[1]
    i0 = info(ls)
    n = i0["nr_table_entries"]
    CHK.eq("SYNQ_INFO nr_table_entries (backlog %d)" % a.backlog, n, 16)
    CHK.eq("SYNQ_INFO syncookies", i0["syncookies"], 0)
    st0 = ctx.stats()
    ctx.flood(port, n + a.extra)
    ctx.srv.enter()
    wait_for("table full", lambda: info(ls)["qlen"] >= n, 3.0)
    time.sleep(0.2)
    st1, i1 = snap(ctx, ls)
    d = delta(st0, st1, "Syns", "ReqQFullDrop", "SynAcks", "SyncookiesSent")
    CHK.eq("SYNQ_INFO qlen after flood", i1["qlen"], n)
    CHK.eq("Syns delta", d["Syns"], n + a.extra)
    CHK.eq("SynAcks delta", d["SynAcks"], n)
    CHK.eq("ReqQFullDrop delta", d["ReqQFullDrop"], a.extra)
    CHK.eq("SyncookiesSent delta (cookies off)", d["SyncookiesSent"], 0)
    CHK.eq("SYNQ_INFO drops delta", i1["drops"] - i0["drops"], a.extra)
    needle = "possible SYN flood on %s:%d" % (ctx.srv_ip, port)
    CHK.true("kernel log has '%s'" % needle, dmesg_has(needle))

    c = ctx.connect_start(port)
    r = connected(c, 2.0)
    CHK.eq("real client connect() within 2 s while the table is full "
           "(None: pending)", r, None)
    st2 = ctx.stats()
    CHK.true("ReqQFullDrop moved by the client's SYNs",
             st2["ReqQFullDrop"] > st1["ReqQFullDrop"],
             "delta %d" % (st2["ReqQFullDrop"] - st1["ReqQFullDrop"]))
    CHK.eq("SYNQ_INFO qlen (the client is not in)", info(ls)["qlen"], n)
    c.close()
    ctx.srv.enter()
    ok, t = wait_for("flood entries expired", lambda: info(ls)["qlen"] == 0,
                     15.0, 0.1)
    CHK.true("flood entries expire (synack_retries 2)", ok, "%.1f s" % t)
    c = ctx.connect_start(port)
    CHK.eq("real client connect() once the flood expired",
           connected(c, 3.0), 0)
    ctx.srv.enter()
    CHK.eq("accept()", len(ctx.accept_all(ls, 2.0)), 1)


def scenario_proc(ctx, a):
    """/proc/net/synq's line of a listener agrees with SYNQ_INFO."""
    ctx.srv.sysctl("net.synq.syncookies", a.cookies)
    ls = ctx.listener(backlog=a.backlog)
    port = ls.getsockname()[1]
    clients = [ctx.connect_start(port) for _ in range(2)]
    for c in clients:
        connected(c, 2.0)
    ctx.flood(port, 40)
    ctx.srv.enter()
    wait_for("table full", lambda: info(ls)["qlen"] >= 16, 3.0)
    for attempt in range(5):
        i0 = info(ls)
        p = ctx.proc_line(port)
        i1 = info(ls)
        if i0 == i1:
            break
    if not CHK.true("/proc/net/synq has a line for %s:%d" %
                    (ctx.srv_ip, port), p is not None):
        return
    log("proc: %s" % p)
    want = {"backlog": i0["max_ack_backlog"], "accq": i0["ack_backlog"],
            "table": i0["nr_table_entries"], "mql": i0["max_qlen_log"],
            "qlen": i0["qlen"], "young": i0["qlen_young"],
            "old": i0["qlen"] - i0["qlen_young"],
            "cookies": i0["syncookies"], "paused": i0["paused"],
            "drops": i0["drops"], "overflows": i0["overflows"]}
    for k, v in want.items():
        CHK.eq("/proc/net/synq %s == SYNQ_INFO" % k, int(p[k]), v)
    CHK.eq("SYNQ_INFO accq", i0["ack_backlog"], 2)
    CHK.eq("SYNQ_INFO qlen", i0["qlen"], 16)
    CHK.eq("SYNQ_INFO table", i0["nr_table_entries"], 16)


# --- synq_cookies.sh scenarios --------------------------------------------

def scenario_cookie_options(ctx, a):
    """A real client connects through a cookie while the table is full of
    flood entries; the child has the MSS, window scale and SACK offered."""
    ctx.srv.sysctl("net.synq.syncookies", 1)
    ctx.srv.sysctl("net.synq.cookie_pause_threshold", 0)
    ctx.cli.sysctl("net.ipv4.tcp_timestamps", 1 if a.timestamps else 0)
    ls = ctx.listener(backlog=a.backlog)
    port = ls.getsockname()[1]
    n = info(ls)["nr_table_entries"]
    ctx.flood(port, n + 4)
    ctx.srv.enter()
    wait_for("table full", lambda: info(ls)["qlen"] >= n, 3.0)
    time.sleep(0.1)
    st0, i0 = snap(ctx, ls)
    CHK.eq("SYNQ_INFO qlen after flood", i0["qlen"], n)
    CHK.eq("SYNQ_INFO cookies_sent after flood", i0["cookies_sent"], 4)
    c = ctx.connect_start(port)
    CHK.eq("client connect()", connected(c, 2.0), 0)
    ctx.srv.enter()
    kids = ctx.accept_all(ls, 2.0, 1)
    if not CHK.eq("accept()", len(kids), 1):
        return
    k = kids[0]
    st1, i1 = snap(ctx, ls)
    d = delta(st0, st1, "SyncookiesSent", "SyncookiesRecv",
              "SyncookiesFailed")
    CHK.eq("SyncookiesSent delta", d["SyncookiesSent"], 1)
    CHK.eq("SyncookiesRecv delta", d["SyncookiesRecv"], 1)
    CHK.eq("SyncookiesFailed delta", d["SyncookiesFailed"], 0)
    CHK.eq("SYNQ_INFO cookies_recv", i1["cookies_recv"], 1)
    CHK.eq("SYNQ_INFO qlen (the client never had an entry)",
           i1["qlen"], n)
    # Let the connection settle, then compare both ends.
    c.setblocking(True)
    c.sendall(b"ping")
    k.settimeout(2)
    CHK.eq("data client -> child", k.recv(4), b"ping")
    ctx.srv.enter()
    si = tcp_info(k)
    ctx.cli.enter()
    ci = tcp_info(c)
    log("client TCP_INFO %s" % ci)
    log("child  TCP_INFO %s" % si)
    tsl = 12 if a.timestamps else 0
    for name, info_ in (("client", ci), ("child", si)):
        CHK.eq("%s TCPI_OPT_SACK" % name,
               bool(info_["options"] & TCPI_OPT_SACK), True)
        CHK.eq("%s TCPI_OPT_WSCALE" % name,
               bool(info_["options"] & TCPI_OPT_WSCALE), True)
        CHK.eq("%s TCPI_OPT_TIMESTAMPS" % name,
               bool(info_["options"] & TCPI_OPT_TIMESTAMPS), a.timestamps)
        CHK.eq("%s advmss" % name, info_["advmss"], 1460 - tsl)
        CHK.eq("%s snd_mss" % name, info_["snd_mss"], 1460 - tsl)
    CHK.eq("child snd_wscale == client rcv_wscale", si["snd_wscale"],
           ci["rcv_wscale"])
    CHK.eq("child rcv_wscale == client snd_wscale", si["rcv_wscale"],
           ci["snd_wscale"])
    ctx.cli.enter()
    with open("/proc/sys/net/ipv4/tcp_rmem") as f:
        log("client tcp_rmem %s" % f.read().strip())
    CHK.true("client offered a window scale > 0", ci["rcv_wscale"] > 0,
             "rcv_wscale %d" % ci["rcv_wscale"])


def scenario_mode2(ctx, a):
    """syncookies=2: every SYN gets a cookie, no entry is ever made."""
    ctx.srv.sysctl("net.synq.syncookies", 2)
    ctx.srv.sysctl("net.synq.cookie_pause_threshold", 0)
    ls = ctx.listener(backlog=16)
    port = ls.getsockname()[1]
    st0, i0 = snap(ctx, ls)
    CHK.eq("SYNQ_INFO syncookies", i0["syncookies"], 2)
    maxq = 0
    for _ in range(3):
        ctx.flood(port, a.flood // 3)
        ctx.srv.enter()
        maxq = max(maxq, info(ls)["qlen"])
    nflood = 3 * (a.flood // 3)
    clients = []
    for i in range(a.clients):
        c = ctx.connect_start(port)
        ctx.srv.enter()
        maxq = max(maxq, info(ls)["qlen"])
        CHK.eq("client %d connect()" % (i + 1), connected(c, 2.0), 0)
        ctx.srv.enter()
        maxq = max(maxq, info(ls)["qlen"])
        clients.append(c)
    kids = ctx.accept_all(ls, 2.0, a.clients)
    while len(kids) < a.clients:
        more = ctx.accept_all(ls, 1.0)
        if not more:
            break
        kids += more
    time.sleep(0.2)
    st1, i1 = snap(ctx, ls)
    maxq = max(maxq, i1["qlen"])
    d = delta(st0, st1, "SyncookiesSent", "SyncookiesRecv", "SynAcks",
              "Syns")
    CHK.eq("children accepted", len(kids), a.clients)
    CHK.eq("largest SYNQ_INFO qlen seen", maxq, 0)
    CHK.eq("Syns delta", d["Syns"], nflood + a.clients)
    CHK.eq("SYNQ_INFO cookies_sent", i1["cookies_sent"],
           nflood + a.clients)
    CHK.eq("SyncookiesSent delta", d["SyncookiesSent"], nflood + a.clients)
    CHK.eq("SynAcks delta (table SYN-ACKs)", d["SynAcks"], 0)
    CHK.eq("SyncookiesRecv delta", d["SyncookiesRecv"], a.clients)
    CHK.eq("SYNQ_INFO cookies_recv", i1["cookies_recv"], a.clients)


def cookie_listener(ctx):
    ls = ctx.listener(backlog=16)
    ls.setsockopt(SOL_SYNQ, SYNQ_SYNCOOKIES, 2)
    return ls, ls.getsockname()[1]


def rsts_for(ctx, port, sports, timeout):
    return ctx.rx_segs(timeout, lambda s: s["sport"] == port and
                       s["dport"] in sports and s["flagbits"] & RST,
                       len(sports))


def scenario_forged(ctx, a):
    """Random cookie ACKs to a listener in cookie mode: every one fails,
    no child, each answered with an RST."""
    ls, port = cookie_listener(ctx)
    st0 = ctx.stats()
    sports = set()
    ctx.rx_drain()
    for _ in range(a.count):
        sp = ctx.raw_sport()
        sports.add(sp)
        ctx.tx_seg(ctx.cli_ip, sp, port, random.getrandbits(32),
                   random.getrandbits(32), ACK)
    rsts = rsts_for(ctx, port, sports, 2.0)
    ctx.srv.enter()
    st1, i1 = snap(ctx, ls)
    d = delta(st0, st1, "SyncookiesFailed", "SyncookiesRecv", "Children")
    CHK.eq("SyncookiesFailed delta", d["SyncookiesFailed"], a.count)
    CHK.eq("SyncookiesRecv delta", d["SyncookiesRecv"], 0)
    CHK.eq("Children delta", d["Children"], 0)
    CHK.eq("SYNQ_INFO ack_backlog", i1["ack_backlog"], 0)
    CHK.eq("SYNQ_INFO cookies_recv", i1["cookies_recv"], 0)
    CHK.eq("accept() finds nothing", len(ctx.accept_all(ls, 0.2)), 0)
    CHK.eq("forged ACKs answered with an RST",
           len({s["dport"] for s in rsts}), a.count)


def scenario_wrong_tuple(ctx, a):
    """A valid cookie returned from another source port fails; from its
    own flow it succeeds."""
    ls, port = cookie_listener(ctx)
    sp, other = ctx.raw_sport(), ctx.raw_sport()
    isn, sa = ctx.raw_syn(port, sp)
    if not CHK.true("SYN-ACK for the flow's SYN", sa is not None):
        return
    st0 = ctx.stats()
    ctx.rx_drain()
    ctx.tx_seg(ctx.cli_ip, other, port, isn + 1, sa["seq"] + 1, ACK)
    rsts = rsts_for(ctx, port, {other}, 1.0)
    ctx.srv.enter()
    st1, i1 = snap(ctx, ls)
    d = delta(st0, st1, "SyncookiesFailed", "SyncookiesRecv")
    CHK.eq("other port: SyncookiesFailed delta", d["SyncookiesFailed"], 1)
    CHK.eq("other port: SyncookiesRecv delta", d["SyncookiesRecv"], 0)
    CHK.eq("other port: SYNQ_INFO ack_backlog", i1["ack_backlog"], 0)
    CHK.eq("other port: RSTs", len(rsts), 1)
    # Another address, same ports: the tuple's address is in the MAC too.
    ctx.tx_seg("10.99.7.7", sp, port, isn + 1, sa["seq"] + 1, ACK)
    time.sleep(0.3)
    st2 = ctx.stats()
    CHK.eq("other address: SyncookiesFailed delta",
           st2["SyncookiesFailed"] - st1["SyncookiesFailed"], 1)
    # Another ISN (seq), same tuple.
    ctx.tx_seg(ctx.cli_ip, sp, port, isn + 2, sa["seq"] + 1, ACK)
    time.sleep(0.3)
    st3 = ctx.stats()
    CHK.eq("other client ISN: SyncookiesFailed delta",
           st3["SyncookiesFailed"] - st2["SyncookiesFailed"], 1)
    ctx.srv.enter()
    CHK.eq("no child yet", info(ls)["ack_backlog"], 0)
    # The cookie's own flow.
    ctx.tx_seg(ctx.cli_ip, sp, port, isn + 1, sa["seq"] + 1, ACK)
    ctx.srv.enter()
    wait_for("child", lambda: info(ls)["ack_backlog"] == 1, 2.0)
    st4 = ctx.stats()
    CHK.eq("own flow: SyncookiesRecv delta",
           st4["SyncookiesRecv"] - st3["SyncookiesRecv"], 1)
    CHK.eq("own flow: SyncookiesFailed delta",
           st4["SyncookiesFailed"] - st3["SyncookiesFailed"], 0)
    CHK.eq("own flow: accept()", len(ctx.accept_all(ls, 1.0, 1)), 1)


def scenario_stale(ctx, a):
    """With cookie_period=1: a cookie ACKed more than 5 s after its SYN-ACK
    is refused, one ACKed within 1 s of its SYN is good."""
    with open("/sys/module/synq/parameters/cookie_period") as f:
        period = int(f.read())
    if not CHK.eq("module parameter cookie_period", period, 1):
        return
    ls, port = cookie_listener(ctx)
    old, fresh = ctx.raw_sport(), ctx.raw_sport()
    isn_old, sa_old = ctx.raw_syn(port, old)
    t_old = time.monotonic()		# at least this old
    if not CHK.true("SYN-ACK for the old flow", sa_old is not None):
        return
    time.sleep(a.wait)
    t_new = time.monotonic()		# at most this old
    isn_new, sa_new = ctx.raw_syn(port, fresh)
    if not CHK.true("SYN-ACK for the fresh flow", sa_new is not None):
        return
    st0 = ctx.stats()
    ctx.rx_drain()
    ctx.tx_seg(ctx.cli_ip, fresh, port, isn_new + 1, sa_new["seq"] + 1, ACK)
    age_new = time.monotonic() - t_new
    ctx.tx_seg(ctx.cli_ip, old, port, isn_old + 1, sa_old["seq"] + 1, ACK)
    age_old = time.monotonic() - t_old
    rsts = rsts_for(ctx, port, {old, fresh}, 1.0)
    kids = ctx.accept_all(ls, 2.0, 1)
    st1 = ctx.stats()
    CHK.true("fresh cookie ACKed within 1 s of its SYN", age_new < 1.0,
             "%.2f s" % age_new)
    CHK.true("old cookie ACKed more than 5 s after its SYN-ACK",
             age_old > 5.0, "%.2f s" % age_old)
    CHK.eq("SyncookiesFailed delta (the old one)",
           st1["SyncookiesFailed"] - st0["SyncookiesFailed"], 1)
    CHK.eq("SyncookiesRecv delta (the fresh one)",
           st1["SyncookiesRecv"] - st0["SyncookiesRecv"], 1)
    CHK.eq("RSTs to the old flow", len([r for r in rsts
                                        if r["dport"] == old]), 1)
    CHK.eq("RSTs to the fresh flow", len([r for r in rsts
                                          if r["dport"] == fresh]), 0)
    CHK.eq("children accepted: the fresh flow's",
           [k.getpeername()[1] for k in kids], [fresh])


def scenario_pause(ctx, a):
    """cookie_pause_threshold table-full SYNs in a second start a pause of
    cookie_pause_ms: cookies only, no entry made even with room; it ends."""
    thr, ms = a.threshold, a.pause_ms
    ctx.srv.sysctl("net.synq.syncookies", 1)
    ctx.srv.sysctl("net.synq.cookie_pause_threshold", thr)
    ctx.srv.sysctl("net.synq.cookie_pause_ms", ms)
    # Flood entries die at their first timeout (1 s): the table empties
    # while the pause lasts.
    ctx.srv.sysctl("net.synq.synack_retries", 0)
    ls = ctx.listener(backlog=8)
    port = ls.getsockname()[1]
    n = info(ls)["nr_table_entries"]
    st0 = ctx.stats()
    extra = 6
    t0 = time.monotonic()
    ctx.flood(port, n + thr + extra)
    t1 = time.monotonic()	# the pause began between t0 and t1
    log("flood sent in %.2f s" % (t1 - t0))
    ctx.srv.enter()
    i1, st1 = info(ls), ctx.stats()
    d = delta(st0, st1, "CookiePauses", "PausedCookies",
              "ReqQFullDoCookies", "SyncookiesSent")
    CHK.eq("SYNQ_INFO paused", i1["paused"], 1)
    CHK.eq("SYNQ_INFO pauses", i1["pauses"], 1)
    CHK.eq("CookiePauses delta", d["CookiePauses"], 1)
    CHK.eq("PausedCookies delta", d["PausedCookies"], extra)
    CHK.eq("ReqQFullDoCookies delta", d["ReqQFullDoCookies"], thr)
    CHK.eq("SyncookiesSent delta", d["SyncookiesSent"], thr + extra)
    CHK.eq("SYNQ_INFO qlen", i1["qlen"], n)
    # Wait for the flood entries to expire, still within the pause.
    ok, _ = wait_for("table drained", lambda: info(ls)["qlen"] == 0, 3.0)
    el = time.monotonic() - t0
    log("table drained %.2f s after the flood" % el)
    if not CHK.true("table drained within the pause", ok and
                    el < ms / 1000.0 - 0.5, "%.2f s after the flood" % el):
        return
    st2 = ctx.stats()
    ctx.flood(port, 5)
    ctx.srv.enter()
    time.sleep(0.1)
    i3, st3 = info(ls), ctx.stats()
    el = time.monotonic() - t0
    CHK.true("still inside the pause", el < ms / 1000.0, "%.2f s" % el)
    CHK.eq("SYNQ_INFO paused during the pause", i3["paused"], 1)
    CHK.eq("SYNQ_INFO qlen during the pause, table empty", i3["qlen"], 0)
    CHK.eq("PausedCookies delta during the pause",
           st3["PausedCookies"] - st2["PausedCookies"], 5)
    # The flood has stopped: the pause ends on time (give TCG 0.5 s).
    ok, t = wait_for("pause over", lambda: info(ls)["paused"] == 0,
                     t1 + ms / 1000.0 + 8 - time.monotonic(), 0.05)
    el0, el1 = time.monotonic() - t0, time.monotonic() - t1
    log("paused went 0 %.2f s after the flood began, %.2f s after it ended"
        % (el0, el1))
    i4 = info(ls)
    CHK.true("SYNQ_INFO paused 0 %d ms (+ 0.5 s) after the flood" % ms,
             ok and el0 > ms / 1000.0 - 0.1 and el1 < ms / 1000.0 + 0.5,
             "%.2f..%.2f s" % (el1, el0))
    CHK.eq("SYNQ_INFO pauses after the pause", i4["pauses"], 1)
    st4 = ctx.stats()
    ctx.flood(port, 1)
    ctx.srv.enter()
    time.sleep(0.1)
    st5 = ctx.stats()
    CHK.eq("a SYN after the pause gets an entry: qlen", info(ls)["qlen"], 1)
    CHK.eq("PausedCookies delta after the pause",
           st5["PausedCookies"] - st4["PausedCookies"], 0)
    CHK.eq("CookiePauses in all", st5["CookiePauses"] - st0["CookiePauses"],
           1)
    needle = "SYN flood on %s:%d goes on: cookies only for %d ms" % (
        ctx.srv_ip, port, ms)
    CHK.true("kernel log has '%s'" % needle, dmesg_has(needle))


SCENARIOS = {
    "accept-queue": scenario_accept_queue,
    "ack-overflow": scenario_ack_overflow,
    "table-full": scenario_table_full,
    "proc": scenario_proc,
    "cookie-options": scenario_cookie_options,
    "mode2": scenario_mode2,
    "forged": scenario_forged,
    "wrong-tuple": scenario_wrong_tuple,
    "stale": scenario_stale,
    "pause": scenario_pause,
}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--srv-ns", required=True)
    p.add_argument("--cli-ns", required=True)
    p.add_argument("--srv-ip", default="10.0.1.2")
    p.add_argument("--cli-ip", default="10.0.1.1")
    p.add_argument("--backlog", type=int, default=3)
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--extra", type=int, default=8)
    p.add_argument("--mode", default="none",
                   choices=("none", "sysctl", "override"))
    p.add_argument("--cookies", type=int, default=0)
    p.add_argument("--data", type=int, default=0)
    p.add_argument("--timestamps", type=int, default=1)
    p.add_argument("--flood", type=int, default=30)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--wait", type=float, default=5.5)
    p.add_argument("--threshold", type=int, default=20)
    p.add_argument("--pause-ms", type=int, default=3000)
    a = p.parse_args()
    log("start")
    try:
        ctx = Ctx(a)
        SCENARIOS[a.scenario](ctx, a)
    except (SetupError, OSError, subprocess.CalledProcessError) as e:
        log("FAIL: %s: %s" % (a.scenario, e))
        return 1 if CHK.failed else 2
    log("end")
    return 1 if CHK.failed else 0


if __name__ == "__main__":
    sys.exit(main())
