/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: the final ACK's child (child.c).
 */
#ifndef _SYNQ_CHILD_H
#define _SYNQ_CHILD_H

#include "listener.h"

struct sock *synq_child_create(struct synq_sock *ss, struct sk_buff *skb,
			       const struct synq_entry *e);

#endif /* _SYNQ_CHILD_H */
