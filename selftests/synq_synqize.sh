#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/synqize: real programs' TCP listeners become synq listeners,
# their client sockets stay TCP.
#
#  - a python program under synqize: its listeners are synq (SO_PROTOCOL
#    253, same fd, flags and options; IPv6 and dual-stack ones too, V6ONLY
#    kept), its client, accepted and
#    SO_REUSEPORT sockets TCP (6);
#  - SYNQ_PROTO naming no protocol: listeners stay TCP, one warning;
#  - python3 -m http.server (--bind 127.0.0.1, and --bind :: for IPv6 and
#    v4-mapped clients) and nginx (2 workers, 4 listeners, one on a veth
#    address, one on [::], a proxy_pass through a client socket) under
#    synqize: curl gets the exact file, ab -n 500 -c 20 gets every answer,
#    /proc/net/synq shows the listeners while they serve and not after.

. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 curl
require_synq

SYNQIZE=$SYNQ_TOP/scripts/synqize
# Debian's python3 starts faster than a pyenv shim, which counts in a VM.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TMPD=$(mktemp -d /tmp/synq_synqize.XXXXXX)
chmod 755 "$TMPD"
defer rm -rf "$TMPD"

setup_pair6 || ksft_fail_all "cannot create the test namespaces (veth?)"

# The file the servers serve; 20 kB, so that it takes several segments.
DOC=$TMPD/www
mkdir -p "$DOC"
"$PY" -c 'import sys; sys.stdout.write("".join("synq %05d\n" % i for i in range(2048)))' \
	> "$DOC/index.html"
chmod -R a+rX "$DOC"

# Print a file as TAP comments.
show() {
	sed 's/^\([^#]\)/# \1/' "$1"
}

# synq_lines NS PORT: the /proc/net/synq lines of NS for local port PORT.
# shellcheck disable=SC2016 # awk programs
synq_lines() {
	ip netns exec "$1" awk -v p=":$2" \
		'NR > 1 && substr($1, length($1) - length(p) + 1) == p' /proc/net/synq
}

# synq_count NS: how many synq listeners NS has.
synq_count() {
	ip netns exec "$1" awk 'END { print NR - 1 }' /proc/net/synq
}

# synq_nonzero NS: the nonzero /proc/net/stat/synq counters of NS.
# shellcheck disable=SC2016 # awk programs
synq_nonzero() {
	ip netns exec "$1" awk \
		'NR == 1 { for (i = 2; i <= NF; i++) n[i] = $i }
		 NR == 2 { for (i = 2; i <= NF; i++) if ($i) printf "%s=%s ", n[i], $i }' \
		/proc/net/stat/synq
}

# wait_synq NS PORT N PID: until NS has N synq listeners on PORT (60 s);
# fails at once if process PID died.
wait_synq() {
	local ns=$1 port=$2 n=$3 pid=$4 i
	for ((i = 0; i < 600; i++)); do
		[ "$(synq_lines "$ns" "$port" | wc -l)" = "$n" ] && return 0
		kill -0 "$pid" 2>/dev/null || { fail "server exited early"; return 1; }
		sleep 0.1
	done
	fail "no $n synq listener(s) on port $port after 60 s"
}

# wait_gone NS PORT: until NS has no synq listener on PORT (10 s).
wait_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -z "$(synq_lines "$1" "$2")" ] && return 0
		sleep 0.1
	done
	synq_lines "$1" "$2" | sed 's/^/# /'
	fail "synq listener on port $2 still in /proc/net/synq after the server stopped"
}

# fetch NS URL [CURL-ARG...]: curl URL from NS; the body must be
# index.html exactly.
fetch() {
	ip netns exec "$1" curl -sS --max-time 30 -o "$TMPD/body" "${@:3}" "$2" ||
		{ fail "curl $2 failed"; return 1; }
	cmp -s "$DOC/index.html" "$TMPD/body" ||
		{ fail "curl $2: wrong body ($(wc -c < "$TMPD/body") bytes)"; return 1; }
	log "curl $2: $(wc -c < "$TMPD/body") bytes, exact"
}

