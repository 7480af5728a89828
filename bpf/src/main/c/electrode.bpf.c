// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Electrode offloads (SPEC sections 1 and 4):
 *   electrode_xdp       - follower: fast acknowledgement of in-order appends (VR: Prepare);
 *                         leader: wait-on-quorum pruning of acks (VR: PrepareOK, MyPrepareOK).
 *   electrode_tc_egress - leader: quorum entry reset on every append; broadcast fan-out.
 * Which messages those are, and where their fast meta fields sit, comes from the map
 * "protocol" (parse.h); VR's epoch is its view, Raft's its term; an index is VR's opnum.
 *   electrode_xdp_pass  - for the peer end of a veth, so that XDP_TX frames are delivered.
 *   electrode_advance_last_op - run by user space (BPF_PROG_TEST_RUN): move last_op forward
 *                         atomically, since XDP may move it at any moment.
 * Anything not recognised, and any state the programs are unsure about, goes up the stack.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "electrode.h"
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct electrode_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ELECTRODE_MAX_REPLICAS);
	__type(key, __u32);
	__type(value, struct electrode_replica);
} replicas SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct electrode_control);
} control SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ELECTRODE_QUORUM_SLOTS);
	__type(key, __u32);
	__type(value, struct electrode_quorum_entry);
} quorum SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ELECTRODE_CTR_NUM);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct electrode_scratch);
} scratch SEC(".maps");

/* bpf_csum_diff's largest block (bytes); the checksum walks a datagram in blocks of this size. */
#define CSUM_BLOCK 512
/* Blocks the walk may take: enough for the largest frame XDP sees on a 9000-byte MTU. */
#define CSUM_MAX_BLOCKS 18

/* Per-CPU copy of a datagram's last partial block, zero-padded to a multiple of 4 for bpf_csum_diff. */
struct csum_tail {
	__u8 buf[CSUM_BLOCK + 4];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_tail);
} csum_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ELECTRODE_RING_BYTES);
} prepare_ring SEC(".maps");

static __always_inline void count(__u32 ctr)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &ctr);
	if (v)
		*v += 1;
}

static __always_inline struct electrode_config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&config, &zero);
}

static __always_inline struct electrode_control *get_control(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&control, &zero);
}

static __always_inline struct electrode_replica *get_replica(__u32 idx)
{
	return bpf_map_lookup_elem(&replicas, &idx);
}

/* ------------------------------------------------------------------ integrity checks */

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b && *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/* True if the frame's source MAC, IPv4 address and UDP port are those of replica r. */
static __always_inline int sent_by(const struct frame *f, const struct electrode_replica *r)
{
	return mac_equal(f->eth->h_source, r->mac) && f->ip->saddr == r->ipv4 && f->udp->source == bpf_htons(r->port);
}

/* True if the IPv4 header checksum is right (the header sums to 0xffff, check field included). */
static __always_inline int ip_csum_ok(const struct frame *f, const void *end)
{
	return ipv4_csum(f->ip, f->ip_len, end) == 0;
}

/*
 * Verifies the UDP checksum of a parsed frame over the pseudo-header and the whole datagram:
 * 512-byte blocks straight from the packet, the rest through a zero-padded per-CPU copy.
 * Returns 0 if it is right, ELECTRODE_CTR_PASS_NO_UDP_CSUM if absent, else
 * ELECTRODE_CTR_PASS_BAD_UDP_CSUM. Any single-bit error changes the ones' complement sum.
 */
