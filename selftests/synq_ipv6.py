#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""synq_ipv6.py: IPv6 and dual-stack synq listeners (synq_ipv6.sh), each
scenario run against a TCP listener of the same family as the oracle.

  synq_ipv6.py SCENARIO --cli NS --srv NS --cli-ip6 A --srv-ip6 A
               --cli-ip A --srv-ip A [--kind tcp|synq]

Scenarios (exit 0: every check held; each failed check is printed):
  ports     bind()/listen() conflicts between IPv4, dual-stack and V6ONLY
            listeners, TCP and synq in every pairing, as TCP's rules say
  v6only    IPV6_V6ONLY both ways and net.ipv6.bindv6only: IPv4 clients
            served v4-mapped or refused exactly as by TCP
  traffic   1000 sequential and 200 concurrent IPv6 clients over veth,
            data checked both ways; 8 MiB both ways; v4-mapped clients
  cookies   net.synq.syncookies=2 (TCP: tcp_syncookies=2): IPv6 and
            v4-mapped clients served from cookies; the cookie MSS from
            IPv6's table; a forged cookie ACK refused with an RST
  flood     a spoofed IPv6 SYN flood against a tiny table (SYNQ_MAX_SYN_BACKLOG
            16: 32 entries): the table
            never overflows, cookies answer, every legitimate client gets in
  pause     the cookie pause on an IPv6 flood: begins, cookies only, ends
  stale     (synq loaded with cookie_period=1) a stale IPv6 cookie refused
  xfrm      an inbound xfrm block policy on the SYN, on the final ACK
            (stateful, cookie), IPv6 and IPv4 to [::], as TCP's
  rawpeer   a raw IPv6 peer's handshake: SYN-ACK options, traffic class
            and flow label as TCP's, one flow label for the SYN-ACKs and
            the child, duplicate SYN, RST, retransmits and expiry
  exthdr    final ACKs behind Hop-by-Hop and Destination options: the
            ones the kernel passes complete the handshake, the ones it
            discards do not, as for TCP
  overflow  a final ACK that meets a full accept queue, with and without
            abort_on_overflow
  lifecycle close() with pending IPv6 entries: their slab (synq_entry6)
            empties
  proc      /proc/net/synq and ss show IPv6 listeners
  firewall  an ip6 input chain at priority -300 to 300 drops the final
            ACK: no child until it is gone, as for TCP
  checks    IPV6_MINHOPCOUNT and socket filters as TCP's; SO_REUSEPORT
            refused (EOPNOTSUPP); SOL_SYNQ and SYNQ_INFO
  md5       TCP_MD5SIG on dual-stack listeners: kernel clients (IPv6, and
            IPv4 with a v4-mapped key) with the right key, a wrong one,
            none, and cookies; a raw IPv6 peer's signed SYN-ACK and final
            ACKs signed wrong, unsigned and right; the TCPMD5* counters
  fuzz      --count hostile IPv6 packets (extension header chains, good and
            bad, fragments, AH, bad payload lengths, hostile TCP headers,
            v4-mapped sources) with real connects among them
  hold      (for the shell's rmmod and netns-exit subtests) a listener with
            --count pending IPv6 entries, left to process exit
"""

import argparse
import hashlib
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synq_lib as sl  # noqa: E402

A6 = socket.AF_INET6
V6 = socket.IPPROTO_IPV6
BAD = []
ARGS = None


def check(cond, what):
    if not cond:
        BAD.append(what)
        print("FAIL: %s" % what, flush=True)
    return cond


def log(msg):
    print(msg, flush=True)


def proto(kind):
    return sl.IPPROTO_SYNQ if kind == "synq" else socket.IPPROTO_TCP


_NS = {}


def _ns(name):
    if name not in _NS:
        _NS[name] = sl.Netns(name)
    return _NS[name]


def srv_ns():
    return _ns(ARGS.srv)


def cli_ns():
    return _ns(ARGS.cli)


def listener(kind, fam, addr, port=0, v6only=None, backlog=128,
             reuse=True, ns=None):
    """A listener of kind (tcp, synq) and family fam in netns ns (the
    server's), or the OSError of bind()/listen()."""
    with (ns or srv_ns()).inside():
        s = socket.socket(fam, socket.SOCK_STREAM, proto(kind))
        try:
            if reuse:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if v6only is not None:
                s.setsockopt(V6, socket.IPV6_V6ONLY, v6only)
            s.bind((addr, port))
            s.listen(backlog)
        except OSError:
            s.close()
            raise
        return s


def connect(addr, port, timeout=10, ns=None):
    with (ns or cli_ns()).inside():
        fam = A6 if ":" in addr else socket.AF_INET
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.settimeout(timeout)
        try:
            c.connect((addr, port))
        except OSError:
            c.close()
            raise
        return c


def errname(e):
    return os.strerror(e.errno) if isinstance(e, OSError) and e.errno else \
        type(e).__name__


def outcome(fn):
    """"ok", or the error fn raised, as a string."""
    try:
        fn()
        return "ok"
    except OSError as e:
        return errname(e)


def accept(l, timeout=10):
    l.settimeout(timeout)
    a, peer = l.accept()
    a.settimeout(timeout)
    return a, peer


def kinds():
    return ("tcp", "synq")


def synq_stats(ns=None):
    with (ns or srv_ns()).inside():
        return sl.read_synq_stats()


def tcp_mibs(ns=None):
    with (ns or srv_ns()).inside():
        return sl.read_tcp_mibs()


def sysctl(name, value, ns=None):
    with (ns or srv_ns()).inside():
        sl.write_sysctl(name, value)


# --- ports ------------------------------------------------------------------

# (name, family, address, V6ONLY)
PORT_FORMS = [
    ("0.0.0.0", socket.AF_INET, "0.0.0.0", None),
    ("[::] dual", A6, "::", 0),
    ("[::] v6only", A6, "::", 1),
    ("127.0.0.1", socket.AF_INET, "127.0.0.1", None),
    ("[::1]", A6, "::1", 0),
]


def pair_outcome(k1, f1, k2, f2, port):
    """Listen with form f1 (kind k1), then f2 (k2) on port: the second's
    outcome."""
    try:
        a = listener(k1, f1[1], f1[2], port, f1[3], reuse=False)
    except OSError as e:
        return "first " + errname(e)
    try:
        b = listener(k2, f2[1], f2[2], port, f2[3], reuse=False)
        b.close()
        return "ok"
    except OSError as e:
        return errname(e)
    finally:
        a.close()


def scenario_ports():
    port = 31000
    n = 0
    for f1 in PORT_FORMS:
        for f2 in PORT_FORMS:
            want = pair_outcome("tcp", f1, "tcp", f2, port)
            port += 1
            for k1, k2 in (("synq", "synq"), ("synq", "tcp"),
                           ("tcp", "synq")):
                got = pair_outcome(k1, f1, k2, f2, port)
                port += 1
                n += 1
                check(got == want, "%s %s then %s %s: %s, TCP: %s" %
                      (k1, f1[0], k2, f2[0], got, want))
    log("%d pairings, each as TCP's" % n)


# --- v6only -----------------------------------------------------------------

def served(l, addr, port):
    """Connect to addr:port and accept: the accepted socket's (family,
    peer, local), or the connect() error."""
    try:
        c = connect(addr, port, timeout=5)
    except OSError as e:
        return errname(e)
    try:
        a, peer = accept(l)
        r = (a.family, peer[:2], a.getsockname()[:2], c.getsockname()[:2])
        a.close()
        return r
    except OSError as e:
        return "accept " + errname(e)
    finally:
        c.close()


def scenario_v6only():
    srv4, srv6 = ARGS.srv_ip, ARGS.srv_ip6
    res = {}
    for kind in kinds():
        out = []
        for v6only in (0, 1, None):
            for bindv6only in (0, 1):
                sysctl("net.ipv6.bindv6only", bindv6only)
                port = 32000 + 10 * (v6only or 0) + bindv6only + \
                    (100 if kind == "synq" else 0) + (50 if v6only is None else 0)
                l = listener(kind, A6, "::", port, v6only)
                got_v6only = l.getsockopt(V6, socket.IPV6_V6ONLY)
                r6 = served(l, srv6, port)
                r4 = served(l, srv4, port)
                l.close()
                # Addresses compare without the ports the clients chose.
                strip = [x if isinstance(x, str) else
                         (x[0], x[1][0], x[2][0], x[3][0]) for x in (r6, r4)]
                out.append((v6only, bindv6only, got_v6only, strip))
        res[kind] = out
    sysctl("net.ipv6.bindv6only", 0)
    for t, s in zip(res["tcp"], res["synq"]):
        check(t == s, "V6ONLY %s bindv6only %s: synq %s, TCP %s" %
              (t[0], t[1], s[2:], t[2:]))
    for t in res["tcp"]:
        log("V6ONLY=%s bindv6only=%s: getsockopt %s, IPv6 %s, IPv4 %s" %
            (t[0], t[1], t[2], t[3][0], t[3][1]))
    # The oracle itself: IPv4 refused exactly when V6ONLY is in force.
    for t in res["tcp"]:
        v6only_in_force = t[2] == 1
        check(isinstance(t[3][1], str) == v6only_in_force,
              "TCP oracle: V6ONLY %s and IPv4 %s" % (t[2], t[3][1]))


# --- traffic ----------------------------------------------------------------

def echo_server(l, n, errors, peers=None):
    """Accept n connections on l, one at a time: read 4-byte length and
    that many bytes, send them back reversed."""
    for _ in range(n):
        try:
            a, peer = accept(l, timeout=30)
            if peers is not None:
                peers.append((a.family, peer[0]))
            with a:
                hdr = recv_all(a, 4)
                data = recv_all(a, struct.unpack("!I", hdr)[0])
                a.sendall(data[::-1])
        except OSError as e:
            errors.append("server: %s" % errname(e))
            return


def recv_all(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(min(65536, n - len(buf)))
        if not d:
            break
        buf += d
    return bytes(buf)


def echo_client(addr, port, i, errors):
    data = os.urandom(64 + i % 200)
    try:
        c = connect(addr, port, timeout=30)
        with c:
            c.sendall(struct.pack("!I", len(data)) + data)
            back = recv_all(c, len(data))
        if back != data[::-1]:
            errors.append("client %d: wrong data back" % i)
    except OSError as e:
        errors.append("client %d: %s" % (i, errname(e)))


def run_echo(l, addr, port, n, concurrent):
    errors, peers = [], []
    t = threading.Thread(target=echo_server, args=(l, n, errors, peers))
    t.start()
    if concurrent:
        cs = [threading.Thread(target=echo_client,
                               args=(addr, port, i, errors))
              for i in range(n)]
        for c in cs:
            c.start()
        for c in cs:
            c.join()
    else:
        for i in range(n):
            echo_client(addr, port, i, errors)
    t.join(120)
    return errors, peers


def bulk(l, addr, port, size):
    """size random bytes each way at once; True if both arrive intact."""
    data_up, data_down = os.urandom(size), os.urandom(size)
    got = {}

    def exchange(sk, data, key):
        """Send data on sk while receiving size bytes: their digest."""
        w = threading.Thread(target=sk.sendall, args=(data,))
        w.start()
        got[key] = hashlib.sha256(recv_all(sk, size)).digest()
        w.join()
        sk.shutdown(socket.SHUT_WR)

    def server():
        a, _ = accept(l, timeout=30)
        with a:
            exchange(a, data_down, "up")
            a.recv(1)

    t = threading.Thread(target=server)
    t.start()
    with connect(addr, port, timeout=60) as c:
        exchange(c, data_up, "down")
    t.join(120)
    return got.get("up") == hashlib.sha256(data_up).digest() and \
        got.get("down") == hashlib.sha256(data_down).digest()


def scenario_traffic():
    kind = ARGS.kind
    port = 33000
    l = listener(kind, A6, "::", port, 0, backlog=512)
    t0 = time.time()
    errors, _ = run_echo(l, ARGS.srv_ip6, port, ARGS.seq, False)
    check(not errors, "%d sequential IPv6 clients: %s" % (ARGS.seq, errors[:3]))
    log("%d sequential IPv6 clients: %.1f s" % (ARGS.seq, time.time() - t0))
    t0 = time.time()
    errors, _ = run_echo(l, ARGS.srv_ip6, port, ARGS.conc, True)
    check(not errors, "%d concurrent IPv6 clients: %s" % (ARGS.conc, errors[:3]))
    log("%d concurrent IPv6 clients: %.1f s" % (ARGS.conc, time.time() - t0))
    errors, peers = run_echo(l, ARGS.srv_ip, port, 50, False)
    check(not errors, "50 IPv4 clients of the dual-stack listener: %s" %
          errors[:3])
    check(all(p == (A6, "::ffff:" + ARGS.cli_ip) for p in peers),
          "IPv4 clients accepted as AF_INET6 ::ffff:%s: %s" %
          (ARGS.cli_ip, sorted(set(peers))[:3]))
    t0 = time.time()
    check(bulk(l, ARGS.srv_ip6, port, 8 << 20),
          "8 MiB both ways over IPv6, intact")
    log("8 MiB both ways: %.1f s" % (time.time() - t0))
    if kind == "synq":
        info = sl.synq_info(l)
        want = ARGS.seq + ARGS.conc + 50 + 1
        check(info["accepted"] == want and info["qlen"] == 0 and
              info["ack_backlog"] == 0,
              "SYNQ_INFO after the runs: accepted %d (want %d), qlen %d, "
              "ack_backlog %d" % (info["accepted"], want, info["qlen"],
                                  info["ack_backlog"]))
    l.close()


# --- cookies ----------------------------------------------------------------

def cookie_mode(kind, on):
    knob(kind, "syncookies", 2 if on else 1)


def scenario_cookies():
    res = {}
    for kind in kinds():
        port = 34000 + (kind == "synq")
        cookie_mode(kind, True)
        l = listener(kind, A6, "::", port, 0)
        m0, s0 = tcp_mibs(), synq_stats()
        errors, _ = run_echo(l, ARGS.srv_ip6, port, 20, False)
        errors4, _ = run_echo(l, ARGS.srv_ip, port, 10, False)
        check(not errors and not errors4, "%s: cookie clients: %s" %
              (kind, (errors + errors4)[:3]))
        # The MSS a cookie brings back: a client announcing 1500 gets
        # 1440 from IPv6's table (1220/1420/1440/8940), as from Linux's.
        with cli_ns().inside():
            c = socket.socket(A6, socket.SOCK_STREAM)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1500)
            c.settimeout(10)
            c.connect((ARGS.srv_ip6, port))
        a, _ = accept(l)
        mss = a.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
        a.close()
        c.close()
        # A forged cookie: an ACK out of nowhere gets TCP's RST.
        rst = forged_ack(port)
        m1, s1 = tcp_mibs(), synq_stats()
        sent = m1["TcpExt.SyncookiesSent"] - m0["TcpExt.SyncookiesSent"]
        recv = m1["TcpExt.SyncookiesRecv"] - m0["TcpExt.SyncookiesRecv"]
        failed = m1["TcpExt.SyncookiesFailed"] - m0["TcpExt.SyncookiesFailed"]
        res[kind] = (sent, recv, failed, mss, rst)
        log("%s: TcpExt SyncookiesSent %d Recv %d Failed %d, child MSS %d, "
            "forged ACK answered %s" % ((kind,) + res[kind]))
        if kind == "synq":
            check(s1["SyncookiesSent"] - s0["SyncookiesSent"] == 31 and
                  s1["SyncookiesRecv"] - s0["SyncookiesRecv"] >= 31,
                  "synq's own cookie counters: %d sent, %d received" %
                  (s1["SyncookiesSent"] - s0["SyncookiesSent"],
                   s1["SyncookiesRecv"] - s0["SyncookiesRecv"]))
        l.close()
        cookie_mode(kind, False)
    # A slow kernel sees some ACKs twice (a client's retransmission meets
    # the cookie check again): Recv is at least Sent, for both.
    t, q = res["tcp"], res["synq"]
    check(t[0] == q[0] and t[2:] == q[2:] and min(t[1], q[1]) >= t[0],
          "synq %s, TCP %s" % (q, t))
    check(t[0] == 31 and t[1] >= 31 and t[2] == 1, "TCP oracle: %s" % (t,))


def forged_ack(port):
    """Send an ACK with a random cookie to port from a raw socket: the
    flags of the answer ("R" expected), or None."""
    r = raw6()
    sport = 40000 + (port % 1000)
    seg = sl.tcp_segment(ARGS.cli_ip6, ARGS.srv_ip6, sport, port,
                         sl.rand32(), sl.rand32(), sl.flags_num("A"))
    r.sendto(seg, (ARGS.srv_ip6, 0))
    end = time.time() + 3
    while time.time() < end:
        p = sl.recv_segment6(r, ARGS.cli_ip6, end - time.time())
        if p and p["sport"] == port and p["dport"] == sport:
            r.close()
            return p["flags"]
    r.close()
    return None


# --- flood ------------------------------------------------------------------

def flood6(dst, port, n, prefix="fd00:2::"):
    """n SYNs from spoofed sources prefix+1.. (raw IPv6 packets)."""
    with cli_ns().inside():
        r = sl.raw_ip6_socket()
    for i in range(n):
        src = "%s%x:%x" % (prefix, (i >> 16) + 1, i & 0xffff)
        seg = sl.tcp_segment(src, dst, 20000 + i % 10000, port, sl.rand32(),
                             0, sl.flags_num("S"),
                             opts=sl.linux_options(mss=1440, sack=True,
                                                   ws=7))
        r.sendto(sl.ip6_header(src, dst, len(seg)) + seg, (dst, 0))
    r.close()


def scenario_flood():
    port = 35000
    sysctl("net.synq.syncookies", 1)
    with srv_ns().inside():
        l = socket.socket(A6, socket.SOCK_STREAM, sl.IPPROTO_SYNQ)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sl.set_synq_opt(l, sl.SYNQ_MAX_SYN_BACKLOG, 16)
        l.bind(("::", port))
        l.listen(128)
    s0 = synq_stats()
    stop = threading.Event()
    peak = [0]

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], sl.synq_info(l)["qlen"])
            time.sleep(0.01)

    w = threading.Thread(target=watch)
    w.start()
    f = threading.Thread(target=flood6, args=(ARGS.srv_ip6, port, 3000))
    f.start()
    errors, _ = run_echo(l, ARGS.srv_ip6, port, 30, False)
    f.join()
    stop.set()
    w.join()
    info = sl.synq_info(l)
    s1 = synq_stats()
    sent = s1["SyncookiesSent"] - s0["SyncookiesSent"]
    log("flood: table %d entries, peak qlen %d, cookies sent %d, "
        "legitimate clients failed: %d of 30" %
        (info["nr_table_entries"], peak[0], sent, len(errors)))
    check(info["nr_table_entries"] <= 32 and peak[0] <= info["nr_table_entries"],
          "qlen %d within the %d-entry table" % (peak[0],
                                                 info["nr_table_entries"]))
    check(sent > 0, "cookies answered the flood")
    check(not errors, "every legitimate client got in: %s" % errors[:3])
    l.close()


