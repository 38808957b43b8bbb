// SPDX-License-Identifier: GPL-2.0
/*
 * synq: SYN cookies, and when to use them.
 *
 * The cookie is synq's own ISS, 32 bits:
 *
 *   31          10  9   8  7  6   5     2  1    0
 *   |  MAC (22)    | count | mss |  wscale | sack | ecn |
 *
 * MAC is siphash (per-netns secret) of the 4-tuple, the client's ISN, the
 * full time counter and the low 10 bits; count is the counter's low 2 bits,
 * so the check rebuilds the counter and computes one MAC.  The counter
 * ticks every cookie_period seconds (module parameter, default 32) and a
 * cookie is good for 4 ticks: 96 to 128 s, Linux's "about two minutes".
 *
 * Unlike Linux, which keeps window scale, SACK and ECN only in the low bits
 * of a timestamp and loses them without one, synq keeps them in the ISS
 * itself (as FreeBSD does): a cookie connection gets the exact window scale
 * and SACK the client offered, timestamps or not.  The price is a 22-bit MAC,
 * one forged ACK in four million passes; Linux's check, which accepts 4 of
 * 2^24 data values, is no stronger.  What is lost is the client's exact MSS:
 * it comes back as the largest of 536/1300/1440/1460 not above it
 * (1220/1420/1440/8940 for IPv6, Linux's tables both).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/siphash.h>
#include <net/tcp.h>

#include "cookies.h"

static unsigned int cookie_period = 32;
module_param(cookie_period, uint, 0444);
MODULE_PARM_DESC(cookie_period, "seconds per SYN cookie counter tick; a cookie lives 3 to 4 ticks (default 32, 1..600)");

static const u16 synq_msstab[] = { 536, 1300, 1440, 1460 };
/* IPv6's, as Linux's msstab in net/ipv6/syncookies.c: 1280/1480/1500/9000 - 60. */
static const u16 synq_msstab6[] = { 1220, 1420, 1440, 8940 };

static const u16 *synq_cookie_msstab(const struct synq_entry *e)
{
	BUILD_BUG_ON(ARRAY_SIZE(synq_msstab) != ARRAY_SIZE(synq_msstab6));
	return e->t.v6 ? synq_msstab6 : synq_msstab;
}

#define COOKIE_DATA_BITS	8
#define COOKIE_COUNT_BITS	2
#define COOKIE_MAC_SHIFT	(COOKIE_DATA_BITS + COOKIE_COUNT_BITS)

bool synq_cookie_period_valid(void)
{
	return cookie_period >= 1 && cookie_period <= 600;
}

static u32 synq_cookie_counter(void)
{
	return (u32)div_u64(ktime_get_seconds(), cookie_period);
}

static u32 synq_cookie_mac(const struct synq_net *sn,
			   const struct synq_tuple *t, u32 irs, u32 count,
			   u32 low)
{
	u64 mac = synq_tuple_siphash(t, ((u64)count << 32) | low, irs,
				     &sn->cookie_key);

	return (u32)mac << COOKIE_MAC_SHIFT;
}

static u8 synq_cookie_data(const struct synq_entry *e)
{
	const u16 *msstab = synq_cookie_msstab(e);
	u8 mssind;

	for (mssind = ARRAY_SIZE(synq_msstab) - 1; mssind; mssind--)
		if (e->mss >= msstab[mssind])
			break;
	return mssind << 6 |
	       e->snd_wscale << 2 |
	       e->sack_ok << 1 | e->ecn_ok;
}

/* The ISS for @e (its options already parsed from the SYN). */
u32 synq_cookie_make(const struct synq_net *sn, const struct synq_entry *e)
{
	u32 count = synq_cookie_counter();
	u32 low = (count & 3) << COOKIE_DATA_BITS | synq_cookie_data(e);

	return synq_cookie_mac(sn, &e->t, e->irs, count, low) | low;
}

/*
 * Check the cookie an ACK returns (ack - 1) against the ISN it carries
 * (seq - 1); on success fill @e's options as the SYN had them.
 */
bool synq_cookie_check(const struct synq_net *sn, struct synq_entry *e,
		       u32 cookie)
{
	u32 now = synq_cookie_counter();
	u32 low = cookie & ((1U << COOKIE_MAC_SHIFT) - 1);
	u32 count = now - ((now - (low >> COOKIE_DATA_BITS)) & 3);
	u8 wscale = (low >> 2) & 15;

	if (synq_cookie_mac(sn, &e->t, e->irs, count, low) !=
	    (cookie & ~((1U << COOKIE_MAC_SHIFT) - 1)))
		return false;
	if (wscale != SYNQ_NO_WSCALE && wscale > TCP_MAX_WSCALE)
		return false;
	e->iss = cookie;
	e->mss = synq_cookie_msstab(e)[(low >> 6) & 3];
	e->snd_wscale = wscale;
	e->sack_ok = (low >> 1) & 1;
	e->ecn_ok = low & 1;
	return true;
}

/* ---- when: the listener's cookie mode, overflow memory, pause ---- */

