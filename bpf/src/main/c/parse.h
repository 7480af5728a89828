/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Parsing of replica-port datagrams: Ethernet / IPv4 (any IHL) / UDP / the framing of
 * SPEC section 2, on plain packet pointers so XDP and TC share it. Every access is
 * preceded by its bounds check.
 */
#ifndef ELECTRODE_PARSE_H
#define ELECTRODE_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "electrode.h"

/* Framing offsets inside the UDP payload. */
#define FRAME_TYPE_OFF 12           /* after magic (4) and typeLen (8) */
#define FRAME_FIXED_LEN 32          /* magic, typeLen, fast meta (12), dataLen (8) */
/* UDP payload of the kernel-built FAST_ACK: 32 + its type name + 20-byte body. */
#define FAST_ACK_PAYLOAD (FRAME_FIXED_LEN + ELECTRODE_FAST_ACK_NAME_LEN + ELECTRODE_FAST_ACK_BODY)

/* A frame's kind: MSG_OTHER, or 1 + its enum electrode_kind. */
enum msg_kind {
	MSG_OTHER = 0,
	MSG_APPEND = 1 + ELECTRODE_KIND_APPEND,
	MSG_ACK = 1 + ELECTRODE_KIND_ACK,
	MSG_FAST_ACK = 1 + ELECTRODE_KIND_FAST_ACK,
	MSG_BROADCAST = 1 + ELECTRODE_KIND_BROADCAST,
};

/* IPv4 frag_off field (host order): the more-fragments flag and the 13-bit fragment offset. */
#define IP_MORE_FRAGMENTS   0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_OURS,     /* not IPv4/UDP on the replica port: none of our business */
	PARSE_MALFORMED,    /* on the replica port, but not a frame we can read */
	PARSE_IP_FRAGMENT,  /* the first IP fragment of a datagram to the replica port: only the stack can reassemble it */
};

/* The type names the programs act on, written by user space at load time. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct electrode_protocol);
} protocol SEC(".maps");

struct frame {
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *udp;
	__u8 *payload;      /* the framing starts here */
	__u8 *meta;         /* fast meta: three little-endian __u32 */
	/* The meta's fields as the protocol places them (struct electrode_meta_slots), and the
	 * byte offset (0, 4 or 8) of each one's word in the meta. */
	__u32 epoch, index, third;
	__u32 epoch_off, index_off, third_off;
	__u8 *body;
	__u32 ip_len;       /* IPv4 header bytes (IHL * 4) */
	__u32 type_len;
	__u32 data_len;
	enum msg_kind kind;
};

static __always_inline __u32 load_le32(const __u8 *p)
{
	__u32 v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v; /* the BPF target is little-endian on x86 and arm64 */
}

