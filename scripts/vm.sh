#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a throw-away QEMU VM on this machine's Debian kernel and run one
# command in it as root, with the current directory set to the repo.
#
# Usage: scripts/vm.sh [COMMAND [ARG...]]      (default: uname -a)
#
# The VM sees this machine's whole file system read-only through 9p (so
# every installed tool is there), with tmpfs on /tmp, /run, /var/tmp,
# /var/log, /root and /var/lib/nginx, and this repo (read-only) at the same
# path as here, even when that is below /tmp.
# The command's output (stdout and stderr) is streamed here as it runs;
# vm.sh exits with the command's exit status, or:
#   124  the VM did not finish within SYNQ_VM_TIMEOUT seconds (QEMU killed)
#   (a kernel that crashes while booting, before the command starts, is
#   booted once more first: no synq code has run)
#   125  the kernel crashed (panic, oops, WARN with panic_on_warn) or logged
#        a WARNING/BUG/Oops while the command ran
# In both cases the kernel log lines that explain it are printed.
#
# Inside the VM: SYNQ_VM=1, SYNQ_TOP (repo), SYNQ_KO (module/synq.ko) are
# set, and every SYNQ_* and KSELFTEST_* variable of the caller is passed on.
#
# Environment:
#   SYNQ_VM_TIMEOUT  seconds before QEMU is killed (default 300)
#   SYNQ_VM_KVM=1    use KVM instead of TCG (default TCG: /dev/kvm may hang)
#   SYNQ_VM_MEM      memory in MiB (default 2048)
#   SYNQ_VM_CPUS     vCPUs (default 2)
#   SYNQ_KVER        kernel to boot (default: the one module/synq.ko is for)
#   SYNQ_VM_KERNEL   a kernel image of the project's own to boot instead of
#                    /boot/vmlinuz-<ver> (the debug kernel of
#                    scripts/debug-kernel.sh); SYNQ_VM_MODDIR is then its
#                    lib/modules/<release> (modules.builtin...), shown in the
#                    VM at /lib/modules/<release>
#   SYNQ_VM_APPEND   extra kernel command line
#   SYNQ_VM_LOG      where to keep the kernel console log when the VM has
#                    ended (default .cache/vm/console.log: the last run's)

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${SYNQ_CACHE:-$TOP/.cache}
VMCACHE=$CACHE/vm
KO=${SYNQ_KO:-$TOP/module/synq.ko}
TIMEOUT=${SYNQ_VM_TIMEOUT:-300}
MEM=${SYNQ_VM_MEM:-2048}
CPUS=${SYNQ_VM_CPUS:-2}
LOG=${SYNQ_VM_LOG:-$VMCACHE/console.log}

die() { echo "vm.sh: $*" >&2; exit 1; }

# Kernel modules the initramfs loads to mount the host's root over 9p.
BOOT_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	      virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"

# Lines of a kernel log that mean something went wrong.
BAD_LOG_RE=$(grep -v '^#' "$TOP/selftests/bad_log.re" | paste -sd '|')

newest_kernel() {
	local d v
	for d in /lib/modules/*-amd64; do
		v=${d##*/}
		[ -e "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V | tail -n 1
}

# --- which kernel -----------------------------------------------------------

ko_kver=
if [ -e "$KO" ]; then
	ko_kver=$(modinfo -F vermagic "$KO" | awk '{print $1}')
