# SPDX-License-Identifier: GPL-2.0
"""synq_lib: what synq's Python selftests share.

  * synq's userspace API, read at import time from module/uapi/synq.h (the
    repo is found through $SYNQ_TOP, else as this file's "..").  Every
    "#define NAME VALUE" with a numeric value becomes a module attribute
    (SOL_SYNQ, IPPROTO_SYNQ, SYNQ_INFO, SYNQ_SYNCOOKIES...), and struct
    synq_info becomes SYNQ_INFO_FMT/SYNQ_INFO_SIZE/SYNQ_INFO_FIELDS; a
    missing or unreadable header is an error (SynqUapiError), never a
    guess;
  * synq_info(sock): SYNQ_INFO of a listener, as a dict;
  * TCP flags, checksums, option builders and parsers, tcp_segment() and
    ip_header() to build segments, parse_packet() for received ones;
  * network namespaces: setns() into /run/netns/NAME, Netns;
  * raw sockets: raw_tcp_socket(), raw_ip_socket(), set_rcvbuf(); for
    IPv6 raw_tcp6_socket() with recv_segment6(), raw_ip6_socket() with
    ip6_header().

The scripts import it from their own directory:

	sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
	import synq_lib
"""

import ast
import contextlib
import ctypes
import errno
import hashlib
import os
import re
import socket
import struct

# --- synq's uapi header ------------------------------------------------------

class SynqUapiError(RuntimeError):
    pass


def synq_top():
    """The repo: $SYNQ_TOP (set by scripts/vm.sh and lib.sh), else "..".
    """
    top = os.environ.get("SYNQ_TOP")
    if top:
        return top
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def uapi_header_path():
    return os.path.join(synq_top(), "module", "uapi", "synq.h")


def _strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


_INT_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b, ast.LShift: lambda a, b: a << b,
            ast.RShift: lambda a, b: a >> b, ast.BitOr: lambda a, b: a | b,
            ast.BitAnd: lambda a, b: a & b, ast.BitXor: lambda a, b: a ^ b}


def _int_expr(expr, known):
    """The value of a C integer constant expression of literals, + - * <<
    >> | & ^ ~ and earlier macros; None if it is anything else."""
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr.strip())
    expr = re.sub(r"\b0([0-7]+)\b", r"0o\1", expr)     # C octal
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name) and n.id in known:
            return known[n.id]
        if isinstance(n, ast.BinOp) and type(n.op) in _INT_OPS:
            return _INT_OPS[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Invert):
            return ~ev(n.operand)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        raise ValueError(expr)
    try:
        return ev(tree)
    except (ValueError, TypeError):
        return None


# The kernel's fixed-size types: struct format letter, size (= alignment).
_C_TYPES = {"__u8": "B", "__s8": "b", "__u16": "H", "__s16": "h",
            "__u32": "I", "__s32": "i", "__u64": "Q", "__s64": "q",
            "__be16": "H", "__be32": "I", "__le16": "H", "__le32": "I",
            "__aligned_u64": "Q"}


def _struct_layout(text, name):
    """struct NAME's members -> (struct format, [field names]); padding
    members (pad, __pad*, reserved*) are skipped in the names but kept in
    the format, and natural alignment is applied as the C compiler does."""
    m = re.search(r"struct\s+%s\s*\{(.*?)\}\s*;" % re.escape(name), text,
                  re.S)
    if not m:
        raise SynqUapiError("no struct %s in %s" % (name, uapi_header_path()))
    fmt, fields, off, align_max = "=", [], 0, 1
    for decl in m.group(1).split(";"):
        decl = " ".join(decl.split())
        if not decl:
            continue
        dm = re.fullmatch(r"(\w+)\s+(\w+)\s*(?:\[\s*(\w+)\s*\])?", decl)
        if not dm or dm.group(1) not in _C_TYPES:
            raise SynqUapiError("struct %s: cannot read member %r"
                                % (name, decl))
        ctype, field, count = dm.groups()
        letter = _C_TYPES[ctype]
        size = struct.calcsize("=" + letter)
        n = int(count, 0) if count else 1
        if off % size:
            fmt += "%dx" % (size - off % size)
            off += size - off % size
        align_max = max(align_max, size)
        fmt += (str(n) if n > 1 else "") + letter
        off += size * n
        pad = re.fullmatch(r"_*(pad|reserved|unused)\w*", field)
        if not pad:
            fields += [field] if n == 1 else \
                ["%s%d" % (field, i) for i in range(n)]
        else:
            fields += [None] * n
    if off % align_max:
        fmt += "%dx" % (align_max - off % align_max)
    return fmt, fields


