#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
synq_rawpeer.py: a TCP peer made by hand, for synq's handshake selftests.

Runs in the client network namespace.  Sends hand-made TCP segments through
a raw socket (socket(AF_INET, SOCK_RAW, IPPROTO_TCP): the kernel adds the IP
header) with correct (or deliberately wrong) checksums and options, and
receives the server's segments on the same raw socket, filed by port pair
with their kernel arrival time (SO_TIMESTAMPNS).  It also owns the synq
listeners of the server namespace (--srv-netns: it setns()es there to
create them) so that a test can read SYNQ_INFO and accept() from the same
process.  The client kernel must be kept from answering the server's
segments with RSTs (nft drops them); everything this peer sends has IP TTL
77 (--ttl) so that a rule "tcp flags rst, ip ttl != 77: drop" lets the
peer's own RSTs through.

Usage:
  synq_rawpeer.py [--src IP] [--dst IP] [--srv-netns NAME] serve
      reads commands, one a line "ID CMD KEY=VALUE...", answers each with
      one line "ID<TAB>JSON"; ends at EOF or "ID quit".
  synq_rawpeer.py [options] CMD KEY=VALUE...
      runs one command and prints its JSON answer.

Commands (ports are the client's sport and the server's dport):
  hello                              -> {"ok": true}
  sysctl KEY=VALUE...                write sysctls of the server netns
  listen port=P backlog=B [addr=IP]  synq listener in the server netns
  info port=P                        -> SYNQ_INFO as a dict
  wait port=P field=F value=V [cmp=eq|ne|ge|le] [timeout=S]
                                     poll SYNQ_INFO until it holds; -> ok,
                                     info, elapsed, since_send (seconds since
                                     the last segment this peer sent)
  accept port=P [timeout=S] [read=N] -> ok, peer, data (what the child read)
  close port=P                       close the listener and its children
  send sport=S dport=P [flags=S] [seq=N] [ack=N] [window=N] [urg=N]
       [mss=N] [ws=N] [sack=1] [ts=TSVAL[:TSECR]] [opts=HEX] [payload=TEXT]
       [doff=N] [badcsum=1] [trunc=N] [keep=1] [wait=S] [want=FLAGS]
                                     send one segment (flags: letters of
                                     FSRPAUEC or a number; seq random unless
                                     given; ack=iss+N: the server's ISN, as
                                     its last SYN-ACK said, plus N); with wait=S, -> "reply": the
                                     first segment of the flow (with all of
                                     want's flags, if given) within S s, or
                                     null.  Earlier segments of the flow are
                                     forgotten first unless keep=1.
  collect sport=S[,S...] dport=P [seconds=S] [until=FLAGS]
                                     every segment of the flows within S s
                                     (those already received included)
  watch sport=S dport=P [port=L] [seconds=S] [gone=1] [grace=S]
                                     every segment of the flow until S s
                                     after its last segment sent, polling
                                     listener L's qlen every 50 ms: ->
                                     segs, pending (last snapshot with
                                     qlen > 0 and its time), gone_at (when
                                     qlen was first 0); gone=1 stops grace
                                     s after that
  flood sport=S n=N dport=P [wait=S] [random=1] [info=L]
                                     N SYNs (random=1: random flags, numbers
                                     and options) from ports S..S+N-1, then
                                     collect for wait s; -> per port: what
                                     was sent and the flags of the replies;
                                     info=L: then listener L's SYNQ_INFO and
                                     its age (s since the first SYN)
  quit

Segments are dicts: sport, dport, seq, ack, flags ("SA"...), window, urg,
options {mss, ws, sack_perm, ts: [tsval, tsecr], kinds: [..]}, len
(payload), csum_ok, ttl, t (arrival, CLOCK_REALTIME seconds), rel (t minus
the time the last segment of the flow was sent).
"""

import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synq_lib  # noqa: E402  (synq's uapi, segments, namespaces)
from synq_lib import flags_num, flags_str, rand32  # noqa: E402


def build_options(a):
    """MSS, SACK_PERM, TS, WS in Linux's order and layout, then opts=HEX."""
    ts = None
    if "ts" in a:
        parts = str(a["ts"]).split(":")
        ts = (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0)
    o = synq_lib.linux_options(
        mss=int(a["mss"]) if "mss" in a else None,
        sack=str(a.get("sack", "0")) not in ("0", ""), ts=ts,
        ws=int(a["ws"]) if "ws" in a else None)
    if "opts" in a:
        o += bytes.fromhex(a["opts"])
    return o


class Peer:
    def __init__(self, src, dst, srv_netns, ttl):
        self.src = src
        self.dst = dst
        self.ttl = ttl
        self.srv_netns = srv_netns
        self.flows = {}             # (client port, server port) -> [seg]
        self.sent_at = {}           # (client port, server port) -> time
        self.iss = {}               # (client port, server port) -> ISN
        self.last_send = time.time()
        self.listeners = {}         # port -> socket
        self.children = {}          # port -> [socket]
        self.raw = synq_lib.raw_tcp_socket(rcvbuf=8 << 20, ttl=ttl,
                                           timestamps=True)

    # --- the server namespace ------------------------------------------

    def in_srv_netns(self, fn):
        """fn() called in the server namespace."""
        return synq_lib.in_netns(self.srv_netns, fn)

    def srv_socket(self):
        """A synq socket created in the server namespace."""
        return self.in_srv_netns(synq_lib.synq_socket)

    # --- receiving -----------------------------------------------------

    def pump(self, timeout):
        """Receive what arrives within timeout seconds (0: what is there)."""
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            r, _, _ = select.select([self.raw], [], [], left)
            if not r:
                return
            while True:
                try:
                    data, anc, _, _ = self.raw.recvmsg(
                        65535, socket.CMSG_SPACE(16), socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                t = synq_lib.recv_timestamp(anc, time.time())
                seg = synq_lib.parse_packet(data, t)
                if seg is None or seg["src"] != self.dst:
                    continue
                key = (seg["dport"], seg["sport"])
                if seg["flagbits"] & 0x12 == 0x12:
                    self.iss[key] = seg["seq"]
                if key in self.sent_at:
                    seg["rel"] = round(t - self.sent_at[key], 6)
                self.flows.setdefault(key, []).append(seg)
            if left <= 0:
                return

    def wait_seg(self, key, timeout, want=0):
        deadline = time.monotonic() + timeout
        while True:
            q = self.flows.get(key, [])
            for i, seg in enumerate(q):
                if seg["flagbits"] & want == want:
                    return q.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.pump(min(left, 0.05))

    # --- sending -------------------------------------------------------

    def send_seg(self, a):
        sport = int(a["sport"])
        dport = int(a["dport"])
        seq = int(a["seq"], 0) if "seq" in a else rand32()
        ack = a.get("ack", "0")
        if ack.startswith("iss+"):      # the flow's SYN-ACK's seq + N
            ack = self.iss[(sport, dport)] + int(ack[4:], 0)
        else:
            ack = int(ack, 0)
        ack &= 0xffffffff
        flags = flags_num(a.get("flags", "S"))
        opts = build_options(a)
        payload = a.get("payload", "").encode()
        seg = synq_lib.tcp_segment(
            self.src, self.dst, sport, dport, seq, ack, flags,
            window=int(a.get("window", "65535"), 0),
            urg=int(a.get("urg", "0"), 0), opts=opts, payload=payload,
            doff=int(a["doff"]) if "doff" in a else None,
            badcsum=a.get("badcsum", "0") == "1",
            trunc=int(a["trunc"]) if "trunc" in a else None)
        ttl = int(a.get("ttl", self.ttl))
        if ttl != self.ttl:
            self.raw.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        key = (sport, dport)
        if a.get("keep", "0") != "1":
            self.pump(0)
            self.flows.pop(key, None)
        now = time.time()
        self.raw.sendto(seg, (self.dst, 0))
        self.sent_at[key] = now
        self.last_send = now
        if ttl != self.ttl:
            self.raw.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, self.ttl)
        doff = (seg[12] >> 4) * 4 if len(seg) > 12 else 0
        return {"sport": sport, "dport": dport, "seq": seq, "ack": ack,
                "flags": flags_str(flags), "len": len(seg), "t": now,
                "auth_bad": synq_lib.tcp_auth_opts_bad(seg[20:doff])}

    # --- commands --------------------------------------------------------

    def cmd_hello(self, a):
        return {"ok": True}

    def cmd_sysctl(self, a):
        """Write sysctls of the server namespace: net.synq.x=V..."""
        def write():
            for k, v in a.items():
                # /proc/sys/net is the namespace of whoever opens it.
                synq_lib.write_sysctl(k, v)
        self.in_srv_netns(write)
        return {"ok": True}

    def cmd_listen(self, a):
        port = int(a["port"])
        s = self.srv_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.get("addr", self.dst), port))
        s.listen(int(a.get("backlog", "16")))
        self.listeners[port] = s
        self.children[port] = []
        return {"ok": True}

    def info(self, port):
        return synq_lib.synq_info(self.listeners[port])

    def cmd_info(self, a):
        return self.info(int(a["port"]))

    def cmd_wait(self, a):
        port = int(a["port"])
        field = a["field"]
        value = int(a["value"])
        cmp = {"eq": lambda x: x == value, "ne": lambda x: x != value,
               "ge": lambda x: x >= value, "le": lambda x: x <= value}
        test = cmp[a.get("cmp", "eq")]
        start = time.monotonic()
        deadline = start + float(a.get("timeout", "2"))
        while True:
            info = self.info(port)
            ok = test(info[field])
            if ok or time.monotonic() >= deadline:
                now = time.time()
                return {"ok": ok, "info": info,
                        "elapsed": round(time.monotonic() - start, 3),
                        "since_send": round(now - self.last_send, 3)}
            self.pump(0.02)

    def cmd_accept(self, a):
        port = int(a["port"])
        s = self.listeners[port]
        s.settimeout(float(a.get("timeout", "1")))
        try:
            c, peer = s.accept()
        except (socket.timeout, BlockingIOError):
            return {"ok": False}
        self.children[port].append(c)
        res = {"ok": True, "peer": [peer[0], peer[1]], "data": ""}
        n = int(a.get("read", "0"))
        if n:
            c.settimeout(float(a.get("timeout", "1")))
            data = b""
            try:
                while len(data) < n:
                    chunk = c.recv(n - len(data))
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                pass
            res["data"] = data.decode(errors="replace")
        return res

    def cmd_close(self, a):
        port = int(a["port"])
        for c in self.children.pop(port, []):
            c.close()
        s = self.listeners.pop(port, None)
        if s:
            s.close()
        return {"ok": s is not None}

    def cmd_send(self, a):
        sent = self.send_seg(a)
        res = {"sent": sent}
        if "wait" in a:
            key = (sent["sport"], sent["dport"])
            res["reply"] = self.wait_seg(key, float(a["wait"]),
                                         flags_num(a.get("want", "0")))
        return res

    def cmd_collect(self, a):
        dport = int(a["dport"])
        keys = [(int(p), dport) for p in a["sport"].split(",")]
        until = flags_num(a["until"]) if "until" in a else None
        deadline = time.monotonic() + float(a.get("seconds", "1"))
        segs = []
        while True:
            for key in keys:
                segs += self.flows.pop(key, [])
            if until is not None and any(s["flagbits"] & until == until
                                         for s in segs):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.pump(min(left, 0.05))
        return {"segs": segs, "n": len(segs)}

    def cmd_watch(self, a):
        """Every segment of a flow, and the listener's qlen, polled every
        50 ms, until `seconds` after the flow's last segment sent; with
        gone=1, stop `grace` s after qlen is first seen 0."""
        key = (int(a["sport"]), int(a["dport"]))
        port = int(a.get("port", a["dport"]))
        t0 = self.sent_at[key]
        end = t0 + float(a.get("seconds", "10"))
        stop_when_gone = a.get("gone", "0") == "1"
        grace = float(a.get("grace", "0.3"))
        segs = []
        last_pending = None
        gone_at = None
        while True:
            segs += self.flows.pop(key, [])
            now = time.time()
            info = self.info(port)
            if info["qlen"] and gone_at is None:
                last_pending = {"rel": round(now - t0, 3), "info": info}
            elif not info["qlen"] and gone_at is None:
                gone_at = round(now - t0, 3)
                if stop_when_gone:
                    end = min(end, now + grace)
            if now >= end:
                break
            self.pump(min(0.05, max(0.0, end - now)))
        return {"segs": segs, "n": len(segs), "pending": last_pending,
                "gone_at": gone_at, "info": self.info(port)}

    def cmd_flood(self, a):
        sport0 = int(a["sport"])
        n = int(a["n"])
        dport = int(a["dport"])
        rnd = a.get("random", "0") == "1"
        sent = []
        self.pump(0)
        for i in range(n):
            sport = sport0 + i
            self.flows.pop((sport, dport), None)
            if rnd:
                r = os.urandom(16)
                spec = {"sport": str(sport), "dport": str(dport),
                        "flags": str(r[0]),
                        "seq": str(int.from_bytes(r[1:5], "big")),
                        "ack": str(int.from_bytes(r[5:9], "big")),
                        "window": str(int.from_bytes(r[9:11], "big"))}
                if r[11] & 3 == 0:      # a quarter: garbage options
                    spec["opts"] = os.urandom(4 * (r[12] % 11)).hex()
                if r[13] & 7 == 0:      # an eighth: some payload
                    spec["payload"] = "x" * (r[14] % 64)
            else:
                spec = {"sport": str(sport), "dport": str(dport),
                        "flags": "S"}
            s = self.send_seg(dict(spec, keep="1"))
            sent.append(s)
        self.pump(float(a.get("wait", "1")))
        ports = {}
        for s in sent:
            replies = self.flows.pop((s["sport"], dport), [])
            ports[str(s["sport"])] = {
                "sent": s["flags"], "seq": s["seq"],
                "auth_bad": s["auth_bad"],
                "replies": [r["flags"] for r in replies],
                "synack": any(r["flagbits"] & 0x12 == 0x12 for r in replies)}
        answered = [int(p) for p, v in ports.items() if v["synack"]]
        res = {"ports": ports, "answered": sorted(answered),
               "n_answered": len(answered)}
        if "info" in a:
            # A snapshot before the first retransmission, if we are quick.
            res["info"] = self.info(int(a["info"]))
            res["age"] = round(time.time() - sent[0]["t"], 3)
        return res


