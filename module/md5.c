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
 * synq_md5_lookup() mirrors __tcp_md5_do_lookup() and synq_md5_digest()
 * tcp_v4_md5_hash_skb() and tcp_v6_md5_hash_skb(), over a shash "md5"
 * whose descriptor lives on the stack (softirq-safe, nothing shared but
 * the tfm, which an unkeyed hash does not write).  An IPv4 client of a
 * dual-stack listener is signed with the AF_INET keys, which TCP_MD5SIG
 * makes of v4-mapped addresses (tcp_v6_parse_md5_keys()), as TCP's
 * tcp_request_sock_ipv4_ops finds them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <crypto/algapi.h>
#include <linux/inetdevice.h>
#include <net/l3mdev.h>
#include <net/ip.h>
#include <net/ipv6.h>
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

static bool synq_md5_addr_match(const struct tcp_md5sig_key *key,
				const struct synq_tuple *t)
{
	__be32 mask;

	if (t->v6)
		return ipv6_prefix_equal(&key->addr.a6, &t->raddr6,
					 key->prefixlen);
	mask = inet_make_mask(key->prefixlen);
	return (key->addr.a4.s_addr & mask) == (t->raddr & mask);
}

/* __tcp_md5_do_lookup() for @t's client, under RCU. */
const struct tcp_md5sig_key *synq_md5_lookup(const struct sock *tmpl,
					     int l3index,
					     const struct synq_tuple *t)
{
	const struct tcp_md5sig_key *key, *best = NULL;
	const struct tcp_md5sig_info *md5sig;
	int family = t->v6 ? AF_INET6 : AF_INET;

	/* From softirq, or a timer: BH off is an RCU reader too. */
	md5sig = rcu_dereference_check(tcp_sk(tmpl)->md5sig_info,
				       rcu_read_lock_bh_held());
	if (!md5sig)
		return NULL;
	hlist_for_each_entry_rcu(key, &md5sig->head, node) {
		if (key->family != family)
			continue;
		if ((key->flags & TCP_MD5SIG_FLAG_IFINDEX) &&
		    key->l3index != l3index)
			continue;
		if (synq_md5_addr_match(key, t) && synq_md5_better(best, key))
			best = key;
	}
	return best;
}

/*
 * The key what synq sends on @t is signed with, as tcp_v4_md5_lookup() and
 * tcp_v6_md5_lookup() find it for a request: by the client's address and
 * the l3mdev of the listener's bound device (TCP takes the request's, the
 * same unless an unbound listener takes VRF traffic with
 * tcp_l3mdev_accept).
 */
const struct tcp_md5sig_key *synq_md5_send_key(const struct sock *tmpl,
					       const struct synq_tuple *t)
{
	int l3index;

	if (!rcu_access_pointer(tcp_sk(tmpl)->md5sig_info))
		return NULL;	/* the usual case, in one load */
	l3index = l3mdev_master_ifindex_by_index(sock_net(tmpl),
						 READ_ONCE(tmpl->sk_bound_dev_if));
	return synq_md5_lookup(tmpl, l3index, t);
}

/* tcp_v4_md5_hash_headers()'s pseudo-header, or tcp_v6_md5_hash_headers(). */
union synq_md5_pseudo {
	struct tcp4_pseudohdr v4;
	struct tcp6_pseudohdr v6;
};

/* The pseudo-header of a segment of @len bytes from @t's local end (@out). */
static unsigned int synq_md5_pseudo(union synq_md5_pseudo *bp,
				    const struct synq_tuple *t, bool out,
				    unsigned int len)
{
	if (t->v6) {
		bp->v6.saddr = out ? t->laddr6 : t->raddr6;
		bp->v6.daddr = out ? t->raddr6 : t->laddr6;
		bp->v6.len = cpu_to_be32(len);
		bp->v6.protocol = cpu_to_be32(IPPROTO_TCP);
		return sizeof(bp->v6);
	}
	bp->v4.saddr = out ? t->laddr : t->raddr;
	bp->v4.daddr = out ? t->raddr : t->laddr;
	bp->v4.pad = 0;
	bp->v4.protocol = IPPROTO_TCP;
	bp->v4.len = htons(len);
	return sizeof(bp->v4);
}

/*
 * tcp_v4_md5_hash_skb(), tcp_v6_md5_hash_skb(): pseudo-header (of a
 * segment on @t, sent if @out), the TCP header without options and with a
 * zero checksum, the payload (@skb from @th's data offset on, or none),
 * the key.
 */
static int synq_md5_digest(u8 *sig, const struct tcp_md5sig_key *key,
			   const struct synq_tuple *t, bool out,
			   const struct tcphdr *th, unsigned int len,
			   struct sk_buff *skb)
{
	SHASH_DESC_ON_STACK(desc, synq_md5_tfm);
	union synq_md5_pseudo bp;
	unsigned int bplen = synq_md5_pseudo(&bp, t, out, len);
	struct tcphdr hdr = *th;
	u8 keylen = READ_ONCE(key->keylen);	/* as TCP: may change */
	unsigned int consumed, chunk;
	struct skb_seq_state st;
	const u8 *data;
	int err;

	desc->tfm = synq_md5_tfm;
	hdr.check = 0;
	err = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, (u8 *)&bp, bplen) ?:
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
		      crypto_shash_final(desc, sig);
	shash_desc_zero(desc);
	return err;
}

/* The signature of a segment synq sends on @t, with no payload: @len long. */
int synq_md5_sign(u8 *sig, const struct tcp_md5sig_key *key,
		  const struct synq_tuple *t, const struct tcphdr *th,
		  unsigned int len)
{
	int err = -ENOKEY;

	if (synq_md5_tfm)
		err = synq_md5_digest(sig, key, t, true, th, len, NULL);

	if (err)
		memset(sig, 0, 16);
	return err;
}

/*
 * tcp_inbound_md5_hash() (6.1) for a segment on @t, skb->data at its TCP
 * header, which came in on @l3index (tcp_v4_rcv()'s and tcp_v6_rcv()'s
 * sdif ? dif : 0): no key and no option, or a key and the right
 * signature.  Counted as TCP counts.
 */
bool synq_md5_inbound_ok(const struct sock *tmpl, struct sk_buff *skb,
			 const struct synq_tuple *t, int l3index,
			 const u8 *hash_location)
{
	const struct tcp_md5sig_key *key;
	struct net *net = sock_net(tmpl);
	u8 newhash[16];

	if (!hash_location && !rcu_access_pointer(tcp_sk(tmpl)->md5sig_info))
		return true;	/* the usual case, in one load */
	key = synq_md5_lookup(tmpl, l3index, t);
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
	    synq_md5_digest(newhash, key, t, false,
			    (const struct tcphdr *)skb->data, skb->len, skb) ||
	    crypto_memneq(hash_location, newhash, 16)) {
		__NET_INC_STATS(net, LINUX_MIB_TCPMD5FAILURE);
		return false;
	}
	return true;
}
