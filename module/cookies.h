/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synq: SYN cookies and the flood policy (cookies.c).
 */
#ifndef _SYNQ_COOKIES_H
#define _SYNQ_COOKIES_H

#include "listener.h"

bool synq_cookie_period_valid(void);
u32 synq_cookie_make(const struct synq_net *sn, const struct synq_entry *e);
bool synq_cookie_check(const struct synq_net *sn, struct synq_entry *e,
		       u32 cookie);
bool synq_paused(const struct synq_sock *ss);
bool synq_cookie_expected(const struct synq_sock *ss);
bool synq_want_cookie(struct synq_sock *ss, struct synq_net *sn, bool full);
void synq_flood_reset(struct synq_sock *ss);

#endif /* _SYNQ_COOKIES_H */