def read_uapi(path=None):
    """The header's numeric macros (dict) and struct synq_info's layout."""
    path = path or uapi_header_path()
    try:
        with open(path) as f:
            text = _strip_c_comments(f.read())
    except OSError as e:
        raise SynqUapiError("cannot read synq's uapi header %s (set "
                            "SYNQ_TOP to the repo): %s" % (path, e))
    defines = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(.+)$", text,
                         re.M):
        v = _int_expr(m.group(2), defines)
        if v is not None:
            defines[m.group(1)] = v
    for need in ("IPPROTO_SYNQ", "SOL_SYNQ", "SYNQ_INFO",
                 "SYNQ_INFO_VERSION"):
        if need not in defines:
            raise SynqUapiError("%s: no numeric #define %s" % (path, need))
    fmt, names = _struct_layout(text, "synq_info")
    return defines, fmt, names


UAPI, SYNQ_INFO_FMT, _SYNQ_INFO_NAMES = read_uapi()
globals().update(UAPI)          # SOL_SYNQ, SYNQ_INFO, SYNQ_SYNCOOKIES...
# Explicitly, for the reader (and linters): these must exist.
IPPROTO_SYNQ = UAPI["IPPROTO_SYNQ"]
SOL_SYNQ = UAPI["SOL_SYNQ"]
SYNQ_INFO = UAPI["SYNQ_INFO"]
SYNQ_INFO_VERSION = UAPI["SYNQ_INFO_VERSION"]
SYNQ_INFO_SIZE = struct.calcsize(SYNQ_INFO_FMT)
SYNQ_INFO_FIELDS = [n for n in _SYNQ_INFO_NAMES if n]


class SynqInfoError(OSError):
    pass


def synq_info(sock):
    """SYNQ_INFO of a synq listener, as a dict of SYNQ_INFO_FIELDS."""
    raw = sock.getsockopt(SOL_SYNQ, SYNQ_INFO, SYNQ_INFO_SIZE)
    if len(raw) != SYNQ_INFO_SIZE:
        raise SynqInfoError(errno.EINVAL, "SYNQ_INFO returned %d bytes, "
                            "want %d" % (len(raw), SYNQ_INFO_SIZE))
    vals = struct.unpack(SYNQ_INFO_FMT, raw)
    return {n: v for n, v in zip(_SYNQ_INFO_NAMES, vals) if n}


def synq_socket():
    """socket(AF_INET, SOCK_STREAM, IPPROTO_SYNQ), in the current netns."""
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SYNQ)


def set_synq_opt(sock, opt, value):
    sock.setsockopt(SOL_SYNQ, opt, value)


def get_synq_opt(sock, opt):
    return sock.getsockopt(SOL_SYNQ, opt)


# --- TCP flags, checksums ----------------------------------------------------

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128
FLAG_BITS = "FSRPAUEC"          # bit 0 = FIN ... bit 7 = CWR


def flags_str(bits):
    return "".join(c for i, c in enumerate(FLAG_BITS) if bits & (1 << i))


def flags_num(spec):
    """Letters of FSRPAUEC ("SA") or a number ("18", "0x12") -> bits."""
    spec = str(spec)
    if spec.isdigit() or spec.startswith("0x"):
        return int(spec, 0)
    bits = 0
    for c in spec.upper():
        if c not in FLAG_BITS:
            raise ValueError("unknown TCP flag %r" % c)
        bits |= 1 << FLAG_BITS.index(c)
    return bits


def rand32():
    return int.from_bytes(os.urandom(4), "big")


