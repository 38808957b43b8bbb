#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""synq_peer: the client and server ends of synq's traffic selftests.

Subcommands (each prints "# ..." diagnostics, exits 0 on success, 1 on a
failed check, 2 on a usage or set-up error; every socket operation has a
timeout, so nothing hangs):

  server   a synq listener (socket(AF_INET, SOCK_STREAM, 253)) that accepts
           exactly --count connections and serves each in a thread:
             echo      read the client's framed message ("SYNQ <len> <sha256>\\n"
                       then <len> bytes), check it, echo every byte back as
                       it arrives, close after the client's EOF
             close-first  like echo, but the server closes first (the server
                       side ends in TIME_WAIT)
             recv      recv until --expect bytes (or EOF); must be exactly
                       --expect; then close
             hold      accept nothing: listen until --hold-file exists
             survive   accept one connection, close the listener, write
                       --accepted-file, wait for --go-file, then echo
             http      a tiny HTTP/1.0 server answering --count GETs
           Afterwards SYNQ_INFO is read and checked: qlen 0, ack_backlog 0,
           accepted == --count (--check-info, default on; "hold" checks
           --want-qlen/--want-backlog instead and then closes).
  client   plain TCP clients: --count connections, --concurrency at a time,
           each sends a framed message of --size bytes (random, per
           connection) and checks the echo byte for byte.
  hold     open --count TCP connections, write --ready-file, then expect
           every one to be reset (ECONNRESET / EPIPE) within --timeout.
  raw-ack  raw-socket handshake: SYN, read the SYN-ACK, final ACK carrying
           --payload (sent once, never retransmitted), wait for its ACK.
  raw-syn  send --count SYNs from consecutive source ports and wait for
           each SYN-ACK; never complete the handshakes.
