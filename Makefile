# SPDX-License-Identifier: GPL-2.0
KVER ?= $(shell ls /lib/modules 2>/dev/null | grep -- '-amd64$$' | sort -V | tail -1)
KDIR ?= /lib/modules/$(KVER)/build
SYNQ_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) SYNQ_VERSION=$(SYNQ_VERSION) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

.PHONY: all module clean
