// SPDX-License-Identifier: GPL-2.0
/*
 * synq: TCP-MD5 signatures (RFC 2385) of pending connections.
 *
 * TCP signs a request's SYN-ACK in tcp_make_synack() and checks the final
 * ACK in tcp_v4_rcv() before tcp_check_req(); synq has no request then, so
 * it does both here, with the template's keys (TCP_MD5SIG on a synq socket
 * is TCP's own setsockopt on the template).  6.12 exports none of TCP's
 * MD5 helpers (EXPORT_IPV6_MOD with IPv6 built in), so the key lookup and
 * the digest are synq's copies, the same on every kernel:
 * synq_md5_lookup() mirrors __tcp_md5_do_lookup() for IPv4 and
 * synq_md5_digest() tcp_v4_md5_hash_skb(), over a shash "md5" whose
 * descriptor lives on the stack (softirq-safe, nothing shared but the tfm,
 * which an unkeyed hash does not write).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <crypto/algapi.h>
#include <linux/inetdevice.h>
#include <net/l3mdev.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "md5.h"

static struct crypto_shash *synq_md5_tfm;

/* TCP_MD5SIG is refused (EOPNOTSUPP) on synq sockets without it. */
int synq_md5_init(void)
{
	struct crypto_shash *tfm = crypto_alloc_shash("md5", 0, 0);

	if (IS_ERR(tfm)) {
		pr_warn("no md5 shash (%ld): TCP_MD5SIG refused\n",
			PTR_ERR(tfm));
		return 0;
	}
	synq_md5_tfm = tfm;
	return 0;
}

void synq_md5_exit(void)
{
	crypto_free_shash(synq_md5_tfm);	/* NULL-safe */
}

bool synq_md5_usable(void)
{
	return synq_md5_tfm;
}

/* better_md5_match(): a VRF-scoped key wins, then the longer prefix. */
static bool synq_md5_better(const struct tcp_md5sig_key *old,
			    const struct tcp_md5sig_key *new)
{
	if (!old)
		return true;
	if (old->l3index && !new->l3index)
		return false;
	if (!old->l3index && new->l3index)
		return true;
	return old->prefixlen < new->prefixlen;
}

/* __tcp_md5_do_lookup() for AF_INET, under RCU. */
const struct tcp_md5sig_key *synq_md5_lookup(const struct sock *tmpl,
					     int l3index, __be32 raddr)
{
	const struct tcp_md5sig_key *key, *best = NULL;
	const struct tcp_md5sig_info *md5sig;
	__be32 mask;

	/* From softirq, or a timer: BH off is an RCU reader too. */
	md5sig = rcu_dereference_check(tcp_sk(tmpl)->md5sig_info,
				       rcu_read_lock_bh_held());
	if (!md5sig)
		return NULL;
	hlist_for_each_entry_rcu(key, &md5sig->head, node) {
		if (key->family != AF_INET)
			continue;
		if ((key->flags & TCP_MD5SIG_FLAG_IFINDEX) &&
		    key->l3index != l3index)
			continue;
		mask = inet_make_mask(key->prefixlen);
		if ((key->addr.a4.s_addr & mask) == (raddr & mask) &&
		    synq_md5_better(best, key))
			best = key;
	}
	return best;
}

/*
 * The key what synq sends to @raddr is signed with, as tcp_v4_md5_lookup()
 * finds it for a request: by the client's address and the l3mdev of the
 * listener's bound device (TCP takes the request's, the same unless an
 * unbound listener takes VRF traffic with tcp_l3mdev_accept).
 */
const struct tcp_md5sig_key *synq_md5_send_key(const struct sock *tmpl,
					       __be32 raddr)
{
	int l3index;

	if (!rcu_access_pointer(tcp_sk(tmpl)->md5sig_info))
		return NULL;	/* the usual case, in one load */
	l3index = l3mdev_master_ifindex_by_index(sock_net(tmpl),
						 READ_ONCE(tmpl->sk_bound_dev_if));
	return synq_md5_lookup(tmpl, l3index, raddr);
}