def scenario_pause():
    """cookie_pause_threshold table-full IPv6 SYNs in a second start a
    pause of cookie_pause_ms: cookies only, even with room; it ends, and
    the kernel log names the listener's IPv6 address ([::])."""
    thr, ms, extra, port = 20, 3000, 6, 35100
    knobs = ("syncookies", "cookie_pause_threshold", "cookie_pause_ms",
             "synack_retries")
    with srv_ns().inside():
        saved = {k: sl.read_sysctl("net.synq." + k) for k in knobs}
    sysctl("net.synq.syncookies", 1)
    sysctl("net.synq.cookie_pause_threshold", thr)
    sysctl("net.synq.cookie_pause_ms", ms)
    # Flood entries die at their first timeout (1 s), within the pause.
    sysctl("net.synq.synack_retries", 0)
    l = listener("synq", A6, "::", port, 0, backlog=8)
    n = sl.synq_info(l)["nr_table_entries"]
    s0 = synq_stats()
    t0 = time.monotonic()
    flood6(ARGS.srv_ip6, port, n + thr + extra)
    time.sleep(0.2)
    i1, s1 = sl.synq_info(l), synq_stats()
    d = {k: s1[k] - s0[k] for k in ("CookiePauses", "PausedCookies",
                                    "ReqQFullDoCookies", "SyncookiesSent")}
    log("flood of %d: %s, SYNQ_INFO qlen %d paused %d" %
        (n + thr + extra, d, i1["qlen"], i1["paused"]))
    check(i1["paused"] == 1 and i1["pauses"] == 1 and i1["qlen"] == n and
          d == {"CookiePauses": 1, "PausedCookies": extra,
                "ReqQFullDoCookies": thr, "SyncookiesSent": thr + extra},
          "the pause began after %d table-full SYNs" % thr)
    end = time.monotonic() + 3
    while sl.synq_info(l)["qlen"] and time.monotonic() < end:
        time.sleep(0.05)
    in_pause = time.monotonic() - t0 < ms / 1000.0 - 0.5
    s2 = synq_stats()
    flood6(ARGS.srv_ip6, port, 5, prefix="fd00:3::")
    time.sleep(0.1)
    i3, s3 = sl.synq_info(l), synq_stats()
    if check(in_pause, "the table drained within the pause"):
        check(i3["paused"] == 1 and i3["qlen"] == 0 and
              s3["PausedCookies"] - s2["PausedCookies"] == 5,
              "paused, room in the table: cookies only (qlen %d)" % i3["qlen"])
    end = time.monotonic() + ms / 1000.0 + 8
    while sl.synq_info(l)["paused"] and time.monotonic() < end:
        time.sleep(0.05)
    el = time.monotonic() - t0
    check(not sl.synq_info(l)["paused"] and el > ms / 1000.0 - 0.1,
          "the pause ended after %d ms (%.2f s)" % (ms, el))
    s4 = synq_stats()
    flood6(ARGS.srv_ip6, port, 1, prefix="fd00:5::")
    time.sleep(0.1)
    check(sl.synq_info(l)["qlen"] == 1 and
          synq_stats()["PausedCookies"] == s4["PausedCookies"],
          "after the pause a SYN gets an entry")
    # The listener's own address: it is bound to [::].
    needle = "SYN flood on [::]:%d goes on: cookies only for %d ms" % (
        port, ms)
    dmesg = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    check(needle in dmesg, "kernel log: %s" % needle)
    l.close()
    for k, v in saved.items():
        sysctl("net.synq." + k, v)


