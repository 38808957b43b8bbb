#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The synq demo.  Runs INSIDE a VM ('make demo' starts it through
# scripts/vm.sh): loads module/synq.ko, serves HTTP from a real server
# (nginx, else python3 -m http.server) whose listeners scripts/synqize made
# synq listeners, and drives real clients at it from a second network
# namespace over veth:
#
#   1. ab: some hundreds of requests;
#   2. a burst of concurrent connects past a small backlog of a slow
#      acceptor: the overflow counters move, every client is served;
#   3. a SYN flood from hping3 with random source addresses: SYN cookies,
#      and curl still gets its answers meanwhile.
#
# Each step prints what was served, /proc/net/synq, and the
# /proc/net/stat/synq counters that moved.
#
# Usage: scripts/demo.sh    (as root, on a machine that may load modules)
# Environment: SYNQ_DEMO_FLOOD (seconds of SYN flood, default 3).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
KO=${SYNQ_KO:-$TOP/module/synq.ko}
SYNQIZE=$TOP/scripts/synqize
# SOL_SYNQ, from the uapi header, for the servers below.
SYNQ_SOL=$(awk '$1 == "#define" && $2 == "SOL_SYNQ" { print $3 }' "$TOP/module/uapi/synq.h")
export SYNQ_SOL
FLOOD_SECS=${SYNQ_DEMO_FLOOD:-3}

SRV=synq-demo-srv
CLI=synq-demo-cli
SRV_IP=10.0.9.1
CLI_IP=10.0.9.2
PORT=80
SLOW_PORT=8080
BURST=40

# Debian's python3 starts faster than a pyenv shim, which counts in a VM.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

T=$(mktemp -d /tmp/synq-demo.XXXXXX)
chmod 755 "$T"
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	ip netns del "$CLI" 2>/dev/null || true
	ip netns del "$SRV" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

start=$SECONDS
section() { printf '\n==== %s  [%ds]\n' "$*" $((SECONDS - start)); }
say() { printf '  %s\n' "$*"; }
indent() { sed 's/^/  /'; }
# Not for "&": $! would be a subshell's pid, not the program's.
srv() { ip netns exec "$SRV" "$@"; }
cli() { ip netns exec "$CLI" "$@"; }

# The counters of /proc/net/stat/synq in the server's netns, "name value".
# shellcheck disable=SC2016 # awk programs
counters() {
	srv awk 'NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i }
		 NR == 2 { for (i = 2; i <= NF; i++) print name[i], $i }' \
		/proc/net/stat/synq > "$1"
}

# moved BEFORE AFTER: the counters that moved, "name: +delta".
moved() {
	awk 'NR == FNR { v[$1] = $2; next }
	     $2 != v[$1] { printf "  %-20s +%d\n", $1 ":", $2 - v[$1]; n++ }
	     END { if (!n) print "  (no counter moved)" }' "$1" "$2"
}

proc_synq() {
	srv cat /proc/net/synq | indent
}

# wait_listen PORT N: until N synq listeners of the server netns use PORT.
# shellcheck disable=SC2016 # awk programs
wait_listen() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(srv awk -v p=":$1" 'NR > 1 && $1 ~ p "$"' /proc/net/synq |
		     wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "demo: no synq listener on port $1 after 30 s" >&2
	return 1
}

# --- the module ---------------------------------------------------------------

section "synq $(modinfo -F version "$KO" 2>/dev/null || echo '?') on kernel $(uname -r)"
insmod "$KO"
say "insmod $KO: $(lsmod | awk '$1 == "synq" { print "loaded, " $2 " bytes" }')"
say "protocol: socket(AF_INET, SOCK_STREAM, $(cat /sys/module/synq/parameters/proto))"
say "sysctls:  $(sysctl net.synq | sed 's/^net\.synq\.//; s/ = /=/' | tr '\n' ' ')"

# --- network: two namespaces over veth -----------------------------------------