def csum16(data):
    """The Internet checksum (RFC 1071) of data.  The one's complement sum
    of its 16-bit words is the big number they make modulo 0xffff (as
    0x10000 = 1 modulo 0xffff), except that a non-zero sum is 0xffff, not 0;
    one big-number operation instead of a word loop: the fuzzer builds 10^5
    segments under TCG."""
    if len(data) % 2:
        data += b"\0"
    n = int.from_bytes(data, "big")
    s = n % 0xffff
    if s == 0 and n:
        s = 0xffff
    return ~s & 0xffff


def tcp_csum(src, dst, seg):
    """Checksum of TCP segment seg (0 when seg's own field is right), over
    the IPv4 or (addresses with a colon) the IPv6 pseudo-header."""
    if ":" in src:
        pseudo = socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst) + \
            struct.pack("!IxxxB", len(seg), socket.IPPROTO_TCP)
    else:
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
            struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(seg))
    return csum16(pseudo + seg)


# --- TCP options -------------------------------------------------------------

TCPOPT_EOL, TCPOPT_NOP, TCPOPT_MSS, TCPOPT_WINDOW = 0, 1, 2, 3
TCPOPT_SACK_PERM, TCPOPT_SACK, TCPOPT_TIMESTAMP = 4, 5, 8
TCPOPT_MD5SIG, TCPOPT_FASTOPEN, TCPOPT_EXP = 19, 34, 254


def tcp_option(kind, body=b"", length=None):
    """One option: kind, length (default: 2 + len(body), may lie), body."""
    if kind in (TCPOPT_EOL, TCPOPT_NOP):
        return bytes([kind])
    return bytes([kind, (2 + len(body)) if length is None else length & 0xff]
                 ) + body


def linux_options(mss=None, sack=False, ts=None, ws=None):
    """MSS, SACK_PERM, TS, WS in Linux's order and layout; ts is
    (tsval, tsecr) or None."""
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sack and ts:
        o += struct.pack("!BBBBII", 4, 2, 8, 10, ts[0], ts[1])
    elif ts:
        o += struct.pack("!BBBBII", 1, 1, 8, 10, ts[0], ts[1])
    elif sack:
        o += struct.pack("!BBBB", 1, 1, 4, 2)
    if ws is not None:
        o += struct.pack("!BBBB", 1, 3, 3, ws)
    return o


def parse_options(raw):
    """TCP options -> {"kinds": [...], "mss", "ws", "sack_perm", "ts",
    "bad": True if malformed}."""
    o = {"kinds": []}
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            o["kinds"].append(1)
            i += 1
            continue
        if i + 1 >= len(raw):
            o["bad"] = True
            break
        ln = raw[i + 1]
        if ln < 2 or i + ln > len(raw):
            o["bad"] = True
            break
        body = raw[i + 2:i + ln]
        o["kinds"].append(kind)
        if kind == 2 and ln == 4:
            o["mss"] = struct.unpack("!H", body)[0]
        elif kind == 3 and ln == 3:
            o["ws"] = body[0]
        elif kind == 4 and ln == 2:
            o["sack_perm"] = True
        elif kind == 8 and ln == 10:
            o["ts"] = list(struct.unpack("!II", body))
        elif kind == TCPOPT_MD5SIG and ln == 18:
            o["md5"] = body.hex()
        i += ln
    return o


def _auth_opts_minlen():
    """tcp_do_parse_auth_options()'s shortest option walk (6.7 on), None
    before it: the remaining length it still parses at."""
    rel = os.uname().release
    m = re.match(r"(\d+)\.(\d+)", rel)
    if not m or (int(m.group(1)), int(m.group(2))) < (6, 7):
        return None
    try:
        with open("/boot/config-" + rel) as f:
            ao = "CONFIG_TCP_AO=y\n" in f.read()
    except OSError:
        ao = False
    return 5 if ao else 18      # sizeof(tcp_ao_hdr) + 1, or TCPOLEN_MD5SIG


AUTH_OPTS_MINLEN = _auth_opts_minlen()