def scenario_stale():
    """With the module's cookie_period=1: an IPv6 cookie ACKed more than
    5 s after its SYN-ACK is refused with an RST, one ACKed at once is
    good."""
    with open("/sys/module/synq/parameters/cookie_period") as f:
        if not check(int(f.read()) == 1, "cookie_period=1"):
            return
    port = 34100
    l = listener("synq", A6, "::", port, 0)
    sl.set_synq_opt(l, sl.SYNQ_SYNCOOKIES, 2)
    r = raw6()
    old, fresh = 41600, 41601
    isn_old, _, sa_old = raw_syn(r, old, port)
    t_old = time.monotonic()
    time.sleep(5.5)
    isn_new, _, sa_new = raw_syn(r, fresh, port)
    if not check(sa_old and sa_new, "SYN-ACKs for both flows"):
        return
    s0 = synq_stats()
    raw_seg(r, fresh, port, isn_new + 1, sa_new["seq"] + 1, "A")
    raw_seg(r, old, port, isn_old + 1, sa_old["seq"] + 1, "A")
    age = time.monotonic() - t_old
    rst = wait_seg(r, port, old, 2)
    a, peer = accept(l, timeout=3)
    s1 = synq_stats()
    d = (s1["SyncookiesFailed"] - s0["SyncookiesFailed"],
         s1["SyncookiesRecv"] - s0["SyncookiesRecv"])
    log("old cookie ACKed %.2f s after its SYN-ACK: answered %s; "
        "SyncookiesFailed, Recv %s; accepted port %d" %
        (age, rst and rst["flags"], d, peer[1]))
    check(age > 5 and rst is not None and "R" in rst["flags"],
          "the stale cookie got an RST")
    check(d == (1, 1) and peer[1] == fresh,
          "only the fresh cookie made a child: %s, port %d" % (d, peer[1]))
    a.close()
    l.close()
    r.close()