"""

import argparse
import hashlib
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
import synq_lib  # noqa: E402  (synq's uapi, segments, namespaces)
from synq_lib import (SYNQ_INFO_FIELDS, SYNQ_INFO_VERSION,  # noqa: E402
                      FIN, SYN, RST, PSH, ACK)

EXIT_OK, EXIT_FAIL, EXIT_SETUP = 0, 1, 2


def log(msg):
    sys.stdout.write("# %s\n" % msg)
    sys.stdout.flush()


class Failure(Exception):
    pass


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def wait_file(path, timeout):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise Failure("timed out after %ss waiting for %s" % (timeout, path))
        time.sleep(0.02)


synq_info = synq_lib.synq_info


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 16))
        if not chunk:
            raise Failure("EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


# --- framed messages ----------------------------------------------------------

def make_message(size, rng):
    payload = rng.randbytes(size) if size else b""
    header = b"SYNQ %d %s\n" % (size, hashlib.sha256(payload).hexdigest().encode())
    return header, payload


# --- server -----------------------------------------------------------------

def synq_listener(args):
    s = synq_lib.synq_socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.addr, args.port))
    s.listen(args.backlog)
    return s


def serve_echo(conn, idx, args, errors, close_first=False):
    """Echo a framed message, checking it; returns nothing, records errors."""
    try:
        conn.settimeout(args.timeout)
        head = bytearray()
        while b"\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                raise Failure("EOF inside the header (%r)" % bytes(head[:64]))
            head += chunk
            if b"\n" not in head and len(head) > 200:
                raise Failure("no header: %r" % bytes(head[:64]))
        line, rest = bytes(head).split(b"\n", 1)
        parts = line.split()
        if len(parts) != 3 or parts[0] != b"SYNQ":
            raise Failure("bad header %r" % line)
        want_len, want_sha = int(parts[1]), parts[2].decode()
        conn.sendall(line + b"\n")
        h = hashlib.sha256()
        got = 0
        data = rest
        while True:
            if data:
                got += len(data)
                h.update(data)
                conn.sendall(data)
            if got >= want_len:
                break
            data = conn.recv(1 << 16)
            if not data:
                break
        if got != want_len or h.hexdigest() != want_sha:
            raise Failure("received %d bytes sha256 %s, header says %d %s"
                          % (got, h.hexdigest()[:16], want_len, want_sha[:16]))
        if close_first:
            conn.shutdown(socket.SHUT_WR)
            # The client's FIN: then our close() leaves us in TIME_WAIT.
            extra = conn.recv(1)
            if extra:
                raise Failure("unexpected data after the message")
        else:
            extra = conn.recv(1)
            if extra:
                raise Failure("unexpected data after the message")
            conn.shutdown(socket.SHUT_WR)
    except (Failure, OSError) as e:
        errors.append("connection %d: %s" % (idx, e))
    finally:
        conn.close()


def serve_recv(conn, idx, args, errors):
    try:
        conn.settimeout(args.timeout)
        want = args.expect.encode()
        got = bytearray()
        while len(got) < len(want):
            chunk = conn.recv(4096)
            if not chunk:
                break
            got += chunk
        if bytes(got) != want:
            raise Failure("received %r, want %r" % (bytes(got), want))
        log("connection %d: received exactly %r" % (idx, bytes(got)))
    except (Failure, OSError) as e:
        errors.append("connection %d: %s" % (idx, e))
    finally:
        conn.close()


def serve_http(conn, idx, args, errors):
    try:
        conn.settimeout(args.timeout)
        req = bytearray()
        while b"\r\n\r\n" not in req:
            chunk = conn.recv(4096)
            if not chunk:
                raise Failure("EOF inside the request")
            req += chunk
        first = bytes(req).split(b"\r\n", 1)[0]
        if not first.startswith(b"GET "):
            raise Failure("not a GET: %r" % first)
        body = b"synq says hello to %s\n" % first.split()[1]
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                     % (len(body), body))
    except (Failure, OSError) as e:
        errors.append("connection %d: %s" % (idx, e))
    finally:
        conn.close()


def check_info(info, want, errors):
    for key, val in want.items():
        if info[key] != val:
            errors.append("SYNQ_INFO %s is %d, want %d" % (key, info[key], val))


def print_info(info, path=None):
    log("SYNQ_INFO " + " ".join("%s=%d" % (k, info[k]) for k in SYNQ_INFO_FIELDS))
    if path:
        write_file(path, json.dumps(info))


def cmd_server(args):
    errors = []
    try:
        lsk = synq_listener(args)
    except OSError as e:
        log("server: cannot listen on a synq socket at %s:%d: %s"
            % (args.addr, args.port, e))
        return EXIT_SETUP
    port = lsk.getsockname()[1]
    info = synq_info(lsk)
    if info["version"] != SYNQ_INFO_VERSION or info["state"] != 10:  # LISTEN
        log("server: SYNQ_INFO after listen: version %d state %d"
            % (info["version"], info["state"]))
        return EXIT_FAIL
    if args.ready_file:
        write_file(args.ready_file, "%d\n" % port)
    log("server: listening on %s:%d (%s, %d connections)"
        % (args.addr, port, args.mode, args.count))

    if args.mode == "hold":
        try:
            wait_file(args.hold_file, args.accept_timeout)
        except Failure as e:
            log("server: %s" % e)
            return EXIT_FAIL
        info = synq_info(lsk)
        print_info(info, args.info_file)
        want = {}
        if args.want_qlen is not None:
            want["qlen"] = args.want_qlen
        if args.want_backlog is not None:
            want["ack_backlog"] = args.want_backlog
        check_info(info, want, errors)
        lsk.close()
        log("server: listener closed")
        if args.closed_file:
            write_file(args.closed_file, "closed\n")
        for e in errors:
            log("server: FAIL: " + e)
        return EXIT_FAIL if errors else EXIT_OK

    # Generous: the client may still be starting up (a loaded TCG VM).
    lsk.settimeout(args.accept_timeout)
    threads = []
    accepted = 0
    try:
        while accepted < args.count:
            conn, peer = lsk.accept()
            accepted += 1
            if args.mode == "survive":
                lsk.close()
                log("server: accepted %s:%d, listener closed" % peer)
                if args.accepted_file:
                    write_file(args.accepted_file, "accepted\n")
                try:
                    wait_file(args.go_file, args.accept_timeout)
                except Failure as e:
                    log("server: %s" % e)
                    conn.close()
                    return EXIT_FAIL
                serve_echo(conn, 0, args, errors)
                for e in errors:
                    log("server: FAIL: " + e)
                return EXIT_FAIL if errors else EXIT_OK
            target = {"echo": serve_echo, "recv": serve_recv,
                      "http": serve_http}.get(args.mode)
            if args.mode == "close-first":
                t = threading.Thread(target=serve_echo,
                                     args=(conn, accepted, args, errors, True))
            else:
                t = threading.Thread(target=target,
                                     args=(conn, accepted, args, errors))
            t.start()
            threads.append(t)
    except socket.timeout:
        errors.append("accepted only %d of %d connections (no connection "
                      "for %ss)" % (accepted, args.count, args.accept_timeout))
    except OSError as e:
        errors.append("accept after %d connections: %s" % (accepted, e))
    end = time.monotonic() + args.timeout
    for t in threads:
        t.join(max(0.1, end - time.monotonic()))
        if t.is_alive():
            errors.append("a connection handler is still running after %ss"
                          % args.timeout)
            break
    log("server: accepted %d connections" % accepted)

    info = synq_info(lsk)
    print_info(info, args.info_file)
    if args.check_info:
        check_info(info, {"qlen": 0, "qlen_young": 0, "ack_backlog": 0,
                          "accepted": args.count}, errors)
        # Exactly N: nothing more is waiting to be accepted.
        r, _, _ = select.select([lsk], [], [], 0.2)
        if r:
            errors.append("another connection is waiting after %d" % args.count)
    for key in args.want_zero or []:
        check_info(info, {key: 0}, errors)
    lsk.close()
    for e in errors[:20]:
        log("server: FAIL: " + e)
    if len(errors) > 20:
        log("server: ... and %d more failures" % (len(errors) - 20))
    if not errors:
        log("server: all %d connections checked" % accepted)
    return EXIT_FAIL if errors else EXIT_OK


# --- clients ------------------------------------------------------------------

def tcp_connect(args, sport=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    if sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", sport))
    s.connect((args.addr, args.port))
    return s


def client_one(idx, args, seed):
    """One connection: send a framed message, check the echo byte for byte."""
    rng = random.Random(seed * 1000003 + idx)
    size = args.size if args.size >= 0 else rng.randint(1, 4096)
    header, payload = make_message(size, rng)
    t0 = time.monotonic()
    s = tcp_connect(args, args.sport)
    connect_time = time.monotonic() - t0
    try:
        if args.wait_file:
            wait_file(args.wait_file, args.timeout)
        if size <= (1 << 20):
            s.sendall(header + payload)
            if not args.no_shutdown and not args.linger_file:
                s.shutdown(socket.SHUT_WR)
            want = header + payload
            got = bytearray()
            while len(got) < len(want) or not args.linger_file:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                got += chunk
                if len(got) > len(want):
                    break
            if bytes(got) != want:
                at = next((i for i in range(min(len(got), len(want)))
                           if got[i] != want[i]), min(len(got), len(want)))
                raise Failure("echo differs: %d bytes back of %d, first "
                              "difference at byte %d" % (len(got), len(want), at))
        else:
            # Bulk: send in a thread while this one receives and hashes.
            send_err = []

            def sender():
                try:
                    s.sendall(header)
                    view = memoryview(payload)
                    for off in range(0, len(view), 1 << 18):
                        s.sendall(view[off:off + (1 << 18)])
                    s.shutdown(socket.SHUT_WR)
                except OSError as e:
                    send_err.append(e)

            th = threading.Thread(target=sender)
            th.start()
            h = hashlib.sha256()
            got = 0
            while True:
                chunk = s.recv(1 << 18)
                if not chunk:
                    break
                got += len(chunk)
                h.update(chunk)
            th.join(args.timeout)
            if send_err:
                raise Failure("send: %s" % send_err[0])
            want = hashlib.sha256(header + payload).hexdigest()
            if got != len(header) + len(payload) or h.hexdigest() != want:
                raise Failure("bulk echo: %d bytes sha256 %s, want %d bytes %s"
                              % (got, h.hexdigest()[:16],
                                 len(header) + len(payload), want[:16]))
            log("client: %d bytes each way, sha256 %s matches"
                % (len(payload), want[:16]))
        if args.linger_file:
            # Keep the connection open (checked) until told to close.
            with args.lock:
                args.done += 1
                if args.done == args.count and args.ready_file:
                    write_file(args.ready_file, "%d\n" % args.done)
            wait_file(args.linger_file, args.timeout)
    finally:
        s.close()
    return connect_time


def cmd_client(args):
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    errors = []
    times = []
    lock = threading.Lock()
    todo = list(range(args.count))
    args.lock = threading.Lock()
    args.done = 0
    start = threading.Barrier(min(args.concurrency, args.count))

    def worker():
        try:
            start.wait(args.timeout)
        except threading.BrokenBarrierError:
            pass
        while True:
            with lock:
                if not todo:
                    return
                idx = todo.pop(0)
            try:
                ct = client_one(idx, args, seed)
                with lock:
                    times.append(ct)
            except (Failure, OSError) as e:
                with lock:
                    errors.append("connection %d: %s" % (idx, e))

    t0 = time.monotonic()
    workers = [threading.Thread(target=worker)
               for _ in range(min(args.concurrency, args.count))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - t0
    ok = len(times)
    log("client: %d of %d connections ok in %.1fs (concurrency %d, seed %d)"
        % (ok, args.count, elapsed, args.concurrency, seed))
    if times:
        log("client: connect() max %.3fs" % max(times))
    for e in errors[:20]:
        log("client: FAIL: " + e)
    if len(errors) > 20:
        log("client: ... and %d more failures" % (len(errors) - 20))
    if args.max_connect_time is not None and times and \
       max(times) > args.max_connect_time:
        log("client: FAIL: connect() took %.3fs, limit %.3fs"
            % (max(times), args.max_connect_time))
        return EXIT_FAIL
    return EXIT_FAIL if errors or ok != args.count else EXIT_OK


def cmd_hold(args):
    """Open connections that are never accepted; each must be reset."""
    socks = []
    try:
        for i in range(args.count):
            socks.append(tcp_connect(args))
    except OSError as e:
        log("hold: connection %d: %s" % (len(socks), e))
        return EXIT_FAIL
    # Queue a little data on each: the child must hold it until it dies.
    for s in socks:
        s.sendall(b"unaccepted")
    log("hold: %d connections established" % len(socks))
    if args.ready_file:
        write_file(args.ready_file, "%d\n" % len(socks))
    errors = []
    for i, s in enumerate(socks):
        try:
            data = s.recv(100)
            errors.append("connection %d: recv returned %r, want ECONNRESET"
                          % (i, data))
        except ConnectionResetError:
            pass
        except socket.timeout:
            errors.append("connection %d: no RST within %ss" % (i, args.timeout))
        except OSError as e:
            errors.append("connection %d: recv: %s, want ECONNRESET" % (i, e))
        finally:
            s.close()
    for e in errors:
        log("hold: FAIL: " + e)
    if not errors:
        log("hold: all %d connections reset (ECONNRESET)" % len(socks))
    return EXIT_FAIL if errors else EXIT_OK


# --- raw handshakes -----------------------------------------------------------

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = FIN, SYN, RST, PSH, ACK


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b"",
                options=b""):
    return synq_lib.tcp_segment(src, dst, sport, dport, seq, ack, flags,
                                opts=options, payload=payload)


def raw_socket():
    return synq_lib.raw_tcp_socket()


def raw_wait(rs, args, sport, want, deadline):
    """The next segment from the server to sport matching want(flags, ack);
    returns (seq, ack, flags, payload_len)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("no matching segment to port %d within %ss"
                          % (sport, args.timeout))
        r, _, _ = select.select([rs], [], [], left)
        if not r:
            continue
        seg = synq_lib.parse_packet(rs.recv(65535), csum=False)
        if seg is None or seg["src"] != args.addr:
            continue
        if seg["sport"] != args.port or seg["dport"] != sport:
            continue
        if want(seg["flagbits"], seg["ack"]):
            return seg["seq"], seg["ack"], seg["flagbits"], seg["len"]