/* tcp_v4_md5_hash_headers()'s pseudo-header. */
struct synq_md5_pseudo {
	__be32 saddr;
	__be32 daddr;
	u8 pad;
	u8 protocol;
	__be16 len;
};

/*
 * tcp_v4_md5_hash_skb(): pseudo-header, the TCP header without options and
 * with a zero checksum, the payload (@skb from @th's data offset on, or
 * none), the key.
 */
static int synq_md5_digest(u8 *out, const struct tcp_md5sig_key *key,
			   __be32 saddr, __be32 daddr, const struct tcphdr *th,
			   unsigned int len, struct sk_buff *skb)
{
	SHASH_DESC_ON_STACK(desc, synq_md5_tfm);
	struct synq_md5_pseudo bp = {
		.saddr = saddr,
		.daddr = daddr,
		.protocol = IPPROTO_TCP,
		.len = htons(len),
	};
	struct tcphdr hdr = *th;
	u8 keylen = READ_ONCE(key->keylen);	/* as TCP: may change */
	unsigned int consumed, chunk;
	struct skb_seq_state st;
	const u8 *data;
	int err;

	desc->tfm = synq_md5_tfm;
	hdr.check = 0;
	err = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, (u8 *)&bp, sizeof(bp)) ?:
	      crypto_shash_update(desc, (u8 *)&hdr, sizeof(hdr));
	if (!err && skb && skb->len > th->doff * 4) {
		skb_prepare_seq_read(skb, th->doff * 4, skb->len, &st);
		for (consumed = 0; !err; consumed += chunk) {
			chunk = skb_seq_read(consumed, &data, &st);
			if (!chunk)
				break;
			err = crypto_shash_update(desc, data, chunk);
		}
		if (err)
			skb_abort_seq_read(&st);
	}
	if (!err)
		err = crypto_shash_update(desc, key->key, keylen) ?:
		      crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return err;
}

/* The signature of a segment synq sends, with no payload: @len its length. */
int synq_md5_sign(u8 *sig, const struct tcp_md5sig_key *key, __be32 saddr,
		  __be32 daddr, const struct tcphdr *th, unsigned int len)
{
	int err = -ENOKEY;

	if (synq_md5_tfm)
		err = synq_md5_digest(sig, key, saddr, daddr, th, len, NULL);

	if (err)
		memset(sig, 0, 16);
	return err;
}

/*
 * tcp_inbound_md5_hash() (6.1) for a segment to a pending connection,
 * skb->data at its TCP header: no key and no option, or a key and the
 * right signature.  Counted as TCP counts.
 */
bool synq_md5_inbound_ok(const struct sock *tmpl, struct sk_buff *skb,
			 const u8 *hash_location)
{
	const struct tcp_md5sig_key *key;
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = sock_net(tmpl);
	u8 newhash[16];

	if (!hash_location && !rcu_access_pointer(tcp_sk(tmpl)->md5sig_info))
		return true;	/* the usual case, in one load */
	/* IPv6: no keys (synq_md5_tuple_key()), so only NONE or UNEXPECTED. */
	key = skb->protocol == htons(ETH_P_IP) ?
	      synq_md5_lookup(tmpl, synq_md5_l3index(skb), iph->saddr) : NULL;
	if (!key && !hash_location)
		return true;
	if (!hash_location) {
		__NET_INC_STATS(net, LINUX_MIB_TCPMD5NOTFOUND);
		return false;
	}
	if (!key) {
		__NET_INC_STATS(net, LINUX_MIB_TCPMD5UNEXPECTED);
		return false;
	}
	if (!synq_md5_tfm ||
	    synq_md5_digest(newhash, key, iph->saddr, iph->daddr,
			    (const struct tcphdr *)skb->data, skb->len, skb) ||
	    crypto_memneq(hash_location, newhash, 16)) {
		__NET_INC_STATS(net, LINUX_MIB_TCPMD5FAILURE);
		return false;
	}
	return true;
}