# --- rawpeer ----------------------------------------------------------------

# The raw peers' own segments carry this mark: the client namespace drops
# the RSTs its kernel sends for their flows, and only those.
RAW_MARK = 0x5e


def raw6():
    """A raw IPv6 TCP socket in the client namespace, its segments marked."""
    with cli_ns().inside():
        r = sl.raw_tcp6_socket()
    r.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, RAW_MARK)
    return r


def raw_handshake_listener(kind, port, tclass):
    l = listener(kind, A6, "::", port, 0)
    l.setsockopt(V6, socket.IPV6_TCLASS, tclass)
    return l


def wait_seg(r, sport, dport, timeout, want=None):
    end = time.time() + timeout
    while time.time() < end:
        p = sl.recv_segment6(r, ARGS.cli_ip6, end - time.time())
        if p and p["sport"] == sport and p["dport"] == dport and \
                (want is None or p["flags"] == want):
            return p
    return None


def raw_seg(r, sport, port, seq, ack, flags, **kw):
    """Send one segment of the raw peer's flow sport -> port; it."""
    seg = sl.tcp_segment(ARGS.cli_ip6, ARGS.srv_ip6, sport, port, seq, ack,
                         sl.flags_num(flags), **kw)
    r.sendto(seg, (ARGS.srv_ip6, 0))
    return seg


def raw_syn(r, sport, port, opts=None):
    """The raw peer's SYN: (its ISN, the SYN's bytes, the SYN-ACK or None)."""
    isn = sl.rand32()
    syn = raw_seg(r, sport, port, isn, 0, "S",
                  opts=sl.linux_options(mss=1400) if opts is None else opts)
    return isn, syn, wait_seg(r, port, sport, 5, "SA")


def knob(kind, name, value):
    """net.synq.NAME for synq, net.ipv4.tcp_NAME for TCP."""
    sysctl(("net.synq." if kind == "synq" else "net.ipv4.tcp_") + name, value)


def opt_kinds(p):
    return [k for k in p["options"]["kinds"] if k != sl.TCPOPT_NOP]


def rawpeer_run(kind, port):
    """One raw peer's handshake against a kind listener: what it saw."""
    out = {}
    l = raw_handshake_listener(kind, port, 0x28)
    r = raw6()
    sport = 41000 + (port % 100)
    isn, syn, sa = raw_syn(r, sport, port, sl.linux_options(
        mss=1400, sack=True, ts=(1000, 0), ws=7))
    if not check(sa is not None, "%s: a SYN-ACK" % kind):
        return out
    out["ack"] = sa["ack"] == isn + 1
    out["opts"] = opt_kinds(sa)
    out["mss"] = sa["options"].get("mss")
    out["wscale"] = sa["options"].get("ws")
    out["tclass"] = sa["tclass"]
    # (Its checksum: TCP's is left to the veth "offload", unfinished as
    # a raw socket sees it; synq's is complete.  Not compared.)
    # A duplicate SYN: the same ISN again.  (Its flow label: TCP's is a
    # new one, synq's the same; logged, not compared.)
    r.sendto(syn, (ARGS.srv_ip6, 0))
    dup = wait_seg(r, port, sport, 5, "SA")
    out["dup_same_isn"] = dup is not None and dup["seq"] == sa["seq"]
    log("%s: duplicate SYN's SYN-ACK: flow label %s" %
        (kind, "the same" if dup and dup["flowlabel"] == sa["flowlabel"]
         else "new"))
    # The retransmission (1 s): same ISN; with SO_TXREHASH on (the
    # default), a new flow label, which the child keeps.
    re = wait_seg(r, port, sport, 3, "SA")
    out["retrans_same_isn"] = re is not None and re["seq"] == sa["seq"]
    out["retrans_new_label"] = re is not None and \
        re["flowlabel"] != sa["flowlabel"]
    out["labels_nonzero"] = bool(sa["flowlabel"]) and bool(re and
                                                           re["flowlabel"])
    # The final ACK with data: the child answers with the same label.
    ts = sa["options"].get("ts")
    aopts = sl.linux_options(ts=(1001, ts[0])) if ts else b""
    raw_seg(r, sport, port, isn + 1, sa["seq"] + 1, "PA", opts=aopts,
            payload=b"hello", window=1000)
    a, peer = accept(l, timeout=5)
    out["peer"] = (peer[0], peer[1] == sport)
    out["data"] = a.recv(5)
    a.send(b"world")
    d = wait_seg(r, port, sport, 5)
    out["child_label"] = d is not None and re is not None and \
        d["flowlabel"] == re["flowlabel"]
    out["child_tclass"] = d["tclass"] if d else None
    a.close()
    l.close()
    r.close()
    return out


def rawpeer_rst_expiry(kind, port):
    """An RST in window removes the pending SYN; synack_retries 1: the
    entry expires.  What was seen."""
    out = {}
    knob(kind, "synack_retries", 1)
    l = listener(kind, A6, "::", port, 0)
    r = raw6()
    sport = 42000 + (port % 100)
    isn, syn, sa = raw_syn(r, sport, port)
    raw_seg(r, sport, port, isn + 1, 0, "R")
    time.sleep(0.3)
    # After the RST the SYN is new: a SYN-ACK with a fresh entry, and then
    # no retransmission after the first (synack_retries 1) but one.
    r.sendto(syn, (ARGS.srv_ip6, 0))
    t0 = time.time()
    n = 0
    while wait_seg(r, port, sport, 4.5, "SA"):
        n += 1
    out["synacks_after_rst"] = n
    out["first_synack"] = sa is not None
    if kind == "synq":
        out["qlen_end"] = sl.synq_info(l)["qlen"]
    knob(kind, "synack_retries", 5)
    log("%s: %d SYN-ACKs in %.1f s after the RST" % (kind, n, time.time() - t0))
    l.close()
    r.close()
    return out


def scenario_rawpeer():
    res = {}
    for kind in kinds():
        res[kind] = rawpeer_run(kind, 36000 + (kind == "synq"))
        log("%s: %s" % (kind, res[kind]))
    check(res["tcp"] == res["synq"], "handshake: synq %s, TCP %s" %
          (res["synq"], res["tcp"]))
    t = res["tcp"]
    check(t.get("tclass") == 0x28 and t.get("retrans_new_label") and
          t.get("child_label") and t.get("labels_nonzero"),
          "TCP oracle as expected: %s" % t)
    res = {}
    for kind in kinds():
        res[kind] = rawpeer_rst_expiry(kind, 36010 + (kind == "synq"))
    q = res["synq"].pop("qlen_end", None)
    check(q == 0, "synq: the entry expired (qlen %s)" % q)
    check(res["tcp"] == res["synq"], "RST and expiry: synq %s, TCP %s" %
          (res["synq"], res["tcp"]))
    check(res["tcp"]["synacks_after_rst"] == 2,
          "TCP oracle: 2 SYN-ACKs with synack_retries 1: %s" % res["tcp"])


# --- exthdr -----------------------------------------------------------------