MSS_OPT = struct.pack("!BBH", 2, 4, 1460)


def cmd_raw_ack(args):
    rs = raw_socket()
    isn = random.randrange(1 << 32)
    sport = args.sport or random.randrange(20000, 30000)
    deadline = time.monotonic() + args.timeout
    rs.sendto(tcp_segment(args.src, args.addr, sport, args.port, isn, 0,
                          TCP_SYN, options=MSS_OPT), (args.addr, 0))
    try:
        sseq, sack, _, _ = raw_wait(
            rs, args, sport,
            lambda f, a: f & (TCP_SYN | TCP_ACK | TCP_RST) == TCP_SYN | TCP_ACK
            or f & TCP_RST, deadline)
    except Failure as e:
        log("raw-ack: SYN-ACK: %s" % e)
        return EXIT_FAIL
    if sack != (isn + 1) & 0xffffffff:
        log("raw-ack: FAIL: SYN-ACK acks %d, want %d" % (sack, isn + 1))
        return EXIT_FAIL
    log("raw-ack: SYN-ACK seq %d from %s:%d" % (sseq, args.addr, args.port))
    payload = args.payload.encode()
    # The final ACK carries the payload; sent once, never again.
    rs.sendto(tcp_segment(args.src, args.addr, sport, args.port,
                          (isn + 1) & 0xffffffff, (sseq + 1) & 0xffffffff,
                          TCP_ACK | TCP_PSH, payload), (args.addr, 0))
    want_ack = (isn + 1 + len(payload)) & 0xffffffff
    try:
        _, ack, flags, _ = raw_wait(
            rs, args, sport,
            lambda f, a: (f & TCP_RST) or (f & TCP_ACK and a == want_ack),
            deadline)
    except Failure as e:
        log("raw-ack: FAIL: the payload was never acknowledged: %s" % e)
        return EXIT_FAIL
    if flags & TCP_RST:
        log("raw-ack: FAIL: the server answered the final ACK with an RST")
        return EXIT_FAIL
    log("raw-ack: the server acknowledged the %d payload bytes" % len(payload))
    return EXIT_OK


