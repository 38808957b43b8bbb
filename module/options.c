// SPDX-License-Identifier: GPL-2.0
/*
 * synq: TCP options of a SYN or final ACK.
 *
 * tcp_parse_options() writes into a tcp_sock's rx_opt and, at the final-ACK
 * hook, TCP_SKB_CB is still the IP layer's: synq keeps its own small parse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/tcp.h>

#include "input.h"

/*
 * Malformed options end the parse as they do in tcp_parse_options(); what
 * the netns has turned off is ignored.
 */
void synq_parse_options(const struct net *net, const struct tcphdr *th,
			struct synq_opts *o)
{
	const u8 *ptr = (const u8 *)(th + 1);
	int length = th->doff * 4 - sizeof(*th);

	memset(o, 0, sizeof(*o));
	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		if (opcode == TCPOPT_EOL)
			return;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return;
		opsize = *ptr++;
		if (opsize < 2 || opsize > length)
			return;
		switch (opcode) {
		case TCPOPT_MSS:
			if (opsize == TCPOLEN_MSS && th->syn)
				o->mss = get_unaligned_be16(ptr);
			break;
		case TCPOPT_WINDOW:
			if (opsize == TCPOLEN_WINDOW && th->syn &&
			    READ_ONCE(net->ipv4.sysctl_tcp_window_scaling)) {
				o->wscale_ok = true;
				o->wscale = min_t(u8, *ptr, TCP_MAX_WSCALE);
			}
			break;
		case TCPOPT_SACK_PERM:
			if (opsize == TCPOLEN_SACK_PERM && th->syn &&
			    READ_ONCE(net->ipv4.sysctl_tcp_sack))
				o->sack_ok = true;
			break;
		case TCPOPT_TIMESTAMP:
			if (opsize == TCPOLEN_TIMESTAMP &&
			    READ_ONCE(net->ipv4.sysctl_tcp_timestamps)) {
				o->saw_tstamp = true;
				o->tsval = get_unaligned_be32(ptr);
			}
			break;
		}
		ptr += opsize - 2;
		length -= opsize;
	}
}