def _kernel_opt_walk(raw, minlen):
    """The option walk of tcp_do_parse_auth_options() and
    tcp_parse_md5sig_option(): (kind, size) of each option while at least
    minlen bytes remain; EOL ends it; a bad length yields (None, size) and
    ends it."""
    n, i = len(raw), 0
    while n >= minlen:
        kind = raw[i]
        i += 1
        if kind == 0:
            return
        if kind == 1:
            n -= 1
            continue
        size = raw[i]
        i += 1
        if size < 2 or size > n:
            yield None, size
            return
        yield kind, size
        i += size - 2
        n -= size


def tcp_auth_opts_bad(raw):
    """True when this kernel's TCP drops a segment with these options
    (all the bytes up to doff) before anything else looks at it: from 6.7
    tcp_inbound_hash() refuses what tcp_do_parse_auth_options() finds
    malformed (a bad length; an MD5 or AO option twice or ill-sized)."""
    if AUTH_OPTS_MINLEN is None:
        return False
    seen = False
    for kind, size in _kernel_opt_walk(raw, AUTH_OPTS_MINLEN):
        if kind is None:
            return True
        if kind in (TCPOPT_MD5SIG, 29):
            if (kind == TCPOPT_MD5SIG and size != 18) or \
                    (kind == 29 and size <= 4) or seen:
                return True
            seen = True
    return False


def tcp_md5_opt(raw):
    """Does TCP see an MD5 signature in these options (all the bytes up to
    doff)?  tcp_parse_md5sig_option(): the first MD5 option decides, a
    malformed option or EOL ends the walk, and so does a remainder shorter
    than an MD5 option.  (From 6.7 tcp_do_parse_auth_options() gives the
    same answer for every segment tcp_auth_opts_bad() lets through.)"""
    for kind, size in _kernel_opt_walk(raw, 18):
        if kind is None:
            return False
        if kind == TCPOPT_MD5SIG:
            return size == 18
    return False


# --- segments and packets ----------------------------------------------------

def tcp_md5_digest(src, dst, seg, key):
    """RFC 2385's signature of TCP segment seg (bytes) with key (bytes), as
    tcp_v4_md5_hash_skb() (tcp_v6_md5_hash_skb() for addresses with a
    colon): pseudo-header, the 20-byte header with a zero checksum, the
    payload after the data offset, the key."""
    doff = (seg[12] >> 4) * 4
    if ":" in src:
        pseudo = socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst) + \
            struct.pack("!II", len(seg), socket.IPPROTO_TCP)
    else:
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
            struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(seg))
    return hashlib.md5(pseudo + seg[:16] + b"\0\0" + seg[18:20] +
                       seg[doff:] + key).digest()


def tcp_md5_ok(p, key):
    """Does parse_packet()'s p carry the right MD5 signature for key?"""
    sig = p["options"].get("md5")
    return sig is not None and \
        sig == tcp_md5_digest(p["src"], p["dst"], p["seg"], key).hex()


def tcp_segment(src, dst, sport, dport, seq, ack, flags, window=65535,
                urg=0, opts=b"", payload=b"", doff=None, badcsum=False,
                trunc=None, res=0, md5key=None):
    """A TCP segment with its checksum.  opts are padded with EOL to a
    multiple of 4; doff (default: the real header length, 4-bit field) may
    lie; res: the 4 bits below doff (NS is the lowest); trunc: cut the
    segment to that many bytes (the checksum covers what is left, when at
    least its field is); badcsum: a wrong checksum; md5key: an MD5
    signature option first (NOP, NOP, MD5), signed with that key."""
    if md5key is not None:
        opts = bytes([TCPOPT_NOP, TCPOPT_NOP, TCPOPT_MD5SIG, 18]) + \
            bytes(16) + opts
    if len(opts) % 4:
        opts += b"\0" * (4 - len(opts) % 4)     # EOL padding
    if doff is None:
        doff = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport & 0xffff, dport & 0xffff,
                      seq & 0xffffffff, ack & 0xffffffff,
                      (doff & 0xf) << 4 | (res & 0xf), flags & 0xff,
                      window & 0xffff, 0, urg & 0xffff)
    seg = hdr + opts + payload
    if md5key is not None:
        seg = seg[:24] + tcp_md5_digest(src, dst, seg, md5key) + seg[40:]
    if trunc is not None:
        seg = seg[:trunc]
    c = tcp_csum(src, dst, seg) if len(seg) >= 18 else 0
    if badcsum:
        c ^= 0x1234
    if len(seg) >= 18:
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return seg