def ext_header(nexthdr, kind_byte, opts):
    """A Hop-by-Hop or Destination Options header holding opts, padded
    to 8 bytes with PadN."""
    body = opts
    pad = (8 - (2 + len(body)) % 8) % 8
    if pad == 1:
        body += b"\x00"
    elif pad:
        body += bytes([1, pad - 2]) + bytes(pad - 2)
    return bytes([nexthdr, (2 + len(body)) // 8 - 1]) + body


def exthdr_run(kind, port, hbh, dst):
    """Handshake with a raw IPv6 sender whose final ACK carries a
    Hop-by-Hop header with hbh and a Destination Options header with dst
    (None: none): whether accept() got the child."""
    l = listener(kind, A6, "::", port, 0)
    r = raw6()
    with cli_ns().inside():
        w = sl.raw_ip6_socket()
    w.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, RAW_MARK)
    sport = 43000 + (port % 100)
    isn, _, sa = raw_syn(r, sport, port)
    if sa is None:
        l.close()
        return "no SYN-ACK"
    ack = sl.tcp_segment(ARGS.cli_ip6, ARGS.srv_ip6, sport, port, isn + 1,
                         sa["seq"] + 1, sl.flags_num("A"))
    chain = b""
    nxt = socket.IPPROTO_TCP
    if dst is not None:
        chain = ext_header(nxt, 60, dst)
        nxt = 60
    if hbh is not None:
        chain = ext_header(nxt, 0, hbh) + chain
        nxt = 0
    pkt = sl.ip6_header(ARGS.cli_ip6, ARGS.srv_ip6, len(chain) + len(ack),
                        nexthdr=nxt) + chain + ack
    w.sendto(pkt, (ARGS.srv_ip6, 0))
    rdy, _, _ = select.select([l], [], [], 1.5)
    answer = wait_seg(r, port, sport, 0.3)
    got = "child" if rdy else "none"
    if answer and "R" in answer["flags"]:
        got += "+RST"
    l.close()
    r.close()
    w.close()
    return got


EXT_CASES = [
    ("Hop-by-Hop padding", b"", None),
    ("Destination padding", None, b""),
    ("both, padding", b"", b""),
    ("Destination: unknown option, skip", None, bytes([0x1e, 2, 0, 0])),
    ("Destination: unknown option, discard", None, bytes([0x5e, 2, 0, 0])),
    ("Destination: unknown option, ICMP", None, bytes([0x9e, 2, 0, 0])),
    ("Destination: PadN not zeros", None, bytes([1, 2, 1, 1])),
]


def scenario_exthdr():
    port = 37000
    for name, hbh, dst in EXT_CASES:
        got = {}
        for kind in kinds():
            got[kind] = exthdr_run(kind, port, hbh, dst)
            port += 1
        log("%s: TCP %s, synq %s" % (name, got["tcp"], got["synq"]))
        check(got["tcp"] == got["synq"], "%s: synq %s, TCP %s" %
              (name, got["synq"], got["tcp"]))
        if "padding" in name or "skip" in name:
            check(got["tcp"] == "child", "TCP oracle, %s: %s" %
                  (name, got["tcp"]))


# --- overflow ---------------------------------------------------------------

def overflow_run(kind, port, abort):
    """A raw peer's SYN gets its SYN-ACK while the accept queue has room;
    two kernel clients then fill it (backlog 1); the raw peer's final ACK
    meets the full queue.  What it is answered with, and how many children
    accept() gets once it has made room for one and the raw peer has sent
    its ACK again."""
    knob(kind, "abort_on_overflow", abort)
    l = listener(kind, A6, "::", port, 0, backlog=1)
    r = raw6()
    sport = 42500 + (port % 100)
    isn, _, sa = raw_syn(r, sport, port)
    cs = [connect(ARGS.srv_ip6, port, timeout=5) for _ in range(2)]
    time.sleep(0.3)
    ack = sl.tcp_segment(ARGS.cli_ip6, ARGS.srv_ip6, sport, port, isn + 1,
                         sa["seq"] + 1 if sa else 0, sl.flags_num("A"))
    r.sendto(ack, (ARGS.srv_ip6, 0))
    answer = "no RST"
    end = time.time() + 1
    while time.time() < end:
        ans = wait_seg(r, port, sport, end - time.time())
        if ans and "R" in ans["flags"]:
            answer = "RST"
    # (A SYN-ACK retransmitted meanwhile is no answer to the ACK.)
    a, _ = accept(l)
    a.close()
    r.sendto(ack, (ARGS.srv_ip6, 0))
    n = 0
    end = time.time() + 2
    while time.time() < end:
        rdy, _, _ = select.select([l], [], [], 0.3)
        if rdy:
            a, _ = l.accept()
            a.close()
            n += 1
    for c in cs:
        c.close()
    l.close()
    r.close()
    knob(kind, "abort_on_overflow", 0)
    return answer, n


def scenario_overflow():
    want = {0: ("no RST", 2), 1: ("RST", 1)}
    for abort in (0, 1):
        got = {}
        for kind in kinds():
            got[kind] = overflow_run(kind, 38000 + 2 * abort + (kind == "synq"),
                                     abort)
        log("abort_on_overflow=%d: the final ACK on a full queue answered "
            "%s, then %d more children (TCP: %s, %d)" %
            ((abort,) + got["synq"] + got["tcp"]))
        check(got["tcp"] == got["synq"], "abort_on_overflow=%d: synq %s, "
              "TCP %s" % (abort, got["synq"], got["tcp"]))
        # The oracle: abort answers with an RST; otherwise the ACK is
        # dropped, and sent again it completes.
        check(got["tcp"] == want[abort], "TCP oracle, abort_on_overflow=%d:"
              " %s, want %s" % (abort, got["tcp"], want[abort]))


# --- lifecycle --------------------------------------------------------------

def wait_slab(name, most, timeout):
    end = time.time() + timeout
    n = sl.slab_active(name)
    while n > most and time.time() < end:
        time.sleep(0.1)
        n = sl.slab_active(name)
    return n


def scenario_lifecycle():
    base = sl.slab_active("synq_entry6")
    l = listener("synq", A6, "::", 39000, 0)
    flood6(ARGS.srv_ip6, 39000, 200, prefix="fd00:3::")
    time.sleep(0.5)
    q = sl.synq_info(l)["qlen"]
    held = sl.slab_active("synq_entry6")
    log("200 spoofed SYNs: qlen %d, synq_entry6 %d (was %d)" % (q, held, base))
    # (SLUB's count of a cache in use is a little off on the debug kernel.)
    check(q == 200 and held >= base + 180, "200 pending IPv6 entries: "
          "qlen %d, slab %d" % (q, held))
    l.close()
    n = wait_slab("synq_entry6", base, 2)
    check(n <= base, "close(): synq_entry6 back to %d (is %d)" % (base, n))


# --- firewall ---------------------------------------------------------------

def nft(ns, script):
    with ns.inside():
        subprocess.run(["nft", "-f", "-"], input=script, text=True,
                       check=True)


def firewall_run(kind, port, prio):
    """An ip6 input chain at priority prio drops the client's segments
    after its SYN: no child; once the rule is gone, the client's data
    completes the handshake.  What accept() saw, before and after."""
    l = listener(kind, A6, "::", port, 0)
    nft(srv_ns(), """table ip6 synq_fw {
        chain in {
            type filter hook input priority %d; policy accept;
            tcp dport %d tcp flags & (syn | ack) == ack counter drop
        }
    }""" % (prio, port))
    c = connect(ARGS.srv_ip6, port, timeout=5)
    rdy, _, _ = select.select([l], [], [], 1.5)
    before = "child" if rdy else "none"
    nft(srv_ns(), "delete table ip6 synq_fw")
    c.send(b"data")
    after = "none"
    rdy, _, _ = select.select([l], [], [], 8)
    if rdy:
        a, _ = accept(l)
        after = "child with %r" % a.recv(4)
        a.close()
    c.close()
    l.close()
    return before, after


def scenario_firewall():
    port = 39600
    for prio in (-300, -150, 0, 150, 300):
        got = {}
        for kind in kinds():
            got[kind] = firewall_run(kind, port, prio)
            port += 1
        log("ip6 input priority %d drops the final ACK: TCP %s, synq %s" %
            (prio, got["tcp"], got["synq"]))
        check(got["tcp"] == got["synq"], "priority %d: synq %s, TCP %s" %
              (prio, got["synq"], got["tcp"]))
        check(got["tcp"] == ("none", "child with b'data'"),
              "TCP oracle, priority %d: %s" % (prio, got["tcp"]))


# --- listener checks ------------------------------------------------------------

IPV6_MINHOPCOUNT = 73


def checks_run(kind, port, setup):
    """Whether an IPv6 client is served by a kind listener that setup(l)
    configured, and TcpExt TCPMinTTLDrop's change."""
    l = listener(kind, A6, "::", port, 0)
    setup(l)
    m0 = tcp_mibs()
    try:
        c = connect(ARGS.srv_ip6, port, timeout=2)
        rdy, _, _ = select.select([l], [], [], 1.5)
        got = "served" if rdy else "not served"
        c.close()
    except OSError as e:
        got = errname(e)
    m1 = tcp_mibs()
    l.close()
    return got, m1["TcpExt.TCPMinTTLDrop"] - m0["TcpExt.TCPMinTTLDrop"]


def scenario_checks():
    """IPv6's listener checks, as TCP's: IPV6_MINHOPCOUNT, a socket filter;
    and what synq refuses on IPv6 sockets."""
    cases = [
        ("IPV6_MINHOPCOUNT 255", lambda l: l.setsockopt(V6, IPV6_MINHOPCOUNT,
                                                        255)),
        ("IPV6_MINHOPCOUNT 1", lambda l: l.setsockopt(V6, IPV6_MINHOPCOUNT,
                                                      1)),
        ("a socket filter dropping all", lambda l: sl.attach_filter(
            l, [(0x06, 0, 0, 0)])),
    ]
    port = 39900
    for name, setup in cases:
        got = {}
        for kind in kinds():
            got[kind] = checks_run(kind, port, setup)
            port += 1
        log("%s: TCP %s, synq %s" % (name, got["tcp"], got["synq"]))
        check(got["tcp"] == got["synq"], "%s: synq %s, TCP %s" %
              (name, got["synq"], got["tcp"]))
    # Refused on an IPv6 synq socket, loudly, as on IPv4: SO_REUSEPORT.
    with srv_ns().inside():
        s = socket.socket(A6, socket.SOCK_STREAM, sl.IPPROTO_SYNQ)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    check(outcome(lambda: s.bind(("::", 39990))) == os.strerror(95),
          "SO_REUSEPORT on an IPv6 synq socket: bind() EOPNOTSUPP")
    s.close()
    # The SOL_SYNQ options and SYNQ_INFO, as on IPv4.
    l = listener("synq", A6, "::", 39991, 0, backlog=9)
    sl.set_synq_opt(l, sl.SYNQ_SYNCOOKIES, 2)
    info = sl.synq_info(l)
    check(sl.get_synq_opt(l, sl.SYNQ_SYNCOOKIES) == 2 and
          info["syncookies"] == 2 and info["max_ack_backlog"] == 9 and
          info["state"] == 10,
          "SOL_SYNQ and SYNQ_INFO on IPv6: %s" % info)
    check(outcome(lambda: sl.set_synq_opt(l, sl.SYNQ_SYNCOOKIES, 3)) ==
          os.strerror(22), "SYNQ_SYNCOOKIES 3: EINVAL")
    l.close()


# --- md5 --------------------------------------------------------------------

MD5_MIBS = ("TCPMD5NotFound", "TCPMD5Unexpected", "TCPMD5Failure")


def md5_moved(m0, m1):
    """Which TcpExt TCPMD5* drop counters moved between m0 and m1."""
    return ",".join(n for n in MD5_MIBS
                    if m1["TcpExt." + n] != m0["TcpExt." + n]) or "none"


def md5_client(kind, port, src6, srv_key, cli_key, key_for, cookies):
    """A kernel client (IPv6 if src6, else IPv4) signing with cli_key, to
    a dual-stack kind listener keyed srv_key for key_for: what it got
    ("connected/accepted/echo", "timeout/none"...), and the counters."""
    dst = ARGS.srv_ip6 if src6 else ARGS.srv_ip
    if cookies:
        cookie_mode(kind, True)
    l = listener(kind, A6, "::", port, 0)
    if srv_key:
        sl.set_md5sig(l, key_for, srv_key)
    m0 = tcp_mibs()
    with cli_ns().inside():
        c = socket.socket(A6 if src6 else socket.AF_INET, socket.SOCK_STREAM)
    if cli_key:
        sl.set_md5sig(c, dst, cli_key)
    c.settimeout(3)
    try:
        c.connect((dst, port))
        got = "connected"
    except OSError as e:
        got = "timeout" if isinstance(e, socket.timeout) else errname(e)
    rdy, _, _ = select.select([l], [], [], 2 if got == "connected" else 0.1)
    if rdy:
        a, _ = accept(l)
        c.sendall(b"ping")
        a.sendall(a.recv(4))
        got += "/accepted/" + ("echo" if recv_all(c, 4) == b"ping" else "no echo")
        a.close()
    else:
        got += "/none"
    c.close()
    l.close()
    if cookies:
        cookie_mode(kind, False)
    return got, md5_moved(m0, tcp_mibs())


def md5_raw(kind, port):
    """A raw IPv6 peer with the listener's key: its signed SYN's SYN-ACK,
    then final ACKs signed with a wrong key, unsigned, and right (with
    data): what each did."""
    key = b"s3cret"
    out = {}
    l = listener(kind, A6, "::", port, 0)
    sl.set_md5sig(l, ARGS.cli_ip6, key)
    r = raw6()
    sport = 43000 + port % 100
    isn = sl.rand32()
    raw_seg(r, sport, port, isn, 0, "S", md5key=key,
            opts=sl.linux_options(mss=1400, sack=True, ts=(1000, 0), ws=7))
    sa = wait_seg(r, port, sport, 5, "SA")
    if not check(sa is not None, "%s: a SYN-ACK to the signed SYN" % kind):
        return out
    out["synack"] = "signed" if sl.tcp_md5_ok(sa, key) else "unsigned"
    # (MD5 and SACK: no TS, as tcp_synack_options().)
    out["opts"] = opt_kinds(sa)
    ts = sa["options"].get("ts")
    aopts = sl.linux_options(ts=(1001, ts[0])) if ts else b""
    for name, k, data in (("wrong", b"wrong", b""), ("unsigned", None, b""),
                          ("right", key, b"synq")):
        m0 = tcp_mibs()
        raw_seg(r, sport, port, isn + 1, sa["seq"] + 1, "PA" if data else "A",
                opts=aopts, md5key=k, payload=data)
        rdy, _, _ = select.select([l], [], [], 1.5 if data else 0.3)
        got = "none"
        if rdy:
            a, _ = accept(l)
            got = "accepted:%s" % a.recv(4).decode()
            a.close()
        out[name] = "%s %s" % (got, md5_moved(m0, tcp_mibs()))
    r.close()
    l.close()
    return out


def scenario_md5():
    """TCP_MD5SIG on dual-stack listeners, synq against TCP."""
    c6, c4 = ARGS.cli_ip6, ARGS.cli_ip
    m4 = "::ffff:" + c4
    ok = ("connected/accepted/echo", "none")
    # name, IPv6 client, server key, client key, key for, cookies, TCP's
    cases = [
        ("IPv6, the right key", True, b"k3y", b"k3y", c6, False, ok),
        ("IPv6, a wrong key", True, b"k3y", b"bad", c6, False,
         ("timeout/none", "TCPMD5Failure")),
        ("IPv6, no client key", True, b"k3y", None, c6, False,
         ("timeout/none", "TCPMD5NotFound")),
        ("IPv6, no listener key", True, None, b"k3y", c6, False,
         ("timeout/none", "TCPMD5Unexpected")),
        ("IPv6, a key for another address", True, b"k3y", None,
         "fd00:1::99", False, ok),
        ("IPv6, the right key, cookies", True, b"k3y", b"k3y", c6, True, ok),
        ("IPv4, a v4-mapped key", False, b"k3y", b"k3y", m4, False, ok),
        ("IPv4, a v4-mapped key, cookies", False, b"k3y", b"k3y", m4, True,
         ok),
        ("IPv4, a key for its IPv6 address only", False, b"k3y", b"k3y", c6,
         False, ("timeout/none", "TCPMD5Unexpected")),
    ]
    port = 37600
    for name, src6, skey, ckey, key_for, cookies, want in cases:
        got = {}
        for kind in kinds():
            got[kind] = md5_client(kind, port, src6, skey, ckey, key_for,
                                   cookies)
            port += 1
        log("%s: TCP %s, synq %s" % (name, got["tcp"], got["synq"]))
        check(got["tcp"] == got["synq"], "%s: synq %s, TCP %s" %
              (name, got["synq"], got["tcp"]))
        check(got["tcp"] == want, "TCP oracle, %s: %s, want %s" %
              (name, got["tcp"], want))
    res = {}
    for kind in kinds():
        res[kind] = md5_raw(kind, port)
        port += 1
        log("%s: raw peer: %s" % (kind, res[kind]))
    check(res["tcp"] == res["synq"], "raw peer: synq %s, TCP %s" %
          (res["synq"], res["tcp"]))
    # The SYN offered SACK and TS: MD5, MSS, SACK_PERM, WS and no TS.
    check(res["tcp"] == {"synack": "signed", "opts": [19, 2, 4, 3],
                         "wrong": "none TCPMD5Failure",
                         "unsigned": "none TCPMD5NotFound",
                         "right": "accepted:synq none"},
          "TCP oracle, raw peer: %s" % res["tcp"])


# --- xfrm -------------------------------------------------------------------

def xfrm_policy(op, src, dst, port):
    """ip xfrm policy op (add, delete) in the server's namespace: an
    inbound policy for TCP from src to dst:port that blocks it."""
    n = 128 if ":" in src else 32
    cmd = ["ip", "xfrm", "policy", op, "src", "%s/%d" % (src, n),
           "dst", "%s/%d" % (dst, n), "proto", "tcp", "dport", str(port),
           "dir", "in"] + (["action", "block"] if op == "add" else [])
    with srv_ns().inside():
        subprocess.run(cmd, check=True)


def xfrm_blocked():
    """XfrmInPolBlock of the server's namespace."""
    with srv_ns().inside(), open("/proc/net/xfrm_stat") as f:
        for line in f:
            k, v = line.split()
            if k == "XfrmInPolBlock":
                return int(v)
    return None


class RawPeer:
    """The raw peer of either family in the client namespace: an IPv6 one
    as raw6(); an IPv4 one (to the dual-stack listener) with a raw
    IPPROTO_TCP socket, whose packets come with their IP header."""

    def __init__(self, v6):
        self.v6 = v6
        self.src = ARGS.cli_ip6 if v6 else ARGS.cli_ip
        self.dst = ARGS.srv_ip6 if v6 else ARGS.srv_ip
        if v6:
            self.r = raw6()
        else:
            with cli_ns().inside():
                self.r = sl.raw_tcp_socket()
            self.r.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, RAW_MARK)

    def send(self, sport, port, seq, ack, flags, **kw):
        seg = sl.tcp_segment(self.src, self.dst, sport, port, seq, ack,
                             sl.flags_num(flags), **kw)
        self.r.sendto(seg, (self.dst, 0))

    def recv(self, timeout):
        if self.v6:
            return sl.recv_segment6(self.r, self.src, timeout)
        self.r.settimeout(timeout)
        try:
            p = sl.parse_packet(self.r.recv(65535), csum=False)
        except socket.timeout:
            return None
        return p if p and p["dst"] == self.src else {"sport": None}

    def wait(self, sport, dport, timeout, want=None):
        end = time.time() + timeout
        while time.time() < end:
            p = self.recv(end - time.time())
            if p and p["sport"] == sport and p["dport"] == dport and \
                    (want is None or p["flags"] == want):
                return p
        return None

    def close(self):
        self.r.close()