# bench NS URL: ab -n 500 -c 20 from NS; every request answered, 200 OK.
bench() {
	local out=$TMPD/ab.out
	if ! ip netns exec "$1" ab -q -n 500 -c 20 -s 30 "$2" > "$out" 2>&1; then
		show "$out"
		log "/proc/net/stat/synq (nonzero): $(synq_nonzero "$1")"
		fail "ab $2 exited non-zero"
	fi
	grep -E '^(Complete|Failed) requests|^Non-2xx|^Requests per second' "$out" |
		sed "s|^|# ab $2: |"
	if ! grep -qE '^Complete requests: +500$' "$out" ||
	   ! grep -qE '^Failed requests: +0$' "$out" ||
	   grep -q '^Non-2xx' "$out"; then
		show "$out"
		fail "ab $2: not every request answered 200"
	fi
}

# A program that listens and connects, under synqize.
check_sockets() {
	local v6=0
	ip netns exec "$NS_SRV" "$PY" -c \
		'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' \
		2>/dev/null && v6=1
	cat > "$TMPD/sockets.py" <<'EOF'
import errno, fcntl, os, socket, sys

SOL, TCP = socket.SOL_SOCKET, socket.IPPROTO_TCP
bad = 0


def want(what, got, exp):
    global bad
    ok = got == exp
    print("#   %-44s %-12s %s" % (what, got, "ok" if ok else "WANT %s" % exp))
    bad += not ok


def proto(s):
    return s.getsockopt(SOL, socket.SO_PROTOCOL)


# A listener with options and flags set before listen().
s = socket.socket()
fd = s.fileno()
s.setsockopt(SOL, socket.SO_REUSEADDR, 1)
s.setsockopt(SOL, socket.SO_KEEPALIVE, 1)
s.setsockopt(SOL, socket.SO_RCVBUF, 1 << 15)
s.setsockopt(TCP, socket.TCP_NODELAY, 1)
s.setsockopt(TCP, socket.TCP_MAXSEG, 1000)
s.setsockopt(TCP, socket.TCP_DEFER_ACCEPT, 1)
s.setblocking(False)
s.bind(("127.0.0.1", 0))
addr = s.getsockname()
s.listen(64)
want("listener SO_PROTOCOL", proto(s), 253)
want("listener fd", s.fileno(), fd)
want("listener address", s.getsockname(), addr)
want("listener O_NONBLOCK", bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK), True)
want("listener FD_CLOEXEC", bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC), True)
want("listener SO_ACCEPTCONN", s.getsockopt(SOL, socket.SO_ACCEPTCONN), 1)
want("listener SO_REUSEADDR", s.getsockopt(SOL, socket.SO_REUSEADDR), 1)
want("listener SO_KEEPALIVE", s.getsockopt(SOL, socket.SO_KEEPALIVE), 1)
ref = socket.socket()
ref.setsockopt(SOL, socket.SO_RCVBUF, 1 << 15)
want("listener SO_RCVBUF (as TCP's)", s.getsockopt(SOL, socket.SO_RCVBUF),
     ref.getsockopt(SOL, socket.SO_RCVBUF))
ref.close()
want("listener TCP_NODELAY", s.getsockopt(TCP, socket.TCP_NODELAY), 1)
want("listener TCP_MAXSEG", s.getsockopt(TCP, socket.TCP_MAXSEG), 1000)
want("listener TCP_DEFER_ACCEPT", s.getsockopt(TCP, socket.TCP_DEFER_ACCEPT) > 0, True)

# The same program's client socket stays TCP and reaches the listener.
s.setblocking(True)
c = socket.create_connection(addr, timeout=10)
c.sendall(b"ping")  # TCP_DEFER_ACCEPT: the child comes with data
a, peer = s.accept()
want("client SO_PROTOCOL", proto(c), 6)
want("accepted SO_PROTOCOL", proto(a), 6)
want("accepted peer", peer, c.getsockname())
want("accepted data", a.recv(4), b"ping")
a.sendall(b"pong")
want("client data", c.recv(4), b"pong")
for x in (a, c, s):
    x.close()