IP_DF, IP_MF = 0x4000, 0x2000


def ip_header(src, dst, payload_len, proto=socket.IPPROTO_TCP, ttl=64,
              tos=0, ident=0, frag=IP_DF, options=b""):
    """An IPv4 header for an IP_HDRINCL raw socket (the kernel fills in the
    checksum, tot_len and, when 0, the ID).  options are padded with EOL;
    frag: the flags and fragment offset field (offset in 8-byte units)."""
    if len(options) % 4:
        options += b"\0" * (4 - len(options) % 4)
    ihl = 5 + len(options) // 4
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos,
                       ihl * 4 + payload_len, ident, frag, ttl, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + options


def parse_packet(pkt, t=None, csum=True, raw=False):
    """An IPv4 packet with a TCP segment (as a raw socket receives it) ->
    dict: src, dst, sport, dport, seq, ack, flags ("SA"), flagbits,
    window, urg, doff (bytes), options, len (payload), ttl, tos, csum_ok
    (with csum), t, and with raw the segment's bytes as "seg" (for
    tcp_md5_ok(); not JSON-serialisable); None if it is not one."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 0xf) * 4
    tot = struct.unpack("!H", pkt[2:4])[0]
    if pkt[9] != socket.IPPROTO_TCP or len(pkt) < ihl + 20:
        return None
    src = socket.inet_ntoa(pkt[12:16])
    dst = socket.inet_ntoa(pkt[16:20])
    seg = pkt[ihl:tot]
    if len(seg) < 20:
        return None
    sport, dport, seq, ack, off, fl, win, _, urg = \
        struct.unpack("!HHIIBBHHH", seg[:20])
    doff = (off >> 4) * 4
    p = {
        "src": src, "dst": dst, "sport": sport, "dport": dport,
        "seq": seq, "ack": ack, "flags": flags_str(fl), "flagbits": fl,
        "window": win, "urg": urg, "doff": doff,
        "options": parse_options(seg[20:doff]),
        "len": len(seg) - doff, "ttl": pkt[8], "tos": pkt[1],
        "csum_ok": tcp_csum(src, dst, seg) == 0 if csum else None, "t": t,
    }
    if raw:
        p["seg"] = seg
    return p


def parse_segment(seg, src, dst, t=None, csum=True):
    """A TCP segment without its IP header (as an IPv6 raw socket receives
    it), from src to dst -> the dict of parse_packet() with "seg", without
    ttl and tos; None if it is not one."""
    if len(seg) < 20:
        return None
    sport, dport, seq, ack, off, fl, win, _, urg = \
        struct.unpack("!HHIIBBHHH", seg[:20])
    doff = (off >> 4) * 4
    return {
        "src": src, "dst": dst, "sport": sport, "dport": dport,
        "seq": seq, "ack": ack, "flags": flags_str(fl), "flagbits": fl,
        "window": win, "urg": urg, "doff": doff,
        "options": parse_options(seg[20:doff]),
        "len": len(seg) - doff, "seg": seg,
        "csum_ok": tcp_csum(src, dst, seg) == 0 if csum else None, "t": t,
    }


IPV6_FLOWINFO = 11              # linux/in6.h: receive the flow information
IPV6_FLOWINFO_SEND = 33


def raw_tcp6_socket(rcvbuf=None):
    """socket(AF_INET6, SOCK_RAW, IPPROTO_TCP): sends TCP segments (the
    kernel adds the IPv6 header and, through IPV6_CHECKSUM, the checksum)
    and receives every TCP segment to this host without its IPv6 header;
    recvmsg() reports the traffic class and the flow label
    (recv_segment6())."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 16)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO, 1)
    if rcvbuf:
        set_rcvbuf(s, rcvbuf)
    return s