static __always_inline __u64 load_le64(const __u8 *p)
{
	__u64 v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static __always_inline void store_le32(__u8 *p, __u32 v) { __builtin_memcpy(p, &v, sizeof(v)); }

static __always_inline void store_le64(__u8 *p, __u64 v) { __builtin_memcpy(p, &v, sizeof(v)); }

/* Byte offset in the meta of word slot (0..2; user space writes nothing else, and anything else reads word 0). */
static __always_inline __u32 meta_slot_off(__u8 slot)
{
	return slot == 1 ? 4 : slot == 2 ? 8 : 0;
}

/* The meta word at byte offset off (0, 4 or 8): constant offsets only, so every verifier sees the bounds. */
static __always_inline __u32 meta_load(const __u8 *meta, __u32 off)
{
	if (off == 4)
		return load_le32(meta + 4);
	if (off == 8)
		return load_le32(meta + 8);
	return load_le32(meta);
}

static __always_inline void meta_store(__u8 *meta, __u32 off, __u32 v)
{
	if (off == 4)
		store_le32(meta + 4, v);
	else if (off == 8)
		store_le32(meta + 8, v);
	else
		store_le32(meta, v);
}

/* True if the len (1..ELECTRODE_TYPE_NAME_MAX) bytes at p equal name. */
static __always_inline int name_equal(const __u8 *p, const void *end, const __u8 *name, __u32 len)
{
	for (__u32 i = 0; i < ELECTRODE_TYPE_NAME_MAX; i++) {
		if (i >= len)
			return 1;
		if ((void *)(p + i + 1) > end)
			return 0;
		if (p[i] != name[i])
			return 0;
	}
	return 1;
}

/* Classifies the frame by its type name against the protocol's names; sets type_len on a match. */
static __always_inline enum msg_kind classify(struct frame *f, const struct electrode_protocol *proto, __u64 type_len,
					      const void *end)
{
	const __u8 *name = f->payload + FRAME_TYPE_OFF;
#pragma unroll
	for (__u32 k = 0; k < ELECTRODE_KINDS; k++) {
		__u32 len = proto->kinds[k].len;
		if (len == 0 || len > ELECTRODE_TYPE_NAME_MAX || type_len != len)
			continue;
		if (name_equal(name, end, proto->kinds[k].name, len)) {
			f->type_len = len;
			return (enum msg_kind)(1 + k);
		}
	}
	return MSG_OTHER;
}

/*
 * Parses data..end as a frame to (to_port) or from (!to_port) the replica UDP port
 * (or any UDP port if port is 0).
 * On PARSE_OK with kind != MSG_OTHER, meta and body are valid, body + data_len == end
 * of the UDP payload, and epoch, index and third hold the meta's fields.
 */
static __always_inline enum parse_result parse_frame(void *data, void *end, __u16 port, int to_port, struct frame *f)
{
	f->eth = data;
	if ((void *)(f->eth + 1) > end)
		return PARSE_NOT_OURS;
	if (f->eth->h_proto != bpf_htons(ETH_P_IP))
		return PARSE_NOT_OURS;

	f->ip = (void *)(f->eth + 1);
	if ((void *)(f->ip + 1) > end)
		return PARSE_NOT_OURS;
	if (f->ip->version != 4 || f->ip->protocol != IPPROTO_UDP)
		return PARSE_NOT_OURS;
	f->ip_len = f->ip->ihl * 4;
	if (f->ip_len < sizeof(struct iphdr))
		return PARSE_NOT_OURS;

	/* A later IP fragment has no UDP header, so nothing tells whose it is: the stack's. */
	if (f->ip->frag_off & bpf_htons(IP_FRAG_OFFSET_MASK))
		return PARSE_NOT_OURS;

	f->udp = (void *)f->ip + f->ip_len;
	if ((void *)(f->udp + 1) > end)
		return PARSE_NOT_OURS;
	if (port != 0 && (to_port ? f->udp->dest : f->udp->source) != bpf_htons(port))
		return PARSE_NOT_OURS; /* port 0: any UDP port */

	/* The first fragment (more-fragments set) carries part of a datagram: leave it to the stack. */
	if (f->ip->frag_off & bpf_htons(IP_MORE_FRAGMENTS))
		return PARSE_IP_FRAGMENT;

	__u32 udp_len = bpf_ntohs(f->udp->len);
	f->payload = (void *)(f->udp + 1);
	if (udp_len < sizeof(struct udphdr) + FRAME_FIXED_LEN)
		return PARSE_MALFORMED;
	__u32 payload_len = udp_len - sizeof(struct udphdr);
	if (payload_len > 0xffff || (void *)(f->payload + payload_len) > end)
		return PARSE_MALFORMED; /* the datagram is cut short */
	if ((void *)(f->payload + FRAME_TYPE_OFF) > end)
		return PARSE_MALFORMED;
	if (bpf_ntohs(f->ip->tot_len) != f->ip_len + udp_len)
		return PARSE_MALFORMED;

	if (load_le32(f->payload) != ELECTRODE_NONFRAG_MAGIC) {
		f->kind = MSG_OTHER; /* application-level fragments are never accelerated */
		return PARSE_OK;
	}
	__u32 zero = 0;
	const struct electrode_protocol *proto = bpf_map_lookup_elem(&protocol, &zero);
	if (!proto) {
		f->kind = MSG_OTHER;
		return PARSE_OK;
	}
	f->kind = classify(f, proto, load_le64(f->payload + 4), end);
	if (f->kind == MSG_OTHER)
		return PARSE_OK;

	/* type_len is 1..ELECTRODE_TYPE_NAME_MAX; the mask keeps that visible to every verifier. */
	f->meta = f->payload + FRAME_TYPE_OFF + (f->type_len & (2 * ELECTRODE_TYPE_NAME_MAX - 1));
	if ((void *)(f->meta + 20) > end)
		return PARSE_MALFORMED;
	__u64 data_len = load_le64(f->meta + 12);
	if (data_len != payload_len - FRAME_FIXED_LEN - f->type_len)
		return PARSE_MALFORMED;
	f->data_len = data_len;
	f->body = f->meta + 20;
	const struct electrode_meta_slots *slots =
		f->kind == MSG_ACK || f->kind == MSG_FAST_ACK ? &proto->ack : &proto->append;
	f->epoch_off = meta_slot_off(slots->epoch);
	f->index_off = meta_slot_off(slots->index);
	f->third_off = meta_slot_off(slots->third);
	f->epoch = meta_load(f->meta, f->epoch_off);
	f->index = meta_load(f->meta, f->index_off);
	f->third = meta_load(f->meta, f->third_off);
	return PARSE_OK;
}

/* RFC 1071 checksum of an IPv4 header of len bytes (20..60), check field included as is. */
static __always_inline __u16 ipv4_csum(const void *hdr, __u32 len, const void *end)
{
	const __u16 *w = hdr;
	__u32 sum = 0;

	for (int i = 0; i < 30; i++) {
		if (i * 2 >= len)
			break;
		if ((void *)(w + i + 1) > end)
			break;
		sum += w[i];
	}
	/* Fold twice: the first fold can carry into bit 16 again. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Folds a sum of 32-bit ones' complement partial sums to 16 bits (end-around carries). */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * The UDP pseudo-header's share of the checksum, in memory order like bpf_csum_diff's sums:
 * the addresses as stored, then the bytes {0, protocol, length (big-endian)} as one word.
 */
static __always_inline __u64 udp_pseudo_sum(const struct iphdr *ip, const struct udphdr *udp)
{
	return (__u64)ip->saddr + ip->daddr + ((__u32)IPPROTO_UDP << 8) + ((__u32)udp->len << 16);
}

/*
 * A checksum delta for a 32-bit field rewritten from old to new (RFC 1624), as a 16-bit ones'
 * complement value. A field at an odd offset of the checksummed data straddles 16-bit words,
 * which multiplies its share by 2^8: a byte swap of the folded delta.
 */
static __always_inline __u16 csum_delta32(__u32 old, __u32 new, int odd_offset)
{
	__u16 d = csum_fold64((__u64)(~old) + new);
	return odd_offset ? (__u16)((d << 8) | (d >> 8)) : d;
}

/* Applies a delta to a stored UDP checksum; an absent checksum (0) stays absent, 0 becomes 0xffff. */
static __always_inline void udp_csum_apply(__u16 *check, __u16 delta)
{
	if (*check == 0)
		return;
	__u16 c = ~csum_fold64((__u64)(__u16)~*check + delta);
	*check = c ? c : 0xffff;
}

static __always_inline __u32 popcount32(__u32 x)
{
	x = x - ((x >> 1) & 0x55555555);
	x = (x & 0x33333333) + ((x >> 2) & 0x33333333);
	x = (x + (x >> 4)) & 0x0f0f0f0f;
	return (x * 0x01010101) >> 24;
}

#endif /* ELECTRODE_PARSE_H */