section "network: $SRV ($SRV_IP) <-veth-> $CLI ($CLI_IP)"
# The default route: SYN-ACKs to the flood's random sources leave by the
# veth (and die there).
ip -batch - <<EOF
netns add $SRV
netns add $CLI
link add veth0 netns $SRV type veth peer name veth0 netns $CLI
EOF
ip -n "$SRV" -batch - <<EOF
addr add $SRV_IP/24 dev veth0
link set lo up
link set veth0 up
route add default via $CLI_IP
EOF
ip -n "$CLI" -batch - <<EOF
addr add $CLI_IP/24 dev veth0
link set lo up
link set veth0 up
EOF
say "server netns: default route via $CLI_IP; net.synq.syncookies=$(srv sysctl -n net.synq.syncookies)"
say "/proc/net/synq in the server netns, before any server:"
proc_synq

# --- the server ------------------------------------------------------------------

mkdir -p "$T/www" "$T/nginx"
"$PY" -c 'import sys; sys.stdout.write("".join("synq %05d\n" % i for i in range(1024)))' \
	> "$T/www/index.html"
chmod -R a+rX "$T/www"

if command -v nginx > /dev/null; then
	server="nginx (2 workers)"
	cat > "$T/nginx/nginx.conf" <<-EOF
		worker_processes 2;
		daemon off;
		pid $T/nginx/nginx.pid;
		error_log $T/nginx/error.log;
		events { worker_connections 512; }
		http {
			access_log off;
			client_body_temp_path $T/nginx/body;
			proxy_temp_path $T/nginx/proxy;
			fastcgi_temp_path $T/nginx/fastcgi;
			uwsgi_temp_path $T/nginx/uwsgi;
			scgi_temp_path $T/nginx/scgi;
			server {
				listen $SRV_IP:$PORT backlog=511;
				listen 127.0.0.1:$PORT;
				root $T/www;
			}
		}
	EOF
	set -- nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log"
	nlisten=2
	show="nginx -c nginx.conf: listen $SRV_IP:$PORT and 127.0.0.1:$PORT"
else
	server="python3 -m http.server (nginx not installed)"
	set -- "$PY" -m http.server --bind "$SRV_IP" --directory "$T/www" "$PORT"
	nlisten=1
	show="python3 -m http.server --bind $SRV_IP $PORT"
fi

section "server: synqize run $show"
say "$server"
ip netns exec "$SRV" env SYNQIZE_DEBUG=1 "$SYNQIZE" run "$@" > "$T/server.log" 2>&1 &
pids+=($!)
wait_listen "$PORT" "$nlisten"
grep '^synqize:' "$T/server.log" | indent
say "/proc/net/synq:"
proc_synq

# --- 1. requests -------------------------------------------------------------------

section "1. clients: curl, then ab -n 500 -c 20 from $CLI"
counters "$T/c0"
cli curl -sS -o "$T/body" -w "curl http://$SRV_IP/index.html: HTTP %{http_code}, %{size_download} bytes, %{time_total} s\n" \
	"http://$SRV_IP:$PORT/index.html" | indent
cmp -s "$T/body" "$T/www/index.html" && say "body: identical to the file served"
cli ab -q -n 500 -c 20 -s 30 "http://$SRV_IP:$PORT/index.html" > "$T/ab.out" 2>&1 || true
grep -E '^(Complete requests|Failed requests|Non-2xx responses|Time taken for tests|Requests per second)' \
	"$T/ab.out" | sed 's/ \[#\/sec\] (mean)//' | indent
counters "$T/c1"
say "/proc/net/stat/synq, what moved:"
moved "$T/c0" "$T/c1"

# --- 2. a burst past the backlog ---------------------------------------------------

section "2. burst: $BURST concurrent clients, a slow acceptor, listen(fd, 4)"
# A server that speaks first, as SMTP or SSH do.  A SYN cookie whose
# final ACK finds the accept queue full is lost for such a protocol, with
# synq as with TCP (the client waits for data; nothing retransmits), so
# this listener turns cookies off for itself (SOL_SYNQ, SYNQ_SYNCOOKIES):
# when the SYN table is full, SYNs are dropped and clients retry.
cat > "$T/slow.py" <<'EOF'
import os, signal, socket, sys, time

