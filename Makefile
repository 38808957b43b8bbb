# SPDX-License-Identifier: GPL-2.0
#
# synq: build the module against a kernel's headers, and drive the tests.
#
#   make                 build module/synq.ko (KVER=<release> or KDIR=... for
#                        another kernel) and tools/synqize/libsynqize.so
#   make selftests       build the selftests (needs scripts/setup.sh)
#   make check [T=...]   set up, build, run the selftests in QEMU VMs, on
#                        every supported kernel installed (6.1, 6.12) in
#                        turn, or on KVER=... only
#   make check-debug [T=...]  the same on the project's 6.1 debug kernel (KASAN,
#                        lockdep, kmemleak...; built once, cached outside)
#   make demo            set up, build, load synq in a VM and show it (one
#                        kernel: the newest, or KVER=...)
#   make lint            W=1 + sparse build (each kernel), checkpatch --strict
#   make bench           benchmarks, synq against Linux's TCP, in a VM
#   make install         modules_install + depmod (on a real test machine)
#   make dkms            register with DKMS, build and install for every
#                        installed kernel (dkms.conf)
#   make clean           remove build products (make distclean: and .cache)
#   make setup           only the set-up (scripts/setup.sh)

# The running kernel if its headers are installed (a real test machine),
# else the newest Debian -amd64 kernel with headers (this build machine).
# 'make check' without KVER=: every supported kernel (scripts/kernels.sh).
CHECK_KVERS := $(if $(filter command line environment,$(origin KVER)),$(KVER))
KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; else \
	  ls -d /lib/modules/*-amd64/build 2>/dev/null | cut -d/ -f4 | sort -V | tail -n 1; fi)
KDIR ?= /lib/modules/$(KVER)/build
SYNQ_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
KSFT_DIR := $(CURDIR)/.cache/ksft/tools/testing/selftests

all: module synqize

module:
	@test -d "$(KDIR)" || { echo "no kernel build tree in KDIR=$(KDIR): run scripts/setup.sh (as root), or make KDIR=..." >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) SYNQ_VERSION=$(SYNQ_VERSION) modules

# The LD_PRELOAD library of scripts/synqize.
SYNQIZE_LIB := tools/synqize/libsynqize.so
synqize: $(SYNQIZE_LIB)
$(SYNQIZE_LIB): tools/synqize/synqize.c module/uapi/synq.h
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Imodule/uapi -o $@ $< -ldl

selftests:
	$(MAKE) -C selftests

setup:
	@scripts/setup.sh

# The set-up may install the kernel headers, so build in a new make that
# looks for them again.  The module is built per kernel, in
# .cache/build-<ver>/ (scripts/check-kernels.sh).
# Whatever fails, the last line of its output is the "N passed, N failed".
check:
	@scripts/setup.sh || { echo "check: set-up failed"; echo "0 passed, 1 failed"; exit 1; }
	@out=$$($(MAKE) --no-print-directory -s synqize selftests 2>&1) || \
		{ echo "$$out"; echo "check: build failed"; echo "0 passed, 1 failed"; exit 1; }
	@SYNQ_KVERS="$(CHECK_KVERS)" scripts/check-kernels.sh $(T)

check-debug:
	@scripts/setup.sh || { echo "check-debug: set-up failed"; echo "0 passed, 1 failed"; exit 1; }
	@out=$$($(MAKE) --no-print-directory -s synqize selftests 2>&1) || \
		{ echo "$$out"; echo "check-debug: build failed"; echo "0 passed, 1 failed"; exit 1; }
	@scripts/check-debug.sh $(T)

demo:
	@scripts/setup.sh
	@$(MAKE) --no-print-directory -s module synqize >/dev/null
	@scripts/vm.sh scripts/demo.sh

lint:
	@scripts/setup.sh
	@SYNQ_KVERS="$(CHECK_KVERS)" scripts/lint.sh

# DKMS (dkms.conf): add this tree as synq/<version>, build and install it
# for every installed kernel with headers; 'make dkms-remove' undoes it.
dkms:
	@scripts/dkms.sh install

dkms-remove:
	@scripts/dkms.sh remove

# Not tests: scripts/bench.sh builds tools/bench/ and runs scripts/bench-vm.sh.
bench:
	@scripts/setup.sh
	@$(MAKE) --no-print-directory -s module >/dev/null
	@scripts/bench.sh

# INSTALL_MOD_PATH=DIR installs below DIR (a staging root) instead of /.
install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) SYNQ_VERSION=$(SYNQ_VERSION) modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) \
		$$(modinfo -F vermagic module/synq.ko | cut -d" " -f1)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(SYNQIZE_LIB)
	@if [ -e $(KSFT_DIR)/lib.mk ]; then $(MAKE) -C selftests clean; fi

distclean: clean
	rm -rf .cache

.PHONY: all module synqize selftests setup check check-debug demo lint bench install dkms dkms-remove clean distclean