fi
if [ -n "${SYNQ_VM_KERNEL:-}" ]; then
	MODDIR=${SYNQ_VM_MODDIR:?SYNQ_VM_KERNEL needs SYNQ_VM_MODDIR}
	KVER=${MODDIR##*/}
	VMLINUZ=$SYNQ_VM_KERNEL
else
	KVER=${SYNQ_KVER:-${ko_kver:-$(newest_kernel)}}
	[ -n "$KVER" ] || die "no /boot/vmlinuz-*-amd64 kernel found (run scripts/setup.sh)"
	VMLINUZ=/boot/vmlinuz-$KVER
	MODDIR=/lib/modules/$KVER
fi
if [ -n "$ko_kver" ] && [ "$ko_kver" != "$KVER" ]; then
	die "$KO was built for kernel $ko_kver but the VM boots $KVER; rebuild with 'make KDIR=/lib/modules/$KVER/build' or set SYNQ_KVER=$ko_kver"
fi
[ -r "$VMLINUZ" ] || die "$KO was built for $KVER but $VMLINUZ does not exist; install linux-image-$KVER or rebuild against an installed kernel"
[ -d "$MODDIR" ] || die "$MODDIR missing (linux-image-$KVER not installed?)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run scripts/setup.sh)"
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || die "busybox missing (run scripts/setup.sh)"

# --- initramfs ----------------------------------------------------------------

# /init of the initramfs (busybox sh).  Mounts the host root read-only,
# makes the writable bits tmpfs, runs /run/synq/cmd in a chroot there, and
# powers off.  The out share (/run/synq) carries the command, its output,
# its exit status and the dmesg back to the host.
read -r -d '' INIT <<'INIT_EOF' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do
	insmod /modules/$m.ko || echo "synq-init: insmod $m failed"
done
R=/newroot
mkdir -p $R
# cache=loose: the host's root does not change under us; exec is faster.
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose root $R; then
	echo "synq-init: cannot mount the host root over 9p"
	poweroff -f
fi
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
# What udev would make: kselftest's runner writes to /dev/stdout.
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
for d in /tmp /run /var/tmp /var/log /root /var/lib/nginx; do
	[ -d $R$d ] && mount -t tmpfs -o mode=1777 tmpfs $R$d
done
chmod 700 $R/root
mkdir -p $R/run/synq $R/run/netns $R/run/lock
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out $R/run/synq
# The repo, at its own path: it may be below a tmpfs just mounted (/tmp).
TOP=$(cat $R/run/synq/top)
mkdir -p "$R$TOP"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro repo "$R$TOP"
# A kernel of our own: its modules.builtin and the like, at the usual place.
MD=$(cat $R/run/synq/moddir)
if [ -n "$MD" ] && [ "$MD" != /lib/modules/$(uname -r) ]; then
	mount -t tmpfs tmpfs $R/lib/modules
	mkdir -p $R/lib/modules/$(uname -r)
	mount --bind "$R$MD" $R/lib/modules/$(uname -r)
fi
hostname synq-vm
ip link set lo up
# Module autoload (veth, nft...) must use the real modprobe: see /sbin/modprobe.
echo /sbin/modprobe > /proc/sys/kernel/modprobe
# From now on every kernel message reaches the console log.
echo 7 > /proc/sys/kernel/printk
echo "synq-init: running command"
echo "synq-vm: command start" > /dev/kmsg
# Shortly before the host kills us for taking too long, log blocked tasks.
T=$(cat $R/run/synq/timeout)
wd=
if [ "$T" -gt 20 ]; then
	(sleep $((T - 8)) && echo "synq-vm: about to time out; blocked tasks:" > /dev/kmsg &&
	 echo w > /proc/sysrq-trigger) &
	wd=$!
fi
# Output goes through a pipe: a 9p file opened twice (>>/dev/stdout)
# would have its writes clobber each other.
{
	# switch_root in a mount namespace of its own: a plain chroot would
	# make unshare(CLONE_NEWUSER) fail with EPERM in the command.
	unshare -m sh -c "cd $R && mount --move . / && exec chroot . \
		/usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash /run/synq/cmd" </dev/null 2>&1
	echo $? > /rc
} | cat > $R/run/synq/output
rc=$(cat /rc)
[ -n "$wd" ] && kill $wd
echo "synq-vm: command end rc=$rc" > /dev/kmsg
dmesg > $R/run/synq/dmesg
echo $rc > $R/run/synq/rc
echo "synq-init: command exited $rc"
umount $R/run/synq
poweroff -f
INIT_EOF

# The kernel's usermode-helper calls /sbin/modprobe of the initramfs: run
# the real one in the real root (its /lib/modules is this machine's).
MODPROBE='#!/bin/busybox sh
exec /bin/busybox chroot /newroot /sbin/modprobe "$@"'

build_initramfs() {
	local out=$1 dir m f bb
	dir=$(mktemp -d "$VMCACHE/initramfs.XXXXXX")
	mkdir -p "$dir"/{bin,sbin,dev,proc,sys,newroot,modules}
	bb=$(command -v busybox)
	cp "$bb" "$dir/bin/busybox"
	printf '%s\n' "$INIT" > "$dir/init"
	printf '%s\n' "$MODPROBE" > "$dir/sbin/modprobe"
	chmod 755 "$dir/init" "$dir/sbin/modprobe"
	: > "$dir/modules/order"
	for m in $BOOT_MODULES; do
		[ -d "$MODDIR/kernel" ] || break	# all built in
		f=$(find "$MODDIR/kernel" -name "$m.ko" -o -name "$m.ko.xz" \
			-o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n 1)
		case "$f" in
		"") continue ;;	# built in, or absent from this kernel
		*.ko) cp "$f" "$dir/modules/$m.ko" ;;
		*.xz) xz -dc "$f" > "$dir/modules/$m.ko" ;;
		*.zst) zstd -qdc "$f" > "$dir/modules/$m.ko" ;;
		*.gz) gzip -dc "$f" > "$dir/modules/$m.ko" ;;
		esac
		echo "$m" >> "$dir/modules/order"
	done
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$dir"
}