static __always_inline int udp_csum_check(struct xdp_md *ctx, const struct frame *f)
{
	if (f->udp->check == 0)
		return ELECTRODE_CTR_PASS_NO_UDP_CSUM;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 off = ((void *)f->udp - data) & 0xff;          /* headers: under 256 bytes */
	__u32 len = bpf_ntohs(f->udp->len);
	__u64 sum = udp_pseudo_sum(f->ip, f->udp);
	__u32 done = 0;

	for (int i = 0; i < CSUM_MAX_BLOCKS; i++) {
		if (len - done < CSUM_BLOCK)
			break;
		__u8 *p = data + off + done;
		if ((void *)(p + CSUM_BLOCK) > end)
			return ELECTRODE_CTR_PASS_BAD_UDP_CSUM;
		__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)p, CSUM_BLOCK, 0);
		if (s < 0)
			return ELECTRODE_CTR_PASS_BAD_UDP_CSUM;
		sum += (__u32)s;
		done += CSUM_BLOCK;
	}
	__u32 rest = len - done;
	if (rest >= CSUM_BLOCK)
		return ELECTRODE_CTR_PASS_BAD_UDP_CSUM; /* longer than any frame the fast path takes */
	if (rest) {
		__u32 zero = 0;
		struct csum_tail *t = bpf_map_lookup_elem(&csum_scratch, &zero);
		if (!t)
			return ELECTRODE_CTR_PASS_BAD_UDP_CSUM;
		/* Equal to rest (1..511), written so that every verifier sees 1 <= n <= CSUM_BLOCK. */
		__u32 n = ((rest - 1) & (CSUM_BLOCK - 1)) + 1;
		if (bpf_xdp_load_bytes(ctx, off + done, t->buf, n))
			return ELECTRODE_CTR_PASS_BAD_UDP_CSUM;
		t->buf[n] = 0;
		t->buf[n + 1] = 0;
		t->buf[n + 2] = 0;
		__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)t->buf, (n + 3) & ~3u, 0);
		if (s < 0)
			return ELECTRODE_CTR_PASS_BAD_UDP_CSUM;
		sum += (__u32)s;
	}
	/* A right checksum makes the whole sum 0 in ones' complement: 0xffff (or 0) once folded. */
	__u16 folded = csum_fold64(sum);
	return folded == 0xffff || folded == 0 ? 0 : ELECTRODE_CTR_PASS_BAD_UDP_CSUM;
}

/* ------------------------------------------------------------------ follower fast path */

/*
 * Turns the received frame into the protocol's kernel-built ack (VR: the MyPrepareOK of SPEC
 * section 2), addressed to the leader, and bounces it (XDP_TX). Returns XDP_PASS if the frame cannot be resized.
 */
static __always_inline int reply_fast_ack(struct xdp_md *ctx, struct electrode_config *cfg,
					       struct electrode_control *ctl, __u64 view, __u64 opnum)
{
	struct electrode_replica *me = get_replica(ctl->my_idx);
	struct electrode_replica *leader = get_replica(ctl->leader_idx);
	if (!me || !leader)
		return XDP_PASS;
	__u32 zero = 0;
	const struct electrode_protocol *proto = bpf_map_lookup_elem(&protocol, &zero);
	if (!proto || proto->kinds[ELECTRODE_KIND_FAST_ACK].len != ELECTRODE_FAST_ACK_NAME_LEN)
		return XDP_PASS; /* the protocol has no kernel-built acknowledgement */
	const struct electrode_type_name *fast_ack = &proto->kinds[ELECTRODE_KIND_FAST_ACK];

	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 ip_len = ip->ihl * 4;
	int new_len = sizeof(struct ethhdr) + ip_len + sizeof(struct udphdr) + FAST_ACK_PAYLOAD;
	if (bpf_xdp_adjust_tail(ctx, new_len - (int)(end - data))) {
		count(ELECTRODE_CTR_PASS_TX_RESIZE);
		return XDP_PASS;
	}

	/* Packet pointers are invalid after the resize: derive and check them again. */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	ip_len = ip->ihl * 4;
	if (ip_len < sizeof(struct iphdr))
		return XDP_DROP;
	struct udphdr *udp = (void *)ip + ip_len;
	__u8 *p = (void *)(udp + 1);
	if ((void *)(p + FAST_ACK_PAYLOAD) > end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, leader->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, me->mac, ETH_ALEN);

	ip->saddr = me->ipv4;
	ip->daddr = leader->ipv4;
	ip->tot_len = bpf_htons(ip_len + sizeof(struct udphdr) + FAST_ACK_PAYLOAD);
	ip->ttl = 64;
	ip->check = 0;
	ip->check = ipv4_csum(ip, ip_len, end);

