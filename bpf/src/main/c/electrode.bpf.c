// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Electrode offloads (SPEC sections 1 and 4):
 *   electrode_xdp       - follower: fast acknowledgement of in-order Prepares;
 *                         leader: wait-on-quorum pruning of PrepareOK / MyPrepareOK.
 *   electrode_tc_egress - leader: quorum entry reset on every Prepare; broadcast fan-out.
 *   electrode_xdp_pass  - for the peer end of a veth, so that XDP_TX frames are delivered.
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

/* ------------------------------------------------------------------ follower fast path */

/*
 * Turns the received frame into the MyPrepareOK of SPEC section 2, addressed to the
 * leader, and bounces it (XDP_TX). Returns XDP_PASS if the frame cannot be resized.
 */
static __always_inline int reply_my_prepare_ok(struct xdp_md *ctx, struct electrode_config *cfg,
					       struct electrode_control *ctl, __u64 view, __u64 opnum)
{
	struct electrode_replica *me = get_replica(ctl->my_idx);
	struct electrode_replica *leader = get_replica(ctl->leader_idx);
	if (!me || !leader)
		return XDP_PASS;

	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 ip_len = ip->ihl * 4;
	int new_len = sizeof(struct ethhdr) + ip_len + sizeof(struct udphdr) + MY_PREPARE_OK_PAYLOAD;
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
	if ((void *)(p + MY_PREPARE_OK_PAYLOAD) > end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, leader->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, me->mac, ETH_ALEN);

	ip->saddr = me->ipv4;
	ip->daddr = leader->ipv4;
	ip->tot_len = bpf_htons(ip_len + sizeof(struct udphdr) + MY_PREPARE_OK_PAYLOAD);
	ip->ttl = 64;
	ip->check = 0;
	ip->check = ipv4_csum(ip, ip_len, end);

	udp->source = bpf_htons(cfg->port);
	udp->dest = bpf_htons(leader->port);
	udp->len = bpf_htons(sizeof(struct udphdr) + MY_PREPARE_OK_PAYLOAD);
	udp->check = 0; /* no UDP checksum (allowed for IPv4): the partial offload state is gone */

	store_le32(p, ELECTRODE_NONFRAG_MAGIC);
	store_le64(p + 4, TYPE_LEN(TYPE_MY_PREPARE_OK));
#pragma unroll
	for (__u32 i = 0; i < TYPE_LEN(TYPE_MY_PREPARE_OK); i++)
		p[FRAME_TYPE_OFF + i] = TYPE_MY_PREPARE_OK[i];
	__u8 *meta = p + FRAME_TYPE_OFF + TYPE_LEN(TYPE_MY_PREPARE_OK);
	store_le32(meta, (__u32)view);
	store_le32(meta + 4, (__u32)opnum);
	store_le32(meta + 8, ctl->my_idx);
	store_le64(meta + 12, ELECTRODE_MY_PREPARE_OK_BODY);
	store_le64(meta + 20, view);
	store_le64(meta + 28, opnum);
	store_le32(meta + 36, ctl->my_idx);
	return XDP_TX;
}

/*
 * Follower, Prepare: the checks of SPEC section 4 in order. View, opnum and batchStart in
 * the fast meta are the low 32 bits; they are compared by serial-number arithmetic and
 * widened against the kernel's 64-bit state.
 */