mkdir -p "$VMCACHE"
INITRD=$VMCACHE/initramfs-$KVER.cpio.gz
[ -e "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep missing"
# Rebuild when this script (which holds /init) or the kernel changed.
if [ ! -s "$INITRD" ] || [ "${BASH_SOURCE[0]}" -nt "$INITRD" ] ||
   [ "$MODDIR/modules.dep" -nt "$INITRD" ]; then
	build_initramfs "$INITRD"
fi

# --- the command --------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/synq-vm.XXXXXX")
QPID=
TPID=
cleanup() {
	if [ -n "$QPID" ]; then kill "$QPID" 2>/dev/null || true; fi
	if [ -n "$TPID" ]; then kill "$TPID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$TMP/out"
chmod 777 "$TMP/out"
: > "$TMP/out/output"
echo "$TIMEOUT" > "$TMP/out/timeout"
echo "$TOP" > "$TMP/out/top"
echo "$MODDIR" > "$TMP/out/moddir"

[ $# -gt 0 ] || set -- uname -a
{
	echo "# generated by scripts/vm.sh"
	echo "export SYNQ_VM=1 SYNQ_TOP=$(printf %q "$TOP") SYNQ_KO=$(printf %q "$KO")"
	# Pass SYNQ_* and KSELFTEST_* settings on to the VM.
	while IFS= read -r v; do
		case "$v" in
		SYNQ_VM|SYNQ_TOP|SYNQ_KO) ;;
		*) echo "export $v=$(printf %q "${!v}")" ;;
		esac
	done < <(compgen -e | grep -E '^(SYNQ_|KSELFTEST_)' || true)
	echo "cd $(printf %q "$TOP")"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} > "$TMP/out/cmd"

# --- boot -----------------------------------------------------------------------

ACCEL=tcg
[ "${SYNQ_VM_KVM:-0}" = 1 ] && ACCEL=kvm
APPEND="console=ttyS0 loglevel=4 panic_on_warn=1 oops=panic panic=-1"
APPEND="$APPEND softlockup_panic=1 mitigations=off rdinit=/init"
# TCG on a busy host: skip the IO-APIC timer check that then fails ("IO-APIC
# + timer doesn't work!" panic), and give lockup and stall detectors room.
APPEND="$APPEND no_timer_check watchdog_thresh=30 rcupdate.rcu_cpu_stall_timeout=60"
APPEND="$APPEND ${SYNQ_VM_APPEND:-}"

CONSOLE=$TMP/console.log
: > "$CONSOLE"
qemu-system-x86_64 \
	-accel "$ACCEL" -m "$MEM" -smp "$CPUS" \
	-nodefaults -display none -no-reboot \
	-serial "file:$CONSOLE" \
	-kernel "$VMLINUZ" -initrd "$INITRD" -append "$APPEND" \
	-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$TMP/out,mount_tag=out,security_model=none,multidevs=remap" \
	-virtfs "local,path=$TOP,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" \
	</dev/null >"$TMP/qemu.out" 2>&1 &
QPID=$!
tail -n +1 -s 0.3 -f --pid="$QPID" "$TMP/out/output" &
TPID=$!

timed_out=0
deadline=$((SECONDS + TIMEOUT))
while kill -0 "$QPID" 2>/dev/null; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		timed_out=1
		kill "$QPID" 2>/dev/null || true
		sleep 2
		kill -9 "$QPID" 2>/dev/null || true
		break
	fi
	sleep 0.3
done
qrc=0
wait "$QPID" || qrc=$?
QPID=
wait "$TPID" 2>/dev/null || true
TPID=
mkdir -p "$(dirname "$LOG")"
cp "$CONSOLE" "$LOG.tmp.$$" && mv "$LOG.tmp.$$" "$LOG"

# Print the part of a kernel log that explains a failure.
explain() {
	local file=$1 first
	first=$(grep -n -E "$BAD_LOG_RE" "$file" | head -n 1 | cut -d: -f1 || true)
	if [ -n "$first" ]; then
		sed -n "$((first > 10 ? first - 10 : 1)),$((first + 120))p" "$file"
		# CI shows only the end of the output: repeat the gist there.
		echo "--- gist: the first report, where, and its first frames:"
		sed -n "${first}p" "$file"
		sed -n "$first,\$p" "$file" | grep -m 1 -E 'RIP: |EIP: ' || true
		sed -n "$first,\$p" "$file" |
			sed -n '/Call Trace:/,$p' | sed -n '2,16p'
	else
		tail -n 40 "$file"
	fi
}

# The console log gets the kernel's messages since the command started.
kernel_log=$TMP/out/dmesg
[ -s "$kernel_log" ] || kernel_log=$CONSOLE
# Only look at what the kernel said once the command started.
sed -n '/synq-vm: command start/,$p' "$kernel_log" > "$TMP/cmdlog"

if [ "$timed_out" = 1 ]; then
	echo "vm.sh: TIMEOUT: the VM did not finish within ${TIMEOUT}s (SYNQ_VM_TIMEOUT); QEMU killed" >&2
	echo "vm.sh: kernel log tail ($LOG):" >&2
	explain "$CONSOLE" | sed 's/^/    /' >&2
	exit 124
fi
# A kernel that crashes while it boots, before the command starts (the
# stock kernel under TCG, seen on a loaded host: an int3 of text patching
# taken on another CPU, 2 s into the boot), has not run any of synq: boot
# once more, saying so.
if [ ! -s "$TMP/out/rc" ] && [ "${SYNQ_VM_BOOT_RETRY:-0}" = 0 ] &&
   ! grep -q 'synq-vm: command start' "$CONSOLE"; then
	echo "vm.sh: the kernel crashed while booting, before the command started; booting once more:" >&2
	explain "$CONSOLE" | sed 's/^/    /' >&2
	cleanup
	trap - EXIT
	SYNQ_VM_BOOT_RETRY=1 exec "$TOP/scripts/vm.sh" "$@"
fi
if [ ! -s "$TMP/out/rc" ]; then
	echo "vm.sh: VM CRASHED: the command did not finish (QEMU exit $qrc)" >&2
	sed 's/^/    qemu: /' "$TMP/qemu.out" >&2
	echo "vm.sh: kernel log ($LOG):" >&2
	explain "$CONSOLE" | sed 's/^/    /' >&2
	exit 125
fi
rc=$(cat "$TMP/out/rc")
if grep -q -E "$BAD_LOG_RE" "$TMP/cmdlog"; then
	echo "vm.sh: KERNEL WARNING/BUG logged while the command ran (its exit status was $rc):" >&2
	explain "$TMP/cmdlog" | sed 's/^/    /' >&2
	exit 125
fi
exit "$rc"