	udp->source = bpf_htons(cfg->port);
	udp->dest = bpf_htons(leader->port);
	udp->len = bpf_htons(sizeof(struct udphdr) + FAST_ACK_PAYLOAD);
	udp->check = 0; /* filled in below, once the payload is written */

	store_le32(p, ELECTRODE_NONFRAG_MAGIC);
	store_le64(p + 4, ELECTRODE_FAST_ACK_NAME_LEN);
#pragma unroll
	for (__u32 i = 0; i < ELECTRODE_FAST_ACK_NAME_LEN; i++)
		p[FRAME_TYPE_OFF + i] = fast_ack->name[i];
	__u8 *meta = p + FRAME_TYPE_OFF + ELECTRODE_FAST_ACK_NAME_LEN;
	meta_store(meta, meta_slot_off(proto->ack.epoch), (__u32)view);
	meta_store(meta, meta_slot_off(proto->ack.index), (__u32)opnum);
	meta_store(meta, meta_slot_off(proto->ack.third), ctl->my_idx);
	store_le64(meta + 12, ELECTRODE_FAST_ACK_BODY);
	store_le64(meta + 20, view);
	store_le64(meta + 28, opnum);
	store_le32(meta + 36, ctl->my_idx);

	/* A full UDP checksum, so the leader can verify the ACK as this replica verified the Prepare. */
	__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)udp, sizeof(struct udphdr) + FAST_ACK_PAYLOAD, 0);
	if (s < 0)
		return XDP_DROP;
	__u16 c = ~csum_fold64(udp_pseudo_sum(ip, udp) + (__u32)s);
	udp->check = c ? c : 0xffff;
	return XDP_TX;
}

/*
 * Follower, an append (VR: Prepare): the checks of SPEC section 4 in order. View, opnum and batchStart in
 * the fast meta are the low 32 bits; they are compared by serial-number arithmetic and
 * widened against the kernel's 64-bit state.
 */
static __always_inline int handle_append(struct xdp_md *ctx, struct frame *f, struct electrode_config *cfg,
					  struct electrode_control *ctl)
{
	if (ctl->status != ELECTRODE_STATUS_NORMAL) {
		count(ELECTRODE_CTR_PASS_NOT_NORMAL);
		return XDP_PASS;
	}
	if (f->ip_len != sizeof(struct iphdr)) {
		count(ELECTRODE_CTR_PASS_IP_OPTIONS);
		return XDP_PASS;
	}
	/* Nothing is acknowledged (not even again) unless it is intact and the current leader sent it to us. */
	struct electrode_replica *leader = get_replica(ctl->leader_idx);
	struct electrode_replica *me = get_replica(ctl->my_idx);
	if (!leader || !me || ctl->leader_idx >= cfg->replica_count)
		return XDP_PASS;
	if (!sent_by(f, leader)) {
		count(ELECTRODE_CTR_PASS_NOT_FROM_LEADER);
		return XDP_PASS;
	}
	if (!mac_equal(f->eth->h_dest, me->mac) || f->ip->daddr != me->ipv4) {
		count(ELECTRODE_CTR_PASS_NOT_TO_ME);
		return XDP_PASS;
	}
	void *end = (void *)(long)ctx->data_end;
	if (!ip_csum_ok(f, end)) {
		count(ELECTRODE_CTR_PASS_BAD_IP_CSUM);
		return XDP_PASS;
	}
	int bad = udp_csum_check(ctx, f);
	if (bad) {
		count(bad);
		return XDP_PASS;
	}

	__u32 meta_view = f->epoch & ~ELECTRODE_BROADCAST_BIT;
	__u32 meta_op = f->index;
	__u32 meta_start = f->third;
	__u64 view = ctl->view;
	/* The fast meta must describe one batch: batchStart <= opnum, at most batch_size requests,
	 * each taking at least 2 body bytes (a field tag and a length). */
	__u32 batch_len = meta_op - meta_start + 1;
	__u32 max_batch = ctl->batch_size ? ctl->batch_size : 1;
	if ((__s32)(meta_op - meta_start) < 0 || batch_len > max_batch || batch_len > f->data_len / 2) {
		count(ELECTRODE_CTR_PASS_BAD_META);
		return XDP_PASS;
	}

