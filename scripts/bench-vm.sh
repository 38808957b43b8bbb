#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# synq benchmarks against Linux's own TCP listener.  Runs INSIDE a VM
# (scripts/bench.sh, or 'make bench', starts it through scripts/vm.sh):
# insmod module/synq.ko, build network namespaces, run each benchmark
# alternating TCP and synq (A B A B ...), and print a table of medians and
# the ratio synq/TCP.  Not a test: nothing here passes or fails.
#
# Usage: scripts/bench-vm.sh     (as root, in a VM that may load modules)
#
# Environment (vm.sh passes SYNQ_* on; scripts/bench.sh maps BENCH_* here):
#   SYNQ_BENCH_ONLY         which: "accept flood mem mem6 scale" (default all)
#   SYNQ_BENCH_RUNS         runs of each side per figure (default 3)
#   SYNQ_BENCH_ACCEPT_N     client threads, a list (default "1 8 64")
#   SYNQ_BENCH_ACCEPT_T     accept() threads (default 2)
#   SYNQ_BENCH_ACCEPT_SECS  seconds per accept run (default 5)
#   SYNQ_BENCH_ACCEPT_VETH  1: the accept rate over veth too (default 0)
#   SYNQ_BENCH_FLOOD_SECS   seconds per flood run (default 10)
#   SYNQ_BENCH_FLOOD_RATE   SYNs a second of hping3 (default 0: --flood)
#   SYNQ_BENCH_PROBE_T      legitimate client threads under flood (default 2)
#   SYNQ_BENCH_MEM_N        pending SYNs for the memory figure (default 10000)
#   SYNQ_BENCH_SCALE_N      pending SYNs for the scale figure (default 1000000)
#   SYNQ_BENCH_SCALE_RUNS   runs of each side for scale (default 1)
#   SYNQ_BENCH_PERF         1: perf record -a -g one run of each side of the
#                           accept (N=64) and flood benchmarks, print the
#                           top symbols (default 0)
#   SYNQ_BENCH_BIN          the synq_bench binary (default .cache/bench/synq_bench)

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
KO=${SYNQ_KO:-$TOP/module/synq.ko}
BIN=${SYNQ_BENCH_BIN:-$TOP/.cache/bench/synq_bench}
ONLY=${SYNQ_BENCH_ONLY:-accept flood mem mem6 scale}
RUNS=${SYNQ_BENCH_RUNS:-3}
ACCEPT_N=${SYNQ_BENCH_ACCEPT_N:-1 8 64}
ACCEPT_T=${SYNQ_BENCH_ACCEPT_T:-2}
ACCEPT_SECS=${SYNQ_BENCH_ACCEPT_SECS:-5}
ACCEPT_VETH=${SYNQ_BENCH_ACCEPT_VETH:-0}
FLOOD_SECS=${SYNQ_BENCH_FLOOD_SECS:-10}
FLOOD_RATE=${SYNQ_BENCH_FLOOD_RATE:-0}
PROBE_T=${SYNQ_BENCH_PROBE_T:-2}
MEM_N=${SYNQ_BENCH_MEM_N:-10000}
SCALE_N=${SYNQ_BENCH_SCALE_N:-1000000}
SCALE_RUNS=${SYNQ_BENCH_SCALE_RUNS:-1}
PERF=${SYNQ_BENCH_PERF:-0}
WORK=/tmp/synq-bench
USER_HZ=$(getconf CLK_TCK)

# Namespaces: S (server), F (flooder / raw SYN sender), C (legitimate
# clients); S-F over veth 10.0.1.0/24, S-C over veth 10.0.2.0/24.  S routes
# everything else to a dummy device, so SYN-ACKs to spoofed sources leave
# the server and cost what a real one costs, then vanish.
S=bench-srv
F=bench-fld
C=bench-cli
S_F=10.0.1.2
S_C=10.0.2.2
SPOOF_BASE=10.128.0.0	# raw SYN sources: SPOOF_BASE + i, i < 8M

log() { echo "# [$(awk "{printf \"%d\", \$1}" /proc/uptime)s] $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $S $F $C; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT

setup_net() {
	local ns
	for ns in $S $F $C; do
		ip netns add "$ns" || die "ip netns add $ns"
		ip -n "$ns" link set lo up
	done
	ip link add name vf netns $S type veth peer name vs netns $F
	ip link add name vc netns $S type veth peer name vs netns $C
	ip -n $S addr add $S_F/24 dev vf
	ip -n $S addr add $S_C/24 dev vc
	ip -n $F addr add 10.0.1.1/24 dev vs
	ip -n $C addr add 10.0.2.1/24 dev vs
	for ns in $S $F $C; do
		ip -n "$ns" link set dev "$( [ "$ns" = $S ] && echo vf || echo vs)" up
	done
	ip -n $S link set dev vc up
	ip -n $S link add dummy0 type dummy
	ip -n $S link set dummy0 up
	ip -n $S route add default dev dummy0
	ip -n $F route add default via $S_F
	ip -n $C route add default via $S_C
	for ns in $S $F $C; do
		in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	in_ns $S sysctl -qw net.ipv4.conf.vf.rp_filter=0 \
		net.ipv4.tcp_syncookies=1 net.synq.syncookies=1 \
		net.core.somaxconn=4194304
	in_ns $S sysctl -qw net.core.netdev_max_backlog=10000 2>/dev/null || true
	# The defaults that mem and scale change, restored for the flood.
	SYSCTL_DEFAULTS=$(in_ns $S sysctl net.ipv4.tcp_max_syn_backlog net.synq.max_syn_backlog \
		net.ipv4.tcp_synack_retries net.synq.synack_retries | tr -d ' ')
}

median() { tr ' ' '\n' | grep -v -e '^$' -e '^-$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "-" || b == "-") print "-"; else printf "%.2f", a / b }'; }
# The median of the ratios of the runs made side by side (TCP run i, synq
# run i): a host whose speed drifts during the benchmark moves both.
paired() {	# TCP_LIST SYNQ_LIST
	awk -v t="$1" -v s="$2" 'BEGIN {
		n = split(t, a, " "); m = split(s, b, " "); k = 0
		for (i = 1; i <= n && i <= m; i++)
			if (a[i] != "-" && b[i] != "-" && a[i] + 0 != 0)
				printf "%s ", b[i] / a[i]
	}' | median | awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}

# Results: one line per figure.
RESULTS=()
result() {	# FIGURE UNIT TCP_LIST SYNQ_LIST
	local mt ms
	mt=$(echo "$3" | median)
	ms=$(echo "$4" | median)
	RESULTS+=("$(printf '%-44s %-10s %12s %12s %7s %7s' "$1" "$2" "$mt" "$ms" "$(ratio "$ms" "$mt")" "$(paired "$3" "$4")")")
	log "RESULT $1 [$2]: tcp {$3} synq {$4} medians $mt $ms"
}

# Server: start_server NS PROTO ADDR PORT THREADS BACKLOG; sets SRV_PID and
# SRV_OUT (its output file); waits for "ready".
start_server() {
	local i
	SRV_OUT=$WORK/server.$2.$4.out
	# Not in_ns: "FUNCTION &" forks a bash that runs ip netns exec as its
	# child, so $! would be that bash, SIGTERM would kill only it, and the
	# server would go on holding its listener without printing close_us.
	ip netns exec "$1" "$BIN" server "$2" "$3" "$4" "$5" "$6" > "$SRV_OUT" 2>&1 &
	SRV_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$SRV_OUT" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$SRV_OUT" >&2
	die "server $2 did not start"
}

# stop_server: SIGTERM, wait; sets CLOSE_US, the close() time ("-" if the
# server did not print it).
stop_server() {
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	CLOSE_US=$(awk '/^close_us/ {print $2}' "$SRV_OUT")
	[ -n "$CLOSE_US" ] || { log "server $SRV_PID printed no close_us: $(tr '\n' ' ' < "$SRV_OUT")"; CLOSE_US=-; }
}

# Pending SYNs of the listener on PORT in S: synq's qlen, TCP's SYN_RECV.
pending() {	# PROTO PORT
	if [ "$1" = synq ]; then
		in_ns $S awk -v p=":$2" 'index($1, p) && substr($1, length($1) - length(p) + 1) == p {print $6; exit}' /proc/net/synq
	else
		in_ns $S "$BIN" count "$2"
	fi
}

slab() {	# CACHE -> "active_objs bytes_per_obj" (slab pages / objects per slab)
	awk -v c="$1" '$1 == c {printf "%d %d\n", $2, $6 * 4096 / $5}' /proc/slabinfo
}