def recv_segment6(sock, dst, timeout):
    """The next segment sock receives within timeout seconds, parsed, with
    "tclass" and "flowlabel" from its ancillary data; None on timeout."""
    sock.settimeout(timeout)
    try:
        seg, anc, _, addr = sock.recvmsg(65535, 256)
    except (socket.timeout, BlockingIOError):
        return None
    p = parse_segment(seg, addr[0], dst)
    if p is None:
        return None
    p["tclass"] = p["flowlabel"] = None
    for lvl, typ, data in anc:
        if lvl == socket.IPPROTO_IPV6 and typ == socket.IPV6_TCLASS:
            p["tclass"] = struct.unpack("=i", data[:4])[0]
        elif lvl == socket.IPPROTO_IPV6 and typ == IPV6_FLOWINFO:
            p["flowlabel"] = struct.unpack("!I", data[:4])[0] & 0xfffff
    return p


def ip6_header(src, dst, payload_len, nexthdr=socket.IPPROTO_TCP,
               hlim=64, tclass=0, flowlabel=0):
    """An IPv6 header for an IPPROTO_RAW socket (raw_ip6_socket())."""
    return struct.pack("!IHBB16s16s",
                       6 << 28 | (tclass & 0xff) << 20 | (flowlabel & 0xfffff),
                       payload_len, nexthdr, hlim,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst))


def raw_ip6_socket():
    """socket(AF_INET6, SOCK_RAW, IPPROTO_RAW): sends whole IPv6 packets
    (ip6_header() + extension headers + segment), any source address;
    sendto() needs the destination as its address too."""
    return socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)


# --- network namespaces ------------------------------------------------------

CLONE_NEWNET = 0x40000000
_libc = None


def setns(fd, nstype=CLONE_NEWNET):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.setns(fd, nstype) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def netns_path(name):
    """A netns by name (ip netns: /run/netns/NAME) or by path."""
    return name if "/" in name else "/run/netns/" + name


class Netns:
    """A named network namespace, held open: enter() it, or run code in it
    and come back (inside())."""

    def __init__(self, name):
        self.name = name
        self.fd = os.open(netns_path(name), os.O_RDONLY)

    def enter(self):
        try:
            setns(self.fd)
        except OSError as e:
            raise OSError(e.errno, "setns(%s): %s" % (self.name, e.strerror))

    @contextlib.contextmanager
    def inside(self):
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            self.enter()
            try:
                yield self
            finally:
                setns(own)
        finally:
            os.close(own)

    def sysctl(self, name, value):
        """Write a sysctl of this namespace (/proc/sys/net is per netns);
        the caller stays in it."""
        self.enter()
        write_sysctl(name, value)

    def close(self):
        os.close(self.fd)


def in_netns(name, fn):
    """fn() called in netns name (none: here), then back."""
    if not name:
        return fn()
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(netns_path(name), os.O_RDONLY)
    try:
        setns(target)
        try:
            return fn()
        finally:
            setns(own)
    finally:
        os.close(target)
        os.close(own)


def read_sysctl(name):
    """net.synq.x of the current netns, as its text."""
    with open("/proc/sys/" + name.replace(".", "/")) as f:
        return f.read().strip()


def write_sysctl(name, value):
    """net.synq.x = value in the current netns."""
    with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
        f.write("%s\n" % value)


def read_synq_stats():
    """/proc/net/stat/synq of the current thread's netns, as a dict."""
    with open("/proc/thread-self/net/stat/synq") as f:
        lines = f.read().splitlines()
    names = lines[0].split()[1:]
    values = [int(v) for v in lines[1].split()[1:]]
    return dict(zip(names, values))


def read_tcp_mibs():
    """TCP's own counters of the current thread's netns (/proc/net/snmp and
    /proc/net/netstat, what nstat reads), as {"Tcp.InCsumErrors": n,
    "TcpExt.ListenOverflows": n, ...}."""
    out = {}
    for name in ("snmp", "netstat"):
        with open("/proc/thread-self/net/" + name) as f:
            lines = f.read().splitlines()
        for head, vals in zip(lines[0::2], lines[1::2]):
            proto, keys = head.split(":", 1)
            for k, v in zip(keys.split(), vals.split(":", 1)[1].split()):
                out["%s.%s" % (proto, k)] = int(v)
    return out