	__s32 dview = (__s32)(meta_view - (__u32)view);
	if (dview < 0) {
		count(ELECTRODE_CTR_DROP_STALE_VIEW);
		return XDP_DROP;
	}
	if (dview > 0) {
		count(ELECTRODE_CTR_PASS_NEWER_VIEW);
		return XDP_PASS;
	}

	__u64 last = ctl->last_op;
	__s32 dop = (__s32)(meta_op - (__u32)last);
	int deferred = cfg->enable_mask & ELECTRODE_FAST_ACK_DEFERRED;
	if (dop <= 0) {
		/* Already have it: acknowledge again (the first ACK may be lost), do not buffer. With
		 * deferred acks, only user space knows whether it is durable yet: let it answer. */
		if (deferred) {
			count(ELECTRODE_CTR_PASS_REACK_DEFERRED);
			return XDP_PASS;
		}
		count(ELECTRODE_CTR_REACKED);
		return reply_fast_ack(ctx, cfg, ctl, view, last);
	}
	__s32 dstart = (__s32)(meta_start - (__u32)(last + 1));
	if (dstart > 0) {
		count(ELECTRODE_CTR_PASS_GAP);
		return XDP_PASS;
	}
	__u32 max_body = cfg->max_body && cfg->max_body < ELECTRODE_MAX_BODY ? cfg->max_body : ELECTRODE_MAX_BODY;
	if (f->data_len == 0 || f->data_len > max_body) {
		count(ELECTRODE_CTR_PASS_TOO_LARGE);
		return XDP_PASS;
	}

	__u32 zero = 0;
	struct electrode_scratch *rec = bpf_map_lookup_elem(&scratch, &zero);
	if (!rec)
		return XDP_PASS;
	__u64 opnum = last + dop;
	rec->hdr.view = view;
	rec->hdr.opnum = opnum;
	rec->hdr.batch_start = last + 1 + dstart;
	rec->hdr.body_len = f->data_len;
	rec->hdr.src_ipv4 = f->ip->saddr;
	__builtin_memcpy(rec->hdr.src_mac, f->eth->h_source, ETH_ALEN);
	rec->hdr.src_port = bpf_ntohs(f->udp->source);
	/* Equal to data_len (1..ELECTRODE_MAX_BODY), written so that every verifier sees 1 <= len <= capacity
	 * (older ones, e.g. 6.1, do not carry a "!= 0" test over to a copy of the register). */
	__u32 body_len = ((f->data_len - 1) & (ELECTRODE_SCRATCH_BODY - 1)) + 1;
	__u32 body_off = (void *)f->body - (void *)(long)ctx->data;
	if (bpf_xdp_load_bytes(ctx, body_off, rec->body, body_len))
		return XDP_PASS;

	/* Claim opnum: a concurrent CPU that got there first makes this frame go up the stack. */
	if (__sync_val_compare_and_swap(&ctl->last_op, last, opnum) != last) {
		count(ELECTRODE_CTR_PASS_RACE);
		return XDP_PASS;
	}
	/* No wakeup: user space drains on its own schedule and never sleeps on the ring, and the
	 * wakeup's irq_work self-IPI is costly (an MSR write, a VM exit under virtualisation). */
	if (bpf_ringbuf_output(&prepare_ring, rec, sizeof(rec->hdr) + body_len, BPF_RB_NO_WAKEUP)) {
		/* last_op moved on, so user space takes this one from its socket, in order. */
		count(ELECTRODE_CTR_PASS_RING_FULL);
		return XDP_PASS;
	}
	count(ELECTRODE_CTR_FAST_ACKED);
	if (deferred)
		return XDP_DROP; /* held in the ring; user space acknowledges it once it is durable */
	return reply_fast_ack(ctx, cfg, ctl, view, opnum);
}

/* ------------------------------------------------------------------ leader quorum pruning */

/*
 * Leader, an ack or a kernel-built ack (VR: PrepareOK, MyPrepareOK): set the sender's bit in the (view, opnum)-tagged entry;
 * pass exactly the ACK that brings the count to f (with the leader, a quorum), drop the
 * rest, except repeats after completion (answers to a retransmission). A passed ACK carries
 * the bitset in its sender word so user space sees who acknowledged. A tag mismatch passes,
 * so a stale entry can only delay a commit.
 */