def xfrm_run(kind, port, v6, cookies):
    """An inbound xfrm block policy against a raw peer's flows to a kind
    dual-stack listener: on its SYN, then on its final ACK only (added
    after the SYN-ACK); then, the policy gone, that ACK again.  What each
    did, and XfrmInPolBlock's change."""
    out = {}
    cookie_mode(kind, cookies)
    l = listener(kind, A6, "::", port, 0)
    p = RawPeer(v6)
    sport = 43500 + port % 100
    b0 = xfrm_blocked()
    xfrm_policy("add", p.src, p.dst, port)
    p.send(sport, port, sl.rand32(), 0, "S", opts=sl.linux_options(mss=1400))
    out["syn"] = "SYN-ACK" if p.wait(port, sport, 1.5, "SA") else "none"
    xfrm_policy("delete", p.src, p.dst, port)
    isn = sl.rand32()
    p.send(sport + 1, port, isn, 0, "S", opts=sl.linux_options(mss=1400))
    sa = p.wait(port, sport + 1, 5, "SA")
    if not check(sa is not None, "%s: a SYN-ACK with no policy" % kind):
        return out
    xfrm_policy("add", p.src, p.dst, port)
    ack = (sport + 1, port, isn + 1, sa["seq"] + 1, "PA")
    p.send(*ack, payload=b"xfrm")
    rdy, _, _ = select.select([l], [], [], 1.0)
    out["ack"] = "child" if rdy else "none"
    xfrm_policy("delete", p.src, p.dst, port)
    out["blocked"] = xfrm_blocked() - b0
    p.send(*ack, payload=b"xfrm")
    out["again"] = "none"
    rdy, _, _ = select.select([l], [], [], 5)
    if rdy:
        a, _ = accept(l)
        out["again"] = "child with %r" % a.recv(4)
        a.close()
    p.close()
    l.close()
    cookie_mode(kind, False)
    return out