# Inheritable (no FD_CLOEXEC), blocking, never bound: port picked.
u = socket.socket()
u.set_inheritable(True)
u.listen()
want("unbound listener SO_PROTOCOL", proto(u), 253)
want("unbound listener port picked", u.getsockname()[1] > 0, True)
want("unbound listener inheritable", os.get_inheritable(u.fileno()), True)
want("unbound listener O_NONBLOCK", u.getblocking(), True)
u.close()

# SO_REUSEPORT listeners stay TCP.
r = socket.socket()
r.setsockopt(SOL, socket.SO_REUSEPORT, 1)
r.bind(("127.0.0.1", 0))
r.listen()
want("SO_REUSEPORT listener SO_PROTOCOL", proto(r), 6)
r.close()
# IPv6 listeners convert, dual-stack and V6ONLY, with V6ONLY kept: a
# V6ONLY listener leaves the port's IPv4 side free, a dual-stack one not.
if sys.argv[1] == "1":
    V6 = socket.IPPROTO_IPV6
    v = socket.socket(socket.AF_INET6)
    v.bind(("::", 0))
    v.listen()
    want("IPv6 listener SO_PROTOCOL", proto(v), 253)
    want("IPv6 listener V6ONLY", v.getsockopt(V6, socket.IPV6_V6ONLY), 0)
    x = socket.socket()
    try:
        x.bind(("0.0.0.0", v.getsockname()[1]))
        want("dual-stack listener holds its IPv4 port", "free", "EADDRINUSE")
    except OSError as e:
        want("dual-stack listener holds its IPv4 port", e.errno, errno.EADDRINUSE)
    x.close()
    v.close()
    w = socket.socket(socket.AF_INET6)
    w.setsockopt(V6, socket.IPV6_V6ONLY, 1)
    w.bind(("::", 0))
    w.listen()
    want("V6ONLY listener SO_PROTOCOL", proto(w), 253)
    want("V6ONLY listener V6ONLY", w.getsockopt(V6, socket.IPV6_V6ONLY), 1)
    x = socket.socket()
    x.bind(("0.0.0.0", w.getsockname()[1]))
    x.close()
    w.close()

# A second listen() on a synq listener only changes the backlog.
t = socket.socket()
t.bind(("127.0.0.1", 0))
t.listen(1)
t.listen(8)
want("relisten SO_PROTOCOL", proto(t), 253)
sys.exit(1 if bad else 0)
EOF
	ip netns exec "$NS_SRV" env SYNQIZE_DEBUG=1 "$SYNQIZE" run \
		"$PY" "$TMPD/sockets.py" "$v6" 2> "$TMPD/sockets.err" ||
		{ show "$TMPD/sockets.err"; fail "a socket is not what it should be"; return 1; }
	show "$TMPD/sockets.err"
	[ "$(grep -c 'now a synq listener' "$TMPD/sockets.err")" = $((3 + 2 * v6)) ] ||
		fail "synqize did not report exactly $((3 + 2 * v6)) conversions"
}

# No synq at SYNQ_PROTO: listeners stay TCP and serve; one warning.
check_no_protocol() {
	ip netns exec "$NS_SRV" env SYNQ_PROTO=254 "$SYNQIZE" run "$PY" -c '
import socket, sys
ls = []
for i in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    ls.append(s)
    c = socket.create_connection(s.getsockname(), timeout=10)
    a, _ = s.accept()
    if s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) != 6:
        sys.exit("listener %d is not TCP" % i)
' 2> "$TMPD/noproto.err" || { show "$TMPD/noproto.err"; fail "python failed"; return 1; }
	show "$TMPD/noproto.err"
	[ "$(wc -l < "$TMPD/noproto.err")" = 1 ] || fail "want exactly one warning"
	grep -q '^synqize: socket(AF_INET, SOCK_STREAM, 254): .*listeners stay TCP' \
		"$TMPD/noproto.err" || fail "not the warning expected"
}