static __always_inline int handle_ack(struct xdp_md *ctx, struct frame *f, struct electrode_config *cfg,
				      struct electrode_control *ctl)
{
	__u32 view = f->epoch;
	__u32 opnum = f->index;
	__u32 idx = f->third;
	if (idx >= ELECTRODE_MAX_REPLICAS || idx >= cfg->replica_count || idx == ctl->my_idx) {
		count(ELECTRODE_CTR_MALFORMED);
		return XDP_PASS;
	}
	/* Only replica idx itself, from its configured address, can count as idx. */
	struct electrode_replica *sender = get_replica(idx);
	struct electrode_replica *me = get_replica(ctl->my_idx);
	if (!sender || !me || !sent_by(f, sender) || !mac_equal(f->eth->h_dest, me->mac) || f->ip->daddr != me->ipv4) {
		count(ELECTRODE_CTR_ACK_BAD_ADDRESS);
		return XDP_PASS;
	}
	void *end = (void *)(long)ctx->data_end;
	if (!ip_csum_ok(f, end) || udp_csum_check(ctx, f)) {
		count(ELECTRODE_CTR_ACK_BAD_CSUM);
		return XDP_PASS;
	}
	/* The sender word's offset in the datagram decides the checksum delta's byte order. */
	int odd = ((void *)f->meta - (void *)f->udp + f->third_off) & 1;
	__u32 slot = opnum % ELECTRODE_QUORUM_SLOTS;
	struct electrode_quorum_entry *e = bpf_map_lookup_elem(&quorum, &slot);
	if (!e || e->view != view || e->opnum != opnum) {
		count(ELECTRODE_CTR_ACK_TAG_MISMATCH);
		return XDP_PASS;
	}
	__u32 bit = 1u << idx;
	__u32 old = __sync_fetch_and_or(&e->acks, bit);
	__u32 needed = cfg->quorum_size - 1;
	if (old & bit) {
		if (popcount32(old) < needed) {
			count(ELECTRODE_CTR_ACK_DUPLICATE);
			return XDP_DROP;
		}
		/* A re-ACK after the quorum completed answers a retransmission: the ACK that completed
		 * it may have been lost above us, so pass this one, with the whole set. */
		meta_store(f->meta, f->third_off, ELECTRODE_QUORUM_FLAG | old);
		udp_csum_apply(&f->udp->check, csum_delta32(idx, ELECTRODE_QUORUM_FLAG | old, odd));
		count(ELECTRODE_CTR_ACK_REPASSED);
		return XDP_PASS;
	}
	__u32 acks = old | bit;
	if (popcount32(acks) != needed) {
		count(ELECTRODE_CTR_ACK_PRUNED);
		return XDP_DROP;
	}
	meta_store(f->meta, f->third_off, ELECTRODE_QUORUM_FLAG | acks);
	udp_csum_apply(&f->udp->check, csum_delta32(idx, ELECTRODE_QUORUM_FLAG | acks, odd)); /* the payload changed */
	count(ELECTRODE_CTR_ACK_PASSED);
	return XDP_PASS;
}

SEC("xdp")
int electrode_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct electrode_config *cfg = get_config();
	struct electrode_control *ctl = get_control();
	struct frame f = {};

	if (!cfg || !ctl || cfg->enable_mask == 0)
		return XDP_PASS;
	enum parse_result r = parse_frame(data, end, cfg->port, 1, &f);
	if (r == PARSE_NOT_OURS)
		return XDP_PASS;
	if (r == PARSE_MALFORMED) {
		count(ELECTRODE_CTR_MALFORMED);
		return XDP_PASS;
	}
	if (r == PARSE_IP_FRAGMENT) {
		count(ELECTRODE_CTR_PASS_IP_FRAGMENT);
		return XDP_PASS;
	}
	int leader = ctl->my_idx == ctl->leader_idx;
	if (f.kind == MSG_APPEND && !leader && (cfg->enable_mask & ELECTRODE_OFFLOAD_FAST_ACK))
		return handle_append(ctx, &f, cfg, ctl);
	if ((f.kind == MSG_ACK || f.kind == MSG_FAST_ACK) && leader &&
	    ctl->status == ELECTRODE_STATUS_NORMAL && (cfg->enable_mask & ELECTRODE_OFFLOAD_QUORUM_PRUNE))
		return handle_ack(ctx, &f, cfg, ctl);
	return XDP_PASS;
}

