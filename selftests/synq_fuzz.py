#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""synq_fuzz: hostile IPv4/TCP segments against two synq listeners.

One process, driven by synq_fuzz.sh: it setns()es into the server
namespace to create two synq listeners and to read their SYNQ_INFO and
/proc/net/stat/synq, and stays in the client namespace to send, from an
IP_HDRINCL raw socket, at least -n segments:

  garbage   random flags, seq and ack; doff 0..15, also past the segment's
            end; every TCP option kind with lengths 0, 1, right, past the
            header; truncated headers; bad checksums; IP options (ihl > 5);
            IP fragments; SYNs with absurd options; spoofed sources; other
            ports.  Nothing is predicted of these but that they make no
            child.
  flows     a SYN (ordinary or with hostile options) from one of the client's
            flow addresses, its SYN-ACK sniffed on a raw socket, then 1 to 3
            mutated segments built on it: final ACKs and RSTs with the right
            or wrong seq/ack, hostile options, data, SYN/FIN/URG/ECE/CWR
            bits, bad checksums, wrong doff, truncation, IP options (NOPs;
            record route too with --rr), IP fragments.  A model of synq's
            rules (an in-window RST removes the entry, a SYN on a tuple
            without one makes one, an ACK with ack == ISS + 1 and seq in
            the 64 KiB window makes the child; a cookie needs seq and ack
            exactly) predicts, per flow, whether a child appears: exactly
            those must be accepted.
  connects  every --connect-every segments a real connect() from an ordinary
            TCP socket, alternately to each listener; the server must accept
            it and data must cross both ways.

The listeners: T (table; synack_retries 1, so that entries expire 3 s after
their SYN; max_syn_backlog 65536, backlog 4096: 8192 entries, never full,
so T never sends a cookie) and C (syncookies 2: cookies only).  After the
fuzz: SYNQ_INFO qlen equals the synq_entry objects allocated, qlen and
qlen_young reach 0 once the entries expire, the netns counters add up,
both listeners close and their ports can be listened on again.

Output: "# ..." lines (the seed first), and --out FILE: JSON with the
numbers and "checks": {name: {ok, got, want}}.  Exit status 0 when every
check held, 1 when one failed, 2 on a set-up error.

Sources: garbage from --cli-ip ports 20000-24999 (never a SYN that could
make an entry there) and from 10.99.0.0/16 (the server routes it to the
client, which drops it); flows from --flow-net .64-.95 ports 25000-29999,
which the caller adds to the client; the client's kernel must not reset
those (nft: RSTs from ports 20000-29999 with TTL != --ttl are dropped; all
this sends has TTL --ttl).  The seed fixes every choice made here; the
kernel's ISNs and cookie keys still differ from run to run.