# srv_stop PID PORT NS: stop a server, its listeners must go.
srv_stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	wait_gone "$3" "$2"
}

check_http_server() {
	local port=8000 pid c0 c1

	require_cmd_sub ab || return
	c0=$(synq_stat "$NS_SRV" Children)
	ip netns exec "$NS_SRV" env SYNQIZE_DEBUG=1 "$SYNQIZE" run \
		"$PY" -m http.server --bind 127.0.0.1 --directory "$DOC" "$port" \
		> "$TMPD/http.log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # the pid of now
	trap "kill $pid 2>/dev/null || true" EXIT
	wait_synq "$NS_SRV" "$port" 1 "$pid" || { show "$TMPD/http.log"; return 1; }
	synq_lines "$NS_SRV" "$port" | sed 's/^/# \/proc\/net\/synq: /'
	fetch "$NS_SRV" "http://127.0.0.1:$port/index.html"
	bench "$NS_SRV" "http://127.0.0.1:$port/index.html"
	c1=$(synq_stat "$NS_SRV" Children)
	log "Children: $c0 -> $c1"
	[ $((c1 - c0)) -ge 501 ] || fail "synq handed over fewer than 501 children"
	[ "$(synq_lines "$NS_SRV" "$port" | wc -l)" = 1 ] ||
		fail "listener gone while serving"
	grep '^synqize:' "$TMPD/http.log" | sed 's/^/# /'
	srv_stop "$pid" "$port" "$NS_SRV"
}

# http.server --bind :: is dual-stack (its DualStackServer clears
# IPV6_V6ONLY): IPv6 clients and IPv4 ones, v4-mapped, on one listener.
check_http_server6() {
	local port=8001 pid c0 c1

	require_cmd_sub ab || return
	c0=$(synq_stat "$NS_SRV" Children)
	ip netns exec "$NS_SRV" env SYNQIZE_DEBUG=1 "$SYNQIZE" run \
		"$PY" -m http.server --bind :: --directory "$DOC" "$port" \
		> "$TMPD/http6.log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # the pid of now
	trap "kill $pid 2>/dev/null || true" EXIT
	wait_synq "$NS_SRV" "$port" 1 "$pid" || { show "$TMPD/http6.log"; return 1; }
	synq_lines "$NS_SRV" "$port" | sed 's/^/# \/proc\/net\/synq: /'
	[ "$(synq_lines "$NS_SRV" "$port" | awk '{ print $1 }')" = "[::]:$port" ] ||
		fail "/proc/net/synq does not show [::]:$port"
	fetch "$NS_SRV" "http://[::1]:$port/index.html" -6
	fetch "$NS_SRV" "http://127.0.0.1:$port/index.html" -4
	fetch "$NS_CLI" "http://[$SRV_IP6]:$port/index.html" -6
	fetch "$NS_CLI" "http://$SRV_IP:$port/index.html" -4
	bench "$NS_SRV" "http://[::1]:$port/index.html"
	c1=$(synq_stat "$NS_SRV" Children)
	log "Children: $c0 -> $c1"
	[ $((c1 - c0)) -ge 504 ] || fail "synq handed over fewer than 504 children"
	grep '^synqize:' "$TMPD/http6.log" | sed 's/^/# /'
	srv_stop "$pid" "$port" "$NS_SRV"
}

# Skip this subtest if a command is missing.
require_cmd_sub() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { skip_tool "$c not installed"; return; }
	done
}