# --- raw sockets -------------------------------------------------------------

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def set_rcvbuf(sock, size, force=True):
    """SO_RCVBUFFORCE (past rmem_max; root), else SO_RCVBUF."""
    if force:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
            return
        except OSError:
            pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def raw_tcp_socket(rcvbuf=None, ttl=None, timestamps=False, force=True):
    """socket(AF_INET, SOCK_RAW, IPPROTO_TCP): sends TCP segments (the
    kernel adds the IP header) and receives every TCP packet, IP header
    included."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    if timestamps:
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    if rcvbuf:
        set_rcvbuf(s, rcvbuf, force)
    if ttl is not None:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    return s


def raw_ip_socket():
    """socket(AF_INET, SOCK_RAW, IPPROTO_RAW) with IP_HDRINCL: sends whole
    IPv4 packets (ip_header() + segment), any source address."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    return s


def recv_timestamp(anc, default):
    """The SO_TIMESTAMPNS time of a recvmsg()'s ancillary data."""
    for lvl, typ, cdata in anc:
        if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("=qq", cdata[:16])
            return sec + nsec / 1e9
    return default


# --- slabs -------------------------------------------------------------------

def slab_active(name):
    """Objects in use in slab cache name, after flushing its per-CPU slabs
    (SLUB counts their free objects as in use): /proc/slabinfo's
    active_objs; 0 if the cache does not exist."""
    try:
        with open("/sys/kernel/slab/%s/shrink" % name, "w") as f:
            f.write("1\n")
    except OSError:
        pass
    with open("/proc/slabinfo") as f:
        for line in f:
            w = line.split()
            if w and w[0] == name:
                return int(w[1])
    return 0


# --- socket filters ----------------------------------------------------------

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)


TCP_MD5SIG, TCP_MD5SIG_EXT, TCP_MD5SIG_FLAG_PREFIX = 14, 32, 1


def set_md5sig(sock, addr, key, prefixlen=None):
    """TCP_MD5SIG (or, with prefixlen, TCP_MD5SIG_EXT with a prefix) for
    peer addr (IPv4, or IPv6 with a colon: a sockaddr_in6) and key (bytes;
    b"" deletes): struct tcp_md5sig."""
    if ":" in addr:
        sa = struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 0, 0) + \
            socket.inet_pton(socket.AF_INET6, addr)
    else:
        sa = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + \
            socket.inet_aton(addr)
    flags = 0 if prefixlen is None else TCP_MD5SIG_FLAG_PREFIX
    opt = TCP_MD5SIG if prefixlen is None else TCP_MD5SIG_EXT
    sock.setsockopt(socket.IPPROTO_TCP, opt, sa.ljust(128, b"\0") +
                    struct.pack("=BBHi", flags, prefixlen or 0, len(key), 0) +
                    key.ljust(80, b"\0"))


def attach_filter(sock, insns):
    """Attach a classic BPF program, [(code, jt, jf, k)...], to sock."""
    prog = b"".join(struct.pack("=HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = struct.pack("@HP", len(insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    del buf                         # the kernel has its copy


def tcp_flags_filter(mask, value):
    """A raw IPv4 socket's filter: only TCP segments whose flags & mask ==
    value (e.g. SYN-ACKs: mask FIN|SYN|RST|ACK, value SYN|ACK)."""
    return [(0xb1, 0, 0, 0),            # ldxb 4 * ([0] & 0xf): IP header
            (0x30, 0, 0, 9),            # ldb [9]: protocol
            (0x15, 0, 4, socket.IPPROTO_TCP),   # jeq TCP, else drop
            (0x50, 0, 0, 13),           # ldb [x + 13]: TCP flags
            (0x54, 0, 0, mask),         # and mask
            (0x15, 0, 1, value),        # jeq value
            (0x06, 0, 0, 0xffff),       # ret: the whole packet
            (0x06, 0, 0, 0)]            # ret 0: drop