n = 0


def bye(*_):
    print("  the server accepted %d connections" % n, flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, bye)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4)
if s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) != socket.IPPROTO_TCP:
    s.setsockopt(int(os.environ["SYNQ_SOL"], 0), 2, 0)  # SYNQ_SYNCOOKIES: off
    print("  listen(fd, 4) on a synq socket; SYNQ_SYNCOOKIES=0 for it", flush=True)
while True:
    c, _ = s.accept()
    n += 1
    c.sendall(b"served\n")
    c.close()
    time.sleep(0.01)
EOF
cat > "$T/burst.py" <<'EOF'
import socket, sys, threading, time

n, ok, times = int(sys.argv[3]), [], []


def client():
    t0 = time.time()
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
        if c.recv(16) == b"served\n":
            ok.append(1)
            times.append(time.time() - t0)
        c.close()
    except OSError as e:
        print("  client: %s" % e)


t0 = time.time()
ts = [threading.Thread(target=client) for _ in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
times.sort()
print("  %d/%d clients served in %.1f s (fastest %.2f s, slowest %.2f s)"
      % (len(ok), n, time.time() - t0, times[0] if times else 0,
         times[-1] if times else 0))
EOF
ip netns exec "$SRV" "$SYNQIZE" run "$PY" "$T/slow.py" "$SRV_IP" "$SLOW_PORT" > "$T/slow.log" 2>&1 &
slow=$!
pids+=("$slow")
wait_listen "$SLOW_PORT" 1
counters "$T/c0"
cat "$T/slow.log"
cli "$PY" "$T/burst.py" "$SRV_IP" "$SLOW_PORT" "$BURST"
counters "$T/c1"
say "/proc/net/synq (see backlog and overflows of :$SLOW_PORT):"
proc_synq
kill "$slow"
wait "$slow" 2>/dev/null || true
grep 'accepted' "$T/slow.log" || true
say "/proc/net/stat/synq, what moved:"
moved "$T/c0" "$T/c1"

# --- 3. SYN flood ------------------------------------------------------------------

section "3. SYN flood: hping3 -S --flood --rand-source from $CLI for ${FLOOD_SECS} s"
if command -v hping3 > /dev/null; then
	counters "$T/c0"
	ip netns exec "$CLI" timeout "$FLOOD_SECS" hping3 -S -p "$PORT" --flood --rand-source -q "$SRV_IP" \
		> "$T/hping.log" 2>&1 &
	flood=$!
	pids+=("$flood")
	sleep 0.5
	for i in 1 2 3; do
		cli curl -sS -o /dev/null --max-time 20 \
			-w "curl during the flood ($i): HTTP %{http_code}, %{size_download} bytes, %{time_total} s\n" \
			"http://$SRV_IP:$PORT/index.html" 2>&1 | indent || true
		[ "$i" = 1 ] && { say "/proc/net/synq during the flood:"; proc_synq; }
	done
	wait "$flood" 2>/dev/null || true
	grep -E 'packets (transmitted|tramitted)' "$T/hping.log" | indent || true
	counters "$T/c1"
	say "/proc/net/stat/synq, what moved:"
	moved "$T/c0" "$T/c1"
	sleep 0.5
	say "/proc/net/synq after the flood:"
	proc_synq
else
	say "(hping3 not installed: skipped)"
fi

# --- the end -----------------------------------------------------------------------

section "stop the server; rmmod synq"
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
say "/proc/net/synq after the server stopped:"
proc_synq
ip netns del "$CLI"
ip netns del "$SRV"
rmmod synq
say "$(dmesg | grep -i 'synq' | grep -v 'synq-vm:' | tail -n 1)"
echo
echo "demo done in $((SECONDS - start)) s"
