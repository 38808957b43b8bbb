/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: what goes out for an entry (output.c): SYN-ACKs, ACKs, and the
 * route, window, ISN and TSval offset they and the child share.
 */
#ifndef _SYNQ_OUTPUT_H
#define _SYNQ_OUTPUT_H

#include <net/flow.h>
#include <net/route.h>

#include "listener.h"

struct dst_entry *synq_route(struct synq_sock *ss, const struct synq_tuple *t,
			     struct flowi *fl);
void synq_select_window(const struct sock *tmpl, const struct dst_entry *dst,
			const struct synq_entry *e, u32 *rcv_wnd,
			u32 *window_clamp, u8 *rcv_wscale);
int synq_send_synack(struct synq_sock *ss, struct synq_entry *e);
int synq_send_cookie_synack(struct synq_sock *ss, struct synq_entry *e);
int synq_send_ack(struct synq_sock *ss, const struct synq_entry *e);
u32 synq_isn(const struct synq_net *sn, const struct synq_tuple *t);
u32 synq_ts_off(const struct synq_net *sn, const struct synq_tuple *t);
u32 synq_txhash(const struct synq_sock *ss, const struct synq_entry *e);

#endif /* _SYNQ_OUTPUT_H */