SEC("xdp")
int electrode_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* ------------------------------------------------------------------ leader TC egress */

/* Bytes TC needs in the linear area: Ethernet, IPv4 with options, UDP, framing up to dataLen. */
#define TC_PULL_LEN (sizeof(struct ethhdr) + 60 + sizeof(struct udphdr) + FRAME_FIXED_LEN + 35)

/* Flags of bpf_l4_csum_replace for UDP: an absent checksum (0) stays absent, a computed 0 becomes 0xffff. */
#define UDP_CSUM_FLAGS BPF_F_MARK_MANGLED_0

/*
 * Rewrites the frame's destination to replica idx: MAC, IPv4 address and UDP port, with the
 * IPv4 and UDP checksums updated incrementally (the UDP one keeps covering the datagram end to
 * end, so the follower's XDP can verify it; with a partial checksum the kernel's helper updates
 * only the pseudo-header part, as the NIC completes it).
 */
static __always_inline int rewrite_destination(struct __sk_buff *skb, __u32 idx, __u32 ip_len)
{
	struct electrode_replica *r = get_replica(idx);
	if (!r)
		return -1;
	__u32 ip_off = sizeof(struct ethhdr);
	__u32 daddr_off = ip_off + offsetof(struct iphdr, daddr);
	__u32 udp_off = ip_off + ip_len;
	__u32 check_off = udp_off + offsetof(struct udphdr, check);
	__u32 old_daddr;
	__u16 old_port;
	if (bpf_skb_load_bytes(skb, daddr_off, &old_daddr, sizeof(old_daddr)) ||
	    bpf_skb_load_bytes(skb, udp_off + offsetof(struct udphdr, dest), &old_port, sizeof(old_port)))
		return -1;
	__u32 new_daddr = r->ipv4;
	__u16 port = bpf_htons(r->port);
	if (bpf_skb_store_bytes(skb, 0, r->mac, ETH_ALEN, 0) ||
	    bpf_skb_store_bytes(skb, daddr_off, &new_daddr, sizeof(new_daddr), 0) ||
	    bpf_l3_csum_replace(skb, ip_off + offsetof(struct iphdr, check), old_daddr, new_daddr, sizeof(new_daddr)) ||
	    bpf_l4_csum_replace(skb, check_off, old_daddr, new_daddr, UDP_CSUM_FLAGS | BPF_F_PSEUDO_HDR | sizeof(new_daddr)) ||
	    bpf_skb_store_bytes(skb, udp_off + offsetof(struct udphdr, dest), &port, sizeof(port), 0) ||
	    bpf_l4_csum_replace(skb, check_off, old_port, port, UDP_CSUM_FLAGS | sizeof(port)))
		return -1;
	return 0;
}

/*
 * Sends one copy of a broadcast-marked message to every other replica: bpf_clone_redirect
 * for all but the last, which the original frame becomes. Clones carry a mark so their
 * re-entry into this program passes them untouched.
 */