def scenario_xfrm():
    """IPv6's (and, on the dual-stack listener, IPv4's) xfrm policy check,
    as TCP's: a blocked SYN gets nothing; a blocked final ACK, stateful
    or a cookie, makes no child, and once the policy is gone the same ACK
    does."""
    port = 37900
    for v6 in (True, False):
        for cookies in (False, True):
            got = {}
            for kind in kinds():
                got[kind] = xfrm_run(kind, port, v6, cookies)
                port += 1
            name = "%s%s" % ("IPv6" if v6 else "IPv4",
                             ", cookies" if cookies else "")
            log("%s: TCP %s, synq %s" % (name, got["tcp"], got["synq"]))
            check(got["tcp"] == got["synq"], "%s: synq %s, TCP %s" %
                  (name, got["synq"], got["tcp"]))
            check(got["tcp"] == {"syn": "none", "ack": "none", "blocked": 2,
                                 "again": "child with b'xfrm'"},
                  "TCP oracle, %s: %s" % (name, got["tcp"]))


# --- fuzz -------------------------------------------------------------------

EXT_KINDS = (0, 60, 43, 44, 51, 50, 59, 135, 139, 140, 253)


def random_tlvs(rnd):
    out = b""
    for _ in range(rnd.randint(0, 4)):
        t = rnd.choice((0, 1, 1, 0x1e, 0x5e, 0x9e, 0xde, 0xc2, 0x05, 0x3e,
                        rnd.randrange(256)))
        if t == 0:
            out += b"\x00"
            continue
        ln = rnd.choice((0, 1, 2, 4, 6, rnd.randrange(256)))
        body = bytes(ln) if t == 1 and rnd.random() < 0.7 else \
            bytes(rnd.randrange(256) for _ in range(min(ln, 40)))
        out += bytes([t, ln]) + body
    return out


def random_ext(rnd, nxt, kind):
    """One extension header of kind in front of nxt, often malformed."""
    if kind in (0, 60):
        return ext_header(nxt, kind, random_tlvs(rnd)) if rnd.random() < 0.8 \
            else bytes([nxt, rnd.randrange(256)]) + \
            bytes(rnd.randrange(256) for _ in range(rnd.choice((0, 6, 14))))
    if kind == 43:      # Routing: type 0/2/3/4, segments left 0 or not
        segs = rnd.choice((0, 0, 1, 2, 255))
        n = rnd.choice((0, 1, 2))
        return bytes([nxt, 2 * n, rnd.choice((0, 2, 3, 4, 253)), segs]) + \
            bytes(4) + bytes(16 * n)
    if kind == 44:      # Fragment: offset, M bit, id
        return struct.pack("!BBHI", nxt, 0, rnd.choice((0, 1, 8, 0x1000)) |
                           rnd.choice((0, 1)), rnd.randrange(1 << 32))
    if kind == 51:      # AH with a bogus SPI
        return bytes([nxt, 4, 0, 0]) + os.urandom(20)
    return bytes([nxt, 0]) + os.urandom(6)