False alarms: a random ACK passes a cookie's 22-bit MAC with p = 2^-22
(about 10^-3 per run of 10^5 segments; printed); everything else asserted
is exact.
"""

import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synq_lib as sl  # noqa: E402
from synq_lib import FIN, SYN, RST, PSH, ACK, URG, ECE, CWR  # noqa: E402

M32 = 0xffffffff
GARBAGE_SPORTS = (20000, 24999)
FLOW_SPORTS = (25000, 29999)
FLOW_HOSTS = range(64, 96)
WINDOW = 65535                  # synq's window for an entry's seq (input.c)
ENTRY_SURE = 2.0                # s an entry surely lives (synack_retries 1)
T0 = time.monotonic()

# TCP option kinds worth naming: EOL NOP MSS WS SACK_PERM SACK TS MD5 UTO
# AO MPTCP FASTOPEN experimental.
KINDS = (0, 1, 2, 3, 4, 5, 8, 19, 28, 29, 30, 34, 253, 254)

# Every choice comes from this one generator, seeded with --seed; ri() and
# pick() are its randint() and choice(), several times cheaper (10^5
# segments under TCG).
RNG = random.Random()
_random = RNG.random


def ri(lo, hi):
    return lo + int(_random() * (hi - lo + 1))


def pick(seq):
    return seq[int(_random() * len(seq))]


def log(msg):
    sys.stdout.write("# [%6.1f] %s\n" % (time.monotonic() - T0, msg))
    sys.stdout.flush()


class SetupError(Exception):
    pass


class Checks:
    def __init__(self):
        self.res = {}

    def eq(self, name, got, want):
        ok = got == want
        self.res[name] = {"ok": ok, "got": got, "want": want}
        log("%s: %s: got %r, want %r" % ("ok" if ok else "FAIL", name, got,
                                          want))
        return ok

    def true(self, name, cond, detail=""):
        self.res[name] = {"ok": bool(cond), "got": detail, "want": True}
        log("%s: %s%s" % ("ok" if cond else "FAIL", name,
                          (" (%s)" % detail) if detail else ""))
        return bool(cond)

    def failed(self):
        return [k for k, v in self.res.items() if not v["ok"]]


def seg_opts(seg):
    """The option bytes of a TCP segment, up to its data offset."""
    d = (seg[12] >> 4) * 4 if len(seg) >= 13 else 0
    return seg[20:min(d, len(seg))]


def seg_options(seg):
    """(TSval or None, MD5 signature present) of a TCP segment: the TSval
    as synq_parse_options() (options.c) reads it, a malformed option ending
    the parse, and a TSval of 0 counting as none (no PAWS on ts_recent 0);
    the signature as TCP finds it (synq_lib.tcp_md5_opt())."""
    opts = seg_opts(seg)
    tsval, i, n = None, 0, len(opts)
    while n > 0:
        kind = opts[i]
        i += 1
        if kind == 0:
            break
        if kind == 1:
            n -= 1
            continue
        if n < 2:
            break
        size = opts[i]
        i += 1
        if size < 2 or size > n:
            break
        if kind == 8 and size == 10:
            tsval = int.from_bytes(opts[i:i + 4], "big")
        i += size - 2
        n -= size
    return tsval, sl.tcp_md5_opt(opts)


def seg_auth_bad(seg):
    """TCP (6.7 on) drops the segment for its options, whatever it is."""
    return sl.tcp_auth_opts_bad(seg_opts(seg))


class Flow:
    """One sniffed handshake and what the model expects of it."""
    __slots__ = ("src", "sport", "lport", "cookie", "isn", "iss", "tsval",
                 "t_syn", "t_last", "entry", "child", "late", "state",
                 "removed", "syn", "hist", "dropped")

    def __init__(self, src, sport, lport, cookie, isn, tsval, syn):
        self.src, self.sport, self.lport = src, sport, lport
        self.cookie = cookie
        self.isn, self.iss, self.tsval = isn, None, tsval
        self.t_syn = self.t_last = 0.0
        self.entry = None       # table listener: [irs, iss or None,
        #                         ts_recent or None]
        self.child = False      # the model says: a child was made
        self.late = False       # sent too late to be sure of the entry
        self.state = "syn"      # syn, stale (someone else's SYN-ACK), ok
        self.removed = 0        # entries removed by an RST (model)
        self.syn = syn          # the SYN packet, to send again
        self.hist = []          # what was sent, for a mismatch's report
        self.dropped = seg_auth_bad(syn)  # TCP drops the SYN (6.7 on)


class Fuzzer:
    def __init__(self, a):
        self.a = a
        RNG.seed(a.seed)
        self.rng = RNG
        self.chk = Checks()
        self.srv = sl.Netns(a.srv_ns)
        self.cli = sl.Netns(a.cli_ns)
        self.srv_ip, self.cli_ip = a.srv_ip, a.cli_ip
        net = a.flow_net.rsplit(".", 1)[0]
        self.flow_addrs = ["%s.%d" % (net, h) for h in FLOW_HOSTS]
        self.flow_keys = [(ad, p) for p in range(FLOW_SPORTS[0],
                                                 FLOW_SPORTS[1] + 1)
                          for ad in self.flow_addrs]
        self.next_key = 0
        self.flows = {}         # (src, sport, lport) -> Flow
        self.n = {"segments": 0, "packets": 0, "garbage": 0, "flow_syns": 0,
                  "flow_segs": 0, "send_errors": 0, "flows": 0,
                  "flows_no_synack": 0, "flows_stale": 0, "flows_late": 0,
                  "flows_checked": 0, "syn_resends": 0,
                  "flows_tcp_dropped": 0, "flows_tcp_drop_answered": 0,
                  "garbage_acks_cookie": 0, "fragmented": 0}
        self.mismatch = []
        self.done = {}
        self.pred = {"children_t": 0, "children_c": 0, "rst_removed": 0,
                     "rst_removed_late": 0, "late_children_t": 0,
                     "late_children_c": 0}
        # Written by the acceptor threads.
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.children = {}      # (src, sport, lport) -> children accepted
        self.garbage_children = []
        self.real_pending = set()
        self.real_children = {}
        self.acc = {"t": 0, "c": 0, "slow": 0, "max_s": 0.0, "data": 0}
        self.slow = []          # accept() calls that took > 0.1 s
        self.slow_keys = set()
        self.stop = False

        self.srv.enter()
        self.stats0 = sl.read_synq_stats()
        self.mibs0 = sl.read_tcp_mibs()
        self.slab0 = sl.slab_active("synq_entry")
        self.lt = self.listener(a.table_port, cookies=1, retries=1)
        self.lc = self.listener(a.cookie_port, cookies=2, retries=1)
        self.ports = {a.table_port: "t", a.cookie_port: "c"}
        self.check_setup()
        self.cli.enter()
        self.tx = sl.raw_ip_socket()
        self.rx = sl.raw_tcp_socket(rcvbuf=32 << 20)
        # Only SYN-ACKs: the RSTs and ACKs the fuzz draws are not read.
        sl.attach_filter(self.rx, sl.tcp_flags_filter(FIN | SYN | RST | ACK,
                                                      SYN | ACK))
        self.rx.setblocking(False)

    # --- set-up -------------------------------------------------------------

    def listener(self, port, cookies, retries):
        s = sl.synq_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sl.set_synq_opt(s, sl.SYNQ_SYNCOOKIES, cookies)
        sl.set_synq_opt(s, sl.SYNQ_SYNACK_RETRIES, retries)
        sl.set_synq_opt(s, sl.SYNQ_MAX_SYN_BACKLOG, 65536)
        s.bind((self.srv_ip, port))
        s.listen(4096)
        s.setblocking(False)
        return s

    def check_setup(self):
        c = self.chk
        for name, s, mode in (("T", self.lt, 1), ("C", self.lc, 2)):
            i = sl.synq_info(s)
            c.eq("run.%s SYNQ_SYNACK_RETRIES read back" % name,
                 sl.get_synq_opt(s, sl.SYNQ_SYNACK_RETRIES), 1)
            c.eq("run.%s SYNQ_INFO synack_retries" % name,
                 i["synack_retries"], 1)
            c.eq("run.%s SYNQ_INFO syncookies" % name, i["syncookies"], mode)
            c.eq("run.%s SYNQ_INFO nr_table_entries" % name,
                 i["nr_table_entries"], 8192)
            c.eq("run.%s SYNQ_INFO qlen at listen()" % name, i["qlen"], 0)

    # --- helpers ------------------------------------------------------------

    def rand32(self):
        return self.rng.getrandbits(32)

    def send(self, src, dst, seg, ipopts=b"", frag=None):
        """One segment in an IPv4 packet, or frag: "split" (two fragments,
        either order), "lone" (the first one only), "tail" (the last only),
        "overlap" (two that overlap)."""
        self.n["segments"] += 1
        pkts = []
        if frag is None or len(seg) < 16:
            pkts.append(sl.ip_header(src, dst, len(seg), ttl=self.a.ttl,
                                     options=ipopts) + seg)
        else:
            ident = ri(1, 65535)
            cut = 8 * ri(1, (len(seg) - 1) // 8)
            a_, b_ = seg[:cut], seg[cut:]
            h1 = sl.ip_header(src, dst, len(a_), ttl=self.a.ttl,
                              ident=ident, frag=sl.IP_MF, options=ipopts)
            off = cut // 8
            if frag == "overlap":
                off = max(0, off - 1)
            h2 = sl.ip_header(src, dst, len(b_), ttl=self.a.ttl,
                              ident=ident, frag=off, options=ipopts)
            if frag == "lone":
                pkts.append(h1 + a_)
            elif frag == "tail":
                pkts.append(h2 + b_)
            else:
                pkts += [h1 + a_, h2 + b_]
                if self.rng.random() < 0.5:
                    pkts.reverse()
            self.n["fragmented"] += 1
        for p in pkts:
            try:
                self.tx.sendto(p, (dst, 0))
            except OSError:
                # ENOBUFS and friends: the sender's problem, not synq's.
                self.n["send_errors"] += 1
                time.sleep(0.001)
                continue
            self.n["packets"] += 1

    def pump(self, timeout=0.0):
        """Read the SYN-ACKs the client received (waiting up to timeout s
        for the first): those of awaited flows give them their ISS."""
        if timeout > 0:
            select.select([self.rx], [], [], timeout)
        while True:
            try:
                pkt = self.rx.recv(128)
            except BlockingIOError:
                return
            ihl = (pkt[0] & 15) * 4
            if len(pkt) < ihl + 14 or pkt[ihl + 13] & 0x17 != 0x12:
                continue
            sport, dport, seq, ack = struct.unpack_from("!HHII", pkt, ihl)
            f = self.flows.get((socket.inet_ntoa(pkt[16:20]), dport, sport))
            if f is None or f.state != "syn":
                continue
            if ack == (f.isn + 1) & M32:
                f.iss = seq
                f.state = "ok"
            else:
                f.state = "stale"

    # --- garbage -------------------------------------------------------------

    def torture_options(self, maxlen=40):
        """TCP options of every kind, with lengths 0, 1, right, past the
        header's end, random; and well-formed ones with absurd values."""
        r = self.rng
        out = b""
        for _ in range(ri(1, 6)):
            kind = pick(KINDS) if r.random() < 0.6 else ri(0, 255)
            body = r.randbytes(ri(0, 12))
            x = r.random()
            if x < 0.15:
                ln = 0
            elif x < 0.3:
                ln = 1
            elif x < 0.55:
                ln = len(body) + 2
            elif x < 0.75:
                ln = ri(maxlen + 1, 255)
            elif x < 0.9:
                ln = ri(0, 255)
            else:
                body, ln = self.absurd_option()
            out += bytes([kind, ln & 0xff]) + body if x < 0.9 else body
        return out[:maxlen]

    def absurd_option(self):
        """A well-formed option with a value from the edges."""
        r = self.rng
        k = ri(0, 5)
        if k == 0:
            o = sl.tcp_option(2, struct.pack("!H", pick((0, 1, 8, 48, 88,
                                                            536, 65535))))
        elif k == 1:
            o = sl.tcp_option(3, bytes([pick((0, 14, 15, 16, 255))]))
        elif k == 2:
            o = sl.tcp_option(8, struct.pack("!II", pick((0, M32)),
                                             pick((0, M32))))
        elif k == 3:
            o = sl.tcp_option(5, r.randbytes(8 * ri(1, 4)))
        elif k == 4:
            o = sl.tcp_option(4)
        else:
            o = sl.tcp_option(34, r.randbytes(pick((0, 4, 8, 16))))
        return o, len(o)

    def garbage_ipopts(self):
        r = self.rng
        if r.random() < 0.5:
            return r.randbytes(4 * ri(1, 10))
        # A known option type with a lying length or pointer.
        t = pick((0, 1, 7, 68, 130, 131, 133, 134, 137, 148))
        ln = pick((0, 1, 2, 3, 4, 7, 11, 39, 40, 41, 255))
        return bytes([t, ln, ri(0, 255)]) + r.randbytes(
            ri(0, 37))

    def garbage(self):
        r = self.rng
        a = self.a
        x = r.random()
        dport = (a.table_port if x < 0.45 else a.cookie_port if x < 0.8
                 else ri(1, 65535) if x < 0.9
                 else pick((a.table_port + 2, a.cookie_port + 2)))
        flags = r.getrandbits(8)
        seq, ack = self.rand32(), self.rand32()
        opts, payload, doff, bad = b"", b"", None, r.random() < 0.1
        ipopts, frag, trunc, res = b"", None, None, 0
        kind = r.random()
        if kind < 0.3:                  # everything random
            opts = r.randbytes(ri(0, 40))
            if r.random() < 0.5:
                doff = ri(0, 15)
            payload = r.randbytes(pick((0, 0, 1, ri(2, 64))))
            res = r.getrandbits(4) if r.random() < 0.2 else 0
        elif kind < 0.55:               # option torture on SYNs and ACKs
            flags = pick((SYN, ACK, SYN, ACK | PSH, SYN | ECE | CWR,
                              flags))
            opts = self.torture_options()
            if r.random() < 0.3:
                doff = ri(0, 15)
        elif kind < 0.65:               # truncated header
            trunc = ri(0, 19)
            if r.random() < 0.5:        # or doff past a short segment
                trunc, doff = None, ri(6, 15)
        elif kind < 0.72:               # bad checksum on a plausible segment
            flags = pick((SYN, ACK, RST, ACK | PSH, RST | ACK))
            opts = sl.linux_options(mss=1460, sack=True,
                                    ts=(self.rand32(), 0), ws=7)
            bad = True
        elif kind < 0.82:               # IP options
            ipopts = self.garbage_ipopts()
        elif kind < 0.85:               # IP fragments
            frag = pick(("lone", "tail", "overlap", "split"))
            payload = r.randbytes(ri(8, 40))
        else:                           # SYNs with absurd options
            flags = SYN | (pick((0, ECE | CWR, PSH, URG, FIN)))
            opts = b"".join(self.absurd_option()[0]
                            for _ in range(ri(1, 4)))[:40]
            if r.random() < 0.3:
                payload = r.randbytes(ri(1, 100))
        # From the client's own address only what can make no entry there
        # (RSTs from the client's ports are then exactly the flows').
        src, sport = self.cli_ip, ri(*GARBAGE_SPORTS)
        if r.random() < 0.2 or flags & (SYN | ACK | RST | FIN) == SYN:
            src = "10.99.%d.%d" % (ri(0, 255), ri(1, 254))
            sport = ri(1, 65535)
        if dport == a.cookie_port and flags & (SYN | RST | ACK) == ACK:
            self.n["garbage_acks_cookie"] += 1
        seg = sl.tcp_segment(src, self.srv_ip, sport, dport, seq, ack, flags,
                             window=r.getrandbits(16), urg=r.getrandbits(16),
                             opts=opts, payload=payload, doff=doff,
                             badcsum=bad, trunc=trunc, res=res)
        self.n["garbage"] += 1
        self.send(src, self.srv_ip, seg, ipopts, frag)

    # --- flows --------------------------------------------------------------

    def flow_syn_options(self):
        r = self.rng
        x = r.random()
        tsval = self.rand32()
        if x < 0.5:
            return sl.linux_options(mss=1460, sack=True, ts=(tsval, 0),
                                    ws=7), tsval
        if x < 0.6:
            return b"", None
        if x < 0.7:
            return sl.linux_options(mss=pick((0, 1, 48, 536, 65535)),
                                    sack=r.random() < 0.5,
                                    ts=(tsval, M32) if r.random() < 0.5
                                    else None,
                                    ws=pick((0, 14, 15, 255))), tsval
        # hostile: the ordinary options among tortured ones (TS is taken
        # only if well-formed and reached)
        return (self.torture_options(20) + sl.linux_options(
            mss=1460, ts=(tsval, 0)))[:40], tsval

    def new_flow(self, cookie):
        key = self.flow_keys[self.next_key]
        self.next_key = (self.next_key + 1) % len(self.flow_keys)
        lport = self.a.cookie_port if cookie else self.a.table_port
        old = self.flows.pop(key + (lport,), None)
        if old is not None:
            self.finish_flow(old)
        r = self.rng
        isn = self.rand32()
        opts, tsval = self.flow_syn_options()
        flags = SYN | (ECE | CWR if r.random() < 0.1 else 0)
        payload = r.randbytes(ri(1, 64)) if r.random() < 0.05 else b""
        syn = sl.tcp_segment(key[0], self.srv_ip, key[1], lport, isn, 0,
                             flags, window=pick((0, 1, 512, 65535)),
                             opts=opts, payload=payload,
                             res=r.getrandbits(4) if r.random() < 0.05 else 0)
        f = Flow(key[0], key[1], lport, cookie, isn, tsval, syn)
        if not cookie and not f.dropped:
            f.entry = [isn, None, seg_options(syn)[0]]
        self.flows[key + (lport,)] = f
        self.n["flows"] += 1
        return f

    def seq_choice(self, irs1):
        r = self.rng
        x = r.random()
        if x < 0.65:
            return irs1
        if x < 0.73:
            return irs1 + ri(1, 64000)
        if x < 0.78:
            return irs1 + ri(64001, WINDOW - 1)
        if x < 0.81:
            return irs1 + WINDOW
        if x < 0.84:
            return irs1 - 1
        if x < 0.87:
            return irs1 - ri(2, 1000)
        return self.rand32()

    def ack_choice(self, iss1):
        r = self.rng
        x = r.random()
        if x < 0.7:
            return iss1
        if x < 0.75:
            return iss1 - 1
        if x < 0.8:
            return iss1 + 1
        if x < 0.85:
            return iss1 + ri(2, 1 << 31)
        if x < 0.95:
            return self.rand32()
        return 0

    def mutated(self, f, last):
        """One segment built on flow f's SYN-ACK; last: with probability
        1/2 a plain final ACK (which still may carry anything)."""
        r = self.rng
        irs1, iss1 = (f.isn + 1) & M32, (f.iss + 1) & M32
        clean = last and r.random() < 0.5
        if clean:
            flags = pick((ACK, ACK, ACK | PSH, ACK | FIN, ACK | URG,
                              ACK | ECE | CWR, ACK | PSH | FIN))
            seq, ack = irs1, iss1
        else:
            x = r.random()
            flags = (r.getrandbits(8) if x < 0.12 else
                     pick((ACK, ACK | PSH, ACK | FIN, ACK | URG, RST,
                               RST | ACK, SYN, SYN | ACK, SYN | FIN,
                               SYN | RST, FIN, PSH, 0, ACK | ECE | CWR,
                               RST | FIN, URG)))
            seq, ack = self.seq_choice(irs1), self.ack_choice(iss1)
        x = r.random()
        if x < 0.35:
            opts = b""
        elif x < 0.6 and f.tsval is not None:
            opts = sl.linux_options(ts=((f.tsval + ri(0, 1000)) & M32,
                                        r.getrandbits(32)))
        else:
            opts = self.torture_options()
        payload = (r.randbytes(ri(1, 300)) if r.random() < 0.3
                   else b"")
        doff = ri(0, 15) if not clean and r.random() < 0.12 else None
        bad = not clean and r.random() < 0.07
        trunc = None
        if not clean and r.random() < 0.03:
            trunc = ri(0, 20 + len(opts) + len(payload) - 1)
        res = r.getrandbits(4) if r.random() < 0.1 else 0
        ipopts = b""
        x = r.random()
        if x < 0.05:
            ipopts = b"\x01" * (4 * ri(1, 10))
        elif x < 0.1 and self.a.rr:
            # Record route, room for k addresses: IP writes ours in without
            # fixing the header checksum, and synq's nf_checksum() at
            # LOCAL_IN, which sums from the IP header, then calls the
            # segment corrupt (input.c, synq_pull()): off by default.
            k = ri(1, 9)
            ipopts = bytes([7, 3 + 4 * k, 4]) + b"\0" * (4 * k) + b"\x01"
        seg = sl.tcp_segment(f.src, self.srv_ip, f.sport, f.lport, seq, ack,
                             flags, window=r.getrandbits(16),
                             urg=r.getrandbits(16) if flags & URG else 0,
                             opts=opts, payload=payload, doff=doff,
                             badcsum=bad, trunc=trunc, res=res)
        frag = None
        x = r.random()
        if x < 0.05 and len(seg) >= 16:
            frag = "split"
        elif x < 0.06 and len(seg) >= 16 and not clean:
            frag = "lone"
        # Does synq see it at all?  Else TCP drops it, or IP never delivers.
        d = (seg[12] >> 4) * 4 if len(seg) >= 13 else 0
        valid = (len(seg) >= 20 and d >= 20 and d <= len(seg) and not bad
                 and frag != "lone")
        f.hist.append("%s%s seq%+d ack%+d len %d doff %d%s%s%s%s%s" % (
            sl.flags_str(flags) or "-", "" if valid else " (invalid)",
            ((seq - irs1 + (1 << 31)) & M32) - (1 << 31),
            ((ack - iss1 + (1 << 31)) & M32) - (1 << 31), len(seg), d,
            " badcsum" if bad else "", " trunc" if trunc is not None else "",
            " ipopts %s %d" % ("rr" if ipopts[:1] == b"\x07" else "nop",
                                len(ipopts)) if ipopts else "",
            " frag " + frag if frag else "", " opts %s" % opts.hex()
            if opts else ""))
        return seg, ipopts, frag, valid, flags, seq & M32, ack & M32

    def model(self, f, valid, flags, seq, ack, seg):
        """What synq does with it (syn.c, input.c); True when it makes the
        child.  As tcp_v4_rcv() and tcp_check_req(): a TCP-MD5 option is
        unexpected (dropped), and PAWS refuses an ACK or RST whose TSval is
        older than the entry's (its SYN's)."""
        if not valid or seg_auth_bad(seg):
            return False        # input.c drops it as tcp_inbound_hash()
        irs1 = lambda irs: (irs + 1) & M32          # noqa: E731
        tsval, md5 = seg_options(seg)
        if f.cookie:
            return (flags & (RST | SYN | ACK) == ACK and not md5 and
                    seq == irs1(f.isn) and ack == (f.iss + 1) & M32)
        e = f.entry
        paws = (e is not None and e[2] and tsval is not None and
                ((e[2] - tsval) & M32) - (1 << 32 if (e[2] - tsval) & (1 << 31)
                                          else 0) > 0)
        if flags & RST:
            if (e is not None and not md5 and not paws and
                    (seq - irs1(e[0])) & M32 < WINDOW):
                f.entry = None
                f.removed += 1
            return False
        if flags & SYN:
            if not flags & (ACK | FIN) and e is None:
                # a new entry, new ISS, its own TSval
                f.entry = [seq, None, seg_options(seg)[0]]
            return False
        if flags & ACK and e is not None and e[1] is not None:
            return (ack == (e[1] + 1) & M32 and not md5 and not paws and
                    (seq - irs1(e[0])) & M32 < WINDOW)
        return False

    def flow_batch(self):
        r = self.rng
        flows = [self.new_flow(r.random() < 0.4)
                 for _ in range(ri(4, 24))]
        self.pump()
        for f in flows:
            f.t_syn = time.monotonic()
            self.send(f.src, self.srv_ip, f.syn)
            self.n["flow_syns"] += 1
        end = time.monotonic() + 3.0
        resend = time.monotonic() + 1.0
        while any(f.state == "syn" and not f.dropped for f in flows):
            now = time.monotonic()
            if now >= end:
                break
            if now >= resend:
                for f in flows:
                    if f.state == "syn":
                        self.send(f.src, self.srv_ip, f.syn)
                        self.n["syn_resends"] += 1
                resend = end
            self.pump(min(0.05, end - now))
        live = []
        for f in flows:
            if f.dropped:
                self.n["flows_tcp_dropped" if f.state == "syn" else
                       "flows_tcp_drop_answered"] += 1
            elif f.state == "syn":
                self.n["flows_no_synack"] += 1
            elif f.state == "stale":
                self.n["flows_stale"] += 1
            else:
                if f.entry is not None:
                    f.entry[1] = f.iss
                live.append((f, ri(1, 3)))
        # Interleaved: a segment of each flow in turn.
        while live:
            nxt = []
            for f, k in live:
                seg, ipopts, frag, valid, flags, seq, ack = \
                    self.mutated(f, k == 1)
                self.send(f.src, self.srv_ip, seg, ipopts, frag)
                self.n["flow_segs"] += 1
                f.t_last = time.monotonic()
                if f.t_last - f.t_syn > ENTRY_SURE and not f.cookie:
                    f.late = True
                if self.model(f, valid, flags, seq, ack, seg):
                    f.child = True
                elif k > 1:
                    nxt.append((f, k - 1))
            live = nxt

    def finish_flow(self, f):
        """Compare what was accepted for flow f with the model."""
        if f.state != "ok":
            return
        key = (f.src, f.sport, f.lport)
        if key in self.slow_keys:
            self.done[key] = f  # for the report of slow accept() calls
        with self.lock:
            got = self.children.pop(key, 0)
        if f.late:
            # Not checked: the entry may have expired meanwhile.  What it
            # did is counted for the totals.
            self.n["flows_late"] += 1
            self.pred["rst_removed_late"] += f.removed
            self.pred["late_children_c" if f.cookie else
                      "late_children_t"] += got
            return
        self.n["flows_checked"] += 1
        self.pred["rst_removed"] += f.removed
        if f.child:
            self.pred["children_c" if f.cookie else "children_t"] += 1
        if got != int(f.child):
            self.mismatch.append({"flow": "%s:%d -> %d" % key,
                                  "cookie": f.cookie, "children": got,
                                  "predicted": int(f.child),
                                  "sent": f.hist})

    # --- the server's side: accept() ----------------------------------------

    def acceptor(self):
        names = {self.lt.fileno(): "t", self.lc.fileno(): "c"}
        rng = random.Random(self.a.seed + 1)
        while not self.stop:
            r, _, _ = select.select([self.lt, self.lc], [], [], 0.05)
            for ls in r:
                while True:
                    t0 = time.monotonic()
                    try:
                        c, peer = ls.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    dt = time.monotonic() - t0
                    try:
                        self.file_child(names[ls.fileno()],
                                        ls.getsockname()[1], c, peer, dt,
                                        rng)
                    except OSError as e:
                        log("acceptor: %s" % e)
                        c.close()

    LINGER0 = struct.pack("ii", 1, 0)

    def file_child(self, name, lport, c, peer, dt, rng):
        """Count an accepted child; hand a real one over, close a fuzz one
        (with an RST: nothing lingers on the flow's 4-tuple)."""
        key = (peer[0], peer[1], lport)
        state = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        with self.lock:
            self.acc[name] += 1
            self.acc["max_s"] = max(self.acc["max_s"], dt)
            if dt > 0.1:
                # synq's accept() waits up to 200 ms for a child still in
                # SYN_RECV (socket.c), even on a non-blocking listener.
                self.acc["slow"] += 1
                self.slow.append((key, dt, state))
                self.slow_keys.add(key)
            if key in self.real_pending:
                self.real_children[key] = c
                self.cond.notify_all()
                return
            if peer[0] in self.flow_set and \
               FLOW_SPORTS[0] <= peer[1] <= FLOW_SPORTS[1]:
                self.children[key] = self.children.get(key, 0) + 1
            else:
                self.garbage_children.append("%s:%d -> %d" % key)
        if rng.random() < 0.1:
            # The child sends with the options it was given.
            try:
                c.setblocking(False)
                c.send(b"x" * 3000)
                with self.lock:
                    self.acc["data"] += 1
            except OSError:
                pass
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, self.LINGER0)
        c.close()

    # --- real clients --------------------------------------------------------

    def real_connect(self, i):
        lport = self.a.table_port if i % 2 == 0 else self.a.cookie_port
        msg = b"synq-fuzz real connect %d\n" % i
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(10)
        c.bind((self.cli_ip, 0))
        key = (self.cli_ip, c.getsockname()[1], lport)
        with self.lock:
            self.real_pending.add(key)
        res = {"connect": False, "accepted": False, "data": False}
        child = None
        try:
            c.connect((self.srv_ip, lport))
            res["connect"] = True
            c.sendall(msg)
            with self.cond:
                self.cond.wait_for(lambda: key in self.real_children, 10)
                child = self.real_children.pop(key, None)
            if child is not None:
                res["accepted"] = True
                child.setblocking(True)
                child.settimeout(10)
                got = b""
                while len(got) < len(msg):
                    d = child.recv(len(msg) - len(got))
                    if not d:
                        break
                    got += d
                child.sendall(b"pong")
                back = c.recv(4)
                res["data"] = got == msg and back == b"pong"
        except OSError as e:
            res["error"] = "%s" % e
        finally:
            with self.lock:
                self.real_pending.discard(key)
            c.close()
            if child is not None:
                child.close()
        res["listener"] = self.ports[lport]
        return res

    # --- the run -------------------------------------------------------------

    def run(self):
        a, r = self.a, self.rng
        self.flow_set = set(self.flow_addrs)
        threads = [threading.Thread(target=self.acceptor, daemon=True)
                   for _ in range(4)]
        for t in threads:
            t.start()
        log("fuzzing: %d segments, seed %d, time bound %s s" %
            (a.n, a.seed, a.secs or "none"))
        drops0 = backlog_drops()
        real = []
        t_start = time.monotonic()
        deadline = t_start + a.secs if a.secs else None
        next_connect, next_log, bound = a.connect_every, 10000, False
        while self.n["segments"] < a.n:
            if deadline and time.monotonic() >= deadline:
                bound = True
                break
            if self.n["segments"] >= next_connect:
                real.append(self.real_connect(len(real)))
                next_connect += a.connect_every
            if self.n["segments"] >= next_log:
                log("%d segments sent (%d flows), %.0f/s" %
                    (self.n["segments"], self.n["flows"], self.n["segments"]
                     / (time.monotonic() - t_start)))
                next_log += 10000
            if r.random() < 0.15:
                self.flow_batch()
            else:
                for _ in range(ri(1, 32)):
                    self.garbage()
                self.pump()
        self.t_end = time.monotonic()
        t_fuzz = self.t_end - t_start
        log("sent %d segments (%d packets, %d garbage, %d flows, %d flow "
            "segments, %d send errors) in %.1f s%s" %
            (self.n["segments"], self.n["packets"], self.n["garbage"],
             self.n["flows"], self.n["flow_segs"], self.n["send_errors"],
             t_fuzz, " (time bound reached)" if bound else ""))
        self.t_fuzz, self.bound = t_fuzz, bound
        # Else a segment the model counts on may never have reached synq.
        self.chk.eq("run.packets dropped by an input backlog "
                    "(softnet_stat)", backlog_drops() - drops0, 0)
        self.real = real
        self.after(threads)

    def info2(self):
        return sl.synq_info(self.lt), sl.synq_info(self.lc)

    def after(self, threads):
        c = self.chk
        time.sleep(0.3)         # the last segments, processed
        self.srv.enter()
        # Quiescent: nothing more comes in; the timer only retransmits and
        # expires (qlen_young only falls), so SYNQ_INFO and the slab agree.
        for _ in range(10):
            now = time.monotonic()
            it0, ic0 = self.info2()
            slab = sl.slab_active("synq_entry") - self.slab0
            it, ic = self.info2()
            if it0["qlen"] == it["qlen"]:
                break
        # Entries the model knows of that surely still live (their SYN was
        # sent less than ENTRY_SURE s ago), and surely are still young.
        pend = [now - f.t_syn for f in self.flows.values()
                if not f.cookie and f.state == "ok" and not f.child and
                f.entry is not None]
        recent = sum(1 for age in pend if age < ENTRY_SURE)
        young = sum(1 for age in pend if age < 0.8)
        log("after the fuzz: T qlen %d young %d acked %d; C qlen %d; "
            "synq_entry objects %+d; flow entries that surely live: %d "
            "(young %d)" % (it["qlen"], it["qlen_young"], it["acked"],
                            ic["qlen"], slab, recent, young))
        if kfence_active():
            # KFENCE serves some allocations from its own pool, which
            # /proc/slabinfo does not count (at most its 255 objects).
            c.true("qlen.synq_entry objects allocated == T qlen (KFENCE: "
                   "minus up to 255 of its objects)",
                   0 <= it0["qlen"] - slab <= 255,
                   "slab %d, qlen %d" % (slab, it0["qlen"]))
        else:
            c.eq("qlen.synq_entry objects allocated == T qlen", slab,
                 it0["qlen"])
        c.true("qlen.T qlen >= flow entries that surely still live",
               it["qlen"] >= recent, "qlen %d, entries %d" % (it["qlen"],
                                                              recent))
        c.true("qlen.T qlen_young >= flow entries younger than 0.8 s",
               it["qlen_young"] >= young,
               "qlen_young %d, entries %d" % (it["qlen_young"], young))
        c.true("qlen.T qlen_young <= qlen <= nr_table_entries",
               it["qlen_young"] <= it["qlen"] <= it["nr_table_entries"],
               "%d <= %d <= %d" % (it["qlen_young"], it["qlen"],
                                   it["nr_table_entries"]))
        c.eq("qlen.T acked (ACKs that found the accept queue full)",
             it["acked"], 0)
        c.eq("qlen.C qlen (cookies only)", ic["qlen"], 0)
        # Predicted children: wait until accepted (or 5 s).
        want = {(f.src, f.sport, f.lport) for f in self.flows.values()
                if f.child and f.state == "ok"}

        def have_all():
            with self.lock:
                return all(k in self.children for k in want)
        end = time.monotonic() + 5
        while not have_all() and time.monotonic() < end:
            time.sleep(0.05)
        # Expiry: 3 s after the last SYN, plus sweep ticks.
        t0 = time.monotonic()
        while time.monotonic() - t0 < 15:
            it, ic = self.info2()
            if it["qlen"] == 0 and it["qlen_young"] == 0:
                break
            time.sleep(0.1)
        t_exp = time.monotonic() - t0
        since = time.monotonic() - self.t_end
        slab = sl.slab_active("synq_entry") - self.slab0
        log("expired in %.1f s: T qlen %d young %d acked %d expired %d; "
            "synq_entry objects %+d" % (t_exp, it["qlen"], it["qlen_young"],
                                        it["acked"], it["expired"], slab))
        c.eq("qlen.T qlen after expiry", it["qlen"], 0)
        # synack_retries 1: 1 s, a retransmit, 2 s more, then expiry (plus
        # the table's 100 ms ticks and a slow VM).
        c.true("qlen.T empty within 6 s of the last segment (synack_retries "
               "1)", it["qlen"] == 0 and since < 6.0, "%.1f s" % since)
        c.eq("qlen.T qlen_young after expiry", it["qlen_young"], 0)
        c.eq("qlen.T acked after expiry", it["acked"], 0)
        c.eq("qlen.C qlen after expiry", ic["qlen"], 0)
        c.eq("qlen.synq_entry objects allocated after expiry", slab, 0)
        # Last children, then stop accepting.
        time.sleep(0.5)
        self.stop = True
        for t in threads:
            t.join(5)
        for f in list(self.flows.values()):
            self.finish_flow(f)
        self.check_children(it, ic)
        self.check_real()
        self.check_stats(it, ic)
        self.close_listeners()

    def check_children(self, it, ic):
        c, n = self.chk, self.n
        log("flows: %d, checked %d, no SYN-ACK %d, stale %d, late %d; "
            "SYN resends %d; children predicted T %d C %d; accept() calls "
            "> 0.1 s: %d (longest %.2f s); children that sent data: %d" %
            (n["flows"], n["flows_checked"], n["flows_no_synack"],
             n["flows_stale"], n["flows_late"], n["syn_resends"],
             self.pred["children_t"], self.pred["children_c"],
             self.acc["slow"], self.acc["max_s"], self.acc["data"]))
        for m in self.mismatch[:20]:
            log("mismatch: %s" % m)
        tcp_states = {1: "ESTABLISHED", 3: "SYN_RECV", 7: "CLOSE",
                      8: "CLOSE_WAIT"}
        for key, dt, state in self.slow[:5]:
            f = self.done.get(key)
            log("accept() took %.2f s, child in %s: %s:%d -> %d, sent %s" %
                (dt, tcp_states.get(state, state), key[0], key[1], key[2],
                 f.hist if f else "?"))
        c.true("child.flows checked against the model",
               n["flows_checked"] > 0 and self.pred["children_t"] > 0 and
               self.pred["children_c"] > 0,
               "%d flows, %d + %d children" % (n["flows_checked"],
                                               self.pred["children_t"],
                                               self.pred["children_c"]))
        c.eq("child.flows whose children differ from the model",
             len(self.mismatch), 0)
        c.eq("child.flow SYNs without their SYN-ACK",
             n["flows_no_synack"] + n["flows_stale"], 0)
        c.eq("child.flow SYNs TCP drops for their options (%d) answered" %
             n["flows_tcp_dropped"], n["flows_tcp_drop_answered"], 0)
        left = sum(self.children.values())
        c.eq("child.children of flows not (or no longer) sent", left, 0)
        c.eq("child.children from garbage", self.garbage_children[:10], [])
        log("garbage ACKs to the cookie listener: %d (each forges a cookie "
            "with p = 2^-22: expected false children %.1e)" %
            (n["garbage_acks_cookie"], n["garbage_acks_cookie"] / 2 ** 22))
        real_t = sum(1 for x in self.real if x["listener"] == "t" and
                     x["accepted"])
        real_c = sum(1 for x in self.real if x["listener"] == "c" and
                     x["accepted"])
        c.eq("child.T SYNQ_INFO accepted == flow children + real connects",
             it["accepted"], self.pred["children_t"] + real_t +
             self.pred["late_children_t"])
        c.eq("child.C SYNQ_INFO accepted == flow children + real connects",
             ic["accepted"], self.pred["children_c"] + real_c +
             self.pred["late_children_c"])
        c.eq("child.C SYNQ_INFO cookies_recv == its children",
             ic["cookies_recv"], ic["accepted"])
        c.eq("child.T SYNQ_INFO cookies_sent (its table never fills)",
             it["cookies_sent"], 0)
        c.eq("child.T SYNQ_INFO overflows", it["overflows"], 0)
        c.eq("child.C SYNQ_INFO overflows", ic["overflows"], 0)

    def check_real(self):
        c, a = self.chk, self.a
        n = len(self.real)
        # One each time the count passed a multiple of connect_every; the
        # loop stops before the last one.
        want = max(2, self.n["segments"] // a.connect_every - 1)
        bad = [x for x in self.real if not (x["connect"] and x["accepted"]
                                            and x["data"])]
        log("real connects: %d, failed %d %s" % (n, len(bad), bad[:5]))
        c.true("real.connects made: one per %d segments" % a.connect_every,
               n >= want, "%d, want >= %d" % (n, want))
        c.eq("real.connect() failed", sum(1 for x in self.real
                                          if not x["connect"]), 0)
        c.eq("real.connects not accepted", sum(1 for x in self.real
                                               if not x["accepted"]), 0)
        c.eq("real.connects whose data did not cross both ways",
             len(bad), 0)

    def check_stats(self, it, ic):
        c = self.chk
        self.srv.enter()
        st = sl.read_synq_stats()
        d = {k: st[k] - self.stats0.get(k, 0) for k in st}
        self.stats = d
        mibs = sl.read_tcp_mibs()
        tcp = {k: v - self.mibs0.get(k, 0) for k, v in mibs.items()}
        log("counter deltas: %s" % " ".join("%s=%d" % (k, v)
                                            for k, v in d.items() if v))
        table_children = d["Children"] - d["SyncookiesRecv"]
        c.eq("stats.SynAcks == Expired + RstRemoved + table children",
             d["SynAcks"], d["Expired"] + d["RstRemoved"] + table_children)
        c.eq("stats.Expired == T SYNQ_INFO expired", d["Expired"],
             it["expired"])
        c.eq("stats.Children == T + C accepted", d["Children"],
             it["accepted"] + ic["accepted"])
        c.eq("stats.SyncookiesRecv == C cookies_recv", d["SyncookiesRecv"],
             ic["cookies_recv"])
        lo, hi = self.pred["rst_removed"], \
            self.pred["rst_removed"] + self.pred["rst_removed_late"]
        c.true("stats.RstRemoved == in-window RSTs of the flows",
               lo <= d["RstRemoved"] <= hi and lo > 0,
               "RstRemoved %d, model %d..%d" % (d["RstRemoved"], lo, hi))
        for k in ("ListenOverflows", "NoMem", "NoRoute", "TwRecycled",
                  "OverflowResets", "CookiePauses", "PausedCookies"):
            c.eq("stats.%s" % k, d.get(k, 0), 0)
        # Malformed and bad-checksum segments are TCP's to count now (SYNs
        # reach synq through tcp_v4_rcv(); the final-ACK hook leaves what
        # it cannot parse or checksum to TCP): none in synq's counters.
        c.true("stats.segments reached synq's checks, TCP's its own",
               d["Malformed"] == 0 and d["CsumErrors"] == 0 and
               tcp["Tcp.InCsumErrors"] > 0 and
               d["BadAcks"] > 0 and d["SyncookiesFailed"] > 0 and
               d["DupSyns"] > 0,
               "Malformed %d CsumErrors %d Tcp.InCsumErrors %d BadAcks %d "
               "SyncookiesFailed %d DupSyns %d" % (
                   d["Malformed"], d["CsumErrors"], tcp["Tcp.InCsumErrors"],
                   d["BadAcks"], d["SyncookiesFailed"], d["DupSyns"]))

    def close_listeners(self):
        c, a = self.chk, self.a
        self.srv.enter()
        t0 = time.monotonic()
        self.lt.close()
        self.lc.close()
        t_close = time.monotonic() - t0
        with open("/proc/thread-self/net/synq") as f:
            lines = f.read().splitlines()[1:]
        mine = [ln.split()[0] for ln in lines
                if ln.split()[0] in ("%s:%d" % (self.srv_ip, a.table_port),
                                     "%s:%d" % (self.srv_ip, a.cookie_port))]
        log("listeners closed in %.3f s" % t_close)
        c.true("close.close() returns at once", t_close < 1.0,
               "%.3f s" % t_close)
        c.eq("close./proc/net/synq lines of the closed listeners", mine, [])
        again = []
        for port in (a.table_port, a.cookie_port):
            try:
                # SO_REUSEADDR: past the TIME_WAITs of the real connections
                # (never past a listener that would still hold the port).
                s = sl.synq_socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((self.srv_ip, port))
                s.listen(8)
                again.append(sl.synq_info(s)["qlen"])
                s.close()
            except OSError as e:
                again.append(str(e))
        c.eq("close.listen() again on both ports: qlen", again, [0, 0])

    def result(self):
        return {"seed": self.a.seed, "n": self.a.n, "secs": self.a.secs,
                "time_bound_hit": self.bound, "fuzz_seconds":
                round(self.t_fuzz, 1), "counts": self.n,
                "predicted": self.pred, "accept": self.acc,
                "mismatch": self.mismatch[:50], "stats": self.stats,
                "real": {"n": len(self.real),
                         "failed": [x for x in self.real if not x["data"]]},
                "checks": self.chk.res}


def backlog_drops():
    """Packets the CPUs' input backlogs dropped (netdev_max_backlog), in
    all: /proc/net/softnet_stat's second column."""
    with open("/proc/net/softnet_stat") as f:
        return sum(int(ln.split()[1], 16) for ln in f if ln.strip())


def kfence_active():
    try:
        with open("/sys/module/kfence/parameters/sample_interval") as f:
            return int(f.read()) > 0
    except (OSError, ValueError):
        return False


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v, 0) if v else default


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--srv-ns", required=True)
    p.add_argument("--cli-ns", required=True)
    p.add_argument("--srv-ip", default="10.0.1.2")
    p.add_argument("--cli-ip", default="10.0.1.1")
    p.add_argument("--flow-net", default="10.0.1.0",
                   help="flows come from .64-.95 of this /24")
    p.add_argument("-n", type=int, default=env_int("SYNQ_FUZZ_N", 100000),
                   help="segments to send (SYNQ_FUZZ_N)")
    p.add_argument("--secs", type=float,
                   default=env_int("SYNQ_FUZZ_SECS", 0),
                   help="stop sending after this long (SYNQ_FUZZ_SECS)")
    p.add_argument("--seed", type=int, default=env_int("SYNQ_FUZZ_SEED", 1),
                   help="SYNQ_FUZZ_SEED")
    p.add_argument("--connect-every", type=int, default=1000)
    p.add_argument("--table-port", type=int, default=8081)
    p.add_argument("--cookie-port", type=int, default=8082)
    p.add_argument("--ttl", type=int, default=77)
    p.add_argument("--rr", action="store_true",
                   default=os.environ.get("SYNQ_FUZZ_RR") == "1",
                   help="IP record route options on the flows' segments too "
                   "(SYNQ_FUZZ_RR=1; synq misreads their checksum)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.n < 10 * a.connect_every:      # a short run still connects 10 times
        a.connect_every = max(50, a.n // 10)
    log("seed %d (SYNQ_FUZZ_SEED=%d reproduces this run's segments)" %
        (a.seed, a.seed))
    try:
        fz = Fuzzer(a)
        fz.run()
    except (SetupError, OSError) as e:
        log("FAIL: set-up: %s" % e)
        with open(a.out, "w") as f:
            json.dump({"error": str(e)}, f)
        return 2
    res = fz.result()
    with open(a.out + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.rename(a.out + ".tmp", a.out)
    bad = fz.chk.failed()
    log("%d checks, %d failed%s" % (len(fz.chk.res), len(bad),
                                     (": " + ", ".join(bad)) if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
