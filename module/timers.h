/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: the clock hand of a SYN table (timers.c): SYN-ACK retransmits,
 * expiry, and the pruning of old entries under a flood.
 */
#ifndef _SYNQ_TIMERS_H
#define _SYNQ_TIMERS_H

#include "listener.h"

void synq_timers_init(struct synq_table *t);
void synq_timer_arm(struct synq_table *t);

#endif /* _SYNQ_TIMERS_H */