/* Linux's TCP_SYNCOOKIE_VALID: cookies are checked this long after. */
#define SYNQ_OVERFLOW_MEMORY	(2 * 60 * HZ)
#define SYNQ_PAUSE_MAX_MS	60000

bool synq_paused(const struct synq_sock *ss)
{
	return READ_ONCE(ss->paused) &&
	       time_before(jiffies, READ_ONCE(ss->pause_until));
}

/* Could an ACK with no entry carry one of our cookies? */
bool synq_cookie_expected(const struct synq_sock *ss)
{
	int mode = synq_syncookies(ss);

	if (!mode)
		return false;
	return mode == 2 || synq_paused(ss) ||
	       time_before(jiffies, READ_ONCE(ss->last_overflow) +
			   SYNQ_OVERFLOW_MEMORY);
}

static void synq_flood_warn(struct synq_sock *ss, const char *what)
{
	const struct sock *tmpl = synq_tmpl(ss);
	char addr[SYNQ_ADDR_STR];

	if (READ_ONCE(ss->flood_warned) || xchg(&ss->flood_warned, 1))
		return;
	synq_addr_str(tmpl, addr, sizeof(addr));
	net_info_ratelimited("possible SYN flood on %s (netns %u, backlog %u): %s\n",
			     addr, sock_net(tmpl)->ns.inum,
			     READ_ONCE(tmpl->sk_max_ack_backlog), what);
}

/*
 * FreeBSD's syncache pause: a listener whose table overflows more than
 * cookie_pause_threshold times in a second stops keeping state and answers
 * every SYN with a cookie for cookie_pause_ms, doubling (up to 60 s) while
 * the flood goes on.  Flood entries then cost one SYN-ACK each instead of a
 * table slot and synack_retries retransmits.
 */
static void synq_pause_account(struct synq_sock *ss, struct synq_net *sn)
{
	int threshold = READ_ONCE(sn->cookie_pause_threshold);
	char addr[SYNQ_ADDR_STR];
	unsigned long now = jiffies;
	u32 len;

	if (!threshold)
		return;
	if (time_after(now, READ_ONCE(ss->ovf_window) + HZ)) {
		WRITE_ONCE(ss->ovf_window, now);
		atomic_set(&ss->ovf_count, 0);
	}
	if (atomic_inc_return(&ss->ovf_count) != threshold)
		return;

	/* A flood right after a pause: it did not stop, pause longer. */
	len = READ_ONCE(ss->pause_ms);
	if (!len || time_after(now, READ_ONCE(ss->pause_until) +
			       msecs_to_jiffies(2 * len)))
		len = READ_ONCE(sn->cookie_pause_ms);
	else
		len = min_t(u32, 2 * len, SYNQ_PAUSE_MAX_MS);
	WRITE_ONCE(ss->pause_ms, len);
	WRITE_ONCE(ss->pause_until, now + msecs_to_jiffies(len));
	WRITE_ONCE(ss->paused, 1);
	atomic64_inc(&ss->pauses);
	SYNQ_INC_STATS(sn, SYNQ_MIB_PAUSES);
	synq_addr_str(synq_tmpl(ss), addr, sizeof(addr));
	net_info_ratelimited("SYN flood on %s goes on: cookies only for %u ms\n",
			     addr, len);
}

/*
 * A SYN that would need a table slot it cannot have (mode 2, paused, or the
 * table full): true to answer with a cookie; false to use the table, or,
 * when it is full, to drop the SYN.  Counts as tcp_syn_flood_action().
 */
bool synq_want_cookie(struct synq_sock *ss, struct synq_net *sn, bool full)
{
	int mode = synq_syncookies(ss);

	if (mode == 2) {
		SYNQ_INC_STATS(sn, SYNQ_MIB_REQQFULLDOCOOKIES);
		__NET_INC_STATS(sn->net, LINUX_MIB_TCPREQQFULLDOCOOKIES);
		return true;
	}
	/* TCP has no pause; to TcpExt it is a cookie instead of a slot. */
	if (mode && synq_paused(ss)) {
		SYNQ_INC_STATS(sn, SYNQ_MIB_PAUSEDCOOKIES);
		__NET_INC_STATS(sn->net, LINUX_MIB_TCPREQQFULLDOCOOKIES);
		return true;
	}
	if (!full)
		return false;

	WRITE_ONCE(ss->last_overflow, jiffies);
	if (!mode) {
		synq_flood_warn(ss, "dropping SYNs, cookies are off");
		return false;
	}
	synq_flood_warn(ss, "sending cookies");
	synq_pause_account(ss, sn);
	SYNQ_INC_STATS(sn, SYNQ_MIB_REQQFULLDOCOOKIES);
	__NET_INC_STATS(sn->net, LINUX_MIB_TCPREQQFULLDOCOOKIES);
	return true;
}

/* The flood is over when the table has drained: warn again next time. */
void synq_flood_reset(struct synq_sock *ss)
{
	if (READ_ONCE(ss->flood_warned) && !synq_paused(ss))
		WRITE_ONCE(ss->flood_warned, 0);
	if (READ_ONCE(ss->paused) && !synq_paused(ss))
		WRITE_ONCE(ss->paused, 0);
}