cpu_stat() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $8}' /proc/stat; }	# busy softirq
dev_stat() { in_ns "$1" cat "/sys/class/net/$2/statistics/$3"; }
softnet_drops() {
	local s=0 x
	for x in $(awk '{print $2}' /proc/net/softnet_stat); do s=$((s + 16#$x)); done
	echo $s
}

# The listen path's own functions, both listeners: share of all samples
# spent in them and their callees (perf report --children).
PERF_PATH='synq_hook|synq_rcv_syn|synq_rcv_ack|synq_send_synack|synq_child_create|synq_accept|synq_table_tick|synq_entry_free_rcu|tcp_v4_rcv|tcp_conn_request|tcp_v4_send_synack|tcp_check_req|tcp_v4_syn_recv_sock|tcp_child_process|inet_csk_accept|inet_accept|reqsk_timer_handler|nf_hook_slow|rcu_core'

perf_top() {	# LABEL PERF_DATA
	log "perf: $1 (top symbols, share of samples, kernel and user)"
	perf report -i "$2" --no-children --sort sym --stdio 2>/dev/null |
		grep -E '^ +[0-9]' | head -n 30 | sed 's/^/#   /'
	log "perf: $1 (listen path, with callees: children self symbol)"
	perf report -i "$2" --children --sort sym --stdio -g none 2>/dev/null |
		grep -E '^ +[0-9]' | grep -E "\] ($PERF_PATH) *\$" | sed 's/^/#   /'
	log "perf: $1 (synq.ko's own symbols, self)"
	# By name: perf may file module symbols under [kernel.kallsyms].
	perf report -i "$2" --no-children --sort sym --stdio 2>/dev/null |
		grep -E '^ +[0-9].*\] synq_' | head -n 15 | sed 's/^/#   /'
}

# ---- 1. accept rate --------------------------------------------------------

# Prints "RATE CPU_US": connections a second, and busy CPU (both CPUs,
# client and server) per connection in microseconds.
accept_run() {	# NS ADDR PROTO PORT N [PERF_LABEL]
	local out rate c0 c1 cpu
	start_server "$1" "$3" "$2" "$4" "$ACCEPT_T" 4096
	local cns=$1 perf=()
	[ "$1" = $S ] && [ "$2" = $S_C ] && cns=$C
	[ -n "${6:-}" ] && perf=(perf record -q -a -g -o "$WORK/perf.$6" --)
	read -r c0 _ < <(cpu_stat)
	out=$("${perf[@]}" ip netns exec "$cns" "$BIN" client "$2" "$4" "$5" "$ACCEPT_SECS" 2>/dev/null | grep '^conns')
	read -r c1 _ < <(cpu_stat)
	stop_server
	rate=$(echo "$out" | awk '{print $6}')
	cpu=$(echo "$out" | awk -v a="$c0" -v b="$c1" -v h="$USER_HZ" \
		'{printf "%.0f", $2 ? (b - a) / h * 1e6 / $2 : 0}')
	log "accept $3 N=$5 via $2: $out; busy CPU $cpu us/conn"
	echo "$rate $cpu"
}


bench_accept() {
	local where addr ns n r tcp synq tcpu scpu rt ct rs cs port=9000 lbl
	for where in lo ${ACCEPT_VETH/#1/veth}; do
		[ "$where" = 0 ] && continue
		if [ "$where" = lo ]; then ns=$S addr=127.0.0.1; else ns=$S addr=$S_C; fi
		for n in $ACCEPT_N; do
			tcp="" synq="" tcpu="" scpu=""
			for ((r = 1; r <= RUNS; r++)); do
				lbl=""
				[ "$PERF" = 1 ] && [ "$r" = 1 ] && [ "$n" = "${ACCEPT_N##* }" ] && [ "$where" = lo ] && lbl=accept-tcp
				port=$((port + 2))
				read -r rt ct < <(accept_run $ns $addr tcp $port "$n" $lbl)
				[ -n "$lbl" ] && lbl=accept-synq
				read -r rs cs < <(accept_run $ns $addr synq $((port + 1)) "$n" $lbl)
				tcp+=" $rt" synq+=" $rs" tcpu+=" $ct" scpu+=" $cs"
			done
			result "accept rate, $where, N=$n T=$ACCEPT_T" "conn/s" "$tcp" "$synq"
			result "accept CPU per conn, $where, N=$n" "us/conn" "$tcpu" "$scpu"
		done
	done
	if [ "$PERF" = 1 ]; then
		perf_top "accept tcp N=${ACCEPT_N##* }" "$WORK/perf.accept-tcp"
		perf_top "accept synq N=${ACCEPT_N##* }" "$WORK/perf.accept-synq"
	fi
}

# ---- 2. SYN flood ------------------------------------------------------------

# One flood run; prints "success median_us p99_us syns_per_s
# syns_per_softirq_s syns_per_busy_s synacks_per_s" ("-" where unknown).
# Bounded: hping3 runs under timeout(1) pinned to the last CPU (its veth
# transmit runs the server's softirq there, so that CPU is the one the flood
# saturates), the probe under timeout(1) too; the shell, the probe and the
# accounting keep the other CPU.
flood_run() {	# PROTO PORT [PERF_LABEL]
	local proto=$1 port=$2 c0 c1 s0 s1 rx0 rx1 tx0 tx1 hp probe secs0 secs1 s_busy s_sirq rx tx
	local cpu=$(( $(nproc) - 1 )) rate=() pin=()
	[ "$cpu" -gt 0 ] && pin=(taskset -c "$cpu")
	if [ "$FLOOD_RATE" = 0 ]; then rate=(--flood); else rate=(-i "u$((1000000 / FLOOD_RATE))"); fi
	start_server $S "$proto" 0.0.0.0 "$port" "$ACCEPT_T" 1024
	rx0=$(dev_stat $S vf rx_packets); tx0=$(dev_stat $S dummy0 tx_packets)
	read -r c0 s0 < <(cpu_stat); secs0=$(date +%s.%N)
	# ip netns exec directly, not in_ns, so that $! is the flooder's pid.
	ip netns exec $F timeout -k 2 -s INT "$((FLOOD_SECS + 1))" "${pin[@]}" \
		hping3 -q -S "${rate[@]}" --rand-source -p "$port" $S_F >/dev/null 2>&1 &
	hp=$!
	sleep 1	# let the flood fill the table before the clients come
	local perf=()
	[ -n "${3:-}" ] && perf=(perf record -q -a -g -o "$WORK/perf.$3" --)
	probe=$(timeout -k 2 "$((FLOOD_SECS + 8))" "${perf[@]}" ip netns exec $C "$BIN" probe $S_C "$port" "$PROBE_T" "$((FLOOD_SECS - 1))" 3000 2>/dev/null | grep '^attempts')
	read -r c1 s1 < <(cpu_stat); secs1=$(date +%s.%N)
	rx1=$(dev_stat $S vf rx_packets); tx1=$(dev_stat $S dummy0 tx_packets)
	kill -INT $hp 2>/dev/null; wait $hp 2>/dev/null
	log "flood $proto: probe: ${probe:-none (timed out)}"
	log "flood $proto: /proc/net/synq: $(in_ns $S awk -v p=":$port" 'index($1, p)' /proc/net/synq | head -n 1)"
	stop_server
	rx=$((rx1 - rx0)); tx=$((tx1 - tx0))
	s_busy=$(awk -v a="$c0" -v b="$c1" -v h="$USER_HZ" 'BEGIN {print (b - a) / h}')
	s_sirq=$(awk -v a="$s0" -v b="$s1" -v h="$USER_HZ" 'BEGIN {print (b - a) / h}')
	log "flood $proto: SYNs in $rx, SYN-ACKs out $tx, $(awk -v a="$secs0" -v b="$secs1" 'BEGIN {printf "%.1f", b - a}') s, busy CPU $s_busy s, softirq CPU $s_sirq s"
	echo "${probe:-attempts 0 ok 0 success - median_us - p99_us -}" | awk -v rx="$rx" -v tx="$tx" -v t0="$secs0" -v t1="$secs1" -v sb="$s_busy" -v ss="$s_sirq" \
		'{printf "%s %s %s %.0f %.0f %.0f %.0f\n", $6, $8, $10, rx / (t1 - t0), (ss > 0 ? rx / ss : 0), (sb > 0 ? rx / sb : 0), tx / (t1 - t0)}'
}

bench_flood() {
	local r port=9500 lbl out i
	local -a T S_ names=("legit connects OK under flood" "legit connect median under flood"
		"legit connect p99 under flood" "SYNs received during flood"
		"SYNs per softirq CPU-second" "SYNs per busy CPU-second" "SYN-ACKs sent during flood")
	local -a units=("%" "us" "us" "SYN/s" "SYN/cpu-s" "SYN/cpu-s" "pkt/s")
	for ((i = 0; i < 7; i++)); do T[i]=""; S_[i]=""; done
	# shellcheck disable=SC2086 # one name=value a word
	in_ns $S sysctl -qw $SYSCTL_DEFAULTS
	log "flood: ${SYSCTL_DEFAULTS//$'\n'/ }; conntrack: $(lsmod | awk '/^nf_conntrack / {print "loaded"; f = 1} END {if (!f) print "not loaded"}')"
	for ((r = 1; r <= RUNS; r++)); do
		lbl=""; [ "$PERF" = 1 ] && [ "$r" = 1 ] && lbl=flood-tcp
		port=$((port + 2))
		read -r -a out < <(flood_run tcp $port $lbl)
		for ((i = 0; i < 7; i++)); do T[i]+=" ${out[i]}"; done
		[ -n "$lbl" ] && lbl=flood-synq
		read -r -a out < <(flood_run synq $((port + 1)) $lbl)
		for ((i = 0; i < 7; i++)); do S_[i]+=" ${out[i]}"; done
	done
	for ((i = 0; i < 7; i++)); do
		result "${names[i]} (${FLOOD_SECS}s)" "${units[i]}" "${T[i]}" "${S_[i]}"
	done
	if [ "$PERF" = 1 ]; then
		perf_top "flood tcp" "$WORK/perf.flood-tcp"
		perf_top "flood synq" "$WORK/perf.flood-synq"
	fi
}

# ---- 3. memory per pending SYN -------------------------------------------------

# Wait until the objects of a run are freed: TCP request socks outlive
# their listener until their next timer, synq's entries an RCU grace period.
# 512 objects of slack: SLUB counts the free objects of per-CPU partial
# slabs as active (255 synq_entry objects, 3 slabs, stay after a run).
wait_slab_gone() {	# CACHE BASE
	local end=$((SECONDS + 10))
	while ((SECONDS < end)); do
		[ "$(slab "$1" | awk '{print $1}')" -le "$(($2 + 512))" ] && return 0
		sleep 0.1
	done
	log "$1 did not drain within 10 s: $(slab "$1")"
}

# Fill a listener with N half-open connections; prints
# "pending slab_bytes_per_syn table_bytes kmem_bytes_per_syn insert_us lookup_us close_us reclaim_ms"
fill_run() {	# PROTO PORT N [BACKLOG]
	local proto=$1 port=$2 n=$3 backlog=${4:-$(($3 + $3 / 8 + 16))} cache a0 a1 per m0 m1 buckets=0 sent lk q i reclaim t0 close_us d0 d1
	if [ "$proto" = synq ]; then cache=synq_entry; else cache=request_sock_TCP; fi
	m0=$(awk '/^(Slab|VmallocUsed):/ {s += $2} END {print s}' /proc/meminfo)
	d0=$(softnet_drops)
	start_server $S "$proto" $S_F "$port" 0 "$backlog"
	read -r a0 per < <(slab $cache)
	sent=$(in_ns $F "$BIN" raw SYN $SPOOF_BASE "$n" $S_F "$port" 0)
	# Wait for the softirqs to catch up: the count stops moving.
	q=-1
	for ((i = 0; i < 600; i++)); do
		local q2
		q2=$(pending "$proto" "$port")
		[ "$q2" = "$q" ] && [ "$q2" -ge "$((n * 99 / 100))" ] && break
		[ "$q2" = "$q" ] && [ "$i" -gt 20 ] && break
		q=$q2
		sleep 0.5
	done
	q=$(pending "$proto" "$port")
	read -r a1 _ < <(slab $cache)
	m1=$(awk '/^(Slab|VmallocUsed):/ {s += $2} END {print s}' /proc/meminfo)
	d1=$(softnet_drops)
	if [ "$proto" = synq ]; then
		# "table" is nr_table_entries; the table has half as many buckets.
		buckets=$(in_ns $S awk -v p=":$port" 'index($1, p) {print $4 / 2; exit}' /proc/net/synq)
	fi
	lk=$(in_ns $F "$BIN" raw RST $SPOOF_BASE "$n" $S_F "$port" 0)
	log "fill $proto N=$n: $sent; pending $q; lookups (out-of-window RSTs): $lk; softnet drops $((d1 - d0))"
	log "fill $proto: $cache active objects $a0 -> $a1 at $per B; buckets $buckets; Slab+VmallocUsed +$((m1 - m0)) kB"
	stop_server
	close_us=$CLOSE_US
	t0=$(date +%s%N)
	wait_slab_gone $cache "$a0"
	reclaim=$(( ($(date +%s%N) - t0) / 1000000 ))
	log "fill $proto: close() $close_us us, then $reclaim ms until $cache drained"
	awk -v q="$q" -v a0="$a0" -v a1="$a1" -v per="$per" -v b="$buckets" -v m0="$m0" -v m1="$m1" \
		-v sent="$sent" -v lk="$lk" -v c="$close_us" -v rc="$reclaim" 'BEGIN {
		split(sent, s, " "); split(lk, l, " ");
		# 8 B a bucket (an RCU head pointer), min(b, 256) 4-byte hashed
		# spinlocks, and the struct synq_table header (~152 B)
		tb = b ? b * 8 + (b < 256 ? b : 256) * 4 + 152 : 0;
		printf "%d %.1f %d %.1f %.2f %.2f %d %d\n", q, (a1 - a0) * per / (q ? q : 1), tb,
			(m1 - m0) * 1024 / (q ? q : 1), s[4] / s[2], l[4] / l[2], c, rc }'
}

bench_mem() {
	local r port=9700 out n max=0
	for n in $MEM_N; do [ "$n" -gt "$max" ] && max=$n; done
	in_ns $S sysctl -qw net.ipv4.tcp_max_syn_backlog=$((max * 2)) \
		net.synq.max_syn_backlog=$((max * 2)) \
		net.ipv4.tcp_synack_retries=127 net.synq.synack_retries=127
	for n in $MEM_N; do
		local tq="" sq="" tb="" sb="" st="" tk="" sk="" bk=""
		for ((r = 1; r <= RUNS; r++)); do
			port=$((port + 2))
			read -r -a out < <(fill_run tcp $port "$n")
			tq+=" ${out[0]}"; tb+=" ${out[1]}"; tk+=" ${out[3]}"
			read -r -a out < <(fill_run synq $((port + 1)) "$n")
			sq+=" ${out[0]}"; sb+=" ${out[1]}"; sk+=" ${out[3]}"; bk+=" ${out[2]}"
			st+=" $(awk -v a="${out[1]}" -v t="${out[2]}" -v q="${out[0]}" 'BEGIN {printf "%.1f", a + t / (q ? q : 1)}')"
		done
		log "mem N=$n: synq table bytes (buckets x 8 + locks x 4 + 152):$bk"
		result "N=$n pending SYNs held" "count" "$tq" "$sq"
		result "N=$n mem/pending SYN: slab objects" "B/SYN" "$tb" "$sb"
		result "N=$n mem/pending SYN: + synq table" "B/SYN" "$tb" "$st"
		result "N=$n mem/pending SYN: Slab+Vmalloc" "B/SYN" "$tk" "$sk"
	done
}

# ---- 3b. memory per pending IPv6 SYN ------------------------------------------------

# N spoofed IPv6 SYNs (scripts/bench-mem6.py) against each listener;
# request_sock_TCPv6 against synq_entry6.  S and F get IPv6 on their veth,
# and S sends the SYN-ACKs to the dummy device.
bench_mem6() {
	local r port=9800 out tq="" sq="" tb="" sb="" n=${MEM_N%% *}
	ip -n $S addr add fd00:b::2/64 dev vf nodad 2>/dev/null
	ip -n $F addr add fd00:b::1/64 dev vs nodad 2>/dev/null
	ip -n $S -6 route add fd00:bb::/32 dev dummy0 2>/dev/null
	in_ns $S sysctl -qw net.ipv4.tcp_max_syn_backlog=$((n * 2)) \
		net.synq.max_syn_backlog=$((n * 2)) \
		net.ipv4.tcp_synack_retries=127 net.synq.synack_retries=127
	for ((r = 1; r <= RUNS; r++)); do
		for proto in tcp synq; do
			port=$((port + 1))
			read -r -a out < <(python3 "$TOP/scripts/bench-mem6.py" \
				$proto $S $F fd00:b::2 $port "$n")
			log "mem6 $proto N=$n: pending ${out[0]}, ${out[2]} ${out[3]} -> ${out[4]} at ${out[5]} B"
			if [ $proto = tcp ]; then
				tq+=" ${out[0]}"; tb+=" ${out[1]}"
			else
				sq+=" ${out[0]}"; sb+=" ${out[1]}"
			fi
			sleep 1
		done
	done
	result "IPv6 N=$n pending SYNs held" "count" "$tq" "$sq"
	result "IPv6 N=$n mem/pending SYN: slab objects" "B/SYN" "$tb" "$sb"
}

# ---- 4. scale ----------------------------------------------------------------------

bench_scale() {
	# Listen backlog 2N: both listeners prune old entries early once the
	# queue is more than half full (Linux's reqsk_timer_handler(), synq's
	# synq_table_thresh()), and a long fill lives through several SYN-ACK
	# timeouts.
	local r port=9800 out n=$SCALE_N backlog=$((2 * SCALE_N + 16))
	local tq="" sq="" ti="" si="" tl="" sl="" tc="" sc="" tr="" sr="" tb="" sb=""
	in_ns $S sysctl -qw net.ipv4.tcp_max_syn_backlog=$((n * 2)) \
		net.synq.max_syn_backlog=$((n * 2)) \
		net.ipv4.tcp_synack_retries=127 net.synq.synack_retries=127
	for ((r = 1; r <= SCALE_RUNS; r++)); do
		port=$((port + 2))
		# synq first: its entries are gone an RCU grace period after the
		# close, while TCP's request socks live on for up to TCP_RTO_MAX
		# and their timers would load the next fill.
		read -r -a out < <(fill_run synq $((port + 1)) "$n" "$backlog")
		sq+=" ${out[0]}"; sb+=" ${out[1]}"; si+=" ${out[4]}"; sl+=" ${out[5]}"; sc+=" ${out[6]}"; sr+=" $(( ${out[6]} / 1000 + ${out[7]} ))"
		read -r -a out < <(fill_run tcp $port "$n" "$backlog")
		tq+=" ${out[0]}"; tb+=" ${out[1]}"; ti+=" ${out[4]}"; tl+=" ${out[5]}"; tc+=" ${out[6]}"; tr+=" $(( ${out[6]} / 1000 + ${out[7]} ))"
	done
	result "scale: pending SYNs held (of $n sent)" "count" "$tq" "$sq"
	result "scale: insert, sender time per SYN" "us" "$ti" "$si"
	result "scale: lookup, time per out-of-window RST" "us" "$tl" "$sl"
	result "scale: close(listener) syscall" "us" "$tc" "$sc"
	result "scale: close until memory freed" "ms" "$tr" "$sr"
	result "scale: memory per pending SYN: slab objects" "B/SYN" "$tb" "$sb"
}

# ---- main ----------------------------------------------------------------------------

[ -x "$BIN" ] || die "$BIN missing: build it with 'make bench-build'"
command -v hping3 >/dev/null || die "hping3 missing (scripts/setup.sh)"
mkdir -p "$WORK"
insmod "$KO" || die "insmod $KO"
setup_net
log "synq bench: kernel $(uname -r), $(nproc) CPUs, module $(modinfo -F version "$KO" 2>/dev/null || echo '?'), runs $RUNS"
log "accept: N='$ACCEPT_N' T=$ACCEPT_T ${ACCEPT_SECS}s; flood ${FLOOD_SECS}s; mem N=$MEM_N; scale N=$SCALE_N"

for b in $ONLY; do
	case $b in
	accept) bench_accept ;;
	flood) bench_flood ;;
	mem) bench_mem ;;
	mem6) bench_mem6 ;;
	scale) bench_scale ;;
	*) die "unknown benchmark $b" ;;
	esac
done

echo
printf '%-44s %-10s %12s %12s %7s %7s\n' "figure (median of runs)" unit "Linux TCP" synq synq/TCP paired
for line in "${RESULTS[@]}"; do echo "$line"; done