static __always_inline int handle_prepare(struct xdp_md *ctx, struct frame *f, struct electrode_config *cfg,
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
	__u32 meta_view = load_le32(f->meta) & ~ELECTRODE_BROADCAST_BIT;
	__u32 meta_op = load_le32(f->meta + 4);
	__u32 meta_start = load_le32(f->meta + 8);
	__u64 view = ctl->view;

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
	if (dop <= 0) {
		/* Already have it: acknowledge again (the first ACK may be lost), do not buffer. */
		count(ELECTRODE_CTR_REACKED);
		return reply_my_prepare_ok(ctx, cfg, ctl, view, last);
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
	rec->hdr.reserved = 0;
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
	return reply_my_prepare_ok(ctx, cfg, ctl, view, opnum);
}

/* ------------------------------------------------------------------ leader quorum pruning */

/*
 * Leader, PrepareOK or MyPrepareOK: set the sender's bit in the (view, opnum)-tagged entry;
 * pass exactly the ACK that brings the count to f (with the leader, a quorum), drop the
 * rest, except repeats after completion (answers to a retransmission). A passed ACK carries
 * the bitset in fast meta word c so user space sees who acknowledged. A tag mismatch passes,
 * so a stale entry can only delay a commit.
 */
static __always_inline int handle_ack(struct frame *f, struct electrode_config *cfg, struct electrode_control *ctl)
{
	__u32 view = load_le32(f->meta);
	__u32 opnum = load_le32(f->meta + 4);
	__u32 idx = load_le32(f->meta + 8);
	if (idx >= ELECTRODE_MAX_REPLICAS || idx >= cfg->replica_count || idx == ctl->my_idx) {
		count(ELECTRODE_CTR_MALFORMED);
		return XDP_PASS;
	}
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
		store_le32(f->meta + 8, ELECTRODE_QUORUM_FLAG | old);
		f->udp->check = 0;
		count(ELECTRODE_CTR_ACK_REPASSED);
		return XDP_PASS;
	}
	__u32 acks = old | bit;
	if (popcount32(acks) != needed) {
		count(ELECTRODE_CTR_ACK_PRUNED);
		return XDP_DROP;
	}
	store_le32(f->meta + 8, ELECTRODE_QUORUM_FLAG | acks);
	f->udp->check = 0; /* the payload changed */
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
	int leader = ctl->my_idx == ctl->leader_idx;
	if (f.kind == MSG_PREPARE && !leader && (cfg->enable_mask & ELECTRODE_OFFLOAD_FAST_ACK))
		return handle_prepare(ctx, &f, cfg, ctl);
	if ((f.kind == MSG_PREPARE_OK || f.kind == MSG_MY_PREPARE_OK) && leader &&
	    ctl->status == ELECTRODE_STATUS_NORMAL && (cfg->enable_mask & ELECTRODE_OFFLOAD_QUORUM_PRUNE))
		return handle_ack(&f, cfg, ctl);
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

/*
 * Rewrites the frame's destination to replica idx: MAC, IPv4 address (checksum updated
 * incrementally by the kernel's csum helper), UDP port; the UDP checksum becomes 0.
 */
static __always_inline int rewrite_destination(struct __sk_buff *skb, __u32 idx, __u32 ip_len)
{
	struct electrode_replica *r = get_replica(idx);
	if (!r)
		return -1;
	__u32 ip_off = sizeof(struct ethhdr);
	__u32 daddr_off = ip_off + offsetof(struct iphdr, daddr);
	__u32 udp_off = ip_off + ip_len;
	__u32 old_daddr;
	if (bpf_skb_load_bytes(skb, daddr_off, &old_daddr, sizeof(old_daddr)))
		return -1;
	__u32 new_daddr = r->ipv4;
	__u16 port = bpf_htons(r->port);
	__u16 no_csum = 0;
	if (bpf_skb_store_bytes(skb, 0, r->mac, ETH_ALEN, 0) ||
	    bpf_skb_store_bytes(skb, daddr_off, &new_daddr, sizeof(new_daddr), 0) ||
	    bpf_l3_csum_replace(skb, ip_off + offsetof(struct iphdr, check), old_daddr, new_daddr, sizeof(new_daddr)) ||
	    bpf_skb_store_bytes(skb, udp_off + offsetof(struct udphdr, dest), &port, sizeof(port), 0) ||
	    bpf_skb_store_bytes(skb, udp_off + offsetof(struct udphdr, check), &no_csum, sizeof(no_csum), 0))
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
	if (bpf_skb_store_bytes(skb, meta_off, &cleared, sizeof(cleared), 0))
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
	if (r != PARSE_OK || (f.kind != MSG_PREPARE && f.kind != MSG_COMMIT))
		return TC_ACT_OK;

	__u32 meta_a = load_le32(f.meta);
	if (f.kind == MSG_PREPARE && (cfg->enable_mask & ELECTRODE_OFFLOAD_QUORUM_PRUNE)) {
		__u32 opnum = load_le32(f.meta + 4);
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
		__u32 meta_off = (void *)f.meta - data;
		return fan_out(skb, cfg, ctl, f.ip_len, meta_off, meta_a);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