def cmd_raw_syn(args):
    rs = raw_socket()
    # Thousands of SYN-ACKs may arrive before the first is read.
    synq_lib.set_rcvbuf(rs, 16 << 20)
    deadline = time.monotonic() + args.timeout
    isns = {}

    def send_syn(sport):
        rs.sendto(tcp_segment(args.src, args.addr, sport, args.port,
                              isns[sport], 0, TCP_SYN, options=MSS_OPT),
                  (args.addr, 0))

    for i in range(args.count):
        sport = args.sport + i
        isns[sport] = random.randrange(1 << 32)
        send_syn(sport)
    pending = set(isns)
    resend = time.monotonic() + 2
    while pending:
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            log("raw-syn: FAIL: no SYN-ACK for %d of %d SYNs (ports %s)"
                % (len(pending), args.count, sorted(pending)[:10]))
            return EXIT_FAIL
        if now >= resend:
            # A burst can overflow the receiver's backlog queue: the same
            # SYN again (same ISN), as a client would retransmit it.
            for sport in sorted(pending):
                send_syn(sport)
            resend = now + 2
        r, _, _ = select.select([rs], [], [], min(left, max(resend - now, 0)))
        if not r:
            continue
        seg = synq_lib.parse_packet(rs.recv(65535), csum=False)
        if seg is None or seg["src"] != args.addr:
            continue
        dp = seg["dport"]
        if seg["sport"] != args.port or dp not in pending:
            continue
        if seg["flagbits"] & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK and \
           seg["ack"] == (isns[dp] + 1) & 0xffffffff:
            pending.discard(dp)
    log("raw-syn: %d SYNs answered with SYN-ACKs" % args.count)
    if args.ready_file:
        write_file(args.ready_file, "%d\n" % args.count)
    return EXIT_OK