def parse_args(words):
    a = {}
    for w in words:
        k, sep, v = w.partition("=")
        if not sep:
            raise ValueError("argument %r is not KEY=VALUE" % w)
        a[k] = v
    return a


def run(peer, cmd, words):
    fn = getattr(peer, "cmd_" + cmd, None)
    if fn is None:
        raise ValueError("unknown command %r" % cmd)
    return fn(parse_args(words))


def serve(peer):
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cid = words[0]
        if len(words) < 2 or words[1] == "quit":
            print("%s\t%s" % (cid, json.dumps({"ok": True})), flush=True)
            break
        try:
            res = run(peer, words[1], words[2:])
        except Exception as e:          # answer, never die
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        print("%s\t%s" % (cid, json.dumps(res)), flush=True)


def main(argv):
    opts = {"--src": "10.0.1.1", "--dst": "10.0.1.2", "--srv-netns": "",
            "--ttl": "77"}
    while argv and argv[0] in opts:
        opts[argv[0]] = argv[1]
        argv = argv[2:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    peer = Peer(opts["--src"], opts["--dst"], opts["--srv-netns"],
                int(opts["--ttl"]))
    if argv[0] == "serve":
        serve(peer)
        return 0
    print(json.dumps(run(peer, argv[0], argv[1:]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
