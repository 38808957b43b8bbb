/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * synq: userspace API of the synq listener socket.
 */
#ifndef _UAPI_SYNQ_H
#define _UAPI_SYNQ_H

#include <linux/types.h>

/* Default protocol number; the module parameter "proto" may change it. */
#define IPPROTO_SYNQ		253

/*
 * Level for setsockopt()/getsockopt() on a synq listener: far above the
 * kernel's own SOL_* numbers (283 is SOL_XDP, and new ones follow it).
 */
#define SOL_SYNQ		0x5351

/* Options at SOL_SYNQ. */
#define SYNQ_INFO		1	/* struct synq_info, read only */
#define SYNQ_SYNCOOKIES		2	/* int: -1 = netns default, 0..2 */
#define SYNQ_ABORT_ON_OVERFLOW	3	/* int: -1 = netns default, 0..1 */
#define SYNQ_SYNACK_RETRIES	4	/* int: -1 = netns default, 0..127 */
/*
 * int: -1 = netns default, 1..1 << 24; without CAP_NET_ADMIN in the
 * netns, a value above net.synq.max_syn_backlog is clamped to it.
 */
#define SYNQ_MAX_SYN_BACKLOG	5

#define SYNQ_INFO_VERSION	1

/* What SYNQ_INFO returns: a listener's live numbers. */
struct synq_info {
	__u32	version;		/* SYNQ_INFO_VERSION */
	__u32	state;			/* TCP state of the listener */
	__u32	nr_table_entries;	/* most entries the SYN table holds */
	__u32	max_qlen_log;		/* log2(nr_table_entries) */
	__u32	qlen;			/* pending SYN entries */
	__u32	qlen_young;		/* entries never retransmitted */
	__u32	ack_backlog;		/* children waiting for accept() */
	__u32	max_ack_backlog;	/* listen() backlog in force */
	__u32	acked;			/* entries whose ACK overflowed */
	__u32	syncookies;		/* cookie mode in force */
	__u64	synack_retrans;		/* SYN-ACK retransmits */
	__u64	expired;		/* entries dropped after last retry */
	__u64	accepted;		/* children handed to accept() */
	__u64	overflows;		/* final ACKs dropped: accept queue full */
	__u64	drops;			/* SYNs and ACKs dropped */
	__u32	paused;			/* 1: cookies only, see cookie pause */
	__u32	synack_retries;		/* SYN-ACK retries in force */
	__u64	pauses;			/* cookie pause episodes */
	__u64	cookies_sent;		/* SYN-ACKs carrying a cookie */
	__u64	cookies_recv;		/* valid cookies returned */
	__u32	nr_buckets;		/* buckets: nr_table_entries / 2 */
	__u32	pad;
};

#endif /* _UAPI_SYNQ_H */