def hostile6(rnd, src, dst, sport, dport):
    """A hostile IPv6 packet for dport, as bytes for raw_ip6_socket()."""
    flags = rnd.choice((sl.flags_num("S"), sl.flags_num("A"),
                        sl.flags_num("R"), sl.flags_num("SA"),
                        sl.flags_num("SF"), sl.flags_num("SR"),
                        rnd.randrange(256)))
    opts = bytes(rnd.randrange(256) for _ in range(rnd.choice((0, 4, 8,
                                                                 20, 40))))
    seg = sl.tcp_segment(src, dst, sport, dport, sl.rand32(), sl.rand32(),
                         flags, opts=opts[:40],
                         payload=os.urandom(rnd.choice((0, 0, 1, 100))),
                         doff=rnd.choice((None, None, None, 0, 4, 5, 15)),
                         badcsum=rnd.random() < 0.2,
                         trunc=rnd.choice((None,) * 8 + (3, 12, 19)))
    chain, nxt = b"", socket.IPPROTO_TCP
    for _ in range(rnd.choice((0, 0, 1, 1, 2, 3))):
        kind = rnd.choice(EXT_KINDS)
        if kind in (59, 50, 135, 139, 140, 253):
            nxt = kind      # an upper layer synq does not parse
            continue
        chain = random_ext(rnd, nxt, kind) + chain
        nxt = kind
    body = chain + seg
    plen = len(body)
    r = rnd.random()
    if r < 0.05:
        plen += rnd.choice((1, 8, 100))     # longer than the packet
    elif r < 0.1:
        plen = max(0, plen - rnd.choice((1, 8, 20)))  # shorter
    return sl.ip6_header(src, dst, plen, nexthdr=nxt) + body


def scenario_fuzz():
    """ARGS.count hostile IPv6 packets against a synq listener, a real
    connect() every 500: every connect is served, no packet makes a child,
    v4-mapped sources are counted Malformed, the table stays within its
    size, and its entries go when it closes."""
    seed = int.from_bytes(os.urandom(4), "big") if ARGS.seed is None \
        else ARGS.seed
    log("seed %d" % seed)
    import random
    rnd = random.Random(seed)
    port = 39800
    sysctl("net.synq.syncookies", 1)
    base = sl.slab_active("synq_entry6")
    l = listener("synq", A6, "::", port, 0, backlog=1024)
    with cli_ns().inside():
        w = sl.raw_ip6_socket()
    s0 = synq_stats()
    mapped = connects = 0
    errors = []
    for i in range(ARGS.count):
        if rnd.random() < 0.02:     # a valid SYN from a v4-mapped source
            src = "::ffff:10.%d.%d.%d" % (rnd.randrange(256),
                                          rnd.randrange(256),
                                          rnd.randrange(1, 255))
            seg = sl.tcp_segment(src, ARGS.srv_ip6, 44000 + i % 1000, port,
                                 sl.rand32(), 0, sl.flags_num("S"))
            pkt = sl.ip6_header(src, ARGS.srv_ip6, len(seg)) + seg
            mapped += 1
        else:
            src = "fd00:5::%x:%x" % (rnd.randrange(1, 65536),
                                     rnd.randrange(65536))
            pkt = hostile6(rnd, src, ARGS.srv_ip6, 44000 + i % 1000,
                           rnd.choice((port, port, port, port + 1)))
        try:
            w.sendto(pkt, (ARGS.srv_ip6, 0))
        except OSError:
            pass    # the client's own stack refused it: nothing sent
        if i % 500 == 499:
            connects += 1
            echo_errors, _ = run_echo(l, ARGS.srv_ip6, port, 1, False)
            errors += echo_errors
    w.close()
    time.sleep(0.5)
    info = sl.synq_info(l)
    s1 = synq_stats()
    delta = {k: s1[k] - s0[k] for k in s1 if s1[k] != s0[k]}
    log("%d packets, %d connects, %d v4-mapped SYNs; SYNQ_INFO qlen %d of "
        "%d, accepted %d; counters moved: %s" %
        (ARGS.count, connects, mapped, info["qlen"], info["nr_table_entries"],
         info["accepted"], delta))
    check(not errors, "every connect served: %s" % errors[:3])
    check(info["accepted"] == connects, "children: %d, connects %d" %
          (info["accepted"], connects))
    check(info["ack_backlog"] == 0, "no child from a hostile packet "
          "(ack_backlog %d)" % info["ack_backlog"])
    check(delta.get("Malformed", 0) == mapped, "Malformed +%d, v4-mapped "
          "SYNs %d" % (delta.get("Malformed", 0), mapped))
    check(info["qlen"] <= info["nr_table_entries"], "qlen within the table")
    l.close()
    n = wait_slab("synq_entry6", base, 3)
    check(n <= base, "close(): synq_entry6 back to %d (is %d)" % (base, n))


# --- hold: pending entries left to process exit --------------------------------

def scenario_hold():
    """A listener with --count pending IPv6 entries (spoofed SYNs); writes
    --ready-file, then waits for --hold-file and exits without close()."""
    l = listener("synq", A6, "::", 39700, 0, backlog=4096)
    flood6(ARGS.srv_ip6, 39700, ARGS.count, prefix="fd00:3::")
    end = time.time() + 10
    while sl.synq_info(l)["qlen"] < ARGS.count and time.time() < end:
        time.sleep(0.1)
    q = sl.synq_info(l)["qlen"]
    check(q == ARGS.count, "%d pending IPv6 entries (qlen %d)" % (ARGS.count, q))
    with open(ARGS.ready_file, "w") as f:
        f.write("%d\n" % q)
    while not os.path.exists(ARGS.hold_file):
        time.sleep(0.1)
    os._exit(1 if BAD else 0)


# --- proc -------------------------------------------------------------------

def scenario_proc():
    """/proc/net/synq shows IPv6 listeners as [addr]:port, ss as tcp6."""
    with srv_ns().inside():
        ls = []
        for addr, port, v6only in (("::", 39500, 0),
                                   (ARGS.srv_ip6, 39501, 1)):
            s = socket.socket(A6, socket.SOCK_STREAM, sl.IPPROTO_SYNQ)
            s.setsockopt(V6, socket.IPV6_V6ONLY, v6only)
            s.bind((addr, port))
            s.listen(7)
            ls.append(s)
        with open("/proc/thread-self/net/synq") as f:
            txt = f.read()
        ss = subprocess.run(["ss", "-Hltn6",
                             "sport >= :39500 and sport <= :39501"],
                            capture_output=True, text=True, check=False).stdout
    log(txt.rstrip())
    log(ss.rstrip())
    lines = {w[0]: w for w in (x.split() for x in txt.splitlines()[1:])}
    for name in ("[::]:39500", "[%s]:39501" % ARGS.srv_ip6):
        check(name in lines and lines[name][1] == "7",
              "/proc/net/synq: %s, backlog 7" % name)
    check(ss.count("LISTEN") == 2, "ss -6: 2 listeners")
    for s in ls:
        s.close()


SCENARIOS = {
    "checks": scenario_checks,
    "fuzz": scenario_fuzz,
    "firewall": scenario_firewall,
    "hold": scenario_hold,
    "proc": scenario_proc,
    "ports": scenario_ports,
    "v6only": scenario_v6only,
    "traffic": scenario_traffic,
    "cookies": scenario_cookies,
    "flood": scenario_flood,
    "rawpeer": scenario_rawpeer,
    "exthdr": scenario_exthdr,
    "overflow": scenario_overflow,
    "lifecycle": scenario_lifecycle,
    "md5": scenario_md5,
    "pause": scenario_pause,
    "stale": scenario_stale,
    "xfrm": scenario_xfrm,
}


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--cli", required=True)
    ap.add_argument("--srv", required=True)
    ap.add_argument("--cli-ip", required=True)
    ap.add_argument("--srv-ip", required=True)
    ap.add_argument("--cli-ip6", required=True)
    ap.add_argument("--srv-ip6", required=True)
    ap.add_argument("--kind", default="synq", choices=("tcp", "synq"))
    ap.add_argument("--seq", type=int, default=1000)
    ap.add_argument("--conc", type=int, default=200)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--ready-file")
    ap.add_argument("--hold-file")
    ARGS = ap.parse_args()
    SCENARIOS[ARGS.scenario]()
    if BAD:
        print("%d check(s) failed" % len(BAD))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