check_nginx() {
	local port=8080 uport=8081 pid n c0 c1 conv

	require_cmd_sub nginx ab || return
	mkdir -p "$TMPD/nginx"
	cat > "$TMPD/nginx/nginx.conf" <<-EOF
		worker_processes 2;
		daemon off;
		pid $TMPD/nginx/nginx.pid;
		error_log $TMPD/nginx/error.log;
		events { worker_connections 256; }
		http {
			access_log off;
			client_body_temp_path $TMPD/nginx/body;
			proxy_temp_path $TMPD/nginx/proxy;
			fastcgi_temp_path $TMPD/nginx/fastcgi;
			uwsgi_temp_path $TMPD/nginx/uwsgi;
			scgi_temp_path $TMPD/nginx/scgi;
			server {
				listen 127.0.0.1:$port;
				listen $SRV_IP:$port;
				listen [::]:$port;
				root $DOC;
				location /proxy/ {
					proxy_pass http://127.0.0.1:$uport/;
				}
			}
			server {
				listen 127.0.0.1:$uport;
				root $DOC;
			}
		}
	EOF
	c0=$(synq_stat "$NS_SRV" Children)
	ip netns exec "$NS_SRV" env SYNQIZE_DEBUG=1 "$SYNQIZE" run \
		nginx -p "$TMPD/nginx" -c "$TMPD/nginx/nginx.conf" \
		-e "$TMPD/nginx/error.log" > "$TMPD/nginx.log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # the pid of now
	trap "kill $pid 2>/dev/null || true" EXIT
	if ! wait_synq "$NS_SRV" "$port" 3 "$pid" ||
	   ! wait_synq "$NS_SRV" "$uport" 1 "$pid"; then
		show "$TMPD/nginx.log"
		show "$TMPD/nginx/error.log"
		return 1
	fi
	ip netns exec "$NS_SRV" cat /proc/net/synq | sed 's/^/# \/proc\/net\/synq: /'
	n=$(synq_count "$NS_SRV")
	[ "$n" = 4 ] || fail "want 4 synq listeners, /proc/net/synq has $n"
	show "$TMPD/nginx.log"
	conv=$(grep -c 'now a synq listener' "$TMPD/nginx.log" || true)
	[ "$conv" = 4 ] || fail "synqize reported $conv conversions, not 4"

	fetch "$NS_SRV" "http://127.0.0.1:$port/index.html"
	fetch "$NS_CLI" "http://$SRV_IP:$port/index.html"
	# nginx's upstream connection is a client socket: it must stay TCP
	# (a synq socket cannot connect) for the proxied request to work.
	fetch "$NS_CLI" "http://$SRV_IP:$port/proxy/index.html"
	bench "$NS_SRV" "http://127.0.0.1:$port/index.html"
	bench "$NS_CLI" "http://$SRV_IP:$port/index.html"
	# listen [::]:port is V6ONLY in nginx: IPv6 clients only.
	fetch "$NS_SRV" "http://[::1]:$port/index.html" -6
	fetch "$NS_CLI" "http://[$SRV_IP6]:$port/index.html" -6
	bench "$NS_CLI" "http://[$SRV_IP6]:$port/index.html"
	c1=$(synq_stat "$NS_SRV" Children)
	log "Children: $c0 -> $c1"
	[ $((c1 - c0)) -ge 1506 ] || fail "synq handed over fewer than 1506 children"
	n=$(synq_count "$NS_SRV")
	[ "$n" = 4 ] || fail "want 4 synq listeners after the load, have $n"
	srv_stop "$pid" "$port" "$NS_SRV"
	wait_gone "$NS_SRV" "$uport"
	n=$(synq_count "$NS_SRV")
	[ "$n" = 0 ] || fail "$n synq listeners left after nginx stopped"
	if grep -E '\[(emerg|alert|crit)\]' "$TMPD/nginx/error.log"; then
		fail "nginx logged errors"
	fi
}

ksft_run "synqize: listeners synq (IPv6 too), client/reuseport sockets TCP" check_sockets
ksft_run "synqize: no synq protocol: TCP and one warning" check_no_protocol
ksft_run "synqize: python3 http.server: curl and ab -n 500 -c 20" check_http_server
ksft_run "synqize: python3 http.server --bind ::: curl -6, curl -4, ab" check_http_server6
ksft_run "synqize: nginx, 2 workers, 4 listeners ([::] too), proxy_pass: curl and ab" check_nginx
ksft_exit