static __always_inline int fan_out(struct __sk_buff *skb, struct electrode_config *cfg, struct electrode_control *ctl,
				   __u32 ip_len, __u32 meta_off, __u32 meta_a)
{
	__u32 n = cfg->replica_count;
	__u32 me = ctl->my_idx;
	if (n < 2 || n > ELECTRODE_MAX_REPLICAS || me >= n)
		return TC_ACT_OK;
	__u32 last = me == n - 1 ? n - 2 : n - 1;
	__u32 cleared = meta_a & ~ELECTRODE_BROADCAST_BIT;
	__u32 udp_off = sizeof(struct ethhdr) + ip_len;
	int odd = (meta_off - udp_off) & 1;
	if (bpf_skb_store_bytes(skb, meta_off, &cleared, sizeof(cleared), 0) ||
	    bpf_l4_csum_replace(skb, udp_off + offsetof(struct udphdr, check), 0, csum_delta32(meta_a, cleared, odd),
				UDP_CSUM_FLAGS))
		return TC_ACT_OK;

	skb->mark = ELECTRODE_CLONE_MARK;
	for (__u32 i = 0; i < ELECTRODE_MAX_REPLICAS; i++) {
		if (i >= n)
			break;
		if (i == me)
			continue;
		if (rewrite_destination(skb, i, ip_len)) {
			count(ELECTRODE_CTR_CLONE_FAILED);
			break;
		}
		if (i == last) {
			count(ELECTRODE_CTR_CLONES_SENT); /* the original itself is the last copy */
			break;
		}
		if (bpf_clone_redirect(skb, skb->ifindex, 0))
			count(ELECTRODE_CTR_CLONE_FAILED);
		else
			count(ELECTRODE_CTR_CLONES_SENT);
	}
	skb->mark = 0;
	return TC_ACT_OK;
}

SEC("tc")
int electrode_tc_egress(struct __sk_buff *skb)
{
	if (skb->mark == ELECTRODE_CLONE_MARK)
		return TC_ACT_OK;
	struct electrode_config *cfg = get_config();
	struct electrode_control *ctl = get_control();
	if (!cfg || !ctl || cfg->enable_mask == 0)
		return TC_ACT_OK;
	__u32 pull = skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN;
	if (bpf_skb_pull_data(skb, pull))
		return TC_ACT_OK;

	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct frame f = {};
	enum parse_result r = parse_frame(data, end, cfg->port, 0, &f);
	if (r != PARSE_OK || (f.kind != MSG_APPEND && f.kind != MSG_BROADCAST))
		return TC_ACT_OK;

	__u32 meta_a = f.epoch; /* the word with the broadcast bit */
	if (f.kind == MSG_APPEND && (cfg->enable_mask & ELECTRODE_OFFLOAD_QUORUM_PRUNE)) {
		__u32 opnum = f.index;
		__u32 slot = opnum % ELECTRODE_QUORUM_SLOTS;
		struct electrode_quorum_entry *e = bpf_map_lookup_elem(&quorum, &slot);
		__u32 view = meta_a & ~ELECTRODE_BROADCAST_BIT;
		/* Only a new (view, opnum) resets the entry: without the broadcast offload one
		 * PREPARE leaves once per follower, and a retransmission must not wipe counted ACKs. */
		if (e && (e->view != view || e->opnum != opnum)) {
			e->view = view;
			e->opnum = opnum;
			e->acks = 0;
			count(ELECTRODE_CTR_QUORUM_RESET);
		}
	}
	if ((meta_a & ELECTRODE_BROADCAST_BIT) && (cfg->enable_mask & ELECTRODE_OFFLOAD_BROADCAST)) {
		__u32 meta_off = (void *)f.meta - data + f.epoch_off;
		return fan_out(skb, cfg, ctl, f.ip_len, meta_off, meta_a);
	}
	return TC_ACT_OK;
}

/* ------------------------------------------------------------------ user space's advance */

/*
 * User space appended up to args->last_op through its socket (or a state transfer): the fast
 * path may take the next op from there. A read and a write of the map from user space could
 * undo an advance XDP made in between; this compare-and-swap only ever moves last_op forward.
 */
SEC("syscall")
int electrode_advance_last_op(struct electrode_advance *args)
{
	struct electrode_control *ctl = get_control();
	if (!ctl)
		return ELECTRODE_ADVANCE_NO_MAP;
	__u64 target = args->last_op;
	for (int i = 0; i < ELECTRODE_ADVANCE_TRIES; i++) {
		__u64 cur = ctl->last_op;
		if (cur >= target) {
			args->last_op = cur;
			return ELECTRODE_ADVANCE_AHEAD;
		}
		if (__sync_val_compare_and_swap(&ctl->last_op, cur, target) == cur)
			return ELECTRODE_ADVANCE_MOVED;
	}
	args->last_op = ctl->last_op;
	return ELECTRODE_ADVANCE_CONTENDED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