# --- main -------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, addr_default):
        sp.add_argument("--addr", default=addr_default)
        sp.add_argument("--port", type=int, default=0)
        sp.add_argument("--count", type=int, default=1)
        sp.add_argument("--timeout", type=float, default=30.0)
        sp.add_argument("--ready-file")

    sp = sub.add_parser("server")
    common(sp, "0.0.0.0")
    sp.add_argument("--mode", default="echo",
                    choices=["echo", "close-first", "recv", "hold", "survive",
                             "http"])
    sp.add_argument("--backlog", type=int, default=1024)
    sp.add_argument("--accept-timeout", type=float, default=120.0,
                    help="seconds accept() waits for each connection")
    sp.add_argument("--expect", default="")
    sp.add_argument("--hold-file")
    sp.add_argument("--closed-file")
    sp.add_argument("--accepted-file")
    sp.add_argument("--go-file")
    sp.add_argument("--info-file")
    sp.add_argument("--want-qlen", type=int)
    sp.add_argument("--want-backlog", type=int)
    sp.add_argument("--want-zero", action="append",
                    help="a SYNQ_INFO field that must be 0 at the end")
    sp.add_argument("--no-check-info", dest="check_info", action="store_false")

    sp = sub.add_parser("client")
    common(sp, "127.0.0.1")
    sp.add_argument("--concurrency", type=int, default=1)
    sp.add_argument("--size", type=int, default=-1,
                    help="bytes per connection; -1: random 1..4096")
    sp.add_argument("--sport", type=int, default=0)
    sp.add_argument("--seed", type=int)
    sp.add_argument("--max-connect-time", type=float)
    sp.add_argument("--linger-file",
                    help="keep each connection open after the echo until this "
                    "file exists (--ready-file: written when all are open)")
    sp.add_argument("--wait-file",
                    help="after connect(), wait for this file before sending")
    sp.add_argument("--no-shutdown", action="store_true",
                    help="do not shut down writing before the echo's EOF "
                    "(for a server that closes first)")

    sp = sub.add_parser("hold")
    common(sp, "127.0.0.1")

    for name in ("raw-ack", "raw-syn"):
        sp = sub.add_parser(name)
        common(sp, "127.0.0.1")
        sp.add_argument("--src", required=True)
        sp.add_argument("--sport", type=int, default=0)
        sp.add_argument("--payload", default="hello-on-ack")

    args = p.parse_args()
    if args.cmd == "server" and args.mode == "hold" and not args.hold_file:
        p.error("--mode hold needs --hold-file")
    if args.cmd == "server" and args.mode == "survive" and not args.go_file:
        p.error("--mode survive needs --go-file")
    if args.cmd == "raw-syn" and not args.sport:
        p.error("raw-syn needs --sport")
    try:
        return {"server": cmd_server, "client": cmd_client, "hold": cmd_hold,
                "raw-ack": cmd_raw_ack, "raw-syn": cmd_raw_syn}[args.cmd](args)
    except Failure as e:
        log("%s: FAIL: %s" % (args.cmd, e))
        return EXIT_FAIL
    except OSError as e:
        log("%s: error: %s" % (args.cmd, e))
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
